"""``make sweep-status``: a sweep's progress, read from its folder by anyone, any time.

Everything comes from files the sweep writes atomically (manifest, summary,
each trial's status.json), so this works from another terminal while the
sweep runs, after it finished, or after it was killed.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from ksweep.analysis.report import configured_metric
from ksweep.analysis.trialfiles import epochs
from ksweep.configfile import parse_config_text
from ksweep.launch.progress import format_duration, view
from ksweep.launch.state import SNAPSHOT_DIR, read_status
from ksweep.launch.trials import TrialSpec, load_trials
from ksweep.launch.watch import epoch_summary
from ksweep.store import read_json


def latest_sweep(output_root: Path) -> Path | None:
    sweeps = sorted(p for p in output_root.glob("sweep_*") if p.is_dir())
    return sweeps[-1] if sweeps else None


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def status_text(sweep_dir: Path) -> str:
    manifest = _read(sweep_dir / "manifest.json") or {}
    records = _read(sweep_dir / "sweep_summary.json") or []
    trials, _ = (
        load_trials(sweep_dir / SNAPSHOT_DIR) if (sweep_dir / SNAPSHOT_DIR).is_dir() else ([], None)
    )
    finished = {r["config_file"] for r in records}
    running = []
    for trial in trials:
        if trial.config_name in finished:
            continue
        status = read_status(sweep_dir / trial.test_name)
        if status.get("state") in ("starting", "running") and _alive(status.get("pid")):
            running.append((trial, status))
    state = manifest.get("state", "unknown")
    runner_alive = _alive(manifest.get("runner_pid"))
    if state == "running" and not runner_alive:
        state = "stopped without finishing (the runner is gone); resume it"
    concurrency = max(1, len(running))
    projected = [
        d for trial, status in running if (d := projected_duration(sweep_dir, trial, status))
    ]
    ranking = configured_metric(parse_config_text(trials[0].config_text)) if trials else None
    progress = view(
        len(trials), records, len(running), concurrency, projected, ranking or ("test_acc", "max")
    )
    lines = [
        f"Sweep: {sweep_dir}",
        f"State: {state}",
        f"Started: {manifest.get('started')}  Finished: {manifest.get('finished') or '-'}",
        progress.line(),
    ]
    for trial, status in running:
        lines.append(
            f"  running {trial.config_name} on {status.get('slot')} since {status.get('started')} "
            f"(attempt {status.get('attempt')}){epoch_text(sweep_dir, trial)}"
        )
    failed = [r for r in records if r.get("status") != "completed"]
    for record in failed:
        lines.append(f"  {record['status']} {record['config_file']}: {record.get('error')}")
    if progress.remaining and not runner_alive:
        lines.append(f"{progress.remaining} not run; resume: make sweep-resume SWEEP={sweep_dir}")
    if manifest.get("wall_time") is not None:
        lines.append(f"Wall time: {format_duration(manifest['wall_time'])}")
    return "\n".join(lines) + "\n"


def logged_epochs(sweep_dir: Path, trial: TrialSpec) -> tuple[list[dict], int | None]:
    """The epochs a running trial has streamed to metrics.jsonl, and how many it will run."""
    return epochs(sweep_dir / trial.test_name), trial.num_epochs


def epoch_text(sweep_dir: Path, trial: TrialSpec) -> str:
    """Where a running trial is: ", epoch 6/15, test 99.35%, ...".

    A trial of a long run can take many minutes; its epochs are the only sign
    between start and finish that it is moving, and how fast.
    """
    rows, total = logged_epochs(sweep_dir, trial)
    return f", {epoch_summary(rows[-1], total)}" if rows else ", no epoch finished yet"


def projected_duration(sweep_dir: Path, trial: TrialSpec, status: dict) -> float | None:
    """A running trial's whole duration, extrapolated from the epochs it has finished."""
    rows, total = logged_epochs(sweep_dir, trial)
    try:
        started = datetime.fromisoformat(status["started"])
    except (KeyError, TypeError, ValueError):
        return None
    if not rows or not total:
        return None
    elapsed = (datetime.now(started.tzinfo) - started).total_seconds()
    return elapsed * total / len(rows)


def _read(path: Path):
    try:
        return read_json(path)
    except (OSError, ValueError):
        return None
