"""Data augmentation on the training device, applied to the whole training split per epoch.

Augmenting every image once per epoch, in a few large batched operations,
costs far less than per-batch transforms in DataLoader workers and keeps the
training step a plain index gather (which is what lets a CUDA graph capture
the step). Each image still sees a fresh random transform every epoch.

All random numbers come from a CPU generator seeded by CONFIG_SEED and are
then moved to the device, so CPU and GPU runs draw the same augmentation and
CPU runs stay bit-for-bit repeatable.

- rotation: a uniform angle in [-d, d] degrees per image, bilinear sampling,
  background filled with black (MNIST-style digits).
- crop: pad by p black pixels per side, cut a random window of the original
  size (the standard CIFAR translation, p = 4).
- flip: mirror a random half of the images left-right (natural images only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

CHUNK = 8192  # images per batched operation: bounds temporary memory, not a hyperparameter


@dataclass(frozen=True)
class Augmentation:
    """What to apply each epoch; all off is the identity (and costs nothing)."""

    rotation_deg: float = 0.0
    crop_padding: int = 0
    flip: bool = False

    @property
    def active(self) -> bool:
        return self.rotation_deg > 0 or self.crop_padding > 0 or self.flip

    def apply(self, x: Tensor, black: tuple[float, ...], generator: torch.Generator) -> Tensor:
        """A freshly augmented copy of ``x`` (N, C, H, W); ``x`` itself is left untouched.

        ``black`` is the per-channel value of a black pixel in ``x``'s
        normalisation, used for everything shifted or rotated into view.
        """
        if not self.active:
            return x
        fill = torch.tensor(black, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
        n = len(x)
        # Draw every random number up front, in a fixed order, on the CPU generator.
        angles = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(self.rotation_deg)
        offsets = torch.randint(0, 2 * self.crop_padding + 1, (n, 2), generator=generator)
        flips = torch.rand(n, generator=generator) < 0.5
        out = torch.empty_like(x)
        for start in range(0, n, CHUNK):
            part = slice(start, start + CHUNK)
            chunk = x[part] - fill  # black becomes 0, the value padding and sampling add
            if self.rotation_deg > 0:
                chunk = rotate(chunk, angles[part].to(x.device))
            if self.crop_padding > 0:
                chunk = random_crop(chunk, self.crop_padding, offsets[part].to(x.device))
            if self.flip:
                mask = flips[part].to(x.device).view(-1, 1, 1, 1)
                chunk = torch.where(mask, chunk.flip(3), chunk)
            out[part] = chunk + fill
        return out


def rotate(x: Tensor, angles: Tensor) -> Tensor:
    """Rotate each image of ``x`` by its angle (radians) about the centre; zeros fill in."""
    cos, sin = angles.cos(), angles.sin()
    zero = torch.zeros_like(cos)
    theta = torch.stack([cos, -sin, zero, sin, cos, zero], dim=1).view(-1, 2, 3).to(x.dtype)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_crop(x: Tensor, padding: int, offsets: Tensor) -> Tensor:
    """Zero-pad ``x`` by ``padding`` and cut each image's window at its (row, col) offset."""
    n, _, h, w = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))
    rows = offsets[:, :1] + torch.arange(h, device=x.device)  # (N, H)
    cols = offsets[:, 1:] + torch.arange(w, device=x.device)  # (N, W)
    batch = torch.arange(n, device=x.device).view(-1, 1, 1)
    # Advanced indices around a slice put their broadcast dims first: (N, H, W, C).
    return padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
