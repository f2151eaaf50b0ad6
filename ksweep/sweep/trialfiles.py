"""Reading what a trial leaves in its folder: epochs, final metrics, spectra, config, log.

Every reader tolerates a missing, half-written or damaged file (a failed or
killed trial may have left anything) by returning what can be read. The
epochs a running trial streams are followed incrementally by
:class:`EpochFollower`, which the live view and early stopping both use.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ksweep.configfile import ConfigFileError, parse_config_text
from ksweep.sweep.layout import SPECTRAL_FILE, TrialFolder
from ksweep.sweep.tolerant import finite_number, load_json, load_jsonl, parse_jsonl, read_text

LOG_TAIL_LINES = 20
LOG_TAIL_BYTES = 8192  # what a summary keeps of a failed trial's log, at most
LOG_LINE_CHARS = 400  # one printed line longer than this is cut in the tail


def epochs(folder: TrialFolder | None) -> list[dict[str, Any]]:
    """One dict per epoch, from ``metrics.jsonl`` (or the history of the final metrics)."""
    if folder is None:
        return []
    rows, _ = load_jsonl(folder.epochs)
    if rows:
        return rows
    final = load_json(folder.final_metrics, dict).data or {}
    history = final.get("history")
    return [row for row in history if isinstance(row, dict)] if isinstance(history, list) else []


def final_metrics(folder: TrialFolder) -> dict[str, Any] | None:
    """``training_metrics.json``, or None when the trial left none (or a damaged one)."""
    return load_json(folder.final_metrics, dict).data


def spectrum(folder: TrialFolder | None) -> dict[str, list[float]]:
    """``{layer: [singular values, largest first]}`` from spectral.json; {} when absent."""
    if folder is None:
        return {}
    data = load_json(folder / SPECTRAL_FILE, dict).data or {}
    layers: dict[str, list[float]] = {}
    for layer, values in data.items():
        if not isinstance(values, list):
            continue
        kept = [v for v in (finite_number(x) for x in values) if v is not None]
        if kept:
            layers[str(layer)] = sorted(kept, reverse=True)
    return layers


def config_values(folder: TrialFolder | None) -> dict[str, str]:
    """The trial's config.txt as values (unprefixed); {} when absent or unreadable."""
    if folder is None:
        return {}
    try:
        return parse_config_text(read_text(folder.config), str(folder.config))
    except ConfigFileError:
        return {}


def last_value(rows: list[dict[str, Any]], key: str) -> float | None:
    for row in reversed(rows):
        value = finite_number(row.get(key))
        if value is not None:
            return value
    return None


def log_tail(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The end of a log, bounded in bytes, lines and line length: a trial that printed one
    50 MB line must not put 50 MB into the summary."""
    text = read_text(log_path, limit=LOG_TAIL_BYTES)
    kept = text.rstrip("\n").splitlines()[-lines:]
    return "\n".join(
        line if len(line) <= LOG_LINE_CHARS else line[:LOG_LINE_CHARS] + " [...]" for line in kept
    )


class EpochFollower:
    """The complete JSON lines appended to one file since the previous call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._inode: int | None = None
        self._offset = 0
        self._partial = b""

    def new_rows(self) -> list[dict[str, Any]]:
        try:
            stat = os.stat(self.path)
        except OSError:
            return []
        if stat.st_ino != self._inode or stat.st_size < self._offset:
            # A retry writes a new file at the same path: start over on it.
            self._inode, self._offset, self._partial = stat.st_ino, 0, b""
        if stat.st_size == self._offset:
            return []
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                data = handle.read(stat.st_size - self._offset)
        except OSError:
            return []
        self._offset += len(data)
        complete, _, self._partial = (self._partial + data).rpartition(b"\n")
        rows, _ = parse_jsonl(complete)
        return rows
