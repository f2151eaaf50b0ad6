"""Atomic file writes: no reader ever sees half a file.

Every result file ksweep writes goes through here: the text is written to a
temporary file in the same folder, flushed to disk, then renamed over the
target, which POSIX makes atomic. An interrupted sweep therefore leaves the
previous complete version of each file, never a truncated one; what a kill
leaves is a hidden ``.NAME.*.tmp`` file, which :func:`remove_temporaries`
clears when the sweep starts or resumes.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _current_umask()
TEMPORARY_SUFFIX = ".tmp"


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write; on success it becomes ``path`` in one step.

    For writers that need a file name (matplotlib, torch.save); plain data goes through
    :func:`write_bytes_atomic` and :func:`write_text_atomic`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent
    )
    os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are for colleagues too
    os.close(fd)
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step, flushed to disk first."""
    with replacing(path) as temporary, open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def write_text_atomic(path: str | Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) in one step."""
    write_bytes_atomic(path, text.encode("utf-8"))


def _json_safe(value: Any) -> Any:
    """NaN and infinities are not JSON; they become null so every reader can parse the file."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def write_json_atomic(path: str | Path, data: Any) -> None:
    """Write ``data`` as indented, strictly valid JSON, atomically."""
    write_text_atomic(path, json.dumps(_json_safe(data), indent=2, allow_nan=False) + "\n")


def append_line(path: str | Path, line: str) -> None:
    """Append one line to a log such as decisions.jsonl, flushed to disk.

    A kill inside an earlier append can leave the file without its final newline;
    the new line then starts on a line of its own, so only the torn line is damaged
    (readers skip it) and the new one is whole."""
    with open(path, "a+b") as handle:
        handle.seek(0, os.SEEK_END)
        torn = False
        if handle.tell() > 0:
            handle.seek(-1, os.SEEK_END)
            torn = handle.read(1) != b"\n"
        handle.write((b"\n" if torn else b"") + line.rstrip("\n").encode("utf-8") + b"\n")
        handle.flush()
        os.fsync(handle.fileno())


def remove_temporaries(folder: str | Path) -> int:
    """Delete the temporaries killed writers left under ``folder``; return how many.

    Only call this while holding the folder's lock: a live writer's temporary
    looks the same."""
    removed = 0
    for leftover in Path(folder).rglob(f".*{TEMPORARY_SUFFIX}"):
        if leftover.is_file():
            leftover.unlink(missing_ok=True)
            removed += 1
    return removed
