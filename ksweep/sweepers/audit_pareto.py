"""The replay of the multi-objective stop rule on complete curves, and its i-Epoch baseline.

The Pareto counterpart of :mod:`ksweep.sweepers.audit`: the rule is run over
a finished sweep's curves exactly as the live loop runs it (judging order,
rungs, each configuration seeing only what the rule would have let run), and
what it costs and keeps is set beside the i-Epoch baseline at the same
trial-epochs or fewer: every configuration ``k`` epochs, then as many as that
budget allows run to the end, taken in Pareto order at epoch ``k`` (the same
order the rule keeps by, :func:`ksweep.sweepers.pareto_order.pareto_order`). What
is compared is the share of the full sweep's front each one keeps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ksweep.analysis.stats import summarize
from ksweep.objectives import Objective
from ksweep.sweepers.audit import Replay, i_epoch_kept, replay_with
from ksweep.sweepers.pareto_order import pareto_order
from ksweep.sweepers.pareto_stopping import ParetoCurve, SeedPoints, pareto_verdict
from ksweep.sweepers.stopping import RuleSettings, Verdict

# configuration -> per seed: epoch -> one value per objective a rung reads
PointCurves = Mapping[str, Sequence[SeedPoints]]


def _curve(name: str, seeds: Sequence[SeedPoints], stop: int | None) -> ParetoCurve:
    cut = tuple({e: p for e, p in seed.items() if stop is None or e <= stop} for seed in seeds)
    ends = tuple(stop if stop is not None else max(seed, default=0) for seed in seeds)
    return ParetoCurve(name, cut, len(seeds), ends)


def pareto_replay(
    settings: RuleSettings,
    curves: PointCurves,
    epochs: int,
    objectives: Sequence[Objective],
    grid: bool = False,
    listed: bool = True,
) -> Replay:
    """Run the Pareto form of ``settings``'s rule over complete ``curves`` as the live loop
    would (see :func:`~ksweep.sweepers.audit.replay_with`)."""

    def judge(known: Sequence[ParetoCurve], name: str, rung: int) -> Verdict:
        return pareto_verdict(settings, known, name, rung, objectives, listed)

    return replay_with(settings, curves, epochs, grid, _curve, judge)


@dataclass(frozen=True)
class ParetoFrontPoint:
    """One point of the i-Epoch baseline: every configuration ``k`` epochs, the first
    ``kept`` in Pareto order at epoch k to the end; its cost and the front it keeps."""

    k: int
    kept: int
    configurations: int
    trial_epochs: int
    front_kept: tuple[str, ...]  # the full sweep's front configurations it ran to the end


def _point_at(seeds: Sequence[SeedPoints], k: int, count: int) -> list[float] | None:
    means = []
    for index in range(count):
        found = [seed[k][index] for seed in seeds if k in seed]
        mean = summarize([v for v in found if v is not None]).mean
        if mean is None:
            return None
        means.append(mean)
    return means


def pareto_i_epoch_front(
    curves: PointCurves,
    epochs: int,
    objectives: Sequence[Objective],
    budget: int,
    front: Sequence[str],
) -> list[ParetoFrontPoint]:
    """The i-Epoch baseline at ``budget`` trial-epochs or fewer, for each k below ``epochs``;
    a k at which not even one configuration can go on within the budget has no point."""
    goals = [o.goal for o in objectives]
    points = []
    for k in range(1, epochs):
        at_k = {n: _point_at(seeds, k, len(objectives)) for n, seeds in curves.items()}
        ranked = [n for n in sorted(curves) if at_k[n] is not None]
        order = pareto_order(ranked, [at_k[n] for n in ranked], goals) if ranked else []
        kept, spent = i_epoch_kept(curves, [name for name, _ in order], k, budget)
        if kept:
            found = tuple(n for n in front if n in kept)
            points.append(ParetoFrontPoint(k, len(kept), len(curves), spent, found))
    return points
