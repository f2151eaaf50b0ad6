"""How to run a sweep: the launch settings, checked before anything is created."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ksweep.diagnostics import Refusal
from ksweep.launch.registry import LAUNCHER_NAMES as LAUNCHERS

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
            **({"slurm": dict(self.slurm)} if self.slurm else {}),
        }
