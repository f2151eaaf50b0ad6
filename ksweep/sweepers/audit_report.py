"""The audit of an early-stopping rule on a finished sweep, in words.

It reads the sweep's records and every trial's curve, replays the rule
(:mod:`ksweep.sweepers.audit`), ranks the full sweep with the analysis, and
says what a user needs to decide: would the rule have kept the winner and
everything within noise of it, what it saves, and where it stands on the
(trial-epochs, best found) plane beside the i-Epoch baseline's front at the
same trial-epochs or fewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ksweep.analysis.choice import asked_objectives, first_config
from ksweep.analysis.core import analyze
from ksweep.analysis.report import load_sweep
from ksweep.objectives import Objectives
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.states import TrialState
from ksweep.sweep.tolerant import load_json
from ksweep.sweep.trialfiles import epochs
from ksweep.sweepers.audit import (
    RAN_AS_ASKED,
    Curves,
    Replay,
    best_survivor,
    counted,
    i_epoch_front,
    replay,
)
from ksweep.sweepers.audit_pareto_report import pareto_audit_text
from ksweep.sweepers.early_stop import EPOCH_METRICS
from ksweep.sweepers.factory import is_grid, is_model_search
from ksweep.sweepers.stopping import RuleSettings


class AuditError(ValueError):
    """The sweep cannot be audited (it stopped trials itself, say); the message says why."""


def sweep_curves(
    folder: SweepFolder, records: Sequence[dict[str, Any]], groups, metric: str
) -> tuple[Curves, int]:
    """Every curve of ``metric`` a live rule saw end, by configuration (the trials
    :data:`~ksweep.sweepers.audit.RAN_AS_ASKED`), and the longest run."""
    curves: dict[str, list[dict[int, float]]] = {}
    longest = 0
    for group in groups:
        for record in group.records:
            if TrialState.of(record.get("status")) not in RAN_AS_ASKED:
                continue
            rows = epochs(folder.trial_of(record))
            seed = {
                row["epoch"]: float(row[metric])
                for row in rows
                if isinstance(row.get("epoch"), int) and isinstance(row.get(metric), int | float)
            }
            if seed:
                curves.setdefault(group.name, []).append(seed)
                longest = max(longest, max(seed))
    return curves, longest


def _where(replay_: Replay, name: str) -> str:
    epoch = replay_.stopped_at.get(name)
    return "kept to the end" if epoch is None else f"STOPPED at epoch {epoch}"


def audit_text(
    sweep_dir: Path,
    settings: RuleSettings,
    metric: str | None,
    goal: str | None,
    objectives: str | None = None,
    constraints: str | None = None,
) -> str:
    """The audit of ``settings``'s rule on the finished sweep in ``sweep_dir``; with several
    objectives (OBJECTIVES=, else the trials' CONFIG_SWEEP_OBJECTIVES), of its Pareto form
    (:mod:`ksweep.sweepers.audit_pareto_report`)."""
    folder = SweepFolder(sweep_dir)
    records, varying, _ = load_sweep(folder.path)
    if any(TrialState.of(r.get("status")) is TrialState.PRUNED for r in records):
        raise AuditError(
            f"{folder.path} stopped trials early itself, so their curves end before the rule's "
            "rungs; audit a sweep that ran every trial to the end"
        )
    plan = load_json(folder.plan, dict).data
    order = is_grid(plan), not is_model_search(plan)  # spread order; all listed up front
    try:
        config = first_config(folder.path, records)
        chosen, bounds = asked_objectives(config, metric, goal, objectives, constraints)
        if chosen is not None and len(chosen) > 1:
            several = Objectives(chosen, bounds)
            return pareto_audit_text(folder, records, varying, settings, several, *order)
    except ValueError as problem:
        raise AuditError(str(problem)) from None
    analysis = analyze(records, varying, metric or "auto", goal)
    name, goal = analysis.metric.name, analysis.goal
    if name not in EPOCH_METRICS:
        raise AuditError(f"{name} is not recorded every epoch; audit with METRIC=val/acc or so")
    curves, epochs_run = sweep_curves(folder, records, analysis.groups, name)
    best = analysis.ranking.best
    if best is None or not curves:
        raise AuditError(f"{folder.path} has no completed trial with {name} to audit")
    rule = replay(settings, curves, epochs_run, name, goal, *order)
    finals = {g.name: g.metric.mean for g in analysis.ranking.ranked}
    front = i_epoch_front(curves, epochs_run, goal, rule.rule_epochs, finals)
    shown = analysis.metric.shown
    lines = [
        f"Early-stopping audit of {folder.path}: {settings.rule} replayed on {name} ({goal})",
        f"  parameters: grace {settings.grace}, factor {settings.factor}, warm-up "
        f"{settings.warmup}, min configurations {settings.min_configs}",
        f"Full sweep: {sum(len(s) for s in curves.values())} completed trials in "
        f"{len(curves)} configurations, {rule.full_epochs} trial-epochs.",
        f"Under {settings.rule}: {counted(len(rule.stopped_at), 'configuration')} stopped"
        + (": " if rule.stopped_at else "")
        + ", ".join(f"{n} at epoch {e}" for n, e in sorted(rule.stopped_at.items()))
        + f"; it runs {rule.rule_epochs} of the {rule.full_epochs} trial-epochs "
        f"({100 * rule.saved_share:.0f}% saved).",
        f"Winner of the full sweep: {best.name} ({name} {shown(best.metric.mean)}): "
        f"{_where(rule, best.name)}.",
    ]
    for group in analysis.ranking.tied:
        lines.append(f"Within noise of it: {group.name}: {_where(rule, group.name)}.")
    survivor = best_survivor(rule, finals, goal)

    def found(config: str | None) -> str:
        return f"{config} ({name} {shown(finals[config])})" if config in finals else "none"

    lines.append(
        f"Best under {settings.rule}: {found(survivor)}; as a point on the (trial-epochs, "
        f"best found) plane: ({rule.rule_epochs}, {shown(finals.get(survivor))})."
    )
    lines.append(
        f"i-Epoch baseline at {rule.rule_epochs} trial-epochs or fewer (every configuration k "
        "epochs, the best of them at epoch k to the end, as many as that budget allows):"
    )
    for point in front:
        lines.append(
            f"  k={point.k}: {point.kept} of {point.configurations} go on, "
            f"{point.trial_epochs} trial-epochs, best found {found(point.best)}"
        )
    if not front:
        lines.append("  none: that budget does not run even one configuration to the end")
    lost = [g.name for g in [best, *analysis.ranking.tied] if g.name in rule.stopped_at]
    guessed = [d for d in rule.decisions if "no noise estimate" in d.get("summary", "")]
    if best.name in rule.stopped_at:
        lines.append(f"Verdict: not safe here: {settings.rule} would have stopped the winner.")
    elif lost:
        lines.append(
            f"Verdict: risky here: it keeps the winner but stops {', '.join(lost)}, within noise "
            "of it."
        )
    elif guessed:
        lines.append(
            f"Verdict: it keeps the winner, but {len(guessed)} of its stops compared single "
            "values (one seed per configuration: no noise estimate), so they may be noise."
        )
    else:
        lines.append("Verdict: safe here: the winner and everything within noise of it survive.")
    as_good = [
        p
        for p in front
        if p.best is not None
        and survivor in finals
        and (
            finals[p.best] >= finals[survivor]
            if goal == "max"
            else finals[p.best] <= finals[survivor]
        )
    ]
    if as_good and rule.saved_share > 0:
        cheapest = min(as_good, key=lambda p: p.trial_epochs)
        lines.append(
            f"The i-Epoch baseline finds as good a best with k={cheapest.k} at "
            f"{cheapest.trial_epochs} trial-epochs: on this sweep {settings.rule} buys nothing "
            "over it."
        )
    return "\n".join(lines) + "\n"
