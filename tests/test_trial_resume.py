"""A trial goes on from its checkpoint exactly where it stopped: at a pause that exited (its
memory freed) and after a SIGKILL of the whole sweep. On the CPU with the same threads the
continuation matches an uninterrupted run bit for bit (ksweep's trainer saves weights,
optimizer, schedule, masks, EMA, every random stream)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sweep_helpers import ksweep, only_sweep_dir, records_of, wait_until

from ksweep import protocol

ROOT = Path(__file__).resolve().parents[1]
RANGE = ROOT / "tests" / "cases" / "trial" / "long-trial-range"
pytestmark = pytest.mark.slow


def _config(tmp_path: Path) -> Path:
    out = tmp_path / "configs"
    args = ksweep("generate", str(RANGE), "--out", str(out))
    subprocess.run(args, cwd=ROOT, check=True, capture_output=True)
    return out / "config_001"


def _train(config: Path, folder: Path, **env: str) -> subprocess.CompletedProcess:
    """ksweep's trainer as a sweep starts it: the protocol's environment, one thread."""
    variables = protocol.trial_environment(
        str(config), str(folder), checkpoint_dir=str(folder / protocol.CHECKPOINT_DIR)
    )
    full = {**os.environ, **variables, "KSWEEP_THREADS": "1", **env}
    return subprocess.run(
        [sys.executable, "-m", "ksweep.train"], cwd=ROOT, env=full, capture_output=True, text=True
    )


def _final(folder: Path) -> dict:
    return json.loads((folder / protocol.FINAL_METRICS).read_text())


def test_a_pause_that_exits_goes_on_bit_for_bit(tmp_path):
    config = _config(tmp_path)
    whole, paused = tmp_path / "whole", tmp_path / "paused"
    assert _train(config, whole).returncode == 0
    pause = {protocol.ENV_PAUSE_AFTER: "4", protocol.ENV_PAUSE_MODE: protocol.PAUSE_EXIT}
    first = _train(config, paused, **pause)
    assert first.returncode == protocol.EXIT_PAUSED, first.stderr
    state = json.loads((paused / protocol.PAUSED_FILE).read_text())
    assert state["epoch"] == 4 and state["checkpoint"] is True
    assert state["record"]["epochs_run"] == 4  # its result, should the rule stop it there
    assert not (paused / protocol.FINAL_METRICS).exists()
    second = _train(config, paused, **pause)  # the rule let it go on: started again
    assert second.returncode == 0, second.stderr
    assert "resumed from the checkpoint after epoch 4" in second.stdout
    a, b = _final(whole), _final(paused)
    assert b["resumed_from_epoch"] == 4
    assert a["weights_sha256"] == b["weights_sha256"]
    strip = ("epoch_time",)
    rows = [{k: v for k, v in h.items() if k not in strip} for h in a["history"]]
    assert rows == [{k: v for k, v in h.items() if k not in strip} for h in b["history"]]
    logged = (paused / protocol.EPOCHS_FILE).read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in logged] == list(range(1, 11))


def test_a_killed_sweep_resumes_its_trial_from_the_checkpoint(tmp_path):
    base = ["--device", "cpu", "--jobs", "1", "--checkpoint-seconds", "0", "--quiet"]
    whole = tmp_path / "whole"
    args = ksweep("sweep", str(RANGE), "--out", str(tmp_path / "c1"), "--output-dir", str(whole))
    subprocess.run([*args, *base], cwd=ROOT, check=True, capture_output=True)
    reference = records_of(only_sweep_dir(whole))[0]

    killed = tmp_path / "killed"
    args = ksweep("sweep", str(RANGE), "--out", str(tmp_path / "c2"), "--output-dir", str(killed))
    runner = subprocess.Popen([*args, *base], cwd=ROOT, start_new_session=True)
    try:

        def epochs_logged() -> int:
            found = list(killed.glob("sweep_*/config_001*/metrics.jsonl"))
            return len(found[0].read_text().splitlines()) if found else 0

        assert wait_until(lambda: epochs_logged() >= 5, timeout=240)
    finally:
        os.killpg(runner.pid, signal.SIGKILL)  # the runner and its trial, mid-way
        runner.wait()
    sweep = only_sweep_dir(killed)
    trial = next(sweep.glob("config_001*"))
    pointer = json.loads((trial / "checkpoint" / protocol.CHECKPOINT_POINTER).read_text())
    assert pointer["epoch"] >= 4

    resume = ksweep("run", "--resume", str(sweep), "--device", "cpu", "--jobs", "1", "--quiet")
    subprocess.run([*resume, "--checkpoint-seconds", "0"], cwd=ROOT, check=True)
    record = records_of(sweep)[0]
    assert record["status"] == "completed"
    assert record["resumed_from_epoch"] == pointer["epoch"]
    for field in ("test_acc", "val/acc", "final_sparsity", "weights_sha256"):
        assert record.get(field) == reference.get(field), field
    assert not (trial / "checkpoint").exists()  # removed once the trial ended
    rows = (trial / protocol.EPOCHS_FILE).read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in rows] == list(range(1, 11))
