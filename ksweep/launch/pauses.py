"""Trials that pause at an epoch boundary until an early-stopping rule has judged them.

A rule judges a configuration at its *pause epochs* (ASHA's rungs, say).
Judging fairly needs the configurations it is compared with to have reached
the same epoch, so a trial that gets there first pauses: the trainer waits
at that epoch boundary, and its slot goes to another trial meanwhile. When
the rule can decide, the trial is told to go on (as soon as a slot like its
own is free) or to stop there, recorded as pruned with its metrics.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from ksweep.launch.base import RunningTrial
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
