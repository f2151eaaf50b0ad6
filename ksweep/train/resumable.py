"""A training run's whole state in a checkpoint, so a restart goes on bit for bit.

A pause that exits (its memory freed) and a trial killed mid-way both come
back through here: the restarted process builds the run exactly as the
first one did (same seed, same data, same model skeleton), then loads this
state over it. That includes everything a later epoch reads: weights,
optimizer moments, the schedule's position, pruning masks (and AdamWPrune's
copies of them), movement scores, EMA and SWA averages, every random stream
(batch order, augmentation, dropout, Python and NumPy), the step counter and
the epochs' history. On the CPU with the same thread count the continuation
matches an uninterrupted run bit for bit (tests/test_trial_resume.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from ksweep.train.adamwprune import AdamWPrune

if TYPE_CHECKING:
    from ksweep.train.trainer import Run

STATE_FILE = "trainer_state.pt"


@dataclass
class Progress:
    """Where the epochs stand: what was logged, the best validation so far, time spent."""

    history: list[dict[str, Any]]
    best_val: float | None
    training_time: float
    setup_time: float

    @property
    def next_epoch(self) -> int:
        return len(self.history) + 1


def save_run(folder: Path, run: Run, progress: Progress) -> None:
    """Write the run's state and ``progress`` into the checkpoint folder being made."""
    pruner = run.pruner
    state = {
        "model": run.model.state_dict(),
        "optimizer": run.optimizer.state_dict(),
        "schedule": _schedule_state(run),
        "masks": [pruner.masks.get(param) for param in pruner.params],
        "applied_sparsity": pruner.applied_sparsity,
        "movement": [pruner.movement.get(param) for param in pruner.params],
        "ema": None if run.ema is None else (run.ema.model.state_dict(), run.ema.updates),
        "swa": None if run.swa is None else run.swa.averaged.state_dict(),
        "steps_done": run.steps_done,
        "rng": {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if run.device == "cuda" else None,
            "shuffle": run.shuffle.get_state(),
            "augment": run.augment_rng.get_state(),
            "python": random.getstate(),
            "numpy": np.random.get_state(),
        },
        "progress": {
            "history": progress.history,
            "best_val": progress.best_val,
            "training_time": progress.training_time,
            "setup_time": progress.setup_time,
        },
    }
    torch.save(state, folder / STATE_FILE)


def restore_run(folder: Path, run: Run) -> Progress:
    """Load a checkpoint written by :func:`save_run` over a freshly prepared ``run``."""
    # weights_only=False: the state holds Python's and NumPy's RNG tuples; the file is this
    # trial's own, written by this code into its own folder a moment ago.
    state = torch.load(folder / STATE_FILE, map_location=run.device, weights_only=False)
    run.model.load_state_dict(state["model"])
    run.optimizer.load_state_dict(state["optimizer"])
    _load_schedule(run, state["schedule"])
    pruner = run.pruner
    for param, mask, movement in zip(pruner.params, state["masks"], state["movement"], strict=True):
        if mask is not None:
            pruner.masks[param] = mask
            if isinstance(run.optimizer, AdamWPrune):
                run.optimizer.masks[param] = mask.to(dtype=param.dtype, device=param.device)
        if movement is not None:
            pruner.movement[param].copy_(movement)
    pruner.applied_sparsity = state["applied_sparsity"]
    if run.ema is not None and state["ema"] is not None:
        weights, updates = state["ema"]
        run.ema.model.load_state_dict(weights)
        run.ema.updates = updates
    if run.swa is not None and state["swa"] is not None:
        run.swa.averaged.load_state_dict(state["swa"])
    run.steps_done = state["steps_done"]
    rng = state["rng"]
    torch.set_rng_state(rng["torch"].cpu())
    if rng["cuda"] is not None:
        torch.cuda.set_rng_state_all([s.cpu() for s in rng["cuda"]])
    run.shuffle.set_state(rng["shuffle"].cpu())
    run.augment_rng.set_state(rng["augment"].cpu())
    random.setstate(rng["python"])
    np.random.set_state(rng["numpy"])
    saved = state["progress"]
    return Progress(
        saved["history"], saved["best_val"], saved["training_time"], saved["setup_time"]
    )


def _schedule_state(run: Run) -> dict[str, Any]:
    schedule = run.schedule
    return {
        "steps": schedule.steps,
        "per_step": None if schedule.per_step is None else schedule.per_step.state_dict(),
        "per_epoch": None if schedule.per_epoch is None else schedule.per_epoch.state_dict(),
    }


def _load_schedule(run: Run, state: dict[str, Any]) -> None:
    schedule = run.schedule
    schedule.steps = state["steps"]
    if schedule.per_step is not None and state["per_step"] is not None:
        schedule.per_step.load_state_dict(state["per_step"])
    if schedule.per_epoch is not None and state["per_epoch"] is not None:
        schedule.per_epoch.load_state_dict(state["per_epoch"])
