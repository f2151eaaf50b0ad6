"""Process-wide setup for a training run: device, threads, seeds, determinism."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from ksweep.train.settings import SettingsError


def resolve_device(requested: str) -> str:
    """``"cpu"`` or ``"cuda"`` for CONFIG_DEVICE ``requested`` (auto, cpu, cuda).

    Raises :class:`SettingsError` when cuda is demanded but no GPU is visible:
    silently training on the CPU would make a sweep's timings and throughput
    meaningless, and the user asked for a GPU explicitly.
    """
    if requested == "cpu":
        return "cpu"
    available = torch.cuda.is_available()
    if requested == "cuda" and not available:
        raise SettingsError(
            [
                'CONFIG_DEVICE="cuda" needs a visible CUDA GPU, but torch.cuda.is_available() '
                f"is False (torch {torch.__version__}, CUDA_VISIBLE_DEVICES="
                f"{os.environ.get('CUDA_VISIBLE_DEVICES', '<unset>')!r}); "
                'fix: set CONFIG_DEVICE="auto" or "cpu", or run where a GPU is visible'
            ]
        )
    return "cuda" if available else "cpu"


def configure_threads() -> None:
    """Honour ``KSWEEP_THREADS`` (intra-op threads), else keep torch's default.

    A launcher running several CPU trials side by side sets it so the trials do
    not oversubscribe the cores; a single run should use what torch picks.
    """
    raw = os.environ.get("KSWEEP_THREADS")
    if raw is None or raw == "":
        return
    try:
        threads = int(raw)
    except ValueError:
        threads = 0
    if threads < 1:
        raise SettingsError(
            [f"KSWEEP_THREADS must be a positive integer, found {raw!r}; fix: unset it or set 1+"]
        )
    torch.set_num_threads(threads)


def seed_everything(seed: int, device: str) -> None:
    """Seed Python, NumPy and torch; make CPU runs bit-for-bit repeatable.

    Repeatable means: same seed, same torch build and same number of threads
    (the split of CPU reductions across threads changes rounding), which is
    what KSWEEP_THREADS pins for a launcher.

    Deterministic algorithms are requested on the CPU only, where they cost
    nothing. On CUDA they would need CUBLAS_WORKSPACE_CONFIG and slower
    kernels, and sweeps there care about throughput; GPU runs are therefore
    repeatable only up to floating-point reduction order.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.use_deterministic_algorithms(device == "cpu")
