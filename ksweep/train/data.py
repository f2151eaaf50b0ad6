"""Datasets as whole tensors resident on the training device.

Every supported dataset is small (MNIST's 60k+10k images are ~200 MB as
float32, CIFAR's ~740 MB), so it is loaded once, normalised once, and moved
to the device in full: batches are then index gathers, with no DataLoader,
workers or host-device copies per step (the airbench approach). The splits:

- test: DIGITS -- a stratified 20% of the 1,797 images (seeded); the others
  -- their official test set.
- val: a stratified CONFIG_VAL_FRACTION of the remaining pool (seeded),
  never trained on; empty when the fraction is 0.
- train: the rest, in a seeded shuffled order; CONFIG_DATA_SUBSET=N keeps the
  first N. Validation is carved before the subset so it does not change with N.
- CONFIG_EVAL_SUBSET=N evaluates a seeded sample of at most N validation and N
  test images (the header line says the sizes used).

Split sizes follow :mod:`ksweep.train.catalog`, the same numbers settings
validation used; files smaller than the standard ones are re-checked here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from torch import Tensor

from ksweep.train.catalog import DATASETS, DatasetSpec
from ksweep.train.checks import size_problems
from ksweep.train.settings import SettingsError, TrainSettings
from ksweep.train.sources import read_dataset


@dataclass(frozen=True)
class DataSplits:
    """Normalised images (N, C, H, W) float32 and int64 labels, on one device."""

    train_x: Tensor
    train_y: Tensor
    val_x: Tensor  # empty (0 images) when CONFIG_VAL_FRACTION is 0
    val_y: Tensor
    test_x: Tensor
    test_y: Tensor
    spec: DatasetSpec  # with the sizes actually loaded
    black: tuple[float, ...]  # per-channel value of a black pixel after normalisation

    def sizes(self) -> tuple[int, int, int]:
        return len(self.train_y), len(self.val_y), len(self.test_y)


def load_data(settings: TrainSettings, device: str | torch.device) -> DataSplits:
    """Load, split and normalise the configured dataset, then move it to ``device``."""
    spec = DATASETS[settings.dataset]
    pool_x, pool_y, test_x, test_y = read_dataset(spec, settings.data_dir)
    if not spec.files:  # DIGITS: the test split is carved from the bundled images
        pool, test = train_test_split(
            np.arange(len(pool_y)),
            test_size=spec.test_size,
            stratify=pool_y.numpy(),
            random_state=settings.seed,
        )
        pool_x, pool_y, test_x, test_y = pool_x[pool], pool_y[pool], pool_x[test], pool_y[test]
    elif (len(pool_y), len(test_y)) != (spec.pool_size, spec.test_size):
        spec = spec.with_sizes(len(pool_y), len(test_y))
        print(
            f"note: the {spec.title} files hold {len(pool_y)} training and {len(test_y)} test "
            f"images, not the standard {DATASETS[spec.key].pool_size} and "
            f"{DATASETS[spec.key].test_size}",
            file=sys.stderr,
            flush=True,
        )
        problems = size_problems(
            spec, settings.data_subset, settings.batch_size, settings.val_fraction
        )
        if problems:
            raise SettingsError(problems)

    fit, val = _split(pool_y, spec.val_size(settings.val_fraction), settings.seed)
    if settings.data_subset:
        fit = fit[: settings.data_subset]
    train_x, train_y = pool_x[fit], pool_y[fit]
    if settings.eval_subset:  # a seeded sample of each (val's indices come shuffled already)
        val = val[: settings.eval_subset]
        kept = np.random.RandomState(settings.seed).permutation(len(test_y))[: settings.eval_subset]
        test_x, test_y = test_x[kept], test_y[kept]

    if spec.mean:
        mean, std = torch.tensor(spec.mean), torch.tensor(spec.std)
    else:  # DIGITS: standardise with the statistics of the images actually trained on
        mean, std = train_x.mean().reshape(1), train_x.std().reshape(1)
    mean, std = mean.view(1, -1, 1, 1), std.view(1, -1, 1, 1)

    def prepared(x: Tensor) -> Tensor:
        return ((x - mean) / std).to(device)

    return DataSplits(
        train_x=prepared(train_x),
        train_y=train_y.to(device),
        val_x=prepared(pool_x[val]),
        val_y=pool_y[val].to(device),
        test_x=prepared(test_x),
        test_y=test_y.to(device),
        spec=spec,
        black=tuple((-mean / std).flatten().tolist()),
    )


def _split(labels: Tensor, val_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fit indices in seeded shuffled order, validation indices), stratified by label."""
    indices = np.arange(len(labels))
    if val_size == 0:
        return np.random.RandomState(seed).permutation(indices), indices[:0]
    try:
        fit, val = train_test_split(
            indices, test_size=val_size, stratify=labels.numpy(), random_state=seed
        )
    except ValueError:  # a class too rare to stratify (tiny files): split unstratified
        fit, val = train_test_split(indices, test_size=val_size, random_state=seed)
    return fit, val
