"""Real sweeps through make and the guide's scripts: real subprocesses, real training on
scikit-learn's digits, a real crash and a real divergence."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sweep_helpers import alive, ksweep, only_sweep_dir, run_script_without_torch

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def make(*args, cwd=ROOT):
    env = {**os.environ, "PYTHON": sys.executable}
    return subprocess.run(
        ["make", "-s", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600
    )


def test_make_sweep_records_a_crash_and_a_divergence_and_goes_on(tmp_path):
    configs, results = tmp_path / "configs", tmp_path / "results"
    run = make(
        "sweep",
        "RANGE_CONFIG=tests/cases/e2e/faults-range",
        f"CONFIG_DIR={configs}",
        f"OUTPUT_DIR={results}",
        "DEVICE=cpu",
    )
    assert run.returncode != 0, "a sweep with a crashed trial must exit non-zero"
    assert "3 trials: 3 configurations x 1 seed (3 expanded)" in run.stdout
    sweep = only_sweep_dir(results)
    assert f"Results: {sweep}" in run.stdout
    assert "Best: config_001" in run.stdout
    assert "1 of 3 trials failed" in run.stdout
    assert "1 of 3 trials diverged (a result, not a failure)" in run.stdout

    records = json.loads((sweep / "sweep_summary.json").read_text())
    assert [r["config_file"] for r in records] == ["config_001", "config_002", "config_003"]
    healthy, crashed, diverged = records
    assert healthy["status"] == "completed"
    assert 10.0 < healthy["test_acc"] <= 100.0
    assert healthy["params"] == 61706 and healthy["final_sparsity"] == 0.0
    assert healthy["CONFIG_DEBUG_FAULT"] == "none"
    assert crashed["status"] == "failed" and crashed["exit_code"] == 1
    assert "RuntimeError: injected fault: crash at epoch 1" in crashed["error"]
    assert "Traceback" in crashed["log_tail"]
    assert diverged["status"] == "diverged" and diverged["exit_code"] == 3
    assert "training diverged: loss is nan" in diverged["error"]
    assert crashed["test_acc"] is None and diverged["test_acc"] is None

    snapshot = {p.name: p.read_text() for p in (sweep / "configs").glob("config_*")}
    for record in records:
        trial = sweep / record["test_name"]
        # DEVICE= reaches the trial on its command line; config.txt is the config as generated
        assert (trial / "config.txt").read_text() == snapshot[record["config_file"]]
        assert (trial / "output.log").stat().st_size > 0
        assert (trial / "training_metrics.json").exists() == (record["status"] == "completed")
    epochs = (sweep / records[0]["test_name"] / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in epochs] == [1, 2]

    analysis = (sweep / "sweep_analysis.txt").read_text()
    assert "Total configurations tested: 3" in analysis
    assert "Completed: 1 | Failed: 1 | Diverged: 1 (a result, not a failure)" in analysis
    assert "Config file: config_001" in analysis
    assert (
        json.loads((sweep / records[0]["test_name"] / "training_metrics.json").read_text())[
            "device"
        ]
        == "cpu"
    )
    assert "  CONFIG_DEBUG_FAULT=none" in analysis
    assert "2 of 3 configurations failed or diverged on every seed" in analysis
    manifest = json.loads((sweep / "manifest.json").read_text())
    assert manifest["state"] == "finished"
    assert manifest["counts"] == {
        "trials": 3,
        "completed": 1,
        "pruned": 0,
        "failed": 2,
        "not_run": 0,
    }
    assert "CONFIG_DEBUG_FAULT" in manifest["range_config_text"]

    df = pd.DataFrame(records)
    top = df.nlargest(5, "test_acc")[["config_file", "test_acc", "final_sparsity"]]
    assert top["config_file"].iloc[0] == "config_001"
    assert top["test_acc"].notna().sum() == 1


def test_a_sweep_whose_trials_all_ran_exits_0_though_one_diverged(tmp_path):
    """Diverging is what the trial's settings do, not a failure of the sweep: exit 0."""
    configs, results = tmp_path / "configs", tmp_path / "results"
    args = ["RANGE_CONFIG=tests/cases/e2e/diverges-range", f"CONFIG_DIR={configs}"]
    run = make("sweep", *args, f"OUTPUT_DIR={results}", "DEVICE=cpu")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 of 2 trials diverged (a result, not a failure)" in run.stdout
    assert "trials failed" not in run.stdout
    analysis = (only_sweep_dir(results) / "sweep_analysis.txt").read_text()
    assert "Completed: 1 | Failed: 0 | Diverged: 1 (a result, not a failure)" in analysis


def test_default_make_sweep_runs_the_quickstart(tmp_path):
    results = tmp_path / "results"
    run = make("sweep", f"CONFIG_DIR={tmp_path / 'configs'}", f"OUTPUT_DIR={results}", "DEVICE=cpu")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    sweep = only_sweep_dir(results)
    records = json.loads((sweep / "sweep_summary.json").read_text())
    assert len(records) == 6 and all(r["status"] == "completed" for r in records)
    assert {(r["CONFIG_OPTIMIZER_SELECT"], r["CONFIG_LEARNING_RATE"]) for r in records} == {
        (o, lr) for o in ("SGD", "ADAM", "ADAMW") for lr in (0.003, 0.03)
    }
    assert max(r["test_acc"] for r in records) > 90.0, "LeNet-5 should learn digits in 8 epochs"
    # The quickstart holds out a validation split: the best is chosen on it, not on test_acc.
    top = max(r["val/acc"] for r in records)
    best_names = {r["config_file"] for r in records if r["val/acc"] == top}
    printed = next(line for line in run.stdout.splitlines() if line.startswith("Best: "))
    assert printed.split()[1] in best_names and " val/acc " in printed, printed


def test_the_guides_runner_script_never_imports_torch_in_the_parent(tmp_path):
    configs = tmp_path / "configs"
    configs.mkdir()
    make_config = subprocess.run(
        [
            sys.executable,
            "-m",
            "ksweep",
            "generate",
            "tests/cases/e2e/faults-range",
            "--out",
            str(configs),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert make_config.returncode == 0, make_config.stderr
    for extra in ("config_002", "config_003"):
        (configs / extra).unlink()
    (configs / "sweep_plan.json").unlink()  # a hand-made folder: no plan
    run = run_script_without_torch(
        "scripts/run_test_matrix.py",
        "--config-dir",
        str(configs),
        "--output-dir",
        str(tmp_path / "my_sweep_results"),
        "--device",
        "cpu",
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    sweep = only_sweep_dir(tmp_path / "my_sweep_results")
    records = json.loads((sweep / "sweep_summary.json").read_text())
    assert records[0]["status"] == "completed" and records[0]["test_name"] == "config_001"


def test_ctrl_c_keeps_what_finished_and_stops_the_running_trial(tmp_path):
    configs, results = tmp_path / "configs", tmp_path / "results"
    generate = subprocess.run(
        ksweep("generate", "tests/cases/e2e/interrupt-range", "--out", str(configs)),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert generate.returncode == 0, generate.stderr
    runner = subprocess.Popen(
        ksweep(
            "run", "--config-dir", str(configs), "--output-dir", str(results), "--device", "cpu"
        ),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 240
    hanging = None
    while time.monotonic() < deadline:
        started = list(results.glob("sweep_*/config_003_*/output.log"))
        if started and "epoch" in started[0].read_text():
            hanging = started[0].parent
            break
        time.sleep(0.2)
    assert hanging is not None, "the hanging trial never started"
    runner.send_signal(signal.SIGINT)
    output, _ = runner.communicate(timeout=60)
    assert runner.returncode == 130, output
    assert "interrupted" in output
    sweep = hanging.parent
    records = json.loads((sweep / "sweep_summary.json").read_text())
    assert [r["config_file"] for r in records] == ["config_001", "config_002"]
    assert all(r["status"] == "completed" for r in records)
    manifest = json.loads((sweep / "manifest.json").read_text())
    assert manifest["state"] == "interrupted"
    assert manifest["counts"]["not_run"] == 2
    assert not list(sweep.glob("config_004_*")), "nothing runs after an interrupt"
    assert "make sweep-resume SWEEP=" in output
    retired = list((sweep / "attempts").glob("config_003_*.interrupted1"))
    assert len(retired) == 1, "the interrupted trial's folder and log are kept"
    trial_pid = json.loads((retired[0] / "status.json").read_text())["trial_pid"]
    assert not alive(trial_pid), "the hanging trial outlived the sweep"
