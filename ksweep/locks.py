"""A lock per config folder, so two sweeps started at once never see half a regeneration.

``sweep-generate`` swaps in a new ``sweep_configs/`` while holding the lock;
``sweep-run`` copies the configs into its results folder while holding it.
A second generate waits for the first instead of interleaving with it.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def folder_lock(folder: str | Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (through a sibling ``.NAME.lock`` file)."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
