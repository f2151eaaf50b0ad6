"""Generation through the CLI, the Makefile and the guide's script: what is written, and
what is left untouched when the input is bad."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sweep_helpers import run_script_without_torch

from ksweep.cli import main

ROOT = Path(__file__).resolve().parents[1]
KCONFIG = str(ROOT / "Kconfig")


def generate(range_file, out, *extra):
    return main(["--kconfig", KCONFIG, "generate", str(range_file), "--out", str(out), *extra])


def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_bad_input_exits_2_lists_every_error_and_changes_nothing(tmp_path, capsys):
    out = tmp_path / "sweep_configs"
    good = tmp_path / "good-range"
    good.write_text("CONFIG_OPTIMIZER_SELECT=SGD|ADAM\n")
    assert generate(good, out) == 0
    before = snapshot(out)
    capsys.readouterr()

    bad = tmp_path / "bad-range"
    bad.write_text("CONFIG_NUM_EPOCHS=0\nCONFIG_LERNING_RATE=0.1\nCONFIG_SEED=x\n")
    assert generate(bad, out) == 2
    err = capsys.readouterr().err
    assert f"{bad}:1: error: CONFIG_NUM_EPOCHS=0 is outside its Kconfig range" in err
    assert f"{bad}:2: error: CONFIG_LERNING_RATE is not a symbol" in err
    assert f"{bad}:3: error: CONFIG_SEED is an int" in err
    assert "ksweep: 3 errors; nothing was written" in err
    assert snapshot(out) == before


def test_regenerating_removes_every_older_config_but_keeps_user_files(tmp_path):
    out = tmp_path / "sweep_configs"
    first = tmp_path / "first-range"
    first.write_text("CONFIG_SEED=0:1:5\n")
    assert generate(first, out) == 0
    (out / "notes.txt").write_text("mine")
    second = tmp_path / "second-range"
    second.write_text("CONFIG_SEED=7|8\n")
    assert generate(second, out) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "combinations_summary.txt",
        "config_001",
        "config_002",
        "notes.txt",
        "sweep_plan.json",
    ]
    assert "CONFIG_SEED=7" in (out / "config_001").read_text()
    assert not [p for p in tmp_path.glob(".sweep_configs*") if p.is_dir()], "staging left over"


def test_config_files_carry_the_varying_values_in_their_header(tmp_path):
    out = tmp_path / "c"
    assert generate(ROOT / "defconfigs" / "quickstart-range", out) == 0
    header = (out / "config_004").read_text().splitlines()[:3]
    assert header[0].startswith("# ksweep config_004 (4 of 6), generated from")
    assert header[1].endswith("defconfigs/quickstart")
    assert header[2] == "# varying: CONFIG_OPTIMIZER_SELECT=ADAM CONFIG_LEARNING_RATE=0.03"
    summary = (out / "combinations_summary.txt").read_text()
    assert "Total: 6 trials: 6 configurations x 1 seed (6 expanded)" in summary
    assert "  CONFIG_OPTIMIZER_SELECT: SGD, ADAM, ADAMW" in summary


def test_the_guides_generator_script_form_works_and_never_imports_torch(tmp_path):
    out = tmp_path / "sweep_configs"
    result = run_script_without_torch(
        "scripts/generate_config_combinations.py",
        "defconfigs/resnet18-state-pruning-compare-range",
        str(out),
        "--allow-download",  # its CIFAR-10 is not here offline
    )
    assert result.returncode == 0, result.stderr
    assert "36 trials: 36 configurations x 1 seed (36 expanded)" in result.stdout
    assert len(list(out.glob("config_*"))) == 36


def test_make_sweep_generate_and_clean(tmp_path):
    out = tmp_path / "generated"
    env = {**os.environ, "PYTHON": sys.executable}
    result = subprocess.run(
        [
            "make",
            "-s",
            "sweep-generate",
            f"CONFIG_DIR={out}",
            "RANGE_CONFIG=tests/cases/guide/quick-test-range",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert len(list(out.glob("config_*"))) == 4
    result = subprocess.run(
        ["make", "-s", "sweep-clean", f"CONFIG_DIR={out}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.returncode == 0 and not out.exists()


def test_defconfig_savedefconfig_round_trip(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "defconfigs").mkdir()
    (tmp_path / "defconfigs" / "mine").write_text("CONFIG_OPTIMIZER_SELECT_SGD=y\nCONFIG_SEED=3\n")
    assert main(["--kconfig", KCONFIG, "defconfig", "mine"]) == 0
    full = (tmp_path / ".config").read_text()
    assert "CONFIG_OPTIMIZER_SELECT_SGD=y" in full and 'CONFIG_PRUNING_METHOD="none"' in full
    assert main(["--kconfig", KCONFIG, "savedefconfig", "copy"]) == 0
    minimal = (tmp_path / "defconfigs" / "copy").read_text()
    assert sorted(line for line in minimal.splitlines() if line.startswith("CONFIG_")) == [
        "CONFIG_OPTIMIZER_SELECT_SGD=y",
        "CONFIG_SEED=3",
    ]
    capsys.readouterr()
    assert main(["--kconfig", KCONFIG, "defconfig", "nope"]) == 2
    assert "defconfigs/nope does not exist; available defconfigs: copy, mine" in (
        capsys.readouterr().err
    )


def test_a_defconfig_with_a_dropped_value_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "defconfigs").mkdir()
    (tmp_path / "defconfigs" / "bad").write_text("CONFIG_NUM_EPOCHS=0\n")
    assert main(["--kconfig", KCONFIG, "defconfig", "bad"]) == 2
    assert "outside its Kconfig range" in capsys.readouterr().err
    assert not (tmp_path / ".config").exists()


SHIPPED_RANGES = {  # every defconfigs/*-range and its number of configurations
    "quickstart-range": 6,
    "resnet18-state-pruning-compare-range": 36,
    "mnist8k-throughput-range": 16,
    "mnist8k-seeds-range": 3,
    "mnist8k-tta-swa-noaug-range": 6,
    "mnist-dwsep-seeds-range": 3,
    "mnist-pruning-study-range": 36,
    "tinycnn-ablation-adam-range": 12,
    "tinycnn-ablation-sgd-range": 12,
    "small-resnet-cifar100-search-range": 10,  # SAMPLES' default
}
# Ranges over CIFAR-10, which is not here offline: they generate only with downloads allowed
# (or once CONFIG_DATA_DIR holds cifar-10-batches-py/).
CIFAR10_RANGES = (
    "tinycnn-ablation-adam-range",
    "tinycnn-ablation-sgd-range",
    "resnet18-state-pruning-compare-range",
)
CIFAR10_PRESENT = (ROOT / "data" / "cifar-10-batches-py" / "test_batch").is_file()
# Ranges over MNIST in data/, which is there once `make data-link` has linked it.
CIFAR100_RANGES = ("small-resnet-cifar100-search-range",)
CIFAR100_PRESENT = (ROOT / "data" / "cifar-100-python" / "test").is_file()
MNIST_RANGES = (
    "mnist8k-throughput-range",
    "mnist8k-seeds-range",
    "mnist8k-tta-swa-noaug-range",
    "mnist-dwsep-seeds-range",
)
MNIST_PRESENT = any((ROOT / "data").glob("**/t10k-images-idx3-ubyte*"))


def downloads_needed(name: str) -> tuple[str, ...]:
    """``--allow-download`` where the range's dataset is not in data/ (as in a bare clone)."""
    absent = (
        (name in CIFAR10_RANGES and not CIFAR10_PRESENT)
        or (name in CIFAR100_RANGES and not CIFAR100_PRESENT)
        or (name in MNIST_RANGES and not MNIST_PRESENT)
    )
    return ("--allow-download",) if absent else ()


def test_every_shipped_range_config_generates(tmp_path):
    shipped = {p.name for p in (ROOT / "defconfigs").glob("*-range")}
    assert shipped == set(SHIPPED_RANGES), "add the new range config to SHIPPED_RANGES"
    for name, count in SHIPPED_RANGES.items():
        out = tmp_path / name
        assert generate(ROOT / "defconfigs" / name, out, *downloads_needed(name)) == 0, name
        assert len(list(out.glob("config_*"))) == count, name


@pytest.mark.skipif(CIFAR10_PRESENT, reason="CIFAR-10 is in data/: the ranges generate offline")
def test_cifar10_ranges_without_the_files_generate_with_a_warning(tmp_path, capsys):
    # Generating is a plan: the run refuses before any trial (tests/test_before_run.py).
    for name in CIFAR10_RANGES:
        assert generate(ROOT / "defconfigs" / name, tmp_path / name) == 0, name
        err = capsys.readouterr().err
        assert "warning: CIFAR-10 needs its six python batches in CONFIG_DATA_DIR='data'" in err
        assert "ALLOW_DOWNLOAD=1 lets the trials download them" in err
        assert (tmp_path / name / "config_001").is_file()


def test_the_mnist8k_seed_check_ranks_on_the_last_three_epochs(tmp_path):
    out = tmp_path / "seeds"
    assert (
        generate(
            ROOT / "defconfigs" / "mnist8k-seeds-range",
            out,
            *downloads_needed("mnist8k-seeds-range"),
        )
        == 0
    )
    seeds = []
    for config in sorted(out.glob("config_*")):
        text = config.read_text()
        assert 'CONFIG_SWEEP_METRIC="last3_test_acc"' in text
        assert "CONFIG_MODEL_SELECT_MNIST8K=y" in text and "CONFIG_NUM_EPOCHS=15" in text
        seeds += [line for line in text.splitlines() if line.startswith("CONFIG_SEED=")]
    assert seeds == ["CONFIG_SEED=0", "CONFIG_SEED=1", "CONFIG_SEED=2"]
