"""``LAUNCHER=ray``: slots are Ray actors, on a local Ray instance or a cluster.

Each slot is one :class:`TrialHost` actor, placed by Ray with the slot's
share of CPUs (and of a GPU, ``1/TRIALS_PER_GPU``, with Ray setting
``CUDA_VISIBLE_DEVICES``). The actor keeps a warm fork server, so a trial
starts as fast as it does locally instead of paying a fresh interpreter's
torch import, and runs the same trainer process in a scratch folder on its
node. While the trial runs, the driver polls the actor for the epochs it
streamed (mirrored into the local ``metrics.jsonl``, so the heartbeat,
``sweep-status`` and early stopping work as they do locally) and can ask it
to stop at an epoch boundary; when the trial ends its files come back into
the usual trial folder. ``RAY_ADDRESS`` (Ray's own variable) selects an
existing cluster; without it a local instance starts.

Ray is an optional extra (``pip install 'ksweep[ray]'``); only this module
imports it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from ksweep.launch.base import LaunchFailure, TrialLaunch
from ksweep.launch.child import RUNNER_PID_ENV, WORKDIR_ENV
from ksweep.launch.local import paused_epoch, trial_command
from ksweep.launch.process import Starter, TrialProcess
from ksweep.launch.slots import Slot
from ksweep.project import PROJECT_ROOT
from ksweep.protocol import PAUSE_WAIT
from ksweep.sweep.atomic import write_bytes_atomic, write_json_atomic
from ksweep.sweep.layout import PAUSED_FILE, RESUME_FILE, STOP_REQUEST, TRIAL_CONFIG, TrialFolder
from ksweep.sweep.trialfiles import EpochFollower

SHIPPED_EXCLUDES = [
    ".venv/",
    ".git/",
    "data/",
    "test_matrix_results/",
    "sweep_configs/",
    "*.pt",
    "__pycache__/",
]
RPC_TIMEOUT_S = 60.0


class TrialHost:
    """One slot on a Ray worker: a warm fork server and the trials it runs, one at a time."""

    def __init__(self) -> None:
        self.starter = Starter()
        self.trials: dict[str, tuple[TrialProcess, TrialFolder, EpochFollower]] = {}

    def warm_up(self) -> float:
        return self.starter.warm_up({})

    def start(self, name: str, config_text: str, env: dict[str, str], launch: TrialLaunch) -> int:
        folder = TrialFolder(Path(tempfile.mkdtemp(prefix=f"ksweep-ray-{name}-")))
        folder.config.write_text(config_text, encoding="utf-8")
        env = {**env, RUNNER_PID_ENV: str(os.getpid()), WORKDIR_ENV: os.getcwd()}
        env.update(launch.environment(folder, RayLauncher.pause_mode))
        command = trial_command(launch, env) if launch.command else None
        process = self.starter.start(command, folder.log, env)
        self.trials[name] = (process, folder, EpochFollower(folder.epochs))
        return process.pid

    def poll(self, name: str) -> dict[str, Any]:
        process, folder, follower = self.trials[name]
        code = process.poll()
        return {"exit": code, "epochs": follower.new_rows(), "paused": paused_epoch(folder)}

    def request_stop(self, name: str, request: dict[str, Any]) -> None:
        write_json_atomic(self.trials[name][1].stop_request, request)

    def resume(self, name: str, epoch: int) -> None:
        write_json_atomic(self.trials[name][1].resumed, {"epoch": epoch})

    def kill(self, name: str) -> int | None:
        return self.trials[name][0].stop()

    def collect(self, name: str) -> dict[str, bytes]:
        """The trial folder's files (all but its inputs), then the scratch folder is gone."""
        _, folder, _ = self.trials.pop(name)
        files = {
            p.name: p.read_bytes()
            for p in folder.path.iterdir()
            if p.is_file() and p.name not in (TRIAL_CONFIG, STOP_REQUEST, PAUSED_FILE, RESUME_FILE)
        }
        shutil.rmtree(folder.path, ignore_errors=True)
        return files

    def node(self) -> str:
        return os.uname().nodename


class RayTrial:
    """A trial running on a :class:`TrialHost`, as the run loop sees it."""

    def __init__(self, ray, host, name: str, folder: TrialFolder, pid: int) -> None:
        self._ray, self._host, self.name, self.folder, self.pid = ray, host, name, folder, pid
        self._exit: int | None = None
        self._rows: list[dict[str, Any]] = []
        self._paused: int | None = None

    def _call(self, method: str, *args: Any) -> Any:
        """One call on the trial's host; a dead host or node ends the sweep, not the trial."""
        try:
            return self._ray.get(getattr(self._host, method).remote(*args), timeout=RPC_TIMEOUT_S)
        except self._ray.exceptions.RayError as problem:
            raise LaunchFailure(f"the Ray actor of {self.name} failed: {problem}") from None

    def _ask(self) -> None:
        if self._exit is not None:
            return
        reply = self._call("poll", self.name)
        self._paused = reply["paused"]
        if reply["epochs"]:
            self._rows.extend(reply["epochs"])
            self._mirror(reply["epochs"])
        if reply["exit"] is not None:
            self._bring_home()
            self._exit = reply["exit"]

    def _mirror(self, rows: list[dict[str, Any]]) -> None:
        import json

        with open(self.folder.epochs, "a", encoding="utf-8") as handle:
            handle.writelines(json.dumps(row) + "\n" for row in rows)

    def _bring_home(self) -> None:
        files = self._call("collect", self.name)
        for name, data in files.items():
            write_bytes_atomic(self.folder / name, data)

    def poll(self) -> int | None:
        self._ask()
        return self._exit

    def new_epochs(self) -> list[dict[str, Any]]:
        self._ask()
        rows, self._rows = self._rows, []
        return rows

    def new_output(self) -> list[str]:
        return []  # the log comes home when the trial ends

    def request_stop(self, request: dict[str, Any]) -> None:
        self._call("request_stop", self.name, request)

    def paused_at(self) -> int | None:
        return self._paused

    def resume(self, epoch: int) -> None:
        self._paused = None
        self._call("resume", self.name, epoch)

    def kill(self) -> int | None:
        if self._exit is None:
            self._exit = self._call("kill", self.name)
            self._bring_home()
        return self._exit


def _ray():
    try:
        import ray
    except ImportError:
        raise RuntimeError(
            "LAUNCHER=ray needs Ray: pip install 'ksweep[ray]' (make setup installs it)"
        ) from None
    return ray


class RayLauncher:
    """Slots as Ray actors; trials forked from each actor's warm server."""

    # Trials wait in their process at a pause: a checkpoint in a worker's scratch folder
    # could not be restarted on another node.
    pause_mode = PAUSE_WAIT

    init_seconds = 0.0  # what connecting to (or starting) Ray cost, counted in the start-up

    def __init__(self, slots: list[Slot], trials_per_gpu: int | None = None) -> None:
        self._ray = self.connect()
        self.slots = slots
        self.gpu_share = 1.0 / (trials_per_gpu or 1)
        self.hosts: dict[str, Any] = {}
        self.sweep = ""

    @classmethod
    def connect(cls):
        ray = _ray()
        if not ray.is_initialized():
            started = time.monotonic()
            if os.environ.get("RAY_ADDRESS"):
                runtime_env = {"working_dir": str(PROJECT_ROOT), "excludes": SHIPPED_EXCLUDES}
            else:
                runtime_env = {"env_vars": {"PYTHONPATH": str(PROJECT_ROOT)}}
            ray.init(
                runtime_env=runtime_env,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
            cls.init_seconds = time.monotonic() - started
        return ray

    @classmethod
    def cluster_gpus_and_cores(cls) -> tuple[list[str], int]:
        """Names for the cluster's GPUs and its CPU count, for the slot planner."""
        resources = cls.connect().cluster_resources()
        gpus = [str(i) for i in range(int(resources.get("GPU", 0)))]
        return gpus, max(1, int(resources.get("CPU", 1)))

    def prepare(self) -> float:
        started = time.monotonic()
        remote = self._ray.remote(TrialHost)
        for slot in self.slots:
            options: dict[str, Any] = {"num_cpus": int(slot.env.get("KSWEEP_THREADS", "1"))}
            if slot.kind == "cuda":
                options["num_gpus"] = self.gpu_share
            self.hosts[slot.name] = remote.options(**options).remote()
        warmed = [host.warm_up.remote() for host in self.hosts.values()]
        self._ray.get(warmed, timeout=600)
        return type(self).init_seconds + time.monotonic() - started

    def start(self, launch: TrialLaunch) -> RayTrial:
        host = self.hosts[launch.slot.name]
        env = {k: v for k, v in launch.slot.env.items() if k != "CUDA_VISIBLE_DEVICES"}
        env.update(launch.env)
        pid = self._ray.get(
            host.start.remote(launch.name, launch.config_text, env, launch), timeout=RPC_TIMEOUT_S
        )
        return RayTrial(self._ray, host, launch.name, launch.folder, pid)

    def broken(self) -> str | None:
        return None  # a dead actor shows as a RayError from the trial's own calls

    def close(self) -> None:
        for host in self.hosts.values():
            self._ray.kill(host)
        self.hosts.clear()
