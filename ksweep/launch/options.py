"""How to run a sweep: the launch settings, checked before anything is created."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ksweep.diagnostics import Refusal
from ksweep.launch.registry import LAUNCHER_NAMES as LAUNCHERS
from ksweep.protocol import DEFAULT_CHECKPOINT_SECONDS, PAUSE_EXIT, PAUSE_MODES

DEVICES = ("auto", "cpu", "cuda")


class SweepError(Refusal):
    """The sweep cannot start (nothing to run, a bad option); nothing was written."""


@dataclass(frozen=True)
class LaunchOptions:
    """How to run a sweep; None means: choose for this machine."""

    device: str | None = None
    jobs: int | None = None
    gpus: tuple[str, ...] | None = None
    trials_per_gpu: int | None = None
    timeout: float | None = None
    retries: int = 0
    fail_fast: bool = False
    backend: str | None = None
    launcher: str = "local"
    allow_download: bool = False  # trials may download missing datasets
    # EARLY_STOP= and ES_*= given for this run (rule field, value); a resume reuses them
    early_stop: tuple[tuple[str, Any], ...] = ()
    train_command: tuple[str, ...] = ()  # TRAIN_COMMAND as argv; empty: ksweep's own trainer
    keep_checkpoints: bool = False  # KEEP_CHECKPOINTS=1: finished trials keep checkpoint/
    checkpoint_seconds: float = DEFAULT_CHECKPOINT_SECONDS  # CHECKPOINT_SECONDS=
    # PAUSE_MODE=: "exit" (a paused trial checkpoints and exits, if its command can) or
    # "wait" (it stays resident: restarts cost nothing, memory stays held)
    pause_mode: str = PAUSE_EXIT
    # SLURM_*= for LAUNCHER=slurm: (field, value) of ksweep.launch.slurm.SlurmSettings
    slurm: tuple[tuple[str, str], ...] = ()

    def check(self) -> None:
        problems = []
        if self.device is not None and self.device not in DEVICES:
            problems.append(f"DEVICE={self.device} is not one of {', '.join(DEVICES)}")
        for name, value in (("JOBS", self.jobs), ("TRIALS_PER_GPU", self.trials_per_gpu)):
            if value is not None and value < 1:
                problems.append(f"{name}={value} must be 1 or more")
        if self.timeout is not None and self.timeout <= 0:
            problems.append(f"TRIAL_TIMEOUT={self.timeout:g} must be a positive number of seconds")
        if self.retries < 0:
            problems.append(f"RETRIES={self.retries} must be 0 or more")
        if not self.checkpoint_seconds >= 0:  # also refuses nan
            problems.append(
                f"CHECKPOINT_SECONDS={self.checkpoint_seconds:g} must be 0 (every epoch) or more"
            )
        if self.pause_mode not in PAUSE_MODES:
            problems.append(f"PAUSE_MODE={self.pause_mode} is not one of {', '.join(PAUSE_MODES)}")
        if self.launcher not in LAUNCHERS:
            problems.append(f"LAUNCHER={self.launcher} is not one of {', '.join(LAUNCHERS)}")
        if problems:
            raise SweepError("; ".join(problems))

    def record(self) -> dict[str, Any]:
        """What the manifest keeps of these settings, per run segment."""
        return {
            "device": self.device,
            "jobs": self.jobs,
            "gpus": list(self.gpus) if self.gpus else None,
            "trials_per_gpu": self.trials_per_gpu,
            "timeout": self.timeout,
            "retries": self.retries,
            "fail_fast": self.fail_fast,
            "backend": self.backend,
            "launcher": self.launcher,
            "allow_download": self.allow_download,
            "early_stop": dict(self.early_stop),
            "train_command": list(self.train_command),
            "keep_checkpoints": self.keep_checkpoints,
            "checkpoint_seconds": self.checkpoint_seconds,
            "pause_mode": self.pause_mode,
            **({"slurm": dict(self.slurm)} if self.slurm else {}),
        }
