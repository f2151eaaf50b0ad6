"""A real single-node Slurm cluster (Debian's slurm-wlm), private to one test module.

``slurmctld`` and ``slurmd`` run in the foreground from a configuration in a
temporary folder, on free ports, with ``auth/none`` (one machine, no munge
key to share); the client commands find it through ``SLURM_CONF``. Stopping
cancels every job, ends the daemons and any job process that carries this
cluster's ``SLURM_CONF``, so nothing is left for other tests.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DAEMONS = ("slurmctld", "slurmd", "sbatch", "squeue", "scancel", "sinfo")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def why_no_slurm() -> str | None:
    missing = [tool for tool in DAEMONS if shutil.which(tool) is None]
    if missing:
        return f"Slurm is not installed ({', '.join(missing)} missing; apt-get install slurm-wlm)"
    if os.geteuid() != 0:
        return "slurmd must run as root to start jobs"
    return None


class SlurmCluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ksl", dir="/tmp"))
        self.conf = self.dir / "slurm.conf"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        self.daemons: list[subprocess.Popen] = []

    def _config(self) -> str:
        d, cpus = self.dir, os.cpu_count() or 1
        return "\n".join(
            [
                "ClusterName=ksweeptest",
                "SlurmctldHost=localhost",
                f"SlurmctldPort={_free_port()}",
                f"SlurmdPort={_free_port()}",
                "AuthType=auth/none",
                "CredType=cred/none",
                "SlurmUser=root",
                "SlurmdUser=root",
                f"StateSaveLocation={d}/state",
                f"SlurmdSpoolDir={d}/spool",
                f"SlurmctldPidFile={d}/ctld.pid",
                f"SlurmdPidFile={d}/d.pid",
                f"SlurmctldLogFile={d}/ctld.log",
                f"SlurmdLogFile={d}/d.log",
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core",
                "ReturnToService=2",
                "MpiDefault=none",
                "JobAcctGatherType=jobacct_gather/none",
                "AccountingStorageType=accounting_storage/none",
                "KillWait=5",
                "MinJobAge=2",
                f"NodeName=localhost NodeHostname={socket.gethostname()} NodeAddr=127.0.0.1 "
                f"CPUs={cpus} RealMemory=1000 State=UNKNOWN",
                "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
                "",
            ]
        )

    def start(self) -> None:
        for sub in ("state", "spool"):
            (self.dir / sub).mkdir()
        self.conf.write_text(self._config())
        for command in (
            ["slurmctld", "-D", "-i", "-f", str(self.conf)],
            ["slurmd", "-D", "-N", "localhost", "-f", str(self.conf)],
        ):
            self.daemons.append(
                subprocess.Popen(
                    command,
                    env=self.env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 180
        while "idle" not in self.run("sinfo", "--noheader", "--format", "%T").stdout:
            if time.monotonic() > deadline or any(d.poll() is not None for d in self.daemons):
                logs = [(self.dir / n).read_text(errors="replace")[-1500:] for n in ("ctld.log",)]
                raise RuntimeError(f"Slurm did not come up: {logs}")
            time.sleep(1)

    def run(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=120)

    def queue(self) -> list[str]:
        """``JOBID NAME STATE`` of every job Slurm still holds."""
        answer = self.run("squeue", "--noheader", "--format", "%i %j %T")
        assert answer.returncode == 0, answer.stderr
        return [line for line in answer.stdout.splitlines() if line.strip()]

    def wait_until_empty(self, limit: float = 600) -> list[str]:
        deadline = time.monotonic() + limit
        while (left := self.queue()) and time.monotonic() < deadline:
            time.sleep(1)
        return left

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.run("scancel", "--full", "--user", "root")
            self.wait_until_empty(60)
        for daemon in self.daemons:
            with contextlib.suppress(OSError):
                os.killpg(daemon.pid, signal.SIGTERM)
        for daemon in self.daemons:
            try:
                daemon.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait()
        marker = f"SLURM_CONF={self.conf}".encode()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                with contextlib.suppress(OSError):
                    if marker in (entry / "environ").read_bytes().split(b"\0"):
                        os.kill(int(entry.name), signal.SIGKILL)
        shutil.rmtree(self.dir, ignore_errors=True)
