"""Reading a user-named input file: only a regular file, and only up to a size a config can have.

``RANGE_CONFIG=/dev/zero`` would otherwise be read without end (MemoryError)
and a FIFO would block forever; a missing file gets the nearest existing
name in its folder, since a typo is the usual reason.
"""

from __future__ import annotations

import difflib
import os
import stat
from pathlib import Path

MAX_CONFIG_BYTES = 4 * 1024 * 1024  # far above any range config or defconfig


class UnreadableInput(OSError):
    """The named file is not one ksweep reads; the message says why and what to do."""


def nearest_name(path: Path) -> str:
    """' (did you mean X?)' for the closest existing file in the folder, or ''."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        names = [p.name for p in folder.iterdir() if not p.name.startswith(".")]
    except OSError:
        return ""
    close = difflib.get_close_matches(path.name, names, n=1, cutoff=0.6)
    return f" (did you mean {folder / close[0]}?)" if close else ""


def read_config_text(path: str | Path, limit: int = MAX_CONFIG_BYTES) -> str:
    """The UTF-8 text of ``path``; UnreadableInput (an OSError) unless it is a regular file
    of at most ``limit`` bytes. Opened non-blocking, so a FIFO is refused, not waited on."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise UnreadableInput(f"{path} does not exist{nearest_name(path)}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableInput(f"{path} is not a regular file; name a config file")
        if info.st_size > limit:
            raise UnreadableInput(
                f"{path} is {info.st_size} bytes, more than a config can be ({limit}); "
                "name a config file"
            )
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise UnreadableInput(f"{path} grew past {limit} bytes while read; name a config file")
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        raise UnreadableInput(f"{path}:{line} holds a NUL byte, which no config value may hold")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableInput(
            f"{path} is not UTF-8 text (byte {error.start}); name a config file"
        ) from None
