"""The training loop: settings in, ``metrics.jsonl`` + ``training_metrics.json`` out.

Short enough to read in one sitting. Cross-entropy, a constant learning
rate, shuffled mini-batches gathered from on-device tensors with a seeded
generator, pruning hooks around the optimizer step, and an evaluation of
the validation and test splits after every epoch.

Validation accuracy is what a sweep should select on; test accuracy is
reported per epoch because the sweep guide ranks on it, together with
``test_acc_at_best_val`` for an unbiased pick.
"""

from __future__ import annotations

import hashlib
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ksweep.models import MODELS
from ksweep.train.data import DataSplits, load_data
from ksweep.train.faults import FaultInjector
from ksweep.train.metrics import EpochLog, write_json_atomic
from ksweep.train.optim import build_optimizer
from ksweep.train.prune import Pruner, SparsitySchedule, measured_sparsity
from ksweep.train.runtime import configure_threads, resolve_device, seed_everything
from ksweep.train.settings import TrainSettings, settings_warnings

METRICS_JSONL = "metrics.jsonl"
TRAINING_METRICS = "training_metrics.json"
EVAL_BATCH = 1000  # images per forward pass when evaluating; memory-bound, not a hyperparameter


class TrainingDiverged(RuntimeError):
    """A loss became NaN or infinite; the CLI reports it and exits with status 3.

    Checked once per epoch, on the epoch's mean training loss and on the
    validation loss: NaN propagates into every later batch, so the epoch mean
    catches it, and checking per step would cost a host-device sync per step.
    """

    def __init__(self, value: float, epoch: int) -> None:
        self.value = value
        self.epoch = epoch
        kind = "nan" if math.isnan(value) else "inf"
        super().__init__(f"training diverged: loss is {kind} at epoch {epoch}")


def train(
    settings: TrainSettings,
    out_dir: str | Path,
    *,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train once as ``settings`` say; write the metrics files; return the final metrics.

    Raises :class:`~ksweep.train.settings.SettingsError` for problems found
    while setting up (no GPU, MNIST files unavailable) and
    :class:`TrainingDiverged` when a loss stops being finite; in both cases
    ``training_metrics.json`` is not written.
    """
    say = log or (lambda line: print(line, flush=True))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / TRAINING_METRICS).unlink(missing_ok=True)  # never leave a stale success marker
    for note in settings_warnings(settings):
        print(f"warning: {note}", file=sys.stderr, flush=True)

    device = resolve_device(settings.device)
    configure_threads()
    seed_everything(settings.seed, device)

    setup_start = _now(device)
    data = load_data(settings, device)
    spec = data.spec
    model = MODELS[settings.model].build(spec.in_channels, spec.num_classes, spec.image_size)
    model = model.to(device)
    optimizer = build_optimizer(settings, model)
    schedule = SparsitySchedule(
        target=settings.target_sparsity,
        warmup_steps=settings.pruning_warmup,
        ramp_end_step=settings.pruning_ramp_end_epoch * settings.steps_per_epoch,
    )
    pruner = Pruner(model, settings.pruning_method, schedule, optimizer)
    faults = FaultInjector(settings.fault, settings.fault_epoch)
    shuffle = torch.Generator().manual_seed(settings.seed)
    setup_time = _now(device) - setup_start

    params = sum(p.numel() for p in model.parameters())
    n_train, n_val, n_test = data.sizes()
    say(
        f"{MODELS[settings.model].name}: {params:,} parameters | {spec.name}: "
        f"{n_train} train / {n_val} val / {n_test} test | {settings.optimizer.lower()} "
        f"lr {settings.learning_rate:g} | pruning {settings.pruning_method} | device {device} | "
        f"seed {settings.seed} | setup {setup_time:.2f}s"
    )

    history: list[dict[str, Any]] = []
    step = 0
    loop_start = _now(device)
    with EpochLog(out / METRICS_JSONL) as epoch_log:
        for epoch in range(1, settings.num_epochs + 1):
            epoch_start = _now(device)
            faults.at_epoch_start(epoch)
            train_loss, train_acc, step = _train_epoch(
                model, optimizer, pruner, faults, data, settings.batch_size, shuffle, epoch, step
            )
            _check_finite(train_loss, epoch)
            val_loss, val_acc = evaluate(model, data.val_x, data.val_y)
            _check_finite(val_loss, epoch)
            _, test_acc = evaluate(model, data.test_x, data.test_y)
            record = {
                "epoch": epoch,
                "train/loss": train_loss,
                "train/acc": train_acc,
                "val/loss": val_loss,
                "val/acc": val_acc,
                "test_acc": 100.0 * test_acc,
                "sparsity": measured_sparsity(model),
                "lr": optimizer.param_groups[0]["lr"],
                "epoch_time": _now(device) - epoch_start,
            }
            history.append(record)
            epoch_log.write(record)
            say(_progress_line(record, settings.num_epochs))
    training_time = _now(device) - loop_start

    tests = [h["test_acc"] for h in history]
    best_val = max(history, key=lambda h: h["val/acc"])  # first epoch among ties
    result: dict[str, Any] = {
        "test_acc": tests[-1],
        "best_test_acc": max(tests),
        "last3_test_acc": sum(tests[-3:]) / len(tests[-3:]),
        "test_acc_at_best_val": best_val["test_acc"],
        "best_val_acc": best_val["val/acc"],
        "final_sparsity": measured_sparsity(model),
        "params": params,
        "training_time": training_time,
        "setup_time": setup_time,
        "device": device,
        "seed": settings.seed,
        "model": MODELS[settings.model].name,
        "dataset": spec.name,
        "optimizer": settings.optimizer.lower(),
        "pruning_method": settings.pruning_method,
        "epochs": settings.num_epochs,
        "weights_sha256": weights_digest(model),
        "history": history,
    }
    write_json_atomic(out / TRAINING_METRICS, result)
    say(
        f"done: test {result['test_acc']:.2f}% (best {result['best_test_acc']:.2f}%, "
        f"at best val {result['test_acc_at_best_val']:.2f}%) | sparsity "
        f"{result['final_sparsity']:.4f} | {training_time:.1f}s"
    )
    return result


def _train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    pruner: Pruner,
    faults: FaultInjector,
    data: DataSplits,
    batch_size: int,
    shuffle: torch.Generator,
    epoch: int,
    step: int,
) -> tuple[float, float, int]:
    """One pass over the shuffled training split; (mean loss, accuracy, steps so far)."""
    model.train()
    n = len(data.train_y)
    order = torch.randperm(n, generator=shuffle).to(data.train_y.device)
    loss_sum = torch.zeros((), device=data.train_y.device)
    correct = torch.zeros((), dtype=torch.long, device=data.train_y.device)
    for batch, start in enumerate(range(0, n, batch_size)):
        idx = order[start : start + batch_size]
        x, y = data.train_x[idx], data.train_y[idx]
        logits = model(x)
        loss = faults.poison(F.cross_entropy(logits, y), epoch, batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        pruner.after_backward()
        optimizer.step()
        step += 1
        pruner.after_step(step)
        # Accumulate on the device: one host sync per epoch, not per step.
        loss_sum += loss.detach() * len(idx)
        correct += (logits.detach().argmax(dim=1) == y).sum()
    return loss_sum.item() / n, correct.item() / n, step


@torch.no_grad()
def evaluate(model: nn.Module, x: Tensor, y: Tensor) -> tuple[float, float]:
    """(mean cross-entropy, accuracy fraction) of ``model`` in eval mode on ``x``, ``y``."""
    model.eval()
    loss_sum = torch.zeros((), device=y.device)
    correct = torch.zeros((), dtype=torch.long, device=y.device)
    for start in range(0, len(y), EVAL_BATCH):
        logits = model(x[start : start + EVAL_BATCH])
        target = y[start : start + EVAL_BATCH]
        loss_sum += F.cross_entropy(logits, target, reduction="sum")
        correct += (logits.argmax(dim=1) == target).sum()
    return loss_sum.item() / len(y), correct.item() / len(y)


def weights_digest(model: nn.Module) -> str:
    """SHA-256 over every state-dict tensor (names, shapes, bytes): a run's exact outcome.

    Same seed on the CPU gives the same digest, so it doubles as a
    reproducibility check between runs and as a fingerprint in tests.
    """
    digest = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        data = tensor.detach().to("cpu").contiguous()
        digest.update(f"{name}:{tuple(data.shape)}:{data.dtype}".encode())
        digest.update(data.numpy().tobytes() if data.numel() else b"")
    return digest.hexdigest()


def _check_finite(loss: float, epoch: int) -> None:
    if not math.isfinite(loss):
        raise TrainingDiverged(loss, epoch)


def _now(device: str) -> float:
    """Wall-clock seconds, after queued GPU work has finished (timings must include it)."""
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter()


def _progress_line(record: dict[str, Any], epochs: int) -> str:
    width = len(str(epochs))
    return (
        f"epoch {record['epoch']:>{width}}/{epochs} | train loss {record['train/loss']:.4f} "
        f"acc {100 * record['train/acc']:6.2f}% | val loss {record['val/loss']:.4f} "
        f"acc {100 * record['val/acc']:6.2f}% | test {record['test_acc']:6.2f}% | "
        f"sparsity {record['sparsity']:.3f} | lr {record['lr']:.3g} | "
        f"{record['epoch_time']:.2f}s"
    )
