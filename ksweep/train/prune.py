"""Gradual pruning: a cubic sparsity schedule and per-layer masks from three scores.

Schedule (Zhu & Gupta, 2017, "To prune, or not to prune")::

    s(t) = 0                                   t <= warmup
    s(t) = target * (1 - (1 - p)^3)            p = (t - warmup) / (T_end - warmup)
    s(t) = target                              t >= T_end = ramp_end_epoch * steps_per_epoch

t counts optimizer steps taken. The cubic prunes fast while the network is
still redundant and slowly as it approaches the target. If the warmup ends
at or after T_end there is no ramp and sparsity jumps to the target at the
first step after the warmup.

Mask cadence: masks are recomputed every k = clamp((T_end - warmup) // 100,
1, 100) steps during the ramp, i.e. about 100 updates per ramp (the paper's
own setting uses ~100-step intervals on long runs), plus once more at the
first step at or past T_end so the final sparsity is exactly the target.
Short test runs thus prune every step; a 27k-step ResNet ramp every 100.
After the ramp masks are frozen; they are applied after every optimizer
step, so weights an optimizer's momentum or weight decay moved off zero are
put back.

Scores (lowest are pruned):
- magnitude: |w|.
- movement: S = sum over steps of -w * dL/dw, accumulated from the first step
  (Sanh et al., 2020, hard movement pruning with straight-through scores
  replaced by their closed form). A weight moving towards zero has w and its
  gradient of the same sign, so its score falls.
- state: AdamWPrune's |w| * sqrt(v_hat) (see :mod:`ksweep.train.adamwprune`).
- global: |w| against one threshold shared by all layers.

magnitude, movement and state are per-layer: each prunable tensor is pruned
to s(t) on its own. A single global threshold compares scores across layers
of very different scale (and, for state/movement, different units) and can
empty a small layer entirely -- mnist8k's first convolution has 90 weights --
disconnecting the network. Per-layer sparsity also makes the measured total
equal the target up to rounding of one weight per tensor.

global is the method for when layers *should* be pruned unevenly (large
redundant layers more than small ones, Frankle & Carbin 2019). Its threshold
is global, but each layer keeps at least GLOBAL_MIN_KEEP of its weights
(at least one), so no layer is emptied; the shortfall is taken from the
other layers, so the total still equals s(t) to one weight.

Masks only shrink: a pruned weight is zero with zero optimizer state, so
letting it "regrow" would restart it from nothing on a stale score; gradual
magnitude pruning is monotone too.

Prunable parameters are the weights of convolutions and linear layers;
biases and normalisation parameters are a negligible share and pruning them
destabilises training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ksweep.train.adamwprune import AdamWPrune

PRUNING_METHODS: tuple[str, ...] = ("none", "magnitude", "movement", "state", "global")
GLOBAL_MIN_KEEP = 0.01  # share of each layer the global method never prunes
MASK_UPDATES_PER_RAMP = 100
MAX_MASK_INTERVAL = 100  # steps


def prunable_parameters(model: nn.Module) -> list[tuple[str, nn.Parameter]]:
    """(name, weight) of every convolution and linear layer, in module order."""
    found: list[tuple[str, nn.Parameter]] = []
    for name, module in model.named_modules():
        if isinstance(module, (nn.modules.conv._ConvNd, nn.Linear)):
            found.append((f"{name}.weight" if name else "weight", module.weight))
    return found


@torch.no_grad()
def measured_sparsity(model: nn.Module) -> float:
    """Fraction of prunable weights that are exactly zero, read from the weights themselves."""
    params = [p for _, p in prunable_parameters(model)]
    total = sum(p.numel() for p in params)
    if total == 0:
        return 0.0
    zeros = torch.stack([(p == 0).sum() for p in params]).sum()
    return zeros.item() / total


@dataclass(frozen=True)
class SparsitySchedule:
    """The cubic schedule above, in optimizer steps."""

    target: float
    warmup_steps: int
    ramp_end_step: int

    def sparsity_at(self, step: int) -> float:
        """Target sparsity after ``step`` optimizer steps."""
        if step <= self.warmup_steps or self.target == 0.0:
            return 0.0
        if step >= self.ramp_end_step:
            return self.target
        progress = (step - self.warmup_steps) / (self.ramp_end_step - self.warmup_steps)
        return self.target * (1.0 - (1.0 - progress) ** 3)

    @property
    def mask_interval(self) -> int:
        """Steps between mask updates during the ramp (see module docstring)."""
        ramp = self.ramp_end_step - self.warmup_steps
        return min(max(ramp // MASK_UPDATES_PER_RAMP, 1), MAX_MASK_INTERVAL)

    def mask_update_due(self, step: int) -> bool:
        """Whether masks are recomputed after ``step`` (the pruner also skips no-op updates)."""
        if step <= self.warmup_steps:
            return False
        return step >= self.ramp_end_step or (step - self.warmup_steps) % self.mask_interval == 0


class Pruner:
    """Owns the masks of one model and the scores that choose them.

    Call :meth:`after_backward` between ``loss.backward()`` and
    ``optimizer.step()``, and :meth:`after_step` right after the step.
    """

    def __init__(
        self,
        model: nn.Module,
        method: str,
        schedule: SparsitySchedule,
        optimizer: torch.optim.Optimizer,
    ) -> None:
        if method not in PRUNING_METHODS:
            raise ValueError(f"unknown pruning method {method!r}")
        if method == "state" and not isinstance(optimizer, AdamWPrune):
            raise ValueError("state pruning needs the AdamWPrune optimizer")
        self.method = method
        self.schedule = schedule
        self.optimizer = optimizer
        self.params = [p for _, p in prunable_parameters(model)]
        self.masks: dict[Tensor, Tensor] = {}
        self.applied_sparsity = 0.0  # the s(t) the current masks realise
        self.movement: dict[Tensor, Tensor] = {}
        if method == "movement":
            self.movement = {p: torch.zeros_like(p) for p in self.params}

    @torch.no_grad()
    def after_backward(self) -> None:
        """Accumulate movement scores -w * grad (only the movement method needs this)."""
        for param, score in self.movement.items():
            if param.grad is not None:
                score.addcmul_(param, param.grad, value=-1.0)

    @torch.no_grad()
    def after_step(self, step: int) -> None:
        """Update masks when due, then re-apply them to the weights."""
        if self.method == "none":
            return
        if self.schedule.mask_update_due(step):
            sparsity = self.schedule.sparsity_at(step)
            if sparsity > self.applied_sparsity:
                self._update_masks(sparsity)
                self.applied_sparsity = sparsity
        for param, mask in self.masks.items():
            param.mul_(mask)

    def _score(self, param: Tensor) -> Tensor:
        if self.method in ("magnitude", "global"):
            return param.detach().abs()
        if self.method == "movement":
            return self.movement[param].clone()
        assert isinstance(self.optimizer, AdamWPrune)
        return self.optimizer.importance(param)

    def _update_masks(self, sparsity: float) -> None:
        scores = {param: self._masked_scores(param) for param in self.params}
        if self.method == "global":
            counts = global_prune_counts(list(scores.values()), sparsity)
        else:
            counts = [round(sparsity * param.numel()) for param in self.params]
        for param, n_prune in zip(self.params, counts, strict=True):
            if n_prune == 0:
                continue
            prune_idx = torch.topk(scores[param], n_prune, largest=False, sorted=False).indices
            mask = torch.ones(param.numel(), dtype=param.dtype, device=param.device)
            mask[prune_idx] = 0
            mask = mask.view_as(param)
            self.masks[param] = mask
            if isinstance(self.optimizer, AdamWPrune):
                # Lets AdamWPrune zero the pruned weights' gradients and moments too.
                self.optimizer.set_mask(param, mask)

    def _masked_scores(self, param: Tensor) -> Tensor:
        """Flat float scores; already-pruned weights score -inf (monotone masks)."""
        scores = self._score(param).flatten().float()
        old = self.masks.get(param)
        if old is not None:  # what is pruned stays pruned
            scores[old.flatten() == 0] = float("-inf")
        return scores


def global_prune_counts(scores: list[Tensor], sparsity: float) -> list[int]:
    """Weights to prune per layer so that one threshold over all scores prunes ``sparsity``.

    Layers whose share under the threshold would exceed their cap (all but
    GLOBAL_MIN_KEEP of their weights) are clamped to the cap and the rest of
    the budget is re-thresholded over the remaining layers, until no layer is
    over its cap (at most one round per layer).
    """
    sizes = [s.numel() for s in scores]
    caps = [n - max(1, math.ceil(GLOBAL_MIN_KEEP * n)) for n in sizes]
    budget = min(round(sparsity * sum(sizes)), sum(caps))
    counts = [0] * len(scores)
    open_layers = list(range(len(scores)))
    while open_layers and budget > 0:
        pooled = torch.cat([scores[i] for i in open_layers])
        threshold_idx = torch.topk(pooled, budget, largest=False, sorted=False).indices
        owner = torch.repeat_interleave(
            torch.arange(len(open_layers), device=pooled.device),
            torch.tensor([sizes[i] for i in open_layers], device=pooled.device),
        )
        share = torch.bincount(owner[threshold_idx], minlength=len(open_layers)).tolist()
        over = [i for i, n in zip(open_layers, share, strict=True) if n > caps[i]]
        if not over:
            for i, n in zip(open_layers, share, strict=True):
                counts[i] = n
            break
        for i in over:
            counts[i] = caps[i]
            budget -= caps[i]
        open_layers = [i for i in open_layers if i not in over]
    return counts
