"""Dataset files -> resident tensors: every format read for real, and every bad input caught.

CIFAR-10/100 and Fashion-MNIST cannot be downloaded here, so the tests write
small files in exactly the standard formats (``conftest_train``) and the
real readers load them.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest_train import (
    REPO_ROOT,
    TINY,
    combine,
    resolved_values,
    synthetic_images,
    write_cifar_dataset,
    write_config,
    write_idx_dataset,
)

from ksweep.train.catalog import DATASETS
from ksweep.train.data import load_data
from ksweep.train.settings import SettingsError, settings_from_config
from ksweep.train.sources import read_dataset
from ksweep.train.trainer import train


def _settings(tmp_path: Path, dataset: str, data_dir: Path, **extra: str):
    overrides = combine(
        TINY, {f"DATASET_SELECT_{dataset}": "y", "DATA_DIR": str(data_dir), "DATA_SUBSET": "0"}
    )
    return settings_from_config(
        resolved_values(tmp_path, {**overrides, **extra}), allow_download=False
    )


@pytest.mark.parametrize("gz", [True, False])
def test_fashion_mnist_idx_files(tmp_path: Path, gz: bool) -> None:
    root = tmp_path / "data"
    write_idx_dataset(root / "FashionMNIST" / "raw", n_train=300, n_test=100, gz=gz)
    data = load_data(_settings(tmp_path, "FASHION_MNIST", root), "cpu")
    assert data.sizes() == (270, 30, 100)  # 10% of the 300 held out for validation
    assert data.train_x.shape == (270, 1, 28, 28)
    assert data.black == pytest.approx((-0.2860 / 0.3530,))
    # The test split is the t10k file, in order, normalised with Fashion-MNIST's statistics.
    images, labels = synthetic_images(100, (28, 28), 10, seed=1)
    expected = (torch.from_numpy(images).float() / 255 - 0.2860) / 0.3530
    torch.testing.assert_close(data.test_x[:, 0], expected)
    assert data.test_y.tolist() == labels.tolist()


@pytest.mark.parametrize(("dataset", "classes"), [("CIFAR10", 10), ("CIFAR100", 100)])
def test_cifar_python_batches(tmp_path: Path, dataset: str, classes: int) -> None:
    root = write_cifar_dataset(tmp_path / "data", classes, n_train=300, n_test=100)
    pool_x, pool_y, test_x, test_y = read_dataset(DATASETS[dataset], str(root))
    images, labels = synthetic_images(400, (3, 32, 32), classes, seed=2)
    torch.testing.assert_close(pool_x, torch.from_numpy(images[:300]).float() / 255)
    assert pool_y.tolist() == labels[:300].tolist()
    assert test_x.shape == (100, 3, 32, 32) and test_y.tolist() == labels[300:].tolist()
    settings = _settings(tmp_path, dataset, root)
    assert (settings.augment_crop_padding, settings.augment_flip) == (4, True)  # CIFAR defaults
    data = load_data(settings, "cpu")
    assert data.sizes() == (270, 30, 100) and data.spec.num_classes == classes
    assert len(data.black) == 3


def test_data_dir_may_be_the_cifar_folder_itself(tmp_path: Path) -> None:
    root = write_cifar_dataset(tmp_path / "data", 10)
    found, missing = DATASETS["CIFAR10"].find_files(root / "cifar-10-batches-py")
    assert not missing and len(found) == 6


@pytest.mark.parametrize(
    ("dataset", "title", "a_file"),
    [
        ("MNIST", "MNIST needs its four idx files", "t10k-labels-idx1-ubyte[.gz]"),
        ("FASHION_MNIST", "Fashion-MNIST needs its four idx files", "train-images-idx3-ubyte"),
        ("CIFAR10", "CIFAR-10 needs its six python batches", "data_batch_3"),
        ("CIFAR100", "CIFAR-100 needs its two python pickles", "train"),
    ],
)
def test_missing_files_offline_are_named_with_the_fix(
    tmp_path: Path, dataset: str, title: str, a_file: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        _settings(tmp_path, dataset, tmp_path / "empty")
    text = str(caught.value)
    assert text.startswith(f"error: {title} in CONFIG_DATA_DIR=")
    assert a_file in text and "downloading is off" in text and "fix:" in text


def test_a_partial_cifar_folder_names_only_what_is_missing(tmp_path: Path) -> None:
    root = write_cifar_dataset(tmp_path / "data", 10)
    (root / "cifar-10-batches-py" / "data_batch_4").unlink()
    with pytest.raises(SettingsError) as caught:
        _settings(tmp_path, "CIFAR10", root)
    assert "missing: data_batch_4 (" in str(caught.value)


@pytest.mark.slow
def test_cli_exits_2_for_a_missing_dataset_offline(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "config",
        combine(TINY, {"DATASET_SELECT_CIFAR10": "y", "DATA_DIR": str(tmp_path / "none")}),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "ksweep.train", "--config", str(config), "--out",
         str(tmp_path / "out"), "--offline"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "CIFAR-10 needs its six python batches" in proc.stderr
    assert "Traceback" not in proc.stderr


def _write_pickle(path: Path, entry: object) -> None:
    with path.open("wb") as handle:
        pickle.dump(entry, handle, protocol=2)


class _RunsCode:
    """Unpickling this would call os.system: a data file must never be able to do that."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"data": _RunsCode(), "labels": [0]}, "refusing to load posix.system"),
        ({"data": np.zeros((4, 100), np.uint8), "labels": [0] * 4}, "of shape (N, 3072)"),
        ({"data": np.zeros((4, 3072), np.uint8)}, "KeyError: 'labels'"),
    ],
    ids=["code", "shape", "no-labels"],
)
def test_bad_cifar_batches_are_settings_errors(tmp_path: Path, entry: object, message: str) -> None:
    root = write_cifar_dataset(tmp_path / "data", 10)
    _write_pickle(root / "cifar-10-batches-py" / "data_batch_2", entry)
    with pytest.raises(SettingsError) as caught:
        read_dataset(DATASETS["CIFAR10"], str(root))
    text = str(caught.value)
    assert "must be a standard CIFAR-10 python batch" in text and message in text, text


def test_labels_out_of_range_are_a_settings_error(tmp_path: Path) -> None:
    root = write_cifar_dataset(tmp_path / "data", 10)
    batch = root / "cifar-10-batches-py" / "test_batch"
    _write_pickle(batch, {"data": np.zeros((5, 3072), np.uint8), "labels": [0, 1, 2, 3, 10]})
    with pytest.raises(SettingsError, match=r"must have labels 0\.\.9, found 0\.\.10"):
        read_dataset(DATASETS["CIFAR10"], str(root))


def test_small_files_recheck_the_batch_size_before_training(tmp_path: Path) -> None:
    """Standard sizes pass validation; the 270 images actually present do not fit 512."""
    root = write_cifar_dataset(tmp_path / "data", 10)
    settings = _settings(tmp_path, "CIFAR10", root, BATCH_SIZE="512")
    with pytest.raises(SettingsError, match="CONFIG_BATCH_SIZE must not exceed the 270"):
        train(settings, tmp_path / "out", log=lambda _: None)
    assert not (tmp_path / "out" / "metrics.jsonl").exists()


def test_val_fraction_zero_trains_on_the_whole_pool(tmp_path: Path) -> None:
    settings = settings_from_config(resolved_values(tmp_path, {"VAL_FRACTION": "0"}))
    assert settings.train_size == 1437
    data = load_data(settings, "cpu")
    assert data.sizes() == (1437, 0, 360)
