"""Spectral diagnostics (CONFIG_SPECTRAL_DIAG): top singular values of every weight matrix.

A layer's singular-value spectrum shows how much of its capacity it uses: a
fast-decaying scree plot means a few directions dominate (the layer is
effectively low-rank, prunable or over-regularised), a flat one that it uses
its full width. The seed study plotted exactly this per layer; the trainer
writes the numbers at the end of training as ``spectral.json``::

    {"features.0.0.weight": [s1, s2, ..., sk], ...}

Convolution kernels (out, in, kh, kw) are reshaped to out x (in*kh*kw), the
matrix the convolution applies to each input patch. Values are in
descending order; a layer with fewer than k singular values lists them all.
"""

from __future__ import annotations

import torch
from torch import nn

from ksweep.train.prune import prunable_parameters


@torch.no_grad()
def top_singular_values(model: nn.Module, k: int) -> dict[str, list[float]]:
    """{weight name: its k largest singular values} for every conv and linear weight."""
    result: dict[str, list[float]] = {}
    for name, weight in prunable_parameters(model):
        matrix = weight.detach().reshape(weight.shape[0], -1).to("cpu", torch.float64)
        result[name] = torch.linalg.svdvals(matrix)[:k].tolist()
    return result
