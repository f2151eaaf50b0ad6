"""Following running trials through the ``metrics.jsonl`` each one streams, epoch by epoch.

With several trials at a time their output is not echoed, and a long trial
would otherwise be silent from its start to its end. :class:`EpochFollower`
reads what one trial has appended since the last look (whole lines only: a
line still being written waits for the next look); :class:`Heartbeat`
turns that into at most one line per trial every few seconds. Following
every running trial's epochs as they arrive is also what stopping losing
trials early needs; a rule for that would read the same rows.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

METRICS_FILE = "metrics.jsonl"
# With several trials at a time (no echoed output), each running trial's newest epoch is
# said at most this often: long trials show progress, short ones (under this) stay quiet.
HEARTBEAT_SECONDS = 30.0


class EpochFollower:
    """The complete JSON lines appended to one file since the previous call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._inode: int | None = None
        self._offset = 0
        self._partial = b""

    def new_rows(self) -> list[dict[str, Any]]:
        try:
            stat = os.stat(self.path)
        except OSError:
            return []
        if stat.st_ino != self._inode or stat.st_size < self._offset:
            # A retry writes a new file at the same path: start over on it.
            self._inode, self._offset, self._partial = stat.st_ino, 0, b""
        if stat.st_size == self._offset:
            return []
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                data = handle.read(stat.st_size - self._offset)
        except OSError:
            return []
        self._offset += len(data)
        *lines, self._partial = (self._partial + data).split(b"\n")
        rows = []
        for line in lines:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if isinstance(row, dict):
                rows.append(row)
        return rows


class Heartbeat:
    """Says each running trial's newest epoch, at most once per ``interval`` seconds."""

    def __init__(
        self,
        say: Callable[[str], None],
        epochs_of: Mapping[str, int | None],
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.say = say
        self.epochs_of = epochs_of
        self.interval = interval
        self.clock = clock
        self._followers: dict[str, EpochFollower] = {}
        self._last_said: dict[str, float] = {}
        self._unsaid: dict[str, dict[str, Any]] = {}

    def poll(self, running: Mapping[str, Path]) -> None:
        """Read every running trial's new epochs; speak for those due. ``running``: name -> dir."""
        now = self.clock()
        for name in set(self._followers) - set(running):
            del self._followers[name], self._last_said[name]
            self._unsaid.pop(name, None)
        for name, folder in running.items():
            follower = self._followers.get(name)
            if follower is None or follower.path != folder / METRICS_FILE:
                self._followers[name] = follower = EpochFollower(folder / METRICS_FILE)
                self._last_said[name] = now  # a trial's first line comes one interval in
            rows = follower.new_rows()
            if rows:
                self._unsaid[name] = rows[-1]
            if name in self._unsaid and now - self._last_said[name] >= self.interval:
                self.say(self.line(name, self._unsaid.pop(name)))
                self._last_said[name] = now

    def line(self, name: str, row: Mapping[str, Any]) -> str:
        return f"  {name}: {epoch_summary(row, self.epochs_of.get(name))}"


def epoch_summary(row: Mapping[str, Any], total: int | None) -> str:
    """One metrics.jsonl row in words: "epoch 4/15, test 99.31%, train loss 0.3521, 17.8s/epoch"."""
    parts = [f"epoch {row.get('epoch', '?')}/{total or '?'}"]
    for key, shown in (
        ("test_acc", "test {:.2f}%"),
        ("train/loss", "train loss {:.4f}"),
        ("epoch_time", "{:.1f}s/epoch"),
    ):
        value = row.get(key)
        if isinstance(value, int | float):
            parts.append(shown.format(value))
    return ", ".join(parts)
