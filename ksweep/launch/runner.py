"""A sweep folder set up around the run loop: start a new sweep, or resume one.

A new sweep is checked completely before its folder exists (options, slots,
a GPU for trials that demand one), so a refused run leaves nothing behind.
Its folder then gets the configs' snapshot, a disk reserve and, last, the
manifest; a start that fails midway removes the folder. A resumed sweep runs
only what has no final record (and, when asked, what failed), as a new
segment of the same manifest. Either way one runner holds the folder at a
time, and SIGTERM is handled like Ctrl-C.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ksweep.launch.base import Sweeper
from ksweep.launch.events import Observer
from ksweep.launch.loop import LoopSettings, RunLoop
from ksweep.launch.options import LaunchOptions, SweepError
from ksweep.launch.pauses import StopRule
from ksweep.launch.registry import LAUNCHERS
from ksweep.launch.slots import SlotRequest, plan_slots, trial_kind
from ksweep.sweep.atomic import remove_temporaries
from ksweep.sweep.diskguard import DiskFull, make_reserve, release_reserve
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.locks import SweepBusy, run_lock
from ksweep.sweep.manifest import (
    FAILED,
    INTERRUPTED,
    begin_segment,
    end_segment,
    new_manifest,
    read_manifest,
    write_manifest,
)
from ksweep.sweep.snapshot import create_sweep_folder, discard_sweep_folder, write_snapshot
from ksweep.sweep.states import TrialState
from ksweep.sweep.trials import TrialSpec

# (the sweep's folder, the config names already done) -> the sweeper that runs the rest
SweeperFactory = Callable[[SweepFolder, set[str]], Sweeper]


@dataclass
class SweepResult:
    folder: SweepFolder
    records: list[dict[str, Any]]
    total: int | None
    state: str
    reason: str | None = None
    startup_seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Crashes and timeouts: the trials that did not run as asked (exit non-zero)."""
        return sum(1 for r in self.records if _state(r).failure and _state(r) is not DIVERGED)

    @property
    def diverged(self) -> int:
        """Trials that ran as asked and diverged: a result, not a failure (exit 0)."""
        return sum(1 for r in self.records if _state(r) is DIVERGED)

    @property
    def unfinished(self) -> int:
        return max(0, (self.total or len(self.records)) - len(self.records))

    @property
    def interrupted(self) -> bool:
        return self.state == INTERRUPTED

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.failed or self.unfinished or self.state == FAILED else 0


DIVERGED = TrialState.DIVERGED


def _state(record: dict) -> TrialState:
    return TrialState.of(record.get("status")) or TrialState.FAILED


@dataclass(frozen=True)
class SweepSpec:
    """What a new sweep runs: its trials (known so far), its plan, where they came from."""

    trials: list[TrialSpec]
    plan: dict | None
    config_dir: str | None
    kconfig_sha256: str | None = None
    # stand-ins for the trials a search will propose, when it has none yet: the slots they need
    probes: list[TrialSpec] = field(default_factory=list)


def _launcher(options: LaunchOptions, trials: Sequence[TrialSpec]):
    """The launcher and a trial -> slot kind function, or SweepError before anything exists."""
    entry = LAUNCHERS[options.launcher]
    gpus, cores = entry.resources(options)

    def kind_of(trial: TrialSpec) -> str:
        return trial_kind(options.device or trial.values.get("DEVICE", "auto"), gpus)

    kinds = {kind_of(t) for t in trials} or {"cpu"}
    if "cuda" in kinds and not gpus:
        raise SweepError(
            'some configs ask for CONFIG_DEVICE="cuda" but no GPU is visible '
            "(GPUS, CUDA_VISIBLE_DEVICES and nvidia-smi show none); use DEVICE=cpu"
        )
    request = SlotRequest(options.jobs, options.gpus, options.trials_per_gpu)
    slots = plan_slots(kinds, request, cores=cores, gpus=gpus)
    return entry.build(slots, options), kind_of


def start_sweep(
    spec: SweepSpec,
    make_sweeper: SweeperFactory,
    output_root: str | Path,
    options: LaunchOptions,
    observers: Sequence[Observer] = (),
    stop_rule: StopRule | None = None,
    output: Callable[[TrialSpec, str], None] | None = None,
) -> SweepResult:
    """Run a new sweep of ``spec`` in a fresh folder under ``output_root``."""
    options.check()
    if not spec.trials and spec.plan is None:
        raise SweepError("there is nothing to run; generate configs first")
    launcher, kind_of = _launcher(options, spec.trials or spec.probes)
    folder = create_sweep_folder(Path(output_root))
    with _hold(folder):
        try:
            make_reserve(folder)
            hashes = write_snapshot(folder, spec.trials, spec.plan)
            manifest = new_manifest(
                spec.plan, spec.config_dir, options.device, spec.kconfig_sha256, hashes
            )
            manifest = begin_segment(manifest, options.record())
            write_manifest(folder.manifest, manifest)
        except BaseException:
            discard_sweep_folder(folder)
            raise
        sweeper = make_sweeper(folder, set())
        return _run(
            folder, manifest, sweeper, launcher, kind_of, options, observers, [], stop_rule, output
        )


def resume_sweep(
    folder: SweepFolder,
    manifest: dict[str, Any],
    trials: list[TrialSpec],
    kept: list[dict[str, Any]],
    make_sweeper: SweeperFactory,
    options: LaunchOptions,
    observers: Sequence[Observer] = (),
    stop_rule: StopRule | None = None,
    output: Callable[[TrialSpec, str], None] | None = None,
) -> SweepResult:
    """Run what a checked sweep folder did not finish, as a new segment of its manifest."""
    options.check()
    if options.device != manifest.get("device_override"):
        raise SweepError(
            f"this sweep ran with DEVICE={manifest.get('device_override') or '(config)'}; "
            f"resuming with DEVICE={options.device} would mix devices in one sweep"
        )
    launcher, kind_of = _launcher(options, trials)
    with _hold(folder):
        remove_temporaries(folder.path)
        make_reserve(folder)
        manifest = begin_segment(manifest, options.record())
        write_manifest(folder.manifest, manifest)
        sweeper = make_sweeper(folder, {r["config_file"] for r in kept})
        return _run(
            folder,
            manifest,
            sweeper,
            launcher,
            kind_of,
            options,
            observers,
            kept,
            stop_rule,
            output,
        )


def _run(
    folder: SweepFolder,
    manifest: dict[str, Any],
    sweeper: Sweeper,
    launcher,
    kind_of,
    options: LaunchOptions,
    observers: Sequence[Observer],
    kept: list[dict[str, Any]],
    stop_rule: StopRule | None,
    output,
) -> SweepResult:
    launcher.sweep = str(folder.path.resolve())
    output = output if len(launcher.slots) == 1 else None  # several at once: the heartbeat speaks
    settings = LoopSettings(
        timeout=options.timeout,
        retries=options.retries,
        fail_fast=options.fail_fast,
        device=options.device,
        offline=not options.allow_download,
        echo=output is not None,
        command=options.train_command,
        checkpoint_seconds=options.checkpoint_seconds,
        keep_checkpoints=options.keep_checkpoints,
    )
    loop = RunLoop(folder, sweeper, launcher, kind_of, settings, observers, kept, stop_rule, output)
    to_run = getattr(sweeper, "to_run", None)
    started = time.monotonic()
    with _sigterm_as_interrupt():
        result = loop.run(to_run)
    counts = _counts(result.records, sweeper.total())
    on_disk = read_manifest(folder.manifest).data or {}  # a search may have added configs
    hashes = on_disk.get("config_sha256", manifest["config_sha256"])
    manifest = {**manifest, "config_sha256": hashes}
    closed = end_segment(
        manifest,
        result.state,
        counts,
        time.monotonic() - started,
        result.reason,
        {"trial_server_startup_s": round(result.startup_seconds, 3)},
    )
    try:
        write_manifest(folder.manifest, closed)
    except OSError:
        release_reserve(folder)  # the room it frees is what the manifest needs
        write_manifest(folder.manifest, closed)
    if result.state != FAILED:
        release_reserve(folder)
    loop.announce_end(result.state, result.reason)
    return SweepResult(
        folder,
        result.records,
        sweeper.total(),
        result.state,
        result.reason,
        result.startup_seconds,
        result.warnings,
    )


def _counts(records: Sequence[dict[str, Any]], total: int | None) -> dict[str, int]:
    states = [TrialState.of(r.get("status")) for r in records]
    return {
        "trials": total if total is not None else len(records),
        "completed": states.count(TrialState.COMPLETED),
        "pruned": states.count(TrialState.PRUNED),
        "failed": sum(1 for s in states if s is None or s.failure),
        "not_run": max(0, (total or len(records)) - len(records)),
    }


def _hold(folder: SweepFolder) -> ExitStack:
    """The folder's run lock, held by this runner, or SweepError naming the one at work."""
    stack = ExitStack()
    try:
        stack.enter_context(run_lock(folder.path))
    except SweepBusy as busy:
        raise SweepError(str(busy)) from None
    return stack


@contextmanager
def _sigterm_as_interrupt():
    def interrupt(_signum, _frame) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


__all__ = [
    "DiskFull",
    "LaunchOptions",
    "SweepError",
    "SweepResult",
    "SweepSpec",
    "resume_sweep",
    "start_sweep",
]
