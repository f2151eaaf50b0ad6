"""Handing trials to slots: concurrency, retries, fail-fast and clean stops.

One worker thread per slot takes the next pending trial its slot can serve
and runs it to the end (a thread only waits on a process, so threads are
enough). Retries re-run a failed trial in a fresh folder, keeping the old
one under ``attempts/``. A stop (Ctrl-C, SIGTERM, fail-fast) ends running
trials, which then count as not run: resume runs them again.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ksweep.collect import summary_record
from ksweep.launch.slots import Slot
from ksweep.launch.state import retire, set_status
from ksweep.launch.trial import CONFIG_FILE, TrialOutcome
from ksweep.launch.trials import TrialSpec
from ksweep.manifest import now_iso
from ksweep.store import write_text_atomic

RunInSlot = Callable[
    [Path, Slot, Callable[[], bool], Callable[[str], None] | None, Callable[[int], None]],
    TrialOutcome,
]


@dataclass(frozen=True)
class Work:
    """A trial, the slot kind it needs, and the exact config text it runs."""

    trial: TrialSpec
    kind: str
    config_text: str


class Scheduler:
    """Runs :class:`Work` items over slots; reports each finished record once."""

    def __init__(
        self,
        sweep_dir: Path,
        slots: list[Slot],
        run_in_slot: RunInSlot,
        on_record: Callable[[dict], None],
        say: Callable[[str], None],
        retries: int = 0,
        fail_fast: bool = False,
        echo: bool = False,
        tick: Callable[[dict[str, Path]], None] | None = None,
    ):
        self.sweep_dir = sweep_dir
        self.slots = slots
        self.run_in_slot = run_in_slot
        self.on_record = on_record
        self.say = say
        self.retries = retries
        self.fail_fast = fail_fast
        self.echo = echo
        self.tick = tick  # called from the waiting thread with the running trials' folders
        self._active: dict[str, Path] = {}  # config name -> folder of its current attempt
        self.stop = threading.Event()
        self._pending: deque[Work] = deque()
        self._lock = threading.Lock()
        self.running = 0
        self.failed_fast = False
        self._all_done = threading.Event()
        self._alive_workers = 0

    def _take(self, kind: str) -> Work | None:
        with self._lock:
            for index, work in enumerate(self._pending):
                if work.kind == kind:
                    del self._pending[index]
                    self.running += 1
                    return work
        return None

    def run(self, work: list[Work]) -> None:
        """Run everything (or until stopped); Ctrl-C stops the trials and re-raises."""
        self._pending.extend(work)
        kinds = {slot.kind for slot in self.slots}
        for item in work:
            if item.kind not in kinds:
                raise ValueError(f"{item.trial.config_name} needs a {item.kind} slot; none exists")
        self._alive_workers = len(self.slots)
        for slot in self.slots:
            threading.Thread(target=self._worker, args=(slot,), name=slot.name, daemon=True).start()
        # Waiting on an Event, not Thread.join: a Ctrl-C that interrupts join() can leave the
        # thread marked finished while it still runs (CPython bpo-45274), and then we would
        # report before the running trials were stopped.
        try:
            while not self._all_done.wait(0.2):
                if self.tick is not None:
                    with self._lock:
                        active = dict(self._active)
                    self.tick(active)
        except KeyboardInterrupt:
            self.stop.set()
            while True:
                try:
                    self._all_done.wait()
                    break
                except KeyboardInterrupt:
                    continue
            raise

    def _worker(self, slot: Slot) -> None:
        try:
            self._serve(slot)
        finally:
            with self._lock:
                self._alive_workers -= 1
                if self._alive_workers == 0:
                    self._all_done.set()

    def _serve(self, slot: Slot) -> None:
        while not self.stop.is_set():
            work = self._take(slot.kind)
            if work is None:
                return
            try:
                record = self._execute(work, slot)
            finally:
                with self._lock:
                    self.running -= 1
            if record is None:
                continue
            self.on_record(record)
            if self.fail_fast and record["status"] != "completed":
                self.failed_fast = True
                self.stop.set()

    def _execute(self, work: Work, slot: Slot) -> dict | None:
        trial = work.trial
        trial_dir = self.sweep_dir / trial.test_name
        for attempt in range(1, self.retries + 2):
            retire(trial_dir, "interrupted")  # a folder left by a run that did not finish
            trial_dir.mkdir()
            write_text_atomic(trial_dir / CONFIG_FILE, work.config_text)
            started = now_iso()
            set_status(
                trial_dir, state="starting", attempt=attempt, slot=slot.name, started=started
            )

            process: dict[str, int] = {}

            def running(
                pid: int, trial_dir=trial_dir, attempt=attempt, started=started, process=process
            ) -> None:
                process["trial_pid"] = pid
                set_status(
                    trial_dir,
                    state="running",
                    attempt=attempt,
                    slot=slot.name,
                    started=started,
                    trial_pid=pid,
                )

            echo = (lambda line: self.say(f"    {line}")) if self.echo else None
            with self._lock:
                self._active[trial.config_name] = trial_dir
            try:
                outcome = self.run_in_slot(trial_dir, slot, self.stop.is_set, echo, running)
            finally:
                with self._lock:
                    self._active.pop(trial.config_name, None)
            if outcome.status == "stopped":
                set_status(trial_dir, state="stopped", attempt=attempt, slot=slot.name, **process)
                retire(trial_dir, "interrupted")
                return None
            record = summary_record(trial, outcome)
            record["attempts"] = attempt
            record["slot"] = slot.name
            set_status(
                trial_dir,
                state=outcome.status,
                attempt=attempt,
                slot=slot.name,
                started=started,
                finished=now_iso(),
                **process,
            )
            if outcome.status == "completed" or attempt > self.retries:
                return record
            self.say(
                f"{trial.config_name} {outcome.status} ({outcome.error}); retrying "
                f"({attempt + 1}/{self.retries + 1})"
            )
            retire(trial_dir, "attempt")
        raise AssertionError("unreachable")
