"""Resolved config -> typed, validated training settings, in one place.

Every ``CONFIG_*`` value the trainer honours is converted here and nowhere
else, so "which symbols reach training" has a single answer. Validation
happens entirely before any data is read or model built, and collects every
problem rather than stopping at the first (a sweep author fixing a range
config wants the whole list). The module does not import torch: the sweep
engine imports it to check configs before launching anything.

Checks needing torch (is a GPU visible?), the network (can a dataset be
downloaded?) or the data files themselves (are they as large as standard?)
live with the code that needs them (:func:`ksweep.train.runtime.resolve_device`,
:mod:`ksweep.train.sources`, :mod:`ksweep.train.data`) and raise the same
:class:`SettingsError`, still before training starts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ksweep.models import MODELS
from ksweep.schema import FLOAT_SYMBOLS, check_string_value, parse_float
from ksweep.train.catalog import DATASETS, DatasetSpec, missing_files_message

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
    data_dir: str  # where dataset files live (relative to the working directory)
    data_subset: int  # training images per epoch; 0 = the whole training split
    num_epochs: int
    batch_size: int  # images per optimizer step
    learning_rate: float  # peak (onecycle) or starting (step, cosine) rate; constant for "none"
    seed: int
    device: str  # requested device: "auto", "cpu" or "cuda"
    optimizer: str  # "SGD", "ADAM", "ADAMW" or "ADAMWPRUNE"
    momentum: float  # SGD only (0 otherwise)
    weight_decay: float  # L2 for SGD/Adam, decoupled for AdamW/AdamWPrune
    beta1: float  # Adam-family first-moment decay
    beta2: float  # Adam-family second-moment decay
    amsgrad: bool  # AdamWPrune's AMSGrad variant
    pruning_method: str  # "none", "magnitude", "movement", "state" or "global"
    target_sparsity: float  # fraction of prunable weights zero at the end of the ramp
    pruning_warmup: int  # optimizer steps of dense training before pruning starts
    pruning_ramp_end_epoch: int  # epoch at whose end the target is reached
    fault: str  # injected failure: "none", "crash", "hang" or "nan"
    fault_epoch: int  # 1-based epoch the fault fires at (0 when fault is "none")
    # Defaults below reproduce the trainer as it was before these symbols existed.
    model_options: tuple[tuple[str, int | float], ...] = ()  # (build kwarg, value) pairs
    val_fraction: float = 0.1  # share of the training pool held out for validation
    augment_rotation: float = 0.0  # degrees, uniform in [-d, d]; 0 = off
    augment_crop_padding: int = 0  # pixels of random-crop padding; 0 = off
    augment_flip: bool = False  # random horizontal flips
    nesterov: bool = False  # SGD only
    lr_schedule: str = "none"  # "none", "step", "cosine" or "onecycle"
    lr_step_epochs: int = 0  # step schedule: epochs between decays
    lr_step_gamma: float = 1.0  # step schedule: factor per decay
    lr_pct_start: float = 0.0  # onecycle: fraction of steps warming up
    label_smoothing: float = 0.0  # training loss only
    grad_clip_norm: float = 0.0  # max global gradient L2 norm; 0 = off
    ema_decay: float = 0.0  # per-step EMA decay of the evaluated weights; 0 = EMA off
    save_checkpoint: bool = False  # best.pt in the output folder
    spectral_topk: int = 0  # singular values per weight matrix in spectral.json; 0 = off
    cpu_channels_last: bool = False  # NHWC layout on the CPU (speed only)
    cuda_bf16: bool = False  # CUDA only, like the three below
    cuda_channels_last: bool = False
    cuda_compile: bool = False
    cuda_graphs: bool = False

    @property
    def dataset_spec(self) -> DatasetSpec:
        return DATASETS[self.dataset]

    @property
    def train_size(self) -> int:
        """Images in one training epoch (for the standard-size dataset files)."""
        return self.dataset_spec.train_size(self.data_subset, self.val_fraction)

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
    dataset file an error here; with True (the default) the loader first
    tries torchvision's download and reports failure itself.

    Raises :class:`SettingsError` listing every problem found.
    """
    r = _Reader(values)
    model = r.choice("MODEL_SELECT", tuple(MODELS))
    model_options = tuple(
        (kwarg, r.decimal(symbol) if symbol in FLOAT_SYMBOLS else r.integer(symbol, 0))
        for kwarg, symbol in (MODELS[model].options.items() if model else ())
    )
    dataset = r.choice("DATASET_SELECT", tuple(DATASETS))
    data_subset = r.integer("DATA_SUBSET", 0)
    data_dir = r.text("DATA_DIR")
    val_fraction = r.decimal("VAL_FRACTION")
    augment_rotation = r.decimal("AUGMENT_ROTATION")
    augment_crop_padding = r.integer("AUGMENT_CROP_PADDING", 0)
    augment_flip = r.boolean("AUGMENT_FLIP")
    num_epochs = r.integer("NUM_EPOCHS", 1)
    batch_size = r.integer("BATCH_SIZE", 1)
    learning_rate = r.decimal("LEARNING_RATE")
    lr_schedule = r.enum("LR_SCHEDULE")
    is_step, is_onecycle = lr_schedule == "step", lr_schedule == "onecycle"
    lr_step_epochs = r.when(is_step, lambda: r.integer("LR_STEP_EPOCHS", 1), 0)
    lr_step_gamma = r.when(is_step, lambda: r.decimal("LR_STEP_GAMMA"), 1.0)
    lr_pct_start = r.when(is_onecycle, lambda: r.decimal("LR_PCT_START"), 0.0)
    label_smoothing = r.decimal("LABEL_SMOOTHING")
    grad_clip_norm = r.decimal("GRAD_CLIP_NORM")
    ema = r.boolean("EMA")
    ema_decay = r.when(ema, lambda: r.decimal("EMA_DECAY"), 0.0)
    seed = r.integer("SEED", 0, 2**32 - 1)  # numpy and scikit-learn seeds are 32-bit
    device = r.enum("DEVICE")
    save_checkpoint = r.boolean("SAVE_CHECKPOINT")
    spectral = r.boolean("SPECTRAL_DIAG")
    spectral_topk = r.when(spectral, lambda: r.integer("SPECTRAL_TOPK", 1), 0)
    cpu_channels_last = r.boolean("CPU_CHANNELS_LAST")
    cuda_bf16 = r.boolean("CUDA_BF16")
    cuda_channels_last = r.boolean("CUDA_CHANNELS_LAST")
    cuda_compile = r.boolean("CUDA_COMPILE")
    cuda_graphs = r.boolean("CUDA_GRAPHS")

    optimizer = r.choice("OPTIMIZER_SELECT", OPTIMIZERS)
    is_sgd, is_prune_opt = optimizer == "SGD", optimizer == "ADAMWPRUNE"
    momentum = r.when(is_sgd, lambda: r.decimal("MOMENTUM"), 0.0)
    nesterov = r.when(is_sgd, lambda: r.boolean("NESTEROV"), False)
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
    if nesterov and momentum == 0.0:
        problems.append(
            "CONFIG_NESTEROV=y needs CONFIG_MOMENTUM > 0 (Nesterov's look-ahead is a momentum "
            "step), found 0; fix: raise the momentum or set CONFIG_NESTEROV=n"
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
        problems.extend(size_problems(spec, data_subset, batch_size, val_fraction))
        if spec.files:
            _check_data_dir(problems, spec, data_dir, allow_download)
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
        model_options=model_options,
        val_fraction=val_fraction,
        augment_rotation=augment_rotation,
        augment_crop_padding=augment_crop_padding,
        augment_flip=augment_flip,
        nesterov=nesterov,
        lr_schedule=lr_schedule,
        lr_step_epochs=lr_step_epochs,
        lr_step_gamma=lr_step_gamma,
        lr_pct_start=lr_pct_start,
        label_smoothing=label_smoothing,
        grad_clip_norm=grad_clip_norm,
        ema_decay=ema_decay,
        save_checkpoint=save_checkpoint,
        spectral_topk=spectral_topk,
        cpu_channels_last=cpu_channels_last,
        cuda_bf16=cuda_bf16,
        cuda_channels_last=cuda_channels_last,
        cuda_compile=cuda_compile,
        cuda_graphs=cuda_graphs,
    )


def size_problems(
    spec: DatasetSpec, subset: int, batch_size: int, val_fraction: float
) -> list[str]:
    """Subset and batch size against the training images ``spec`` leaves for fitting.

    Used twice with the same words: on the catalog's standard sizes before any
    data is read, and again by the loader on the sizes the files actually hold.
    """
    fit = spec.fit_size(val_fraction)
    if subset > fit:
        return [
            f"CONFIG_DATA_SUBSET must not exceed the {fit} training images of "
            f"{spec.name} (after holding out {spec.val_size(val_fraction)} for validation), "
            f"found {subset}; fix: use 0 for all of them or a smaller number"
        ]
    n_train = spec.train_size(subset, val_fraction)
    if batch_size > n_train:
        return [
            f"CONFIG_BATCH_SIZE must not exceed the {n_train} training images of this run "
            f"({spec.name}, CONFIG_DATA_SUBSET={subset}), found {batch_size}; "
            f"fix: lower the batch size or train on more images"
        ]
    return []


def _check_data_dir(
    problems: list[str], spec: DatasetSpec, data_dir: str, allow_download: bool
) -> None:
    if not data_dir:
        problems.append(
            f'CONFIG_DATA_DIR must name the {spec.title} directory, found ""; '
            'fix: set it, e.g. CONFIG_DATA_DIR="data"'
        )
        return
    if Path(data_dir).exists() and not Path(data_dir).is_dir():
        problems.append(
            f"CONFIG_DATA_DIR must be a directory, found the file {data_dir!r}; "
            f"fix: point it at the directory holding the {spec.title} files"
        )
        return
    if not allow_download:
        _, missing = spec.find_files(data_dir)
        if missing:
            problems.append(
                missing_files_message(spec, data_dir, missing, "downloading is disabled")
            )


def settings_warnings(settings: TrainSettings) -> list[str]:
    """Legal but probably unintended combinations, worth a line in the log.

    A step schedule that never steps, and pruning schedules that cannot do
    what the names suggest. The pruning ones are warnings, not errors,
    because the default config on the small digits set
    (11 steps per epoch) already has a warmup past the ramp end, and a quick
    1-epoch run of it must still work; the measured ``final_sparsity`` then
    shows honestly what happened.
    """
    notes: list[str] = []
    if settings.lr_schedule == "step" and settings.lr_step_epochs >= settings.num_epochs:
        notes.append(
            f"CONFIG_LR_STEP_EPOCHS={settings.lr_step_epochs} is not below CONFIG_NUM_EPOCHS="
            f"{settings.num_epochs}, so the step schedule never decays the learning rate"
        )
    if settings.pruning_method == "none":
        return notes
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
