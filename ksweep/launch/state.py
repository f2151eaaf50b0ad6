"""A sweep's state lives in its results folder, so it survives anything.

* ``configs/`` is a copy of the configs the sweep runs, hashed in
  ``manifest.json``: a resume runs exactly these, and refuses if they changed.
* ``sweep_summary.json`` holds one record per finished trial (completed,
  failed, timeout); a trial without a record is pending or was running when
  the sweep stopped, and runs again on resume.
* ``config_NNN_<slug>/status.json`` says what a trial is doing right now,
  for ``make sweep-status`` in another terminal.
* ``attempts/`` keeps the folders of runs that did not count (retried,
  interrupted), so no log is ever lost.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from ksweep.launch.trials import PLAN_FILE, TrialSpec, load_trials
from ksweep.store import read_json, write_json_atomic

SNAPSHOT_DIR = "configs"
ATTEMPTS_DIR = "attempts"
STATUS_FILE = "status.json"
FINISHED = ("completed", "failed", "timeout")


class ResumeError(Exception):
    """The sweep folder cannot be resumed; the message says why and what to do."""


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def snapshot_configs(config_dir: Path, sweep_dir: Path) -> dict[str, str]:
    """Copy the configs (and plan) into the sweep folder; return name -> sha256."""
    target = sweep_dir / SNAPSHOT_DIR
    target.mkdir()
    trials, _ = load_trials(config_dir)
    for trial in trials:
        (target / trial.config_name).write_text(trial.config_text, encoding="utf-8")
    if (config_dir / PLAN_FILE).is_file():
        shutil.copyfile(config_dir / PLAN_FILE, target / PLAN_FILE)
    return {trial.config_name: sha256_text(trial.config_text) for trial in trials}


def changed_configs(trials: list[TrialSpec], hashes: dict[str, str]) -> list[str]:
    """Names whose text no longer matches ``hashes`` (plus added or removed names)."""
    current = {t.config_name: sha256_text(t.config_text) for t in trials}
    names = sorted(set(current) | set(hashes))
    return [name for name in names if current.get(name) != hashes.get(name)]


def load_for_resume(sweep_dir: Path, config_dir: Path | None = None):
    """The sweep's trials, plan, finished records and manifest, after checking nothing changed."""
    manifest_path = sweep_dir / "manifest.json"
    if not manifest_path.is_file() or not (sweep_dir / SNAPSHOT_DIR).is_dir():
        raise ResumeError(
            f"{sweep_dir} is not a resumable sweep folder (it has no manifest.json "
            f"and {SNAPSHOT_DIR}/); name a folder made by `make sweep`"
        )
    manifest = read_json(manifest_path)
    hashes = manifest.get("config_sha256", {})
    trials, plan = load_trials(sweep_dir / SNAPSHOT_DIR)
    changed = changed_configs(trials, hashes)
    if changed:
        raise ResumeError(
            f"the configs in {sweep_dir / SNAPSHOT_DIR} changed since the sweep "
            f"started ({', '.join(changed)}); start a new sweep instead"
        )
    if config_dir is not None:
        current, _ = load_trials(config_dir)
        changed = changed_configs(current, hashes)
        if changed:
            raise ResumeError(
                f"{config_dir} no longer holds the configs this sweep ran (changed: "
                f"{', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}); resuming "
                "would mix two sweeps. Resume without --config-dir to finish the original, or "
                "start a new sweep"
            )
    summary = sweep_dir / "sweep_summary.json"
    records = read_json(summary) if summary.is_file() else []
    return trials, plan, records, manifest


def set_status(trial_dir: Path, **fields) -> None:
    write_json_atomic(trial_dir / STATUS_FILE, {"pid": os.getpid(), **fields})


def read_status(trial_dir: Path) -> dict:
    try:
        return read_json(trial_dir / STATUS_FILE)
    except (OSError, ValueError):
        return {}


def retire(trial_dir: Path, reason: str) -> Path | None:
    """Move a trial folder whose run does not count into ``attempts/``; never delete it."""
    if not trial_dir.exists():
        return None
    attempts = trial_dir.parent / ATTEMPTS_DIR
    attempts.mkdir(exist_ok=True)
    for number in range(1, 10_000):
        target = attempts / f"{trial_dir.name}.{reason}{number}"
        if not target.exists():
            os.replace(trial_dir, target)
            return target
    raise OSError(f"too many retired attempts of {trial_dir.name}")
