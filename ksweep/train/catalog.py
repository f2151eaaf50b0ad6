"""Static facts about the datasets, shared by validation (no torch) and loading (torch).

Split sizes are computed here, once, and the loader passes these exact
integers to its splitter. That is what lets :mod:`ksweep.train.settings`
reject "batch size larger than the training set" before any data is read,
with numbers guaranteed to match what training will see on the standard
files. (Smaller files in the standard format, such as test fixtures, are
accepted; the loader re-checks the sizes on what it actually read.)

Which files each dataset needs, and where they may sit under
``CONFIG_DATA_DIR``, is also declared here, so that ``--offline`` validation
can name missing files without importing torch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class DatasetSpec:
    """Shape, size and files of a dataset as ksweep presents it to a model."""

    key: str  # Kconfig DATASET_SELECT_<KEY> suffix
    title: str  # how messages name it ("CIFAR-10")
    in_channels: int
    image_size: int
    num_classes: int
    pool_size: int  # images available for train + validation
    test_size: int  # images in the held-out test split
    mean: tuple[float, ...] = ()  # per-channel pixel mean in [0, 1]; () = from the training split
    std: tuple[float, ...] = ()
    files: tuple[str, ...] = ()  # standard file names; () = bundled, nothing to find
    subdirs: tuple[str, ...] = ()  # folders under DATA_DIR searched after DATA_DIR itself
    gzip_ok: bool = False  # whether each file may also be present as NAME.gz
    files_description: str = ""  # "four idx files", for messages
    mirror_invariant: bool = False  # a left-right mirrored image shows the same class

    @property
    def name(self) -> str:
        """The lower-case name written into training_metrics.json."""
        return self.key.lower()

    def val_size(self, fraction: float) -> int:
        """Validation images carved from the pool (ceil, as scikit-learn rounds test_size)."""
        return math.ceil(round(self.pool_size * fraction, 9))

    def fit_size(self, fraction: float) -> int:
        """Images left for fitting once validation is carved out (before any subset)."""
        return self.pool_size - self.val_size(fraction)

    def train_size(self, subset: int, fraction: float) -> int:
        """Images one epoch trains on, for ``CONFIG_DATA_SUBSET=subset`` (0 = all)."""
        return subset if subset else self.fit_size(fraction)

    def with_sizes(self, pool_size: int, test_size: int) -> DatasetSpec:
        """This spec with the sizes that the files on disk actually hold."""
        return replace(self, pool_size=pool_size, test_size=test_size)

    def candidates(self, data_dir: Path, name: str) -> list[Path]:
        """Where file ``name`` may live, in order of preference (uncompressed first)."""
        places = (data_dir, *(data_dir / sub for sub in self.subdirs))
        plain = [place / name for place in places]
        return plain + ([place / f"{name}.gz" for place in places] if self.gzip_ok else [])

    def find_files(self, data_dir: str | Path) -> tuple[dict[str, Path], list[str]]:
        """The files present under ``data_dir`` (name -> path), and the names missing."""
        root = Path(data_dir)
        found: dict[str, Path] = {}
        missing: list[str] = []
        for name in self.files:
            path = next((p for p in self.candidates(root, name) if p.is_file()), None)
            if path is None:
                missing.append(name)
            else:
                found[name] = path
        return found, missing


def missing_files_message(
    spec: DatasetSpec, data_dir: str | Path, missing: list[str], why: str
) -> str:
    """The one error text for absent dataset files, used by validation and by the loader."""
    suffix = "[.gz]" if spec.gzip_ok else ""
    names = ", ".join(f"{n}{suffix}" for n in missing)
    where = " or ".join(f"under {sub}/" for sub in spec.subdirs)
    packing = ", gzipped or not" if spec.gzip_ok else ""
    return (
        f"{spec.title} needs its {spec.files_description} in CONFIG_DATA_DIR="
        f"{str(data_dir)!r} (directly or {where}{packing}); missing: {names} ({why}); "
        f"fix: copy the files there, point CONFIG_DATA_DIR at the directory holding them, "
        f"or run once where the network can reach the torchvision mirrors"
    )


# scikit-learn's digits: 1,797 8x8 images, upsampled to 28x28; 20% (360) stratified test split.
DIGITS_TOTAL = 1797
_DIGITS_TEST = math.ceil(DIGITS_TOTAL * 0.2)

# The four standard idx files of MNIST and Fashion-MNIST; each may be gzipped.
IDX_FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
CIFAR10_FILES: tuple[str, ...] = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch")
CIFAR100_FILES: tuple[str, ...] = ("train", "test")

_CIFAR10_MEAN, _CIFAR10_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
_CIFAR100_MEAN, _CIFAR100_STD = (0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)

_IDX = {"files": IDX_FILES, "gzip_ok": True, "files_description": "four idx files"}

DATASETS: dict[str, DatasetSpec] = {
    spec.key: spec
    for spec in (
        DatasetSpec("DIGITS", "digits", 1, 28, 10, DIGITS_TOTAL - _DIGITS_TEST, _DIGITS_TEST),
        DatasetSpec(
            "MNIST", "MNIST", 1, 28, 10, 60000, 10000,
            mean=(0.1307,), std=(0.3081,), subdirs=("MNIST/raw",), **_IDX,
        ),
        DatasetSpec(
            "FASHION_MNIST", "Fashion-MNIST", 1, 28, 10, 60000, 10000,
            mean=(0.2860,), std=(0.3530,), subdirs=("FashionMNIST/raw",), mirror_invariant=True,
            **_IDX,
        ),
        DatasetSpec(
            "CIFAR10", "CIFAR-10", 3, 32, 10, 50000, 10000,
            mean=_CIFAR10_MEAN, std=_CIFAR10_STD, files=CIFAR10_FILES,
            subdirs=("cifar-10-batches-py",), files_description="six python batches",
            mirror_invariant=True,
        ),
        DatasetSpec(
            "CIFAR100", "CIFAR-100", 3, 32, 100, 50000, 10000,
            mean=_CIFAR100_MEAN, std=_CIFAR100_STD, files=CIFAR100_FILES,
            subdirs=("cifar-100-python",), files_description="two python pickles",
            mirror_invariant=True,
        ),
    )
}  # fmt: skip
