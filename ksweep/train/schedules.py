"""Learning-rate schedules (CONFIG_LR_SCHEDULE) on top of torch's schedulers.

The trainer calls :meth:`LrSchedule.after_step` after every optimizer step and
:meth:`LrSchedule.after_epoch` after every epoch; each schedule advances on
the cadence it is defined in:

- none: the rate stays at CONFIG_LEARNING_RATE.
- step: times CONFIG_LR_STEP_GAMMA every CONFIG_LR_STEP_EPOCHS epochs.
- cosine: cosine decay from CONFIG_LEARNING_RATE to 0 over all steps, in
  closed form (torch's CosineAnnealingLR updates recursively from the current
  rate, which with a device-tensor rate costs a host sync every step).
- onecycle: warm-up from LR/25 to LR over CONFIG_LR_PCT_START of the steps,
  then annealing to LR/25e4 (torch's OneCycleLR defaults, cosine shape).
  Momentum (or Adam's beta1) is *not* cycled: CONFIG_MOMENTUM and the betas
  keep meaning what they say, and a CUDA-graph-captured step (which bakes
  momentum in) trains exactly like an eager one.
"""

from __future__ import annotations

import math

import torch
from torch.optim.lr_scheduler import LRScheduler, OneCycleLR, StepLR

SCHEDULES: tuple[str, ...] = ("none", "step", "cosine", "onecycle")


class LrSchedule:
    """One run's schedule, stepped per optimizer step or per epoch as it requires."""

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        kind: str,
        *,
        total_steps: int,
        step_epochs: int = 1,
        step_gamma: float = 1.0,
        pct_start: float = 0.25,
    ) -> None:
        if kind not in SCHEDULES:
            raise ValueError(f"unknown learning-rate schedule {kind!r}")
        self.per_step: LRScheduler | None = None
        self.per_epoch: LRScheduler | None = None
        self.cosine_steps = 0  # > 0: closed-form cosine over this many steps
        self.base_lr = float(optimizer.param_groups[0]["lr"])
        self.steps = 0
        if kind == "step":
            self.per_epoch = StepLR(optimizer, step_size=step_epochs, gamma=step_gamma)
        elif kind == "cosine":
            self.cosine_steps = total_steps
        elif kind == "onecycle":
            self.per_step = OneCycleLR(
                optimizer,
                max_lr=self.base_lr,
                total_steps=total_steps,
                pct_start=pct_start,
                cycle_momentum=False,
            )
        self.optimizer = optimizer

    def after_step(self) -> None:
        self.steps += 1
        if self.per_step is not None:
            self.per_step.step()
        elif self.cosine_steps:
            progress = min(self.steps, self.cosine_steps) / self.cosine_steps
            set_lr(self.optimizer, self.base_lr * (1 + math.cos(math.pi * progress)) / 2)

    def after_epoch(self) -> None:
        if self.per_epoch is not None:
            self.per_epoch.step()

    @property
    def lr(self) -> float:
        """The rate the next step will use (a float even when the optimizer holds a tensor)."""
        return float(self.optimizer.param_groups[0]["lr"])


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set every group's rate, in place when it is a (device) tensor a CUDA graph reads."""
    for group in optimizer.param_groups:
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(lr)
        else:
            group["lr"] = lr
