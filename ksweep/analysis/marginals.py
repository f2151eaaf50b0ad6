"""Per swept symbol: its marginal means, and whether it made a measurable difference.

The marginal mean of a value is the metric averaged over every completed
trial with that value, whatever the other symbols were. Marginals alone can
mislead (a symbol that does nothing inherits the spread of one that does),
so the verdict compares like with like: configurations that differ *only*
in this symbol. If all of those pairs are within noise, the symbol made no
measurable difference; if any pair is apart beyond noise, it matters; with
one seed per configuration and unequal values there is no way to tell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ksweep.analysis.stats import Group, Summary, is_completed, overlap, summarize

MATTERS = "matters"
NO_DIFFERENCE = "no measurable difference"
IDENTICAL = "no difference at all"
UNKNOWN = "cannot tell"


@dataclass(frozen=True)
class Level:
    """One value of a symbol and the metric over all completed trials that had it."""

    value: Any
    summary: Summary


@dataclass(frozen=True)
class SymbolEffect:
    """A swept symbol's marginal means and the verdict on its effect."""

    symbol: str
    levels: list[Level]
    verdict: str  # MATTERS, NO_DIFFERENCE, IDENTICAL or UNKNOWN
    apart: int  # like-for-like comparisons apart beyond noise
    comparisons: int  # like-for-like comparisons made (pairs differing only in the symbol)
    best_value: Any  # the value with the best marginal mean

    def sentence(self) -> str:
        """The verdict in words, for the text and the report."""
        if self.comparisons == 0:
            return (
                "cannot tell: no two configurations differ only in it "
                "(the other symbols never repeat with a different value of it)"
            )
        if self.verdict == MATTERS:
            return (
                f"matters: {self.apart} of {self.comparisons} like-for-like comparisons are "
                f"apart beyond noise; best value {self.best_value}"
            )
        if self.verdict == IDENTICAL:
            return "made no difference at all: identical results for every value"
        if self.verdict == NO_DIFFERENCE:
            return (
                "made no measurable difference: configurations that differ only in it "
                "are within noise of each other"
            )
        return (
            "cannot tell: one seed per configuration gives no noise estimate "
            "(add CONFIG_SEED=0|1|2)"
        )


def symbol_effects(
    records: Sequence[dict[str, Any]],
    groups: Sequence[Group],
    symbols: Sequence[str],
    metric: str,
    goal: str,
) -> list[SymbolEffect]:
    """One :class:`SymbolEffect` per non-seed swept symbol, in the order given."""
    return [_effect(records, groups, symbol, symbols, metric, goal) for symbol in symbols]


def _effect(records, groups, symbol, symbols, metric, goal) -> SymbolEffect:
    values: list[Any] = []
    for record in records:
        if record.get(symbol) not in values:
            values.append(record.get(symbol))
    levels = [
        Level(
            value,
            summarize(
                [r.get(metric) for r in records if is_completed(r) and r.get(symbol) == value]
            ),
        )
        for value in values
    ]
    others = [s for s in symbols if s != symbol]
    slices: dict[tuple, list[Group]] = {}
    for group in groups:
        if group.metric.mean is not None:
            key = tuple(repr(group.settings.get(s)) for s in others)
            slices.setdefault(key, []).append(group)
    apart = unknown = comparisons = 0
    identical = True
    for members in slices.values():
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                comparisons += 1
                if sorted(a.metric.values) != sorted(b.metric.values):
                    identical = False  # some value moved: not a symbol the trainer ignores
                if overlap(a.metric, b.metric):
                    continue
                if a.metric.has_interval or b.metric.has_interval:
                    apart += 1
                else:
                    unknown += 1
    if apart:
        verdict = MATTERS
    elif comparisons and identical:
        verdict = IDENTICAL
    elif unknown or not comparisons:
        verdict = UNKNOWN
    else:
        verdict = NO_DIFFERENCE
    scored = [lv for lv in levels if lv.summary.mean is not None]
    sign = -1.0 if goal == "max" else 1.0
    best = min(scored, key=lambda lv: sign * lv.summary.mean).value if scored else None
    return SymbolEffect(symbol, levels, verdict, apart, comparisons, best)
