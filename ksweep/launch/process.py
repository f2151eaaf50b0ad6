"""Starting and stopping trial processes: the only code in ksweep that creates them.

Two backends with one handle type:

* ``fork`` (the default on Linux): trials are forked from a multiprocessing
  *forkserver* that imported torch and the trainer once, without touching
  CUDA. A trial then starts in milliseconds instead of the seconds a fresh
  Python needs to import torch, yet each trial is still its own process with
  its own CUDA context, memory and crash domain. :meth:`Starter.warm_up`
  starts the server before the first trial, so that cost is the sweep's
  start-up and never counted in a trial's time or its timeout.
* ``exec``: a fresh ``python -m ksweep.launch.child`` per trial; the simplest
  and most isolated, and what other platforms get.

Every trial is its own process group; when a trial ends, however it ended,
whatever it left running in its group is killed too, and so is any process
it started that left the group (see containment.py: a marker every process
of the trial inherits, and the launcher as their subreaper). Neither backend imports
torch into the launcher itself.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ksweep.launch.child import FORK_PRELOAD, exec_preexec, run_forked, warm
from ksweep.launch.containment import TRIAL_ENV, become_subreaper, end_leftovers, new_token
from ksweep.project import PROJECT_ROOT

BACKENDS = ("fork", "exec")
STOP_GRACE_SECONDS = 10.0


def default_backend() -> str:
    return "fork" if sys.platform.startswith("linux") else "exec"


def child_environment(extra: dict[str, str]) -> dict[str, str]:
    """The launcher's environment, with ksweep importable, output unbuffered, and ``extra``."""
    env = dict(os.environ)
    paths = [str(PROJECT_ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def kill_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    """Signal every process left in a trial's group; a group that is gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class TrialProcess:
    """A running trial, whichever backend started it."""

    def __init__(self, pid: int, poll, wait, token: str | None = None):
        self.pid = pid
        self.token = token
        self._poll = poll
        self._wait = wait
        self._reaped = False

    def poll(self) -> int | None:
        """The exit status (negative: killed by that signal), or None while running.

        Once the trial has exited, anything it started in its group is killed."""
        code = self._poll()
        if code is not None and not self._reaped:
            self._reaped = True
            kill_group(self.pid)
            if self.token:
                end_leftovers(self.token)
        return code

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> int | None:
        """SIGTERM the trial's process group, then SIGKILL it if it outlives ``grace``."""
        for sig, wait_for in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
            if self.poll() is not None:
                break
            kill_group(self.pid, sig)
            deadline = time.monotonic() + wait_for
            while self.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
        code = self._wait()
        self.poll()
        return code


class Starter:
    """Starts trial processes with one backend; holds the forkserver for ``fork``."""

    def __init__(self, backend: str | None = None):
        self.backend = backend or default_backend()
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}; choose one of {BACKENDS}")
        self._context = None
        become_subreaper()
        if self.backend == "fork":
            self._context = multiprocessing.get_context("forkserver")
            self._context.set_forkserver_preload(FORK_PRELOAD)

    def warm_up(self, env: dict[str, str]) -> float:
        """Start the fork server (it imports torch) before any trial; return the seconds."""
        if self._context is None:
            return 0.0
        started = time.monotonic()
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)  # the server is started from this process's environment
        try:
            process = self._context.Process(target=warm, daemon=False)
            process.start()
            process.join()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        if process.exitcode != 0:
            raise OSError(f"the fork server could not start a process (exit {process.exitcode})")
        return time.monotonic() - started

    def broken(self) -> str | None:
        """Why the fork server can fork no more trials (it died), or None."""
        if self._context is None:
            return None
        from multiprocessing import forkserver

        pid = getattr(getattr(forkserver, "_forkserver", None), "_forkserver_pid", None)
        if not pid:
            return None
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            finished = pid
        if finished == 0:
            return None
        return f"the fork server (pid {pid}) that starts trials has died"

    def start(self, command: list[str] | None, log_path: Path, env: dict[str, str]) -> TrialProcess:
        """Start a trial writing into ``log_path``: ksweep's trainer (``command`` None: forked
        from the warm server, or ``python -m ksweep.launch.child``), else ``command`` exec'd.
        Every process the trial starts carries its marker (see containment.py)."""
        token = new_token()
        env = {**env, TRIAL_ENV: token}
        if command is not None:
            return self._exec(command, log_path, env, token)
        if self._context is not None:
            process = self._context.Process(
                target=run_forked, args=(str(log_path), [], env), daemon=False
            )
            process.start()

            def wait_forked() -> int | None:
                process.join()
                return process.exitcode

            return TrialProcess(process.pid, lambda: process.exitcode, wait_forked, token)
        return self._exec([sys.executable, "-m", "ksweep.launch.child"], log_path, env, token)

    @staticmethod
    def _exec(argv: list[str], log_path: Path, env: dict[str, str], token: str) -> TrialProcess:
        """``argv`` as a new process in its own session, dying with this one; no shell."""
        with open(log_path, "ab") as log:
            popen = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=child_environment(env),
                preexec_fn=exec_preexec,  # noqa: PLW1509 - only setsid and prctl, async-safe
            )
        return TrialProcess(popen.pid, popen.poll, popen.wait, token)
