"""Starting and stopping trial processes: the only code in ksweep that creates them.

Two backends with one handle type:

* ``fork`` (the default on Linux): trials are forked from a multiprocessing
  *forkserver* that imported torch and the trainer once, without touching
  CUDA. A trial then starts in milliseconds instead of the seconds a fresh
  Python needs to import torch, yet each trial is still its own process with
  its own CUDA context, memory and crash domain.
* ``exec``: a fresh ``python -m ksweep.train`` per trial; the simplest and
  most isolated, and what other platforms get.

Neither imports torch into the launcher itself.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ksweep.launch.child import FORK_PRELOAD, exec_preexec, run_forked

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ("fork", "exec")
STOP_GRACE_SECONDS = 10.0


def default_backend() -> str:
    return "fork" if sys.platform.startswith("linux") else "exec"


def trainer_argv(trial_dir: Path, config_name: str) -> list[str]:
    return ["--config", str(trial_dir / config_name), "--out", str(trial_dir)]


def child_environment(extra: dict[str, str]) -> dict[str, str]:
    """The launcher's environment, with ksweep importable, output unbuffered, and ``extra``."""
    env = dict(os.environ)
    paths = [str(PROJECT_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class TrialProcess:
    """A running trial, whichever backend started it."""

    def __init__(self, pid: int, poll, wait):
        self.pid = pid
        self._poll = poll
        self._wait = wait

    def poll(self) -> int | None:
        """The exit status (negative: killed by that signal), or None while running."""
        return self._poll()

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> int | None:
        """SIGTERM the trial's process group, then SIGKILL it if it outlives ``grace``."""
        for sig, wait_for in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            if self.poll() is not None:
                break
            try:
                os.killpg(self.pid, sig)
            except (ProcessLookupError, PermissionError):
                break
            deadline = time.monotonic() + wait_for
            while self.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
        return self._wait()


class Starter:
    """Starts trial processes with one backend; holds the forkserver for ``fork``."""

    def __init__(self, backend: str | None = None):
        self.backend = backend or default_backend()
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}; choose one of {BACKENDS}")
        self._context = None
        if self.backend == "fork":
            self._context = multiprocessing.get_context("forkserver")
            self._context.set_forkserver_preload(FORK_PRELOAD)

    def start(
        self, trial_dir: Path, config_name: str, log_name: str, env: dict[str, str]
    ) -> TrialProcess:
        argv = trainer_argv(trial_dir, config_name)
        log_path = trial_dir / log_name
        if self._context is not None:
            process = self._context.Process(
                target=run_forked, args=(str(log_path), argv, env), daemon=False
            )
            process.start()

            def wait_forked() -> int | None:
                process.join()
                return process.exitcode

            return TrialProcess(process.pid, lambda: process.exitcode, wait_forked)
        with open(log_path, "ab") as log:
            popen = subprocess.Popen(
                [sys.executable, "-m", "ksweep.train", *argv],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=child_environment(env),
                preexec_fn=exec_preexec,  # noqa: PLW1509 - only setsid and prctl, async-safe
            )
        return TrialProcess(popen.pid, popen.poll, popen.wait)
