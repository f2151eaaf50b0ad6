"""A search space described as plain data, for ``sweep_plan.json`` and its later readers.

The sampled lines of a range config (and, for a model-based search, its other
swept lines, which the model picks from like a choice) are recorded once, in
the plan's ``search`` record, so that what reads a finished sweep (the
importance analysis, its plots, ``sweep-refine``) knows each symbol's form
and interval without re-reading the range file::

    {"symbol": "CONFIG_LEARNING_RATE", "form": "loguniform", "low": "0.00001",
     "high": "0.1", "line": 3}
    {"symbol": "CONFIG_OPTIMIZER_SELECT", "form": "choice", "choices": ["SGD", "ADAM"]}
    {"symbol": "CONFIG_BATCH_SIZE", "form": "grid", "choices": ["32", "64"]}
"""

from __future__ import annotations

from collections.abc import Sequence

from ksweep.plan.resolve import TypedEntry

GRID_FORM = "grid"  # a swept line that is not sampled: a model picks among its values


def space_size(entries: Sequence[TypedEntry]) -> int | None:
    """How many distinct points the lines span (None once one of them is a continuum)."""
    size = 1
    for item in entries:
        dist = item.distribution
        count = dist.size(len(item.settings)) if dist is not None else len(item.settings)
        if count is None:
            return None
        size *= count
    return size


def dimension(item: TypedEntry) -> dict:
    """One line of the space as JSON-ready data."""
    dist = item.distribution
    record: dict = {"symbol": item.display_name, "line": item.entry.location.line}
    if dist is not None and dist.numeric:
        low, high = (s.display for s in item.settings)
        record.update(form=dist.form, low=low, high=high, log=dist.log, integer=dist.integer)
    else:
        record.update(
            form=dist.form if dist is not None else GRID_FORM,
            choices=[s.display for s in item.settings],
        )
    return record


def space_record(entries: Sequence[TypedEntry]) -> list[dict]:
    return [dimension(item) for item in entries]


def log_symbols(space: Sequence[dict]) -> list[str]:
    """The symbols a space samples on a log scale (their plots get a log axis)."""
    return [d["symbol"] for d in space if d.get("log")]
