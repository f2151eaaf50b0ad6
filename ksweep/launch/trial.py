"""Running one trial: one training subprocess, its output tee'd to ``output.log``.

The child is a fresh Python process running ``python -m ksweep.train`` on the
trial's own ``config.txt``; parent and child talk through files only. A
crash, a non-zero exit or a missing or non-finite result is not an exception
here but a recorded outcome with its reason and the end of the log, so a
sweep always goes on to the next trial.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

LOG_FILE = "output.log"
CONFIG_FILE = "config.txt"
METRICS_FILE = "training_metrics.json"
LOG_TAIL_LINES = 20

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class TrialOutcome:
    """What happened to one trial, before it becomes a summary record."""

    status: str  # completed | failed
    exit_code: int | None
    wall_time: float
    metrics: dict = field(default_factory=dict)
    error: str | None = None
    log_tail: str | None = None


def child_command(trial_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ksweep.train",
        "--config",
        str(trial_dir / CONFIG_FILE),
        "--out",
        str(trial_dir),
    ]


def child_environment() -> dict[str, str]:
    """The parent's environment, with ksweep importable and output unbuffered."""
    env = dict(os.environ)
    paths = [str(PROJECT_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_trial(trial_dir: Path, echo: Callable[[str], None] | None = None) -> TrialOutcome:
    """Run the trainer on ``trial_dir/config.txt`` and judge the result."""
    started = time.monotonic()
    log_path = trial_dir / LOG_FILE
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            child_command(trial_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=child_environment(),
            start_new_session=True,
        )
        try:
            assert process.stdout is not None
            for raw in iter(process.stdout.readline, b""):
                log.write(raw)
                log.flush()
                if echo is not None:
                    echo(raw.decode("utf-8", errors="replace").rstrip("\n"))
            exit_code = process.wait()
        except BaseException:
            _stop(process)
            raise
    wall_time = time.monotonic() - started
    return judge(trial_dir, exit_code, wall_time)


def _stop(process: subprocess.Popen) -> None:
    """Terminate the child's whole process group, then kill it if it lingers."""
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue


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
        if head.endswith(("Error", "Exception", "Interrupt")) or head == "Exception":
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
