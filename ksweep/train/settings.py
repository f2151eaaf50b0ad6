"""Resolved config -> typed, validated training settings, in one place.

Every ``CONFIG_*`` value the trainer honours is converted here and nowhere
else, so "which symbols reach training" has a single answer. Validation
happens entirely before any data is read or model built, and collects every
problem rather than stopping at the first (a sweep author fixing a range
config wants the whole list). The module does not import torch: the sweep
engine imports it to check configs before launching anything.

Checks needing torch (is a GPU visible?) or the network (can MNIST be
downloaded?) live with the code that needs them
(:func:`ksweep.train.runtime.resolve_device`, :mod:`ksweep.train.data`) and
raise the same :class:`SettingsError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ksweep.models import MODELS
from ksweep.schema import check_string_value, parse_float
from ksweep.train.catalog import (
    DATASETS,
    DatasetSpec,
    find_mnist_files,
    mnist_missing_message,
)

OPTIMIZERS: tuple[str, ...] = ("SGD", "ADAM", "ADAMW", "ADAMWPRUNE")

# Adam and AdamW run with torch's default moments; only AdamWPrune exposes its betas
# (CONFIG_ADAMWPRUNE_BETA1/2), because those are what the sweep guide tunes.
DEFAULT_BETAS: tuple[float, float] = (0.9, 0.999)


class SettingsError(ValueError):
    """A config (or its environment) that training must not start with.

    ``problems`` holds one sentence per problem, each stating what must hold,
    what was found, and the fix. ``str()`` renders them as ``error: ...`` lines,
    the format the CLI prints before exiting with status 2.
    """

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(f"error: {p}" for p in self.problems))


@dataclass(frozen=True)
class TrainSettings:
    """Everything one training run needs, typed. Units in comments."""

    model: str  # MODEL_SELECT_* suffix, key of ksweep.models.MODELS ("LENET5")
    dataset: str  # DATASET_SELECT_* suffix, key of catalog.DATASETS ("DIGITS")
    data_dir: str  # where MNIST idx files live (relative to the working directory)
    data_subset: int  # training images per epoch; 0 = the whole training split
    num_epochs: int
    batch_size: int  # images per optimizer step
    learning_rate: float  # constant over the run
    seed: int
    device: str  # requested device: "auto", "cpu" or "cuda"
    optimizer: str  # "SGD", "ADAM", "ADAMW" or "ADAMWPRUNE"
    momentum: float  # SGD only (0 otherwise)
    weight_decay: float  # L2 for SGD/Adam, decoupled for AdamW/AdamWPrune
    beta1: float  # Adam-family first-moment decay
    beta2: float  # Adam-family second-moment decay
    amsgrad: bool  # AdamWPrune's AMSGrad variant
    pruning_method: str  # "none", "magnitude", "movement" or "state"
    target_sparsity: float  # fraction of prunable weights zero at the end of the ramp
    pruning_warmup: int  # optimizer steps of dense training before pruning starts
    pruning_ramp_end_epoch: int  # epoch at whose end the target is reached
    fault: str  # injected failure: "none", "crash", "hang" or "nan"
    fault_epoch: int  # 1-based epoch the fault fires at (0 when fault is "none")

    @property
    def dataset_spec(self) -> DatasetSpec:
        return DATASETS[self.dataset]

    @property
    def train_size(self) -> int:
        """Images in one training epoch."""
        return self.dataset_spec.train_size(self.data_subset)

    @property
    def steps_per_epoch(self) -> int:
        """Optimizer steps per epoch; the last batch of an epoch may be smaller."""
        return math.ceil(self.train_size / self.batch_size)

    @property
    def total_steps(self) -> int:
        return self.steps_per_epoch * self.num_epochs


T = TypeVar("T")


class _Reader:
    """Reads typed values out of a resolved config, recording problems instead of raising."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.problems: list[str] = []

    def _raw(self, name: str) -> str | None:
        if name not in self.values:
            self.problems.append(
                f"CONFIG_{name} must be set for this configuration but the config file lacks "
                f"it; fix: pass a fully resolved config (written by ksweep or "
                f"'make olddefconfig'), not a defconfig fragment"
            )
            return None
        return self.values[name]

    def integer(self, name: str, low: int, high: int | None = None) -> int:
        raw = self._raw(name)
        if raw is None:
            return low
        try:
            value = int(raw)
        except ValueError:
            self.problems.append(f"CONFIG_{name} must be an integer, found {raw!r}")
            return low
        if value < low or (high is not None and value > high):
            upper = f" and at most {high}" if high is not None else ""
            self.problems.append(
                f"CONFIG_{name} must be at least {low}{upper}, found {value}; "
                f"fix: set it within that range"
            )
            return low
        return value

    def decimal(self, name: str) -> float:
        raw = self._raw(name)
        if raw is None:
            return 0.0
        problem = check_string_value(name, raw)
        if problem is not None:
            self.problems.append(f"CONFIG_{name}: {problem}")
            return 0.0
        value = parse_float(raw)
        assert value is not None  # check_string_value accepted it
        return float(value)

    def enum(self, name: str) -> str:
        raw = self._raw(name)
        if raw is None:
            return ""
        problem = check_string_value(name, raw)
        if problem is not None:
            self.problems.append(f"CONFIG_{name}: {problem}")
            return ""
        return raw

    def boolean(self, name: str) -> bool:
        raw = self._raw(name)
        if raw is None:
            return False
        if raw not in ("y", "n"):
            self.problems.append(f"CONFIG_{name} must be y or n, found {raw!r}")
            return False
        return raw == "y"

    def text(self, name: str) -> str:
        raw = self._raw(name)
        return "" if raw is None else raw

    def choice(self, prefix: str, members: tuple[str, ...]) -> str:
        """The one member suffix set to ``y`` among the ``CONFIG_<prefix>_*`` symbols."""
        chosen = sorted(
            name[len(prefix) + 1 :]
            for name, value in self.values.items()
            if name.startswith(prefix + "_") and value == "y"
        )
        options = "|".join(members)
        if len(chosen) != 1:
            found = ", ".join(f"CONFIG_{prefix}_{c}=y" for c in chosen) or "none"
            self.problems.append(
                f"exactly one of CONFIG_{prefix}_{{{options}}} must be y, found {found}; "
                f"fix: select one, e.g. CONFIG_{prefix}_{members[0]}=y"
            )
            return ""
        if chosen[0] not in members:
            self.problems.append(
                f"CONFIG_{prefix}_{chosen[0]}=y names no known option ({options}); "
                f"fix: choose one of those"
            )
            return ""
        return chosen[0]

    def when(self, condition: bool, read: Callable[[], T], default: T) -> T:
        """``read()`` if the symbol applies (its ``depends on`` holds), else ``default``."""
        return read() if condition else default


def settings_from_config(
    values: Mapping[str, str], *, allow_download: bool = True
) -> TrainSettings:
    """Convert and validate a resolved config (``read_config`` output) into settings.

    Symbols whose ``depends on`` is unmet are absent from resolved configs and
    are only read when they apply. ``allow_download=False`` makes a missing
    MNIST file set an error here; with True (the default) the loader first
    tries torchvision's download and reports failure itself.

    Raises :class:`SettingsError` listing every problem found.
    """
    r = _Reader(values)
    model = r.choice("MODEL_SELECT", tuple(MODELS))
    dataset = r.choice("DATASET_SELECT", tuple(DATASETS))
    data_subset = r.integer("DATA_SUBSET", 0)
    data_dir = r.text("DATA_DIR")
    num_epochs = r.integer("NUM_EPOCHS", 1)
    batch_size = r.integer("BATCH_SIZE", 1)
    learning_rate = r.decimal("LEARNING_RATE")
    seed = r.integer("SEED", 0, 2**32 - 1)  # numpy and scikit-learn seeds are 32-bit
    device = r.enum("DEVICE")

    optimizer = r.choice("OPTIMIZER_SELECT", OPTIMIZERS)
    is_sgd, is_prune_opt = optimizer == "SGD", optimizer == "ADAMWPRUNE"
    momentum = r.when(is_sgd, lambda: r.decimal("MOMENTUM"), 0.0)
    if is_prune_opt:
        weight_decay = r.decimal("ADAMWPRUNE_WEIGHT_DECAY")
        beta1 = r.decimal("ADAMWPRUNE_BETA1")
        beta2 = r.decimal("ADAMWPRUNE_BETA2")
        amsgrad = r.boolean("ADAMWPRUNE_AMSGRAD")
    else:
        weight_decay = r.when(bool(optimizer), lambda: r.decimal("WEIGHT_DECAY"), 0.0)
        beta1, beta2 = DEFAULT_BETAS
        amsgrad = False

    pruning_method = r.enum("PRUNING_METHOD")
    prunes = pruning_method not in ("none", "")
    target_sparsity = r.when(prunes, lambda: r.decimal("TARGET_SPARSITY"), 0.0)
    pruning_warmup = r.when(prunes, lambda: r.integer("PRUNING_WARMUP", 0), 0)
    ramp_end = r.when(prunes, lambda: r.integer("PRUNING_RAMP_END_EPOCH", 1), 0)

    fault = r.enum("DEBUG_FAULT")
    fault_epoch = r.when(fault not in ("none", ""), lambda: r.integer("DEBUG_FAULT_EPOCH", 1), 0)

    problems = r.problems
    if pruning_method == "state" and optimizer and not is_prune_opt:
        problems.append(
            f'CONFIG_PRUNING_METHOD="state" needs CONFIG_OPTIMIZER_SELECT_ADAMWPRUNE=y '
            f"(state pruning scores weights with AdamWPrune's second moments), found "
            f'CONFIG_OPTIMIZER_SELECT_{optimizer}=y; fix: select ADAMWPRUNE or use "magnitude" '
            f'or "movement" pruning'
        )
    if fault_epoch > num_epochs:
        problems.append(
            f"CONFIG_DEBUG_FAULT_EPOCH must not exceed CONFIG_NUM_EPOCHS, or the "
            f'"{fault}" fault never fires; found {fault_epoch} > {num_epochs}; fix: lower it'
        )
    if model and dataset:
        spec = DATASETS[dataset]
        problem = MODELS[model].fit_problem(spec.in_channels, spec.image_size)
        if problem is not None:
            problems.append(
                f"CONFIG_MODEL_SELECT_{model} must fit CONFIG_DATASET_SELECT_{dataset}: "
                f"{problem}; fix: pick another model or dataset"
            )
        _check_sizes(problems, spec, data_subset, batch_size)
        if dataset == "MNIST":
            _check_mnist_dir(problems, data_dir, allow_download)
    if problems:
        raise SettingsError(problems)
    return TrainSettings(
        model=model,
        dataset=dataset,
        data_dir=data_dir,
        data_subset=data_subset,
        num_epochs=num_epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=seed,
        device=device,
        optimizer=optimizer,
        momentum=momentum,
        weight_decay=weight_decay,
        beta1=beta1,
        beta2=beta2,
        amsgrad=amsgrad,
        pruning_method=pruning_method,
        target_sparsity=target_sparsity,
        pruning_warmup=pruning_warmup,
        pruning_ramp_end_epoch=ramp_end,
        fault=fault,
        fault_epoch=fault_epoch,
    )


def _check_sizes(problems: list[str], spec: DatasetSpec, subset: int, batch_size: int) -> None:
    if subset > spec.fit_size:
        problems.append(
            f"CONFIG_DATA_SUBSET must not exceed the {spec.fit_size} training images of "
            f"{spec.name} (after holding out {spec.val_size} for validation), found {subset}; "
            f"fix: use 0 for all of them or a smaller number"
        )
        return
    n_train = spec.train_size(subset)
    if batch_size > n_train:
        problems.append(
            f"CONFIG_BATCH_SIZE must not exceed the {n_train} training images of this run "
            f"({spec.name}, CONFIG_DATA_SUBSET={subset}), found {batch_size}; "
            f"fix: lower the batch size or train on more images"
        )


def _check_mnist_dir(problems: list[str], data_dir: str, allow_download: bool) -> None:
    if not data_dir:
        problems.append(
            'CONFIG_DATA_DIR must name the MNIST directory, found ""; '
            'fix: set it, e.g. CONFIG_DATA_DIR="data"'
        )
        return
    if Path(data_dir).exists() and not Path(data_dir).is_dir():
        problems.append(
            f"CONFIG_DATA_DIR must be a directory, found the file {data_dir!r}; "
            f"fix: point it at the directory holding the MNIST files"
        )
        return
    if not allow_download:
        _, missing = find_mnist_files(data_dir)
        if missing:
            problems.append(mnist_missing_message(data_dir, missing, "downloading is disabled"))


def settings_warnings(settings: TrainSettings) -> list[str]:
    """Legal but probably unintended combinations, worth a line in the log.

    Both are pruning schedules that cannot do what the names suggest. They are
    warnings, not errors, because the default config on the small digits set
    (11 steps per epoch) already has a warmup past the ramp end, and a quick
    1-epoch run of it must still work; the measured ``final_sparsity`` then
    shows honestly what happened.
    """
    if settings.pruning_method == "none":
        return []
    notes: list[str] = []
    ramp_end_step = settings.pruning_ramp_end_epoch * settings.steps_per_epoch
    if settings.pruning_warmup >= settings.total_steps:
        notes.append(
            f"CONFIG_PRUNING_WARMUP={settings.pruning_warmup} steps is not before the end of "
            f"training ({settings.total_steps} steps = {settings.num_epochs} epochs x "
            f"{settings.steps_per_epoch}), so no weight is ever pruned"
        )
    elif settings.pruning_warmup >= ramp_end_step:
        notes.append(
            f"CONFIG_PRUNING_WARMUP={settings.pruning_warmup} steps is not before the end of "
            f"CONFIG_PRUNING_RAMP_END_EPOCH={settings.pruning_ramp_end_epoch} "
            f"(step {ramp_end_step}), so there is no ramp: sparsity jumps to "
            f"{settings.target_sparsity} at step {settings.pruning_warmup + 1}"
        )
    return notes
