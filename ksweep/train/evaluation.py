"""Measuring a network: loss and accuracy on a split, and a fingerprint of its weights."""

from __future__ import annotations

import hashlib

import torch
import torch.nn.functional as F
from torch import Tensor, nn

EVAL_BATCH = 1000  # images per forward pass when evaluating; memory-bound, not a hyperparameter


@torch.no_grad()
def evaluate(
    model: nn.Module, x: Tensor, y: Tensor, *, bf16: bool = False, channels_last: bool = False
) -> tuple[float, float]:
    """(mean cross-entropy, accuracy in percent) of ``model`` in eval mode on ``x``, ``y``."""
    model.eval()
    loss_sum = torch.zeros((), device=y.device)
    correct = torch.zeros((), dtype=torch.long, device=y.device)
    for start in range(0, len(y), EVAL_BATCH):
        batch = x[start : start + EVAL_BATCH]
        if channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device_type=y.device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = model(batch).float()
        target = y[start : start + EVAL_BATCH]
        loss_sum += F.cross_entropy(logits, target, reduction="sum")
        correct += (logits.argmax(dim=1) == target).sum()
    return loss_sum.item() / len(y), 100.0 * correct.item() / len(y)


def weights_digest(model: nn.Module) -> str:
    """SHA-256 over every state-dict tensor (names, shapes, bytes): a run's exact outcome.

    Same seed on the CPU gives the same digest, so it doubles as a
    reproducibility check between runs and as a fingerprint in tests.
    """
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        data = tensor.detach().to("cpu").contiguous()
        digest.update(f"{name}:{tuple(data.shape)}:{data.dtype}".encode())
        digest.update(data.numpy().tobytes() if data.numel() else b"")
    return digest.hexdigest()
