"""The trainer's two output files: a per-epoch log and an atomic final summary.

``metrics.jsonl`` is appended and flushed once per epoch so a watcher (or a
post-mortem of a killed trial) sees progress as it happens.
``training_metrics.json`` is the success marker: it is written to a temporary
file in the same directory, fsynced and renamed over the target, so a reader
never sees a half-written file and its presence means the run completed.
"""

from __future__ import annotations

import json
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
