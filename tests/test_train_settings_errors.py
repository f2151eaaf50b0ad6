"""settings_from_config on bad configs: every problem a clear SettingsError, at once."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import torch
from conftest_train import resolved_values

from ksweep.train.data import load_data
from ksweep.train.model_registry import MODELS, ModelSpec
from ksweep.train.runtime import configure_threads, resolve_device
from ksweep.train.settings import SettingsError, settings_from_config

# --- bad configs -> SettingsError -------------------------------------------------------------

BAD = [
    pytest.param(
        {"OPTIMIZER_SELECT_ADAM": "y", "PRUNING_METHOD": "state"},
        "state pruning scores weights from AdamWPrune's moments, but the optimizer is ADAM; "
        "use CONFIG_OPTIMIZER_SELECT_ADAMWPRUNE=y",
        id="state-without-adamwprune",
    ),
    pytest.param(
        {"LEARNING_RATE": "20"},
        "20 is outside CONFIG_LEARNING_RATE's allowed interval (0, 10]",
        id="lr-too-high",
    ),
    pytest.param(
        {"LEARNING_RATE": "0"},
        "0 is outside CONFIG_LEARNING_RATE's allowed interval (0, 10]",
        id="lr-zero",
    ),
    pytest.param({"LEARNING_RATE": "fast"}, "'fast' is not a number", id="lr-not-a-number"),
    pytest.param(
        {"TARGET_SPARSITY": "1.0"},
        "CONFIG_TARGET_SPARSITY: 1.0 is outside CONFIG_TARGET_SPARSITY's allowed interval",
        id="sparsity-out-of-bounds",
    ),
    pytest.param(
        {"PRUNING_METHOD": "random"}, '"random" is not one of "none", "magnitude"', id="bad-enum"
    ),
    pytest.param(
        {"BATCH_SIZE": "2000"},
        "CONFIG_BATCH_SIZE must not exceed the 1293 training images of this run "
        "(digits, CONFIG_DATA_SUBSET=0, CONFIG_VAL_FRACTION=0.1), found 2000",
        id="batch-larger-than-train-set",
    ),
    pytest.param(
        {"DATA_SUBSET": "100", "BATCH_SIZE": "128"},
        "CONFIG_BATCH_SIZE must not exceed the 100 training images",
        id="batch-larger-than-subset",
    ),
    pytest.param(
        {"DATA_SUBSET": "1500"},
        "CONFIG_DATA_SUBSET must not exceed the 1293 training images of digits",
        id="subset-larger-than-train-set",
    ),
    pytest.param(
        {"DEBUG_FAULT": "crash", "DEBUG_FAULT_EPOCH": "11"},
        "CONFIG_DEBUG_FAULT_EPOCH must not exceed CONFIG_NUM_EPOCHS",
        id="fault-after-last-epoch",
    ),
]


BAD += [
    pytest.param(
        {"OPTIMIZER_SELECT_SGD": "y", "MOMENTUM": "0", "NESTEROV": "y"},
        "Nesterov momentum needs momentum: CONFIG_NESTEROV=y with CONFIG_MOMENTUM=0",
        id="nesterov-without-momentum",
    ),
    pytest.param(
        {"LABEL_SMOOTHING": "0.6"},
        "0.6 is outside CONFIG_LABEL_SMOOTHING's allowed interval [0, 0.5]",
        id="smoothing",
    ),
    pytest.param(
        {"VAL_FRACTION": "0.75"},
        "0.75 is outside CONFIG_VAL_FRACTION's allowed interval [0, 0.5]",
        id="val-fraction",
    ),
    pytest.param({"LR_SCHEDULE": "linear"}, '"linear" is not one of "none", "step"', id="schedule"),
    pytest.param(
        {"EMA": "y", "EMA_DECAY": "1"},
        "1 is outside CONFIG_EMA_DECAY's allowed interval [0, 1)",
        id="ema-decay",
    ),
    pytest.param(
        {"DATASET_SELECT_CIFAR10": "y", "DATA_SUBSET": "46000"},
        "CONFIG_DATA_SUBSET must not exceed the 45000 training images of cifar10 "
        "(after holding out 5000 for validation), found 46000",
        id="subset-larger-than-cifar",
    ),
    pytest.param(
        {"VAL_FRACTION": "0.5", "BATCH_SIZE": "800"},
        "CONFIG_BATCH_SIZE must not exceed the 718 training images",
        id="batch-larger-than-what-validation-leaves",
    ),
    pytest.param(
        {"TTA": "y", "TTA_ROTATIONS": "-3,zero,3"},
        "CONFIG_TTA_ROTATIONS must list angles in degrees from -180 to 180, separated by "
        "commas, found '-3,zero,3'",
        id="tta-rotation-not-a-number",
    ),
    pytest.param(
        {"TTA": "y", "TTA_ROTATIONS": "0,270"},
        "CONFIG_TTA_ROTATIONS must list angles in degrees from -180 to 180",
        id="tta-rotation-too-large",
    ),
    pytest.param(
        {"TTA": "y", "TTA_ROTATIONS": ""},
        "CONFIG_TTA_ROTATIONS must list angles in degrees",
        id="tta-without-views",
    ),
    pytest.param(
        {"TTA": "y", "TTA_ROTATIONS": "3,-3,3.0"},
        "CONFIG_TTA_ROTATIONS must not repeat an angle",
        id="tta-rotation-twice",
    ),
    pytest.param(
        {"MODEL_SELECT_MNIST8K": "y", "MNIST8K_DROPOUT": "1"},
        "1 is outside CONFIG_MNIST8K_DROPOUT's allowed interval [0, 1)",
        id="dropout-one",
    ),
]


@pytest.mark.parametrize(("overrides", "message"), BAD)
def test_bad_config(tmp_path: Path, overrides: dict, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_config(resolved_values(tmp_path, overrides))
    assert message in str(caught.value)
    assert str(caught.value).startswith("error: ")


def test_a_model_whose_input_does_not_fit_the_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked before any data is read: a model taking 28x28 only, asked to train on CIFAR."""
    monkeypatch.setitem(MODELS, "ONLY28", ModelSpec("ONLY28", "lenet5", "28x28", (28,)))
    values = resolved_values(tmp_path, {"DATASET_SELECT_CIFAR10": "y"})
    values.update(MODEL_SELECT_LENET5="n", MODEL_SELECT_ONLY28="y")
    with pytest.raises(SettingsError) as caught:
        settings_from_config(values, allow_download=True)
    assert caught.value.problems == [
        "CONFIG_MODEL_SELECT_ONLY28 must fit CONFIG_DATASET_SELECT_CIFAR10: only28 takes 28x28 "
        "images, the dataset has 32x32; fix: pick another model or dataset"
    ]


def test_mnist_with_an_empty_data_dir_offline(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    values = resolved_values(tmp_path, {"DATASET_SELECT_MNIST": "y", "DATA_DIR": str(empty)})
    with pytest.raises(SettingsError) as caught:
        settings_from_config(values, allow_download=False)
    text = str(caught.value)
    assert f"CONFIG_DATA_DIR={str(empty)!r}" in text
    for name in ("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        assert name in text
    assert "downloading is off" in text and "fix:" in text


def test_mnist_with_a_corrupt_file_is_a_settings_error(tmp_path: Path) -> None:
    """Files present but unreadable: validation passes, loading reports it (no download)."""
    data_dir = tmp_path / "mnist"
    data_dir.mkdir()
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        with gzip.open(data_dir / f"{name}.gz", "wb") as handle:
            handle.write(b"not an idx file")
    values = resolved_values(tmp_path, {"DATASET_SELECT_MNIST": "y", "DATA_DIR": str(data_dir)})
    settings = settings_from_config(values, allow_download=False)
    with pytest.raises(SettingsError, match="must be a standard MNIST idx file"):
        load_data(settings, "cpu")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    overrides = {
        "LEARNING_RATE": "-1",
        "BATCH_SIZE": "5000",
        "OPTIMIZER_SELECT_SGD": "y",
        "PRUNING_METHOD": "state",
    }
    values = resolved_values(tmp_path, overrides)
    with pytest.raises(SettingsError) as caught:
        settings_from_config(values)
    assert len(caught.value.problems) == 3, caught.value.problems


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda v: v.pop("NUM_EPOCHS"), "CONFIG_NUM_EPOCHS must be set"),
        (lambda v: v.update(MODEL_SELECT_MNIST8K="y"), "exactly one of CONFIG_MODEL_SELECT_"),
        (
            lambda v: v.update(MODEL_SELECT_LENET5="n", MODEL_SELECT_VGG="y"),
            "CONFIG_MODEL_SELECT_VGG=y names no known option",
        ),
        (lambda v: v.update(NUM_EPOCHS="ten"), "CONFIG_NUM_EPOCHS must be an integer"),
        (lambda v: v.update(NUM_EPOCHS="0"), "CONFIG_NUM_EPOCHS must be at least 1"),
        (lambda v: v.update(ADAMWPRUNE_AMSGRAD="m"), "CONFIG_ADAMWPRUNE_AMSGRAD must be y or n"),
    ],
)
def test_malformed_files(tmp_path: Path, edit, message: str) -> None:
    """Configs not written by kconfiglib (hand-edited, truncated) are caught too."""
    values = resolved_values(tmp_path, {})
    edit(values)
    with pytest.raises(SettingsError, match=message):
        settings_from_config(values)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is visible")
def test_cuda_requested_without_a_gpu() -> None:
    with pytest.raises(SettingsError, match='CONFIG_DEVICE="cuda" needs a visible CUDA GPU'):
        resolve_device("cuda")
    assert resolve_device("auto") == "cpu"


def test_bad_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSWEEP_THREADS", "many")
    with pytest.raises(SettingsError, match="KSWEEP_THREADS must be a positive integer"):
        configure_threads()
