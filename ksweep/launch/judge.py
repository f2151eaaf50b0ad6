"""What a trial's exit status and files mean: its state, its reason, the end of its log.

A crash, a non-zero exit, a timeout or a missing or non-finite result is not
an exception here but a recorded outcome with its reason and the end of the
log, so a sweep always goes on to the next trial.
"""

from __future__ import annotations

import signal

from ksweep.sweep.layout import TrialFolder
from ksweep.sweep.records import TrialOutcome
from ksweep.sweep.states import TrialState
from ksweep.sweep.tolerant import finite_number, load_json
from ksweep.sweep.trialfiles import log_tail

EXIT_DIVERGED = 3  # the trainer's exit status for a loss that stopped being finite or exploded


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
    """Completed (or pruned, if it stopped on request) only if the child exited 0 and left
    finite final metrics; diverged for the trainer's divergence exit; failed otherwise."""
    tail = log_tail(folder.log)
    if exit_code != 0:
        state = TrialState.DIVERGED if exit_code == EXIT_DIVERGED else TrialState.FAILED
        return TrialOutcome(
            state, exit_code, wall_time, error=failure_reason(exit_code, tail), log_tail=tail
        )
    loaded = load_json(folder.final_metrics, dict)
    if loaded.data is None:
        return TrialOutcome(
            TrialState.FAILED,
            exit_code,
            wall_time,
            error=f"exited 0 but left no valid {folder.final_metrics.name} ({loaded.problem})",
            log_tail=tail,
        )
    metrics = loaded.data
    if finite_number(metrics.get("test_acc")) is None:
        return TrialOutcome(
            TrialState.FAILED,
            exit_code,
            wall_time,
            metrics,
            error=f"test_acc is {metrics.get('test_acc')!r}, not a finite number",
            log_tail=tail,
        )
    stopped = metrics.get("stopped")
    if isinstance(stopped, dict):
        state = TrialState.of(stopped.get("state")) or TrialState.PRUNED
        return TrialOutcome(state, exit_code, wall_time, metrics, stopped=stopped)
    return TrialOutcome(TrialState.COMPLETED, exit_code, wall_time, metrics)


def timed_out(folder: TrialFolder, exit_code: int | None, wall_time: float, limit: float):
    return TrialOutcome(
        TrialState.TIMEOUT,
        exit_code,
        wall_time,
        error=f"exceeded the trial timeout of {limit:g}s and was stopped",
        log_tail=log_tail(folder.log),
    )
