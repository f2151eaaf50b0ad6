"""What a sweep folder's analysis ranks by: METRIC=/GOAL= or OBJECTIVES=/CONSTRAINTS= as
the command line asked for them, else as the trials' config names them.

The command line wins; OBJECTIVES= and METRIC= together are refused (see
:func:`ksweep.analysis.choice.asked_objectives`). With several objectives the
first one ranks every single-metric output (the best configuration, the
ablation table, the plots) and :attr:`Analysis.front` adds the front; with one
metric and no constraint the analysis is exactly the single-metric one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ksweep.analysis.choice import (
    ObjectivesRefused,
    asked_objectives,
    check_recorded,
    choose_metric,
    first_config,
    requested_metric,
)
from ksweep.analysis.core import Analysis, analyze
from ksweep.analysis.metrics import AUTO
from ksweep.objectives import Objectives, single
from ksweep.sweep import trialfiles
from ksweep.sweep.layout import SweepFolder


def with_epoch_values(sweep_dir: Path, records: Sequence[dict[str, Any]], metric: str):
    """Records from before val/loss and val/acc were summary fields get them from their
    trial's metrics.jsonl, so METRIC=val/loss works on old sweeps too."""
    if metric not in ("val/loss", "val/acc") or all(metric in r for r in records):
        return list(records)
    out = []
    folder = SweepFolder(Path(sweep_dir))
    for record in records:
        if metric not in record and record.get("status") == "completed":
            rows = trialfiles.epochs(folder.trial_of(record))
            record = {**record, metric: trialfiles.last_value(rows, metric)}
        out.append(record)
    return out


@dataclass(frozen=True)
class Asked:
    """What the command line asked the analysis to rank by (None: the trials' config)."""

    metric: str | None = None
    goal: str | None = None
    objectives: str | None = None
    constraints: str | None = None


def analysis_of(
    sweep_dir: Path,
    records: Sequence[dict[str, Any]],
    varying_symbols: Sequence[str],
    asked: Asked,
) -> Analysis:
    """The analysis of a sweep folder's records by the metric or objectives asked for (or
    configured); with several objectives, the first one ranks the single-metric outputs."""
    config = first_config(sweep_dir, records)
    try:
        chosen, bounds = asked_objectives(
            config, asked.metric, asked.goal, asked.objectives, asked.constraints
        )
    except ValueError as problem:
        raise ObjectivesRefused(f"{problem}; nothing was rewritten") from None
    for named in [*(o.metric for o in chosen or ()), *(b.metric for b in bounds)]:
        records = with_epoch_values(sweep_dir, records, named)
    if chosen is not None:
        if asked.objectives is not None:
            for objective in chosen:
                check_recorded(sweep_dir, records, objective.metric)
        primary = chosen[0]
        source = (
            f"OBJECTIVES={asked.objectives}"
            if asked.objectives is not None
            else f'CONFIG_SWEEP_OBJECTIVES="{config.get("SWEEP_OBJECTIVES")}"'
        )
        analysis = analyze(records, varying_symbols, primary.metric, primary.goal, source)
        if len(chosen) == 1 and not bounds:
            return analysis  # one objective: exactly the single-metric analysis
        return replace(analysis, objectives=Objectives(chosen, bounds))
    metric, goal = asked.metric, asked.goal
    named, _ = requested_metric(config, metric, goal)
    resolved, goal = choose_metric(sweep_dir, records, metric, goal)
    records = with_epoch_values(sweep_dir, records, resolved)
    if metric is not None and metric != AUTO:
        check_recorded(sweep_dir, records, resolved)
    source = f"METRIC={metric}" if metric is not None else f'CONFIG_SWEEP_METRIC="{named}"'
    analysis = analyze(records, varying_symbols, AUTO if named == AUTO else resolved, goal, source)
    if not bounds:
        return analysis
    ranked = single(analysis.metric.name, analysis.goal).objectives
    return replace(analysis, objectives=Objectives(ranked, bounds))
