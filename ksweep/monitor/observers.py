"""The observers the CLI attaches to a sweep's run loop.

Each is a callable taking one :mod:`ksweep.launch.events` event:

* :class:`SummaryWriter` keeps ``sweep_summary.json`` equal to the records so far;
* :class:`DecisionLog` appends each early-stopping or search decision to
  ``decisions.jsonl``, with its evidence;
* :class:`ProgressPrinter` says what happens, one line per event that matters;
* :class:`AnalysisRefresher` rewrites ``sweep_analysis.txt`` after every trial and
  every output (report, plots, CSV, TensorBoard, best defconfig) at the end.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ksweep.analysis.metrics import spec
from ksweep.analysis.report import configured_metric, write_final_reports, write_reports
from ksweep.launch.events import (
    Event,
    SweepEnded,
    SweepStarted,
    TrialDecided,
    TrialFinished,
    TrialRetrying,
)
from ksweep.monitor.progress import format_duration, view
from ksweep.sweep.manifest import FINISHED, INTERRUPTED, STOPPED
from ksweep.sweep.records import write_summary
from ksweep.sweep.states import TrialState

Say = Callable[[str], Any]


class SummaryWriter:
    """``sweep_summary.json``: every record so far, rewritten atomically after each trial."""

    def __call__(self, event: Event) -> None:
        if isinstance(event, SweepStarted | TrialFinished | SweepEnded):
            write_summary(event.view.folder, event.view.records)


class DecisionLog:
    """``decisions.jsonl``: one line per decision, appended and flushed as it is made.

    A rule decides about a configuration (its seeds together): the line is written for
    its first seed to arrive and names every seed (``trials``); the others add no line."""

    def __call__(self, event: Event) -> None:
        if not isinstance(event, TrialDecided):
            return
        line = {"trial": event.trial.config_name, **event.decision}
        path = event.view.folder.decisions
        if _already_logged(path, line):
            return
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def _already_logged(path: Path, line: dict) -> bool:
    """Whether a line for the same configuration, rule and epoch is in ``path`` already."""
    if "configuration" not in line or not path.exists():
        return False
    key = ("configuration", "rule", "epoch")
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            logged = json.loads(text)
        except json.JSONDecodeError:
            continue
        if isinstance(logged, dict) and all(logged.get(k) == line.get(k) for k in key):
            return True
    return False


class ProgressPrinter:
    """One line per started sweep, retry, decision and finished trial."""

    def __init__(self, say: Say, ranking: tuple[str, str]) -> None:
        self.say = say
        self.ranking = ranking

    def __call__(self, event: Event) -> None:
        if isinstance(event, SweepStarted):
            self._started(event)
        elif isinstance(event, TrialRetrying):
            self.say(
                f"{event.trial.config_name} {event.state} ({event.error}); retrying "
                f"({event.attempt + 1}/{event.attempts})"
            )
        elif isinstance(event, TrialDecided):
            self.say(f"{event.trial.config_name}: {event.decision.get('summary', 'stopped')}")
        elif isinstance(event, TrialFinished):
            self._finished(event)
        elif isinstance(event, SweepEnded) and event.state == INTERRUPTED:
            self.say("\nksweep: interrupted; the summary keeps the trials that finished.")
        elif isinstance(event, SweepEnded) and event.state not in (FINISHED, STOPPED):
            self.say(f"\nksweep: the sweep stopped: {event.reason}")

    def _started(self, event: SweepStarted) -> None:
        total = event.view.total
        count = "?" if event.to_run is None else event.to_run
        of = "" if total is None else f" of {total}"
        self.say(
            f"ksweep: {count}{of} trials to run -> {event.view.folder.path} "
            f"({event.view.slots} at a time: {', '.join(event.slot_names)})"
        )
        if event.startup_seconds >= 0.5:
            self.say(
                f"ksweep: trial server ready in {event.startup_seconds:.1f}s (torch imported "
                "once; not counted in any trial's time)"
            )

    def _measured(self, record: dict) -> str:
        """The trial's value of the ranking metric, with test accuracy beside it when the
        ranking is on another split (test accuracy is then not what chooses)."""
        metric = self.ranking[0]
        value, test = record.get(metric), record.get("test_acc")
        shown = (
            f"{metric} {spec(metric).shown(value)}"
            if isinstance(value, int | float)
            else f"{metric} not reported"
        )
        if metric == "test_acc" or not isinstance(test, int | float):
            return shown  # a script's own metrics: nothing to add
        return f"{shown} (test_acc {test:.2f}%)"

    def _finished(self, event: TrialFinished) -> None:
        record = event.record
        state = TrialState.of(record.get("status"))
        if state is TrialState.COMPLETED:
            shown = self._measured(record)
        elif state is TrialState.PRUNED:
            stopped = record.get("stopped") or {}
            shown = f"PRUNED at epoch {stopped.get('epoch', '?')}: {self._measured(record)}"
        else:
            shown = f"{record['status'].upper()}: {record['error']}"
        v = event.view
        progress = view(v.total, v.records, len(v.running), v.slots, ranking=self.ranking)
        self.say(
            f"[{progress.line()}] {record['config_file']} {shown} in {record['wall_time']:.1f}s"
        )


class AnalysisRefresher:
    """``sweep_analysis.txt`` after each trial; every output once the sweep has ended."""

    def __init__(
        self,
        varying_symbols: Sequence[str],
        say: Say,
        metric: str | None = None,
        goal: str | None = None,
        objectives: str | None = None,
        constraints: str | None = None,
    ) -> None:
        self.varying = list(varying_symbols)
        self.say = say
        self.metric, self.goal = metric, goal  # METRIC=/GOAL= as asked: the analysis resolves
        # OBJECTIVES=/CONSTRAINTS= as asked, resolved like METRIC= (else the trials' config)
        self.asked = {"objectives": objectives, "constraints": constraints}
        self.last = None  # the newest Analysis written, for the closing line

    def __call__(self, event: Event) -> None:
        folder, records = event.view.folder.path, list(event.view.records)
        ranked = (folder, records, self.varying, self.metric, self.goal)
        if isinstance(event, TrialFinished):
            self.last = write_reports(*ranked, **self.asked)
        elif isinstance(event, SweepEnded):
            if event.state == INTERRUPTED:
                self.last = write_reports(*ranked, **self.asked)
            else:
                self.last = write_final_reports(*ranked, say=self.say, **self.asked)


def ranking_of(config_text_values: dict[str, str]) -> tuple[str, str]:
    """The (metric, goal) a sweep's configs ask for (``{}``: the default, auto), for
    ``sweep-status`` to rank as the sweep's own closing line did."""
    return configured_metric(config_text_values)


__all__ = [
    "AnalysisRefresher",
    "DecisionLog",
    "ProgressPrinter",
    "SummaryWriter",
    "format_duration",
    "ranking_of",
]
