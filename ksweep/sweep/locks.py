"""Locks that keep two sweeps from mixing: one per config folder, one per running sweep.

* :func:`folder_lock` (blocking) guards a config folder such as
  ``sweep_configs/``: ``make sweep`` holds it from generating the configs until
  they are copied into its own results folder, so a second sweep started at the
  same moment waits instead of running the first one's files.
* :func:`run_lock` (refusing) guards a sweep folder while a runner works in
  it: a resume or a second runner of the same folder is refused with the pid
  of the one at work. The kernel drops both locks when their holder dies, even
  by SIGKILL, so a lock never outlives its sweep.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RUN_LOCK = ".runner.lock"


class SweepBusy(Exception):
    """Another runner holds the sweep folder; the message names it."""


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


@contextmanager
def run_lock(sweep_dir: str | Path) -> Iterator[None]:
    """Hold the sweep folder for this runner, or raise :class:`SweepBusy` at once."""
    path = Path(sweep_dir) / RUN_LOCK
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise SweepBusy(
                f"{sweep_dir} is being run by pid {holder}; wait for it to end "
                f"(make sweep-status SWEEP={sweep_dir}) or stop it first"
            ) from None
        # The pid is only what a refused second runner is told; the flock is the lock. On a
        # full disk it cannot be written, and the reserve that follows says so with the path.
        with contextlib.suppress(OSError):
            os.ftruncate(handle.fileno(), 0)
            os.pwrite(handle.fileno(), str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_lock_holder(sweep_dir: str | Path) -> bool:
    """Whether some live runner holds the sweep folder right now."""
    path = Path(sweep_dir) / RUN_LOCK
    if not path.exists():
        return False
    with open(path, "rb") as handle:  # read-only: flock needs no write access
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False
