"""One sweep's analysis computed once: groups, ranking, symbol effects, notes.

The text, the tables, the report and the plot data all read the same
:class:`Analysis`, so they can never disagree about which configuration is
best or which ones are within noise of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ksweep.analysis.marginals import SymbolEffect, symbol_effects
from ksweep.analysis.metrics import MetricSpec, check_goal, spec
from ksweep.analysis.stats import (
    SEED_SYMBOL,
    Group,
    Ranking,
    group_records,
    is_completed,
    non_seed,
    rank,
)


@dataclass(frozen=True)
class Analysis:
    records: list[dict[str, Any]]
    varying_symbols: list[str]  # as the sweep lists them, CONFIG_SEED included
    metric: MetricSpec
    goal: str
    groups: list[Group]
    ranking: Ranking
    effects: list[SymbolEffect]
    notes: list[str]  # things a reader must know about the ranking itself

    @property
    def symbols(self) -> list[str]:
        """The swept hyperparameters: every varying symbol but the seed."""
        return non_seed(self.varying_symbols)

    @property
    def seeds_swept(self) -> bool:
        return SEED_SYMBOL in self.varying_symbols

    @property
    def completed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if is_completed(r)]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if not is_completed(r)]

    def seed_values(self) -> list[Any]:
        seen: list[Any] = []
        for record in self.records:
            if record.get("seed") not in seen:
                seen.append(record.get("seed"))
        return seen


def analyze(
    records: Sequence[dict[str, Any]],
    varying_symbols: Sequence[str],
    metric: str = "test_acc",
    goal: str | None = None,
) -> Analysis:
    """Group, rank and judge ``records`` by ``metric`` (goal defaults to the metric's own)."""
    metric_spec = spec(metric)
    goal = check_goal(goal or metric_spec.goal)
    records = list(records)
    varying = list(varying_symbols)
    groups = group_records(records, varying, metric)
    ranking = rank(groups, metric, goal)
    effects = symbol_effects(records, groups, non_seed(varying), metric, goal)
    notes = []
    if goal != metric_spec.goal:
        natural = "higher" if metric_spec.goal == "max" else "lower"
        notes.append(
            f"GOAL={goal} ranks {metric} the other way round from usual ({natural} is usually "
            f"better; GOAL={metric_spec.goal})."
        )
    missing = [r for r in records if is_completed(r) and r.get(metric) is None]
    if missing:
        notes.append(
            f"{len(missing)} completed trial{'s' if len(missing) != 1 else ''} recorded no "
            f"{metric}; {'they are' if len(missing) != 1 else 'it is'} not ranked."
        )
    return Analysis(records, varying, metric_spec, goal, groups, ranking, effects, notes)
