"""Every process a trial starts ends with it, even one that left the trial's session.

A trial runs in its own process group, and killing the group when the trial
ends catches what it left behind, except a process that called ``setsid``
(or ``setpgid``): it has left the group. Two things catch that one:

* **A marker in the environment.** Each trial gets a token of its own in
  ``KSWEEP_TRIAL``, which every process it starts inherits whatever session
  or group it moves to. When the trial ends, every live process carrying
  its token is killed (``/proc/PID/environ`` is read only for this user's
  processes, which are the only ones a trial can start).
* **A child subreaper.** The launcher marks itself with
  ``prctl(PR_SET_CHILD_SUBREAPER)``, so a process orphaned inside a trial is
  re-parented to the launcher rather than to init: it stays in the sweep's
  tree and the launcher reaps it once killed, leaving no zombie.

Only a process that both leaves the session and empties its environment
escapes the marker; a cgroup per trial would catch it too, but needs a
delegated cgroup tree that ordinary users and containers rarely have.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import uuid
from pathlib import Path

TRIAL_ENV = "KSWEEP_TRIAL"
PR_SET_CHILD_SUBREAPER = 36


def new_token() -> str:
    """A marker no other trial, sweep or machine shares."""
    return uuid.uuid4().hex


def become_subreaper() -> bool:
    """Adopt the orphans of this process's descendants (Linux); True if it took effect."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def marked_processes(token: str) -> list[int]:
    """Live processes (not this one) whose environment holds the trial's token."""
    return processes_with(TRIAL_ENV, token)


def processes_with(variable: str, value: str) -> list[int]:
    """Processes (not this one) started with ``variable=value`` in their environment."""
    needle = f"{variable}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def end_leftovers(token: str) -> list[int]:
    """SIGKILL every process still carrying ``token``; reap those re-parented to us."""
    killed = []
    for pid in marked_processes(token):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    for pid in killed:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, 0)  # only our children (adopted as subreaper); others raise at once
    return killed
