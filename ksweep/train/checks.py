"""Checks across symbols: what no single value shows, and what only weakens a run.

:func:`cross_problems` finds configurations training must refuse (a model
that cannot take the dataset's images, a batch larger than the training
set, missing dataset files, a combination :mod:`ksweep.train.rules`
forbids); :func:`settings_warnings` finds legal ones that probably do not do
what their names promise (a pruning schedule that never prunes). Both name
the symbols involved, so the sweep generator can point at the line to change.
Stand-in values left by an unreadable symbol (an empty model name, say) are
skipped, never judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ksweep.train.catalog import DATASETS, DatasetSpec, missing_files_message
from ksweep.train.model_registry import MODELS
from ksweep.train.problems import Problem
from ksweep.train.rules import check_rules

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ksweep.train.settings import TrainSettings


def cross_problems(
    values: Mapping[str, str], fields: Mapping[str, Any], allow_download: bool
) -> list[Problem]:
    """Every reason these settings cannot train, beyond the single values' own checks."""
    problems = [Problem(rule.message, rule.symbols) for rule in check_rules(values)]
    fault, fault_epoch, epochs = fields["fault"], fields["fault_epoch"], fields["num_epochs"]
    if fault_epoch > epochs:
        problems.append(
            Problem(
                f"CONFIG_DEBUG_FAULT_EPOCH must not exceed CONFIG_NUM_EPOCHS, or the "
                f'"{fault}" fault never fires; found {fault_epoch} > {epochs}; fix: lower it',
                ("DEBUG_FAULT_EPOCH", "NUM_EPOCHS"),
            )
        )
    model, dataset = fields["model"], fields["dataset"]
    if not (model and dataset):
        return problems
    spec = DATASETS[dataset]
    fit = MODELS[model].fit_problem(spec.in_channels, spec.image_size)
    if fit is not None:
        problems.append(
            Problem(
                f"CONFIG_MODEL_SELECT_{model} must fit CONFIG_DATASET_SELECT_{dataset}: {fit}; "
                "fix: pick another model or dataset",
                ("MODEL_SELECT", "DATASET_SELECT"),
            )
        )
    problems += size_problems(
        spec, fields["data_subset"], fields["batch_size"], fields["val_fraction"]
    )
    if spec.files:
        problems += data_dir_problems(spec, fields["data_dir"], allow_download)
    return problems


def size_problems(
    spec: DatasetSpec, subset: int, batch_size: int, val_fraction: float
) -> list[Problem]:
    """Subset and batch size against the training images ``spec`` leaves for fitting.

    Used twice with the same words: on the catalog's standard sizes before any
    data is read, and again by the loader on the sizes the files actually hold.
    """
    fit = spec.fit_size(val_fraction)
    if subset > fit:
        return [
            Problem(
                f"CONFIG_DATA_SUBSET must not exceed the {fit} training images of "
                f"{spec.name} (after holding out {spec.val_size(val_fraction)} for validation), "
                f"found {subset}; fix: use 0 for all of them or a smaller number",
                ("DATA_SUBSET", "VAL_FRACTION"),
            )
        ]
    n_train = spec.train_size(subset, val_fraction)
    if batch_size > n_train:
        return [
            Problem(
                f"CONFIG_BATCH_SIZE must not exceed the {n_train} training images of this run "
                f"({spec.name}, CONFIG_DATA_SUBSET={subset}, CONFIG_VAL_FRACTION={val_fraction:g}),"
                f" found {batch_size}; fix: lower the batch size or train on more images",
                ("BATCH_SIZE", "DATA_SUBSET", "VAL_FRACTION"),
            )
        ]
    return []


def data_dir_problems(spec: DatasetSpec, data_dir: str, allow_download: bool) -> list[Problem]:
    """The dataset directory must exist as a folder and, offline, hold the files."""
    where = ("DATA_DIR", "DATASET_SELECT")
    if not data_dir:
        return [
            Problem(
                f'CONFIG_DATA_DIR must name the {spec.title} directory, found ""; '
                'fix: set it, e.g. CONFIG_DATA_DIR="data"',
                where,
            )
        ]
    if Path(data_dir).exists() and not Path(data_dir).is_dir():
        return [
            Problem(
                f"CONFIG_DATA_DIR must be a directory, found the file {data_dir!r}; "
                f"fix: point it at the directory holding the {spec.title} files",
                where,
            )
        ]
    if not allow_download:
        _, missing = spec.find_files(data_dir)
        if missing:
            reason = "downloading is off; ALLOW_DOWNLOAD=1 lets the trials download them"
            return [Problem(missing_files_message(spec, data_dir, missing, reason), where)]
    return []


def settings_warnings(settings: TrainSettings) -> list[Problem]:
    """Legal but probably unintended settings, worth a line before training.

    A step schedule that never steps; an augmentation tail, SWA window or TTA
    that cannot do what its name suggests, or mirrors digits; pruning
    schedules that cannot do what the names suggest. They are warnings, not
    errors: a quick 1-epoch run of a long recipe must still work, and the
    measured figures (``final_sparsity``, each epoch's ``augmented``) then
    show honestly what happened. Each names its numbers.
    """
    notes: list[Problem] = []
    if settings.lr_schedule == "step" and settings.lr_step_epochs >= settings.num_epochs:
        notes.append(
            Problem(
                f"CONFIG_LR_STEP_EPOCHS={settings.lr_step_epochs} is not below "
                f"CONFIG_NUM_EPOCHS={settings.num_epochs}, so the step schedule never decays "
                "the learning rate",
                ("LR_STEP_EPOCHS", "NUM_EPOCHS"),
            )
        )
    notes += _augmentation_warnings(settings) + _averaging_and_tta_warnings(settings)
    if settings.pruning_method == "none":
        return notes
    return notes + _pruning_warnings(settings)


def _augmentation_warnings(s: TrainSettings) -> list[Problem]:
    found: list[Problem] = []
    augments = s.augment_rotation > 0 or s.augment_crop_padding > 0 or s.augment_flip
    tail, epochs = s.augment_off_last_epochs, s.num_epochs
    if tail and not augments:
        found.append(
            Problem(
                f"CONFIG_AUGMENT_OFF_LAST_EPOCHS={tail} has no effect: no augmentation is on "
                "(CONFIG_AUGMENT_ROTATION, CONFIG_AUGMENT_CROP_PADDING and CONFIG_AUGMENT_FLIP "
                "are all off)",
                ("AUGMENT_OFF_LAST_EPOCHS", "AUGMENT_ROTATION"),
            )
        )
    elif tail >= epochs and augments:
        found.append(
            Problem(
                f"CONFIG_AUGMENT_OFF_LAST_EPOCHS={tail} is not below CONFIG_NUM_EPOCHS={epochs}, "
                "so no epoch is augmented; fix: a tail shorter than the run, e.g. "
                f"{max(1, min(3, epochs - 1))}",
                ("AUGMENT_OFF_LAST_EPOCHS", "NUM_EPOCHS"),
            )
        )
    if s.augment_flip and not s.dataset_spec.mirror_invariant:
        found.append(
            Problem(
                f"CONFIG_AUGMENT_FLIP=y trains on mirrored {s.dataset_spec.title} images, whose "
                "classes change under mirroring (a mirrored digit is no digit)",
                ("AUGMENT_FLIP", "DATASET_SELECT"),
            )
        )
    return found


def _averaging_and_tta_warnings(s: TrainSettings) -> list[Problem]:
    found: list[Problem] = []
    if s.swa_epochs > s.num_epochs:
        found.append(
            Problem(
                f"CONFIG_SWA_EPOCHS={s.swa_epochs} is more than CONFIG_NUM_EPOCHS={s.num_epochs}, "
                f"so SWA averages all {s.num_epochs} epochs, the first ones from near the random "
                f"initialisation; fix: at most {s.num_epochs}, usually the last few",
                ("SWA_EPOCHS", "NUM_EPOCHS"),
            )
        )
    if s.tta_rotations == (0.0,) and not s.tta_flip:
        found.append(
            Problem(
                'CONFIG_TTA=y with CONFIG_TTA_ROTATIONS="0" and no flip evaluates the plain image '
                'only, so TTA changes nothing; fix: add angles, e.g. "-3,0,3"',
                ("TTA_ROTATIONS", "TTA"),
            )
        )
    if s.tta_flip and not s.dataset_spec.mirror_invariant:
        found.append(
            Problem(
                f"CONFIG_TTA_FLIP=y averages over mirrored {s.dataset_spec.title} images, whose "
                "classes change under mirroring (a mirrored digit is no digit); fix: "
                "CONFIG_TTA_FLIP=n",
                ("TTA_FLIP", "DATASET_SELECT"),
            )
        )
    return found


def _pruning_warnings(s: TrainSettings) -> list[Problem]:
    ramp_end_step = s.pruning_ramp_end_epoch * s.steps_per_epoch
    target = f"CONFIG_TARGET_SPARSITY={s.target_sparsity:g}"
    steps = f"{s.total_steps} steps = {s.num_epochs} epochs x {s.steps_per_epoch}"
    found: list[Problem] = []
    if s.pruning_warmup >= s.total_steps:
        found.append(
            Problem(
                f"CONFIG_PRUNING_WARMUP={s.pruning_warmup} steps is not before the end of "
                f"training ({steps}), so no weight is ever pruned: final sparsity will be 0 "
                f"against {target}; fix: a warmup below {s.total_steps} steps, or more epochs",
                ("PRUNING_WARMUP", "NUM_EPOCHS"),
            )
        )
    elif s.pruning_warmup >= ramp_end_step:
        found.append(
            Problem(
                f"CONFIG_PRUNING_WARMUP={s.pruning_warmup} steps is not before the end of "
                f"CONFIG_PRUNING_RAMP_END_EPOCH={s.pruning_ramp_end_epoch} (step {ramp_end_step}"
                f" of {steps}), so there is no ramp: sparsity jumps to {s.target_sparsity:g} "
                f"at step {s.pruning_warmup + 1}",
                ("PRUNING_WARMUP", "PRUNING_RAMP_END_EPOCH"),
            )
        )
    if s.pruning_ramp_end_epoch > s.num_epochs:
        found.append(
            Problem(
                f"CONFIG_PRUNING_RAMP_END_EPOCH={s.pruning_ramp_end_epoch} is after the last "
                f"epoch (CONFIG_NUM_EPOCHS={s.num_epochs}), so training stops before sparsity "
                f"reaches {target}; fix: end the ramp by epoch {s.num_epochs}",
                ("PRUNING_RAMP_END_EPOCH", "NUM_EPOCHS"),
            )
        )
    return found
