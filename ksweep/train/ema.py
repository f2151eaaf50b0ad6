"""An exponential moving average of a model's weights, evaluated in its place (CONFIG_EMA).

Averaging the weights of the last few hundred steps smooths out the noise of
the final SGD iterates: the average sits nearer the centre of the basin the
optimizer is bouncing around in, which typically adds a few tenths of a
percent on small image tasks and makes the last epochs' accuracies steadier.

Every floating-point parameter *and buffer* is averaged, BatchNorm running
statistics included, so the averaged network is self-consistent (running
statistics collected under one set of weights do not fit another); integer
buffers (BatchNorm's batch counter) are copied. The decay warms up as
min(decay, (1 + n) / (10 + n)) after n updates (TensorFlow's
ExponentialMovingAverage with num_updates): without it the average of a
short run would be dominated by the random initialisation for
~1 / (1 - decay) steps.

Pruned weights: after each update the average is multiplied by the pruning
masks, so weights that are zero in the model are exactly zero in the average
too and the measured sparsity of the evaluated network is the real one.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

import torch
from torch import Tensor, nn


class WeightEMA:
    """Holds the averaged copy of ``model`` and updates it after each optimizer step."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(model).eval()
        self.model.requires_grad_(False)
        sources = [*model.parameters(), *model.buffers()]
        targets = [*self.model.parameters(), *self.model.buffers()]
        self._float_pairs = [
            (t, s) for t, s in zip(targets, sources, strict=True) if s.is_floating_point()
        ]
        self._other_pairs = [
            (t, s) for t, s in zip(targets, sources, strict=True) if not s.is_floating_point()
        ]
        self._twin = {id(s): t for t, s in zip(targets, sources, strict=True)}

    def current_decay(self) -> float:
        """The decay the next update uses (warm-up as in the module docstring)."""
        return min(self.decay, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, masks: Mapping[Tensor, Tensor] | None = None) -> None:
        """Move the average towards the model's current weights; re-apply pruning ``masks``."""
        weight = 1.0 - self.current_decay()
        self.updates += 1
        targets = [t for t, _ in self._float_pairs]
        sources = [s for _, s in self._float_pairs]
        torch._foreach_lerp_(targets, sources, weight)
        for target, source in self._other_pairs:
            target.copy_(source)
        for param, mask in (masks or {}).items():
            self._twin[id(param)].mul_(mask)
