"""What the run loop tells its observers, as plain data.

Observers (the summary writer, the progress lines, the heartbeat, the
analysis refresh, the decision log) are callables taking one event. They
live outside this package and are attached by the CLI, so the loop never
depends on what they do with an event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ksweep.sweep.layout import SweepFolder, TrialFolder
from ksweep.sweep.trials import TrialSpec


@dataclass(frozen=True)
class LoopView:
    """The sweep at one moment: every record so far and what is running."""

    folder: SweepFolder
    total: int | None  # trials the sweep will run in all, when known
    records: Sequence[dict[str, Any]]  # final records, the kept ones of earlier runs included
    running: Mapping[str, TrialFolder]  # config name -> folder of its running attempt
    slots: int  # trials that can run at once
    epochs_of: Mapping[str, int | None] = field(default_factory=dict)  # NUM_EPOCHS per config
    trials: Sequence[TrialSpec] = ()  # every trial the sweeper has proposed, in order


@dataclass(frozen=True)
class SweepStarted:
    view: LoopView
    to_run: int | None  # trials this run will start (None: a search decides as it goes)
    slot_names: tuple[str, ...]
    startup_seconds: float  # the launcher's one-time start-up (fork server, Ray), not a trial's


@dataclass(frozen=True)
class TrialStarted:
    view: LoopView
    trial: TrialSpec
    folder: TrialFolder
    slot: str
    attempt: int


@dataclass(frozen=True)
class EpochReported:
    view: LoopView
    trial: TrialSpec
    folder: TrialFolder
    row: dict[str, Any]


@dataclass(frozen=True)
class TrialRetrying:
    view: LoopView
    trial: TrialSpec
    state: str
    error: str | None
    attempt: int  # the attempt that just failed
    attempts: int  # how many it may have in all


@dataclass(frozen=True)
class TrialDecided:
    """A rule decided about a running trial (stop it early), with its evidence."""

    view: LoopView
    trial: TrialSpec
    decision: dict[str, Any]


@dataclass(frozen=True)
class TrialFinished:
    view: LoopView
    trial: TrialSpec
    record: dict[str, Any]


@dataclass(frozen=True)
class Tick:
    """Sent every few tenths of a second while the loop waits, for observers that speak
    on a clock (the heartbeat)."""

    view: LoopView


@dataclass(frozen=True)
class SweepEnded:
    view: LoopView
    state: str  # the manifest's: finished, interrupted, stopped or failed
    reason: str | None


Event = (
    SweepStarted
    | TrialStarted
    | EpochReported
    | TrialRetrying
    | TrialDecided
    | TrialFinished
    | Tick
    | SweepEnded
)
Observer = Callable[[Event], None]
