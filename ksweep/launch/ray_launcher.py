"""``LAUNCHER=ray``: slots are Ray actors, on a local Ray instance or a cluster.

Each slot is one :class:`~ksweep.launch.ray_host.TrialHost` actor, spread
over the cluster's nodes, with the slot's share of CPUs (and of a GPU,
``1/TRIALS_PER_GPU``, with Ray setting ``CUDA_VISIBLE_DEVICES``). The actor
keeps a warm fork server and runs the same trainer process in a scratch
folder on its node. The driver polls it for the epochs the trial streamed
(mirrored into the local ``metrics.jsonl``, so the heartbeat, ``sweep-status``
and early stopping work as they do locally); when the trial ends its files
come back into the usual trial folder, so nodes need no shared disk.

Joining a cluster (``RAY_ADDRESS``, or one already running on this machine)
always ships the project's code (``runtime_env`` ``working_dir``); a local
instance started here reads it in place. Datasets are not shipped: a trial's
``DATA_DIR`` (relative ones taken from the driver's working directory) must
exist on every node that runs it, which is checked on each node before its
first trial. A node or actor lost mid-trial fails that trial only: it counts
against ``RETRIES`` and runs again in a new actor on a live node.

Ray is an optional extra (``pip install 'ksweep[ray]'``); only this module
and :mod:`~ksweep.launch.ray_host` import it.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from typing import Any

from ksweep.launch.base import TrialLaunch
from ksweep.launch.child import WORKDIR_ENV
from ksweep.launch.options import SweepError
from ksweep.launch.ray_host import TrialHost
from ksweep.launch.slots import Slot
from ksweep.plan.datacheck import data_needs
from ksweep.project import PROJECT_ROOT
from ksweep.sweep.atomic import write_bytes_atomic
from ksweep.sweep.layout import TrialFolder

SHIPPED_EXCLUDES = [
    ".venv/",
    ".git/",
    "data/",
    "test_matrix_results/",
    "sweep_configs/",
    "*.pt",
    "__pycache__/",
]
RPC_TIMEOUT_S = 120.0  # a call on a live actor answers in milliseconds; this is a lost node
ACTOR_START_S = 600.0  # placing an actor and warming its server (torch import) on a busy node


class RayTrial:
    """A trial running on a :class:`TrialHost`, as the run loop sees it."""

    def __init__(self, launcher: RayLauncher, slot: str, name: str, folder: TrialFolder) -> None:
        self._launcher, self._slot, self.name, self.folder = launcher, slot, name, folder
        self._ray, self._host = launcher._ray, launcher.hosts[slot]
        self.node = launcher.node_names.get(slot)
        self.pid: int | None = None
        self._exit: int | None = None
        self._rows: list[dict[str, Any]] = []
        self._paused: int | None = None

    def _call(self, method: str, *args: Any) -> Any:
        """One call on the trial's host; a lost actor or node ends this trial (SIGKILL)."""
        if self._exit is not None and method != "collect":
            return None
        try:
            return self._ray.get(getattr(self._host, method).remote(*args), timeout=RPC_TIMEOUT_S)
        except self._ray.exceptions.RayError as problem:
            self._lost(problem)
            return None

    def _lost(self, problem: Exception) -> None:
        first_line = str(problem).strip().splitlines()[0] if str(problem).strip() else ""
        with open(self.folder.log, "a", encoding="utf-8") as log:
            log.write(
                f"\nksweep: lost the Ray actor of {self.name} on node {self.node} "
                f"({type(problem).__name__}: {first_line}); the trial counts as failed\n"
            )
        self._exit = -9
        self._launcher.lost(self._slot)

    def start(self, config_text: str, env: dict[str, str], launch: TrialLaunch) -> None:
        self.pid = self._call("start", self.name, config_text, env, launch)

    def _ask(self) -> None:
        if self._exit is not None:
            return
        reply = self._call("poll", self.name)
        if reply is None:
            return
        self._paused = reply["paused"]
        if reply["epochs"]:
            self._rows.extend(reply["epochs"])
            with open(self.folder.epochs, "a", encoding="utf-8") as handle:
                handle.writelines(json.dumps(row) + "\n" for row in reply["epochs"])
        if reply["exit"] is not None:
            self._bring_home()
            self._exit = reply["exit"]

    def _bring_home(self) -> None:
        files = self._call("collect", self.name) or {}
        for name, data in files.items():
            if name == self.folder.log.name and self.folder.log.exists():
                data = self.folder.log.read_bytes() + data  # keep a note already written here
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
            code = self._call("kill", self.name)
            if self._exit is None:
                self._exit = code
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
    """Slots as Ray actors spread over the cluster; trials forked from each actor's server."""

    init_seconds = 0.0  # what connecting to (or starting) Ray cost, counted in the start-up

    def __init__(self, slots: list[Slot], trials_per_gpu: int | None = None) -> None:
        self._ray = self.connect()
        self.gpu_share = 1.0 / (trials_per_gpu or 1)
        self.slots = fit_to_nodes(slots, self.alive_nodes())
        self.hosts: dict[str, Any] = {}
        self.node_ids: dict[str, str] = {}  # slot -> Ray node id of its actor
        self.node_names: dict[str, str] = {}
        self.checked: set[tuple[str, str, str]] = set()  # (node, dataset, dir) found complete
        self.sweep = ""

    @classmethod
    def connect(cls):
        """Join RAY_ADDRESS's cluster, else one running here, shipping the code; else start
        a local instance that reads the code in place."""
        ray = _ray()
        if ray.is_initialized():
            return ray
        started = time.monotonic()
        settings = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        shipped = {"working_dir": str(PROJECT_ROOT), "excludes": SHIPPED_EXCLUDES}
        try:
            ray.init(
                address=os.environ.get("RAY_ADDRESS") or "auto", runtime_env=shipped, **settings
            )
        except ConnectionError:
            if os.environ.get("RAY_ADDRESS"):
                raise
            local = {"env_vars": {"PYTHONPATH": str(PROJECT_ROOT)}}
            ray.init(runtime_env=local, **settings)
        cls.init_seconds = time.monotonic() - started
        return ray

    @classmethod
    def cluster_gpus_and_cores(cls) -> tuple[list[str], int]:
        """Names for the cluster's GPUs and its CPU count, for the slot planner."""
        resources = cls.connect().cluster_resources()
        gpus = [str(i) for i in range(int(resources.get("GPU", 0)))]
        return gpus, max(1, int(resources.get("CPU", 1)))

    def alive_nodes(self) -> list[dict[str, Any]]:
        return [n for n in self._ray.nodes() if n.get("Alive")]

    def _new_host(self, slot: Slot):
        options: dict[str, Any] = {
            "num_cpus": int(slot.env.get("KSWEEP_THREADS", "1")),
            "scheduling_strategy": "SPREAD",
            "max_restarts": 0,
        }
        if slot.kind == "cuda":
            options["num_gpus"] = self.gpu_share
        return self._ray.remote(TrialHost).options(**options).remote()

    def _place(self, slots: list[Slot]) -> None:
        """Actors for ``slots``, warmed up, and where each landed; RuntimeError if the cluster
        cannot place them in ACTOR_START_S."""
        for slot in slots:
            self.hosts[slot.name] = self._new_host(slot)
        calls = [self.hosts[s.name].where.remote() for s in slots]
        warm = [self.hosts[s.name].warm_up.remote() for s in slots]
        try:
            places = self._ray.get(calls, timeout=ACTOR_START_S)
            self._ray.get(warm, timeout=ACTOR_START_S)
        except self._ray.exceptions.RayError as problem:
            raise RuntimeError(
                f"Ray could not start {len(slots)} trial actor(s) "
                f"({', '.join(s.name for s in slots)}): {type(problem).__name__}: {problem}"
            ) from None
        names = {
            n["NodeID"]: n.get("NodeName") or n["NodeManagerAddress"] for n in self._ray.nodes()
        }
        for slot, place in zip(slots, places, strict=True):
            self.node_ids[slot.name] = place["node_id"]
            self.node_names[slot.name] = names.get(place["node_id"], place["host"])

    def prepare(self) -> float:
        started = time.monotonic()
        self._place(self.slots)
        return type(self).init_seconds + time.monotonic() - started

    def lost(self, slot: str) -> None:
        """The actor of ``slot`` (or its node) is gone: its next trial gets a new one."""
        host = self.hosts.pop(slot, None)
        if host is not None:
            with contextlib.suppress(Exception):  # already dead is the usual case
                self._ray.kill(host, no_restart=True)

    def _check_data(self, slot: str, config_text: str, workdir: str) -> None:
        needs = data_needs(config_text, workdir)
        if needs is None or (self.node_ids[slot], *needs) in self.checked:
            return
        dataset, data_dir = needs
        missing = self._ray.get(
            self.hosts[slot].missing_data.remote(dataset, data_dir), timeout=RPC_TIMEOUT_S
        )
        if missing:
            raise RuntimeError(
                f"Ray node {self.node_names[slot]} (id {self.node_ids[slot][:12]}) has no "
                f"{dataset} files in {data_dir} (missing: {', '.join(missing)}); every node "
                "that runs trials needs the dataset at the same absolute path: copy it there "
                "(or mount a shared disk) and set CONFIG_DATA_DIR to that absolute path"
            )
        self.checked.add((self.node_ids[slot], *needs))

    def start(self, launch: TrialLaunch) -> RayTrial:
        slot = launch.slot
        if slot.name not in self.hosts:
            self._place([slot])
        workdir = os.getcwd()
        try:
            self._check_data(slot.name, launch.config_text, workdir)
        except self._ray.exceptions.RayError as problem:
            self.lost(slot.name)
            raise RuntimeError(f"lost the Ray actor of {slot.name}: {problem}") from None
        env = {k: v for k, v in slot.env.items() if k != "CUDA_VISIBLE_DEVICES"}
        env.update(launch.env)
        env[WORKDIR_ENV] = workdir
        trial = RayTrial(self, slot.name, launch.name, launch.folder)
        trial.start(launch.config_text, env, launch)
        return trial

    def broken(self) -> str | None:
        return None  # a lost actor is its trial's failure; a new one runs the next trial

    def close(self) -> None:
        for slot in list(self.hosts):
            self.lost(slot)


def fit_to_nodes(slots: list[Slot], nodes: list[dict[str, Any]]) -> list[Slot]:
    """The slots with no more threads each than the largest node has CPUs; SweepError when the
    cluster's nodes cannot all together host that many CPU slots at once."""
    cpus = sorted((int(n.get("Resources", {}).get("CPU", 0)) for n in nodes), reverse=True)
    largest = max(cpus, default=0)
    fitted = []
    for slot in slots:
        threads = int(slot.env.get("KSWEEP_THREADS", "1"))
        if slot.kind == "cpu" and largest and threads > largest:
            slot = Slot(slot.name, slot.kind, {**slot.env, "KSWEEP_THREADS": str(largest)})
        fitted.append(slot)
    cpu_slots = [s for s in fitted if s.kind == "cpu"]
    if cpu_slots:
        threads = int(cpu_slots[0].env.get("KSWEEP_THREADS", "1"))
        room = sum(c // threads for c in cpus)
        if room < len(cpu_slots):
            listing = ", ".join(
                f"{n.get('NodeName') or n.get('NodeManagerAddress')}: "
                f"{int(n.get('Resources', {}).get('CPU', 0))} CPUs"
                for n in nodes
            )
            raise SweepError(
                f"the Ray cluster can run {room} trial(s) of {threads} CPU(s) at once "
                f"({listing or 'no live node'}), not JOBS={len(cpu_slots)}; "
                f"fix: JOBS={max(1, room)}, or add nodes"
            )
    return fitted
