"""Turning trial outcomes into ``sweep_summary.json`` records.

A record is flat, so ``pandas.DataFrame(records)`` gives one column per
field, and numbers are numbers (a varying ``CONFIG_LEARNING_RATE`` is the
float 0.01, not the string "0.01") so that sorting and plotting just work.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ksweep.configfile import parse_config_text
from ksweep.launch.trial import LOG_FILE, TrialOutcome
from ksweep.launch.trials import TrialSpec

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

METRIC_FIELDS = (
    "test_acc",
    "best_test_acc",
    "last3_test_acc",
    "final_sparsity",
    "training_time",
    "setup_time",
    "params",
    "device",
    "threads",
    "model",
    "dataset",
    "optimizer",
    "pruning_method",
    "epochs",
)


def typed_value(text: str | None) -> Any:
    """'7800' -> 7800, '0.05' -> 0.05, anything else unchanged."""
    if text is None:
        return None
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(Decimal(text))
    return text


# The last epoch's validation numbers, so METRIC=val/loss can rank from the summary alone.
EPOCH_FIELDS = ("val/loss", "val/acc")


def final_epoch_values(metrics: dict[str, Any]) -> dict[str, Any]:
    """``val/loss`` and ``val/acc`` of the last epoch in the trainer's history (None if absent)."""
    history = metrics.get("history") or []
    last = history[-1] if history and isinstance(history[-1], dict) else {}
    return {name: last.get(name) for name in EPOCH_FIELDS}


def summary_record(trial: TrialSpec, outcome: TrialOutcome) -> dict[str, Any]:
    """One flat summary row for a finished trial."""
    config = parse_config_text(trial.config_text, trial.config_name)
    record: dict[str, Any] = {
        "config_file": trial.config_name,
        "test_name": trial.test_name,
        "status": outcome.status,
    }
    for name in METRIC_FIELDS:
        record[name] = outcome.metrics.get(name)
    record.update(final_epoch_values(outcome.metrics))
    record["wall_time"] = round(outcome.wall_time, 3)
    record["seed"] = typed_value(config.get("SEED"))
    for name, value in trial.varying.items():
        record[name] = typed_value(value)
    record["exit_code"] = outcome.exit_code
    record["error"] = outcome.error
    record["log_tail"] = outcome.log_tail
    record["log"] = f"{trial.test_name}/{LOG_FILE}"
    return record
