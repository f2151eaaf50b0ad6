"""``python -m ksweep.train`` as the launcher runs it: real subprocesses, real files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest_train import (
    MNIST_DIR,
    REPO_ROOT,
    TINY,
    TINY_PRUNING,
    combine,
    requires_mnist,
    resolved_values,
    write_config,
)

from ksweep.train.settings import settings_from_config
from ksweep.train.trainer import train

EPOCH_KEYS = {
    "epoch",
    "train/loss",
    "train/acc",
    "val/loss",
    "val/acc",
    "test_acc",
    "sparsity",
    "lr",
    "augmented",  # whether the epoch trained on augmented images (the plain tail: False)
    "epoch_time",
}
FINAL_KEYS = {
    "test_acc",
    "best_test_acc",
    "last3_test_acc",
    "final_sparsity",
    "params",
    "training_time",
    "setup_time",
    "device",
    "threads",
    "seed",
    "model",
    "dataset",
    "optimizer",
    "pruning_method",
    "epochs",
    "history",
}


def _command(config: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "ksweep.train", "--config", str(config), "--out", str(out)]


def run_cli(
    tmp_path: Path, overrides: dict[str, str], env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess, Path]:
    config = write_config(tmp_path / "config", combine(TINY, overrides), TINY_PRUNING)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    proc = subprocess.run(
        _command(config, out),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    return proc, out


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def check_success(proc: subprocess.CompletedProcess, out: Path, epochs: int) -> dict:
    assert proc.returncode == 0, proc.stderr
    history = read_jsonl(out / "metrics.jsonl")
    assert [h["epoch"] for h in history] == list(range(1, epochs + 1))
    for record in history:
        assert set(record) == EPOCH_KEYS
        assert 0.0 <= record["train/acc"] <= 100.0 and 0.0 <= record["val/acc"] <= 100.0
        assert 0.0 <= record["test_acc"] <= 100.0 and 0.0 <= record["sparsity"] <= 1.0
    final = json.loads((out / "training_metrics.json").read_text())
    assert set(final) >= FINAL_KEYS
    assert final["history"] == history
    assert final["test_acc"] == history[-1]["test_acc"]
    assert final["best_test_acc"] == max(h["test_acc"] for h in history)
    tests = [h["test_acc"] for h in history[-3:]]
    assert final["last3_test_acc"] == pytest.approx(sum(tests) / len(tests))
    assert final["final_sparsity"] == history[-1]["sparsity"]
    assert final["epochs"] == epochs and final["device"] == "cpu"
    assert final["training_time"] >= sum(h["epoch_time"] for h in history) * 0.99
    progress = [line for line in proc.stdout.splitlines() if line.startswith("epoch ")]
    assert len(progress) == epochs
    assert not list(out.glob("*.tmp")), "atomic write left a temporary file"
    return final


@pytest.mark.slow
def test_success_writes_both_metrics_files(tmp_path: Path) -> None:
    proc, out = run_cli(tmp_path, {"NUM_EPOCHS": "3", "SEED": "7"})
    final = check_success(proc, out, epochs=3)
    assert final["params"] == 61_706
    labels = (final["model"], final["dataset"], final["optimizer"])
    assert labels == ("lenet5", "digits", "adamwprune")
    assert final["pruning_method"] == "state" and final["seed"] == 7
    assert final["final_sparsity"] == pytest.approx(0.7, abs=0.005)  # ramp ended at epoch 2


def test_the_thread_count_is_recorded_because_cpu_results_depend_on_it(tmp_path: Path) -> None:
    proc, out = run_cli(tmp_path, {"NUM_EPOCHS": "1"}, env={"KSWEEP_THREADS": "1"})
    assert check_success(proc, out, epochs=1)["threads"] == 1


@pytest.mark.slow
def test_crash_fault_exits_1_with_traceback(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    stale = tmp_path / "out" / "training_metrics.json"
    stale.write_text("{}")  # left by an earlier attempt: must not survive a failed retry
    proc, out = run_cli(tmp_path, {"DEBUG_FAULT": "crash", "DEBUG_FAULT_EPOCH": "2"})
    assert proc.returncode == 1
    assert "Traceback" in proc.stderr
    assert "RuntimeError: injected fault: crash at epoch 2" in proc.stderr
    assert not stale.exists()
    assert [h["epoch"] for h in read_jsonl(out / "metrics.jsonl")] == [1]


@pytest.mark.slow
def test_nan_fault_exits_3_as_divergence(tmp_path: Path) -> None:
    proc, out = run_cli(tmp_path, {"DEBUG_FAULT": "nan", "DEBUG_FAULT_EPOCH": "1"})
    assert proc.returncode == 3, proc.stderr
    assert "error: training diverged: loss is nan at epoch 1" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (out / "training_metrics.json").exists()
    assert not (out / "metrics.jsonl").exists()  # no epoch was reported


@pytest.mark.slow
def test_hang_fault_hangs_at_its_epoch(tmp_path: Path) -> None:
    overrides = combine(TINY, {"DEBUG_FAULT": "hang", "DEBUG_FAULT_EPOCH": "2"})
    config = write_config(tmp_path / "config", overrides)
    out = tmp_path / "out"
    proc = subprocess.Popen(
        _command(config, out),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        log = out / "metrics.jsonl"
        while time.monotonic() < deadline and proc.poll() is None:
            if log.exists() and log.read_text().count("\n") >= 1:
                break
            time.sleep(0.2)
        time.sleep(2.0)
        assert proc.poll() is None, "the hang fault let the process exit"
        assert [h["epoch"] for h in read_jsonl(log)] == [1]
    finally:
        proc.kill()
        stdout, _ = proc.communicate(timeout=30)
    assert "injecting fault: hang at epoch 2" in stdout
    assert not (out / "training_metrics.json").exists()


@pytest.mark.slow
@requires_mnist
def test_mnist_subset_from_the_shared_directory(tmp_path: Path) -> None:
    overrides = {
        "DATASET_SELECT_MNIST": "y",
        "DATA_DIR": str(MNIST_DIR),
        "DATA_SUBSET": "512",
        "BATCH_SIZE": "32",
        "OPTIMIZER_SELECT_ADAM": "y",
        "LEARNING_RATE": "0.003",
        "NUM_EPOCHS": "3",
    }
    proc, out = run_cli(tmp_path, overrides)
    final = check_success(proc, out, epochs=3)
    assert final["dataset"] == "mnist" and final["pruning_method"] == "none"
    assert "512 train / 6000 val / 10000 test" in proc.stdout
    assert final["test_acc"] > 70.0  # 48 Adam steps on 512 images: ~82% over seeds 0-2


@pytest.mark.slow
def test_lenet5_learns_digits(tmp_path: Path) -> None:
    """Quality bar: LeNet-5, full digits, 10 epochs of Adam at 1e-3 -> over 90% test accuracy."""
    overrides = {"OPTIMIZER_SELECT_ADAM": "y", "DEVICE": "cpu"}
    settings = settings_from_config(resolved_values(tmp_path, overrides))
    assert (settings.num_epochs, settings.learning_rate, settings.batch_size) == (10, 1e-3, 128)
    result = train(settings, tmp_path / "out", log=lambda _: None)
    assert result["test_acc"] > 90.0, result["test_acc"]
    assert result["history"][-1]["val/acc"] > 0.85
