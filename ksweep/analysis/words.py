"""The sentences the text and the report share: values, intervals, verdicts, failures.

Both ``sweep_analysis.txt`` and ``report.md`` say the same things about the
same :class:`~ksweep.analysis.core.Analysis`; building each sentence once
here keeps them from drifting apart.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from ksweep.analysis import evidence
from ksweep.analysis.core import Analysis
from ksweep.analysis.labels import join_names, shown
from ksweep.analysis.metrics import METRICS, WALL_TIME, MetricSpec
from ksweep.analysis.stats import Group, Summary
from ksweep.sweep.states import state_of

NO_SEEDS = "one seed per configuration: no noise estimate; add CONFIG_SEED=0|1|2"


def count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def mean_text(metric: MetricSpec, summary: Summary, interval: bool = False) -> str:
    """``97.78%`` for one value, ``97.22% +- 0.48 (n=3)`` for several (with the CI if asked);
    an interval the metric's range cut short says where it was clipped."""
    if summary.mean is None:
        return "n/a"
    if summary.n < 2:
        return metric.shown(summary.mean)
    text = f"{metric.shown(summary.mean)} +- {metric.spread(summary.std)}"
    if not interval:
        return f"{text} (n={summary.n})"
    clipped = "".join(f", clipped at {metric.bound_text(end)}" for end in summary.clipped)
    return (
        f"{text} (n={summary.n}, 95% CI {metric.shown(summary.low)} "
        f"to {metric.shown(summary.high)}{clipped})"
    )


def interval_method(metric: MetricSpec) -> str:
    """How the intervals are made, in words, for the Seeds line and the report."""
    if metric.low is None and metric.high is None:
        return "95% intervals: Student t over seeds"
    return f"95% intervals: Student t over seeds, clipped to {metric.range_text()}"


def marginal_text(metric: MetricSpec, summary: Summary) -> str:
    """A marginal mean with its trial count and range: the range spans the other symbols,
    so it is shown as a range, not as noise."""
    if summary.mean is None:
        return "not recorded" if summary.n == 0 else "n/a"
    if summary.n < 2:
        return f"{metric.shown(summary.mean)} (n=1)"
    low, high = min(summary.values), max(summary.values)
    return (
        f"{metric.shown(summary.mean)} (n={summary.n}, range {metric.shown(low)} "
        f"to {metric.shown(high)})"
    )


def status_word(record: dict[str, Any], metric: MetricSpec) -> str:
    """What a seed's value is shown as when it has none: its state, or "not recorded"."""
    state = state_of(record)
    if state is not None and state.successful:
        return "not recorded"
    return str(record.get("status") or "unknown")


def per_seed_line(metric: MetricSpec, group: Group) -> str:
    """Each seed's own value, and the lowest or highest: a target holds per seed, not on average.

    A claim like "99.4% on every seed" is checked against the worst seed,
    which the mean and its interval do not show.
    """
    counted = {id(r) for r in group.completed}
    values = []
    for record in group.records:
        value = record.get(metric.name)
        text = (
            metric.shown(value)
            if id(record) in counted and value is not None
            else status_word(record, metric)
        )
        values.append(f"{shown(record.get('seed'))}: {text}")
    line = f"Per seed ({metric.name}): {', '.join(values)}"
    done = [v for r in group.completed if (v := r.get(metric.name)) is not None]
    if done:
        worst, word = (min(done), "lowest") if metric.goal == "max" else (max(done), "highest")
        line += f" ({word} {metric.shown(worst)})"
    return line


def seeds_not_counted(group: Group) -> str | None:
    """``1 of 3 seeds failed (diverged)``, and pruned or unrun seeds, for a TOP 10 line."""
    total = len(group.records)
    parts = []
    if group.failed:
        states = Counter(str(r.get("status")) for r in group.failed)
        why = ", ".join(s if n == 1 else f"{n} {s}" for s, n in states.items())
        parts.append(f"{len(group.failed)} of {total} seeds failed ({why})")
    if group.pruned:
        parts.append(f"{len(group.pruned)} of {total} seeds pruned early by a rule")
    unrun = [r for r in group.not_counted if r not in group.failed]
    if unrun:
        parts.append(f"{len(unrun)} of {total} seeds not run")
    return "; ".join(parts) or None


def verdict(a: Analysis) -> list[str]:
    """What the ranking can claim, in words: a winner, ties within noise, or nothing."""
    ranking, metric = a.ranking, a.metric
    best = ranking.best
    if best is None:
        return []
    if a.all_at_chance:
        return ["There is no winner: every trial ends at chance."]
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
    judged = [evidence.compare(best, g, metric) for g in ranking.tied]
    told = evidence.cannot_tell(judged, metric)
    if told:
        how = told
    elif all(c.kind in (evidence.EQUAL, evidence.IDENTICAL) for c in judged):
        how = (
            f"every difference from the best is within +-{metric.resolution_text()} (95% Welch "
            "interval): no measurable difference"
        )
    else:
        how = "more seeds or epochs may separate them"
    if len(tied) == len(others):
        who = (
            f"{tied[0]} is within noise of {best.name} (their 95% intervals overlap)"
            if len(tied) == 1
            else f"all {len(ranking.ranked)} are within noise of the best (their 95% intervals "
            f"overlap {best.name}'s)"
        )
        return [f"No configuration is measurably better: {who}; {how}."]
    within = (
        f"{join_names(tied)} {'is' if len(tied) == 1 else 'are'} within noise of the best "
        f"(95% intervals overlap {best.name}'s)"
    )
    if told:
        return [f"{within}; {told}."]
    return [
        f"{within}: the data cannot tell {'it' if len(tied) == 1 else 'them'} from the best; {how}."
    ]


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


def test_at_selection(a: Analysis) -> MetricSpec | None:
    """The test accuracy reported beside a validation metric: at the point it selects."""
    name = a.metric.test_at
    if name is None:
        return None
    from ksweep.analysis.metrics import spec

    return spec(name)


def guide_fields(a: Analysis) -> list[MetricSpec]:
    """The BEST CONFIGURATION block's measures: the ranked metric, the test accuracy at the
    selected point, then the guide's sparsity and training time."""
    fields = [a.metric]
    test = test_at_selection(a) or METRICS["test_acc"]
    if test.name != a.metric.name:
        fields.append(test)
    fields += [m for k in ("final_sparsity", "training_time") if (m := METRICS[k]) not in fields]
    return fields
