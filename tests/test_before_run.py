"""Generating is a plan, checked again when a run starts: a dataset missing is a warning at
generate time and an error before any trial; a Kconfig tree changed since generate is caught."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sweep_helpers import run_ksweep

ROOT = Path(__file__).resolve().parents[1]
CIFAR_RANGE = "defconfigs/resnet18-state-pruning-compare-range"
DIGITS_RANGE = "tests/cases/records/two-digits-range"


def ksweep(*args: str) -> subprocess.CompletedProcess:
    return run_ksweep(*args, timeout=300)


def test_missing_data_warns_at_generate_and_refuses_the_run(tmp_path):
    if list((ROOT / "data").glob("cifar-10*")) or (ROOT / "data" / "data_batch_1").exists():
        pytest.skip("CIFAR-10 is present in this checkout")
    configs, results = tmp_path / "configs", tmp_path / "results"
    generated = ksweep("generate", CIFAR_RANGE, "--out", str(configs))
    assert generated.returncode == 0, generated.stderr
    assert "warning: CIFAR-10 needs its six python batches" in generated.stderr
    assert "a run refuses to start until the files are there" in generated.stderr
    run = ksweep("run", "--config-dir", str(configs), "--output-dir", str(results), "--quiet")
    assert run.returncode == 2 and "error: no trial was started: CIFAR-10" in run.stderr
    assert not results.exists() or not list(results.iterdir())


def copied_tree(target: Path) -> Path:
    from ksweep.plan.kconfig import KconfigTree

    for name in KconfigTree(ROOT / "Kconfig")._kconf.kconfig_filenames:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, target / name)
    return target / "Kconfig"


def test_a_kconfig_change_between_generate_and_run_is_caught(tmp_path):
    from ksweep.plan.before_run import check_before_run
    from ksweep.plan.kconfig import KconfigTree
    from ksweep.sweep.trials import load_trials

    kconfig = copied_tree(tmp_path / "tree")
    configs, results = tmp_path / "configs", tmp_path / "results"
    generated = ksweep("--kconfig", str(kconfig), "generate", DIGITS_RANGE, "--out", str(configs))
    assert generated.returncode == 0, generated.stderr
    with open(kconfig, "a") as handle:
        handle.write("# a comment changes the hash, not one config\n")
    folder = load_trials(configs)
    notes = check_before_run(folder.trials, folder.plan, KconfigTree(kconfig), False, ROOT)
    assert "still resolve identically" in notes[0]
    training = kconfig.parent / "ksweep" / "train" / "Kconfig.training"
    training.write_text(training.read_text().replace("range 1 100000", "range 3 100000", 1))
    run = ksweep("--kconfig", str(kconfig), "run", "--config-dir", str(configs), "--output-dir",
                 str(results), "--quiet")  # fmt: skip
    assert run.returncode == 2, run.stderr
    assert "the Kconfig tree changed since these configs were generated" in run.stderr
    assert "CONFIG_NUM_EPOCHS: 2 -> " in run.stderr
    assert not results.exists()


def test_eval_subset_samples_validation_and_test_and_the_header_says_so(tmp_path):
    configs = tmp_path / "configs"
    generated = ksweep("generate", "tests/cases/records/eval-subset-range", "--out", str(configs))
    assert generated.returncode == 0, generated.stderr
    trained = subprocess.run(
        [sys.executable, "-m", "ksweep.train", "--config", str(configs / "config_001"), "--out",
         str(tmp_path / "run")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert "64 train / 50 val / 50 test" in trained.stdout + trained.stderr


def test_a_second_ctrl_c_is_said_not_obeyed_and_the_run_is_closed(tmp_path):
    import json
    import signal
    import time

    results = tmp_path / "results"
    runner = subprocess.Popen(
        [sys.executable, "-m", "ksweep", "sweep", "tests/cases/launch/slow-seeds-range", "--out",
         str(tmp_path / "configs"), "--output-dir", str(results), "--jobs", "1", "--device",
         "cpu", "--quiet", "--backend", "exec"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list(results.glob("sweep_*/config_001*/status.json")):
        time.sleep(0.2)
    while runner.poll() is None:  # Ctrl-C pressed again and again while it stops
        runner.send_signal(signal.SIGINT)
        time.sleep(0.05)
    _, err = runner.communicate(timeout=300)
    assert runner.returncode != 0 and "Traceback" not in err, err
    (manifest,) = results.glob("sweep_*/manifest.json")
    assert json.loads(manifest.read_text())["segments"][-1]["state"] == "interrupted"
