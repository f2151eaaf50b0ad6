"""Every file name and path of a config folder, a sweep folder and a trial folder.

A sweep folder looks like this (the guide's layout, plus ksweep's state)::

    test_matrix_results/sweep_YYYYMMDD_HHMMSS[_N]/
      manifest.json          what ran, when, with what; one segment per run or resume
      sweep_summary.json     one record per trial (rebuilt from the trials when damaged)
      sweep_analysis.txt  results.csv  report.md  plots/  defconfigs/
      decisions.jsonl        early-stopping and search decisions, one line each
      configs/               the configs this sweep runs, hashed in the manifest
      attempts/              folders of runs that did not count (retried, interrupted)
      config_001_<slug>/     one trial: config.txt output.log metrics.jsonl
                             training_metrics.json status.json [stop_request.json]

The trainer writes its outputs under the names defined here, so the child and
the parent agree on the protocol without sharing anything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ksweep.protocol import (
    CHECKPOINT_DIR,
    EPOCHS_FILE,
    FINAL_METRICS,
    PAUSED_FILE,
    RESUME_FILE,
    STOP_REQUEST,
    TRIAL_CONFIG,
    TRIAL_LOG,
)

# --- a trial's folder: the protocol's files (ksweep.protocol owns their names) ---
SPECTRAL_FILE = "spectral.json"
CHECKPOINT_FILE = "best.pt"
TRIAL_STATUS = "status.json"  # live state, then the trial's final record
EVENT_FILE = "events.out.tfevents.ksweep"  # TensorBoard reads any name containing "tfevents"

# --- a generated config folder (sweep_configs/) ---
COMBINATIONS_FILE = "combinations_summary.txt"
PLAN_FILE = "sweep_plan.json"
CONFIG_NAME = re.compile(r"^config_\d+$")
TRIAL_NAME = re.compile(r"^config_\d+(_.*)?$")  # config_007 or config_007_<slug>

# --- a sweep folder ---
MANIFEST_FILE = "manifest.json"
SUMMARY_FILE = "sweep_summary.json"
ANALYSIS_FILE = "sweep_analysis.txt"
RESULTS_FILE = "results.csv"
REPORT_FILE = "report.md"
PLOTS_DIR = "plots"
DEFCONFIGS_DIR = "defconfigs"
DECISIONS_FILE = "decisions.jsonl"
STUDY_FILE = "study.journal"  # Optuna's journal storage, for model-based searches
SNAPSHOT_DIR = "configs"
ATTEMPTS_DIR = "attempts"
RESERVE_FILE = ".disk_reserve"  # freed to record a full disk (see ksweep.sweep.diskguard)
SWEEP_PREFIX = "sweep_"
_SWEEP_NAME = re.compile(r"^sweep_(\d{8}_\d{6})(?:_(\d+))?$")


@dataclass(frozen=True)
class TrialFolder:
    """One trial's folder and the files in it."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    @property
    def config(self) -> Path:
        return self.path / TRIAL_CONFIG

    @property
    def log(self) -> Path:
        return self.path / TRIAL_LOG

    @property
    def epochs(self) -> Path:
        return self.path / EPOCHS_FILE

    @property
    def final_metrics(self) -> Path:
        return self.path / FINAL_METRICS

    @property
    def status(self) -> Path:
        return self.path / TRIAL_STATUS

    @property
    def stop_request(self) -> Path:
        return self.path / STOP_REQUEST

    @property
    def paused(self) -> Path:
        return self.path / PAUSED_FILE

    @property
    def resumed(self) -> Path:
        return self.path / RESUME_FILE

    @property
    def checkpoints(self) -> Path:
        return self.path / CHECKPOINT_DIR


@dataclass(frozen=True)
class SweepFolder:
    """A sweep's results folder: where each of its files is."""

    path: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    @property
    def name(self) -> str:
        return self.path.resolve().name

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    @property
    def manifest(self) -> Path:
        return self.path / MANIFEST_FILE

    @property
    def summary(self) -> Path:
        return self.path / SUMMARY_FILE

    @property
    def analysis(self) -> Path:
        return self.path / ANALYSIS_FILE

    @property
    def results_csv(self) -> Path:
        return self.path / RESULTS_FILE

    @property
    def report(self) -> Path:
        return self.path / REPORT_FILE

    @property
    def plots(self) -> Path:
        return self.path / PLOTS_DIR

    @property
    def defconfigs(self) -> Path:
        return self.path / DEFCONFIGS_DIR

    @property
    def decisions(self) -> Path:
        return self.path / DECISIONS_FILE

    @property
    def study(self) -> Path:
        return self.path / STUDY_FILE

    @property
    def snapshot(self) -> Path:
        return self.path / SNAPSHOT_DIR

    @property
    def plan(self) -> Path:
        return self.snapshot / PLAN_FILE

    @property
    def attempts(self) -> Path:
        return self.path / ATTEMPTS_DIR

    @property
    def reserve(self) -> Path:
        return self.path / RESERVE_FILE

    def trial(self, test_name: str) -> TrialFolder:
        return TrialFolder(self.path / test_name)

    def trial_of(self, record: dict) -> TrialFolder | None:
        """The folder of a summary record's trial (None for a record without a name)."""
        name = record.get("test_name") or record.get("config_file")
        return self.trial(str(name)) if name else None

    def trial_folders(self) -> Iterator[TrialFolder]:
        """Every live trial folder (attempts/ and the snapshot are not trials)."""
        if not self.path.is_dir():
            return
        for child in sorted(self.path.iterdir()):
            if child.is_dir() and TRIAL_NAME.match(child.name):
                yield TrialFolder(child)


def sweep_order(path: Path) -> tuple[str, int] | None:
    """How sweep folders sort: by their time stamp, then by the counter a same-second
    sweep gets (``sweep_X_2`` before ``sweep_X_10``); None for other names."""
    match = _SWEEP_NAME.match(path.name)
    if match is None:
        return None
    return match.group(1), int(match.group(2) or 1)


def sweep_folders(output_root: Path) -> list[Path]:
    """Every folder named like a sweep under ``output_root``, oldest first."""
    if not Path(output_root).is_dir():
        return []
    found = [p for p in Path(output_root).iterdir() if p.is_dir() and sweep_order(p)]
    return sorted(found, key=lambda p: sweep_order(p) or ("", 0))


def newest_sweep(output_root: Path) -> Path | None:
    """The newest sweep that got as far as its manifest: a folder a refused or broken start
    left behind is never "the newest sweep" for status, analyze or resume."""
    for folder in reversed(sweep_folders(output_root)):
        if is_started_sweep(folder):
            return folder
    return None


def is_started_sweep(folder: Path) -> bool:
    """Whether ``folder`` holds a sweep's manifest (the last file a start writes)."""
    from ksweep.sweep.manifest import read_manifest

    return read_manifest(folder / MANIFEST_FILE).data is not None
