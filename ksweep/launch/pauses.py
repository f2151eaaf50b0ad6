"""Trials that pause at an epoch boundary until an early-stopping rule has judged them.

A rule judges a configuration at its *pause epochs* (ASHA's rungs, say).
Judging fairly needs the configurations it is compared with to have reached
the same epoch, so a trial that gets there first pauses and its slot goes to
another trial meanwhile. A trial that checkpoints (ksweep's trainer, or any
script using the client's checkpoints) saves its state and exits, so a
paused trial holds no memory; when the rule lets it go on it is started
again from its checkpoint in any free slot of its kind, and when the rule
stops it, its result is the record it left at the pause. A trial that
cannot checkpoint waits in its process (at most JOBS of those at once) and is
told to go on (in a slot like its own) or to stop.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from ksweep.launch.base import RunningTrial, TrialLaunch
from ksweep.launch.events import LoopView
from ksweep.launch.slots import Slot
from ksweep.sweep.layout import TrialFolder
from ksweep.sweep.trials import TrialSpec

CONTINUE, STOP, WAIT = "continue", "stop", "wait"


class StopRule(Protocol):
    """Early stopping, as the run loop sees it."""

    def pause_epochs(self, trial: TrialSpec) -> tuple[int, ...]:
        """The epochs after which ``trial`` pauses for a verdict."""

    def decide(self, trial: TrialSpec, epoch: int, view: LoopView) -> tuple[str, dict | None]:
        """CONTINUE, STOP (with the decision and its evidence) or WAIT, for ``trial`` paused
        after ``epoch``; decided from the trials' own files, so it is the same after a resume."""


@dataclass
class Active:
    """A trial the loop follows: its process, its slot (while it holds one), its pauses."""

    trial: TrialSpec
    folder: TrialFolder
    slot: Slot
    attempt: int
    handle: RunningTrial
    started: float  # monotonic, taken once the launcher has started the trial
    started_at: str
    holds_slot: bool = True
    paused_at: int | None = None  # the epoch it waits after, while it waits
    decided: set[int] = field(default_factory=set)  # pause epochs already judged
    stop_requested: bool = False
    launch: TrialLaunch | None = None  # how it was started: a restart from a checkpoint reuses it
    # Set while it has no process: it checkpointed at a pause and exited. The record is its
    # result should the rule stop it there.
    exited_record: dict | None = None
    held_seconds: float = 0.0  # time spent paused: not the trial's cost, not its timeout
    _held_since: float | None = None

    def elapsed(self) -> float:
        held = self.held_seconds + (
            time.monotonic() - self._held_since if self._held_since is not None else 0.0
        )
        return time.monotonic() - self.started - held

    def pause(self, epoch: int) -> None:
        self.paused_at, self._held_since = epoch, time.monotonic()

    def go_on(self) -> None:
        if self._held_since is not None:
            self.held_seconds += time.monotonic() - self._held_since
        self.paused_at, self._held_since = None, None


def compatible(slot: Slot, original: Slot) -> bool:
    """A slot a paused trial may go on in: its process keeps the environment it started with."""
    return slot.kind == original.kind and slot.env == original.env


class NoProcess:
    """The handle of a trial that has no process right now (it checkpointed and exited)."""

    pid: int | None = None

    def poll(self) -> int | None:
        return None

    def new_epochs(self) -> list[dict]:
        return []

    def new_output(self) -> list[str]:
        return []

    def request_stop(self, request: dict) -> None:
        """Nothing to ask: the loop records the stop itself."""

    def paused_at(self) -> int | None:
        return None

    def resume(self, epoch: int) -> None:
        """Nothing to tell: the loop starts it again from its checkpoint."""

    def kill(self) -> int | None:
        return None
