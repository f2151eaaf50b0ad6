"""Room to say "the disk is full" on a full disk.

When the disk fills up mid-sweep, the write that fails is usually the
summary or a trial's file, and the manifest, which must then say what
happened, needs room too. So every running sweep keeps a small reserve file
in its folder; on a full disk the runner deletes it and writes the manifest
into the room it leaves. A resume makes a new reserve first, and refuses
with the free space it found when even that does not fit.
"""

from __future__ import annotations

import errno
import os
import shutil

from ksweep.sweep.layout import SweepFolder

RESERVE_BYTES = 1 << 20  # enough for the manifest, the summary and the analysis of a sweep


class DiskFull(OSError):
    """The sweep folder's disk has no room; the message names it and the space left."""


def is_disk_full(problem: BaseException) -> bool:
    return isinstance(problem, OSError) and problem.errno in (errno.ENOSPC, errno.EDQUOT)


# A folder ksweep cannot write to: read-only, or not this user's.
_UNWRITABLE = (errno.EROFS, errno.EACCES, errno.EPERM)


def unwritable_message(problem: OSError) -> str | None:
    """The sentence for an error that is the disk's or the folder's, not a bug; else None.

    Python's own text (``[Errno 28] No space left on device``) often names no file."""
    if not (is_disk_full(problem) or problem.errno in _UNWRITABLE):
        return None
    if isinstance(problem, DiskFull):
        return problem.strerror  # already names the folder and the space left
    where = f" writing {problem.filename}" if problem.filename else ""
    if is_disk_full(problem):
        return f"{problem.strerror}{where}; free some space and run the command again"
    return (
        f"{problem.strerror}{where}: ksweep writes its results and records into the sweep "
        "folder; make it writable, or copy the sweep somewhere writable and name the copy"
    )


def free_bytes(folder: SweepFolder) -> int:
    try:
        return shutil.disk_usage(folder.path).free
    except OSError:
        return 0


def make_reserve(folder: SweepFolder) -> None:
    """Claim the reserve (really allocated, not a sparse file); DiskFull if there is no room."""
    try:
        fd = os.open(folder.reserve, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            os.posix_fallocate(fd, 0, RESERVE_BYTES)
        finally:
            os.close(fd)
    except OSError as problem:
        folder.reserve.unlink(missing_ok=True)
        if is_disk_full(problem):
            raise DiskFull(
                problem.errno,
                f"the disk holding {folder.path} is full ({free_bytes(folder)} bytes free; "
                f"a sweep needs at least {RESERVE_BYTES} to keep its records); free some space "
                "and run the command again",
            ) from None
        raise


def release_reserve(folder: SweepFolder) -> None:
    folder.reserve.unlink(missing_ok=True)
