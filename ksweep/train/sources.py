"""Reading datasets from their standard files (or scikit-learn), and downloading them.

Every reader returns ``(pool_x, pool_y, test_x, test_y)``: float32 images in
[0, 1] shaped (N, C, H, W) and int64 labels, un-normalised and on the CPU;
:mod:`ksweep.train.data` splits, normalises and moves them. Problems with
the files (missing and not downloadable, unreadable, wrong shape, labels
out of range) raise :class:`~ksweep.train.settings.SettingsError`, so they
are reported as bad input (exit status 2) before training starts.

Formats are the ones torchvision downloads:

- MNIST / Fashion-MNIST: four idx files, optionally gzipped, read with
  torchvision's own idx readers.
- CIFAR-10 / CIFAR-100: the "python version" pickles (``data`` as N x 3072
  uint8 rows, channel-major; ``labels`` or ``fine_labels``). They are read
  with a restricted unpickler that only constructs numpy arrays, so a
  tampered file in a shared data directory cannot run code. torchvision's
  own CIFAR classes would also verify MD5 sums, which rules out smaller
  files in the standard format (test fixtures); the shape checks here catch
  truncated or foreign files instead.
"""

from __future__ import annotations

import codecs
import contextlib
import gzip
import pickle
import shutil
import socket
import tempfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from torch import Tensor
from torchvision import datasets as tv_datasets
from torchvision.datasets.mnist import read_image_file, read_label_file

from ksweep.train.catalog import DATASETS, DatasetSpec, missing_files_message
from ksweep.train.settings import SettingsError

DOWNLOAD_TIMEOUT_S = 60.0  # per socket operation; torchvision itself sets none
Arrays = tuple[Tensor, Tensor, Tensor, Tensor]

# torchvision classes that download each dataset into the layout catalog.py searches.
_DOWNLOADERS = {
    "MNIST": tv_datasets.MNIST,
    "FASHION_MNIST": tv_datasets.FashionMNIST,
    "CIFAR10": tv_datasets.CIFAR10,
    "CIFAR100": tv_datasets.CIFAR100,
}


def read_dataset(spec: DatasetSpec, data_dir: str) -> Arrays:
    """The dataset ``spec`` describes, from scikit-learn or from files under ``data_dir``."""
    if not spec.files:
        return digits_arrays()
    found, missing = spec.find_files(data_dir)
    if missing:
        download(spec, data_dir, missing)
        found, missing = spec.find_files(data_dir)
        if missing:
            raise SettingsError(
                [missing_files_message(spec, data_dir, missing, "the download left them missing")]
            )
    stamp = tuple((str(p.resolve()), p.stat().st_mtime_ns) for p in found.values())
    pool_x, pool_y, test_x, test_y = _read_files(spec.key, stamp)
    _check_arrays(spec, data_dir, (pool_x, pool_y, test_x, test_y))
    return pool_x.float().div_(255), pool_y, test_x.float().div_(255), test_y


@lru_cache(maxsize=1)
def digits_arrays() -> Arrays:
    """scikit-learn's 8x8 digits in [0, 1], bilinearly upsampled to 1x28x28, all as the pool.

    Upsampling lets every MNIST model run unchanged on this offline stand-in.
    The test split is carved by :mod:`ksweep.train.data` (it is seeded), so
    the test tensors here are empty. Cached: callers only index it (which
    copies), never modify it in place.
    """
    bunch = load_digits()
    images = torch.from_numpy(bunch.images / 16.0).float().unsqueeze(1)  # values 0..16
    images = F.interpolate(images, size=(28, 28), mode="bilinear", align_corners=False)
    labels = torch.from_numpy(bunch.target).long()
    return images.clamp_(0.0, 1.0), labels, images[:0], labels[:0]


@lru_cache(maxsize=1)
def _read_files(key: str, stamp: tuple[tuple[str, int], ...]) -> Arrays:
    """uint8 images (N, C, H, W) and labels from the files of dataset ``key``.

    ``stamp`` lists the paths (in the spec's ``files`` order) with their
    mtimes, so the cache notices replaced files; the cache (uint8: 55 MB for
    MNIST) lets repeated in-process runs (tests, benchmarks) skip decoding.
    """
    paths = [Path(path) for path, _ in stamp]
    title = DATASETS[key].title
    if key in ("MNIST", "FASHION_MNIST"):
        kind = f"{title} idx file (optionally gzipped)"
        train_x, train_y, test_x, test_y = (
            _read_one(path, reader, kind)
            for path, reader in zip(paths, (read_image_file, read_label_file) * 2, strict=True)
        )
        return train_x.unsqueeze(1), train_y.long(), test_x.unsqueeze(1), test_y.long()
    label_key = "labels" if key == "CIFAR10" else "fine_labels"
    kind = f"{title} python batch"
    batches = [_read_one(path, lambda p: _cifar_batch(p, label_key), kind) for path in paths]
    train, test = batches[:-1], batches[-1]
    train_x = torch.cat([x for x, _ in train])
    train_y = torch.cat([y for _, y in train])
    return train_x, train_y, test[0], test[1]


def _read_one(path: Path, reader: Any, kind: str) -> Any:
    """``reader(path)`` (decompressing ``.gz`` first), with failures as SettingsError."""
    try:
        with _uncompressed(path) as plain:
            return reader(str(plain))
    except (
        OSError,
        EOFError,
        AssertionError,
        ValueError,
        TypeError,
        KeyError,
        RuntimeError,
        pickle.UnpicklingError,
    ) as exc:
        raise SettingsError(
            [
                f"{path} must be a standard {kind}, but reading it failed: "
                f"{type(exc).__name__}: {exc}; fix: replace the file"
            ]
        ) from exc


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles dicts, lists, strings, numbers and numpy arrays; refuses anything else."""

    _ALLOWED: dict[tuple[str, str], Any] = {
        ("numpy.core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(0))[0],
        ("numpy._core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(0))[0],
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): codecs.encode,  # how protocol 2 spells a bytes object
    }

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name} from a data file"
            ) from None


def _cifar_batch(path: str, label_key: str) -> tuple[Tensor, Tensor]:
    """(N x 3 x 32 x 32 uint8 images, N int64 labels) of one CIFAR python batch."""
    with open(path, "rb") as handle:
        raw = _ArrayUnpickler(handle, encoding="latin1").load()
    entry = {k.decode() if isinstance(k, bytes) else k: v for k, v in raw.items()}
    data = np.asarray(entry["data"], dtype=np.uint8)
    labels = np.asarray(entry[label_key], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise ValueError(
            f"expected 'data' of shape (N, 3072) and N labels, found {data.shape} and "
            f"{len(labels)} labels"
        )
    images = torch.from_numpy(data.reshape(-1, 3, 32, 32).copy())
    return images, torch.from_numpy(labels)


def _check_arrays(spec: DatasetSpec, data_dir: str, arrays: Arrays) -> None:
    """Images of the spec's shape, one label each, every label a valid class."""
    shape = (spec.in_channels, spec.image_size, spec.image_size)
    pool_x, pool_y, test_x, test_y = arrays
    for what, images, labels in (("training", pool_x, pool_y), ("test", test_x, test_y)):
        problem = None
        if len(images) == 0 or tuple(images.shape[1:]) != shape or len(labels) != len(images):
            problem = (
                f"must hold {'x'.join(map(str, shape))} images and as many labels, found "
                f"images {tuple(images.shape)} and {len(labels)} labels"
            )
        elif int(labels.min()) < 0 or int(labels.max()) >= spec.num_classes:
            problem = (
                f"must have labels 0..{spec.num_classes - 1}, found "
                f"{int(labels.min())}..{int(labels.max())}"
            )
        if problem:
            raise SettingsError(
                [
                    f"the {spec.title} {what} files in CONFIG_DATA_DIR={data_dir!r} {problem}; "
                    f"fix: replace them with the standard files"
                ]
            )


@contextlib.contextmanager
def _uncompressed(path: Path) -> Iterator[Path]:
    """``path`` itself, or a temporary decompressed copy of a ``.gz`` file.

    torchvision's readers take only plain files; decompressing to a private
    temporary directory leaves DATA_DIR untouched (it may be read-only or shared).
    """
    if path.suffix != ".gz":
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="ksweep-data-") as tmp:
        plain = Path(tmp) / path.stem
        with gzip.open(path, "rb") as src, plain.open("wb") as dst:
            shutil.copyfileobj(src, dst, length=1 << 20)
        yield plain


def download(spec: DatasetSpec, data_dir: str, missing: list[str]) -> None:
    """Let torchvision download ``spec``'s dataset into DATA_DIR, or raise SettingsError.

    A lock file serialises concurrent sweep trials that share DATA_DIR, so only
    the first downloads and the others find the files when they get the lock.
    """
    root = Path(data_dir)
    print(f"{spec.title} files missing from {data_dir}: trying torchvision's download", flush=True)
    previous_timeout = socket.getdefaulttimeout()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _locked(root / f".{spec.name}.download.lock"):
            socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
            if spec.find_files(data_dir)[1]:
                _DOWNLOADERS[spec.key](root=str(root), train=True, download=True)
    except Exception as exc:  # noqa: BLE001 - any failure means "could not download"
        detail = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        reason = f"download failed: {type(exc).__name__}: {detail[:300]}"
        raise SettingsError([missing_files_message(spec, data_dir, missing, reason)]) from exc
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
