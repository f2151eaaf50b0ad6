"""Running a folder of configs as one sweep, into a results folder, and resuming it.

A new sweep gets a fresh ``sweep_YYYYMMDD_HHMMSS`` folder holding a copy of
its configs; a resumed sweep runs only what has no record yet (and, when
asked, what failed). After every trial the summary and the analysis are
rewritten atomically, so an interrupted sweep keeps everything that
finished and says how to resume.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from ksweep.analysis.report import (
    best_line,
    configured_metric,
    write_final_reports,
    write_reports,
)
from ksweep.configfile import parse_config_text, quote, set_config_value
from ksweep.launch.process import Starter
from ksweep.launch.progress import view
from ksweep.launch.scheduler import Scheduler, Work
from ksweep.launch.slots import SlotRequest, plan_slots, trial_kind, visible_gpus
from ksweep.launch.state import (
    FINISHED,
    ResumeError,
    load_for_resume,
    retire,
    snapshot_configs,
)
from ksweep.launch.trial import run_trial
from ksweep.launch.trials import TrialSpec, load_trials
from ksweep.launch.watch import HEARTBEAT_SECONDS, Heartbeat
from ksweep.locks import folder_lock
from ksweep.manifest import finish_manifest, start_manifest
from ksweep.store import write_json_atomic

SUMMARY_FILE = "sweep_summary.json"
ANALYSIS_FILE = "sweep_analysis.txt"
MANIFEST_FILE = "manifest.json"
DEVICES = ("auto", "cpu", "cuda")
LAUNCHERS = ("local", "ray")


class SweepError(Exception):
    """The sweep cannot start (nothing to run, bad option); nothing was written."""


@dataclass(frozen=True)
class LaunchOptions:
    """How to run a sweep; None means: choose for this machine."""

    device: str | None = None
    jobs: int | None = None
    gpus: tuple[str, ...] | None = None
    trials_per_gpu: int | None = None
    timeout: float | None = None
    retries: int = 0
    fail_fast: bool = False
    backend: str | None = None
    launcher: str = "local"
    verbose: bool = True
    heartbeat: float = HEARTBEAT_SECONDS  # seconds between a running trial's epoch lines; 0: off

    def check(self) -> None:
        problems = []
        if self.device is not None and self.device not in DEVICES:
            problems.append(f"DEVICE={self.device} is not one of {', '.join(DEVICES)}")
        for name, value in (("JOBS", self.jobs), ("TRIALS_PER_GPU", self.trials_per_gpu)):
            if value is not None and value < 1:
                problems.append(f"{name}={value} must be 1 or more")
        if self.timeout is not None and self.timeout <= 0:
            problems.append(f"TRIAL_TIMEOUT={self.timeout:g} must be a positive number of seconds")
        if self.heartbeat < 0:
            problems.append(f"HEARTBEAT={self.heartbeat:g} must be 0 (off) or more seconds")
        if self.retries < 0:
            problems.append(f"RETRIES={self.retries} must be 0 or more")
        if self.launcher not in LAUNCHERS:
            problems.append(f"LAUNCHER={self.launcher} is not one of {', '.join(LAUNCHERS)}")
        if problems:
            raise SweepError("; ".join(problems))


@dataclass
class SweepResult:
    sweep_dir: Path
    records: list[dict]
    total: int = 0
    interrupted: bool = False
    failed_fast: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.records if r["status"] != "completed")

    @property
    def unfinished(self) -> int:
        return self.total - len(self.records)

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.failed or self.unfinished else 0


def new_sweep_dir(output_root: Path) -> Path:
    """A results folder no other sweep has: ``mkdir`` fails if it exists, so we count up."""
    output_root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("sweep_%Y%m%d_%H%M%S")
    for attempt in range(1, 1000):
        candidate = output_root / (stamp if attempt == 1 else f"{stamp}_{attempt}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise SweepError(f"cannot create a new sweep folder under {output_root}")


def trial_config_text(trial: TrialSpec, device: str | None) -> str:
    """The exact config the trial runs: the generated one, with the DEVICE override applied."""
    if device is None:
        return trial.config_text
    return set_config_value(trial.config_text, "DEVICE", f"CONFIG_DEVICE={quote(device)}")


def run_sweep(
    config_dir: str | Path,
    output_root: str | Path,
    options: LaunchOptions | None = None,
) -> SweepResult:
    """Run every config in ``config_dir`` as a new sweep under ``output_root``."""
    options = options or LaunchOptions()
    options.check()
    config_dir, output_root = Path(config_dir), Path(output_root)
    if not config_dir.is_dir():
        raise SweepError(
            f"{config_dir} does not exist; generate it first with "
            "`make sweep-generate RANGE_CONFIG=<range file>`"
        )
    with folder_lock(config_dir):
        trials, plan = load_trials(config_dir)
        if not trials:
            raise SweepError(
                f"{config_dir} holds no config_* files; generate them with "
                "`make sweep-generate RANGE_CONFIG=<range file>`"
            )
        sweep_dir = new_sweep_dir(output_root)
        hashes = snapshot_configs(config_dir, sweep_dir)
    manifest = start_manifest(config_dir, plan, options.device)
    manifest["config_sha256"] = hashes
    manifest["launch"] = _launch_record(options)
    return _execute(sweep_dir, trials, plan, [], manifest, options)


def resume_sweep(
    sweep_dir: str | Path,
    options: LaunchOptions | None = None,
    rerun_failed: bool = False,
    config_dir: str | Path | None = None,
) -> SweepResult:
    """Run what a sweep did not finish (and, with ``rerun_failed``, what failed)."""
    sweep_dir = Path(sweep_dir)
    try:
        trials, plan, records, manifest = load_for_resume(
            sweep_dir, Path(config_dir) if config_dir else None
        )
    except ResumeError as problem:
        raise SweepError(str(problem)) from None
    options = options or LaunchOptions()
    if options.device is None and manifest.get("device_override"):
        options = replace(options, device=manifest["device_override"])
    options.check()
    if options.device != manifest.get("device_override"):
        raise SweepError(
            f"this sweep ran with DEVICE={manifest.get('device_override') or '(config)'}; "
            f"resuming with DEVICE={options.device} would mix devices in one sweep"
        )
    keep = [
        r
        for r in records
        if r.get("status") in FINISHED and not (rerun_failed and r["status"] != "completed")
    ]
    for record in records:
        if record not in keep:
            retire(sweep_dir / record["test_name"], "failed")
    return _execute(sweep_dir, trials, plan, keep, manifest, options)


def _launch_record(options: LaunchOptions) -> dict:
    return {
        "jobs": options.jobs,
        "gpus": list(options.gpus) if options.gpus else None,
        "trials_per_gpu": options.trials_per_gpu,
        "timeout": options.timeout,
        "retries": options.retries,
        "fail_fast": options.fail_fast,
        "launcher": options.launcher,
    }


def _work_items(trials: list[TrialSpec], device: str | None, gpus: list[str]) -> list[Work]:
    items = []
    for trial in trials:
        text = trial_config_text(trial, device)
        requested = parse_config_text(text, trial.config_name).get("DEVICE", "auto")
        items.append(Work(trial, trial_kind(requested, gpus), text))
    return items


def _execute(
    sweep_dir: Path,
    trials: list[TrialSpec],
    plan: dict | None,
    records: list[dict],
    manifest: dict,
    options: LaunchOptions,
) -> SweepResult:
    varying_symbols = plan["varying_symbols"] if plan else list(trials[0].varying)
    manifest = {**manifest, "runner_pid": os.getpid(), "state": "running", "finished": None}
    write_json_atomic(sweep_dir / MANIFEST_FILE, manifest)
    done = {r["config_file"] for r in records}
    run_in_slot = _slot_runner(options)
    if options.launcher == "ray":
        gpus, cores = run_in_slot.gpu_ids(), run_in_slot.cpu_capacity()
    else:
        gpus, cores = visible_gpus(options.gpus), None
    work = _work_items([t for t in trials if t.config_name not in done], options.device, gpus)
    kinds = {item.kind for item in work}
    if "cuda" in kinds and not gpus:
        raise SweepError(
            'some configs ask for CONFIG_DEVICE="cuda" but no GPU is visible '
            "(GPUS, CUDA_VISIBLE_DEVICES and nvidia-smi show none); use DEVICE=cpu"
        )
    request = SlotRequest(options.jobs, options.gpus, options.trials_per_gpu)
    slots = plan_slots(kinds or {"cpu"}, request, cores=cores, gpus=gpus)
    say = print if options.verbose else (lambda *_: None)
    lock = threading.Lock()
    records = sorted(records, key=lambda r: r["config_file"])
    state = {"interrupted": False}
    ranking = configured_metric(parse_config_text(trials[0].config_text))

    def on_record(record: dict) -> None:
        with lock:
            records.append(record)
            records.sort(key=lambda r: r["config_file"])
            _write_results(sweep_dir, records, varying_symbols)
            status = record["status"]
            shown = (
                f"test_acc {record['test_acc']:.2f}%"
                if status == "completed"
                else f"{status.upper()}: {record['error']}"
            )
            progress = view(len(trials), records, scheduler.running, len(slots), ranking=ranking)
            say(
                f"[{progress.line()}] {record['config_file']} {shown} in {record['wall_time']:.1f}s"
            )

    echo = options.verbose and len(slots) == 1
    heartbeat = None
    if options.verbose and not echo and options.heartbeat > 0:
        epochs_of = {t.config_name: t.num_epochs for t in trials}
        heartbeat = Heartbeat(say, epochs_of, options.heartbeat)
    scheduler = Scheduler(
        sweep_dir,
        slots,
        run_in_slot,
        on_record,
        say,
        options.retries,
        options.fail_fast,
        echo=echo,
        tick=heartbeat.poll if heartbeat is not None else None,
    )
    say(
        f"ksweep: {len(work)} of {len(trials)} configurations to run -> {sweep_dir} "
        f"({len(slots)} at a time: {', '.join(s.name for s in slots)})"
    )
    started = time.monotonic()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        scheduler.run(work)
    except KeyboardInterrupt:
        state["interrupted"] = True
        say("\nksweep: interrupted; the summary keeps the trials that finished.")
    finally:
        signal.signal(signal.SIGTERM, previous)
        _write_results(sweep_dir, records, varying_symbols)
        counts = {
            "configurations": len(trials),
            "completed": sum(1 for r in records if r["status"] == "completed"),
            "failed": sum(1 for r in records if r["status"] != "completed"),
            "not_run": len(trials) - len(records),
        }
        finished_state = (
            "interrupted"
            if state["interrupted"]
            else "stopped"
            if scheduler.failed_fast
            else "finished"
        )
        write_json_atomic(
            sweep_dir / MANIFEST_FILE,
            finish_manifest(manifest, finished_state, counts, time.monotonic() - started),
        )
        analysis = None
        if not state["interrupted"]:
            analysis = write_final_reports(sweep_dir, records, varying_symbols, say=say)
    result = SweepResult(
        sweep_dir, records, len(trials), state["interrupted"], scheduler.failed_fast
    )
    if analysis is None:
        analysis = write_reports(sweep_dir, records, varying_symbols)
    _report(result, best_line(analysis), say)
    return result


def _raise_interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


def _slot_runner(options: LaunchOptions):
    if options.launcher == "ray":
        from ksweep.launch.ray_launcher import RayRunner

        return RayRunner(options.timeout, options.trials_per_gpu)
    starter = Starter(options.backend)

    def run_in_slot(trial_dir, slot, should_stop, echo, on_start):
        return run_trial(trial_dir, starter, slot.env, options.timeout, echo, should_stop, on_start)

    return run_in_slot


def _write_results(sweep_dir: Path, records: list[dict], varying_symbols: list[str]) -> None:
    write_json_atomic(sweep_dir / SUMMARY_FILE, records)
    write_reports(sweep_dir, records, varying_symbols)


def _report(result: SweepResult, best: str, say) -> None:
    say("")
    say(f"Results: {result.sweep_dir}")
    say(f"  summary:  {result.sweep_dir / SUMMARY_FILE}")
    say(f"  analysis: {result.sweep_dir / ANALYSIS_FILE}")
    say(best)
    if result.failed:
        say(f"{result.failed} of {result.total} trials failed; see the analysis file.")
    if result.failed_fast:
        say("FAIL_FAST: the sweep stopped at the first failure.")
    if result.unfinished:
        say(f"{result.unfinished} of {result.total} configurations did not run. Resume with:")
        say(f"  make sweep-resume SWEEP={result.sweep_dir}")
