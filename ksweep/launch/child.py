"""Code that runs inside a trial's own process, whichever way it was started.

Two ways to start a trial (see :mod:`ksweep.launch.process`): a fresh
``python -m ksweep.launch.child`` (``exec``), or a fork of a server process
that has already imported torch (``fork``). Either way the trial becomes its
own process group (so everything it starts can be ended with it), writes its
output straight into ``output.log``, and dies with the runner that started
it, even when the runner is killed with SIGKILL:

* the kernel's parent-death signal covers a trial whose parent is the runner
  (``exec``), but a forked trial's parent is the fork server, so
* a watchdog thread waits on the runner's pid (a pidfd) and, when the runner
  is gone, kills the trial's whole process group; and
* a forked trial closes the fork server's liveness pipe it inherited, so the
  server, too, sees the runner go and exits instead of lingering.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import select
import signal
import sys
import threading
import time

from ksweep.protocol import DEFAULT_TRIAL_MODULE

PR_SET_PDEATHSIG = 1
# The fork server imports these before it serves; the guard first (see server_guard.py).
FORK_PRELOAD = [
    "ksweep.launch.server_guard",
    f"{DEFAULT_TRIAL_MODULE}.trainer",
    f"{DEFAULT_TRIAL_MODULE}.__main__",
]
RUNNER_PID_ENV = "KSWEEP_RUNNER_PID"  # the process whose death ends the trial
WORKDIR_ENV = "KSWEEP_WORKDIR"  # where relative config paths (DATA_DIR) are taken from
SWEEP_ENV = "KSWEEP_SWEEP"  # the sweep folder: marks every process of one sweep


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent exits (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return


def exec_preexec() -> None:
    """``preexec_fn`` for the exec backend: the child's own group, dying with us."""
    os.setsid()
    die_with_parent()


def _kill_own_group() -> None:
    with contextlib.suppress(OSError):
        os.killpg(os.getpgid(0), signal.SIGKILL)
    os._exit(137)


def _wait_for_exit(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        select.select([fd], [], [])
    else:  # no pidfd: look every half second
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            except PermissionError:
                pass
            time.sleep(0.5)
    _kill_own_group()


def watch_runner() -> None:
    """End this trial's whole group as soon as the runner that started it is gone."""
    raw = os.environ.get(RUNNER_PID_ENV, "")
    if not raw.isdigit():
        return
    pid = int(raw)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        _kill_own_group()
    except PermissionError:
        pass
    threading.Thread(target=_wait_for_exit, args=(pid,), name="runner-watch", daemon=True).start()


def _forget_fork_server() -> None:
    """Close the fork server's liveness pipe this fork inherited (see the module's notes)."""
    try:
        from multiprocessing import forkserver
    except ImportError:  # pragma: no cover - platforms without fork servers
        return
    server = getattr(forkserver, "_forkserver", None)
    fd = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(fd, int):
        with contextlib.suppress(OSError):
            os.close(fd)
        server._forkserver_alive_fd = None


def _become_trial() -> None:
    die_with_parent()
    watch_runner()
    workdir = os.environ.get(WORKDIR_ENV)
    if workdir and os.path.isdir(workdir):
        os.chdir(workdir)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_forked(log_path: str, argv: list[str], env: dict[str, str]) -> None:
    """Entry point of a forked trial: become a trial process, then run the trainer."""
    os.setsid()
    os.environ.update(env)
    _forget_fork_server()
    _become_trial()
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(null)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
    run_default_trial(argv)


def run_default_trial(argv: list[str]) -> None:
    """``python -m ksweep.train ARGV`` in this process: the launcher runs ksweep's trainer by
    its module name, as it would run any trial command, and never imports it."""
    sys.argv = [DEFAULT_TRIAL_MODULE, *argv]
    entry = importlib.import_module(f"{DEFAULT_TRIAL_MODULE}.__main__")
    raise SystemExit(entry.main(argv))


def warm() -> None:
    """A forked no-op: starting it once makes the fork server import torch up front."""


if __name__ == "__main__":  # the exec backend: python -m ksweep.launch.child TRAINER-ARGS
    _become_trial()
    run_default_trial(sys.argv[1:])
