"""The one trial-state type: what happened to a trial, as every part of ksweep names it.

The values are the sweep guide's ``status`` strings in ``sweep_summary.json``.
A trial is *final* once it has a result that resume keeps (it is not run
again); ``interrupted`` is not final: the sweep stopped under it and resume
runs it again. ``pending``, ``starting`` and ``running`` are the live states
a trial's ``status.json`` shows while it has no result yet.
"""

from __future__ import annotations

from enum import Enum


class TrialState(str, Enum):
    PENDING = "pending"
    STARTING = "starting"
    RUNNING = "running"
    COMPLETED = "completed"  # exited 0 with finite final metrics
    FAILED = "failed"  # crashed, exited non-zero, or left no valid result
    TIMEOUT = "timeout"  # stopped at TRIAL_TIMEOUT
    DIVERGED = "diverged"  # its loss stopped being finite or exploded
    PRUNED = "pruned"  # stopped early by a rule, at an epoch boundary, with its metrics
    INTERRUPTED = "interrupted"  # the sweep stopped while it ran: resume runs it again
    SKIPPED = "skipped"  # the sweep decided not to run it

    def __str__(self) -> str:
        return self.value

    @property
    def final(self) -> bool:
        """A result resume keeps (rerun-failed reruns the unsuccessful ones)."""
        return self in FINAL

    @property
    def successful(self) -> bool:
        """Trained as far as it was meant to, with metrics worth ranking."""
        return self in (TrialState.COMPLETED, TrialState.PRUNED)

    @property
    def failure(self) -> bool:
        """A final state that is not a result: counted as failed everywhere."""
        return self in (TrialState.FAILED, TrialState.TIMEOUT, TrialState.DIVERGED)

    @property
    def live(self) -> bool:
        return self in (TrialState.PENDING, TrialState.STARTING, TrialState.RUNNING)

    @classmethod
    def of(cls, value: object) -> TrialState | None:
        """The state a stored string names, or None for anything else (a damaged file)."""
        try:
            return cls(value)
        except ValueError:
            return None


FINAL = frozenset(
    {
        TrialState.COMPLETED,
        TrialState.FAILED,
        TrialState.TIMEOUT,
        TrialState.DIVERGED,
        TrialState.PRUNED,
        TrialState.SKIPPED,
    }
)


def state_of(record: dict) -> TrialState | None:
    """The state of a summary record (its ``status``)."""
    return TrialState.of(record.get("status"))


def is_completed(record: dict) -> bool:
    return state_of(record) is TrialState.COMPLETED


def is_failure(record: dict) -> bool:
    state = state_of(record)
    return state is not None and state.failure
