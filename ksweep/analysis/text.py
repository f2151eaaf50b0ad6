"""``sweep_analysis.txt``: the guide's layout, with seeds, noise and symbol effects.

The guide's three sections (BEST CONFIGURATION with Config file / Test
Accuracy / Final Sparsity / Training Time / Hyperparameters, TOP 10,
FAILED TESTS) stay where a reader of the guide expects them. Around them
the text says what the numbers can and cannot support: mean +- std where
seeds repeat, which configurations are within noise of the best (in
words), which swept symbols made no measurable difference, what the sweep
cost, and plainly when there is no noise estimate at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ksweep.analysis.core import Analysis, analyze
from ksweep.analysis.labels import join_names, seeds_text, settings_text, shown
from ksweep.analysis.metrics import METRICS, WALL_TIME, MetricSpec
from ksweep.analysis.stats import SEED_SYMBOL, Group, Summary, is_completed

RULE = "=" * 60
SUBRULE = "-" * 40
TOP_N = 10
NO_SEEDS = "one seed per configuration: no noise estimate; add CONFIG_SEED=0|1|2"
# The guide's block: these three always appear, in this order, under BEST CONFIGURATION.
GUIDE_FIELDS = ("test_acc", "final_sparsity", "training_time")


def analysis_text(
    records: Sequence[dict[str, Any]],
    varying_symbols: Sequence[str],
    metric: str = "test_acc",
    goal: str | None = None,
    elapsed: float | None = None,
) -> str:
    """The full ``sweep_analysis.txt`` (``elapsed``: the sweep's wall clock, if known)."""
    return render(analyze(records, varying_symbols, metric, goal), elapsed)


def render(analysis: Analysis, elapsed: float | None = None) -> str:
    out = ["Hyperparameter Sweep Analysis", RULE, ""]
    out += _header(analysis)
    out += ["", "BEST CONFIGURATION:", SUBRULE]
    out += _best(analysis)
    out += ["", RULE, f"TOP {TOP_N} CONFIGURATIONS:", SUBRULE, ""]
    out += _top(analysis)
    out += ["", RULE, _symbols_title(analysis), SUBRULE]
    out += _symbols(analysis)
    out += ["", RULE, "TIME AND COST:", SUBRULE]
    out += _cost(analysis, elapsed)
    out += ["", RULE, "FAILED TESTS:", SUBRULE]
    out += _failed(analysis)
    return "\n".join(out) + "\n"


# --- formatting -------------------------------------------------------------------


def mean_text(metric: MetricSpec, summary: Summary, interval: bool = False) -> str:
    """``97.78%`` for one value, ``97.22% +- 0.48 (n=3)`` for several (with the CI if asked)."""
    if summary.mean is None:
        return "n/a"
    if summary.n < 2:
        return metric.shown(summary.mean)
    text = f"{metric.shown(summary.mean)} +- {metric.spread(summary.std)}"
    if interval:
        return (
            f"{text} (n={summary.n}, 95% CI {metric.shown(summary.low)} "
            f"to {metric.shown(summary.high)})"
        )
    return f"{text} (n={summary.n})"


def marginal_text(metric: MetricSpec, summary: Summary) -> str:
    """A marginal mean with its trial count and range: the range spans the other symbols,
    so it is shown as a range, not as noise."""
    if summary.mean is None:
        return "n/a (no completed trial)"
    if summary.n < 2:
        return f"{metric.shown(summary.mean)} (n=1)"
    low, high = min(summary.values), max(summary.values)
    return (
        f"{metric.shown(summary.mean)} (n={summary.n}, range {metric.shown(low)} "
        f"to {metric.shown(high)})"
    )


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- sections ---------------------------------------------------------------------


def _header(a: Analysis) -> list[str]:
    out = [
        f"Total configurations tested: {len(a.records)}",
        f"Completed: {len(a.completed)} | Failed: {len(a.failed)}",
        f"Ranked by: {a.metric.name} ({a.metric.label}), {a.metric.direction(a.goal)}; "
        f"METRIC={a.metric.name} GOAL={a.goal}",
    ]
    per = a.ranking.seeds_per_configuration()
    if a.seeds_swept and per and max(per) > 1:
        counts = "/".join(str(n) for n in per)
        seeds = "|".join(map(shown, a.seed_values()))
        out.append(
            f"Seeds: {counts} per configuration (CONFIG_SEED={seeds})"
            f" -> {_count(len(a.groups), 'configuration')}; mean +- std over seeds, "
            "95% intervals (Student t)"
        )
    else:
        out.append(f"Seeds: {NO_SEEDS}")
    out += [f"Note: {note}" for note in a.notes]
    return out


def _best(a: Analysis) -> list[str]:
    best = a.ranking.best
    if best is None:
        return [
            f"None: no configuration completed ({len(a.failed)} of {len(a.records)} failed); "
            "see FAILED TESTS below."
            if not a.completed
            else f"None: no completed trial recorded {a.metric.name}."
        ]
    out = [f"Config file: {best.name}"]
    if len(best.records) > 1:
        out.append(
            f"Seeds: {seeds_text(best.seeds)} ({', '.join(best.members)}; "
            f"{len(best.completed)} completed)"
        )
        out.append(per_seed_line(a.metric, best))
    fields = list(GUIDE_FIELDS)
    if a.metric.name not in fields:
        fields.insert(0, a.metric.name)
    for name in fields:
        spec = METRICS[name]
        ranked_by = name == a.metric.name
        out.append(f"{spec.label}: {mean_text(spec, best.summary(name), interval=ranked_by)}")
    out += ["", "Hyperparameters:"]
    if best.settings:
        out += [f"  {name}={shown(value)}" for name, value in best.settings.items()]
    else:
        out.append("  (no parameter varies in this sweep)")
    out += ["", *verdict(a)]
    return out


def per_seed_line(metric: MetricSpec, group: Group) -> str:
    """Each seed's own value, and the lowest or highest: a target holds per seed, not on average.

    A claim like "99.4% on every seed" is checked against the worst seed,
    which the mean and its interval do not show.
    """
    values = []
    for record in group.records:
        value = record.get(metric.name)
        text = metric.shown(value) if is_completed(record) and value is not None else "failed"
        values.append(f"{shown(record.get('seed'))}: {text}")
    line = f"Per seed ({metric.name}): {', '.join(values)}"
    done = [v for r in group.completed if (v := r.get(metric.name)) is not None]
    if done:
        worst, word = (min(done), "lowest") if metric.goal == "max" else (max(done), "highest")
        line += f" ({word} {metric.shown(worst)})"
    return line


def verdict(a: Analysis) -> list[str]:
    """What the ranking can claim, in words: a winner, ties within noise, or nothing."""
    ranking, metric = a.ranking, a.metric
    best = ranking.best
    if best is None:
        return []
    others = ranking.ranked[1:]
    if not others:
        return ["Only one configuration has a result: there is nothing to compare it with."]
    tied = [g.name for g in ranking.tied]
    if not ranking.replicated:
        lines = [f"Warning: {NO_SEEDS} to tell a real difference from noise."]
        if len(tied) == len(others):
            lines.append(
                f"All {len(ranking.ranked)} configurations have exactly the same "
                f"{metric.name} ({metric.shown(best.metric.mean)}): there is no winner."
            )
        elif tied:
            lines.append(
                f"{join_names(tied)} {'has' if len(tied) == 1 else 'have'} exactly the same "
                f"{metric.name} as the best: tied."
            )
        return lines
    if not tied:
        return [
            f"{best.name} is the best beyond noise: no other configuration's 95% interval "
            "overlaps its own."
        ]
    if len(tied) == len(others):
        who = (
            f"{tied[0]} is within noise of {best.name} (their 95% intervals overlap)"
            if len(tied) == 1
            else f"all {len(ranking.ranked)} are within noise of the best (their 95% intervals "
            f"overlap {best.name}'s)"
        )
        return [
            f"No configuration is measurably better: {who}; more seeds or epochs may separate them."
        ]
    return [
        f"{join_names(tied)} {'is' if len(tied) == 1 else 'are'} within noise of the best "
        f"(95% intervals overlap {best.name}'s): the data cannot tell "
        f"{'it' if len(tied) == 1 else 'them'} from the best."
    ]


def _top(a: Analysis) -> list[str]:
    out = []
    for place, group in enumerate(a.ranking.ranked[:TOP_N], start=1):
        tag = ""
        if a.ranking.is_tied(group):
            tag = "  [within noise of the best]" if a.ranking.replicated else "  [tied]"
        out.append(f"{place}. {group.name}{tag}")
        out.append("   " + _measures(a, group))
        if group.settings:
            out.append("   " + settings_text(group.settings))
    if len(a.ranking.ranked) > TOP_N:
        out.append(f"... and {len(a.ranking.ranked) - TOP_N} more (see results.csv)")
    if not a.ranking.ranked:
        out.append("(none completed)")
    return out


def _measures(a: Analysis, group: Group) -> str:
    parts = []
    if a.metric.name not in GUIDE_FIELDS:
        parts.append(f"{a.metric.short}: {mean_text(a.metric, group.metric)}")
    test = METRICS["test_acc"]
    parts.append(f"{test.short}: {mean_text(test, group.summary('test_acc'))}")
    sparsity, time = METRICS["final_sparsity"], METRICS["training_time"]
    parts.append(f"Sparsity: {sparsity.shown(group.summary('final_sparsity').mean)}")
    parts.append(f"Time: {time.shown(group.summary('training_time').mean)}")
    if group.failed:
        parts.append(f"{len(group.failed)} of {len(group.records)} seeds failed")
    return " | ".join(parts)


def _symbols_title(a: Analysis) -> str:
    return f"SWEPT SYMBOLS (marginal mean {a.metric.name} over the other symbols and seeds):"


def _symbols(a: Analysis) -> list[str]:
    out = []
    if not a.effects:
        out.append("(no parameter varies in this sweep)")
    elif not a.ranking.ranked:
        out.append(f"(no completed trial recorded {a.metric.name}: nothing to compare)")
    for effect in a.effects if a.ranking.ranked else []:
        out.append(f"{effect.symbol}: {effect.sentence()}")
        width = max(len(shown(level.value)) for level in effect.levels)
        for level in effect.levels:
            out.append(
                f"   {shown(level.value):<{width}}  {marginal_text(a.metric, level.summary)}"
            )
    if a.seeds_swept:
        out.append(
            f"{SEED_SYMBOL}: the replicate axis (seeds {seeds_text(a.seed_values())}), "
            "pooled into the means above, not ranked as a hyperparameter."
        )
    return out


def _cost(a: Analysis, elapsed: float | None) -> list[str]:
    walls = [r.get("wall_time") for r in a.records if r.get("wall_time") is not None]
    if not walls:
        return ["No trial recorded its wall time."]
    total = sum(walls)
    out = [
        f"Trial wall time: {WALL_TIME.shown(total)} in all for {_count(len(walls), 'trial')} "
        f"({WALL_TIME.shown(total / len(walls))} per trial on average)"
    ]
    if elapsed is not None:
        out.append(f"Sweep wall clock, start to end: {WALL_TIME.shown(elapsed)}")
    ranked = a.ranking.ranked
    if ranked:
        out.append(f"Per configuration (mean wall time per trial, {a.metric.name}):")
        width = max(len(g.name) for g in ranked[:TOP_N])
        for group in ranked[:TOP_N]:
            wall = group.summary("wall_time")
            out.append(
                f"   {group.name:<{width}}  {WALL_TIME.shown(wall.mean):>8}  "
                f"{a.metric.shown(group.metric.mean)}"
            )
    line = cheapest_line(a)
    if line:
        out.append(line)
    return out


def cheapest_line(a: Analysis) -> str | None:
    """When a configuration within noise of the best costs less, say so: it is as good as
    the data can tell, and cheaper."""
    best = a.ranking.best
    contenders = [g for g in a.ranking.tied if g.summary("wall_time").mean is not None]
    if best is None or best.summary("wall_time").mean is None or not contenders:
        return None
    cheapest = min(contenders, key=lambda g: g.summary("wall_time").mean or 0.0)
    best_wall = best.summary("wall_time").mean or 0.0
    cheap_wall = cheapest.summary("wall_time").mean or 0.0
    if cheap_wall >= best_wall:
        return None
    return (
        f"Cheapest within noise of the best: {cheapest.name} "
        f"({WALL_TIME.shown(cheap_wall)} per trial against {WALL_TIME.shown(best_wall)} "
        f"for {best.name})."
    )


def _failed(a: Analysis) -> list[str]:
    if not a.failed:
        return ["None."]
    out = [f"{len(a.failed)} of {len(a.records)} configurations failed:", ""]
    for record in a.failed:
        out.append(f"{record.get('config_file')} [{record.get('status')}]: {record.get('error')}")
        out.append(f"   log: {record.get('log')}")
    return out
