"""Code that runs inside a trial's own process, whichever way it was started.

Two ways to start a trial (see :mod:`ksweep.launch.process`): a fresh
``python -m ksweep.train`` (``exec``), or a fork of a server process that has
already imported torch (``fork``), which saves the seconds a fresh Python
spends importing torch. Either way the trial is its own process, in its own
process group (so a timeout can kill everything it started), dies with the
launcher (so an interrupted sweep leaves no orphan writing into its folder),
and writes its output straight into ``output.log``.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
FORK_PRELOAD = ["ksweep.train.trainer", "ksweep.train.__main__"]


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


def run_forked(log_path: str, argv: list[str], env: dict[str, str]) -> None:
    """Entry point of a forked trial: become a trial process, then run the trainer."""
    os.setsid()
    die_with_parent()
    os.environ.update(env)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", closefd=False)  # noqa: SIM115
    from ksweep.train.__main__ import main

    raise SystemExit(main(argv))
