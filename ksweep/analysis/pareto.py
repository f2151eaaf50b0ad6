"""The Pareto front of a trade-off study, on seed means, with the seed noise.

With several objectives (``OBJECTIVES=val/acc:max,params:min``) no configuration
is "the best"; what the numbers support is the *front*: the configurations no
other one beats on every objective. It is computed on the configurations'
seed means, in this order:

1. Configurations whose values do not measure their settings are kept out, as
   the single-metric analysis keeps them out of "within noise": no seed
   completed, a seed diverged or ended at chance (an outcome, see
   :mod:`ksweep.analysis.outcomes`), stopped early by a rule (its values are
   from an earlier epoch), or an objective not recorded.
2. The constraints (``CONSTRAINTS=params<=8000``) are applied to the seed means
   of what is left: a configuration that breaks one is listed apart, with the
   constraint and its value, and is never ranked or put on the front.
3. Non-dominated sorting ranks the rest: rank 1 is the front.

**On the front within noise**: a configuration off the front that no other
dominates *beyond noise*. ``p`` dominates ``c`` beyond noise when it dominates
``c`` on the seed means and, on at least one objective where ``p`` is better,
the 95% interval of the difference excludes 0. The intervals are those of the
one noise model (:mod:`ksweep.analysis.noise`: each metric's seed variance
pooled across configurations) and the difference interval is the one every
comparison uses (:func:`ksweep.analysis.stats.welch_difference`). A metric that
does not vary between seeds (the sparsity a pruning target fixes, the
parameter count) has zero noise: any difference in it is measured. With one
seed per configuration there is no noise estimate and nothing is called
within noise.
"""

from __future__ import annotations

from dataclasses import dataclass

from ksweep.analysis.core import Analysis
from ksweep.analysis.metrics import MetricSpec, spec
from ksweep.analysis.outcomes import AT_CHANCE, DIVERGED, outcome_of
from ksweep.analysis.stats import Group, Summary, group_records, welch_difference
from ksweep.objectives import Constraint, Objectives, dominates, pareto_ranks


@dataclass(frozen=True)
class Point:
    """A ranked configuration: its seed summaries per objective and its Pareto rank."""

    group: Group
    summaries: tuple[Summary, ...]  # one per objective, in objective order, pooled noise
    rank: int  # 1: on the front
    within_noise: bool = False  # off the front, but nothing dominates it beyond noise
    beaten_by: tuple[str, ...] = ()  # the configurations that dominate it beyond noise

    @property
    def means(self) -> tuple[float, ...]:
        return tuple(s.mean for s in self.summaries)  # type: ignore[misc]

    @property
    def on_front(self) -> bool:
        return self.rank == 1


@dataclass(frozen=True)
class Violator:
    """A configuration that breaks a constraint: listed apart, never ranked."""

    group: Group
    summaries: tuple[Summary, ...]  # per objective, for the table
    broken: tuple[tuple[Constraint, float | None], ...]  # each broken one and its seed mean


@dataclass(frozen=True)
class KeptOut:
    """A configuration whose values cannot be ranked, and why."""

    group: Group
    reason: str


@dataclass(frozen=True)
class Front:
    """The front and everything around it, computed once for every output."""

    objectives: Objectives
    specs: tuple[MetricSpec, ...]  # each objective's metric spec, in objective order
    points: tuple[Point, ...]  # ranked configurations: by rank, then the first objective
    violators: tuple[Violator, ...]
    kept_out: tuple[KeptOut, ...]
    noise: bool  # whether any objective has a noise estimate (a configuration with 2 seeds)

    @property
    def front(self) -> list[Point]:
        return [p for p in self.points if p.on_front]

    @property
    def within(self) -> list[Point]:
        return [p for p in self.points if p.within_noise]

    def point_of(self, group: Group) -> Point | None:
        return next((p for p in self.points if p.group.name == group.name), None)

    def meets_constraints(self, group: Group) -> bool | None:
        """True for a ranked configuration, False for a violator, None when not judged."""
        if any(v.group.name == group.name for v in self.violators):
            return False
        return True if self.point_of(group) is not None else None


def front_columns(front: Front, group: Group) -> dict[str, object]:
    """``results.csv``'s columns of a trade-off study for one configuration's rows."""
    point = front.point_of(group)
    return {
        "pareto_rank": point.rank if point is not None else None,
        "on_front_within_noise": point.within_noise if point is not None else None,
        "meets_constraints": front.meets_constraints(group),
    }


def pareto_front(analysis: Analysis) -> Front | None:
    """The front of ``analysis`` by its objectives; None without objectives."""
    objectives = analysis.objectives
    if objectives is None:
        return None
    per_metric = [
        group_records(analysis.records, analysis.varying_symbols, metric)
        for metric in objectives.metrics
    ]
    stopped = {g.name for g in analysis.ranking.stopped}
    candidates: list[tuple[Group, tuple[Summary, ...]]] = []
    violators: list[Violator] = []
    kept_out: list[KeptOut] = []
    for at, group in enumerate(per_metric[0]):
        summaries = tuple(groups[at].metric for groups in per_metric)
        reason = _kept_out_reason(group, summaries, objectives, group.name in stopped)
        if reason is not None:
            kept_out.append(KeptOut(group, reason))
            continue
        broken = _broken(group, objectives)
        if broken:
            violators.append(Violator(group, summaries, broken))
        else:
            candidates.append((group, summaries))
    points = _ranked(candidates, objectives)
    noise = any(s.has_interval for p in points for s in p.summaries)
    specs = tuple(spec(metric) for metric in objectives.metrics)
    return Front(objectives, specs, tuple(points), tuple(violators), tuple(kept_out), noise)


def _kept_out_reason(
    group: Group, summaries: tuple[Summary, ...], objectives: Objectives, stopped: bool
) -> str | None:
    """Why a configuration cannot stand on a front (None: it can)."""
    outcomes = [outcome_of(r) for r in group.records]
    if DIVERGED in outcomes:
        return "a seed diverged"
    if AT_CHANCE in outcomes:
        return "a seed ended at chance"
    if not group.completed:
        return "no seed completed"
    if stopped or group.pruned:
        return "stopped early by a rule (its values are from an earlier epoch)"
    missing = [m for m, s in zip(objectives.metrics, summaries, strict=True) if s.mean is None]
    if missing:
        return f"did not record {', '.join(missing)}"
    return None


def _broken(group: Group, objectives: Objectives) -> tuple[tuple[Constraint, float | None], ...]:
    """The constraints the configuration's seed means break, each with its mean."""
    means = {c.metric: group.summary(c.metric).mean for c in objectives.constraints}
    return tuple((c, means[c.metric]) for c in objectives.violated(means))


def _ranked(
    candidates: list[tuple[Group, tuple[Summary, ...]]], objectives: Objectives
) -> list[Point]:
    """Non-dominated sorting of the candidates' seed means, and who is within noise."""
    goals = objectives.goals
    means = [tuple(s.mean for s in summaries) for _, summaries in candidates]
    ranks = pareto_ranks(means, goals)  # type: ignore[arg-type]
    points = []
    for (group, summaries), rank, mean in zip(candidates, ranks, means, strict=True):
        beaten_by = tuple(
            other.name
            for (other, theirs), their_mean in zip(candidates, means, strict=True)
            if dominates(their_mean, mean, goals)  # type: ignore[arg-type]
            and beyond_noise(theirs, summaries, goals)
        )
        judged = any(s.has_interval for s in summaries)
        within = rank > 1 and judged and not beaten_by
        points.append(Point(group, summaries, rank, within, beaten_by))
    first = objectives.primary

    def order(point: Point) -> tuple:
        return (point.rank, -first.oriented(point.means[0]), point.group.name)

    return sorted(points, key=order)


def beyond_noise(
    better: tuple[Summary, ...], worse: tuple[Summary, ...], goals: tuple[str, ...]
) -> bool:
    """Whether ``better`` beats ``worse`` beyond noise on at least one objective: it is better
    there and the 95% interval of the difference excludes 0 (no interval: it cannot tell)."""
    for b, w, goal in zip(better, worse, goals, strict=True):
        assert b.mean is not None and w.mean is not None
        ahead = b.mean > w.mean if goal == "max" else b.mean < w.mean
        if not ahead:
            continue
        change, half = welch_difference(w, b)
        if half is not None and abs(change) > half:
            return True
    return False
