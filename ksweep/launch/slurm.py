"""``LAUNCHER=slurm``: each running trial is one Slurm job, submitted with ``sbatch``.

Slurm clusters share a filesystem, so the job writes the trial's files
straight into the trial's folder of the sweep and the runner follows them
there (epochs, pauses, stop requests: the local protocol, unchanged). The
job script is a Python file this launcher writes into the sweep folder; the
trial's paths reach it as ``sbatch`` arguments (argv, never a shell). What
the job does is :mod:`ksweep.launch.slurm_job`.

No job outlives its sweep: a stopped or killed trial is ``scancel``-ed and
waited for, the launcher's ``close`` cancels whatever is left, and if the
runner dies without a word (SIGKILL) the jobs see its heartbeat file go
stale and end themselves.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ksweep.launch.base import TrialLaunch
from ksweep.launch.child import SWEEP_ENV, WORKDIR_ENV
from ksweep.launch.local import FolderHandshake, LogFollower, trial_command
from ksweep.launch.options import SweepError
from ksweep.launch.slots import Slot
from ksweep.launch.slurm_job import EXIT_FILE
from ksweep.project import PROJECT_ROOT
from ksweep.protocol import PAUSE_EXIT
from ksweep.sweep.atomic import write_text_atomic
from ksweep.sweep.tolerant import load_json
from ksweep.sweep.trialfiles import EpochFollower

JOB_SCRIPT = "slurm_job.py"  # written into the sweep folder
HEARTBEAT_FILE = "slurm_heartbeat"  # touched by the runner; jobs end when it goes stale
HEARTBEAT_EVERY_S = 2.0
# How long a job waits for a silent runner before it ends itself (tests shorten it).
STALE_S = float(os.environ.get("KSWEEP_SLURM_STALE_S", "60"))
QUEUE_CHECK_S = 3.0  # how often a trial with no verdict yet asks squeue whether its job lives
COMMAND_TIMEOUT_S = 60.0
CANCEL_WAIT_S = 60.0
TOOLS = ("sbatch", "squeue", "scancel")


@dataclass(frozen=True)
class SlurmSettings:
    """SLURM_* make variables: what every job of the sweep asks Slurm for."""

    partition: str | None = None
    time: str | None = None
    cpus: int = 1
    mem: str | None = None
    extra: tuple[str, ...] = ()

    @classmethod
    def of(cls, options) -> SlurmSettings:
        given = dict(options.slurm)
        try:
            cpus = int(given.get("cpus", 1))
            extra = tuple(shlex.split(given.get("extra", "")))
        except ValueError as problem:
            raise SweepError(
                f"SLURM_CPUS/SLURM_EXTRA: {problem}; fix: SLURM_CPUS=N, quoted SLURM_EXTRA"
            ) from None
        if cpus < 1:
            raise SweepError(f"SLURM_CPUS={cpus} must be 1 or more")
        return cls(given.get("partition"), given.get("time"), cpus, given.get("mem"), extra)

    def sbatch_options(self) -> list[str]:
        options = ["--cpus-per-task", str(self.cpus)]
        for flag, value in (("--partition", self.partition), ("--time", self.time)):
            if value:
                options += [flag, value]
        if self.mem:
            options += ["--mem", self.mem]
        return options + list(self.extra)


def slurm_resources(options) -> tuple[list[str], int]:
    """Slots for the slot planner: JOBS (default 2) trials at once, SLURM_CPUS threads each;
    GPU trials need a GPU request in SLURM_EXTRA (Slurm then sets CUDA_VISIBLE_DEVICES)."""
    settings = SlurmSettings.of(options)
    jobs = options.jobs or 2
    gpus = ["slurm"] if any("gres" in item or "gpu" in item for item in settings.extra) else []
    return gpus, jobs * settings.cpus


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
    )


def job_alive(job_id: str) -> bool | None:
    """Whether Slurm still has the job (queued, running, completing); None: cannot tell."""
    try:
        answer = _run(["squeue", "--noheader", "--jobs", job_id, "--format", "%T"])
    except (OSError, subprocess.TimeoutExpired):
        return None
    if answer.returncode != 0:
        return False if "Invalid job id" in answer.stderr else None
    return bool(answer.stdout.strip())


def cancel(job_ids: list[str]) -> None:
    """scancel the jobs and wait (bounded) until Slurm holds none of them."""
    if not job_ids:
        return
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        _run(["scancel", *job_ids])
    deadline = time.monotonic() + CANCEL_WAIT_S
    while time.monotonic() < deadline:
        if not any(job_alive(job) is not False for job in job_ids):
            return
        time.sleep(0.5)


class SlurmTrial(FolderHandshake):
    """A trial running as a Slurm job, followed through its folder on the shared disk."""

    pid: int | None = None

    def __init__(self, job_id: str, folder, launcher: SlurmLauncher) -> None:
        self.job_id, self.folder, self._launcher = job_id, folder, launcher
        self._epochs = EpochFollower(folder.epochs)
        self._log = LogFollower(folder.log)
        self._exit: int | None = None
        self._checked = time.monotonic()
        self.node: str | None = None

    def _verdict(self) -> int | None:
        record = load_json(self.folder / EXIT_FILE, dict).data
        if record is None:
            return None
        self.node = record.get("node")
        if record.get("reason"):
            with open(self.folder.log, "a", encoding="utf-8") as log:
                log.write(f"\nksweep: {record['reason']}\n")
        code = int(record.get("exit", -9))
        return code if code != 0 or not record.get("reason") else -15

    def poll(self) -> int | None:
        if self._exit is None:
            self._exit = self._verdict()
        if self._exit is None and time.monotonic() - self._checked > QUEUE_CHECK_S:
            self._checked = time.monotonic()
            if job_alive(self.job_id) is False:
                self._exit = self._verdict()  # it may have written it just before it ended
                if self._exit is None:
                    with open(self.folder.log, "a", encoding="utf-8") as log:
                        log.write(f"\nksweep: Slurm job {self.job_id} ended without a result\n")
                    self._exit = -9
        if self._exit is not None:
            self._launcher.forget(self.job_id)
        return self._exit

    def new_output(self) -> list[str]:
        return self._log.lines(final=self._exit is not None)

    def kill(self) -> int | None:
        if self._exit is None:
            cancel([self.job_id])
            self._exit = self._verdict()
            if self._exit is None:
                self._exit = -9
        self._launcher.forget(self.job_id)
        return self._exit


class SlurmLauncher:
    """Submits each trial as a Slurm job; JOBS of them at once."""

    # A paused trial checkpoints into its folder on the shared disk and its job ends; a new
    # job goes on from the checkpoint when the rule lets it.
    pause_mode = PAUSE_EXIT

    def __init__(self, slots: list[Slot], settings: SlurmSettings, sweep: str = "") -> None:
        self.slots, self.settings, self.sweep = slots, settings, sweep
        self.jobs: set[str] = set()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    @property
    def _folder(self) -> Path:
        return Path(self.sweep)

    def prepare(self) -> float:
        started = time.monotonic()
        missing = [tool for tool in TOOLS if shutil.which(tool) is None]
        if missing:
            raise RuntimeError(
                f"LAUNCHER=slurm needs {', '.join(missing)} on PATH (run on a Slurm login node)"
            )
        script = (
            f"#!{sys.executable}\n"
            "# ksweep's Slurm job: one trial (see ksweep/launch/slurm_job.py)\n"
            "import sys\n"
            f"sys.path.insert(0, {str(PROJECT_ROOT)!r})\n"
            "from ksweep.launch.slurm_job import main\n"
            "raise SystemExit(main(sys.argv[1:]))\n"
        )
        path = self._folder / JOB_SCRIPT
        write_text_atomic(path, script)
        path.chmod(0o755)
        self._touch()
        self._beat = threading.Thread(target=self._heartbeat, name="slurm-heartbeat", daemon=True)
        self._beat.start()
        return time.monotonic() - started

    def _touch(self) -> None:
        with contextlib.suppress(OSError):
            (self._folder / HEARTBEAT_FILE).touch()

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_EVERY_S):
            self._touch()

    def start(self, launch: TrialLaunch) -> SlurmTrial:
        env = {k: v for k, v in launch.slot.env.items() if k != "CUDA_VISIBLE_DEVICES"}
        env.update(launch.env)
        env.update({WORKDIR_ENV: os.getcwd(), SWEEP_ENV: self.sweep})
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH")) if p
        )
        folder = launch.folder
        # The trial folder is on the shared disk: a pause checkpoints there and the job ends.
        env.update(launch.environment(folder, self.pause_mode))
        argv = [
            "sbatch",
            "--parsable",
            "--job-name",
            f"ksweep-{launch.name}",
            "--output",
            str(folder.path / "slurm.out"),
            "--chdir",
            os.getcwd(),
            *self.settings.sbatch_options(),
            str(self._folder / JOB_SCRIPT),
            str(self._folder / HEARTBEAT_FILE),
            f"{STALE_S:g}",
            str(folder.path),
            "--",
            *(
                trial_command(launch, env)
                if launch.command
                else [sys.executable, "-m", "ksweep.launch.child"]
            ),
        ]
        answer = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=False,
            env={**os.environ, **env},
        )
        if answer.returncode != 0:
            raise RuntimeError(f"sbatch refused the job: {answer.stderr.strip()}")
        job_id = answer.stdout.strip().split(";")[0]
        self.jobs.add(job_id)
        return SlurmTrial(job_id, folder, self)

    def forget(self, job_id: str) -> None:
        self.jobs.discard(job_id)

    def broken(self) -> str | None:
        return None

    def close(self) -> None:
        cancel(sorted(self.jobs))
        self.jobs.clear()
        self._stop.set()
        with contextlib.suppress(OSError):
            (self._folder / HEARTBEAT_FILE).unlink()
