"""Where trials may run at once: CPU slots and GPU slots, and each child's environment.

A small model leaves a GPU mostly idle, so several trials may share one
(``TRIALS_PER_GPU``); each child sees only its own GPU through
``CUDA_VISIBLE_DEVICES``. CPU trials split the cores between them through
``KSWEEP_THREADS`` so that ``JOBS`` trials do not fight over threads. GPUs
are found without importing torch: ``GPUS``, else ``CUDA_VISIBLE_DEVICES``,
else ``nvidia-smi -L``.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Slot:
    """One place a trial can run, and what its process must be told."""

    name: str
    kind: str  # "cpu" | "cuda"
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SlotRequest:
    """What the user asked for (None: choose for this machine)."""

    jobs: int | None = None
    gpus: tuple[str, ...] | None = None
    trials_per_gpu: int | None = None


def visible_gpus(requested: tuple[str, ...] | None = None) -> list[str]:
    """GPU ids trials may use: the request, else CUDA_VISIBLE_DEVICES, else nvidia-smi."""
    if requested is not None:
        return list(requested)
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [g.strip() for g in env.split(",") if g.strip() and g.strip() != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        listing = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [str(i) for i, line in enumerate(listing.splitlines()) if line.startswith("GPU ")]


def cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def trial_kind(config_device: str, gpus: list[str]) -> str:
    """Which slot kind a trial with CONFIG_DEVICE=``config_device`` needs."""
    if config_device == "cpu":
        return "cpu"
    if config_device == "cuda":
        return "cuda"
    return "cuda" if gpus else "cpu"


def plan_slots(
    kinds: set[str], request: SlotRequest, cores: int | None = None, gpus: list[str] | None = None
) -> list[Slot]:
    """The slots for a sweep whose trials need ``kinds``; JOBS caps how many run at once."""
    cores = cores or cpu_count()
    gpus = visible_gpus(request.gpus) if gpus is None else gpus
    slots: list[Slot] = []
    if "cuda" in kinds and gpus:
        per_gpu = request.trials_per_gpu or (
            math.ceil(request.jobs / len(gpus)) if request.jobs else 1
        )
        jobs = request.jobs or per_gpu * len(gpus)
        threads = str(max(1, cores // max(1, jobs)))
        for round_ in range(per_gpu):
            for gpu in gpus:
                if len(slots) < jobs:
                    slots.append(
                        Slot(
                            f"cuda:{gpu}#{round_}",
                            "cuda",
                            {"CUDA_VISIBLE_DEVICES": gpu, "KSWEEP_THREADS": threads},
                        )
                    )
    if "cpu" in kinds or ("cuda" in kinds and not gpus):
        jobs = request.jobs or max(1, cores // 2)
        threads = str(max(1, cores // jobs))
        slots.extend(Slot(f"cpu#{i}", "cpu", {"KSWEEP_THREADS": threads}) for i in range(jobs))
    return slots
