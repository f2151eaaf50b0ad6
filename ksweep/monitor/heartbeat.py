"""With several trials at a time, each running trial's newest epoch every few seconds.

Their output is not echoed then, and a long trial would otherwise be silent
from its start to its end. The heartbeat hears every epoch the run loop
reads and speaks at most one line per trial per interval; trials shorter
than the interval stay quiet.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from ksweep.launch.events import EpochReported, Event, Tick, TrialFinished, TrialStarted

HEARTBEAT_SECONDS = 30.0


class Heartbeat:
    """Says each running trial's newest epoch, at most once per ``interval`` seconds."""

    def __init__(
        self,
        say: Callable[[str], None],
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.say = say
        self.interval = interval
        self.clock = clock
        self._last_said: dict[str, float] = {}
        self._unsaid: dict[str, dict[str, Any]] = {}

    def __call__(self, event: Event) -> None:
        if isinstance(event, TrialStarted):
            # A trial's first line comes one interval in.
            self._last_said[event.trial.config_name] = self.clock()
            self._unsaid.pop(event.trial.config_name, None)
        elif isinstance(event, EpochReported):
            self._unsaid[event.trial.config_name] = event.row
        elif isinstance(event, TrialFinished):
            self._last_said.pop(event.trial.config_name, None)
            self._unsaid.pop(event.trial.config_name, None)
        elif isinstance(event, Tick) and event.view.slots > 1:
            # With one slot the trial's own output is echoed; a heartbeat would repeat it.
            self.speak(event.view.epochs_of)

    def speak(self, epochs_of: Mapping[str, int | None]) -> None:
        now = self.clock()
        for name in list(self._unsaid):
            if now - self._last_said.get(name, now) >= self.interval:
                self.say(f"  {name}: {epoch_summary(self._unsaid.pop(name), epochs_of.get(name))}")
                self._last_said[name] = now


def epoch_summary(row: Mapping[str, Any], total: int | None) -> str:
    """One metrics.jsonl row in words: "epoch 4/15, test 99.31%, train loss 0.3521, 17.8s/epoch"."""
    parts = [f"epoch {row.get('epoch', '?')}/{total or '?'}"]
    for key, shown in (
        ("val/acc", "val {:.2f}%"),
        ("test_acc", "test {:.2f}%"),
        ("train/loss", "train loss {:.4f}"),
        ("epoch_time", "{:.1f}s/epoch"),
    ):
        value = row.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            parts.append(shown.format(value))
    return ", ".join(parts)
