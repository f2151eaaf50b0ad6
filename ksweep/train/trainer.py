"""The training loop: settings in, ``metrics.jsonl`` + ``training_metrics.json`` out.

Short enough to read in one sitting. :func:`prepare` builds everything a run
needs (:class:`Run`: resident data, model, optimizer, schedule, pruner, EMA,
the step); :meth:`Run.train_epoch` does one pass of shuffled mini-batches
gathered from on-device tensors with a seeded generator; :func:`train`
evaluates the validation and test splits after every epoch and writes the
metrics files.

Validation accuracy is what a sweep should select on; test accuracy is
reported per epoch because the sweep guide ranks on it, together with
``test_acc_at_best_val`` for an unbiased pick. With CONFIG_EMA the averaged
weights are the model: evaluated, checkpointed, measured and reported. With
CONFIG_TTA every evaluation is the views' (:mod:`ksweep.train.tta`); with
CONFIG_SWA the weight average is evaluated once, after the last epoch
(:mod:`ksweep.train.swa`); CONFIG_AUGMENT_OFF_LAST_EPOCHS trains the last
epochs on the plain images.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from ksweep.sweep.atomic import write_json_atomic
from ksweep.sweep.layout import CHECKPOINT_FILE, SPECTRAL_FILE
from ksweep.train.acceleration import Acceleration, CapturedSteps, resolve_acceleration
from ksweep.train.augment import Augmentation
from ksweep.train.checkpoint import save_checkpoint
from ksweep.train.checks import settings_warnings
from ksweep.train.data import DataSplits, load_data
from ksweep.train.ema import WeightEMA
from ksweep.train.evaluation import Measurement, evaluate, weights_digest
from ksweep.train.faults import FaultInjector
from ksweep.train.model_registry import MODELS
from ksweep.train.optim import build_optimizer
from ksweep.train.outcome import TrainingDiverged, check_loss, progress_line
from ksweep.train.prune import Pruner, SparsitySchedule, measured_sparsity
from ksweep.train.resumable import Progress, restore_run, save_run
from ksweep.train.runtime import configure_threads, resolve_device, seed_everything
from ksweep.train.schedules import LrSchedule
from ksweep.train.settings import TrainSettings
from ksweep.train.spectral import top_singular_values
from ksweep.train.step import TrainStep
from ksweep.train.summary import closing_line, final_metrics, header
from ksweep.train.swa import WeightAverage, swa_metrics
from ksweep.train.tta import TestTimeAugmentation, evaluate_views
from ksweep.trial import PAUSE, STOP, Trial

__all__ = ["Run", "TrainingDiverged", "evaluate", "prepare", "train", "weights_digest"]

AUGMENT_SEED_OFFSET = 1  # the augmentation stream is seeded apart from the batch order


@dataclass
class Run:
    """Everything one training run holds, built by :func:`prepare`."""

    settings: TrainSettings
    device: str
    data: DataSplits
    model: nn.Module  # the network being trained (never the compiled wrapper)
    optimizer: torch.optim.Optimizer
    schedule: LrSchedule
    pruner: Pruner
    ema: WeightEMA | None
    faults: FaultInjector
    accel: Acceleration
    augmentation: Augmentation
    step: TrainStep
    captured: CapturedSteps | None
    shuffle: torch.Generator  # batch order
    augment_rng: torch.Generator  # augmentation draws
    swa: WeightAverage | None = None
    tta: TestTimeAugmentation | None = None
    steps_done: int = 0

    @property
    def evaluated(self) -> nn.Module:
        """The network that is evaluated, checkpointed and reported (the EMA when on)."""
        return self.ema.model if self.ema is not None else self.model

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.data.train_y) / self.settings.batch_size)

    def augments(self, epoch: int) -> bool:
        """Whether ``epoch`` trains on augmented images (augmentation on, not in the plain tail)."""
        last_augmented = self.settings.num_epochs - self.settings.augment_off_last_epochs
        return self.augmentation.active and epoch <= last_augmented

    def train_epoch(self, epoch: int) -> tuple[float, float, float]:
        """One pass over the shuffled (and, outside the plain tail, augmented) training split.

        Returns (mean loss, accuracy in percent, learning rate of the epoch's last step).
        """
        self.model.train()
        data = self.data
        if self.augments(epoch):
            self.step.x.copy_(self.augmentation.apply(data.train_x, data.black, self.augment_rng))
        elif self.augmentation.active:  # the plain tail: back to the images as loaded
            self.step.x.copy_(data.train_x)
        n, batch_size = len(data.train_y), self.settings.batch_size
        order = torch.randperm(n, generator=self.shuffle).to(data.train_y.device)
        for batch, start in enumerate(range(0, n, batch_size)):
            idx = order[start : start + batch_size]
            if start + batch_size >= n:  # read once per epoch: a tensor rate costs a sync
                last_lr = self.schedule.lr
            if self.captured is not None:
                self.captured(idx)
            else:
                self.optimizer.zero_grad(set_to_none=True)
                self.step(idx, lambda loss, b=batch: self.faults.poison(loss, epoch, b))
            self.steps_done += 1
            self.pruner.after_step(self.steps_done)
            self.schedule.after_step()
            if self.ema is not None:
                self.ema.update(self.pruner.masks)
        self.schedule.after_epoch()
        loss_sum, correct = self.step.take_totals()
        return loss_sum / n, 100.0 * correct / n, last_lr

    def evaluate(self, x: Tensor, y: Tensor, model: nn.Module | None = None) -> Measurement | None:
        """``model`` (default: the evaluated network) on ``x``, ``y``, with TTA if configured.

        None for an empty split.
        """
        if len(y) == 0:
            return None
        net, accel = model if model is not None else self.evaluated, self.accel
        if self.tta is not None:
            return evaluate_views(
                net,
                x,
                y,
                self.tta,
                self.data.black,
                bf16=accel.bf16,
                channels_last=accel.channels_last,
            )
        loss, acc = evaluate(net, x, y, bf16=accel.bf16, channels_last=accel.channels_last)
        return Measurement(loss, acc)


def prepare(settings: TrainSettings, device: str, *, say: Callable[[str], None]) -> Run:
    """Load the data and build model, optimizer, schedule, pruner, EMA and step for a run.

    Seeds must already be set (:func:`~ksweep.train.runtime.seed_everything`):
    model initialisation draws from torch's global generator.
    """
    accel, notes = resolve_acceleration(settings, device)
    for note in notes:
        say(f"warning: {note}")
    data = load_data(settings, device)
    spec = data.spec
    model = MODELS[settings.model].build(
        spec.in_channels, spec.num_classes, spec.image_size, dict(settings.model_options)
    )
    model = model.to(device)
    if accel.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = build_optimizer(settings, model, capturable=accel.graphs)
    steps_per_epoch = math.ceil(len(data.train_y) / settings.batch_size)
    schedule = LrSchedule(
        optimizer,
        settings.lr_schedule,
        total_steps=steps_per_epoch * settings.num_epochs,
        step_epochs=settings.lr_step_epochs,
        step_gamma=settings.lr_step_gamma,
        pct_start=settings.lr_pct_start,
    )
    pruner = Pruner(
        model,
        settings.pruning_method,
        SparsitySchedule(
            target=settings.target_sparsity,
            warmup_steps=settings.pruning_warmup,
            ramp_end_step=settings.pruning_ramp_end_epoch * steps_per_epoch,
        ),
        optimizer,
    )
    ema = WeightEMA(model, settings.ema_decay) if settings.ema_decay > 0 else None
    swa = (
        WeightAverage(model, settings.swa_epochs, settings.num_epochs)
        if settings.swa_epochs
        else None
    )
    tta = (
        TestTimeAugmentation(settings.tta_rotations, settings.tta_flip)
        if settings.tta_rotations
        else None
    )
    augmentation = Augmentation(
        settings.augment_rotation, settings.augment_crop_padding, settings.augment_flip
    )
    forward: Callable[[Tensor], Tensor] = torch.compile(model) if accel.compile else model
    step = TrainStep(
        forward,
        optimizer,
        [p for p in model.parameters() if p.requires_grad],
        # Augmented epochs are written into one fixed buffer (a captured step reads its address).
        data.train_x.clone() if augmentation.active else data.train_x,
        data.train_y,
        label_smoothing=settings.label_smoothing,
        grad_clip_norm=settings.grad_clip_norm,
        bf16=accel.bf16,
        channels_last=accel.channels_last,
        after_backward=pruner.after_backward if settings.pruning_method == "movement" else None,
    )
    return Run(
        settings=settings,
        device=device,
        data=data,
        model=model,
        optimizer=optimizer,
        schedule=schedule,
        pruner=pruner,
        ema=ema,
        faults=FaultInjector(settings.fault, settings.fault_epoch),
        accel=accel,
        augmentation=augmentation,
        step=step,
        captured=CapturedSteps(step, optimizer) if accel.graphs else None,
        shuffle=torch.Generator().manual_seed(settings.seed),
        augment_rng=torch.Generator().manual_seed(settings.seed + AUGMENT_SEED_OFFSET),
        swa=swa,
        tta=tta,
    )


def train(
    settings: TrainSettings,
    out_dir: str | Path | None = None,
    *,
    log: Callable[[str], None] | None = None,
    trial: Trial | None = None,
) -> dict[str, Any]:
    """Train once as ``settings`` say, as the trial ``trial`` (a plain folder ``out_dir``
    when run on its own); write the metrics files; return the final metrics.

    Every epoch is reported through the trial client, whose verdict may end
    the run there (``stopped`` says why) or pause it: then the run saves its
    whole state and exits, to be restarted from it (:mod:`ksweep.train.resumable`).
    A restarted trial goes on from its newest checkpoint. Raises
    :class:`~ksweep.train.settings.SettingsError` for problems found while
    setting up (no GPU, dataset files unavailable or too small) and
    :class:`TrainingDiverged` when a loss breaks the divergence rule; in both
    cases ``training_metrics.json`` is not written.
    """
    say = log or (lambda line: print(line, flush=True))
    if trial is None:
        if out_dir is None:
            raise ValueError("train() needs a trial or an output folder")
        trial = Trial(None, out_dir)
    trial.total_epochs = settings.num_epochs
    out = trial.folder
    for stale in (SPECTRAL_FILE, CHECKPOINT_FILE):  # never mix in an old attempt
        (out / stale).unlink(missing_ok=True)
    for note in settings_warnings(settings):
        print(f"warning: {note}", file=sys.stderr, flush=True)

    device = resolve_device(settings.device)
    configure_threads()
    seed_everything(settings.seed, device)

    setup_start = _now(device)
    run = prepare(settings, device, say=say)
    setup_time = _now(device) - setup_start
    params = sum(p.numel() for p in run.model.parameters())
    say(header(settings, run, params, setup_time))
    progress = Progress([], None, 0.0, setup_time)
    saved = trial.restore()
    if saved is not None:
        progress = restore_run(saved.path, run)
        progress.setup_time += setup_time
        say(f"resumed from the checkpoint after epoch {saved.epoch}")

    _epochs(settings, run, trial, say, progress, params)  # a stop is in trial.stopped
    history, training_time = progress.history, progress.training_time

    if settings.spectral_topk:
        write_json_atomic(
            out / SPECTRAL_FILE, top_singular_values(run.evaluated, settings.spectral_topk)
        )
    swa: dict[str, Any] = {}
    if run.swa is not None:
        accel = run.accel
        swa = swa_metrics(
            run.swa, run.evaluate, run.data, settings.batch_size, accel.bf16, accel.channels_last
        )
    result = final_metrics(settings, run, history, params, training_time, progress.setup_time, swa)
    result = trial.finish(**result)
    say(closing_line(result, training_time))
    return result


def _epochs(
    settings: TrainSettings,
    run: Run,
    trial: Trial,
    say: Callable[[str], None],
    progress: Progress,
    params: int,
) -> None:
    """Every epoch from ``progress.next_epoch``: train, evaluate, report; until the last one,
    a stop verdict (the client keeps why) or a pause verdict (checkpoint, then exit)."""
    data, classes = run.data, run.data.spec.num_classes
    history = progress.history
    for epoch in range(progress.next_epoch, settings.num_epochs + 1):
        loop_start = epoch_start = _now(run.device)
        run.faults.at_epoch_start(epoch)
        train_loss, train_acc, lr = run.train_epoch(epoch)
        check_loss(train_loss, epoch, classes)
        if run.swa is not None:
            run.swa.after_epoch(epoch, run.pruner.masks)
        val = run.evaluate(data.val_x, data.val_y)
        if val is not None:
            check_loss(val.loss, epoch, classes, "validation loss")
        test = run.evaluate(data.test_x, data.test_y)
        assert test is not None  # every dataset has a test split
        val_acc = val.acc if val else None
        record = {
            "epoch": epoch,
            "train/loss": train_loss,
            "train/acc": train_acc,
            "val/loss": val.loss if val else None,
            "val/acc": val_acc,
            "test_acc": test.acc,  # TTA's under CONFIG_TTA
            "sparsity": measured_sparsity(run.evaluated),
            "lr": lr,  # the rate of the epoch's last step
            "augmented": run.augments(epoch),
            "epoch_time": _now(run.device) - epoch_start,
        }
        if run.tta is not None:
            record["single_view_val_acc"] = val.single_view_acc if val else None
            record["single_view_test_acc"] = test.single_view_acc
        history.append(record)
        say(progress_line(record, settings.num_epochs))
        # Without a validation split every epoch counts as the best so far.
        improved = val_acc is None or progress.best_val is None or val_acc > progress.best_val
        progress.best_val = val_acc if improved else progress.best_val
        if settings.save_checkpoint and improved:
            save_checkpoint(trial.folder / CHECKPOINT_FILE, run.evaluated)
        progress.training_time += _now(run.device) - loop_start
        verdict = trial.report(epoch, **{k: v for k, v in record.items() if k != "epoch"})
        if verdict == STOP:
            return
        if epoch < settings.num_epochs and (verdict == PAUSE or trial.checkpoint_due(epoch)):
            trial.save_checkpoint(epoch, lambda folder: save_run(folder, run, progress))
        if verdict == PAUSE:
            trial.exit_paused(
                final_metrics(
                    settings,
                    run,
                    history,
                    params,
                    progress.training_time,
                    progress.setup_time,
                    {},
                )
            )


def _now(device: str) -> float:
    """Wall-clock seconds, after queued GPU work has finished (timings must include it)."""
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter()
