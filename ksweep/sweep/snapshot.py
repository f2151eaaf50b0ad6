"""Creating a sweep folder, the configs it runs, and keeping every attempt.

* A new sweep gets a ``sweep_YYYYMMDD_HHMMSS[_N]`` folder that no other sweep
  has (``mkdir`` is exclusive). Its ``configs/`` snapshot is written first and
  the manifest last, so a start that fails midway (a full disk) leaves a folder
  without a manifest, which is removed, and never counts as a sweep.
* ``configs/`` is a copy of the configs the sweep runs, hashed in the
  manifest: a resume runs exactly these, and refuses if they changed.
* ``attempts/`` keeps the folders of runs that did not count (retried,
  interrupted), so no log is ever lost.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ksweep.sweep.atomic import write_json_atomic, write_text_atomic
from ksweep.sweep.layout import SWEEP_PREFIX, SweepFolder, TrialFolder
from ksweep.sweep.trials import TrialSpec


class SweepFolderError(Exception):
    """A sweep folder cannot be created or used as asked; the message says what to do."""


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def create_sweep_folder(output_root: Path) -> SweepFolder:
    """A results folder no other sweep has: ``mkdir`` fails if it exists, so we count up."""
    output_root = Path(output_root)
    output_root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime(f"{SWEEP_PREFIX}%Y%m%d_%H%M%S")
    for attempt in range(1, 1000):
        candidate = output_root / (stamp if attempt == 1 else f"{stamp}_{attempt}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return SweepFolder(candidate)
    raise SweepFolderError(f"cannot create a new sweep folder under {output_root}")


def discard_sweep_folder(folder: SweepFolder) -> None:
    """Remove a folder whose start failed before any trial ran: it holds nothing of value."""
    shutil.rmtree(folder.path, ignore_errors=True)


def write_snapshot(
    folder: SweepFolder, trials: Sequence[TrialSpec], plan: dict | None
) -> dict[str, str]:
    """Copy the configs (and the plan) into the sweep folder; return name -> sha256."""
    folder.snapshot.mkdir(exist_ok=True)
    for trial in trials:
        write_text_atomic(folder.snapshot / trial.config_name, trial.config_text)
    if plan is not None:
        write_json_atomic(folder.plan, plan)
    return {trial.config_name: sha256_text(trial.config_text) for trial in trials}


def add_to_snapshot(folder: SweepFolder, trial: TrialSpec) -> str:
    """Add one config a search proposed while the sweep runs; return its sha256."""
    write_text_atomic(folder.snapshot / trial.config_name, trial.config_text)
    return sha256_text(trial.config_text)


def changed_configs(trials: Sequence[TrialSpec], hashes: dict[str, str]) -> list[str]:
    """Names whose text no longer matches ``hashes`` (plus added or removed names)."""
    current = {t.config_name: sha256_text(t.config_text) for t in trials}
    names = sorted(set(current) | set(hashes))
    return [name for name in names if current.get(name) != hashes.get(name)]


def retire(trial: TrialFolder, reason: str) -> Path | None:
    """Move a trial folder whose run does not count into ``attempts/``; never delete it."""
    if not trial.path.exists():
        return None
    attempts = trial.path.parent / "attempts"
    attempts.mkdir(exist_ok=True)
    for number in range(1, 10_000):
        target = attempts / f"{trial.name}.{reason}{number}"
        if not target.exists():
            os.replace(trial.path, target)
            return target
    raise SweepFolderError(f"too many retired attempts of {trial.name}")
