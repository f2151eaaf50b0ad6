"""The Ray actor of ``LAUNCHER=ray``: one slot on one node, its warm fork server and its trial.

It runs on whichever node Ray placed it, inside Ray's copy of the project, so
everything it needs comes in its arguments: the trial's config text, its
environment, the driver's working directory (where a relative ``DATA_DIR``
points, used when this node has it too) and, before a node's first trial, the
dataset files that trial needs, checked on this node's own disk.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Any

from ksweep.launch.base import TrialLaunch
from ksweep.launch.child import RUNNER_PID_ENV, WORKDIR_ENV
from ksweep.launch.local import paused_epoch, trial_command
from ksweep.launch.process import Starter, TrialProcess
from ksweep.protocol import PAUSE_WAIT
from ksweep.sweep.atomic import write_json_atomic
from ksweep.sweep.layout import PAUSED_FILE, RESUME_FILE, STOP_REQUEST, TRIAL_CONFIG, TrialFolder
from ksweep.sweep.trialfiles import EpochFollower


class TrialHost:
    """One slot on a Ray worker: a warm fork server and the trials it runs, one at a time."""

    def __init__(self) -> None:
        self.starter = Starter()
        self.trials: dict[str, tuple[TrialProcess, TrialFolder, EpochFollower]] = {}

    def warm_up(self) -> float:
        return self.starter.warm_up({})

    def where(self) -> dict[str, str]:
        """This actor's node: Ray's id for it and the machine's name."""
        import ray

        return {"node_id": ray.get_runtime_context().get_node_id(), "host": socket.gethostname()}

    def missing_data(self, dataset: str, data_dir: str) -> list[str]:
        """The files of ``dataset`` this node lacks under ``data_dir`` (an absolute path)."""
        from ksweep.plan.datacheck import missing_files

        return missing_files(dataset, data_dir)

    def start(self, name: str, config_text: str, env: dict[str, str], launch: TrialLaunch) -> int:
        folder = TrialFolder(Path(tempfile.mkdtemp(prefix=f"ksweep-ray-{name}-")))
        folder.config.write_text(config_text, encoding="utf-8")
        # Trials wait in their process at a pause: a checkpoint in this node's scratch
        # folder could not be restarted on another node.
        env = {**env, **launch.environment(folder, PAUSE_WAIT)}
        command = trial_command(launch, env) if launch.command else None
        workdir = env.get(WORKDIR_ENV, "")
        env = {
            **env,
            RUNNER_PID_ENV: str(os.getpid()),
            WORKDIR_ENV: workdir if os.path.isdir(workdir) else os.getcwd(),
        }
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
