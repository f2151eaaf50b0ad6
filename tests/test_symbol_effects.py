"""Every sweepable symbol reaches training: changing it changes what the trainer does.

A sweep over a symbol the trainer ignores produces a ranking of noise (the
seed studies' failure mode). So for every symbol in the Kconfig tree this
file trains twice in-process -- with a base config and with one value
changed -- and requires the outcome fingerprint (final weights digest plus
all non-timing metrics) to differ. Runs are bit-for-bit deterministic on the
CPU (checked below), so any difference is the symbol's effect.

The meta-test at the end fails when the tree defines a symbol that is
neither covered here nor exempted with a reason: a new symbol needs a test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest_train import (
    MNIST_DIR,
    TINY,
    TINY_PRUNING,
    combine,
    fingerprint,
    load_kconfig,
    requires_mnist,
    resolved_values,
    with_value,
    write_cifar_dataset,
    write_idx_dataset,
)

from ksweep.train.settings import settings_from_config
from ksweep.train.trainer import train


@dataclass(frozen=True)
class Case:
    """Train with TINY + ``base``, then with ``symbol`` set to ``changed`` as well."""

    symbol: str
    changed: str
    base: dict[str, str] = field(default_factory=dict)
    marks: tuple = ()

    def param(self) -> object:
        ident = f"{self.symbol}={self.changed}" + (f"[{_short(self.base)}]" if self.base else "")
        return pytest.param(self, id=ident, marks=self.marks)


def _short(base: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in base.items() if k != "DATA_DIR")


SGD = {"OPTIMIZER_SELECT_SGD": "y"}
MNIST = {"DATASET_SELECT_MNIST": "y", "DATA_DIR": str(MNIST_DIR), "DATA_SUBSET": "64"}
SMALL_RESNET = {"DATA_SUBSET": "16", "NUM_EPOCHS": "1", "BATCH_SIZE": "16"}
# DATA_DIR placeholder for the tiny standard-format datasets the `synthetic` fixture writes.
SYNTHETIC = "<synthetic>"
FILES = {"DATA_DIR": SYNTHETIC, "DATA_SUBSET": "64"}
ONECYCLE = {"LR_SCHEDULE": "onecycle"}
STEP = {"LR_SCHEDULE": "step", "LR_STEP_EPOCHS": "1"}
TINYRESNET = {"MODEL_SELECT_SMALL_RESNET": "y", "SMALL_RESNET_H1": "4", "SMALL_RESNET_H2": "16"}
ROTATE = {"AUGMENT_ROTATION": "10"}
SWA = {"SWA": "y", "SWA_EPOCHS": "2"}
TTA = {"TTA": "y"}

CASES: list[Case] = [
    # Model
    Case("MODEL_SELECT_LENET5", "y", {"MODEL_SELECT_MNIST8K": "y"}),
    Case("MODEL_SELECT_MNIST8K", "y"),
    Case("MODEL_SELECT_RESNET18", "y", SMALL_RESNET, marks=(pytest.mark.slow,)),
    # Data
    Case(
        "DATASET_SELECT_MNIST",
        "y",
        {"DATA_DIR": str(MNIST_DIR), "DATA_SUBSET": "64"},
        marks=(requires_mnist,),
    ),
    Case("DATASET_SELECT_DIGITS", "y", MNIST, marks=(requires_mnist,)),
    Case("DATASET_SELECT_FASHION_MNIST", "y", FILES),
    Case("DATASET_SELECT_CIFAR10", "y", FILES),
    Case("DATASET_SELECT_CIFAR100", "y", FILES),
    Case("DATA_SUBSET", "128"),
    Case("EVAL_SUBSET", "60"),
    Case("VAL_FRACTION", "0.2"),
    Case("VAL_FRACTION", "0"),
    Case("AUGMENT_ROTATION", "10"),
    Case("AUGMENT_CROP_PADDING", "2"),
    Case("AUGMENT_FLIP", "y"),
    Case("AUGMENT_FLIP", "n", {"DATASET_SELECT_CIFAR10": "y", **FILES}),
    Case("AUGMENT_OFF_LAST_EPOCHS", "1", ROTATE),
    Case("AUGMENT_OFF_LAST_EPOCHS", "1", {"AUGMENT_CROP_PADDING": "2"}),
    Case("MODEL_SELECT_TINYCNN", "y"),
    Case("MODEL_SELECT_SMALL_RESNET", "y", SMALL_RESNET),
    Case("SMALL_RESNET_H1", "8", TINYRESNET),
    Case("SMALL_RESNET_H2", "0", TINYRESNET),
    Case("SMALL_RESNET_DROPOUT", "0.5", TINYRESNET),
    Case("MNIST8K_DROPOUT", "0.2", {"MODEL_SELECT_MNIST8K": "y"}),
    Case("TINYCNN_DROPOUT", "0.5", {"MODEL_SELECT_TINYCNN": "y"}),
    Case("MODEL_SELECT_MNIST_DWSEP", "y"),
    # Training
    Case("NUM_EPOCHS", "3"),
    Case("BATCH_SIZE", "32"),
    Case("LEARNING_RATE", "0.003"),
    Case("LEARNING_RATE", "0.02", SGD),
    Case("SEED", "1"),
    Case("LR_SCHEDULE", "cosine"),
    Case("LR_SCHEDULE", "onecycle"),
    Case("LR_STEP_EPOCHS", "1", {"LR_SCHEDULE": "step"}),
    Case("LR_STEP_GAMMA", "0.5", STEP),
    Case("LR_PCT_START", "0.5", ONECYCLE),
    Case("LABEL_SMOOTHING", "0.1"),
    Case("GRAD_CLIP_NORM", "0.05"),
    Case("EMA", "y"),
    Case("EMA_DECAY", "0.5", {"EMA": "y"}),
    # Weight averaging and test-time augmentation (SWA shows in its end-of-run evaluation)
    Case("SWA", "y", {"MODEL_SELECT_MNIST8K": "y"}),
    Case("SWA", "y"),
    Case("SWA_EPOCHS", "1", {"MODEL_SELECT_MNIST8K": "y", **SWA}),
    Case("TTA", "y"),
    Case("TTA_ROTATIONS", "-10,0,10", TTA),
    Case("TTA_FLIP", "y", TTA),
    Case("TTA_FLIP", "n", {"DATASET_SELECT_CIFAR10": "y", **FILES, **TTA}),
    # Optimizer (from the default AdamWPrune, and into it from AdamW)
    Case("OPTIMIZER_SELECT_SGD", "y"),
    Case("OPTIMIZER_SELECT_ADAM", "y"),
    Case("OPTIMIZER_SELECT_ADAMW", "y"),
    Case("OPTIMIZER_SELECT_ADAMWPRUNE", "y", {"OPTIMIZER_SELECT_ADAMW": "y"}),
    Case("MOMENTUM", "0.5", SGD),
    Case("NESTEROV", "y", SGD),
    Case("WEIGHT_DECAY", "0.1", SGD),
    Case("WEIGHT_DECAY", "0.1", {"OPTIMIZER_SELECT_ADAM": "y"}),
    Case("WEIGHT_DECAY", "0.1", {"OPTIMIZER_SELECT_ADAMW": "y"}),
    Case("ADAMWPRUNE_BETA1", "0.8"),
    Case("ADAMWPRUNE_BETA2", "0.99"),
    Case("ADAMWPRUNE_WEIGHT_DECAY", "0.1"),
    Case("ADAMWPRUNE_WEIGHT_DECAY", "0.1", {"PRUNING_METHOD": "none"}),
    Case("ADAMWPRUNE_AMSGRAD", "y"),
    Case("ADAMWPRUNE_AMSGRAD", "y", {"PRUNING_METHOD": "none"}),
    # Pruning
    Case("PRUNING_METHOD", "magnitude"),
    Case("PRUNING_METHOD", "movement"),
    Case("PRUNING_METHOD", "none"),
    Case("PRUNING_METHOD", "magnitude", SGD),
    Case("PRUNING_METHOD", "movement", SGD),
    Case("PRUNING_METHOD", "global"),
    Case("PRUNING_METHOD", "global", SGD),
    Case("TARGET_SPARSITY", "0.5"),
    Case("TARGET_SPARSITY", "0.5", {"PRUNING_METHOD": "movement"}),
    Case("PRUNING_WARMUP", "4"),
    Case("PRUNING_RAMP_END_EPOCH", "1"),
]

EXEMPT: dict[str, str] = {
    "MODEL_MODE_SINGLE": "the only member of a one-member choice: it has no other value",
    "DEVICE": "the alternative (cuda) cannot run here; cpu/auto/cuda resolution is tested in "
    "test_train_settings.py and the base pins cpu",
    "DATA_DIR": "only read for MNIST; exercised by the MNIST cases here and the directory "
    "tests in test_train_settings.py",
    "DEBUG_FAULT": "tested by the fault tests in test_train_cli.py (crash, hang, nan)",
    "DEBUG_FAULT_EPOCH": "tested by the fault tests in test_train_cli.py (fires at that epoch)",
    "SAVE_CHECKPOINT": "an output, not a training choice: test_train_outputs.py checks that "
    "best.pt appears, holds the best epoch's weights and loads with weights_only",
    "SPECTRAL_DIAG": "an output, not a training choice: test_train_outputs.py checks spectral.json",
    "SPECTRAL_TOPK": "an output, not a training choice: test_train_outputs.py checks k values",
    "CPU_CHANNELS_LAST": "a memory layout, not a training choice: test_train_channels_last.py "
    "checks that it reaches weights and batches and trains like NCHW to rounding",
    "CUDA_BF16": "CUDA only (ignored with a warning on the CPU, checked in test_train_outputs.py); "
    "its effect is tested by the cuda-marked tests in test_train_cuda.py",
    "CUDA_CHANNELS_LAST": "CUDA only, like CUDA_BF16 (test_train_cuda.py)",
    "CUDA_COMPILE": "CUDA only, like CUDA_BF16 (test_train_cuda.py)",
    "CUDA_GRAPHS": "CUDA only, like CUDA_BF16 (test_train_cuda.py)",
    "SWEEP_METRIC": "read by the analyzer, not the trainer",
    "SWEEP_OBJECTIVES": "read by the analysis, the search and the stop rule (test_pareto.py)",
    "SWEEP_CONSTRAINTS": "read by the analysis and the search (tests/test_pareto.py)",
    "SWEEP_TRAIN_COMMAND": "read by the launcher: which command trains (tests/test_examples.py)",
    "SWEEP_GOAL": "read by the analyzer, not the trainer",
    **dict.fromkeys(
        (
            "SWEEP_EARLY_STOP",
            "SWEEP_ES_GRACE",
            "SWEEP_ES_FACTOR",
            "SWEEP_ES_WARMUP",
            "SWEEP_ES_MIN_CONFIGS",
            "SWEEP_ES_TOPK_EPOCHS",
            "SWEEP_ES_TOPK_KEEP",
        ),
        "read by the sweep's early-stopping rule, not the trainer (tests/test_early_stop.py "
        "and tests/test_stopping_rules.py)",
    ),
}

_cache: dict[tuple, str] = {}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One directory holding tiny Fashion-MNIST, CIFAR-10 and CIFAR-100 files."""
    root = tmp_path_factory.mktemp("datasets")
    write_idx_dataset(root / "FashionMNIST" / "raw")
    write_cifar_dataset(root, classes=10)
    write_cifar_dataset(root, classes=100)
    return root


def run_fingerprint(tmp_path: Path, overrides: dict[str, str]) -> str:
    """Fingerprint of a full in-process training run; memoised per distinct config."""
    key = tuple(sorted(overrides.items()))
    if key not in _cache:
        settings = settings_from_config(resolved_values(tmp_path, overrides, TINY_PRUNING))
        result = train(settings, tmp_path / "out", log=lambda _: None)
        _cache[key] = fingerprint(result)
    return _cache[key]


@pytest.mark.parametrize("case", [c.param() for c in CASES])
def test_symbol_changes_training(tmp_path: Path, synthetic: Path, case: Case) -> None:
    base = {k: str(synthetic) if v == SYNTHETIC else v for k, v in combine(TINY, case.base).items()}
    assert base.get(case.symbol) != case.changed, "the case must change the value"
    before = run_fingerprint(tmp_path, base)
    after = run_fingerprint(tmp_path, with_value(base, case.symbol, case.changed))
    assert before != after, f"CONFIG_{case.symbol}={case.changed} did not change training"


def test_same_config_same_outcome(tmp_path: Path) -> None:
    """The premise of every case above: repeating a run reproduces it exactly."""
    overrides = {**TINY, "PRUNING_METHOD": "movement"}
    settings = settings_from_config(resolved_values(tmp_path, overrides, TINY_PRUNING))
    first = train(settings, tmp_path / "a", log=lambda _: None)
    second = train(settings, tmp_path / "b", log=lambda _: None)
    assert first["weights_sha256"] == second["weights_sha256"]
    assert fingerprint(first) == fingerprint(second)


def test_every_symbol_is_covered_or_exempt() -> None:
    defined = {sym.name for sym in load_kconfig().unique_defined_syms}
    covered = {case.symbol for case in CASES}
    assert not covered & set(EXEMPT), "a symbol is both tested and exempt"
    unknown = (covered | set(EXEMPT)) - defined
    assert not unknown, f"cases name symbols the tree does not define: {sorted(unknown)}"
    untested = defined - covered - set(EXEMPT)
    assert not untested, (
        f"symbols with no effect test: {sorted(untested)}; add a Case showing that changing "
        f"each one changes training, or an EXEMPT entry saying why it cannot have one"
    )
