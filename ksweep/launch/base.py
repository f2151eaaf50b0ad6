"""The interfaces the run loop drives: the launcher (how a trial is started, followed and
stopped, wherever it runs) and the sweeper (what to run next).

The run loop drives every launcher the same way: :meth:`Launcher.prepare`
once (what it costs is the sweep's start-up, never a trial's), then
:meth:`Launcher.start` per trial, then, each time round, the running trial's
:meth:`RunningTrial.poll`, :meth:`RunningTrial.new_epochs` and, when a rule
says so, :meth:`RunningTrial.request_stop` (the trial ends at its next epoch
boundary with its metrics) or :meth:`RunningTrial.kill` (now). When ``poll``
reports an exit status, the trial's files are in its local folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ksweep.launch.slots import Slot
from ksweep.protocol import DEFAULT_CHECKPOINT_SECONDS, trial_environment
from ksweep.sweep.layout import TrialFolder
from ksweep.sweep.trials import TrialSpec


class LaunchFailure(Exception):
    """The launcher cannot run trials any more (its server or its Ray actor died)."""


@dataclass(frozen=True)
class TrialLaunch:
    """What a launcher needs to start one trial."""

    name: str  # config_007
    config_text: str  # written as the trial's config.txt
    folder: TrialFolder  # the trial's local folder (created, empty but for config.txt)
    slot: Slot
    device: str | None = None  # DEVICE= for the whole sweep, else the config's own
    offline: bool = True  # the trial may not download datasets
    env: dict[str, str] = field(default_factory=dict)
    pause_after: tuple[int, ...] = ()  # epochs after which it asks for an early-stopping verdict
    command: tuple[str, ...] = ()  # the trial command's argv; empty: ksweep's own trainer
    checkpoint_seconds: float = DEFAULT_CHECKPOINT_SECONDS  # the trial checkpoints this often

    def environment(self, folder: TrialFolder, pause_mode: str) -> dict[str, str]:
        """The trial protocol's variables for this trial running in ``folder``."""
        return trial_environment(
            str(folder.config.resolve()),
            str(folder.path.resolve()),
            checkpoint_dir=str(folder.checkpoints.resolve()),
            pause_after=self.pause_after,
            pause_mode=pause_mode,
            checkpoint_seconds=self.checkpoint_seconds,
            device=self.device,
            offline=self.offline,
        )


class RunningTrial(Protocol):
    """A trial that has been started."""

    pid: int | None

    def poll(self) -> int | None:
        """The exit status once the trial has ended (negative: a signal), else None."""

    def new_epochs(self) -> list[dict[str, Any]]:
        """The epoch rows the trial streamed since the previous call."""

    def new_output(self) -> list[str]:
        """Complete lines the trial printed since the previous call (for echoing)."""

    def request_stop(self, request: dict[str, Any]) -> None:
        """Ask the trial to end at its next epoch boundary, recording ``request``."""

    def paused_at(self) -> int | None:
        """The epoch after which the trial waits for a verdict right now, else None."""

    def resume(self, epoch: int) -> None:
        """Tell a trial paused after ``epoch`` to go on."""

    def kill(self) -> int | None:
        """End the trial and everything it started now; return its exit status."""


class Launcher(Protocol):
    """Starts trials in slots; owns whatever the slots share (a fork server, Ray)."""

    slots: list[Slot]

    def prepare(self) -> float:
        """Start the shared machinery; return the seconds it took."""

    def start(self, launch: TrialLaunch) -> RunningTrial:
        """Start one trial in ``launch.slot``."""

    def broken(self) -> str | None:
        """Why the shared machinery can run no more trials (its server died), or None."""

    def close(self) -> None:
        """Release the shared machinery; no process of this launcher outlives it."""


class Sweeper(Protocol):
    """Proposes trials; hears what became of them."""

    kind: str  # "grid", "folder", "random", "sobol", "tpe", ...

    def total(self) -> int | None:
        """How many trials this sweep runs in all, when that is known in advance."""

    def ask(self) -> TrialSpec | None:
        """The next trial to start now, or None when there is none to start right now
        (everything is running or done, or a search waits for results)."""

    def tell_epoch(self, trial: TrialSpec, row: dict[str, Any]) -> None:
        """One epoch a running trial streamed."""

    def tell(self, trial: TrialSpec, record: dict[str, Any]) -> None:
        """A trial's final record (completed, failed, pruned, ...)."""

    def exhausted(self) -> bool:
        """True once no trial will ever be proposed again (given what is running now)."""

    def trials(self) -> list[TrialSpec]:
        """Every trial proposed so far (all of them, for a fixed list)."""
