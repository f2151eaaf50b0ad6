"""Early stopping on Pareto rank (MOASHA): what ASHA and top-k do when a sweep has several
objectives.

``EARLY_STOP=asha`` (or ``topk``) on a sweep with ``OBJECTIVES=`` of two or
more metrics keeps its rungs and its share (the top ``1/ES_FACTOR`` of the
configurations judged at the rung so far, or the top ``ES_TOPK_KEEP`` of all
of them) and changes only what "top" means, as Syne Tune's MOASHA does
(Schmucker et al., 2021): the configurations at the rung are put in
non-dominated sorting order, ties inside the front the cut falls in broken by
crowding distance, then by name (:mod:`ksweep.sweepers.pareto_order`). No new rule
name: the schedule is ASHA's, with the same ES_GRACE and ES_FACTOR, and a
sweep's objectives already say what is compared (one objective: the rule is
exactly the single-objective one). The median rule has no Pareto form (a
median of points is not defined) and is refused with several objectives.

**Honest stops.** A configuration outside the kept share is stopped only when
a *kept* configuration dominates it beyond noise: even at the best end of its
95% intervals (the seeds' noise pooled per objective over the configurations
at the rung, :mod:`ksweep.analysis.noise`) it is no better on any objective
and worse on one. So a configuration on the rung's front, or within noise of
a kept one, always goes on, whatever the crowding tie-break said. With one
seed per configuration there is no noise estimate: the intervals are points,
the stop is plain dominance of single values, and its decision says "no
noise estimate" (as the README states for every rule).

**What a rung sees.** The objectives the trials report every epoch are read
at the rung epoch. Two of ksweep's end-of-trial figures have a stand-in:
``training_time`` is the sum of the ``epoch_time`` rows up to the rung (the
same kind of number, at the same epoch for every configuration compared),
and ``final_sparsity`` the sparsity the trial's config prunes to
(``CONFIG_TARGET_SPARSITY``, which ksweep's trainer reaches by the end of its
ramp; 0 without pruning), else, for a config that does not say (a script's),
the ``sparsity`` row at the rung. Not the measured sparsity for ksweep's
trainer: during the ramp it is below the final one, most for the highest
targets, which would be compared as less sparse than they will end (before
the ramp starts, every configuration measures 0). Costs known only at the end (``params``,
``epochs_run``, ...) are left out at the rungs: the rung ranks by the rest.
``epochs_run`` is the same for every configuration at a rung, so that loses
nothing; ``params`` can (a small model that learns more slowly may be
stopped), which the sweep warns about and ``make sweep-audit-stop`` measures
(the share of the full sweep's front it keeps). An objective no configuration
at the rung has a number for is left out there too; a configuration missing
one that others have is not compared, and goes on. Constraints are not
applied at the rungs (most bound end-of-trial costs such as ``params``, and a
value mid-run says nothing of the final one): a configuration that will break
one can be kept at a rung; the audit applies them to the front it checks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ksweep.analysis.metrics import bounds_of
from ksweep.analysis.noise import pool, with_noise
from ksweep.analysis.stats import Summary, summarize
from ksweep.objectives import Objective, Objectives
from ksweep.sweepers.pareto_order import dominated_beyond_noise, pareto_order
from ksweep.sweepers.stopping import (
    CONTINUE,
    STOP,
    SUMMARY_ONLY,
    WAIT,
    RuleSettings,
    Verdict,
    judged_among,
    seeds_settled,
)

# End-of-trial figures with a stand-in in every epoch's row: (row field, summed up to the rung).
STAND_INS = {"final_sparsity": ("sparsity", False), "training_time": ("epoch_time", True)}
STAND_IN_TEXT = {  # what a rung reads for them, in words
    "final_sparsity": "the configured target sparsity, else the sparsity row",
    "training_time": "the summed epoch_time",
}
# ksweep's end-of-trial figures that no epoch row has: left out at the rungs.
END_ONLY = (SUMMARY_ONLY - set(STAND_INS)) | {
    "params",
    "epochs_run",
    "wall_time",
    "setup_time",
}
SeedPoints = Mapping[int, Sequence[float | None]]  # epoch -> one value per objective (None: none)


def judged_at_rungs(objectives: Objectives) -> tuple[list[Objective], list[Objective]]:
    """The objectives a rung can read (from the rows, or their stand-ins), and those left out."""
    judged = [o for o in objectives.objectives if o.metric not in END_ONLY]
    return judged, [o for o in objectives.objectives if o.metric in END_ONLY]


def configured_sparsity(config: Mapping[str, str]) -> float | None:
    """The sparsity a ksweep trainer config prunes to (0 without pruning); None when the
    config does not say (a script's)."""
    method = config.get("PRUNING_METHOD")
    if method is None:
        return None
    if method == "none":
        return 0.0
    try:
        return float(config.get("TARGET_SPARSITY", ""))
    except ValueError:
        return None


def seed_points(
    rows: Sequence[Mapping],
    objectives: Sequence[Objective],
    config: Mapping[str, str] | None = None,
) -> dict[int, list]:
    """One seed's value of each objective at each epoch it reported, as a rung reads it;
    ``config``: the trial's config values (unprefixed), where a target sparsity is read."""
    points: dict[int, list] = {}
    totals: dict[str, float] = {}
    target = configured_sparsity(config or {})
    for row in sorted((r for r in rows if isinstance(r.get("epoch"), int)), key=_epoch):
        point = []
        for objective in objectives:
            field_, summed = STAND_INS.get(objective.metric, (objective.metric, False))
            value = row.get(field_)
            if objective.metric == "final_sparsity" and target is not None:
                value = target
            number = _number(value)
            if summed and number is not None:
                totals[field_] = totals.get(field_, 0.0) + number
                number = totals[field_]
            point.append(number)
        points[row["epoch"]] = point
    return points


@dataclass(frozen=True)
class ParetoCurve:
    """One configuration's seeds, each an epoch -> point map, and how far each can still go
    (None: still running or not started; an int: it ended at that epoch)."""

    name: str
    seeds: tuple[SeedPoints, ...]
    size: int  # trials in the configuration
    ended_at: tuple[int | None, ...] = field(default=())

    def settled(self, epoch: int) -> bool:
        """Whether its values at ``epoch`` are final: every seed reached it or ended before."""
        reached = sum(1 for seed in self.seeds if epoch in seed)
        return seeds_settled(reached, self.ended_at, self.size, epoch)

    def values(self, epoch: int, index: int) -> tuple[float, ...]:
        """The seeds' values of objective ``index`` at ``epoch``."""
        found = (seed[epoch][index] for seed in self.seeds if epoch in seed)
        return tuple(v for v in found if v is not None)


def pareto_verdict(
    settings: RuleSettings,
    configs: Sequence[ParetoCurve],
    subject: str,
    epoch: int,
    objectives: Sequence[Objective],
    listed: bool = True,
) -> Verdict:
    """What to do with configuration ``subject`` at ``epoch``; ``configs`` in judging order,
    their points holding ``objectives`` (the ones a rung reads) in that order; ``listed``
    as for :func:`~ksweep.sweepers.stopping.verdict` (the same peers, the same cohort)."""
    peers = judged_among(settings, list(configs), subject, listed)
    if not all(c.settled(epoch) for c in peers):
        return Verdict(WAIT)
    used = [i for i in range(len(objectives)) if any(c.values(epoch, i) for c in peers)]
    compared = [c for c in peers if used and all(c.values(epoch, i) for i in used)]
    if subject not in {c.name for c in compared}:
        return Verdict(CONTINUE)
    goals = [objectives[i].goal for i in used]
    noise = {i: pool([c.values(epoch, i) for c in compared]) for i in used}
    summaries = {
        c.name: [
            with_noise(summarize(c.values(epoch, i), bounds_of(objectives[i].metric)), noise[i])
            for i in used
        ]
        for c in compared
    }
    means = {name: [s.mean for s in found] for name, found in summaries.items()}
    names = [c.name for c in compared]
    order = pareto_order(names, [means[n] for n in names], goals)
    share = 1 / settings.factor if settings.rule == "asha" else settings.keep
    kept = [name for name, _ in order[: max(1, math.ceil(len(order) * share))]]
    rank = dict(order)[subject]
    which = "judged at this rung so far" if settings.rule == "asha" else "in the sweep"
    evidence = {
        "rule": settings.rule,
        "epoch": epoch,
        "objectives": [objectives[i].text() for i in used],
        "value": means[subject],
        "intervals": [[s.low, s.high] for s in summaries[subject]],
        "pareto_rank": rank,
        "kept": kept,
        "threshold_is": f"the top {len(kept)} of the {len(order)} configurations {which}, in "
        "Pareto order (non-dominated rank, then crowding distance, then name)",
        "noise": {objectives[i].metric: noise[i].describe() for i in used},
        "compared": means,
    }
    if subject in kept:
        return Verdict(CONTINUE, evidence)
    keepers = [k for k in kept if dominated_beyond_noise(summaries[k], summaries[subject], goals)]
    if not keepers:
        return Verdict(CONTINUE, {**evidence, "why_not": "no kept configuration dominates it "
                                  "beyond noise"})  # fmt: skip
    estimated = any(noise[i].estimated for i in used)
    seeds = (
        f" (95% intervals, {'; '.join(noise[i].describe() for i in used)})"
        if estimated
        else " (one seed per configuration: no noise estimate, single values compared)"
    )
    evidence["dominated_by"] = keepers
    evidence["summary"] = (
        f"stopped by {settings.rule} on Pareto rank at epoch {epoch}: "
        f"{_point(summaries[subject], objectives, used)} is Pareto rank {rank}, outside "
        f"{evidence['threshold_is']}, and {keepers[0]} (kept, "
        f"{_point(summaries[keepers[0]], objectives, used)}) dominates it beyond noise{seeds}"
    )
    return Verdict(STOP, {**evidence, "state": "pruned"})


def _point(found: Sequence[Summary], objectives: Sequence[Objective], used: list[int]) -> str:
    return ", ".join(
        f"{objectives[i].metric} {s.mean:.4g}" for s, i in zip(found, used, strict=True)
    )


def _epoch(row: Mapping) -> int:
    return int(row["epoch"])


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)
