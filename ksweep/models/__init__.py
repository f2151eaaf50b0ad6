"""Model registry: Kconfig ``MODEL_SELECT_<KEY>`` choice member -> network builder.

The registry is deliberately torch-free: the sweep engine and
:mod:`ksweep.train.settings` consult it to validate a config (is the model
known, does it fit the dataset's images) without paying for a torch import.
Each entry names the module that holds the network; that module is imported
only when a network is actually built.

Adding a model takes three lines of work: a file here exposing
``build(in_channels, num_classes, image_size) -> nn.Module``, an entry in
:data:`MODELS`, and a ``config MODEL_SELECT_<KEY>`` member in
``ksweep/models/Kconfig``. ``tests/test_models.py`` fails if the Kconfig
choice and this table disagree.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    from torch import nn


@dataclass(frozen=True)
class ModelSpec:
    """What the engine needs to know about a model before building it."""

    key: str  # Kconfig choice member suffix, e.g. "LENET5"
    module: str  # module under ksweep.models that defines build()
    description: str
    image_sizes: tuple[int, ...] | None = None  # exact sizes accepted; None = any >= min
    min_image_size: int = 1

    @property
    def name(self) -> str:
        """The lower-case name written into training_metrics.json."""
        return self.key.lower()

    def fit_problem(self, in_channels: int, image_size: int) -> str | None:
        """Why this model cannot take ``in_channels`` x ``image_size``^2 images, or None."""
        if in_channels < 1:
            return f"{self.name} needs at least one input channel, found {in_channels}"
        if self.image_sizes is not None and image_size not in self.image_sizes:
            sizes = " or ".join(f"{s}x{s}" for s in self.image_sizes)
            return f"{self.name} takes {sizes} images, the dataset has {image_size}x{image_size}"
        if image_size < self.min_image_size:
            return (
                f"{self.name} needs images of at least {self.min_image_size}x"
                f"{self.min_image_size}, the dataset has {image_size}x{image_size}"
            )
        return None

    def build(self, in_channels: int, num_classes: int, image_size: int) -> nn.Module:
        """Import the model's module (and torch) and build a freshly initialised network."""
        problem = self.fit_problem(in_channels, image_size)
        if problem is not None:
            raise ValueError(problem)
        module = importlib.import_module(f"{__name__}.{self.module}")
        return module.build(in_channels, num_classes, image_size)


MODELS: dict[str, ModelSpec] = {
    spec.key: spec
    for spec in (
        ModelSpec("LENET5", "lenet5", "LeNet-5, ~61.7k parameters", image_sizes=(28, 32)),
        ModelSpec("MNIST8K", "mnist8k", "GAP-headed CNN, <8k parameters", min_image_size=8),
        ModelSpec("RESNET18", "resnet18", "ResNet-18, small-image stem", min_image_size=8),
    )
}


def build_model(key: str, in_channels: int, num_classes: int, image_size: int) -> nn.Module:
    """Build the registered model ``key`` (a ``MODEL_SELECT_`` suffix such as ``"LENET5"``)."""
    try:
        spec = MODELS[key]
    except KeyError:
        known = ", ".join(MODELS)
        raise ValueError(f"unknown model {key!r}; known models: {known}") from None
    return spec.build(in_channels, num_classes, image_size)
