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
from ksweep.analysis.metrics import METRICS, MetricSpec
from ksweep.analysis.outcomes import AT_CHANCE, DIVERGED, outcome_of
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
    method = (
        "95% intervals: Student t over seeds, the seed variance pooled across configurations "
        "(a configuration with outlying or many seeds keeps its own)"
    )
    if metric.low is None and metric.high is None:
        return method
    return f"{method}, clipped to {metric.range_text()}"


def marginal_text(metric: MetricSpec, summary: Summary, outcomes: int = 0) -> str:
    """A marginal mean with its trial count and range: the range spans the other symbols,
    so it is shown as a range, not as noise; ``outcomes`` seeds (diverged or at chance)
    were left out of it, and it says so."""
    if not outcomes:
        return _marginal(metric, summary)
    seeds = f"{outcomes} diverged or at-chance {'seed' if outcomes == 1 else 'seeds'}"
    if summary.n == 0:
        return f"none: {seeds}, left out"
    return f"{_marginal(metric, summary)}; {seeds} left out"


def _marginal(metric: MetricSpec, summary: Summary) -> str:
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
    crashed = [r for r in group.failed if outcome_of(r) != DIVERGED]
    if crashed:
        states = Counter(str(r.get("status")) for r in crashed)
        why = ", ".join(s if n == 1 else f"{n} {s}" for s, n in states.items())
        parts.append(f"{len(crashed)} of {total} seeds failed ({why})")
    outcomes = Counter(outcome_of(r) for r in group.outcomes)
    if outcomes.get(AT_CHANCE) == len(group.completed):
        del outcomes[AT_CHANCE]  # the whole configuration: its "[at chance]" tag says so
    for outcome, n in outcomes.items():
        parts.append(f"{n} of {total} seeds {outcome} (a result: never within noise)")
    if group.pruned:
        parts.append(f"{len(group.pruned)} of {total} seeds pruned early by a rule")
    unrun = [r for r in group.not_counted if r not in group.failed and not outcome_of(r)]
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
            f"{best.name} is the best beyond noise: the 95% interval of every other "
            "configuration's difference from it excludes 0."
        ]
    judged = [evidence.compare(best, g, metric) for g in ranking.tied]
    told = evidence.cannot_tell(judged, metric)
    if told:
        how = told
    elif all(c.kind in (evidence.EQUAL, evidence.IDENTICAL) for c in judged):
        how = (
            f"every difference from the best is within +-{metric.resolution_text()} (95% "
            "interval): no measurable difference"
        )
    else:
        how = "more seeds or epochs may separate them"
    if len(tied) == len(others):
        who = (
            f"{tied[0]} is within noise of {best.name} (the 95% interval of their difference "
            "holds 0)"
            if len(tied) == 1
            else f"all {len(ranking.ranked)} are within noise of the best (the 95% interval of "
            f"each one's difference from {best.name} holds 0)"
        )
        return [f"No configuration is measurably better: {who}; {how}."]
    within = (
        f"{join_names(tied)} {'is' if len(tied) == 1 else 'are'} within noise of the best "
        f"(the 95% interval of the difference from {best.name} holds 0)"
    )
    if told:
        return [f"{within}; {told}."]
    return [
        f"{within}: the data cannot tell {'it' if len(tied) == 1 else 'them'} from the best; {how}."
    ]


def cheapest_line(a: Analysis) -> str | None:
    """When a configuration within noise of the best costs less, say so: it is as good as
    the data can tell, and cheaper. Cost is trial-epochs per seed, never wall time, which
    on a shared machine varies several-fold for the same work."""
    best = a.ranking.best
    contenders = [g for g in a.ranking.tied if _epochs(g) is not None]
    if best is None or _epochs(best) is None or not contenders:
        return None
    cheapest = min(contenders, key=lambda g: _epochs(g) or 0.0)
    best_cost, cheap_cost = _epochs(best) or 0.0, _epochs(cheapest) or 0.0
    if cheap_cost >= best_cost:
        return None
    return (
        f"Cheapest within noise of the best: {cheapest.name} ({cheap_cost:g} trial-epochs per "
        f"seed against {best_cost:g} for {best.name})."
    )


def _epochs(group: Group) -> float | None:
    """The mean trial-epochs a seed of ``group`` ran (its cost in work, not wall time)."""
    return group.summary("epochs_run").mean or group.summary("epochs").mean


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
