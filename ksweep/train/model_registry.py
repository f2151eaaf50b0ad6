"""Model registry: Kconfig ``MODEL_SELECT_<KEY>`` choice member -> network builder.

Models live outside the engine, in the project's top-level ``models/``
folder: adding one is two files there and nothing else, ``<key>.py`` defining
``build(in_channels, num_classes, image_size, **options) -> nn.Module`` and a
literal ``SPEC`` dict, and ``<key>.Kconfig`` adding ``MODEL_SELECT_<KEY>`` to
the ``MODEL_SELECT`` choice (``models/Kconfig`` sources every fragment). The
registry finds the file by itself (``tests/test_models.py`` fails if the
Kconfig choice and the files disagree).

The registry is deliberately torch-free: the sweep engine and
:mod:`ksweep.train.settings` consult it to validate a config (is the model
known, does it fit the dataset's images, which symbols configure it) without
paying for a torch import. So ``SPEC`` is read from the file's source with
:func:`ast.literal_eval`, never by importing it; the module (and torch) is
imported only when a network is actually built. ``SPEC`` keys, all optional
except ``description``::

    description     one line for logs and docs
    image_sizes     tuple of the exact square sizes accepted (default: any)
    min_image_size  smallest size accepted (default 1)
    options         {build keyword: Kconfig symbol} read only for this model
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ksweep.project import MODELS_DIR

if TYPE_CHECKING:  # pragma: no cover - typing only
    from torch import nn

# Model files are loaded as modules of this (otherwise empty) namespace, so a model's
# module name can never shadow a package of the same name ("models", "torch", ...).
MODULE_PREFIX = "ksweep_models"


@dataclass(frozen=True)
class ModelSpec:
    """What the engine needs to know about a model before building it."""

    key: str  # Kconfig choice member suffix, e.g. "LENET5"
    path: Path  # the model file, which defines build()
    description: str
    image_sizes: tuple[int, ...] | None = None  # exact sizes accepted; None = any >= min
    min_image_size: int = 1
    options: Mapping[str, str] = field(default_factory=dict)  # build kwarg -> Kconfig symbol

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

    def build(
        self,
        in_channels: int,
        num_classes: int,
        image_size: int,
        options: Mapping[str, Any] | None = None,
    ) -> nn.Module:
        """Import the model's module (and torch) and build a freshly initialised network."""
        problem = self.fit_problem(in_channels, image_size)
        if problem is not None:
            raise ValueError(problem)
        unknown = set(options or {}) - set(self.options)
        if unknown:
            raise ValueError(f"{self.name} takes no option(s) {sorted(unknown)}")
        return load_module(self.path).build(
            in_channels, num_classes, image_size, **dict(options or {})
        )


def load_module(path: Path) -> Any:
    """Import a model file once per process (this is where torch gets imported)."""
    name = f"{MODULE_PREFIX}.{path.stem}"
    module = sys.modules.get(name)
    if module is not None and getattr(module, "__file__", None) == str(path):
        return module
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load the model file {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def read_spec(path: Path) -> ModelSpec | None:
    """The :class:`ModelSpec` of model file ``path`` from its literal ``SPEC``, or None.

    Files without a top-level ``SPEC = {...}`` (helpers) are not models.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "SPEC"
        ):
            spec = ast.literal_eval(node.value)
            return ModelSpec(
                key=path.stem.upper(),
                path=path.resolve(),
                description=spec["description"],
                image_sizes=spec.get("image_sizes"),
                min_image_size=spec.get("min_image_size", 1),
                options=dict(spec.get("options", {})),
            )
    return None


def discover(directory: Path = MODELS_DIR) -> dict[str, ModelSpec]:
    """Every model file in ``directory``, by key, in file-name order."""
    found: dict[str, ModelSpec] = {}
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        spec = read_spec(path)
        if spec is not None:
            found[spec.key] = spec
    return found


MODELS: dict[str, ModelSpec] = discover()


def build_model(
    key: str,
    in_channels: int,
    num_classes: int,
    image_size: int,
    options: Mapping[str, Any] | None = None,
) -> nn.Module:
    """Build the registered model ``key`` (a ``MODEL_SELECT_`` suffix such as ``"LENET5"``)."""
    try:
        spec = MODELS[key]
    except KeyError:
        known = ", ".join(MODELS)
        raise ValueError(f"unknown model {key!r}; known models: {known}") from None
    return spec.build(in_channels, num_classes, image_size, options)
