"""The training defconfigs: they resolve as written and set up what they promise.

Reaching their targets takes full training runs (minutes to hours); those are
measurements reported with the change, not tests. What is tested here is that
the files say what they claim, and that the CIFAR recipe's whole pipeline
learns CIFAR-format data.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest_train import REPO_ROOT, write_cifar_dataset

from ksweep.configfile import parse_config_text
from ksweep.plan.kconfig import KconfigTree
from ksweep.train.model_registry import build_model
from ksweep.train.settings import settings_from_config
from ksweep.train.trainer import train

TRAINING_DEFCONFIGS = [
    "mnist8k",
    "tinycnn-cifar10",
    "mnist-dwsep",
    "tinycnn-ablation",
    "small-resnet-cifar100",
]


def resolved(name: str, *assignments: tuple[str, str]) -> dict[str, str]:
    path = REPO_ROOT / "defconfigs" / name
    resolution = KconfigTree(REPO_ROOT / "Kconfig").resolve(path, list(assignments))
    values = parse_config_text(resolution.config_text)
    overridden = {symbol for symbol, _ in assignments}
    for symbol, value in parse_config_text(path.read_text()).items():
        if symbol not in overridden:
            assert values[symbol] == value, f"{name}: CONFIG_{symbol}={value} did not stick"
    return values


@pytest.mark.parametrize("name", TRAINING_DEFCONFIGS)
def test_defconfig_resolves_as_written(name: str) -> None:
    resolved(name)


def test_mnist8k_defconfig_is_the_target_setup() -> None:
    settings = settings_from_config(resolved("mnist8k"), allow_download=True)
    assert (settings.model, settings.dataset) == ("MNIST8K", "MNIST")
    assert settings.num_epochs == 15 and settings.batch_size == 128
    assert settings.val_fraction == 0.0 and settings.train_size == 60000  # standard protocol
    params = sum(p.numel() for p in build_model("MNIST8K", 1, 10, 28).parameters())
    assert params < 8000
    # No path of one machine: the default data/ (where `make data-link` puts a local copy).
    assert settings.data_dir == "data"


def test_mnist_dwsep_defconfig_is_the_target_setup_under_5000_parameters() -> None:
    settings = settings_from_config(resolved("mnist-dwsep"), allow_download=True)
    assert (settings.model, settings.dataset, settings.num_epochs) == ("MNIST_DWSEP", "MNIST", 15)
    assert settings.val_fraction == 0.0 and settings.train_size == 60000
    assert (settings.swa_epochs, settings.tta_rotations) == (5, (-3.0, 0.0, 3.0))
    params = sum(p.numel() for p in build_model("MNIST_DWSEP", 1, 10, 28).parameters())
    assert params < 5000


def test_tinycnn_ablation_base_is_the_studys_setup() -> None:
    """256 CIFAR-10 images, batch 128, plain images (the study's ToTensor() only)."""
    settings = settings_from_config(resolved("tinycnn-ablation"), allow_download=True)
    assert (settings.model, settings.dataset) == ("TINYCNN", "CIFAR10")
    assert (settings.data_subset, settings.batch_size, settings.steps_per_epoch) == (256, 128, 2)
    assert (settings.augment_crop_padding, settings.augment_flip) == (0, False)


@pytest.mark.slow
def test_tinycnn_cifar10_recipe_learns_cifar_format_data(tmp_path: Path) -> None:
    root = write_cifar_dataset(tmp_path / "data", 10, n_train=400, n_test=200)
    values = resolved("tinycnn-cifar10", ("DATA_DIR", str(root)), ("NUM_EPOCHS", "3"))
    settings = settings_from_config(values, allow_download=False)
    assert (settings.augment_crop_padding, settings.augment_flip) == (4, True)
    result = train(settings, tmp_path / "out", log=lambda _: None)
    assert result["test_acc"] > 50.0, result["test_acc"]  # chance is 10%
