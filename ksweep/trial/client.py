"""The client a training script imports to be a ksweep trial: no torch, no dependencies.

A script reads its configuration, reports each epoch, checkpoints when asked
and writes its final record; the sweep does the rest (ranking, early
stopping, pauses that free their slot, restarts after a kill)::

    from ksweep.trial import CONTINUE, PAUSE, STOP, Trial

    trial = Trial.from_environment(checkpoints=True)
    lr = trial.config.float("LEARNING_RATE")
    saved = trial.restore()                     # None, or the newest checkpoint
    start = saved.epoch + 1 if saved else 1
    for epoch in range(start, epochs + 1):
        ...train one epoch...
        verdict = trial.report(epoch, accuracy=acc, loss=loss)
        if verdict == PAUSE or trial.checkpoint_due(epoch):
            trial.save_checkpoint(epoch, lambda folder: write_state(folder))
        if verdict == PAUSE:
            trial.exit_paused()                  # the sweep restarts it when it may go on
        if verdict == STOP:
            break
    trial.finish(accuracy=acc)

Everything here is files and exit statuses of :mod:`ksweep.protocol`,
so a script in another language can do the same by hand.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from ksweep import protocol as p
from ksweep.configfile import read_config
from ksweep.sweep.atomic import write_json_atomic, write_text_atomic
from ksweep.sweep.tolerant import load_json

WAIT_POLL_SECONDS = 0.05


class TrialConfig:
    """A trial's resolved config, typed on request (``CONFIG_`` prefixes optional)."""

    def __init__(self, values: dict[str, str], source: str) -> None:
        self.values, self.source = values, source

    def text(self, name: str, default: str | None = None) -> str:
        key = name.removeprefix("CONFIG_")
        if key in self.values:
            return self.values[key]
        if default is None:
            raise KeyError(f"{self.source} has no CONFIG_{key}; add it to the config or Kconfig")
        return default

    def int(self, name: str, default: int | None = None) -> int:
        return self._typed(name, default, int, "an integer")

    def float(self, name: str, default: float | None = None) -> float:
        return self._typed(name, default, float, "a number")

    def bool(self, name: str, default: bool | None = None) -> bool:
        fallback = None if default is None else ("y" if default else "n")
        value = self.text(name, fallback)
        if value not in ("y", "n", "m"):
            raise ValueError(f"{self.source}: CONFIG_{name} is {value!r}, not y or n")
        return value == "y"

    def _typed(self, name: str, default: Any, kind: type, what: str) -> Any:
        value = self.text(name, None if default is None else str(default))
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"{self.source}: CONFIG_{name} is {value!r}, not {what}") from None

    def __contains__(self, name: str) -> bool:
        return name.removeprefix("CONFIG_") in self.values


@dataclass(frozen=True)
class Checkpoint:
    """A complete checkpoint: taken after ``epoch``, its files in ``path``."""

    epoch: int
    path: Path


class Trial:
    """One trial's side of the protocol. Build it with :meth:`from_environment`."""

    def __init__(
        self,
        config_path: str | Path | None,
        folder: str | Path,
        *,
        checkpoint_dir: str | Path | None = None,
        pause_after: tuple[int, ...] = (),
        pause_mode: str = p.PAUSE_WAIT,
        checkpoints: bool = False,
        checkpoint_seconds: float = p.DEFAULT_CHECKPOINT_SECONDS,
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        values = read_config(config_path) if config_path is not None else {}
        self.config = TrialConfig(values, str(config_path or "(no config)"))
        self.checkpoint_dir = Path(checkpoint_dir or self.folder / p.CHECKPOINT_DIR)
        self.pause_after = frozenset(pause_after)
        # PAUSE is only ever answered to a trial that said it can checkpoint.
        self.exits_at_pauses = checkpoints and pause_mode == p.PAUSE_EXIT
        self.checkpoint_seconds = checkpoint_seconds
        self.resumed_from: int | None = None
        self.total_epochs: int | None = None  # when known, the last epoch asks for no verdict
        self.stopped: dict[str, Any] | None = None
        self.last_epoch: int | None = None
        self.last_row: dict[str, Any] = {}
        self._last_save = time.monotonic()
        # A stop request stays: the sweep may have asked before this process started (the
        # loop clears the handshake itself before it restarts a trial).
        for stale in (p.FINAL_METRICS, p.PAUSED_FILE, p.RESUME_FILE):
            (self.folder / stale).unlink(missing_ok=True)
        self._rows = self._kept_rows(self._pointer_epoch())

    @classmethod
    def from_environment(cls, *, checkpoints: bool = False) -> Trial:
        """The trial the sweep started this process for (its ``KSWEEP_*`` variables).

        ``checkpoints=True`` says the script saves and restores checkpoints, so a
        pause may end the process and free its memory."""
        env = os.environ
        missing = [n for n in (p.ENV_CONFIG, p.ENV_TRIAL_DIR) if not env.get(n)]
        if missing:
            raise RuntimeError(
                f"{' and '.join(missing)} not set: run this script as a ksweep trial "
                "(TRAIN_COMMAND=...), or build Trial(config_path, folder) yourself"
            )
        seconds = env.get(p.ENV_CHECKPOINT_SECONDS)
        return cls(
            env[p.ENV_CONFIG],
            env[p.ENV_TRIAL_DIR],
            checkpoint_dir=env.get(p.ENV_CHECKPOINT_DIR) or None,
            pause_after=p.parse_pause_epochs(env.get(p.ENV_PAUSE_AFTER)),
            pause_mode=env.get(p.ENV_PAUSE_MODE, p.PAUSE_WAIT),
            checkpoints=checkpoints,
            checkpoint_seconds=float(seconds) if seconds else p.DEFAULT_CHECKPOINT_SECONDS,
        )

    # --- what the sweep asks of this trial ---------------------------------------------

    @property
    def device(self) -> str | None:
        """The sweep-wide device override (DEVICE=), if any."""
        return os.environ.get(p.ENV_DEVICE) or None

    @property
    def offline(self) -> bool:
        return os.environ.get(p.ENV_OFFLINE) == "1"

    # --- epochs and verdicts -----------------------------------------------------------

    def report(self, epoch: int, **metrics: Any) -> str:
        """Append epoch ``epoch``'s metrics to ``metrics.jsonl``; return the verdict:
        CONTINUE, STOP (end now and :meth:`finish`), or PAUSE (only for a trial built with
        ``checkpoints=True``: save a checkpoint, then :meth:`exit_paused`)."""
        row = {"epoch": int(epoch), **{k: _plain(k, v) for k, v in metrics.items()}}
        if self._rows and self._rows[-1] >= epoch:  # the script started over: so does the log
            self._rows = [e for e in self._rows if e < epoch]
            self._rewrite_rows(epoch)
        with open(self.folder / p.EPOCHS_FILE, "a", encoding="utf-8") as log:
            log.write(json.dumps(row, allow_nan=False) + "\n")
            log.flush()
        self._rows.append(epoch)
        self.last_epoch, self.last_row = epoch, row
        return self._verdict(epoch)

    def _verdict(self, epoch: int) -> str:
        if self.total_epochs is not None and epoch >= self.total_epochs:
            return p.CONTINUE  # nothing is left to stop or pause
        request = self._stop_request()
        if request is not None:
            return self._stop(request, epoch)
        if epoch not in self.pause_after:
            return p.CONTINUE
        if self.exits_at_pauses:
            return p.PAUSE
        write_json_atomic(self.folder / p.PAUSED_FILE, {"epoch": epoch})
        while True:  # a resident pause: this process waits, holding only itself
            request = self._stop_request()
            if request is not None:
                return self._stop(request, epoch)
            resumed = load_json(self.folder / p.RESUME_FILE, dict).data or {}
            if resumed.get("epoch") == epoch:
                return p.CONTINUE
            time.sleep(WAIT_POLL_SECONDS)

    def _stop_request(self) -> dict[str, Any] | None:
        path = self.folder / p.STOP_REQUEST
        if not path.exists():
            return None
        return load_json(path, dict).data or {"state": "pruned", "reason": "stop requested"}

    def _stop(self, request: dict[str, Any], epoch: int) -> str:
        self.stopped = stopped_record(request, epoch)
        return p.STOP

    # --- checkpoints -------------------------------------------------------------------

    def checkpoint_due(self, epoch: int) -> bool:
        """Whether to checkpoint after ``epoch``: at pause epochs, and whenever
        ``KSWEEP_CHECKPOINT_SECONDS`` have passed since the last checkpoint."""
        if epoch in self.pause_after:
            return True
        return time.monotonic() - self._last_save >= self.checkpoint_seconds

    def save_checkpoint(self, epoch: int, write: Callable[[Path], None]) -> Checkpoint:
        """Let ``write(folder)`` fill a new checkpoint folder; it becomes the newest one only
        once complete (a pointer file replaced atomically), and older ones are removed."""
        name = p.checkpoint_folder_name(epoch)
        target = self.checkpoint_dir / name
        partial = self.checkpoint_dir / f".{name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        write(partial)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)
        write_json_atomic(self.checkpoint_dir / p.CHECKPOINT_POINTER, {"epoch": epoch, "dir": name})
        for old in self.checkpoint_dir.iterdir():
            if old.is_dir() and old.name != name:
                shutil.rmtree(old, ignore_errors=True)
        self._last_save = time.monotonic()
        return Checkpoint(epoch, target)

    def restore(self) -> Checkpoint | None:
        """The newest complete checkpoint, or None to start from epoch 1. The epochs after it
        that ``metrics.jsonl`` holds (from a killed run) are dropped: they will be redone."""
        epoch = self._pointer_epoch()
        if epoch is None:
            return None
        self.resumed_from = epoch
        return Checkpoint(epoch, self.checkpoint_dir / p.checkpoint_folder_name(epoch))

    def exit_paused(self, record: dict[str, Any] | None = None) -> NoReturn:
        """End the process at a pause: the sweep restarts it from its checkpoint if the rule
        lets it go on. ``record`` is its final record should the rule stop it here (default:
        the last reported epoch's metrics)."""
        if self.last_epoch is None or self._pointer_epoch() != self.last_epoch:
            raise RuntimeError("exit_paused() needs a checkpoint of the epoch just reported")
        final = self._final(record if record is not None else self.last_row)
        write_json_atomic(
            self.folder / p.PAUSED_FILE,
            {"epoch": self.last_epoch, "checkpoint": True, "record": final},
        )
        sys.stdout.flush()
        sys.stderr.flush()
        raise SystemExit(p.EXIT_PAUSED)

    # --- the end -----------------------------------------------------------------------

    def finish(self, **metrics: Any) -> dict[str, Any]:
        """Write the final record (every metric given, plus why it stopped early, if it did)."""
        final = self._final(metrics)
        write_json_atomic(self.folder / p.FINAL_METRICS, final)
        return final

    def _final(self, metrics: dict[str, Any]) -> dict[str, Any]:
        final = {k: _plain(k, v) for k, v in metrics.items() if k != "epoch"}
        final.setdefault("epochs_run", self.last_epoch)
        final["stopped"] = self.stopped
        if self.resumed_from is not None:
            final["resumed_from_epoch"] = self.resumed_from
        return final

    # --- metrics.jsonl across restarts -------------------------------------------------

    def _pointer_epoch(self) -> int | None:
        return checkpoint_epoch(self.checkpoint_dir)

    def _kept_rows(self, through: int | None) -> list[int]:
        """Keep the logged epochs up to the checkpoint's (all of them go without one)."""
        kept: list[str] = []
        epochs: list[int] = []
        path = self.folder / p.EPOCHS_FILE
        if through is None:  # a fresh start: the first report creates the log
            path.unlink(missing_ok=True)
            return epochs
        if path.is_file():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    epoch = json.loads(line).get("epoch")
                except (ValueError, AttributeError):
                    break
                if not isinstance(epoch, int) or epoch > through:
                    break
                kept.append(line)
                epochs.append(epoch)
        write_text_atomic(path, "".join(line + "\n" for line in kept))
        return epochs

    def _rewrite_rows(self, before: int) -> None:
        path = self.folder / p.EPOCHS_FILE
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        kept = [line for line in lines if (_epoch_of(line) or before) < before]
        write_text_atomic(path, "".join(line + "\n" for line in kept))


def checkpoint_epoch(checkpoint_dir: Path) -> int | None:
    """The epoch of the newest complete checkpoint in ``checkpoint_dir`` (its pointer names a
    folder that exists), else None: one reading for the trial and for the sweep."""
    pointer = load_json(checkpoint_dir / p.CHECKPOINT_POINTER, dict).data or {}
    epoch, name = pointer.get("epoch"), pointer.get("dir")
    if isinstance(epoch, int) and isinstance(name, str) and (checkpoint_dir / name).is_dir():
        return epoch
    return None


def stopped_record(request: dict[str, Any], epoch: int) -> dict[str, Any]:
    """What the final record says about a trial that ended early on the sweep's request."""
    return {
        **{k: v for k, v in request.items() if isinstance(k, str)},
        "state": request.get("state", "pruned"),
        "decided_at_epoch": request.get("epoch"),  # the epoch whose numbers decided it
        "epoch": epoch,  # the epoch it ended at: the first boundary after the request came
    }


def _epoch_of(line: str) -> int | None:
    """The epoch a metrics.jsonl line is of (None for a torn or foreign line: dropped)."""
    try:
        epoch = json.loads(line).get("epoch")
    except (ValueError, AttributeError):
        return None
    return epoch if isinstance(epoch, int) else None


def _plain(name: str, value: Any) -> Any:
    """A metric as JSON holds it; a non-finite number is refused (the sweep cannot rank it)."""
    if hasattr(value, "item") and callable(value.item):  # a 0-d tensor or numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"metric {name!r} is {value}: report divergence by exiting with status 3")
    return value
