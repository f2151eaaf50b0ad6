"""Datasets as whole tensors resident on the training device.

Both datasets are small (MNIST's 60k+10k images are ~200 MB as float32), so
they are loaded once, normalised once, and moved to the device in full:
batches are then index gathers, with no DataLoader, workers or host-device
copies per step (the airbench approach). The splits are:

- test: DIGITS -- a stratified 20% of the 1,797 images (seeded);
  MNIST -- the official 10k t10k set.
- val: a stratified 10% of the remaining pool (seeded), never trained on.
- train: the rest, in a seeded shuffled order; CONFIG_DATA_SUBSET=N keeps the
  first N. Validation is carved before the subset so it does not change with N.

All split sizes come from :mod:`ksweep.train.catalog`, the same numbers
settings validation used.
"""

from __future__ import annotations

import contextlib
import gzip
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import Tensor
from torchvision.datasets import MNIST
from torchvision.datasets.mnist import read_image_file, read_label_file

from ksweep.train.catalog import (
    DATASETS,
    DatasetSpec,
    find_mnist_files,
    mnist_missing_message,
)
from ksweep.train.settings import SettingsError, TrainSettings

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # pixel statistics of the 60k MNIST training images
DOWNLOAD_TIMEOUT_S = 60.0  # per socket operation; torchvision itself sets none


@dataclass(frozen=True)
class DataSplits:
    """Normalised images (N, C, H, W) float32 and int64 labels, on one device."""

    train_x: Tensor
    train_y: Tensor
    val_x: Tensor
    val_y: Tensor
    test_x: Tensor
    test_y: Tensor
    spec: DatasetSpec

    def sizes(self) -> tuple[int, int, int]:
        return len(self.train_y), len(self.val_y), len(self.test_y)


def load_data(settings: TrainSettings, device: str | torch.device) -> DataSplits:
    """Load, split and normalise the configured dataset, then move it to ``device``."""
    spec = DATASETS[settings.dataset]
    if settings.dataset == "DIGITS":
        images, labels = _digits_images()
        pool, test = train_test_split(
            np.arange(len(labels)),
            test_size=spec.test_size,
            stratify=labels.numpy(),
            random_state=settings.seed,
        )
        test_x, test_y = images[test], labels[test]
        pool_x, pool_y = images[pool], labels[pool]
    elif settings.dataset == "MNIST":
        pool_x, pool_y, test_x, test_y = _mnist_tensors(settings.data_dir)
    else:  # settings_from_config only lets known datasets through
        raise ValueError(f"unknown dataset {settings.dataset!r}")

    fit, val = train_test_split(
        np.arange(len(pool_y)),
        test_size=spec.val_size,
        stratify=pool_y.numpy(),
        random_state=settings.seed,
    )
    if settings.data_subset:
        fit = fit[: settings.data_subset]
    train_x, train_y = pool_x[fit], pool_y[fit]
    val_x, val_y = pool_x[val], pool_y[val]

    if settings.dataset == "DIGITS":
        # Standardise with the statistics of the images actually trained on.
        mean, std = train_x.mean().item(), train_x.std().item()
    else:
        mean, std = MNIST_MEAN, MNIST_STD

    def prepared(x: Tensor) -> Tensor:
        return ((x - mean) / std).to(device)

    return DataSplits(
        train_x=prepared(train_x),
        train_y=train_y.to(device),
        val_x=prepared(val_x),
        val_y=val_y.to(device),
        test_x=prepared(test_x),
        test_y=test_y.to(device),
        spec=spec,
    )


@lru_cache(maxsize=1)
def _digits_images() -> tuple[Tensor, Tensor]:
    """scikit-learn's 8x8 digits in [0, 1], bilinearly upsampled to 1x28x28.

    Upsampling lets every MNIST model run unchanged on this offline stand-in.
    Cached: callers only index it (which copies), never modify it in place.
    """
    bunch = load_digits()
    images = torch.from_numpy(bunch.images / 16.0).float().unsqueeze(1)  # values 0..16
    images = F.interpolate(images, size=(28, 28), mode="bilinear", align_corners=False)
    return images.clamp_(0.0, 1.0), torch.from_numpy(bunch.target).long()


def _mnist_tensors(data_dir: str) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(train images, train labels, test images, test labels); images float in [0, 1]."""
    found, missing = find_mnist_files(data_dir)
    if missing:
        _download_mnist(data_dir, missing)
        found, missing = find_mnist_files(data_dir)
        if missing:
            raise SettingsError(
                [mnist_missing_message(data_dir, missing, "the download left them missing")]
            )
    stamp = tuple((str(p.resolve()), p.stat().st_mtime_ns) for p in found.values())
    train_x, train_y, test_x, test_y = _read_mnist(stamp)
    spec = DATASETS["MNIST"]
    for what, images, labels, expected in (
        ("train", train_x, train_y, spec.pool_size),
        ("t10k", test_x, test_y, spec.test_size),
    ):
        if images.shape[1:] != (28, 28) or len(images) != expected or len(labels) != expected:
            raise SettingsError(
                [
                    f"the MNIST {what} files in CONFIG_DATA_DIR={data_dir!r} must hold "
                    f"{expected} 28x28 images and as many labels, found images "
                    f"{tuple(images.shape)} and {len(labels)} labels; fix: replace them with "
                    f"the standard files"
                ]
            )
    return (
        train_x.float().div_(255).unsqueeze(1),
        train_y,
        test_x.float().div_(255).unsqueeze(1),
        test_y,
    )


@lru_cache(maxsize=1)
def _read_mnist(stamp: tuple[tuple[str, int], ...]) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Read the four files (paths in MNIST_FILES order) with torchvision's idx readers.

    ``stamp`` carries each path's mtime so the cache notices replaced files.
    Cached as uint8 (47 MB) so repeated in-process runs skip the decompression.
    """
    paths = [Path(path) for path, _ in stamp]
    readers = (read_image_file, read_label_file, read_image_file, read_label_file)
    tensors: list[Tensor] = []
    for path, reader in zip(paths, readers, strict=True):
        try:
            with _uncompressed(path) as plain:
                tensors.append(reader(str(plain)))
        except (OSError, EOFError, AssertionError, ValueError, TypeError, KeyError) as exc:
            raise SettingsError(
                [
                    f"{path} must be a standard MNIST idx file (optionally gzipped), but "
                    f"reading it failed: {type(exc).__name__}: {exc}; fix: replace the file"
                ]
            ) from exc
    train_x, train_y, test_x, test_y = tensors
    return train_x, train_y, test_x, test_y


@contextlib.contextmanager
def _uncompressed(path: Path) -> Iterator[Path]:
    """``path`` itself, or a temporary decompressed copy of a ``.gz`` file.

    torchvision's readers take only plain files; decompressing to a private
    temporary directory leaves DATA_DIR untouched (it may be read-only or shared).
    """
    if path.suffix != ".gz":
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="ksweep-mnist-") as tmp:
        plain = Path(tmp) / path.stem
        with gzip.open(path, "rb") as src, plain.open("wb") as dst:
            shutil.copyfileobj(src, dst, length=1 << 20)
        yield plain


def _download_mnist(data_dir: str, missing: list[str]) -> None:
    """Let torchvision download MNIST into DATA_DIR/MNIST/raw, or raise SettingsError.

    A lock file serialises concurrent sweep trials that share DATA_DIR, so only
    the first downloads and the others find the files when they get the lock.
    """
    root = Path(data_dir)
    print(f"MNIST files missing from {data_dir}: trying torchvision's download", flush=True)
    previous_timeout = socket.getdefaulttimeout()
    try:
        (root / "MNIST").mkdir(parents=True, exist_ok=True)
        with _locked(root / "MNIST" / ".download.lock"):
            socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
            if find_mnist_files(data_dir)[1]:
                MNIST(root=str(root), train=True, download=True)
    except Exception as exc:  # noqa: BLE001 - any failure means "could not download"
        detail = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        reason = f"download failed: {type(exc).__name__}: {detail[:300]}"
        raise SettingsError([mnist_missing_message(data_dir, missing, reason)]) from exc
    finally:
        socket.setdefaulttimeout(previous_timeout)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` where the platform has fcntl."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no locking, downloads may race
        yield
        return
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
