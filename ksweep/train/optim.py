"""Optimizer construction from settings (CONFIG_OPTIMIZER_SELECT_* and friends)."""

from __future__ import annotations

import torch
from torch import nn

from ksweep.train.adamwprune import AdamWPrune
from ksweep.train.settings import TrainSettings


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Decay only matrices and conv kernels (dim >= 2), never biases or norm parameters.

    Shrinking a BatchNorm scale or a bias towards zero does not regularise
    capacity the way shrinking a weight matrix does, and can hurt; this split
    is the standard one (e.g. nanoGPT, timm). It applies to every optimizer so
    that CONFIG_WEIGHT_DECAY means the same thing under each.
    """
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return groups


def build_optimizer(
    settings: TrainSettings, model: nn.Module, *, capturable: bool = False
) -> torch.optim.Optimizer:
    """The optimizer CONFIG_OPTIMIZER_SELECT_* names, with its Kconfig hyperparameters.

    SGD and Adam take CONFIG_WEIGHT_DECAY as an L2 term added to the gradient
    (their torch semantics); AdamW and AdamWPrune decay decoupled from the
    gradient. Adam/AdamW use torch's default betas; AdamWPrune takes
    CONFIG_ADAMWPRUNE_BETA1/BETA2/AMSGRAD.

    ``capturable=True`` (CUDA graphs) builds the same update in a form a CUDA
    graph can record: the learning rate lives in a device tensor that the
    schedule updates in place, SGD runs torch's fused kernel (which reads
    that tensor without a host sync) and Adam/AdamW their capturable
    implementations. AdamWPrune has no capturable form (its mask updates
    happen on the host); the trainer never asks for one.
    """
    groups = parameter_groups(model, settings.weight_decay)
    lr: float | torch.Tensor = settings.learning_rate
    extra: dict = {}
    if capturable:
        device = next(model.parameters()).device
        lr = torch.tensor(settings.learning_rate, dtype=torch.float32, device=device)
        extra = {"fused": True} if settings.optimizer == "SGD" else {"capturable": True}
    if settings.optimizer == "SGD":
        return torch.optim.SGD(
            groups, lr=lr, momentum=settings.momentum, nesterov=settings.nesterov, **extra
        )
    if settings.optimizer == "ADAM":
        return torch.optim.Adam(groups, lr=lr, betas=(settings.beta1, settings.beta2), **extra)
    if settings.optimizer == "ADAMW":
        return torch.optim.AdamW(groups, lr=lr, betas=(settings.beta1, settings.beta2), **extra)
    if settings.optimizer == "ADAMWPRUNE":
        if capturable:
            raise ValueError("AdamWPrune cannot be captured in a CUDA graph")
        return AdamWPrune(
            groups, lr=lr, betas=(settings.beta1, settings.beta2), amsgrad=settings.amsgrad
        )
    raise ValueError(f"unknown optimizer {settings.optimizer!r}")
