"""What a sweep cost: trial time, the sweep's wall clock over its runs, the server start-up.

Three clocks, each said for what it is:

* a trial's ``wall_time`` runs from its start to its end and excludes the
  shared trial server's start-up (torch's import, paid once per run);
* the sweep's wall clock is the manifest's ``wall_time``: the sum of its run
  *segments* (the first run and each resume), so an interrupted and resumed
  sweep counts both runs and not the pause between them;
* the trial server's start-up, ``trial_server_startup_s`` per segment, is
  reported once per run, on its own.

With several trials at a time their times add up to more than the wall
clock; the text says so rather than leaving two numbers that seem to clash.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ksweep.analysis.metrics import WALL_TIME
from ksweep.sweep.tolerant import finite_number


@dataclass(frozen=True)
class Segment:
    """One run of a sweep (the first, or a resume), from the manifest."""

    wall_time: float | None
    startup: float | None  # the trial server's start-up in this run; None: not recorded
    jobs: int | None  # JOBS= of this run, when it was given


@dataclass(frozen=True)
class Runs:
    """A sweep's runs, as its manifest records them."""

    wall_time: float | None  # the manifest's sum over segments
    segments: list[Segment]

    @property
    def finished(self) -> list[Segment]:
        return [s for s in self.segments if s.wall_time is not None]


def runs_from_manifest(manifest: dict[str, Any] | None) -> Runs | None:
    """The runs a manifest records; None when it records no wall clock at all."""
    if not isinstance(manifest, dict):
        return None
    segments = []
    for raw in manifest.get("segments") or []:
        if not isinstance(raw, dict):
            continue
        launch = raw.get("launch") if isinstance(raw.get("launch"), dict) else {}
        jobs = launch.get("jobs")
        segments.append(
            Segment(
                finite_number(raw.get("wall_time")),
                finite_number(raw.get("trial_server_startup_s")),
                jobs if isinstance(jobs, int) and not isinstance(jobs, bool) else None,
            )
        )
    total = finite_number(manifest.get("wall_time"))
    if not total and not any(s.wall_time for s in segments):
        return None
    if not total:
        total = sum(s.wall_time or 0.0 for s in segments)
    return Runs(total, segments)


def _seconds(value: float) -> str:
    return WALL_TIME.shown(value)


def trial_time_line(records: list[dict[str, Any]]) -> str:
    walls = [w for r in records if (w := finite_number(r.get("wall_time"))) is not None]
    if not walls:
        return "No trial recorded its wall time."
    total = sum(walls)
    count = f"{len(walls)} trial{'' if len(walls) == 1 else 's'}"
    return (
        f"Trial time: {_seconds(total)} in all for {count} ({_seconds(total / len(walls))} per "
        "trial on average; a trial's time excludes the trial server's start-up)"
    )


def wall_clock_lines(records: list[dict[str, Any]], runs: Runs | None) -> list[str]:
    """The sweep's wall clock over its runs, the start-up once per run, and how they relate."""
    if runs is None or runs.wall_time is None:
        return []
    done = runs.finished
    count = max(len(done), 1)
    if count == 1:
        lines = [f"Sweep wall clock: {_seconds(runs.wall_time)} (1 run)"]
    else:
        parts = " + ".join(_seconds(s.wall_time or 0.0) for s in done)
        resumes = f"{count - 1} resume{'' if count == 2 else 's'}"
        lines = [
            f"Sweep wall clock: {_seconds(runs.wall_time)} over {count} runs (the first run and "
            f"{resumes}: {parts}; the time between runs is not counted)"
        ]
    startups = [s.startup for s in done if s.startup]
    if len(startups) == 1:
        lines.append(
            f"Trial server start-up: {_seconds(startups[0])}, once (torch imported once; part "
            "of the wall clock, of no trial's time)"
        )
    elif startups:
        parts = " + ".join(_seconds(s) for s in startups)
        lines.append(
            f"Trial server start-up: {_seconds(sum(startups))}, once per run ({parts}); part of "
            "the wall clock, of no trial's time"
        )
    total = sum(w for r in records if (w := finite_number(r.get("wall_time"))) is not None)
    if total > runs.wall_time:
        jobs = sorted({s.jobs for s in done if s.jobs})
        how = f" (JOBS={'/'.join(map(str, jobs))})" if jobs else ""
        lines.append(
            f"The trial times add up to more than the wall clock: trials ran side by side{how}."
        )
    return lines


def saved_by_stopping_line(records: list[dict[str, Any]]) -> str | None:
    """What early stopping saved, in trial-epochs: run against planned (NUM_EPOCHS each)."""
    pruned = [r for r in records if r.get("status") == "pruned"]
    if not pruned:
        return None
    counted = [r for r in records if r.get("status") in ("completed", "pruned")]
    planned = sum(int(r.get("epochs") or 0) for r in counted)
    ran = sum(int(r.get("epochs_run") or r.get("epochs") or 0) for r in counted)
    if not planned:
        return None
    return (
        f"Early stopping: {len(pruned)} of {len(counted)} trials stopped early; the sweep ran "
        f"{ran} of the {planned} trial-epochs planned ({100 * (1 - ran / planned):.0f}% saved)"
    )
