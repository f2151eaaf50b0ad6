"""Reading what each trial left in its folder: epochs, spectra, its config.

The summary holds one row per trial; curves and spectra live beside the
trial's log. Every reader here tolerates a missing or half-written file (a
failed trial may have left nothing) by returning nothing for that trial.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ksweep.configfile import ConfigFileError, read_config

EPOCHS_FILE = "metrics.jsonl"
FINAL_FILE = "training_metrics.json"
SPECTRAL_FILE = "spectral.json"
CONFIG_FILE = "config.txt"


def trial_dir(sweep_dir: Path, record: dict[str, Any]) -> Path | None:
    name = record.get("test_name") or record.get("config_file")
    return sweep_dir / name if name else None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def epochs(folder: Path | None) -> list[dict[str, Any]]:
    """One dict per epoch, from ``metrics.jsonl`` (or the history in training_metrics.json)."""
    if folder is None:
        return []
    rows: list[dict[str, Any]] = []
    try:
        lines = (folder / EPOCHS_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash
        if isinstance(row, dict):
            rows.append(row)
    if rows:
        return rows
    final = _read_json(folder / FINAL_FILE)
    history = final.get("history") if isinstance(final, dict) else None
    return [row for row in history or [] if isinstance(row, dict)]


def spectrum(folder: Path | None) -> dict[str, list[float]]:
    """``{layer: [singular values, largest first]}`` from spectral.json; {} when absent."""
    if folder is None:
        return {}
    data = _read_json(folder / SPECTRAL_FILE)
    if not isinstance(data, dict):
        return {}
    layers: dict[str, list[float]] = {}
    for layer, values in data.items():
        if not isinstance(values, list):
            continue
        kept = [float(v) for v in values if isinstance(v, int | float) and math.isfinite(v)]
        if kept:
            layers[str(layer)] = sorted(kept, reverse=True)
    return layers


def config_values(folder: Path | None) -> dict[str, str]:
    if folder is None:
        return {}
    try:
        return read_config(folder / CONFIG_FILE)
    except (OSError, ConfigFileError):
        return {}


def last_value(rows: list[dict[str, Any]], key: str) -> float | None:
    for row in reversed(rows):
        value = row.get(key)
        if isinstance(value, int | float) and math.isfinite(value):
            return float(value)
    return None
