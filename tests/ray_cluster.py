"""A real two-node Ray cluster on one machine, for the tests of LAUNCHER=ray.

The head runs as usual; the second node runs in its own mount namespace in
which the project folder is hidden under an empty tmpfs (its virtual
environment, when it lives inside the project, is bound back so the node has
Python and Ray, but not ksweep: the code must come through Ray). Every
process of the cluster carries ``RAY_TMPDIR`` (a private temp dir), which is
how the cluster is found, killed and cleaned up without touching any other
Ray instance on the machine.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAY = Path(sys.executable).parent / "ray"

# Runs inside the new mount namespace: hide the project, keep its venv, become the node.
NODE_DRIVER = textwrap.dedent(
    """
    import os, subprocess, sys
    root, keep, head_only, ray, *args = sys.argv[1:]
    venv = sys.prefix
    inside = venv.startswith(root + os.sep)
    if inside:
        os.makedirs(keep, exist_ok=True)
        subprocess.run(["mount", "--bind", venv, keep], check=True)
    for hidden in (root, head_only):
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", hidden], check=True)
    if inside:
        os.makedirs(venv, exist_ok=True)
        subprocess.run(["mount", "--bind", keep, venv], check=True)
    os.execv(ray, [ray, "start", *args])
    """
)


def why_no_cluster() -> str | None:
    """Why this machine cannot run the two-node cluster, or None."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return "Ray is not installed (pip install 'ksweep[ray]')"
    if not RAY.exists():
        return f"no ray command next to {sys.executable}"
    if shutil.which("unshare") is None:
        return "no unshare(1) for the second node's mount namespace"
    probe = subprocess.run(
        ["unshare", "-m", "mount", "-t", "tmpfs", "tmpfs", str(ROOT)],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"cannot hide the project in a mount namespace: {probe.stderr.strip()}"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_with(marker: str) -> list[int]:
    """Live processes whose environment holds ``marker`` (KEY=VALUE)."""
    found, needle = [], marker.encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def in_namespace(namespace: str) -> list[int]:
    """Every process in mount namespace ``namespace`` (the second node, all of it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.readlink(entry / "ns" / "mnt") == namespace:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def kill_all(pids_of, rounds: int = 20) -> None:
    for _ in range(rounds):
        pids = pids_of()
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)


class TwoNodeCluster:
    """Head (``head_cpus``) plus a second node (``second_cpus``) without the project."""

    def __init__(self, head_cpus: int = 2, second_cpus: int = 1) -> None:
        self.temp = tempfile.mkdtemp(prefix="kr", dir="/tmp")  # short: Ray's socket paths
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.env = {**os.environ, "RAY_TMPDIR": self.temp, "RAY_USAGE_STATS_ENABLED": "0"}
        # Ray's token authentication, with this cluster's own token, on every node and client
        self.env.update({"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)})
        self.env.pop("RAY_ADDRESS", None)
        self.marker = f"RAY_TMPDIR={self.temp}"
        self.head_cpus, self.second_cpus = head_cpus, second_cpus
        self.second: subprocess.Popen | None = None
        self.head_only = Path(self.temp) / "head-only"  # hidden on the second node too
        self.head_only.mkdir()

    def start(self) -> None:
        head = [str(RAY), "start", "--head", f"--port={self.port}", "--node-ip-address=127.0.0.1"]
        head += [f"--num-cpus={self.head_cpus}", "--num-gpus=0", "--node-name=head"]
        head += ["--include-dashboard=false", f"--temp-dir={self.temp}"]
        subprocess.run(head, env=self.env, check=True, capture_output=True, timeout=300)
        driver = Path(self.temp) / "node_driver.py"
        driver.write_text(NODE_DRIVER)
        second = ["unshare", "-m", sys.executable, str(driver), str(ROOT), f"{self.temp}/venv"]
        second.append(str(self.head_only))
        second += [str(RAY), f"--address={self.address}", "--node-ip-address=127.0.0.1"]
        second += [f"--num-cpus={self.second_cpus}", "--num-gpus=0", "--node-name=second"]
        second += ["--block"]
        self.second = subprocess.Popen(
            second,
            env=self.env,
            cwd="/",
            stdout=subprocess.DEVNULL,
            stderr=open(Path(self.temp) / "second.log", "wb"),  # noqa: SIM115
            start_new_session=True,
        )
        self.wait_for_nodes(2)

    def alive_nodes(self) -> int:
        probe = (
            "import ray, sys; ray.init(address=sys.argv[1], log_to_driver=False);"
            "print(sum(1 for n in ray.nodes() if n['Alive']))"
        )
        done = subprocess.run(
            [sys.executable, "-c", probe, self.address],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return int(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else 0

    def wait_for_nodes(self, count: int, limit: float = 300) -> None:
        deadline = time.monotonic() + limit
        while self.alive_nodes() < count:
            if time.monotonic() > deadline:
                log = (Path(self.temp) / "second.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the Ray cluster did not reach {count} nodes: {log}")
            time.sleep(2)

    def kill_second(self) -> None:
        """Lose the second node: SIGKILL every process of its namespace at once."""
        if self.second is not None and self.second.poll() is None:
            namespace = os.readlink(f"/proc/{self.second.pid}/ns/mnt")
            kill_all(lambda: in_namespace(namespace))
            self.second.wait(timeout=60)

    def stop(self) -> None:
        self.kill_second()
        kill_all(lambda: processes_with(self.marker))
        shutil.rmtree(self.temp, ignore_errors=True)
