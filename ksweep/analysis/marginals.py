"""Per swept symbol: its marginal means, and whether it made a measurable difference.

The marginal mean of a value is the metric averaged over every completed
trial with that value, whatever the other symbols were. Marginals alone can
mislead (a symbol that does nothing inherits the spread of one that does,
and one dead setting drags a value's mean down), so:

* the verdict compares like with like: configurations that differ *only*
  in this symbol, each pair judged by :mod:`ksweep.analysis.evidence`. Any
  pair apart beyond noise: it matters. Every pair ruled equal (the 95%
  interval of the difference within the metric's resolution): no measurable
  difference. Pairs within noise that the data cannot resolve: "cannot tell
  with n=2". One seed per configuration: no noise estimate at all;
* seeds that diverged or ended at chance are left out of the means and
  counted apart: averaging "learned" with "learned nothing" gives a number
  no trial has;
* the *best value* is the value the ranking's best configuration has, so the
  marginal plot and the headline never name different winners.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ksweep.analysis import evidence
from ksweep.analysis.metrics import MetricSpec
from ksweep.analysis.outcomes import outcome_of
from ksweep.analysis.stats import Group, Summary, summarize
from ksweep.sweep.states import state_of

MATTERS = "matters"
NO_DIFFERENCE = "no measurable difference"
IDENTICAL = "no difference at all"
CANNOT_TELL = "cannot tell"  # within noise, but too few seeds to rule a difference out
UNKNOWN = "no noise estimate"  # one seed per configuration


@dataclass(frozen=True)
class Level:
    """One value of a symbol and the metric over all completed trials that had it."""

    value: Any
    summary: Summary
    outcomes: int = 0  # seeds left out: diverged or at chance (results, not a level's noise)


@dataclass(frozen=True)
class SymbolEffect:
    """A swept symbol's marginal means and the verdict on its effect."""

    symbol: str
    levels: list[Level]
    verdict: str  # MATTERS, NO_DIFFERENCE, IDENTICAL, CANNOT_TELL or UNKNOWN
    apart: int  # like-for-like comparisons apart beyond noise
    comparisons: int  # like-for-like comparisons made (pairs differing only in the symbol)
    best_value: Any  # the value of the ranking's best configuration
    metric: MetricSpec | None = None
    judged: list[evidence.Comparison] = field(default_factory=list, repr=False)
    left_out: int = 0  # configurations with a diverged or at-chance seed: never compared

    def sentence(self) -> str:
        """The verdict in words, for the text and the report."""
        if self.comparisons == 0 and self.left_out:
            return (
                "cannot tell: the configurations that differ only in it diverged or ended at "
                f"chance on some seed ({self.left_out} configurations left out: an outcome, "
                "not noise)"
            )
        if self.comparisons == 0:
            return (
                "cannot tell: no two configurations differ only in it "
                "(the other symbols never repeat with a different value of it)"
            )
        if self.verdict == MATTERS:
            return (
                f"matters: {self.apart} of {self.comparisons} like-for-like comparisons are "
                f"apart beyond noise; best value {self.best_value} (the best configuration's)"
            )
        if self.verdict == IDENTICAL:
            return "made no difference at all: identical results for every value"
        if self.verdict == NO_DIFFERENCE:
            resolution = self.metric.resolution_text() if self.metric else "the resolution"
            return (
                "made no measurable difference: every like-for-like difference is within "
                f"+-{resolution} (95% interval)"
            )
        if self.verdict == CANNOT_TELL and self.metric is not None:
            within = "configurations that differ only in it are within noise of each other"
            told = evidence.cannot_tell(self.judged, self.metric, within)
            if told:
                return told
        if any(max(c.a.metric.n, c.b.metric.n) > 1 for c in self.judged):
            return (
                "cannot tell with n=1: a configuration with a single completed seed gives no "
                "noise estimate for its difference (add seeds)"
            )
        return (
            "cannot tell: one seed per configuration gives no noise estimate "
            "(add CONFIG_SEED=0|1|2)"
        )


def symbol_effects(
    records: Sequence[dict[str, Any]],
    groups: Sequence[Group],
    symbols: Sequence[str],
    metric: MetricSpec,
    best: Group | None,
) -> list[SymbolEffect]:
    """One :class:`SymbolEffect` per non-seed swept symbol, in the order given."""
    return [_effect(records, groups, symbol, symbols, metric, best) for symbol in symbols]


def _levels(records, groups: Sequence[Group], symbol: str, metric: MetricSpec) -> list[Level]:
    values: list[Any] = []
    for record in records:
        if record.get(symbol) not in values:
            values.append(record.get(symbol))
    levels = []
    for value in values:
        members = [r for g in groups if g.settings.get(symbol) == value for r in g.records]
        counted = [r for r in members if _ranked(r) and not outcome_of(r)]
        outcomes = sum(1 for r in members if outcome_of(r))
        summary = summarize([r.get(metric.name) for r in counted], metric.bounds)
        levels.append(Level(value, summary, outcomes))
    return levels


def _ranked(record: dict[str, Any]) -> bool:
    state = state_of(record)
    return state is not None and state.successful


def _effect(records, groups, symbol, symbols, metric: MetricSpec, best) -> SymbolEffect:
    levels = _levels(records, groups, symbol, metric)
    others = [s for s in symbols if s != symbol]
    slices: dict[tuple, list[Group]] = {}
    left_out = [g for g in groups if g.metric.mean is not None and g.outcomes]
    for group in groups:
        if group.metric.mean is not None and not group.outcomes:
            key = tuple(repr(group.settings.get(s)) for s in others)
            slices.setdefault(key, []).append(group)
    judged = [
        evidence.compare(a, b, metric)
        for members in slices.values()
        for i, a in enumerate(members)
        for b in members[i + 1 :]
    ]
    kinds = {c.kind for c in judged}
    apart = sum(1 for c in judged if c.kind == evidence.APART)
    if apart:
        verdict = MATTERS
    elif judged and kinds == {evidence.IDENTICAL}:
        verdict = IDENTICAL
    elif evidence.UNRESOLVED in kinds:
        verdict = CANNOT_TELL
    elif evidence.NO_ESTIMATE in kinds or not judged:
        verdict = UNKNOWN
    else:
        verdict = NO_DIFFERENCE
    best_value = best.settings.get(symbol) if best is not None else None
    return SymbolEffect(
        symbol, levels, verdict, apart, len(judged), best_value, metric, judged, len(left_out)
    )
