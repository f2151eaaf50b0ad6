"""Compatibility shim: the analysis now lives in :mod:`ksweep.analysis`.

``ranked`` (one trial per row, best first) stays here for callers that want
single trials; configurations pooled over seeds are
:func:`ksweep.analysis.stats.rank`. Failed trials are never ranked: a failed
trial has no accuracy, and ranking it at 0% (as the tool this one replaced
did) hides failures instead of reporting them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ksweep.analysis.text import analysis_text

__all__ = ["analysis_text", "ranked"]


def ranked(records: Sequence[dict[str, Any]], metric: str = "test_acc") -> list[dict[str, Any]]:
    """Completed records, best first: higher metric, then shorter training, then name."""
    completed = [r for r in records if r.get("status") == "completed" and r.get(metric) is not None]
    return sorted(
        completed,
        key=lambda r: (-r[metric], r.get("training_time") or 0.0, r.get("config_file") or ""),
    )
