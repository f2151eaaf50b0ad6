"""Static facts about the datasets, shared by validation (no torch) and loading (torch).

Split sizes are computed here, once, and the loader passes these exact
integers to its splitter. That is what lets :mod:`ksweep.train.settings`
reject "batch size larger than the training set" before any data is read,
with numbers guaranteed to match what training will see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

VAL_FRACTION = 0.1  # share of the training pool held out for validation (seeded, stratified)


@dataclass(frozen=True)
class DatasetSpec:
    """Shape and size of a dataset as ksweep presents it to a model."""

    key: str  # Kconfig DATASET_SELECT_<KEY> suffix
    in_channels: int
    image_size: int
    num_classes: int
    pool_size: int  # images available for train + validation
    test_size: int  # images in the held-out test split

    @property
    def name(self) -> str:
        """The lower-case name written into training_metrics.json."""
        return self.key.lower()

    @property
    def val_size(self) -> int:
        """Validation images carved from the pool (ceil, as scikit-learn rounds test_size)."""
        return math.ceil(self.pool_size * VAL_FRACTION)

    @property
    def fit_size(self) -> int:
        """Images left for fitting once validation is carved out (before any subset)."""
        return self.pool_size - self.val_size

    def train_size(self, subset: int) -> int:
        """Images one epoch trains on, for ``CONFIG_DATA_SUBSET=subset`` (0 = all)."""
        return subset if subset else self.fit_size


# scikit-learn's digits: 1,797 8x8 images, upsampled to 28x28; 20% (360) stratified test split.
DIGITS_TOTAL = 1797
_DIGITS_TEST = math.ceil(DIGITS_TOTAL * 0.2)

DATASETS: dict[str, DatasetSpec] = {
    "DIGITS": DatasetSpec("DIGITS", 1, 28, 10, DIGITS_TOTAL - _DIGITS_TEST, _DIGITS_TEST),
    "MNIST": DatasetSpec("MNIST", 1, 28, 10, 60000, 10000),
}

# The four standard MNIST idx files; each may be gzipped, directly in DATA_DIR or in
# DATA_DIR/MNIST/raw (the layout torchvision.datasets.MNIST downloads into).
MNIST_FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def mnist_candidates(data_dir: Path, name: str) -> list[Path]:
    """Where MNIST file ``name`` may live, in order of preference (uncompressed first)."""
    places = (data_dir, data_dir / "MNIST" / "raw")
    return [place / name for place in places] + [place / f"{name}.gz" for place in places]


def find_mnist_files(data_dir: str | Path) -> tuple[dict[str, Path], list[str]]:
    """The MNIST files present under ``data_dir`` (name -> path), and the names missing."""
    root = Path(data_dir)
    found: dict[str, Path] = {}
    missing: list[str] = []
    for name in MNIST_FILES:
        path = next((p for p in mnist_candidates(root, name) if p.is_file()), None)
        if path is None:
            missing.append(name)
        else:
            found[name] = path
    return found, missing


def mnist_missing_message(data_dir: str | Path, missing: list[str], why: str) -> str:
    """The one error text for absent MNIST files, used by validation and by the loader."""
    names = ", ".join(f"{n}[.gz]" for n in missing)
    return (
        f"MNIST needs its four idx files in CONFIG_DATA_DIR={str(data_dir)!r} "
        f"(directly or under MNIST/raw/, gzipped or not); missing: {names} ({why}); "
        f"fix: copy the files there, point CONFIG_DATA_DIR at the directory holding them, "
        f"or run once where the network can reach the torchvision mirrors"
    )
