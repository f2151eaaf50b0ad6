"""``make sweep-status``: a sweep's progress, read from its folder by anyone, any time.

Everything comes from files the sweep writes atomically (manifest, summary,
each trial's status.json and metrics.jsonl), read through the folder owner's
tolerant readers, so this works from another terminal while the sweep runs,
after it finished, after it was killed, and on a damaged folder (it says
what is damaged). Whether a runner is at work is asked of the folder's run
lock, which dies with its holder, never of a pid that may have been reused.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ksweep.monitor.heartbeat import epoch_summary
from ksweep.monitor.observers import ranking_of
from ksweep.monitor.progress import format_duration, view
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.locks import run_lock_holder
from ksweep.sweep.manifest import RUNNING, read_manifest
from ksweep.sweep.records import read_status, read_summary
from ksweep.sweep.states import TrialState, is_failure
from ksweep.sweep.trialfiles import epochs
from ksweep.sweep.trials import TrialSpec, load_trials


def status_text(folder: SweepFolder) -> str:
    loaded = read_manifest(folder.manifest)
    manifest = loaded.data or {}
    summary = read_summary(folder)
    records = summary.records
    trials = load_trials(folder.snapshot).trials if folder.snapshot.is_dir() else []
    runner_alive = run_lock_holder(folder.path)
    finished = {r["config_file"] for r in records}
    running: list[tuple[TrialSpec, dict[str, Any]]] = []
    for trial in trials:
        if trial.config_name in finished or not runner_alive:
            continue
        status = read_status(folder.trial(trial.test_name))
        if TrialState.of(status.get("state")) in (TrialState.STARTING, TrialState.RUNNING):
            running.append((trial, status))
    state = manifest.get("state", "unknown")
    if state == RUNNING and not runner_alive:
        state = "stopped without finishing (the runner is gone); resume it"
    elif manifest.get("reason"):
        state = f"{state}: {manifest['reason']}"
    projected = [d for trial, status in running if (d := projected_duration(folder, trial, status))]
    ranking = ranking_of(trials[0].values if trials else {})
    total = len(trials) if trials else None
    progress = view(total, records, len(running), max(1, len(running)), projected, ranking=ranking)
    lines = [f"Sweep: {folder.path}", f"State: {state}"]
    if loaded.problem:
        lines.append(f"Warning: {loaded.problem}")
    lines += [f"Warning: {note}" for note in summary.notes]
    lines += [
        f"Started: {manifest.get('started')}  Finished: {manifest.get('finished') or '-'}",
        progress.line(),
    ]
    for trial, status in running:
        lines.append(
            f"  running {trial.config_name} on {status.get('slot')} since {status.get('started')} "
            f"(attempt {status.get('attempt')}){epoch_text(folder, trial)}"
        )
    for record in records:
        if is_failure(record):
            lines.append(f"  {record['status']} {record['config_file']}: {record.get('error')}")
    if progress.remaining and not runner_alive:
        lines.append(f"{progress.remaining} not run; resume: make sweep-resume SWEEP={folder.path}")
    if manifest.get("wall_time"):
        segments = len(manifest.get("segments", []))
        runs = f" over {segments} runs" if segments > 1 else ""
        lines.append(f"Wall time: {format_duration(manifest['wall_time'])}{runs}")
    return "\n".join(lines) + "\n"


def epoch_text(folder: SweepFolder, trial: TrialSpec) -> str:
    """Where a running trial is: ", epoch 6/15, test 99.35%, ...".

    A trial of a long run can take many minutes; its epochs are the only sign
    between start and finish that it is moving, and how fast.
    """
    rows = epochs(folder.trial(trial.test_name))
    return f", {epoch_summary(rows[-1], trial.num_epochs)}" if rows else ", no epoch finished yet"


def projected_duration(folder: SweepFolder, trial: TrialSpec, status: dict) -> float | None:
    """A running trial's whole duration, extrapolated from the epochs it has finished."""
    rows, total = epochs(folder.trial(trial.test_name)), trial.num_epochs
    try:
        started = datetime.fromisoformat(status["started"])
    except (KeyError, TypeError, ValueError):
        return None
    if not rows or not total:
        return None
    elapsed = (datetime.now(started.tzinfo) - started).total_seconds()
    return elapsed * total / len(rows)
