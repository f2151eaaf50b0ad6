"""The live view of a sweep: done, running, failed, remaining, ETA, best so far.

The same arithmetic serves the running sweep's event lines and
``make sweep-status`` reading a sweep folder from another terminal.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ksweep.analysis.metrics import spec
from ksweep.analysis.stats import group_records, rank
from ksweep.sweep.states import TrialState, state_of


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


@dataclass(frozen=True)
class ProgressView:
    """Counts and estimates at one moment."""

    total: int | None  # None: a search that decides its length as it goes
    done: int
    failed: int
    running: int
    eta_seconds: float | None
    best_name: str | None
    best_value: float | None
    metric: str  # what best_value measures
    pruned: int = 0  # stopped early by a rule: results, not failures
    best_seeds: int = 0  # the seeds best_value is the mean of

    @property
    def remaining(self) -> int | None:
        if self.total is None:
            return None
        return max(0, self.total - self.done - self.pruned - self.failed - self.running)

    def line(self) -> str:
        if self.best_name is None:
            best = "best -"
        else:
            named = "" if self.metric == "test_acc" else f"{self.metric} "
            seeds = f"{self.best_seeds} seed" + ("" if self.best_seeds == 1 else "s")
            shown = spec(self.metric).shown(self.best_value)
            best = f"best {named}{shown} {self.best_name} (mean of {seeds})"
        total = "?" if self.total is None else self.total
        left = "?" if self.remaining is None else self.remaining
        pruned = f" | pruned {self.pruned}" if self.pruned else ""
        return (
            f"done {self.done}/{total} | running {self.running}{pruned} | failed {self.failed}"
            f" | left {left} | ETA {format_duration(self.eta_seconds)} | {best}"
        )


def view(
    total: int | None,
    records: Sequence[dict],
    running: int,
    concurrency: int,
    projected: Sequence[float] = (),
    *,
    ranking: tuple[str, str],
) -> ProgressView:
    """Progress from finished records; the ETA assumes unfinished trials take the mean time.

    Until a trial has finished, ``projected`` (running trials' durations
    extrapolated from the epochs they have done) stands in for that mean.
    ``ranking`` is the (metric, goal) the closing line will rank by.
    """
    states = [state_of(r) for r in records]
    done = states.count(TrialState.COMPLETED)
    pruned = states.count(TrialState.PRUNED)
    failed = len(records) - done - pruned
    times = [r["wall_time"] for r in records if isinstance(r.get("wall_time"), int | float)]
    times = times or list(projected)
    eta = None
    if times and total is not None:
        unfinished = max(0, total - len(records))
        eta = statistics.mean(times) * unfinished / max(1, min(concurrency, max(unfinished, 1)))
    best = _leading_group(records, *ranking)
    name, value, seeds = (best.name, best.metric.mean, best.metric.n) if best else (None, None, 0)
    return ProgressView(total, done, failed, running, eta, name, value, ranking[0], pruned, seeds)


def leader(records: Sequence[dict], metric: str, goal: str) -> tuple[str | None, float | None]:
    """The configuration leading on the mean of ``metric`` so far, and that mean.

    It is ranked exactly as the closing "Best:" line ranks (seeds grouped into
    configurations, ties broken by mean wall time, then name), so the live
    line never names one tied configuration and the closing line another.
    """
    best = _leading_group(records, metric, goal)
    return (best.name, best.metric.mean) if best is not None else (None, None)


def _leading_group(records: Sequence[dict], metric: str, goal: str):
    """The leading configuration (its seeds grouped), or None before one has a value."""
    varying = sorted({key for r in records for key in r if key.startswith("CONFIG_")})
    return rank(group_records(records, varying, metric), metric, goal).best
