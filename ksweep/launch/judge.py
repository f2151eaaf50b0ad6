"""What a trial's exit status and files mean: its state, its reason, the end of its log.

The exit statuses are the trial protocol's (:mod:`ksweep.protocol`).
A crash, a non-zero exit, a timeout or a missing result is not
an exception here but a recorded outcome with its reason and the end of the
log, so a sweep always goes on to the next trial.
"""

from __future__ import annotations

import signal
from typing import Any

from ksweep.protocol import EXIT_DIVERGED, EXIT_OK
from ksweep.sweep.layout import TrialFolder
from ksweep.sweep.records import TrialOutcome
from ksweep.sweep.states import TrialState
from ksweep.sweep.tolerant import load_json
from ksweep.sweep.trialfiles import EpochFollower, log_tail
from ksweep.trial.client import stopped_record


def failure_reason(exit_code: int, tail: str) -> str:
    """A one-line cause: the child's own ``error:`` line, else the exception, else the signal."""
    if exit_code < 0:
        try:
            name = signal.Signals(-exit_code).name
        except ValueError:
            name = f"signal {-exit_code}"
        return f"killed by {name}"
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("error:"):
            return f"exit status {exit_code}: {line[len('error:') :].strip()}"
    for line in reversed(lines):
        head = line.split(":", 1)[0]
        if head.endswith(("Error", "Exception", "Interrupt")):
            return f"exit status {exit_code}: {line}"
    return f"exit status {exit_code}"


def judge(folder: TrialFolder, exit_code: int, wall_time: float) -> TrialOutcome:
    """Completed (or pruned, if it stopped on request) when the trial exited 0 with a final
    record of its own metrics, whatever they are called (a trial that wrote none is recorded
    with its last epoch's row); diverged for the protocol's divergence exit; failed otherwise."""
    tail = log_tail(folder.log)
    if exit_code != EXIT_OK:
        state = TrialState.DIVERGED if exit_code == EXIT_DIVERGED else TrialState.FAILED
        # The epochs it completed were spent (and a rule compared them): they count as cost.
        done = (last_epoch_record(folder) or {}).get("epochs_run")
        return TrialOutcome(
            state,
            exit_code,
            wall_time,
            {"epochs_run": done} if isinstance(done, int) else {},
            error=failure_reason(exit_code, tail),
            log_tail=tail,
        )
    loaded = load_json(folder.final_metrics, dict)
    metrics = loaded.data
    if metrics is None and not folder.final_metrics.exists():
        metrics = last_epoch_record(folder)
    if metrics is None:
        problem = loaded.problem if folder.final_metrics.exists() else "no metrics.jsonl either"
        return TrialOutcome(
            TrialState.FAILED,
            exit_code,
            wall_time,
            error=f"exited 0 but left no valid {folder.final_metrics.name} ({problem})",
            log_tail=tail,
        )
    stopped = metrics.get("stopped")
    if isinstance(stopped, dict):
        state = TrialState.of(stopped.get("state")) or TrialState.PRUNED
        return TrialOutcome(state, exit_code, wall_time, metrics, stopped=stopped)
    return TrialOutcome(TrialState.COMPLETED, exit_code, wall_time, metrics)


def stopped_while_paused(
    record: dict[str, Any], decision: dict[str, Any], epoch: int, wall_time: float
) -> TrialOutcome:
    """A trial that checkpointed at a pause and exited, then was stopped there by the rule:
    its result is the record it left for that case, stopped at its pause epoch."""
    stopped = stopped_record(decision, epoch)
    metrics = {**record, "stopped": stopped}
    state = TrialState.of(stopped["state"]) or TrialState.PRUNED
    return TrialOutcome(state, EXIT_OK, wall_time, metrics, stopped=stopped)


def last_epoch_record(folder: TrialFolder) -> dict[str, Any] | None:
    """The last row of a trial's metrics.jsonl as its record (None without a row)."""
    rows = EpochFollower(folder.epochs).new_rows()
    if not rows:
        return None
    last = rows[-1]
    return {**{k: v for k, v in last.items() if k != "epoch"}, "epochs_run": last.get("epoch")}


def timed_out(folder: TrialFolder, exit_code: int | None, wall_time: float, limit: float):
    return TrialOutcome(
        TrialState.TIMEOUT,
        exit_code,
        wall_time,
        error=f"exceeded the trial timeout of {limit:g}s and was stopped",
        log_tail=log_tail(folder.log),
    )
