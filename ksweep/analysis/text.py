"""``sweep_analysis.txt``: the guide's layout, with seeds, noise and symbol effects.

The guide's three sections (BEST CONFIGURATION with Config file / Test
Accuracy / Final Sparsity / Training Time / Hyperparameters, TOP 10,
FAILED TESTS) stay where a reader of the guide expects them. Around them
the text says what the numbers can and cannot support: which split chose
the best (and plainly when it was the test set), mean +- std where seeds
repeat, which configurations are within noise of the best (in words),
which swept symbols made no measurable difference and which cannot be told
with so few seeds, trials at chance, best values at the edge of their
range, what the sweep cost, and plainly when there is no noise estimate.

Counts use generation's vocabulary: a *trial* is one run, a
*configuration* the trials that differ only in their seed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from ksweep.analysis import findings
from ksweep.analysis.core import Analysis, analyze
from ksweep.analysis.cost import Runs, saved_by_stopping_line, trial_time_line, wall_clock_lines
from ksweep.analysis.labels import seeds_text, settings_text, shown
from ksweep.analysis.metrics import AUTO, WALL_TIME
from ksweep.analysis.outcomes import DIVERGED, outcome_of
from ksweep.analysis.stats import SEED_SYMBOL, Group
from ksweep.analysis.words import (
    NO_SEEDS,
    cheapest_line,
    count,
    guide_fields,
    interval_method,
    marginal_text,
    mean_text,
    per_seed_line,
    seeds_not_counted,
    test_at_selection,
    verdict,
)
from ksweep.plan.planned import configurations_text, trial_count_text

# Re-exported: the report and the tests read these sentences from here too.
__all__ = ["NO_SEEDS", "analysis_text", "mean_text", "per_seed_line", "render", "verdict"]

RULE = "=" * 60
SUBRULE = "-" * 40
TOP_N = 10


def analysis_text(
    records: Sequence[dict[str, Any]],
    varying_symbols: Sequence[str],
    metric: str = AUTO,
    goal: str | None = None,
    runs: Runs | None = None,
) -> str:
    """The full ``sweep_analysis.txt`` (``runs``: the sweep's runs from its manifest)."""
    return render(analyze(records, varying_symbols, metric, goal), runs)


def render(analysis: Analysis, runs: Runs | None = None) -> str:
    out = ["Hyperparameter Sweep Analysis", RULE, ""]
    out += _header(analysis)
    out += ["", "BEST CONFIGURATION:", SUBRULE]
    out += _best(analysis)
    out += ["", RULE, f"TOP {TOP_N} CONFIGURATIONS:", SUBRULE, ""]
    out += _top(analysis)
    if analysis.ranking.stopped:
        out += ["", RULE, "STOPPED EARLY (ranked among themselves, at the epoch they reached):"]
        out += [SUBRULE, *_stopped(analysis)]
    out += ["", RULE, _symbols_title(analysis), SUBRULE]
    out += _symbols(analysis)
    out += ["", RULE, "TIME AND COST:", SUBRULE]
    out += cost_lines(analysis, runs)
    out += ["", RULE, "FAILED TESTS:", SUBRULE]
    out += _failed(analysis)
    return "\n".join(out) + "\n"


# --- the counts ---------------------------------------------------------------------


def trials_text(a: Analysis) -> str:
    """'6 trials: 3 configurations x 2 seeds', counted as generation counts them."""
    return trial_count_text([a.settings_of(r) for r in a.records])


def configurations_count(a: Analysis) -> str:
    """'3 configurations x 2 seeds', for the report's counts."""
    return configurations_text(len(a.groups), sorted(len(g.records) for g in a.groups))


def outcome_counts(a: Analysis) -> str:
    """``Completed: 4 | Failed: 2 (diverged, timeout)``, pruned and unrun trials after."""
    completed = [r for r in a.completed if r.get("status") == "completed"]
    pruned = len(a.completed) - len(completed)
    crashed = [r for r in a.failed if outcome_of(r) != DIVERGED]
    text = f"Completed: {len(completed)} | Failed: {len(crashed)}"
    states = Counter(str(r.get("status")) for r in crashed)
    if set(states) - {"failed"}:  # timed out: say which
        text += " (" + ", ".join(f"{n} {s}" for s, n in states.items()) + ")"
    diverged = len(a.failed) - len(crashed)
    if diverged:
        text += f" | Diverged: {diverged} (a result, not a failure)"
    if pruned:
        text += f" | Pruned early: {pruned}"
    if a.not_run:
        text += f" | Not run: {len(a.not_run)}"
    return text


def auto_reason(a: Analysis) -> str | None:
    """Why METRIC=auto chose what it chose; None when the metric was named."""
    if not a.auto:
        return None
    return "the trials have a validation split" if a.has_validation else "no validation split"


def ranked_by(a: Analysis) -> str:
    text = (
        f"{a.metric.name} ({a.metric.label}), {a.metric.direction(a.goal)}; "
        f"METRIC={a.metric.name} GOAL={a.goal}"
    )
    why = auto_reason(a)
    return f"{text} (METRIC=auto: {why})" if why else text


def seeds_line(a: Analysis) -> str:
    per = a.ranking.seeds_per_configuration()
    if a.seeds_swept and per and max(per) > 1:
        counts = "/".join(str(n) for n in per)
        seeds = "|".join(map(shown, a.seed_values()))
        return (
            f"{counts} per configuration (CONFIG_SEED={seeds}); mean +- std over seeds, "
            f"{interval_method(a.metric)}"
        )
    return NO_SEEDS


def _header(a: Analysis) -> list[str]:
    out = [
        f"Total configurations tested: {len(a.groups)} ({trials_text(a)})",
        outcome_counts(a),
        f"Ranked by: {ranked_by(a)}",
    ]
    selection = findings.selection_line(a)
    if selection:
        out.append(f"Selection: {selection}")
    out.append(f"Seeds: {seeds_line(a)}")
    out += [f"Note: {note}" for note in notes(a)]
    return out


def notes(a: Analysis) -> list[str]:
    last3 = findings.last3_note(a)
    return [*a.notes, *([last3] if last3 else [])]


def warnings(a: Analysis) -> list[str]:
    """The named warnings below the verdict: trials at chance, best values at a range edge."""
    out = []
    chance = findings.chance_warning(a)
    if chance:
        out.append(chance)
    out += [f"Warning (range edge): {edge.sentence()}." for edge in findings.range_edges(a)]
    return out


# --- sections ---------------------------------------------------------------------


def no_best(a: Analysis) -> str:
    if a.ranking.unrecorded:
        return (
            f"None: the trials did not record {a.metric.name} (not recorded is not failed: "
            f"{len(a.completed)} of {len(a.records)} trials finished); rank by another metric, "
            "e.g. METRIC=test_acc."
        )
    if not a.completed:
        return (
            f"None: no configuration completed ({len(a.failed)} of {len(a.records)} failed); "
            "see FAILED TESTS below."
        )
    return f"None: no finished trial recorded {a.metric.name}."


def _best(a: Analysis) -> list[str]:
    best = a.ranking.best
    if best is None:
        return [no_best(a)]
    out = [f"Config file: {best.name}"]
    if len(best.records) > 1:
        out.append(
            f"Seeds: {seeds_text(best.seeds)} ({', '.join(best.members)}; "
            f"{len(best.completed)} completed)"
        )
        out.append(per_seed_line(a.metric, best))
    test = test_at_selection(a)
    for spec in guide_fields(a):
        ranked = spec.name == a.metric.name
        line = f"{spec.label}: {mean_text(spec, best.summary(spec.name), interval=ranked)}"
        if test is not None and spec is test:
            line += ", at the selected point (the same trials and epoch; not used to choose)"
        out.append(line)
    out += ["", "Hyperparameters:"]
    if best.settings:
        out += [f"  {name}={shown(value)}" for name, value in best.settings.items()]
    else:
        out.append("  (no parameter varies in this sweep)")
    out += ["", *verdict(a), *warnings(a)]
    return out


def _top(a: Analysis) -> list[str]:
    out = []
    for place, group in enumerate(a.ranking.ranked[:TOP_N], start=1):
        tags = []
        if a.ranking.is_tied(group):
            tags.append("within noise of the best" if a.ranking.replicated else "tied")
        if findings.group_at_chance(group):
            tags.append("at chance")
        tag = "".join(f"  [{t}]" for t in tags)
        out.append(f"{place}. {group.name}{tag}")
        out.append("   " + measures(a, group))
        if group.settings:
            out.append("   " + settings_text(group.settings))
    if len(a.ranking.ranked) > TOP_N:
        out.append(f"... and {len(a.ranking.ranked) - TOP_N} more (see results.csv)")
    if not a.ranking.ranked:
        out.append(
            f"({a.metric.name} not recorded)" if a.ranking.unrecorded else "(none completed)"
        )
    return out


def _stopped(a: Analysis) -> list[str]:
    """Configurations a rule stopped: never compared with finished ones, only with each other."""
    out = []
    for place, group in enumerate(a.ranking.stopped, start=1):
        ends = sorted({(r.get("stopped") or {}).get("epoch") for r in group.pruned} - {None})
        rules = sorted({(r.get("stopped") or {}).get("rule", "a rule") for r in group.pruned})
        epochs = "/".join(map(str, ends)) or "?"
        out.append(f"{place}. {group.name}  [stopped by {', '.join(rules)} at epoch {epochs}]")
        out.append("   " + measures(a, group))
        if group.settings:
            out.append("   " + settings_text(group.settings))
    return out


def measures(a: Analysis, group: Group) -> str:
    """One TOP 10 line: the ranked metric, the test accuracy beside it, sparsity, time."""
    parts = []
    for spec in guide_fields(a):
        summary = group.summary(spec.name)
        if spec.name == "final_sparsity":
            parts.append(f"Sparsity: {spec.shown(summary.mean)}")
        elif spec.name == "training_time":
            parts.append(f"Time: {spec.shown(summary.mean)}")
        else:
            parts.append(f"{spec.short}: {mean_text(spec, summary)}")
    missing = seeds_not_counted(group)
    if missing:
        parts.append(missing)
    return " | ".join(parts)


def _symbols_title(a: Analysis) -> str:
    return f"SWEPT SYMBOLS (marginal mean {a.metric.name} over the other symbols and seeds):"


def _symbols(a: Analysis) -> list[str]:
    out = []
    if not a.effects:
        out.append("(no parameter varies in this sweep)")
    elif not a.ranking.ranked:
        out.append(f"({a.metric.name} not recorded by any finished trial: nothing to compare)")
    for effect in a.effects if a.ranking.ranked else []:
        out.append(f"{effect.symbol}: {effect.sentence()}")
        width = max(len(shown(level.value)) for level in effect.levels)
        for level in effect.levels:
            out.append(
                f"   {shown(level.value):<{width}}  "
                + marginal_text(a.metric, level.summary, level.outcomes)
            )
    if a.seeds_swept:
        out.append(
            f"{SEED_SYMBOL}: the replicate axis (seeds {seeds_text(a.seed_values())}), "
            "pooled into the means above, not ranked as a hyperparameter."
        )
    return out


def cost_lines(a: Analysis, runs: Runs | None) -> list[str]:
    """TIME AND COST: trial time, the sweep's wall clock over its runs, per configuration."""
    out = [trial_time_line(a.records), *wall_clock_lines(a.records, runs)]
    saved = saved_by_stopping_line(a.records)
    if saved:
        out.append(saved)
    ranked = a.ranking.ranked
    if ranked and any(g.summary("wall_time").mean is not None for g in ranked):
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


def failed_counts(a: Analysis) -> str:
    """``2 of 6 trials failed; 1 of 3 configurations failed on every seed``."""
    dead = [g for g in a.groups if g.records and len(g.failed) == len(g.records)]
    diverged = sum(1 for r in a.failed if outcome_of(r) == DIVERGED)
    crashed = len(a.failed) - diverged
    said = f"{crashed} of {count(len(a.records), 'trial')} failed"
    if diverged:
        said += f", {diverged} diverged (training ran as asked: a result, not a failure)"
    return (
        f"{said}; {len(dead)} of {count(len(a.groups), 'configuration')} "
        f"{'failed or diverged' if diverged else 'failed'} on every seed"
    )


def _failed(a: Analysis) -> list[str]:
    out: list[str] = []
    if a.failed:
        out += [f"{failed_counts(a)}:", ""]
        for record in a.failed:
            out.append(
                f"{record.get('config_file')} [{record.get('status')}]: {record.get('error')}"
            )
            out.append(f"   log: {record.get('log')}")
    else:
        out.append("None.")
    if a.not_run:
        out += ["", "Not run (neither results nor failures):"]
        out += [f"{r.get('config_file')} [{r.get('status')}]" for r in a.not_run]
    return out
