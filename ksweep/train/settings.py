"""Resolved config -> typed, validated training settings, in one place.

Every ``CONFIG_*`` value the trainer honours is converted here and nowhere
else, so "which symbols reach training" has a single answer. Validation
happens entirely before any data is read or model built, and collects every
problem rather than stopping at the first. The module does not import torch:
the sweep generator runs the same checks on every configuration before
anything is launched (its pre-flight).

Checks needing torch (is a GPU visible?), the network (can a dataset be
downloaded?) or the data files themselves (are they as large as standard?)
live with the code that needs them (:func:`ksweep.train.runtime.resolve_device`,
:mod:`ksweep.train.sources`, :mod:`ksweep.train.data`) and raise the same
:class:`SettingsError`, still before training starts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ksweep.schema import FLOAT_SYMBOLS
from ksweep.train.catalog import DATASETS, DatasetSpec
from ksweep.train.checks import cross_problems
from ksweep.train.model_registry import MODELS
from ksweep.train.problems import Problem, SettingsError
from ksweep.train.reader import ConfigReader

__all__ = ["OPTIMIZERS", "Problem", "SettingsError", "TrainSettings", "settings_from_config"]

OPTIMIZERS: tuple[str, ...] = ("SGD", "ADAM", "ADAMW", "ADAMWPRUNE")

# Adam and AdamW run with torch's default moments; only AdamWPrune exposes its betas
# (CONFIG_ADAMWPRUNE_BETA1/2), because those are what the sweep guide tunes.
DEFAULT_BETAS: tuple[float, float] = (0.9, 0.999)


@dataclass(frozen=True)
class TrainSettings:
    """Everything one training run needs, typed. Units in comments."""

    model: str  # MODEL_SELECT_* suffix, key of model_registry.MODELS ("LENET5")
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
    fault: str  # injected failure: "none", "crash", "hang", "nan" or "orphan"
    fault_epoch: int  # 1-based epoch the fault fires at (0 when fault is "none")
    # Defaults below reproduce the trainer as it was before these symbols existed.
    model_options: tuple[tuple[str, int | float], ...] = ()  # (build kwarg, value) pairs
    val_fraction: float = 0.1  # share of the training pool held out for validation
    eval_subset: int = 0  # validation and test images evaluated, each at most; 0 = all
    augment_rotation: float = 0.0  # degrees, uniform in [-d, d]; 0 = off
    augment_crop_padding: int = 0  # pixels of random-crop padding; 0 = off
    augment_flip: bool = False  # random horizontal flips
    augment_off_last_epochs: int = 0  # the last N epochs train on plain images; 0 = never
    nesterov: bool = False  # SGD only
    lr_schedule: str = "none"  # "none", "step", "cosine" or "onecycle"
    lr_step_epochs: int = 0  # step schedule: epochs between decays
    lr_step_gamma: float = 1.0  # step schedule: factor per decay
    lr_pct_start: float = 0.0  # onecycle: fraction of steps warming up
    label_smoothing: float = 0.0  # training loss only
    grad_clip_norm: float = 0.0  # max global gradient L2 norm; 0 = off
    ema_decay: float = 0.0  # per-step EMA decay of the evaluated weights; 0 = EMA off
    swa_epochs: int = 0  # SWA averages the weights after each of the last N epochs; 0 = off
    tta_rotations: tuple[float, ...] = ()  # degrees, one evaluation view each; () = TTA off
    tta_flip: bool = False  # TTA adds the mirror image of every rotated view
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


Fields = dict[str, Any]


def _model_and_data(r: ConfigReader) -> Fields:
    model = r.choice("MODEL_SELECT", tuple(MODELS))
    options = MODELS[model].options.items() if model else ()
    return {
        "model": model,
        "model_options": tuple(
            (kwarg, r.decimal(symbol) if symbol in FLOAT_SYMBOLS else r.integer(symbol, 0))
            for kwarg, symbol in options
        ),
        "dataset": r.choice("DATASET_SELECT", tuple(DATASETS)),
        "data_subset": r.integer("DATA_SUBSET", 0),
        "eval_subset": r.integer("EVAL_SUBSET", 0),
        "data_dir": r.text("DATA_DIR"),
        "val_fraction": r.decimal("VAL_FRACTION"),
        "augment_rotation": r.decimal("AUGMENT_ROTATION"),
        "augment_crop_padding": r.integer("AUGMENT_CROP_PADDING", 0),
        "augment_flip": r.boolean("AUGMENT_FLIP"),
        "augment_off_last_epochs": r.integer("AUGMENT_OFF_LAST_EPOCHS", 0),
    }


def _schedule(r: ConfigReader) -> Fields:
    lr_schedule = r.enum("LR_SCHEDULE")
    is_step, is_onecycle = lr_schedule == "step", lr_schedule == "onecycle"
    ema = r.boolean("EMA")
    return {
        "num_epochs": r.integer("NUM_EPOCHS", 1),
        "batch_size": r.integer("BATCH_SIZE", 1),
        "learning_rate": r.decimal("LEARNING_RATE"),
        "lr_schedule": lr_schedule,
        "lr_step_epochs": r.when(is_step, lambda: r.integer("LR_STEP_EPOCHS", 1), 0),
        "lr_step_gamma": r.when(is_step, lambda: r.decimal("LR_STEP_GAMMA"), 1.0),
        "lr_pct_start": r.when(is_onecycle, lambda: r.decimal("LR_PCT_START"), 0.0),
        "label_smoothing": r.decimal("LABEL_SMOOTHING"),
        "grad_clip_norm": r.decimal("GRAD_CLIP_NORM"),
        "ema_decay": r.when(ema, lambda: r.decimal("EMA_DECAY"), 0.0),
        "seed": r.integer("SEED", 0, 2**32 - 1),  # numpy and scikit-learn seeds are 32-bit
    }


def _averaging_and_evaluation(r: ConfigReader) -> Fields:
    swa, tta = r.boolean("SWA"), r.boolean("TTA")
    return {
        "swa_epochs": r.when(swa, lambda: r.integer("SWA_EPOCHS", 1), 0),
        "tta_rotations": r.when(tta, lambda: r.degrees("TTA_ROTATIONS", 180.0), ()),
        "tta_flip": r.when(tta, lambda: r.boolean("TTA_FLIP"), False),
    }


def _optimizer(r: ConfigReader) -> Fields:
    optimizer = r.choice("OPTIMIZER_SELECT", OPTIMIZERS)
    is_sgd = optimizer == "SGD"
    fields: Fields = {
        "optimizer": optimizer,
        "momentum": r.when(is_sgd, lambda: r.decimal("MOMENTUM"), 0.0),
        "nesterov": r.when(is_sgd, lambda: r.boolean("NESTEROV"), False),
    }
    if optimizer == "ADAMWPRUNE":
        fields.update(
            weight_decay=r.decimal("ADAMWPRUNE_WEIGHT_DECAY"),
            beta1=r.decimal("ADAMWPRUNE_BETA1"),
            beta2=r.decimal("ADAMWPRUNE_BETA2"),
            amsgrad=r.boolean("ADAMWPRUNE_AMSGRAD"),
        )
    else:
        fields.update(
            weight_decay=r.when(bool(optimizer), lambda: r.decimal("WEIGHT_DECAY"), 0.0),
            beta1=DEFAULT_BETAS[0],
            beta2=DEFAULT_BETAS[1],
            amsgrad=False,
        )
    return fields


def _pruning(r: ConfigReader) -> Fields:
    method = r.enum("PRUNING_METHOD")
    prunes = method not in ("none", "")
    return {
        "pruning_method": method,
        "target_sparsity": r.when(prunes, lambda: r.decimal("TARGET_SPARSITY"), 0.0),
        "pruning_warmup": r.when(prunes, lambda: r.integer("PRUNING_WARMUP", 0), 0),
        "pruning_ramp_end_epoch": r.when(prunes, lambda: r.integer("PRUNING_RAMP_END_EPOCH", 1), 0),
    }


def _run_and_outputs(r: ConfigReader) -> Fields:
    fault = r.enum("DEBUG_FAULT")
    spectral = r.boolean("SPECTRAL_DIAG")
    return {
        "device": r.enum("DEVICE"),
        "fault": fault,
        "fault_epoch": r.when(
            fault not in ("none", ""), lambda: r.integer("DEBUG_FAULT_EPOCH", 1), 0
        ),
        "save_checkpoint": r.boolean("SAVE_CHECKPOINT"),
        "spectral_topk": r.when(spectral, lambda: r.integer("SPECTRAL_TOPK", 1), 0),
        "cpu_channels_last": r.boolean("CPU_CHANNELS_LAST"),
        "cuda_bf16": r.boolean("CUDA_BF16"),
        "cuda_channels_last": r.boolean("CUDA_CHANNELS_LAST"),
        "cuda_compile": r.boolean("CUDA_COMPILE"),
        "cuda_graphs": r.boolean("CUDA_GRAPHS"),
    }


# Each section reads one menu's symbols; a symbol whose ``depends on`` is unmet is absent
# from a resolved config and only read where it applies.
SECTIONS = (
    _model_and_data,
    _schedule,
    _averaging_and_evaluation,
    _optimizer,
    _pruning,
    _run_and_outputs,
)


def settings_from_config(
    values: Mapping[str, str], *, allow_download: bool = True
) -> TrainSettings:
    """Convert and validate a resolved config (``read_config`` output) into settings.

    ``allow_download=False`` makes a missing dataset file an error here; with
    True (the default) the loader first tries torchvision's download and
    reports failure itself. Raises :class:`SettingsError` listing every
    problem found, each with the symbols that cause it.
    """
    reader = ConfigReader(values)
    fields: Fields = {}
    for section in SECTIONS:
        fields.update(section(reader))
    problems = reader.problems + cross_problems(values, fields, allow_download)
    if problems:
        raise SettingsError(problems)
    return TrainSettings(**fields)
