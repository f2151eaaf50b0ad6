"""AdamWPrune: AdamW whose own moment estimates decide which weights to prune.

Until masks are installed it is exactly AdamW (Loshchilov & Hutter, 2019) --
decoupled weight decay, bias-corrected moments, optional AMSGrad -- with the
same update order as ``torch.optim.AdamW``'s single-tensor path, so a test can
compare the two bit for bit.

Importance score (used by "state" pruning)::

    score(w) = |w| * sqrt(v_hat)        v_hat = bias-corrected second moment

Why this score: Adam's second moment v is a running estimate of E[g^2], the
diagonal of the empirical Fisher information F. Optimal Brain Damage
(LeCun et al., 1990) estimates the loss increase from zeroing weight w as
(1/2) F w^2; |w| * sqrt(v) is the square root of that saliency (up to the
constant), so it ranks weights identically while staying in the weights'
units. It also equals the expected magnitude of the first-order Taylor term
|g * w| with |g| replaced by its RMS, the quantity gradient-times-weight
pruning criteria use. Pure magnitude pruning ignores how much the loss
reacts to a weight; this score weighs magnitude by that sensitivity, and
comes for free because Adam already tracks v. With AMSGrad the running
maximum of v (what the update divides by) is used.

Once the pruner installs a mask for a parameter, every step zeroes the
pruned entries of the gradient before the moment updates and of the weight
and moments after it, so pruned weights stay exactly zero and carry no
stale momentum that could resurrect them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor
from torch.optim import Optimizer


class AdamWPrune(Optimizer):
    """AdamW with importance scores from its moments and mask-aware updates."""

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict[str, Any]],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        if lr <= 0.0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        if weight_decay < 0.0:
            raise ValueError(f"weight decay must be non-negative, got {weight_decay}")
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
        }
        super().__init__(params, defaults)
        self.masks: dict[Tensor, Tensor] = {}  # parameter -> {0, 1} mask of its dtype

    def set_mask(self, param: Tensor, mask: Tensor) -> None:
        """Install (or replace) the keep-mask for ``param`` and zero what it prunes now."""
        mask = mask.to(dtype=param.dtype, device=param.device)
        self.masks[param] = mask
        with torch.no_grad():
            param.mul_(mask)
            for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
                if key in self.state.get(param, {}):
                    self.state[param][key].mul_(mask)

    def importance(self, param: Tensor) -> Tensor:
        """Per-weight score |w| * sqrt(v_hat) (see module docstring); |w| before any step."""
        state = self.state.get(param, {})
        magnitude = param.detach().abs()
        if not state:
            return magnitude
        beta2 = self._group_of(param)["betas"][1]
        second = state["max_exp_avg_sq"] if "max_exp_avg_sq" in state else state["exp_avg_sq"]
        bias_correction2 = 1.0 - beta2 ** float(state["step"])
        return magnitude * (second / bias_correction2).sqrt()

    def _group_of(self, param: Tensor) -> dict[str, Any]:
        for group in self.param_groups:
            if any(p is param for p in group["params"]):
                return group
        raise KeyError("parameter is not managed by this optimizer")

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:  # noqa: D102 - documented in the class
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            lr, eps, decay = group["lr"], group["eps"], group["weight_decay"]
            amsgrad = group["amsgrad"]
            for param in group["params"]:
                if param.grad is None:
                    continue
                if param.grad.is_sparse:
                    raise RuntimeError("AdamWPrune does not support sparse gradients")
                mask = self.masks.get(param)
                grad = param.grad
                if mask is not None:
                    grad.mul_(mask)  # pruned weights receive no gradient
                state = self.state[param]
                if not state:
                    state["step"] = torch.tensor(0.0)
                    state["exp_avg"] = torch.zeros_like(param, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(
                        param, memory_format=torch.preserve_format
                    )
                    if amsgrad:
                        state["max_exp_avg_sq"] = torch.zeros_like(
                            param, memory_format=torch.preserve_format
                        )
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                state["step"] += 1
                step = float(state["step"])

                param.mul_(1.0 - lr * decay)  # decoupled weight decay
                exp_avg.lerp_(grad, 1.0 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1.0 - beta2)
                bias_correction1 = 1.0 - beta1**step
                bias_correction2_sqrt = math.sqrt(1.0 - beta2**step)
                if amsgrad:
                    max_exp_avg_sq = state["max_exp_avg_sq"]
                    torch.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                    denom = (max_exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                else:
                    denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                param.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)

                if mask is not None:
                    param.mul_(mask)
                    exp_avg.mul_(mask)
                    exp_avg_sq.mul_(mask)
                    if amsgrad:
                        state["max_exp_avg_sq"].mul_(mask)
        return loss
