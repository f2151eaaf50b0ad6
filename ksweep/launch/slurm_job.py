"""The job side of ``LAUNCHER=slurm``: what each sbatch job runs, on whichever node Slurm picks.

The job runs one trial's trainer (``python -m ksweep.launch.child``, its own
process group, dying with this process) with its files in the trial's folder
on the shared filesystem, where the runner follows them as it follows a
local trial. It ends, taking the trial with it, when:

* the trainer exits: the exit status goes into ``slurm_exit.json``;
* Slurm signals it (``scancel``, the time limit): the trial is killed and the
  cause recorded; or
* the runner's heartbeat file stops being updated for ``stale`` seconds: the
  runner died (even by SIGKILL, where it could not ``scancel``), so nothing is
  left running or queued for a sweep nobody follows.

Usage (from the job script): ``slurm_job HEARTBEAT STALE_S TRIAL_DIR -- TRAINER-ARGS``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ksweep.sweep.layout import TRIAL_LOG

EXIT_FILE = "slurm_exit.json"  # the job's verdict, in the trial folder; written once, atomically
POLL_S = 1.0


def write_exit(folder: Path, code: int, reason: str | None) -> None:
    temporary = folder / f".{EXIT_FILE}.tmp"
    record = {"exit": code, "reason": reason, "node": socket.gethostname()}
    temporary.write_text(json.dumps(record), encoding="utf-8")
    os.replace(temporary, folder / EXIT_FILE)


def _end_group(process: subprocess.Popen) -> int:
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)
    return process.wait()


def heartbeat_age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return float("inf")


def main(argv: list[str]) -> int:
    heartbeat, stale, folder = Path(argv[0]), float(argv[1]), Path(argv[2])
    command = argv[argv.index("--") + 1 :]  # the trial command, as argv (no shell)
    with open(folder / TRIAL_LOG, "ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    cause: list[str] = []

    def cancelled(signum, _frame) -> None:
        cause.append(f"the Slurm job got {signal.Signals(signum).name} (scancel or its time limit)")

    signal.signal(signal.SIGTERM, cancelled)
    signal.signal(signal.SIGINT, cancelled)
    while True:
        if cause:  # first: Slurm signals the trainer too, which may already be gone
            write_exit(folder, _end_group(process), cause[0])
            return 143
        code = process.poll()
        if code is not None:
            write_exit(folder, code, None)
            return 0
        if heartbeat_age(heartbeat) > stale:
            reason = f"the runner's heartbeat {heartbeat} stopped for over {stale:g}s"
            write_exit(folder, _end_group(process), reason)
            return 137
        time.sleep(POLL_S)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
