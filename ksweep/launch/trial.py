"""Running one trial to its end and judging the result.

The trial writes its output straight into ``output.log``; when asked, the
launcher echoes new lines from it as they appear. A crash, a non-zero exit,
a timeout or a missing or non-finite result is not an exception here but a
recorded outcome with its reason and the end of the log, so a sweep always
goes on to the next trial.
"""

from __future__ import annotations

import json
import math
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ksweep.launch.process import Starter

LOG_FILE = "output.log"
CONFIG_FILE = "config.txt"
METRICS_FILE = "training_metrics.json"
LOG_TAIL_LINES = 20
POLL_SECONDS = 0.1


@dataclass
class TrialOutcome:
    """What happened to one trial, before it becomes a summary record."""

    status: str  # completed | failed | timeout | stopped (ended by the sweep; does not count)
    exit_code: int | None
    wall_time: float
    metrics: dict = field(default_factory=dict)
    error: str | None = None
    log_tail: str | None = None


class LogFollower:
    """Hands complete new lines of a growing log file to ``echo``."""

    def __init__(self, path: Path, echo: Callable[[str], None] | None):
        self.path, self.echo, self.offset, self.pending = path, echo, 0, b""

    def pump(self, final: bool = False) -> None:
        if self.echo is None:
            return
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except OSError:
            return
        self.offset += len(chunk)
        lines = (self.pending + chunk).split(b"\n")
        self.pending = lines.pop()
        if final and self.pending:
            lines.append(self.pending)
            self.pending = b""
        for line in lines:
            self.echo(line.decode("utf-8", errors="replace"))


def run_trial(
    trial_dir: Path,
    starter: Starter,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    echo: Callable[[str], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    on_start: Callable[[int], None] | None = None,
) -> TrialOutcome:
    """Run the trainer on ``trial_dir/config.txt``, enforce ``timeout``, judge the result.

    ``should_stop`` lets the scheduler end a running trial (fail-fast); a
    KeyboardInterrupt stops the trial before it propagates.
    """
    started = time.monotonic()
    follower = LogFollower(trial_dir / LOG_FILE, echo)
    process = starter.start(trial_dir, CONFIG_FILE, LOG_FILE, env or {})
    if on_start is not None:
        on_start(process.pid)
    ended_by = None
    try:
        while (exit_code := process.poll()) is None:
            follower.pump()
            if timeout is not None and time.monotonic() - started > timeout:
                ended_by = "timeout"
            elif should_stop():
                ended_by = "stopped"
            if ended_by:
                exit_code = process.stop()
                break
            time.sleep(POLL_SECONDS)
    except BaseException:
        process.stop(grace=2.0)
        raise
    follower.pump(final=True)
    wall_time = time.monotonic() - started
    if ended_by == "stopped":
        return TrialOutcome("stopped", exit_code, wall_time, error="stopped with the sweep")
    if ended_by == "timeout":
        return TrialOutcome(
            "timeout",
            exit_code,
            wall_time,
            error=f"exceeded the trial timeout of {timeout:g}s and was stopped",
            log_tail=log_tail(trial_dir / LOG_FILE),
        )
    return judge(trial_dir, exit_code if exit_code is not None else -1, wall_time)


def log_tail(log_path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


def failure_reason(exit_code: int, tail: str) -> str:
    """A one-line cause: the child's own ``error:`` line, else the exception, else the signal."""
    if exit_code < 0:
        try:
            name = signal.Signals(-exit_code).name
        except ValueError:
            name = f"signal {-exit_code}"
        return f"killed by {name}"
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("error:"):
            return f"exit status {exit_code}: {line[len('error:') :].strip()}"
    for line in reversed(lines):
        head = line.split(":", 1)[0]
        if head.endswith(("Error", "Exception", "Interrupt")):
            return f"exit status {exit_code}: {line}"
    return f"exit status {exit_code}"


def judge(trial_dir: Path, exit_code: int, wall_time: float) -> TrialOutcome:
    """Completed only if the child exited 0 and left finite final metrics."""
    tail = log_tail(trial_dir / LOG_FILE)
    if exit_code != 0:
        return TrialOutcome(
            "failed", exit_code, wall_time, error=failure_reason(exit_code, tail), log_tail=tail
        )
    try:
        metrics = json.loads((trial_dir / METRICS_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as problem:
        return TrialOutcome(
            "failed",
            exit_code,
            wall_time,
            error=f"exited 0 but left no valid {METRICS_FILE} ({problem})",
            log_tail=tail,
        )
    accuracy = metrics.get("test_acc")
    if not isinstance(accuracy, int | float) or not math.isfinite(accuracy):
        return TrialOutcome(
            "failed",
            exit_code,
            wall_time,
            metrics,
            error=f"test_acc is {accuracy!r}, not a finite number",
            log_tail=tail,
        )
    return TrialOutcome("completed", exit_code, wall_time, metrics)
