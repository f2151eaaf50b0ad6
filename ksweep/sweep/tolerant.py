"""The one way state files are read: damage is a value to report, never a traceback.

A kill, a full disk or a stray editor can leave any file of a sweep folder
missing, truncated, or holding bytes that are not UTF-8. Every reader of a
sweep folder goes through :func:`load_json` and :func:`load_jsonl`, which
return what could be read together with a sentence naming the file and what
is wrong with it, so each caller decides: rebuild from the trials' own
files, go on without the file, or refuse with that sentence and the fix.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_JSONL_LINE = 1 << 20  # a metrics line longer than this is damage, not an epoch


@dataclass(frozen=True)
class Loaded:
    """What a state file held: ``data`` when it could be read, else ``problem``."""

    path: Path
    data: Any = None
    problem: str | None = None  # None: read fine (or absent and ``missing``)
    missing: bool = False

    @property
    def ok(self) -> bool:
        return self.data is not None


def load_json(path: str | Path, kind: type | tuple[type, ...] = (dict, list)) -> Loaded:
    """Read ``path`` as JSON of ``kind``; any damage becomes ``problem``."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Loaded(path, missing=True, problem=f"{path} does not exist")
    except OSError as error:
        return Loaded(path, problem=f"{path} cannot be read ({error.strerror or error})")
    if not raw.strip():
        return Loaded(path, problem=f"{path} is empty (a write was cut short)")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        return Loaded(
            path, problem=f"{path} holds bytes that are not UTF-8 (at byte {error.start})"
        )
    except json.JSONDecodeError as error:
        return Loaded(
            path,
            problem=f"{path} is not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg}; truncated or edited?)",
        )
    if not isinstance(data, kind):
        names = "/".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        return Loaded(path, problem=f"{path} holds a JSON {type(data).__name__}, not a {names}")
    return Loaded(path, data)


def parse_jsonl(raw: bytes) -> tuple[list[dict[str, Any]], int]:
    """The JSON objects on complete lines of ``raw``, and how many lines were damaged.

    A line that is cut short, not UTF-8, not an object or absurdly long is
    skipped and counted: one bad byte never hides the good epochs around it."""
    rows: list[dict[str, Any]] = []
    damaged = 0
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        if len(line) > MAX_JSONL_LINE:
            damaged += 1
            continue
        try:
            row = json.loads(line.decode("utf-8"), parse_constant=_no_constant)
        except (UnicodeDecodeError, ValueError):
            damaged += 1
            continue
        if isinstance(row, dict):
            rows.append(row)
        else:
            damaged += 1
    return rows, damaged


def load_jsonl(path: str | Path) -> tuple[list[dict[str, Any]], int]:
    """:func:`parse_jsonl` of a file; a missing or unreadable file has no rows."""
    try:
        raw = Path(path).read_bytes()
    except OSError:
        return [], 0
    return parse_jsonl(raw)


def _no_constant(name: str) -> float:
    """NaN and Infinity are not JSON; a line holding them is treated as damaged."""
    raise ValueError(f"{name} is not a JSON value")


def read_text(path: str | Path, limit: int | None = None) -> str:
    """A text file's content (its last ``limit`` bytes when given), undecodable bytes
    replaced, never an exception: for logs, whose bytes are whatever a trial printed."""
    try:
        with open(path, "rb") as handle:
            if limit is not None:
                handle.seek(0, 2)
                handle.seek(max(0, handle.tell() - limit))
            raw = handle.read()
    except OSError:
        return ""
    return raw.decode("utf-8", errors="replace")


def finite_number(value: Any) -> float | None:
    """``value`` as a float when it is a real, finite number (bools are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
