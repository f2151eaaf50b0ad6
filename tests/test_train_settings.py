"""settings_from_config: resolved configs in, typed settings or clear errors out."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest_train import MNIST_DIR, REPO_ROOT, requires_mnist, resolved_values, write_config

from ksweep.cli import main
from ksweep.train.checks import settings_warnings
from ksweep.train.data import load_data
from ksweep.train.model_registry import MODELS, ModelSpec
from ksweep.train.rules import check_rules
from ksweep.train.runtime import configure_threads, resolve_device
from ksweep.train.settings import SettingsError, settings_from_config

# --- valid configs -> settings ---------------------------------------------------------------

VALID = [
    pytest.param(
        {},
        {
            "model": "LENET5",
            "dataset": "DIGITS",
            "optimizer": "ADAMWPRUNE",
            "learning_rate": 0.001,
            "weight_decay": 0.01,
            "beta1": 0.9,
            "beta2": 0.999,
            "amsgrad": False,
            "pruning_method": "state",
            "target_sparsity": 0.7,
            "pruning_warmup": 100,
            "pruning_ramp_end_epoch": 8,
            "num_epochs": 10,
            "batch_size": 128,
            "seed": 0,
            "device": "auto",
            "fault": "none",
            "fault_epoch": 0,
            "data_subset": 0,
        },
        id="defaults",
    ),
    pytest.param(
        {"OPTIMIZER_SELECT_SGD": "y", "MOMENTUM": "0.8", "WEIGHT_DECAY": "0.0005"},
        {
            "optimizer": "SGD",
            "learning_rate": 0.01,
            "momentum": 0.8,
            "weight_decay": 0.0005,
            "pruning_method": "none",
            "target_sparsity": 0.0,
        },
        id="sgd",
    ),
    pytest.param(
        {"OPTIMIZER_SELECT_ADAMW": "y", "PRUNING_METHOD": "movement", "TARGET_SPARSITY": "0.5"},
        {"optimizer": "ADAMW", "weight_decay": 0.01, "momentum": 0.0, "target_sparsity": 0.5},
        id="adamw-movement",
    ),
    pytest.param(
        {
            "ADAMWPRUNE_BETA1": "0.87",
            "ADAMWPRUNE_BETA2": "0.99",
            "ADAMWPRUNE_WEIGHT_DECAY": "0.05",
            "ADAMWPRUNE_AMSGRAD": "y",
        },
        {"beta1": 0.87, "beta2": 0.99, "weight_decay": 0.05, "amsgrad": True},
        id="adamwprune-hyperparameters",
    ),
    pytest.param(
        {"MODEL_SELECT_MNIST8K": "y", "DATA_SUBSET": "64", "BATCH_SIZE": "64"},
        {"model": "MNIST8K", "data_subset": 64, "batch_size": 64},
        id="subset-equals-batch",
    ),
    pytest.param(
        {"DEBUG_FAULT": "nan", "DEBUG_FAULT_EPOCH": "3"},
        {"fault": "nan", "fault_epoch": 3},
        id="fault",
    ),
    pytest.param(
        {},
        {
            "val_fraction": 0.1,
            "augment_rotation": 0.0,
            "augment_crop_padding": 0,
            "augment_flip": False,
            "lr_schedule": "none",
            "label_smoothing": 0.0,
            "grad_clip_norm": 0.0,
            "ema_decay": 0.0,
            "nesterov": False,
            "save_checkpoint": False,
            "spectral_topk": 0,
            "cuda_graphs": False,
            "model_options": (),
            "augment_off_last_epochs": 0,
            "swa_epochs": 0,
            "tta_rotations": (),
            "tta_flip": False,
        },
        id="new-symbols-default-to-the-old-behaviour",
    ),
    pytest.param(
        {
            "TTA": "y",
            "TTA_ROTATIONS": "-2, 0, +2.5",
            "SWA": "y",
            "SWA_EPOCHS": "3",
            "AUGMENT_ROTATION": "7",
            "AUGMENT_OFF_LAST_EPOCHS": "2",
            "MODEL_SELECT_MNIST8K": "y",
            "MNIST8K_DROPOUT": "0.1",
        },
        {
            "tta_rotations": (-2.0, 0.0, 2.5),
            "tta_flip": False,
            "swa_epochs": 3,
            "augment_off_last_epochs": 2,
            "model_options": (("dropout", 0.1),),
        },
        id="playground-options",
    ),
    pytest.param(
        {"DATASET_SELECT_CIFAR10": "y", "TTA": "y", "MODEL_SELECT_TINYCNN": "y"},
        {"tta_rotations": (-3.0, 0.0, 3.0), "tta_flip": True, "model_options": (("dropout", 0.0),)},
        id="tta-flips-cifar-by-default",
    ),
    pytest.param(
        {
            "OPTIMIZER_SELECT_SGD": "y",
            "NESTEROV": "y",
            "LR_SCHEDULE": "onecycle",
            "LR_PCT_START": "0.3",
            "LABEL_SMOOTHING": "0.05",
            "EMA": "y",
            "EMA_DECAY": "0.99",
            "GRAD_CLIP_NORM": "2",
            "SPECTRAL_DIAG": "y",
            "SPECTRAL_TOPK": "7",
        },
        {
            "nesterov": True,
            "lr_schedule": "onecycle",
            "lr_pct_start": 0.3,
            "label_smoothing": 0.05,
            "ema_decay": 0.99,
            "grad_clip_norm": 2.0,
            "spectral_topk": 7,
        },
        id="recipe-symbols",
    ),
    pytest.param(
        {"LR_SCHEDULE": "step", "LR_STEP_EPOCHS": "3", "LR_STEP_GAMMA": "0.2"},
        {"lr_step_epochs": 3, "lr_step_gamma": 0.2},
        id="step-schedule",
    ),
    pytest.param(
        {
            "MODEL_SELECT_SMALL_RESNET": "y",
            "SMALL_RESNET_H1": "16",
            "SMALL_RESNET_H2": "0",
            "SMALL_RESNET_DROPOUT": "0.25",
        },
        {"model": "SMALL_RESNET", "model_options": (("h1", 16), ("h2", 0), ("p_drop", 0.25))},
        id="model-options",
    ),
    pytest.param(
        {"DATASET_SELECT_CIFAR100": "y", "DATA_SUBSET": "45000", "VAL_FRACTION": "0.1"},
        {"dataset": "CIFAR100", "augment_crop_padding": 4, "augment_flip": True},
        id="cifar-defaults",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), VALID)
def test_valid_config(tmp_path: Path, overrides: dict, expected: dict) -> None:
    settings = settings_from_config(resolved_values(tmp_path, overrides))
    for field, value in expected.items():
        assert getattr(settings, field) == value, field


def test_derived_sizes_match_the_loaded_data(tmp_path: Path) -> None:
    settings = settings_from_config(resolved_values(tmp_path, {"BATCH_SIZE": "100"}))
    assert (settings.train_size, settings.steps_per_epoch, settings.total_steps) == (1293, 13, 130)
    data = load_data(settings, "cpu")
    assert data.sizes() == (1293, 144, 360)
    assert data.train_x.shape == (1293, 1, 28, 28)


@requires_mnist
def test_mnist_from_the_shared_directory(tmp_path: Path) -> None:
    overrides = {"DATASET_SELECT_MNIST": "y", "DATA_DIR": str(MNIST_DIR)}
    settings = settings_from_config(resolved_values(tmp_path, overrides), allow_download=False)
    assert (settings.dataset, settings.train_size) == ("MNIST", 54000)


def test_warning_for_a_step_schedule_that_never_steps(tmp_path: Path) -> None:
    overrides = {"LR_SCHEDULE": "step", "LR_STEP_EPOCHS": "10", "PRUNING_METHOD": "none"}
    settings = settings_from_config(resolved_values(tmp_path, overrides))
    assert [w.message for w in settings_warnings(settings)] == [
        "CONFIG_LR_STEP_EPOCHS=10 is not below CONFIG_NUM_EPOCHS=10, so the step schedule "
        "never decays the learning rate"
    ]


def test_nesterov_without_momentum_is_skipped_by_the_generator_rules() -> None:
    found = check_rules({"OPTIMIZER_SELECT_SGD": "y", "MOMENTUM": "0.0", "NESTEROV": "y"})
    assert [r.symbols for r in found] == [("NESTEROV", "MOMENTUM")]
    assert not check_rules({"OPTIMIZER_SELECT_SGD": "y", "MOMENTUM": "0.9", "NESTEROV": "y"})


def test_warnings_for_schedules_that_cannot_prune_as_named(tmp_path: Path) -> None:
    default = settings_from_config(resolved_values(tmp_path, {}))
    assert "there is no ramp" in settings_warnings(default)[0].message
    short = settings_from_config(resolved_values(tmp_path, {"NUM_EPOCHS": "1"}))
    assert "no weight is ever pruned" in settings_warnings(short)[0].message


WARNINGS = [
    pytest.param(
        {"AUGMENT_ROTATION": "7", "NUM_EPOCHS": "3", "AUGMENT_OFF_LAST_EPOCHS": "3"},
        "CONFIG_AUGMENT_OFF_LAST_EPOCHS=3 is not below CONFIG_NUM_EPOCHS=3, so no epoch is "
        "augmented; fix: a tail shorter than the run, e.g. 2",
        ("AUGMENT_OFF_LAST_EPOCHS", "NUM_EPOCHS"),
        id="tail-as-long-as-the-run",
    ),
    pytest.param(
        {"AUGMENT_OFF_LAST_EPOCHS": "2"},
        "CONFIG_AUGMENT_OFF_LAST_EPOCHS=2 has no effect: no augmentation is on",
        ("AUGMENT_OFF_LAST_EPOCHS", "AUGMENT_ROTATION"),
        id="tail-without-augmentation",
    ),
    pytest.param(
        {"SWA": "y", "SWA_EPOCHS": "12"},
        "CONFIG_SWA_EPOCHS=12 is more than CONFIG_NUM_EPOCHS=10, so SWA averages all 10 epochs",
        ("SWA_EPOCHS", "NUM_EPOCHS"),
        id="swa-window-longer-than-the-run",
    ),
    pytest.param(
        {"TTA": "y", "TTA_FLIP": "y"},
        "CONFIG_TTA_FLIP=y averages over mirrored digits images, whose classes change under "
        "mirroring (a mirrored digit is no digit); fix: CONFIG_TTA_FLIP=n",
        ("TTA_FLIP", "DATASET_SELECT"),
        id="tta-flips-digits",
    ),
    pytest.param(
        {"AUGMENT_FLIP": "y"},
        "CONFIG_AUGMENT_FLIP=y trains on mirrored digits images",
        ("AUGMENT_FLIP", "DATASET_SELECT"),
        id="augment-flips-digits",
    ),
    pytest.param(
        {"TTA": "y", "TTA_ROTATIONS": "0"},
        'CONFIG_TTA=y with CONFIG_TTA_ROTATIONS="0" and no flip evaluates the plain image only',
        ("TTA_ROTATIONS", "TTA"),
        id="tta-with-one-plain-view",
    ),
]


@pytest.mark.parametrize(("overrides", "message", "symbols"), WARNINGS)
def test_warnings_for_late_training_options(
    tmp_path: Path, overrides: dict, message: str, symbols: tuple[str, ...]
) -> None:
    base = {"PRUNING_METHOD": "none", **overrides}  # no pruning warnings in the way
    found = settings_warnings(settings_from_config(resolved_values(tmp_path, base)))
    assert [(w.symbols, message in w.message) for w in found] == [(symbols, True)], found


def test_no_warning_for_the_playground_recipe_or_cifar_flips(tmp_path: Path) -> None:
    recipe = {
        "PRUNING_METHOD": "none",
        "AUGMENT_ROTATION": "7",
        "NUM_EPOCHS": "15",
        "AUGMENT_OFF_LAST_EPOCHS": "2",
        "SWA": "y",
        "TTA": "y",
    }
    assert settings_warnings(settings_from_config(resolved_values(tmp_path, recipe))) == []
    cifar = {"PRUNING_METHOD": "none", "DATASET_SELECT_CIFAR10": "y", "TTA": "y"}
    assert settings_warnings(settings_from_config(resolved_values(tmp_path, cifar))) == []


# --- bad configs -> SettingsError -------------------------------------------------------------

BAD = [
    pytest.param(
        {"OPTIMIZER_SELECT_ADAM": "y", "PRUNING_METHOD": "state"},
        "state pruning scores weights from AdamWPrune's moments, but the optimizer is ADAM; "
        "use CONFIG_OPTIMIZER_SELECT_ADAMWPRUNE=y",
        id="state-without-adamwprune",
    ),
    pytest.param(
        {"LEARNING_RATE": "20"},
        "20 is outside CONFIG_LEARNING_RATE's allowed interval (0, 10]",
        id="lr-too-high",
    ),
    pytest.param(
        {"LEARNING_RATE": "0"},
        "0 is outside CONFIG_LEARNING_RATE's allowed interval (0, 10]",
        id="lr-zero",
    ),
    pytest.param({"LEARNING_RATE": "fast"}, "'fast' is not a number", id="lr-not-a-number"),
    pytest.param(
        {"TARGET_SPARSITY": "1.0"},
        "CONFIG_TARGET_SPARSITY: 1.0 is outside CONFIG_TARGET_SPARSITY's allowed interval",
        id="sparsity-out-of-bounds",
    ),
    pytest.param(
        {"PRUNING_METHOD": "random"}, '"random" is not one of "none", "magnitude"', id="bad-enum"
    ),
    pytest.param(
        {"BATCH_SIZE": "2000"},
        "CONFIG_BATCH_SIZE must not exceed the 1293 training images of this run "
        "(digits, CONFIG_DATA_SUBSET=0, CONFIG_VAL_FRACTION=0.1), found 2000",
        id="batch-larger-than-train-set",
    ),
    pytest.param(
        {"DATA_SUBSET": "100", "BATCH_SIZE": "128"},
        "CONFIG_BATCH_SIZE must not exceed the 100 training images",
        id="batch-larger-than-subset",
    ),
    pytest.param(
        {"DATA_SUBSET": "1500"},
        "CONFIG_DATA_SUBSET must not exceed the 1293 training images of digits",
        id="subset-larger-than-train-set",
    ),
    pytest.param(
        {"DEBUG_FAULT": "crash", "DEBUG_FAULT_EPOCH": "11"},
        "CONFIG_DEBUG_FAULT_EPOCH must not exceed CONFIG_NUM_EPOCHS",
        id="fault-after-last-epoch",
    ),
]


BAD += [
    pytest.param(
        {"OPTIMIZER_SELECT_SGD": "y", "MOMENTUM": "0", "NESTEROV": "y"},
        "Nesterov momentum needs momentum: CONFIG_NESTEROV=y with CONFIG_MOMENTUM=0",
        id="nesterov-without-momentum",
    ),
    pytest.param(
        {"LABEL_SMOOTHING": "0.6"},
        "0.6 is outside CONFIG_LABEL_SMOOTHING's allowed interval [0, 0.5]",
        id="smoothing",
    ),
    pytest.param(
        {"VAL_FRACTION": "0.75"},
        "0.75 is outside CONFIG_VAL_FRACTION's allowed interval [0, 0.5]",
        id="val-fraction",
    ),
    pytest.param({"LR_SCHEDULE": "linear"}, '"linear" is not one of "none", "step"', id="schedule"),
    pytest.param(
        {"EMA": "y", "EMA_DECAY": "1"},
        "1 is outside CONFIG_EMA_DECAY's allowed interval [0, 1)",
        id="ema-decay",
    ),
    pytest.param(
        {"DATASET_SELECT_CIFAR10": "y", "DATA_SUBSET": "46000"},
        "CONFIG_DATA_SUBSET must not exceed the 45000 training images of cifar10 "
        "(after holding out 5000 for validation), found 46000",
        id="subset-larger-than-cifar",
    ),
    pytest.param(
        {"VAL_FRACTION": "0.5", "BATCH_SIZE": "800"},
        "CONFIG_BATCH_SIZE must not exceed the 718 training images",
        id="batch-larger-than-what-validation-leaves",
    ),
    pytest.param(
        {"TTA": "y", "TTA_ROTATIONS": "-3,zero,3"},
        "CONFIG_TTA_ROTATIONS must list angles in degrees from -180 to 180, separated by "
        "commas, found '-3,zero,3'",
        id="tta-rotation-not-a-number",
    ),
    pytest.param(
        {"TTA": "y", "TTA_ROTATIONS": "0,270"},
        "CONFIG_TTA_ROTATIONS must list angles in degrees from -180 to 180",
        id="tta-rotation-too-large",
    ),
    pytest.param(
        {"TTA": "y", "TTA_ROTATIONS": ""},
        "CONFIG_TTA_ROTATIONS must list angles in degrees",
        id="tta-without-views",
    ),
    pytest.param(
        {"TTA": "y", "TTA_ROTATIONS": "3,-3,3.0"},
        "CONFIG_TTA_ROTATIONS must not repeat an angle",
        id="tta-rotation-twice",
    ),
    pytest.param(
        {"MODEL_SELECT_MNIST8K": "y", "MNIST8K_DROPOUT": "1"},
        "1 is outside CONFIG_MNIST8K_DROPOUT's allowed interval [0, 1)",
        id="dropout-one",
    ),
]


@pytest.mark.parametrize(("overrides", "message"), BAD)
def test_bad_config(tmp_path: Path, overrides: dict, message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from_config(resolved_values(tmp_path, overrides))
    assert message in str(caught.value)
    assert str(caught.value).startswith("error: ")


def test_a_model_whose_input_does_not_fit_the_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked before any data is read: a model taking 28x28 only, asked to train on CIFAR."""
    monkeypatch.setitem(MODELS, "ONLY28", ModelSpec("ONLY28", "lenet5", "28x28", (28,)))
    values = resolved_values(tmp_path, {"DATASET_SELECT_CIFAR10": "y"})
    values.update(MODEL_SELECT_LENET5="n", MODEL_SELECT_ONLY28="y")
    with pytest.raises(SettingsError) as caught:
        settings_from_config(values, allow_download=True)
    assert caught.value.problems == [
        "CONFIG_MODEL_SELECT_ONLY28 must fit CONFIG_DATASET_SELECT_CIFAR10: only28 takes 28x28 "
        "images, the dataset has 32x32; fix: pick another model or dataset"
    ]


def test_mnist_with_an_empty_data_dir_offline(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    values = resolved_values(tmp_path, {"DATASET_SELECT_MNIST": "y", "DATA_DIR": str(empty)})
    with pytest.raises(SettingsError) as caught:
        settings_from_config(values, allow_download=False)
    text = str(caught.value)
    assert f"CONFIG_DATA_DIR={str(empty)!r}" in text
    for name in ("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        assert name in text
    assert "downloading is off" in text and "fix:" in text


def test_mnist_with_a_corrupt_file_is_a_settings_error(tmp_path: Path) -> None:
    """Files present but unreadable: validation passes, loading reports it (no download)."""
    data_dir = tmp_path / "mnist"
    data_dir.mkdir()
    for name in (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    ):
        with gzip.open(data_dir / f"{name}.gz", "wb") as handle:
            handle.write(b"not an idx file")
    values = resolved_values(tmp_path, {"DATASET_SELECT_MNIST": "y", "DATA_DIR": str(data_dir)})
    settings = settings_from_config(values, allow_download=False)
    with pytest.raises(SettingsError, match="must be a standard MNIST idx file"):
        load_data(settings, "cpu")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    overrides = {
        "LEARNING_RATE": "-1",
        "BATCH_SIZE": "5000",
        "OPTIMIZER_SELECT_SGD": "y",
        "PRUNING_METHOD": "state",
    }
    values = resolved_values(tmp_path, overrides)
    with pytest.raises(SettingsError) as caught:
        settings_from_config(values)
    assert len(caught.value.problems) == 3, caught.value.problems


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda v: v.pop("NUM_EPOCHS"), "CONFIG_NUM_EPOCHS must be set"),
        (lambda v: v.update(MODEL_SELECT_MNIST8K="y"), "exactly one of CONFIG_MODEL_SELECT_"),
        (
            lambda v: v.update(MODEL_SELECT_LENET5="n", MODEL_SELECT_VGG="y"),
            "CONFIG_MODEL_SELECT_VGG=y names no known option",
        ),
        (lambda v: v.update(NUM_EPOCHS="ten"), "CONFIG_NUM_EPOCHS must be an integer"),
        (lambda v: v.update(NUM_EPOCHS="0"), "CONFIG_NUM_EPOCHS must be at least 1"),
        (lambda v: v.update(ADAMWPRUNE_AMSGRAD="m"), "CONFIG_ADAMWPRUNE_AMSGRAD must be y or n"),
    ],
)
def test_malformed_files(tmp_path: Path, edit, message: str) -> None:
    """Configs not written by kconfiglib (hand-edited, truncated) are caught too."""
    values = resolved_values(tmp_path, {})
    edit(values)
    with pytest.raises(SettingsError, match=message):
        settings_from_config(values)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is visible")
def test_cuda_requested_without_a_gpu() -> None:
    with pytest.raises(SettingsError, match='CONFIG_DEVICE="cuda" needs a visible CUDA GPU'):
        resolve_device("cuda")
    assert resolve_device("auto") == "cpu"


def test_bad_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSWEEP_THREADS", "many")
    with pytest.raises(SettingsError, match="KSWEEP_THREADS must be a positive integer"):
        configure_threads()


# --- the CLI's exit status 2 ------------------------------------------------------------------


def _run_cli(config: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ksweep.train", "--config", str(config), "--out", str(out), *extra],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_cli_exits_2_on_bad_value_without_traceback(tmp_path: Path) -> None:
    config = write_config(tmp_path / "config", {"LEARNING_RATE": "20", "BATCH_SIZE": "4096"})
    proc = _run_cli(config, tmp_path / "out")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("error: ") for line in lines), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "training_metrics.json").exists()


@pytest.mark.slow
def test_cli_exits_2_on_missing_mnist_offline(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "config", {"DATASET_SELECT_MNIST": "y", "DATA_DIR": str(tmp_path / "nowhere")}
    )
    proc = _run_cli(config, tmp_path / "out", "--offline")
    assert proc.returncode == 2, proc.stderr
    assert "MNIST needs its four idx files" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_cli_exits_2_on_unreadable_config(tmp_path: Path) -> None:
    proc = _run_cli(tmp_path / "absent", tmp_path / "out")
    assert proc.returncode == 2 and proc.stderr.startswith("error: --config must name")


def test_the_generator_points_each_late_option_problem_at_its_range_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pre-flight runs these checks on every configuration, before anything trains."""
    range_file = tmp_path / "late-range"
    range_file.write_text(
        f"# ksweep: base={REPO_ROOT / 'defconfigs' / 'mnist8k'}\n"
        "CONFIG_NUM_EPOCHS=3\n"
        "CONFIG_SWA=y\n"
        "CONFIG_SWA_EPOCHS=5\n"
        "CONFIG_AUGMENT_OFF_LAST_EPOCHS=3\n"
        "CONFIG_TTA=y\n"
        'CONFIG_TTA_ROTATIONS="-3,0,3"|"1,1"\n'
    )
    argv = ["--kconfig", str(REPO_ROOT / "Kconfig"), "generate", str(range_file)]
    assert main([*argv, "--out", str(tmp_path / "out"), "--allow-download"]) == 2
    err = capsys.readouterr().err
    assert f"{range_file}:4: warning: CONFIG_SWA_EPOCHS=5 is more than CONFIG_NUM_EPOCHS=3" in err
    assert f"{range_file}:5: warning: CONFIG_AUGMENT_OFF_LAST_EPOCHS=3 is not below" in err
    assert f"{range_file}:7: error: CONFIG_TTA_ROTATIONS must not repeat an angle" in err
    assert "(config_002)" in err and not (tmp_path / "out").exists()
