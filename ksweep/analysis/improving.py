"""Whether the best configuration was still improving when its training ended.

A winner whose metric was still climbing at its last epoch was cut short: more
epochs might change its value and perhaps the ranking. The check reads the
per-epoch metric of the best configuration's counted trials (the mean over its
seeds at each epoch) and says so when the last epoch is the best one so far and
better than the one before it. Pruned trials ended by a rule, not by their epoch
budget, so they are left out.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from ksweep.analysis.core import Analysis
from ksweep.sweep.states import TrialState, state_of


def mean_curve(rows_per_seed: Sequence[Sequence[dict[str, Any]]], metric: str) -> list[float]:
    """The metric's mean over seeds, epoch by epoch, as far as every seed reached."""
    curves = [
        [float(r[metric]) for r in rows if isinstance(r.get(metric), int | float)]
        for rows in rows_per_seed
    ]
    curves = [c for c in curves if c]
    if not curves:
        return []
    length = min(len(c) for c in curves)
    return [statistics.mean(c[i] for c in curves) for i in range(length)]


def still_improving(curve: Sequence[float], goal: str) -> bool:
    """The last epoch is the best so far and better than the epoch before it."""
    if len(curve) < 2:
        return False
    sign = 1.0 if goal == "max" else -1.0
    last, before = sign * curve[-1], sign * curve[-2]
    return last > before and last >= max(sign * v for v in curve)


def improving_warning(analysis: Analysis, epochs: Mapping[str, list[dict]]) -> str | None:
    """The warning's sentence, or None when the best configuration had levelled off."""
    best = analysis.ranking.best
    if best is None:
        return None
    metric = analysis.metric.name
    finished = [r for r in best.completed if state_of(r) is TrialState.COMPLETED]
    rows = [epochs.get(str(r.get("config_file")), []) for r in finished]
    curve = mean_curve(rows, metric)
    if not still_improving(curve, analysis.goal):
        return None
    shown = analysis.metric.shown
    return (
        f"Warning (still improving): the best configuration, {best.name}, was still improving "
        f"at its last epoch ({metric} {shown(curve[-2])} at epoch {len(curve) - 1}, "
        f"{shown(curve[-1])} at epoch {len(curve)}); more epochs may raise it and change "
        "the ranking: raise CONFIG_NUM_EPOCHS and sweep again."
    )
