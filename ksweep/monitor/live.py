"""The sweep on a terminal: a header and one line per running trial, redrawn in place.

Drawn with ``rich``'s ``Live``: it redraws a block of lines in place, crops it to
the terminal's height, and prints anything else (a failure, a decision, a warning)
above the block, so the screen never scrolls with epochs. Each trial's full output
is still in its ``output.log``. When stdout is not a terminal, or with ``V=1``,
the CLI attaches the plain :class:`~ksweep.monitor.observers.ProgressPrinter`
instead, whose lines append and suit a log file.

The "best" in the header is a *configuration*: the mean of its seeds so far,
ranked as the closing line ranks, with its values and its seed count, so it
does not drop to another trial's number as more seeds of it arrive.
"""

from __future__ import annotations

import atexit
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ksweep.analysis.labels import settings_text, short_symbol, shown
from ksweep.analysis.metrics import spec
from ksweep.analysis.stats import SEED_SYMBOL, group_records, rank
from ksweep.launch.events import (
    EpochReported,
    Event,
    SweepEnded,
    SweepStarted,
    Tick,
    TrialFinished,
    TrialStarted,
)
from ksweep.monitor.observers import ProgressPrinter
from ksweep.monitor.progress import format_duration, view
from ksweep.sweep.states import TrialState

HEADER_LINES = 3  # the counts, the best configuration, the table's column names
REDRAW_SECONDS = 1.0  # how often the clock alone (elapsed times) redraws the block
FINAL_ROWS = 15  # configurations the closing table lists; the report lists every one


@dataclass
class RunningTrial:
    """What the block shows of one running trial."""

    name: str
    settings: str
    started: float
    epoch: Any = None
    value: float | None = None


@dataclass(frozen=True)
class Leader:
    """The configuration leading so far: its name, values, mean and seed count."""

    name: str
    settings: str
    mean: float
    seeds: int


def leading_configuration(
    records: Sequence[dict], varying: Sequence[str], metric: str, goal: str
) -> Leader | None:
    """The best configuration by the mean of its finished seeds (None before one finishes)."""
    best = rank(group_records(records, list(varying), metric), metric, goal).best
    if best is None or best.metric.mean is None:
        return None
    settings = settings_text(best.settings, short=True)
    return Leader(best.name, settings, best.metric.mean, best.metric.n)


class LiveDisplay:
    """An observer that keeps the live block on the terminal and prints the closing table."""

    def __init__(
        self,
        varying: Sequence[str],
        ranking: tuple[str, str],
        console: Console | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.varying = list(varying)
        self.metric, self.goal = ranking
        self.console = console or Console()
        self.clock = clock
        self.running: dict[str, RunningTrial] = {}
        self.live: Live | None = None
        self.started = clock()
        self.last_drawn = 0.0
        # Retries, decisions, failures and the sweep's first lines, printed above the block.
        self.lines = ProgressPrinter(self._above, ranking)

    def _above(self, text: str) -> None:
        self.console.print(Text(text), soft_wrap=True)

    def __call__(self, event: Event) -> None:
        if isinstance(event, SweepStarted):
            self.lines(event)
            self.started = self.clock()
            self.live = Live(
                console=self.console,
                auto_refresh=False,
                transient=True,
                vertical_overflow="crop",
            )  # other lines printed meanwhile (stdout, stderr) go above the block
            self.live.start()
            atexit.register(self._stop)  # an exit that skips SweepEnded leaves no hidden cursor
        elif isinstance(event, TrialStarted):
            settings = settings_text(event.trial.varying, short=True, sep=" ")
            name = event.trial.config_name
            self.running[name] = RunningTrial(name, settings, self.clock())
        elif isinstance(event, EpochReported):
            trial = self.running.get(event.trial.config_name)
            if trial is not None:
                trial.epoch = event.row.get("epoch")
                trial.value = _number(event.row.get(self.metric, event.row.get("test_acc")))
        elif isinstance(event, TrialFinished):
            self.running.pop(event.trial.config_name, None)
            if TrialState.of(event.record.get("status")) is not TrialState.COMPLETED:
                self.lines(event)
        elif isinstance(event, SweepEnded):
            self._end(event)
            return
        elif not isinstance(event, Tick):
            self.lines(event)
        self._draw(event, force=not isinstance(event, Tick))

    def _draw(self, event: Event, force: bool) -> None:
        now = self.clock()
        if self.live is None or (not force and now - self.last_drawn < REDRAW_SECONDS):
            return
        self.last_drawn = now
        self.live.update(self.block(event), refresh=True)

    def block(self, event: Event) -> Group:
        """The header and the running trials' lines, cut to the terminal's height."""
        v = event.view
        ranking = (self.metric, self.goal)
        progress = view(v.total, v.records, len(v.running), v.slots, ranking=ranking)
        total = "?" if v.total is None else v.total
        counts = Text.assemble(
            ("ksweep ", "bold"),
            f"done {progress.done}/{total}  running {progress.running}  ",
            (f"failed {progress.failed}", "red" if progress.failed else ""),
            f"  pruned {progress.pruned}  ETA {format_duration(progress.eta_seconds)}"
            f"  elapsed {format_duration(self.clock() - self.started)}",
        )
        leader = leading_configuration(v.records, self.varying, self.metric, self.goal)
        if leader is None:
            best = Text(f"best {self.metric}: - (no configuration finished yet)")
        else:
            seeds = f"{leader.seeds} seed" + ("" if leader.seeds == 1 else "s")
            best = Text.assemble(
                f"best {self.metric} ",
                (spec(self.metric).shown(leader.mean), "bold green"),
                f" (mean of {seeds}) {leader.name} {leader.settings}",
            )
        best.no_wrap, best.overflow = True, "ellipsis"
        return Group(counts, best, self._running_table(v.epochs_of))

    def _running_table(self, epochs_of) -> Table:
        table = Table(box=None, pad_edge=False, show_edge=False, expand=False)
        table.add_column("trial", no_wrap=True, overflow="ellipsis", ratio=3)
        table.add_column("epoch", no_wrap=True, justify="right")
        table.add_column(self.metric, no_wrap=True, justify="right")
        table.add_column("elapsed", no_wrap=True, justify="right")
        room = max(1, self.console.size.height - HEADER_LINES - 1)
        trials = list(self.running.values())
        shown = trials if len(trials) <= room else trials[: room - 1]
        for trial in shown:
            epoch = "-" if trial.epoch is None else trial.epoch
            value = "-" if trial.value is None else spec(self.metric).shown(trial.value)
            table.add_row(
                f"{trial.name} {trial.settings}",
                f"{epoch}/{epochs_of.get(trial.name) or '?'}",
                value,
                format_duration(self.clock() - trial.started),
            )
        if len(shown) < len(trials):
            table.add_row(f"... and {len(trials) - len(shown)} more running", "", "", "")
        return table

    def _stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def _end(self, event: SweepEnded) -> None:
        self._stop()
        self.lines(event)
        self.console.print(self.final_table(event.view.records))

    def final_table(self, records: Sequence[dict]) -> Table:
        """Every configuration ranked by the mean of its seeds, best first (top rows only)."""
        ranking = rank(group_records(records, self.varying, self.metric), self.metric, self.goal)
        groups = ranking.ranked + ranking.stopped  # stopped ones ranked apart, after
        table = Table(title=f"Configurations ranked by {self.metric} ({self.goal})", box=None)
        table.add_column("#", justify="right")
        table.add_column("configuration", no_wrap=True)
        symbols = [s for s in self.varying if s != SEED_SYMBOL]
        for symbol in symbols:
            table.add_column(short_symbol(symbol), no_wrap=True, overflow="ellipsis")
        table.add_column(f"{self.metric} mean", justify="right")
        table.add_column("seeds", justify="right")
        table.add_column("failed", justify="right")
        table.add_column("", no_wrap=True)
        for place, group in enumerate(groups[:FINAL_ROWS], start=1):
            table.add_row(
                str(place),
                group.name,
                *(shown(group.settings.get(symbol)) for symbol in symbols),
                spec(self.metric).shown(group.metric.mean),
                str(group.metric.n),
                str(len(group.failed)),
                "stopped early" if group.pruned else "",
            )
        if len(groups) > FINAL_ROWS:
            table.caption = f"{len(groups) - FINAL_ROWS} more in report.md and report.html"
        return table


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
