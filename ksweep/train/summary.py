"""What a finished run says about itself: its header line, final metrics and closing line.

Kept apart from the loop (:mod:`ksweep.train.trainer`) so the loop reads as
training only. The final metrics are ``training_metrics.json``: the accuracy
figures of :func:`ksweep.train.outcome.accuracy_summary`, what was trained
and how long it took, and the end-of-run evaluations that exist only for
some runs: the SWA average's ``swa_*`` figures and, under test-time
augmentation, the protocol (``tta_*``) and the plain single-view figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from ksweep.train.evaluation import weights_digest
from ksweep.train.model_registry import MODELS
from ksweep.train.outcome import LAST_N, accuracy_summary
from ksweep.train.prune import measured_sparsity
from ksweep.train.settings import TrainSettings

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ksweep.train.trainer import Run


def header(settings: TrainSettings, run: Run, params: int, setup_time: float) -> str:
    """The run's first log line: model, data, optimizer and the options that shape it."""
    n_train, n_val, n_test = run.data.sizes()
    extras = ""
    if settings.augment_off_last_epochs and run.augmentation.active:
        extras += f" | no augmentation in the last {settings.augment_off_last_epochs} epochs"
    if run.swa is not None:
        extras += f" | swa from epoch {run.swa.first_epoch}"
    if run.tta is not None:
        extras += f" | tta {run.tta.view_count} views"
    return (
        f"{MODELS[settings.model].name}: {params:,} parameters | {run.data.spec.name}: "
        f"{n_train} train / {n_val} val / {n_test} test | {settings.optimizer.lower()} "
        f"lr {settings.learning_rate:g} ({settings.lr_schedule}) | pruning "
        f"{settings.pruning_method} | ema {settings.ema_decay or 'off'}{extras} | device "
        f"{run.device} ({run.accel.describe()}) | seed {settings.seed} | setup {setup_time:.2f}s"
    )


def single_view_summary(history: list[dict[str, Any]]) -> dict[str, Any]:
    """The plain-image counterparts of test_acc and last3_test_acc, for a TTA run."""
    tests = [h["single_view_test_acc"] for h in history]
    last = tests[-LAST_N:]
    return {"single_view_test_acc": tests[-1], "single_view_last3_test_acc": sum(last) / len(last)}


def final_metrics(
    settings: TrainSettings,
    run: Run,
    history: list[dict[str, Any]],
    params: int,
    training_time: float,
    setup_time: float,
    swa: dict[str, Any],
) -> dict[str, Any]:
    """``training_metrics.json`` (less ``stopped``, which the caller adds)."""
    evaluation: dict[str, Any] = {}
    if run.tta is not None:
        evaluation = {**run.tta.describe(), **single_view_summary(history)}
    return {
        **accuracy_summary(history),
        **evaluation,
        **swa,
        "final_sparsity": measured_sparsity(run.evaluated),
        "params": params,
        "training_time": training_time,
        "setup_time": setup_time,
        "device": run.device,
        # CPU results depend on it (it changes the order of floating-point sums): a rerun
        # matches bit for bit only with the same number of threads.
        "threads": torch.get_num_threads(),
        "seed": settings.seed,
        "model": MODELS[settings.model].name,
        "model_options": dict(settings.model_options),  # {"dropout": 0.1}, {"h1": 32, ...}
        "dataset": run.data.spec.name,
        "num_classes": run.data.spec.num_classes,
        "optimizer": settings.optimizer.lower(),
        "pruning_method": settings.pruning_method,
        "epochs": settings.num_epochs,
        "steps": run.steps_done,
        "acceleration": run.accel.describe(),
        "weights_sha256": weights_digest(run.evaluated),
        "history": history,
    }


def closing_line(result: dict[str, Any], training_time: float) -> str:
    """The run's last log line: the figures a person looks for first."""
    at_best, stopped = result["test_acc_at_best_val"], result["stopped"]
    tta = " (tta)" if "tta_views" in result else ""
    swa = result.get("swa_test_acc")
    return (
        f"done: test{tta} {result['test_acc']:.2f}% (best {result['best_test_acc']:.2f}%, last "
        f"{result['last3_epochs']} {result['last3_test_acc']:.2f}%"
        + (f", at best val {at_best:.2f}%" if at_best is not None else "")
        + ")"
        + (f" | swa test {swa:.2f}%" if swa is not None else "")
        + f" | sparsity {result['final_sparsity']:.4f} | {training_time:.1f}s"
        + (f" | stopped at epoch {stopped['epoch']}: {stopped['state']}" if stopped else "")
    )
