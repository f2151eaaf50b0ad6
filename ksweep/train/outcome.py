"""How a run ends: diverged, stopped on request, or done; and what it reports then.

Accuracies are percentages everywhere (train, validation and test), as the
sweep guide shows them. A loss *diverged* when its epoch mean is not finite
or is more than :data:`DIVERGENCE_FACTOR` times the loss of a uniform guess,
``ln(number of classes)`` (23.0 for ten classes): a healthy run never comes
near that, and one that does trains on nothing but noise from then on.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from ksweep.sweep.atomic import write_json_atomic
from ksweep.sweep.layout import PAUSED_FILE, RESUME_FILE, STOP_REQUEST
from ksweep.sweep.tolerant import load_json

DIVERGENCE_FACTOR = 10.0
LAST_N = 3  # last3_test_acc averages this many final epochs (fewer in shorter runs)


class TrainingDiverged(RuntimeError):
    """A loss stopped being finite or exploded; the CLI reports it and exits with status 3.

    Checked once per epoch, on the epoch's mean training loss and on the
    validation loss: NaN propagates into every later batch, so the epoch mean
    catches it, and checking per step would cost a host-device sync per step.
    """

    def __init__(self, message: str, value: float, epoch: int) -> None:
        self.value = value
        self.epoch = epoch
        super().__init__(message)


def check_loss(loss: float, epoch: int, num_classes: int, what: str = "training loss") -> None:
    """Raise :class:`TrainingDiverged` when ``loss`` breaks the divergence rule."""
    if not math.isfinite(loss):
        kind = "nan" if math.isnan(loss) else "inf"
        raise TrainingDiverged(f"training diverged: loss is {kind} at epoch {epoch}", loss, epoch)
    chance = math.log(num_classes)
    if num_classes > 1 and loss > DIVERGENCE_FACTOR * chance:
        raise TrainingDiverged(
            f"training diverged: the mean {what} {loss:.4g} at epoch {epoch} is more than "
            f"{DIVERGENCE_FACTOR:g}x the loss of a uniform guess over {num_classes} classes "
            f"(ln {num_classes} = {chance:.3g})",
            loss,
            epoch,
        )


def stop_request(path: Path) -> dict[str, Any] | None:
    """The launcher's request to end after this epoch (a file it wrote), or None."""
    if not path.exists():
        return None
    return load_json(path, dict).data or {"state": "pruned", "reason": "stop requested"}


PAUSE_POLL_SECONDS = 0.05


def after_epoch(out: Path, epoch: int, pause_after: frozenset[int]) -> dict[str, Any] | None:
    """At an epoch boundary: the launcher's stop request, if any; after a pause epoch, first
    wait for its verdict (go on, or a stop request), holding no more than the process itself.

    The files are the protocol: this run writes ``paused.json`` with the epoch; the launcher
    answers with ``resume.json`` (same epoch) or a stop request."""
    request = stop_request(out / STOP_REQUEST)
    if request is not None or epoch not in pause_after:
        return request
    write_json_atomic(out / PAUSED_FILE, {"epoch": epoch})
    while True:
        request = stop_request(out / STOP_REQUEST)
        if request is not None:
            return request
        if (load_json(out / RESUME_FILE, dict).data or {}).get("epoch") == epoch:
            return None
        time.sleep(PAUSE_POLL_SECONDS)


def stopped_record(request: dict[str, Any], epoch: int, epochs: int) -> dict[str, Any]:
    """What the final metrics say about a run that ended early on request."""
    return {
        **{k: v for k, v in request.items() if isinstance(k, str)},
        "state": request.get("state", "pruned"),
        "decided_at_epoch": request.get("epoch"),  # the epoch whose numbers decided it
        "epoch": epoch,  # the epoch it ended at: the first boundary after the request came
        "of_epochs": epochs,
    }


def accuracy_summary(history: list[dict[str, Any]]) -> dict[str, Any]:
    """The accuracy figures of a run's epochs: last, best, mean of the last few, and at the
    epoch of the best validation accuracy (the unbiased pick)."""
    tests = [h["test_acc"] for h in history]
    last = tests[-LAST_N:]
    has_val = history[0]["val/acc"] is not None
    best = max(history, key=lambda h: h["val/acc"]) if has_val else None  # first among ties
    return {
        "test_acc": tests[-1],
        "best_test_acc": max(tests),
        "last3_test_acc": sum(last) / len(last),
        "last3_epochs": len(last),  # how many epochs that mean is of
        "test_acc_at_best_val": best["test_acc"] if best else None,
        "best_val_acc": best["val/acc"] if best else None,
        "initial_train_loss": history[0]["train/loss"],
        "final_train_loss": history[-1]["train/loss"],
        "epochs_run": len(history),
    }


def progress_line(record: dict[str, Any], epochs: int) -> str:
    """One epoch as the trial's log shows it."""
    width = len(str(epochs))
    if record["val/acc"] is None:
        val = "val n/a"
    else:
        val = f"val loss {record['val/loss']:.4f} acc {record['val/acc']:6.2f}%"
    return (
        f"epoch {record['epoch']:>{width}}/{epochs} | train loss {record['train/loss']:.4f} "
        f"acc {record['train/acc']:6.2f}% | {val} | test {record['test_acc']:6.2f}% | "
        f"sparsity {record['sparsity']:.3f} | lr {record['lr']:.3g} | "
        f"{record['epoch_time']:.2f}s"
    )
