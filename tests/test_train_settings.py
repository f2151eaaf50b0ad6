"""settings_from_config: resolved configs in, typed settings or clear errors out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest_train import MNIST_DIR, REPO_ROOT, requires_mnist, resolved_values, write_config

from ksweep.cli import main
from ksweep.train.checks import settings_warnings
from ksweep.train.data import load_data
from ksweep.train.rules import check_rules
from ksweep.train.settings import settings_from_config

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
