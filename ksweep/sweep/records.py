"""Trial records: built once per finished trial, kept in the trial's folder, summarised.

A record is flat, so ``pandas.DataFrame(records)`` gives one column per
field, and numbers are numbers (a varying ``CONFIG_LEARNING_RATE`` is the
float 0.01, not the string "0.01") so that sorting and plotting just work.

Each trial's ``status.json`` holds its own record once it has finished: that
is the truth. ``sweep_summary.json`` is the list of those records, rewritten
after every trial for the guide's readers; when it is missing, truncated, out
of date or holds a record twice, :func:`read_summary` rebuilds it from the
trials and says what it did.
"""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ksweep.configfile import ConfigFileError, parse_config_text
from ksweep.sweep.atomic import write_json_atomic
from ksweep.sweep.layout import TRIAL_LOG, SweepFolder, TrialFolder
from ksweep.sweep.recovery import salvaged_status, status_notes
from ksweep.sweep.states import TrialState
from ksweep.sweep.tolerant import load_json
from ksweep.sweep.trials import TrialSpec

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")

METRIC_FIELDS = (
    "test_acc",
    "best_test_acc",
    "last3_test_acc",
    "last3_epochs",
    "test_acc_at_best_val",
    "best_val_acc",
    "final_sparsity",
    "training_time",
    "setup_time",
    "params",
    "device",
    "threads",
    "model",
    "dataset",
    "num_classes",
    "optimizer",
    "pruning_method",
    "epochs",
    "epochs_run",
    "initial_train_loss",
    "final_train_loss",
)
# Fields the record itself owns: a trial's metric of the same name does not replace them.
_RECORD_OWN = frozenset(
    {"config_file", "test_name", "status", "wall_time", "exit_code", "error", "log_tail", "log"}
    | {"stopped", "attempts", "slot", "seed"}
)
# The last epoch's validation numbers, so METRIC=val/loss can rank from the summary alone.
EPOCH_FIELDS = ("val/loss", "val/acc")


@dataclass
class TrialOutcome:
    """What happened to one trial, before it becomes a summary record."""

    state: TrialState
    exit_code: int | None
    wall_time: float  # seconds from the trial's start to its end, the launcher's start-up excluded
    metrics: dict = field(default_factory=dict)
    error: str | None = None
    log_tail: str | None = None
    stopped: dict | None = None  # for a pruned trial: the decision that stopped it


def typed_value(text: str | None) -> Any:
    """'7800' -> 7800, '0.05' -> 0.05, anything else unchanged."""
    if text is None:
        return None
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(Decimal(text))
    return text


def final_epoch_values(metrics: dict[str, Any]) -> dict[str, Any]:
    """``val/loss`` and ``val/acc`` of the last epoch in the trainer's history (None if absent)."""
    history = metrics.get("history") or []
    last = history[-1] if history and isinstance(history[-1], dict) else {}
    return {name: last.get(name) for name in EPOCH_FIELDS}


def reported_metrics(metrics: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    """Every other flat value a trial reported, under its own name: a script's ``r2`` or
    ``val_f1`` is as rankable as ksweep's ``test_acc`` (nested values stay in its folder)."""
    return {
        name: value
        for name, value in metrics.items()
        if name not in known
        and name not in _RECORD_OWN
        and (value is None or isinstance(value, bool | int | float | str))
    }


def summary_record(
    trial: TrialSpec,
    outcome: TrialOutcome,
    attempt: int = 1,
    slot: str | None = None,
    node: str | None = None,
) -> dict[str, Any]:
    """One flat summary row for a finished trial."""
    try:
        seed = parse_config_text(trial.config_text, trial.config_name).get("SEED")
    except ConfigFileError:
        seed = None
    record: dict[str, Any] = {
        "config_file": trial.config_name,
        "test_name": trial.test_name,
        "status": outcome.state.value,
    }
    for name in METRIC_FIELDS:
        record[name] = outcome.metrics.get(name)
    record.update(final_epoch_values(outcome.metrics))
    record.update(reported_metrics(outcome.metrics, record))
    record["wall_time"] = round(outcome.wall_time, 3)
    record["seed"] = typed_value(seed)
    for name, value in trial.varying.items():
        record[name] = typed_value(value)
    record["exit_code"] = outcome.exit_code
    record["error"] = outcome.error
    record["log_tail"] = outcome.log_tail
    record["log"] = f"{trial.test_name}/{TRIAL_LOG}"
    record["stopped"] = outcome.stopped
    record["attempts"] = attempt
    record["slot"] = slot
    record["node"] = node or platform.node()  # the machine that ran it (Ray, Slurm, or here)
    return record


# --- the per-trial truth -------------------------------------------------------------


def write_status(folder: TrialFolder, state: TrialState, **fields: Any) -> None:
    """The trial's status.json: its live state, and at the end its record."""
    write_json_atomic(folder.status, {"pid": os.getpid(), "state": state.value, **fields})


def read_status(folder: TrialFolder) -> dict[str, Any]:
    return load_json(folder.status, dict).data or salvaged_status(folder)


def trial_record(folder: TrialFolder) -> dict[str, Any] | None:
    """The final record a trial's status.json holds, if it finished."""
    record = read_status(folder).get("record")
    if not isinstance(record, dict) or not isinstance(record.get("config_file"), str):
        return None
    state = TrialState.of(record.get("status"))
    return record if state is not None and state.final else None


# --- the summary ---------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """The sweep's records as best they can be known, and what had to be repaired."""

    records: list[dict[str, Any]]
    notes: list[str]  # each repair, in words: what was wrong and what was done

    @property
    def repaired(self) -> bool:
        return bool(self.notes)


def write_summary(folder: SweepFolder, records: Sequence[dict[str, Any]]) -> None:
    write_json_atomic(folder.summary, sorted(records, key=lambda r: str(r["config_file"])))


def read_summary(folder: SweepFolder) -> Summary:
    """The sweep's records: ``sweep_summary.json`` checked against the trials' own records.

    The trials' status files win wherever they hold a record; records of
    older sweeps, whose trials kept none, come from the summary alone."""
    truth = {
        record["config_file"]: record
        for trial in folder.trial_folders()
        if (record := trial_record(trial)) is not None
    }
    loaded = load_json(folder.summary, list)
    notes: list[str] = []
    by_name: dict[str, dict[str, Any]] = {}
    if loaded.data is None:
        if not loaded.missing:
            notes.append(
                f"{loaded.problem}; rebuilt it from the {len(truth)} trial folders' "
                "status.json, which hold each trial's record"
            )
    else:
        bad = sum(1 for r in loaded.data if not (isinstance(r, dict) and "config_file" in r))
        if bad:
            notes.append(f"{folder.summary}: {bad} entries are not trial records; ignored")
        repeated: list[str] = []
        for record in loaded.data:
            if isinstance(record, dict) and isinstance(record.get("config_file"), str):
                name = record["config_file"]
                if name in by_name and name not in repeated:
                    repeated.append(name)
                by_name[name] = record
        if repeated:
            notes.append(
                f"{folder.summary} holds {', '.join(repeated)} more than once; each is "
                "counted once (its trial folder's record wins)"
            )
    stale = [n for n, r in truth.items() if by_name.get(n) != r]
    if stale and loaded.data is not None:
        notes.append(
            f"{folder.summary} was behind the trial folders for {', '.join(sorted(stale))}; "
            "their own records were used"
        )
    by_name.update(truth)
    notes += status_notes(folder, {str(r.get("test_name")) for r in by_name.values()})
    return Summary(sorted(by_name.values(), key=lambda r: r["config_file"]), notes)
