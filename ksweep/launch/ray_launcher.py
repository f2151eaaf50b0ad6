"""``LAUNCHER=ray``: each trial a Ray task, on a local Ray instance or a cluster.

The task runs the same trainer subprocess a local trial runs, in a scratch
folder on whichever node Ray picked, and returns the folder's files; the
launcher writes them into the usual trial folder, so results and logs look
the same however a sweep ran. GPU trials ask Ray for ``1/TRIALS_PER_GPU``
of a GPU and Ray sets ``CUDA_VISIBLE_DEVICES``. ``RAY_ADDRESS`` (Ray's own
variable) selects an existing cluster; without it a local instance starts.

Ray is an optional extra (``pip install 'ksweep[ray]'``); only this module
imports it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from ksweep.launch.slots import Slot
from ksweep.launch.trial import CONFIG_FILE, TrialOutcome, judge, log_tail

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_EXCLUDES = [
    ".venv/",
    ".git/",
    "data/",
    "test_matrix_results/",
    "sweep_configs/",
    "*.pt",
    "__pycache__/",
]


def _remote_trial(config_text: str, env: dict[str, str], timeout: float | None) -> dict:
    """Runs on a Ray worker: one trainer subprocess in a scratch folder; returns its files."""
    import tempfile

    from ksweep.launch.process import Starter
    from ksweep.launch.trial import run_trial

    with tempfile.TemporaryDirectory(prefix="ksweep-ray-") as scratch:
        folder = Path(scratch)
        (folder / CONFIG_FILE).write_text(config_text, encoding="utf-8")
        outcome = run_trial(folder, Starter("exec"), env, timeout)
        files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    return {
        "status": outcome.status,
        "exit_code": outcome.exit_code,
        "wall_time": outcome.wall_time,
        "error": outcome.error,
        "files": files,
        "node": os.uname().nodename,
    }


class RayRunner:
    """The scheduler's ``run_in_slot`` for Ray: submit, wait, bring the files back."""

    def __init__(self, timeout: float | None, trials_per_gpu: int | None = None):
        try:
            import ray
        except ImportError:
            raise RuntimeError(
                "LAUNCHER=ray needs Ray: pip install 'ksweep[ray]' (make setup installs it)"
            ) from None
        self._ray = ray
        self.timeout = timeout
        self.gpu_share = 1.0 / (trials_per_gpu or 1)
        if not ray.is_initialized():
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
        self._task = ray.remote(_remote_trial)

    def gpu_ids(self) -> list[str]:
        """Names for the cluster's GPUs, so the slot planner can spread trials over them."""
        return [str(i) for i in range(int(self._ray.cluster_resources().get("GPU", 0)))]

    def cpu_capacity(self) -> int:
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def __call__(
        self,
        trial_dir: Path,
        slot: Slot,
        should_stop: Callable[[], bool],
        echo: Callable[[str], None] | None,
        on_start: Callable[[int], None],
    ) -> TrialOutcome:
        del echo, on_start  # output arrives when the task ends; there is no local pid
        env = {k: v for k, v in slot.env.items() if k != "CUDA_VISIBLE_DEVICES"}
        threads = int(env.get("KSWEEP_THREADS", "1"))
        options = {"num_cpus": threads}
        if slot.kind == "cuda":
            options["num_gpus"] = self.gpu_share
        config_text = (trial_dir / CONFIG_FILE).read_text(encoding="utf-8")
        started = time.monotonic()
        ref = self._task.options(**options).remote(config_text, env, self.timeout)
        while True:
            ready, _ = self._ray.wait([ref], timeout=0.2)
            if ready:
                break
            if should_stop():
                self._ray.cancel(ref, force=True)
                return TrialOutcome(
                    "stopped", None, time.monotonic() - started, error="stopped with the sweep"
                )
        try:
            result = self._ray.get(ref)
        except self._ray.exceptions.RayError as problem:
            return TrialOutcome(
                "failed",
                None,
                time.monotonic() - started,
                error=f"the Ray task failed: {problem}".splitlines()[0],
            )
        for name, data in result["files"].items():
            if name != CONFIG_FILE:
                (trial_dir / name).write_bytes(data)
        if result["status"] == "timeout":
            return TrialOutcome(
                "timeout",
                result["exit_code"],
                result["wall_time"],
                error=result["error"],
                log_tail=log_tail(trial_dir / "output.log"),
            )
        outcome = judge(trial_dir, result["exit_code"], result["wall_time"])
        outcome.metrics.setdefault("node", result["node"])
        return outcome
