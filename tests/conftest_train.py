"""Shared helpers for the trainer's tests: real resolved configs from the real Kconfig tree.

Imported explicitly (``from conftest_train import ...``), not a pytest conftest:
configs are produced exactly as the engine produces them -- kconfiglib sets
the values and writes the resolved file -- and every requested value is read
back, because kconfiglib silently drops assignments it cannot honour.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import kconfiglib
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
MNIST_DIR = Path(__file__).resolve().parents[2] / "shared/data/mnist"

requires_mnist = pytest.mark.skipif(
    not all(
        (MNIST_DIR / f"{name}.gz").is_file() or (MNIST_DIR / name).is_file()
        for name in (
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        )
    ),
    reason=f"MNIST files not found in {MNIST_DIR}",
)
# The full MNIST set where the shipped defconfigs read it (CONFIG_DATA_DIR="data"), linked
# there by `make data-link`; tests that run a shipped MNIST study as written need it.
PROJECT_MNIST_DIR = REPO_ROOT / "data" / "MNIST" / "raw"
requires_project_mnist = pytest.mark.skipif(
    not all(
        (PROJECT_MNIST_DIR / f"{name}.gz").is_file() or (PROJECT_MNIST_DIR / name).is_file()
        for name in (
            "train-images-idx3-ubyte",
            "train-labels-idx1-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte",
        )
    ),
    reason=f"MNIST files not found in {PROJECT_MNIST_DIR} (make data-link puts them there)",
)

# A run that takes a fraction of a second: LeNet-5 on 96 digits, 2 epochs of 6 steps.
TINY: dict[str, str] = {
    "DATASET_SELECT_DIGITS": "y",
    "DATA_SUBSET": "96",
    "NUM_EPOCHS": "2",
    "BATCH_SIZE": "16",
    "DEVICE": "cpu",
}
# Applied to every config but only effective where pruning is on (they depend on
# PRUNING_METHOD != "none"): pruning starts after step 2 and reaches the target at step 12.
TINY_PRUNING: dict[str, str] = {"PRUNING_WARMUP": "2", "PRUNING_RAMP_END_EPOCH": "2"}

# Per-epoch keys whose values are wall-clock measurements, excluded from fingerprints.
TIMING_KEYS = frozenset({"epoch_time"})
# Final metrics of the end-of-run evaluation (the SWA average's), part of what a run did;
# its wall-clock time is not.
FINAL_EVALUATION_PREFIX, FINAL_TIMING_KEYS = "swa_", frozenset({"swa_time"})


@contextmanager
def _in_repo_root() -> Iterator[None]:
    """kconfiglib resolves ``source`` paths against the working directory."""
    previous = Path.cwd()
    os.chdir(REPO_ROOT)
    try:
        yield
    finally:
        os.chdir(previous)


def load_kconfig() -> kconfiglib.Kconfig:
    """The project's real Kconfig tree."""
    with _in_repo_root():
        return kconfiglib.Kconfig("Kconfig", warn_to_stderr=False)


def write_config(
    path: Path, overrides: Mapping[str, str], soft: Mapping[str, str] | None = None
) -> Path:
    """Write the resolved config for defaults + ``soft`` + ``overrides`` to ``path``.

    Every value in ``overrides`` is checked to have stuck; ``soft`` values
    (which ``overrides`` take precedence over) are set but may be hidden by an
    unmet ``depends on``. Choice members are set first so that symbols
    depending on the choice are visible when their own values are checked.
    """
    kconf = load_kconfig()
    merged = {**(soft or {}), **overrides}
    ordered = sorted(merged.items(), key=lambda item: kconf.syms[item[0]].choice is None)
    for name, value in ordered:
        sym = kconf.syms[name]
        if sym.orig_type in (kconfiglib.BOOL, kconfiglib.TRISTATE):
            sym.set_value({"n": 0, "y": 2}[value])
        else:
            sym.set_value(value)
    for name, value in overrides.items():
        got = kconf.syms[name].str_value
        assert got == value, f"kconfiglib did not keep CONFIG_{name}={value} (it has {got!r})"
    with _in_repo_root():
        kconf.write_config(str(path))
    return path


@cache
def _tree() -> kconfiglib.Kconfig:
    """A shared instance for structural questions only (never set values on it)."""
    return load_kconfig()


def with_value(overrides: Mapping[str, str], name: str, value: str) -> dict[str, str]:
    """``overrides`` plus ``name=value``; selecting a choice member deselects its siblings."""
    sym = _tree().syms[name]
    siblings = {s.name for s in sym.choice.syms} if sym.choice is not None else set()
    kept = {k: v for k, v in overrides.items() if k not in siblings}
    return {**kept, name: value}


def combine(*layers: Mapping[str, str]) -> dict[str, str]:
    """Later layers override earlier ones, choice selections included."""
    result: dict[str, str] = {}
    for layer in layers:
        for name, value in layer.items():
            result = with_value(result, name, value)
    return result


def resolved_values(
    tmp_path: Path, overrides: Mapping[str, str], soft: Mapping[str, str] | None = None
) -> dict[str, str]:
    """``read_config`` of the resolved config written by :func:`write_config`."""
    from ksweep.configfile import read_config

    path = tmp_path / f"config-{_digest([dict(overrides), dict(soft or {})])[:12]}"
    return read_config(write_config(path, overrides, soft))


def fingerprint(result: Mapping[str, Any]) -> str:
    """Hash of what a run *did*: final weights, per-epoch metrics and the end-of-run
    evaluation (the SWA average's ``swa_*`` figures), minus wall-clock times.

    Labels copied from the config (seed, model, optimizer, pruning_method, ...)
    are left out on purpose: they differ whenever the config does, so including
    them would make an ignored symbol look effective.
    """
    history = [
        {k: v for k, v in epoch.items() if k not in TIMING_KEYS} for epoch in result["history"]
    ]
    final = {
        k: v
        for k, v in result.items()
        if k.startswith(FINAL_EVALUATION_PREFIX) and k not in FINAL_TIMING_KEYS
    }
    return _digest([result["weights_sha256"], history, final])


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


# --- tiny datasets in the standard file formats -------------------------------------------------
#
# CIFAR-10/100 and Fashion-MNIST cannot be downloaded here, so tests write small files in
# exactly the formats torchvision downloads (idx files, CIFAR python pickles) and the real
# readers load them. Images are class-dependent (a per-class colour plus noise) so that a
# model can learn them, which lets tests tell a working pipeline from one stuck at chance.


def synthetic_images(n: int, shape: tuple[int, ...], classes: int, seed: int) -> tuple[Any, Any]:
    """(n uint8 images of ``shape``, n int64 labels covering every class)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    # One flat colour per class and channel: learnable, and unchanged by crops and flips.
    colour_shape = (classes, shape[0], 1, 1) if len(shape) == 3 else (classes, 1, 1)
    prototypes = np.random.default_rng(1234).uniform(30, 225, colour_shape)
    labels = np.arange(n) % classes
    rng.shuffle(labels)
    noise = rng.normal(0, 40, (n, *shape))
    images = np.clip(prototypes[labels] + noise, 0, 255).astype(np.uint8)
    return images, labels.astype(np.int64)


def write_idx_dataset(root: Path, n_train: int = 300, n_test: int = 100, gz: bool = True) -> Path:
    """The four MNIST-format idx files (28x28, 10 classes) under ``root``; returns ``root``."""
    import gzip as gzip_module
    import struct

    root.mkdir(parents=True, exist_ok=True)
    for prefix, n, seed in (("train", n_train, 0), ("t10k", n_test, 1)):
        images, labels = synthetic_images(n, (28, 28), 10, seed)
        blobs = {
            f"{prefix}-images-idx3-ubyte": struct.pack(">IIII", 0x803, n, 28, 28)
            + images.tobytes(),
            f"{prefix}-labels-idx1-ubyte": struct.pack(">II", 0x801, n)
            + labels.astype("uint8").tobytes(),
        }
        for name, blob in blobs.items():
            if gz:
                with gzip_module.open(root / f"{name}.gz", "wb") as handle:
                    handle.write(blob)
            else:
                (root / name).write_bytes(blob)
    return root


def write_cifar_dataset(root: Path, classes: int, n_train: int = 300, n_test: int = 100) -> Path:
    """CIFAR-10 (``classes=10``) or CIFAR-100 python pickles under ``root``; returns ``root``."""
    import pickle

    folder = root / ("cifar-10-batches-py" if classes == 10 else "cifar-100-python")
    folder.mkdir(parents=True, exist_ok=True)
    label_key = "labels" if classes == 10 else "fine_labels"
    images, labels = synthetic_images(n_train + n_test, (3, 32, 32), classes, 2)
    rows = images.reshape(len(images), -1)
    if classes == 10:
        bounds = [round(i * n_train / 5) for i in range(6)]
        parts = {f"data_batch_{i + 1}": slice(bounds[i], bounds[i + 1]) for i in range(5)}
        parts["test_batch"] = slice(n_train, None)
    else:
        parts = {"train": slice(0, n_train), "test": slice(n_train, None)}
    for name, part in parts.items():
        entry = {"data": rows[part], label_key: labels[part].tolist(), "batch_label": name}
        with (folder / name).open("wb") as handle:
            pickle.dump(entry, handle, protocol=2)
    return root
