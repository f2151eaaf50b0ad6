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
from ksweep.analysis.metrics import AUTO, MetricSpec, auto_metric, check_goal, spec
from ksweep.analysis.stats import (
    SEED_SYMBOL,
    Group,
    Ranking,
    group_records,
    non_seed,
    rank,
)
from ksweep.objectives import Objectives
from ksweep.sweep.states import state_of


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
    auto: bool = False  # the metric was chosen by METRIC=auto (CONFIG_SWEEP_METRIC's default)
    source: str | None = None  # who asked for the metric: 'METRIC=x', 'CONFIG_SWEEP_METRIC="x"'
    # A trade-off study's objectives and constraints (the metric above is the first
    # objective); None when the sweep ranks by one metric without constraints.
    objectives: Objectives | None = None

    @property
    def symbols(self) -> list[str]:
        """The swept hyperparameters: every varying symbol but the seed."""
        return non_seed(self.varying_symbols)

    @property
    def seeds_swept(self) -> bool:
        return SEED_SYMBOL in self.varying_symbols

    @property
    def completed(self) -> list[dict[str, Any]]:
        """The trials whose metrics count (completed, or pruned by a rule with its metrics)."""
        return [r for g in self.groups for r in g.completed]

    @property
    def failed(self) -> list[dict[str, Any]]:
        """Trials in a failure state (failed, timeout, diverged): never ranked."""
        return [r for g in self.groups for r in g.failed]

    @property
    def not_run(self) -> list[dict[str, Any]]:
        """Trials neither counted nor failed: skipped, interrupted, or of unknown state."""
        failed = {id(r) for r in self.failed}
        return [r for g in self.groups for r in g.not_counted if id(r) not in failed]

    @property
    def has_validation(self) -> bool:
        from ksweep.analysis.findings import has_validation

        return has_validation(self.records)

    @property
    def all_at_chance(self) -> bool:
        """Every counted trial ends at chance: nothing learned, no winner."""
        from ksweep.analysis.findings import at_chance

        return bool(self.completed) and all(at_chance(r) for r in self.completed)

    @property
    def winner(self) -> Group | None:
        """The best configuration, unless nothing learned (every trial at chance)."""
        return None if self.all_at_chance else self.ranking.best

    def seed_values(self) -> list[Any]:
        seen: list[Any] = []
        for record in self.records:
            if record.get("seed") not in seen:
                seen.append(record.get("seed"))
        return seen

    def settings_of(self, record: dict[str, Any]) -> dict[str, Any]:
        return {symbol: record.get(symbol) for symbol in self.varying_symbols}


def analyze(
    records: Sequence[dict[str, Any]],
    varying_symbols: Sequence[str],
    metric: str = AUTO,
    goal: str | None = None,
    source: str | None = None,
) -> Analysis:
    """Group, rank and judge ``records`` by ``metric`` (goal defaults to the metric's own).

    ``auto`` ranks by val/acc when the trials recorded it, else by test_acc; ``source``
    says who asked for the metric, for the sentence that names the selecting split."""
    records = list(records)
    auto = metric == AUTO
    metric_spec = spec(auto_metric(records) if auto else metric)
    goal = check_goal(goal or metric_spec.goal)
    varying = list(varying_symbols)
    groups = group_records(records, varying, metric_spec.name)
    ranking = rank(groups, metric_spec.name, goal)
    # A stopped configuration's values are from an earlier epoch: marginals compare only
    # configurations that ran to the end.
    finished = [g for g in groups if not any(g is s for s in ranking.stopped)]
    counted = [r for g in finished for r in g.records]
    effects = symbol_effects(counted, finished, non_seed(varying), metric_spec, ranking.best)
    notes = []
    if goal != metric_spec.goal:
        natural = "higher" if metric_spec.goal == "max" else "lower"
        notes.append(
            f"GOAL={goal} ranks {metric_spec.name} the other way round from usual ({natural} "
            f"is usually better; GOAL={metric_spec.goal})."
        )
    successful = [r for r in records if (state := state_of(r)) is not None and state.successful]
    missing = [r for r in successful if r.get(metric_spec.name) is None]
    if missing:
        notes.append(not_recorded_note(metric_spec, len(missing), len(missing) == len(successful)))
    return Analysis(
        records, varying, metric_spec, goal, groups, ranking, effects, notes, auto, source
    )


def why_not_recorded(metric: MetricSpec) -> str:
    if metric.name.startswith("val") or "best_val" in metric.name:
        return "it exists only with a validation split, CONFIG_VAL_FRACTION > 0"
    return "older trials may predate it"


def not_recorded_note(metric: MetricSpec, count: int, every: bool) -> str:
    """``N completed trials did not record M``: not recorded, which is not a failure."""
    why = why_not_recorded(metric)
    if every:
        trials = "trial" if count == 1 else f"{count} trials"
        return (
            f"The {trials} that finished did not record {metric.name} ({why}): not recorded, "
            "which is not a failure; nothing can be ranked by it."
        )
    trials = "trial" if count == 1 else "trials"
    return (
        f"{count} finished {trials} did not record {metric.name} ({why}): not recorded, not "
        f"failed; {'it is' if count == 1 else 'they are'} not ranked."
    )
