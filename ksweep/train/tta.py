"""Test-time augmentation (CONFIG_TTA): each image classified as the mean over several views.

A network trained on randomly rotated digits has learnt a small range of
poses; averaging its predictions over the same image at a few fixed angles
(the MNIST playground's -3, 0 and +3 degrees) and, for natural images, its
mirror image, cancels part of the error any one pose makes. The views'
softmax outputs are averaged (not their logits: a confident view should not
drown the others in scale), so the loss is the cross-entropy of that mean,
``-log(mean_v p_v[y])``, computed stably as a log-sum-exp of log-softmaxes.

Views are made exactly as training augmentation makes its images
(:func:`ksweep.train.augment.rotate`: bilinear, about the centre, black
filling in), deterministically, on the evaluation device. A rotation of 0 is
the image itself, untouched, and the plain image's accuracy is measured in
the same pass, so every TTA figure comes with its single-view counterpart.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from ksweep.train.augment import rotate
from ksweep.train.evaluation import EVAL_BATCH, Measurement, logits_of


@dataclass(frozen=True)
class TestTimeAugmentation:
    """The views of every evaluated image: one per rotation, each also mirrored with ``flip``."""

    rotations: tuple[float, ...]  # degrees
    flip: bool = False

    __test__ = False  # a "Test..." class that is no pytest test class

    @property
    def view_count(self) -> int:
        return len(self.rotations) * (2 if self.flip else 1)

    def views(self, x: Tensor, fill: Tensor) -> Iterator[tuple[bool, Tensor]]:
        """(is the plain image, view) for every view of the batch ``x`` (N, C, H, W).

        ``fill`` is a black pixel in ``x``'s normalisation, shape (1, C, 1, 1).
        """
        for degrees in self.rotations:
            if degrees == 0:
                view = x
            else:
                angles = torch.full((len(x),), math.radians(degrees), device=x.device)
                view = rotate(x - fill, angles) + fill
            yield degrees == 0, view
            if self.flip:
                yield False, view.flip(3)

    def describe(self) -> dict[str, Any]:
        """What training_metrics.json records about the protocol."""
        return {
            "tta_views": self.view_count,
            "tta_rotations": list(self.rotations),
            "tta_flip": self.flip,
        }


@torch.no_grad()
def evaluate_views(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    tta: TestTimeAugmentation,
    black: tuple[float, ...],
    *,
    bf16: bool = False,
    channels_last: bool = False,
) -> Measurement:
    """Loss and accuracy of ``model`` on ``x``, ``y`` under ``tta``, and the plain accuracy."""
    model.eval()
    fill = torch.tensor(black, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    loss_sum = torch.zeros((), device=y.device)
    correct = torch.zeros((), dtype=torch.long, device=y.device)
    single = torch.zeros((), dtype=torch.long, device=y.device)
    log_views = math.log(tta.view_count)
    for start in range(0, len(y), EVAL_BATCH):
        batch, target = x[start : start + EVAL_BATCH], y[start : start + EVAL_BATCH]
        log_probs, plain = [], None
        for is_plain, view in tta.views(batch, fill):
            logits = logits_of(model, view, bf16=bf16, channels_last=channels_last)
            log_probs.append(logits.log_softmax(dim=1))
            plain = logits if is_plain else plain
        if plain is None:  # no 0-degree view: measure the plain image on its own
            plain = logits_of(model, batch, bf16=bf16, channels_last=channels_last)
        mean_log_prob = torch.logsumexp(torch.stack(log_probs), dim=0) - log_views
        loss_sum -= mean_log_prob.gather(1, target[:, None]).sum()
        correct += (mean_log_prob.argmax(dim=1) == target).sum()
        single += (plain.argmax(dim=1) == target).sum()
    n = len(y)
    return Measurement(
        loss=loss_sum.item() / n,
        acc=100.0 * correct.item() / n,
        single_view_acc=100.0 * single.item() / n,
    )
