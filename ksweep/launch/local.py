"""The local launcher: trials as processes on this machine, forked from a warm server or exec'd.

Each trial's epochs are followed in its ``metrics.jsonl`` and its output in
``output.log``, both written by the trial itself; a stop request is a file
the trial looks for at every epoch boundary (see :mod:`ksweep.protocol`).
The trial command is ksweep's trainer (forked from a warm server) or the
sweep's TRAIN_COMMAND (exec'd, as argv).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from ksweep.launch.base import TrialLaunch
from ksweep.launch.child import RUNNER_PID_ENV, SWEEP_ENV, WORKDIR_ENV
from ksweep.launch.process import Starter, TrialProcess
from ksweep.launch.slots import Slot
from ksweep.protocol import ENV_CONFIG, ENV_TRIAL_DIR, PAUSE_EXIT, command_argv
from ksweep.sweep.atomic import write_json_atomic
from ksweep.sweep.layout import TrialFolder
from ksweep.sweep.tolerant import load_json
from ksweep.sweep.trialfiles import EpochFollower


class LogFollower:
    """Complete new lines of a growing log file."""

    def __init__(self, path) -> None:
        self.path, self.offset, self.pending = path, 0, b""

    def lines(self, final: bool = False) -> list[str]:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except OSError:
            return []
        self.offset += len(chunk)
        lines = (self.pending + chunk).split(b"\n")
        self.pending = lines.pop()
        if final and self.pending:
            lines.append(self.pending)
            self.pending = b""
        return [line.decode("utf-8", errors="replace") for line in lines]


def paused_epoch(folder: TrialFolder) -> int | None:
    """The epoch a trial waits after in its process, if it does and has not been told to go on
    yet. A trial that checkpointed is about to exit: it counts as paused once it has exited
    (see :func:`checkpointed_pause`), so its pause is never judged twice."""
    paused = load_json(folder.paused, dict).data or {}
    resumed = load_json(folder.resumed, dict).data or {}
    epoch = paused.get("epoch")
    if paused.get("checkpoint") is True:
        return None
    if not isinstance(epoch, int) or resumed.get("epoch") == epoch:
        return None
    return epoch


def checkpointed_pause(folder: TrialFolder) -> tuple[int, dict] | None:
    """(epoch, record) of a trial that checkpointed at a pause and exited, else None."""
    paused = load_json(folder.paused, dict).data or {}
    epoch, record = paused.get("epoch"), paused.get("record")
    if paused.get("checkpoint") is True and isinstance(epoch, int) and isinstance(record, dict):
        return epoch, record
    return None


def trial_environment(slot: Slot, extra: dict[str, str], sweep: str) -> dict[str, str]:
    """What a trial's process is told: its slot's share, who its runner is, where to run."""
    return {
        **slot.env,
        **extra,
        RUNNER_PID_ENV: str(os.getpid()),
        WORKDIR_ENV: os.getcwd(),
        SWEEP_ENV: sweep,
    }


def trial_command(launch: TrialLaunch, env: dict[str, str]) -> list[str]:
    """The argv of a sweep's TRAIN_COMMAND for one trial; a leading ``python`` is the sweep's
    own interpreter, so the script sees the same packages (ksweep.trial among them)."""
    argv = command_argv(launch.command, env[ENV_CONFIG], env[ENV_TRIAL_DIR])
    if argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    return argv


class FolderHandshake:
    """The protocol's handshake through a trial folder this machine reads and writes: a local
    trial's, or a Slurm job's on the shared disk."""

    folder: TrialFolder
    _epochs: EpochFollower

    def new_epochs(self) -> list[dict[str, Any]]:
        return self._epochs.new_rows()

    def request_stop(self, request: dict[str, Any]) -> None:
        write_json_atomic(self.folder.stop_request, request)

    def paused_at(self) -> int | None:
        return paused_epoch(self.folder)

    def resume(self, epoch: int) -> None:
        write_json_atomic(self.folder.resumed, {"epoch": epoch})


class LocalTrial(FolderHandshake):
    """A trial process of this machine, as the run loop sees it."""

    def __init__(self, process: TrialProcess, folder: TrialFolder) -> None:
        self.process = process
        self.pid: int | None = process.pid
        self.folder = folder
        self._epochs = EpochFollower(folder.epochs)
        self._log = LogFollower(folder.log)

    def poll(self) -> int | None:
        return self.process.poll()

    def new_output(self) -> list[str]:
        return self._log.lines(final=self.process.poll() is not None)

    def kill(self) -> int | None:
        return self.process.stop()


class LocalLauncher:
    """Slots on this machine; one fork server (or none, for exec) shared by all of them."""

    def __init__(
        self,
        slots: list[Slot],
        backend: str | None = None,
        sweep: str = "",
        pause_mode: str = PAUSE_EXIT,
    ) -> None:
        self.slots = slots
        # PAUSE_EXIT: a pause ends the trial's process (it checkpoints first), holding no memory.
        self.pause_mode = pause_mode
        self.starter = Starter(backend)
        self.sweep = sweep

    def prepare(self) -> float:
        return self.starter.warm_up({SWEEP_ENV: self.sweep})

    def start(self, launch: TrialLaunch) -> LocalTrial:
        env = trial_environment(launch.slot, launch.env, self.sweep)
        env.update(launch.environment(launch.folder, self.pause_mode))
        command = trial_command(launch, env) if launch.command else None
        process = self.starter.start(command, launch.folder.log, env)
        return LocalTrial(process, launch.folder)

    def broken(self) -> str | None:
        return self.starter.broken()

    def close(self) -> None:
        """Nothing to release: the fork server exits with this process (see child.py)."""
