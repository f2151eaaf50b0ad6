"""The run loop: ask the sweeper, start trials in free slots, follow them, tell everyone.

One thread, one loop, a few times a second: fill every free slot with the
sweeper's next trial; for each running trial read its new epochs (telling
the sweeper, the stop rule and the observers), enforce its timeout, and when
it has ended judge it, record it in its folder and tell the sweeper. Retries
re-run a failed trial in a fresh folder, keeping the old one under
``attempts/``. A stop (Ctrl-C, SIGTERM, fail-fast, a full disk, a launcher
that cannot start trials) ends the running trials, which then count as not
run: resume runs them again.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ksweep.launch.base import Launcher, LaunchFailure, Sweeper, TrialLaunch
from ksweep.launch.checkpoints import clear_handshake, discard, resumable
from ksweep.launch.events import (
    EpochReported,
    Event,
    LoopView,
    Observer,
    SweepEnded,
    SweepStarted,
    Tick,
    TrialFinished,
    TrialRetrying,
    TrialStarted,
)
from ksweep.launch.interrupts import lift_shield, shield_from_second_interrupt
from ksweep.launch.judge import judge, last_epoch_record, timed_out
from ksweep.launch.local import checkpointed_pause
from ksweep.launch.pause_handling import PauseHandling
from ksweep.launch.pauses import Active, NoProcess, StopRule
from ksweep.launch.slots import Slot
from ksweep.protocol import DEFAULT_CHECKPOINT_SECONDS, EXIT_PAUSED
from ksweep.sweep.atomic import write_text_atomic
from ksweep.sweep.diskguard import is_disk_full, release_reserve
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.manifest import FAILED, FINISHED, INTERRUPTED, STOPPED, now_iso
from ksweep.sweep.records import TrialOutcome, summary_record, write_status
from ksweep.sweep.snapshot import retire
from ksweep.sweep.states import TrialState
from ksweep.sweep.trials import TrialSpec

POLL_SECONDS = 0.1


# What a trial prints when the disk is full: then its failure is the machine's, not the
# configuration's, and the sweep stops instead of recording it.
_DISK_FULL_SIGNS = ("No space left on device", "[Errno 28]", "Disk quota exceeded")


@dataclass(frozen=True)
class LoopSettings:
    timeout: float | None = None  # seconds a trial may run, its launcher's start-up excluded
    retries: int = 0
    fail_fast: bool = False
    device: str | None = None  # DEVICE= for every trial
    offline: bool = True  # trials may not download datasets
    echo: bool = False  # hand each trial's printed lines to the observers
    poll_seconds: float = POLL_SECONDS
    command: tuple[str, ...] = ()  # TRAIN_COMMAND as argv; empty: ksweep's trainer
    checkpoint_seconds: float = DEFAULT_CHECKPOINT_SECONDS
    keep_checkpoints: bool = False  # KEEP_CHECKPOINTS=1: a finished trial keeps checkpoint/


@dataclass
class LoopResult:
    records: list[dict[str, Any]]
    state: str  # finished, interrupted, stopped or failed
    reason: str | None
    startup_seconds: float
    warnings: list[str] = field(default_factory=list)


class _Stop(Exception):
    """Ends the loop early with a manifest state and a reason."""

    def __init__(self, state: str, reason: str | None) -> None:
        super().__init__(reason)
        self.state, self.reason = state, reason


class RunLoop(PauseHandling):
    """Runs one segment of a sweep: until the sweeper is exhausted or the sweep is stopped."""

    def __init__(
        self,
        folder: SweepFolder,
        sweeper: Sweeper,
        launcher: Launcher,
        kind_of: Callable[[TrialSpec], str],
        settings: LoopSettings,
        observers: Sequence[Observer] = (),
        kept: Sequence[dict[str, Any]] = (),
        stop_rule: StopRule | None = None,
        output: Callable[[TrialSpec, str], None] | None = None,
    ) -> None:
        self.folder = folder
        self.sweeper = sweeper
        self.launcher = launcher
        self.kind_of = kind_of
        self.settings = settings
        self.observers = list(observers)
        self.stop_rule = stop_rule
        self.output = output
        self.records: dict[str, dict[str, Any]] = {r["config_file"]: r for r in kept}
        self.active: dict[str, Active] = {}  # trials started and not ended, paused ones too
        self.free: list[Slot] = list(launcher.slots)
        self.waiting: deque[tuple[TrialSpec, int]] = deque()  # retries, and trials without a slot
        self.epochs_of: dict[str, int | None] = {}
        self.warnings: list[str] = []
        # Bumped by whatever can change a rule's verdict (an epoch read, a pause, a slot
        # freed): paused trials are judged again only then, not every tick (each verdict
        # reads every trial's metrics.jsonl).
        self._changes, self._judged = 0, -1

    # --- what observers see ----------------------------------------------------------

    def view(self) -> LoopView:
        return LoopView(
            folder=self.folder,
            total=self.sweeper.total(),
            records=sorted(self.records.values(), key=lambda r: r["config_file"]),
            running={name: a.folder for name, a in self.active.items()},
            slots=len(self.launcher.slots),
            epochs_of=dict(self.epochs_of),
            trials=tuple(self.sweeper.trials()),
        )

    def emit(self, make: Callable[[LoopView], Event]) -> None:
        event = make(self.view())
        for observer in self.observers:
            try:
                observer(event)
            except OSError as problem:
                if is_disk_full(problem):
                    raise
                self._warn(f"{type(observer).__name__}: {problem}")
            except Exception as problem:  # noqa: BLE001 - an observer must not end a sweep
                self._warn(f"{type(observer).__name__}: {type(problem).__name__}: {problem}")

    def _warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    # --- the loop --------------------------------------------------------------------

    def run(self, to_run: int | None) -> LoopResult:
        try:
            startup = self.launcher.prepare()
        except KeyboardInterrupt:  # Ctrl-C while Ray or a server starts: the segment ends
            self.launcher.close()
            return LoopResult(list(self.records.values()), INTERRUPTED, "interrupted", 0.0)
        except Exception as problem:  # noqa: BLE001 - any failure to start is the sweep's end
            self.launcher.close()
            return LoopResult(list(self.records.values()), FAILED, _launch_text(problem), 0.0)
        names = tuple(slot.name for slot in self.launcher.slots)
        self.emit(lambda v: SweepStarted(v, to_run, names, startup))
        state, reason = FINISHED, None
        try:
            self._loop()
        except _Stop as stop:
            state, reason = stop.state, stop.reason
        except KeyboardInterrupt:
            state, reason = INTERRUPTED, "interrupted (Ctrl-C or SIGTERM)"
            self._shielded = shield_from_second_interrupt()  # the records must still be closed
        except LaunchFailure as failure:
            state, reason = FAILED, _launch_text(failure)
        except OSError as problem:
            if not is_disk_full(problem):
                raise
            release_reserve(self.folder)
            state, reason = FAILED, f"the disk is full ({problem.strerror}: {problem.filename})"
        finally:
            self._end_all()
            self.launcher.close()
        records = sorted(self.records.values(), key=lambda r: r["config_file"])
        return LoopResult(records, state, reason, startup, self.warnings)

    def announce_end(self, state: str, reason: str | None) -> None:
        """Tell the observers the sweep has ended; the runner calls this once the manifest is
        closed, so what they write at the end (the report) sees the whole run's history."""
        with contextlib.suppress(OSError):
            self.emit(lambda v: SweepEnded(v, state, reason))
        lift_shield(getattr(self, "_shielded", None))

    def _loop(self) -> None:
        while True:
            self._judge_pauses()
            self._fill_slots()
            if not self.active:
                # Every slot is free and nothing could be started: the sweeper is exhausted
                # (or a search has nothing to propose without new results): done.
                return
            self._follow()
            self.emit(Tick)
            time.sleep(self.settings.poll_seconds)

    def _fill_slots(self) -> None:
        while self.free and self._may_start_more():
            item = self._next()
            if item is None:
                return
            trial, attempt = item
            slot = next((s for s in self.free if s.kind == self.kind_of(trial)), None)
            if slot is None:
                self.waiting.append((trial, attempt))
                return
            self.free.remove(slot)
            self._start(trial, attempt, slot)

    def _next(self) -> tuple[TrialSpec, int] | None:
        kinds = {slot.kind for slot in self.free}
        for index, (trial, attempt) in enumerate(self.waiting):
            if self.kind_of(trial) in kinds:
                del self.waiting[index]
                return trial, attempt
        if self.waiting and not kinds & {self.kind_of(t) for t, _ in self.waiting}:
            return None
        trial = self.sweeper.ask()
        return (trial, 1) if trial is not None else None

    def _start(self, trial: TrialSpec, attempt: int, slot: Slot) -> None:
        folder = self.folder.trial(trial.test_name)
        saved = resumable(folder, trial.config_text)  # a checkpoint a killed run left
        paused = checkpointed_pause(folder) if saved is not None else None
        if saved is None:
            retire(folder, "interrupted")  # a folder left by a run that did not finish
            folder.path.mkdir()
            write_text_atomic(folder.config, trial.config_text)
        else:
            clear_handshake(folder)
        started_at = now_iso()
        write_status(
            folder, TrialState.STARTING, attempt=attempt, slot=slot.name, started=started_at
        )
        pauses = self.stop_rule.pause_epochs(trial) if self.stop_rule is not None else ()
        launch = TrialLaunch(
            trial.config_name,
            trial.config_text,
            folder,
            slot,
            self.settings.device,
            self.settings.offline,
            pause_after=tuple(pauses),
            command=self.settings.command,
            checkpoint_seconds=self.settings.checkpoint_seconds,
        )
        if saved is not None and saved in pauses:
            # It stopped at a pause whose verdict never came: the rule judges it first.
            record = paused[1] if paused and paused[0] == saved else last_epoch_record(folder)
            active = Active(trial, folder, slot, attempt, NoProcess(), time.monotonic(), started_at)
            active.launch, active.exited_record = launch, record or {}
            self.active[trial.config_name] = active
            self.epochs_of[trial.config_name] = trial.num_epochs
            active.pause(saved)
            self._release(active)
            return
        try:
            handle = self.launcher.start(launch)
        except (OSError, EOFError, RuntimeError) as problem:
            if isinstance(problem, OSError) and is_disk_full(problem):
                raise
            self.free.append(slot)
            retire(folder, "interrupted")
            raise _Stop(FAILED, _launch_text(problem)) from None
        active = Active(trial, folder, slot, attempt, handle, time.monotonic(), started_at)
        active.launch = launch
        self.active[trial.config_name] = active
        self.epochs_of[trial.config_name] = trial.num_epochs
        write_status(
            folder,
            TrialState.RUNNING,
            attempt=attempt,
            slot=slot.name,
            started=started_at,
            trial_pid=handle.pid,
        )
        self.emit(lambda v: TrialStarted(v, trial, folder, slot.name, attempt))

    # --- following running trials ------------------------------------------------------

    def _follow(self) -> None:
        for name in list(self.active):
            active = self.active[name]
            if active.exited_record is not None:
                continue  # checkpointed at a pause: no process until the rule decides
            self._read_epochs(active)
            if self.output is not None:
                for line in active.handle.new_output():
                    self.output(active.trial, line)
            code = active.handle.poll()
            timeout = self.settings.timeout
            elapsed = active.elapsed()
            if code is None and active.paused_at is None:
                self._note_pause(active)
            if code is None and timeout is not None and elapsed > timeout:
                code = active.handle.kill()
                self._finish(active, timed_out(active.folder, code, elapsed, timeout))
            elif code is not None:
                self._read_epochs(active)
                if code == EXIT_PAUSED and self._exited_at_pause(active):
                    continue
                outcome = judge(active.folder, code, elapsed)
                self._check_not_the_machine(outcome)
                self._finish(active, outcome)

    def _check_not_the_machine(self, outcome: TrialOutcome) -> None:
        """A trial killed with its dead launcher, or failing on a full disk, says nothing about
        its configuration: the sweep stops and the trial stays unrun (still in ``active``)."""
        if not outcome.state.failure:
            return
        broken = self.launcher.broken()
        if broken is not None:
            raise LaunchFailure(broken)
        if any(sign in (outcome.log_tail or "") for sign in _DISK_FULL_SIGNS):
            release_reserve(self.folder)
            raise _Stop(FAILED, "the disk is full: a trial could not write its files")

    def _read_epochs(self, active: Active) -> None:
        for row in active.handle.new_epochs():
            self._changes += 1
            self.sweeper.tell_epoch(active.trial, row)
            self.emit(lambda v, row=row: EpochReported(v, active.trial, active.folder, row))

    def _release(self, active: Active) -> None:
        self._changes += 1  # a trial ended or paused: a verdict or a free slot may follow
        if active.holds_slot:
            active.holds_slot = False
            self.free.append(active.slot)

    def _finish(self, active: Active, outcome: TrialOutcome) -> None:
        del self.active[active.trial.config_name]
        self._release(active)
        trial, folder = active.trial, active.folder
        discard(folder, self.settings.keep_checkpoints)
        status = {
            "attempt": active.attempt,
            "slot": active.slot.name,
            "started": active.started_at,
            "finished": now_iso(),
            "trial_pid": active.handle.pid,
        }
        if outcome.state.failure and active.attempt <= self.settings.retries:
            write_status(folder, outcome.state, **status)
            attempts = self.settings.retries + 1
            self.emit(
                lambda v: TrialRetrying(
                    v, trial, outcome.state.value, outcome.error, active.attempt, attempts
                )
            )
            retire(folder, "attempt")
            self.waiting.appendleft((trial, active.attempt + 1))
            return
        node = getattr(active.handle, "node", None)  # where a Ray or Slurm trial ran
        record = summary_record(trial, outcome, active.attempt, active.slot.name, node)
        write_status(folder, outcome.state, **status, record=record)
        self.records[trial.config_name] = record
        self.sweeper.tell(trial, record)
        self.emit(lambda v: TrialFinished(v, trial, record))
        if self.settings.fail_fast and outcome.state.failure:
            raise _Stop(STOPPED, f"FAIL_FAST: {trial.config_name} {outcome.state.value}")

    def _end_all(self) -> None:
        """Kill every running trial; each counts as not run and its folder is kept aside."""
        for active in list(self.active.values()):
            with contextlib.suppress(Exception):
                active.handle.kill()
            with contextlib.suppress(OSError):
                write_status(
                    active.folder,
                    TrialState.INTERRUPTED,
                    attempt=active.attempt,
                    slot=active.slot.name,
                    started=active.started_at,
                    trial_pid=active.handle.pid,
                )
                if resumable(active.folder, active.trial.config_text) is None:
                    retire(active.folder, "interrupted")  # else resume goes on from it
            self._release(active)
        self.active.clear()


def _launch_text(problem: BaseException) -> str:
    return (
        f"the launcher cannot start trials ({type(problem).__name__}: {problem}); "
        "the sweep stopped; resume it once the cause is fixed"
    )
