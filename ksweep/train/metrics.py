"""The trainer's two output files: a per-epoch log and an atomic final summary.

``metrics.jsonl`` is appended and flushed once per epoch so a watcher (or a
post-mortem of a killed trial) sees progress as it happens.
``training_metrics.json`` is the success marker: it is written to a temporary
file in the same directory, fsynced and renamed over the target, so a reader
never sees a half-written file and its presence means the run completed.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any


class EpochLog:
    """``metrics.jsonl`` writer: one JSON object per line, flushed per epoch."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._handle = self.path.open("w", encoding="utf-8")  # a retry starts a fresh log

    def write(self, record: dict[str, Any]) -> None:
        # allow_nan=False: NaN/Infinity are not JSON; the trainer stops before logging them.
        self._handle.write(json.dumps(record, allow_nan=False) + "\n")
        self._handle.flush()

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> EpochLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def write_json_atomic(path: str | Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` so readers see either nothing or all of it."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, allow_nan=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
