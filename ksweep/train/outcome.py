"""How a run ends: diverged, stopped on request, or done; and what it reports then.

Accuracies are percentages everywhere (train, validation and test), as the
sweep guide shows them. A loss *diverged* when its epoch mean is not finite
or is more than :data:`DIVERGENCE_FACTOR` times the loss of a uniform guess,
``ln(number of classes)`` (23.0 for ten classes): a healthy run never comes
near that, and one that does trains on nothing but noise from then on.
"""

from __future__ import annotations

import math
from typing import Any

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
