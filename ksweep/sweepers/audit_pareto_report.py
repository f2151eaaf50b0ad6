"""The audit of the multi-objective stop rule on a finished sweep, in words.

What a user of ``EARLY_STOP=asha`` with ``OBJECTIVES=`` needs to decide: the
full sweep's front (the configurations no other beats on every objective, on
their seed means, after the constraints), whether the rule replayed on the
sweep's curves would have kept every one of them to the end (or what share),
what it saves, and what the i-Epoch baseline keeps of the front at the same
trial-epochs or fewer. Configurations that break a constraint, or with a
seed that diverged or ended at chance, are never on the front (as the search
is told: the worst) and are listed apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ksweep.analysis.core import Analysis, analyze
from ksweep.analysis.metrics import spec
from ksweep.analysis.pareto import pareto_front
from ksweep.objectives import Objectives
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.states import TrialState
from ksweep.sweep.trialfiles import config_values, epochs
from ksweep.sweepers.audit import RAN_AS_ASKED, counted
from ksweep.sweepers.audit_pareto import PointCurves, pareto_i_epoch_front, pareto_replay
from ksweep.sweepers.pareto_stopping import STAND_IN_TEXT, judged_at_rungs, seed_points
from ksweep.sweepers.stopping import RuleSettings


def point_curves(folder: SweepFolder, groups, judged) -> tuple[PointCurves, int]:
    """Every rung point a live rule saw (:data:`~ksweep.sweepers.audit.RAN_AS_ASKED`
    trials), by configuration, and the longest run."""
    curves: dict[str, list] = {}
    longest = 0
    for group in groups:
        for record in group.records:
            if TrialState.of(record.get("status")) not in RAN_AS_ASKED:
                continue
            trial = folder.trial_of(record)
            points = seed_points(epochs(trial), judged, config_values(trial))
            if points:
                curves.setdefault(group.name, []).append(points)
                longest = max(longest, max(points))
    return curves, longest


@dataclass(frozen=True)
class FullFront:
    """The full sweep's front as the analysis computes it (:mod:`ksweep.analysis.pareto`,
    the one owner of what the front is), in the names an audit reports."""

    front: list[str]  # on the front (seed means)
    within: list[str]  # on the front within noise
    apart: dict[str, str]  # not ranked: why
    points: dict[str, list[float]]  # every ranked configuration's seed means


def full_front(analysis: Analysis, objectives: Objectives) -> FullFront:
    """The front of the full sweep ``analysis`` by ``objectives``, constraints applied."""
    found = pareto_front(replace(analysis, objectives=objectives))
    assert found is not None
    apart = {k.group.name: k.reason for k in found.kept_out}
    for violator in found.violators:
        apart[violator.group.name] = "breaks " + ", ".join(c.text() for c, _ in violator.broken)
    return FullFront(
        [p.group.name for p in found.front],
        [p.group.name for p in found.within],
        apart,
        {p.group.name: list(p.means) for p in found.points},
    )


def _shown(objectives: Objectives, point: Sequence[float]) -> str:
    return ", ".join(
        f"{o.metric} {spec(o.metric).shown(v)}"
        for o, v in zip(objectives.objectives, point, strict=True)
    )


def pareto_audit_text(
    folder: SweepFolder,
    records: Sequence[dict[str, Any]],
    varying: Sequence[str],
    settings: RuleSettings,
    objectives: Objectives,
    grid: bool,
    listed: bool = True,
) -> str:
    """The audit of ``settings``'s Pareto rule on the finished sweep in ``folder``
    (``grid``, ``listed``: as the live rule judged it).

    Raises ValueError (the caller's AuditError) when the sweep cannot be audited."""
    judged, left_out = judged_at_rungs(objectives)
    if settings.rule == "median" or not judged:
        raise ValueError(
            f"{settings.rule} cannot judge {objectives.text()} at its rungs: audit asha or "
            "topk, with at least one objective reported every epoch"
        )
    analysis = analyze(records, varying, objectives.primary.metric, objectives.primary.goal)
    curves, epochs_run = point_curves(folder, analysis.groups, judged)
    full = full_front(analysis, objectives)
    front, apart, points = full.front, full.apart, full.points
    if not curves or not front:
        raise ValueError(f"{folder.path} has no completed configuration on a front to audit")
    rule = pareto_replay(settings, curves, epochs_run, judged, grid, listed)
    baseline = pareto_i_epoch_front(curves, epochs_run, judged, rule.rule_epochs, front)
    read = [
        o.metric + (f" (as {STAND_IN_TEXT[o.metric]})" if o.metric in STAND_IN_TEXT else "")
        for o in judged
    ]
    lines = [
        f"Early-stopping audit of {folder.path}: {settings.rule} on Pareto rank, replayed on "
        f"{objectives.text()}",
        (
            f"  parameters: grace {settings.grace}, factor {settings.factor}"
            if settings.rule == "asha"
            else f"  parameters: top-k epochs {settings.k}, share kept {settings.keep:g}"
        ),
        f"  at the rungs: {', '.join(read)}"
        + (
            f"; left out (known only at the end): {', '.join(o.metric for o in left_out)}"
            if left_out
            else ""
        ),  # fmt: skip
        f"Full sweep: {sum(len(s) for s in curves.values())} completed trials in "
        f"{len(curves)} configurations, {rule.full_epochs} trial-epochs.",
    ]
    stops = ", ".join(f"{n} at epoch {e}" for n, e in sorted(rule.stopped_at.items()))
    lines.append(
        f"Under {settings.rule}: {counted(len(rule.stopped_at), 'configuration')} stopped"
        + (f": {stops}" if stops else "")
        + f"; it runs {rule.rule_epochs} of the {rule.full_epochs} trial-epochs "
        f"({100 * rule.saved_share:.0f}% saved)."
    )
    if objectives.constraints:
        bounds = ", ".join(c.text() for c in objectives.constraints)
        lines.append(f"Constraints applied before ranking: {bounds}.")
    for why in sorted(set(apart.values())):
        names = ", ".join(n for n in sorted(apart) if apart[n] == why)
        lines.append(f"Not ranked ({why}): {names}.")
    lines.append(f"Front of the full sweep ({len(front)} configurations, on seed means):")
    for name in front:
        where = rule.stopped_at.get(name)
        fate = "kept to the end" if where is None else f"STOPPED at epoch {where}"
        lines.append(f"  {name} ({_shown(objectives, points[name])}): {fate}")
    for name in full.within:
        where = rule.stopped_at.get(name)
        fate = "kept to the end" if where is None else f"STOPPED at epoch {where}"
        lines.append(f"On the front within noise: {name}: {fate}.")
    kept = [n for n in front if n not in rule.stopped_at]
    lines.append(
        f"Front kept under {settings.rule}: {len(kept)} of {len(front)} "
        f"({100 * len(kept) / len(front):.0f}%), at {rule.rule_epochs} trial-epochs."
    )
    lines.append(
        f"i-Epoch baseline at {rule.rule_epochs} trial-epochs or fewer (every configuration k "
        "epochs, then the first in Pareto order at epoch k to the end, as many as that budget "
        "allows):"
    )
    for point in baseline:
        lines.append(
            f"  k={point.k}: {point.kept} of {point.configurations} go on, {point.trial_epochs} "
            f"trial-epochs, front kept {len(point.front_kept)} of {len(front)}"
        )
    if not baseline:
        lines.append("  none: that budget does not run even one configuration to the end")
    lost = [n for n in full.within if n in rule.stopped_at]
    lines.append(_verdict(settings, rule, front, kept, baseline, lost))
    return "\n".join(lines) + "\n"


def _verdict(settings, rule, front, kept, baseline, lost: list[str]) -> str:
    guessed = [d for d in rule.decisions if "no noise estimate" in d.get("summary", "")]
    best_baseline = max((len(p.front_kept) for p in baseline), default=0)
    if len(kept) < len(front):
        verdict = (
            f"Verdict: not safe here: {settings.rule} would have stopped "
            f"{len(front) - len(kept)} of the {len(front)} configurations of the front."
        )
    elif lost:
        verdict = (
            f"Verdict: risky here: it keeps the whole front but stops {', '.join(lost)}, on the "
            "front within noise."
        )
    elif guessed:
        verdict = (
            f"Verdict: it keeps the whole front, but {len(guessed)} of its stops compared "
            "single values (one seed per configuration: no noise estimate), so they may be noise."
        )
    else:
        verdict = (
            "Verdict: safe here: every configuration of the front, and on it within noise, "
            "survives."
        )
    if baseline and best_baseline >= len(kept) and rule.saved_share > 0:
        verdict += (
            f" The i-Epoch baseline keeps as much of the front ({best_baseline} of "
            f"{len(front)}) within the same trial-epochs: on this sweep {settings.rule} buys "
            "nothing over it."
        )
    return verdict
