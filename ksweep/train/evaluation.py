"""Measuring a network: loss and accuracy on a split, and a fingerprint of its weights."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

EVAL_BATCH = 1000  # images per forward pass when evaluating; memory-bound, not a hyperparameter


@dataclass(frozen=True)
class Measurement:
    """One evaluation of a split: mean cross-entropy and accuracy in percent.

    With test-time augmentation both are the views' (mean softmax over the
    views) and ``single_view_acc`` is the plain image's accuracy, measured in
    the same pass; without it ``single_view_acc`` is None.
    """

    loss: float
    acc: float
    single_view_acc: float | None = None


def logits_of(
    model: nn.Module, batch: Tensor, *, bf16: bool = False, channels_last: bool = False
) -> Tensor:
    """float32 logits of ``batch`` (the caller sets eval mode and no_grad)."""
    if channels_last:
        batch = batch.contiguous(memory_format=torch.channels_last)
    with torch.autocast(device_type=batch.device.type, dtype=torch.bfloat16, enabled=bf16):
        return model(batch).float()


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
        logits = logits_of(model, batch, bf16=bf16, channels_last=channels_last)
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
