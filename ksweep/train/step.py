"""One training step on a batch of on-device indices, written once for eager and captured use.

The step gathers its batch from the resident training tensors, runs forward
and loss (under bf16 autocast when asked), backward, optional gradient
clipping and the optimizer step, and adds the batch's loss and correct
count to on-device accumulators. It never synchronises with the host and
never allocates outside torch's allocator, which is exactly what lets
:class:`ksweep.train.acceleration.CapturedSteps` record it into a CUDA graph
unchanged. Gradients are *not* zeroed here: eagerly the caller zeroes them
first; a captured step gets fresh gradient buffers at capture time that
every replay overwrites.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class TrainStep:
    """Forward, loss, backward, clip, step and accumulate for one batch of indices."""

    def __init__(
        self,
        forward: Callable[[Tensor], Tensor],
        optimizer: torch.optim.Optimizer,
        params: list[nn.Parameter],
        x: Tensor,
        y: Tensor,
        *,
        label_smoothing: float = 0.0,
        grad_clip_norm: float = 0.0,
        bf16: bool = False,
        channels_last: bool = False,
        after_backward: Callable[[], None] | None = None,
    ) -> None:
        self.forward = forward
        self.optimizer = optimizer
        self.params = params
        self.x = x  # a fixed tensor: augmentation rewrites it in place each epoch
        self.y = y
        self.label_smoothing = label_smoothing
        self.grad_clip_norm = grad_clip_norm
        self.bf16 = bf16
        self.channels_last = channels_last
        self.after_backward = after_backward
        self.loss_sum = torch.zeros((), device=y.device)  # sum of per-image training losses
        self.correct = torch.zeros((), dtype=torch.long, device=y.device)

    def __call__(self, idx: Tensor, poison: Callable[[Tensor], Tensor] | None = None) -> None:
        """Train on images ``x[idx]``; ``poison`` may replace the loss (fault injection)."""
        x, y = self.x[idx], self.y[idx]
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        # cache_enabled=False: autocast's weight-cast cache must not outlive a graph capture.
        with torch.autocast(
            device_type=y.device.type, dtype=torch.bfloat16, enabled=self.bf16, cache_enabled=False
        ):
            logits = self.forward(x)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=self.label_smoothing)
        if poison is not None:
            loss = poison(loss)
        loss.backward()
        if self.grad_clip_norm > 0:
            nn.utils.clip_grad_norm_(self.params, self.grad_clip_norm)
        if self.after_backward is not None:
            self.after_backward()
        self.optimizer.step()
        # Accumulate on the device: one host sync per epoch, not per step.
        self.loss_sum += loss.detach() * len(idx)
        self.correct += (logits.detach().argmax(dim=1) == y).sum()

    def take_totals(self) -> tuple[float, int]:
        """(summed loss, correct predictions) since the last call, then reset (one sync)."""
        totals = self.loss_sum.item(), int(self.correct.item())
        self.loss_sum.zero_()
        self.correct.zero_()
        return totals
