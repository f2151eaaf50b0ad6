"""Best-checkpoint saving (CONFIG_SAVE_CHECKPOINT) and safe loading.

The checkpoint is a plain ``state_dict`` (tensors only), written atomically
to ``best.pt`` in the trial folder, so :func:`load_checkpoint` can read it
with ``torch.load(weights_only=True)``: unpickling a checkpoint from a shared
results folder then cannot execute code, unlike a pickled whole model.
"""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

import torch
from torch import Tensor, nn

from ksweep.sweep.atomic import replacing


def save_checkpoint(path: str | Path, model: nn.Module) -> None:
    """Write ``model``'s state dict (on the CPU) to ``path``, atomically."""
    path = Path(path)
    state = {name: tensor.detach().to("cpu") for name, tensor in model.state_dict().items()}
    try:
        with replacing(path) as temporary:
            torch.save(state, temporary)
    except RuntimeError as problem:
        # torch's zip writer reports a full disk as "unexpected pos ..."; say what it is, so
        # the launcher knows the machine, not the configuration, failed.
        needed = sum(t.numel() * t.element_size() for t in state.values())
        free = shutil.disk_usage(path.parent).free
        if free < needed:
            raise OSError(
                errno.ENOSPC,
                f"No space left on device writing {path} ({free} bytes free, {needed} needed)",
            ) from problem
        raise


def load_checkpoint(path: str | Path) -> dict[str, Tensor]:
    """The state dict saved at ``path``, loaded with ``weights_only=True`` onto the CPU."""
    return torch.load(path, map_location="cpu", weights_only=True)
