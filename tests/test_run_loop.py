"""The run loop's own promises: one trial stopped while another runs, and Ray streaming
epochs back while its trials run, so the heartbeat and sweep-status see them."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from sweep_helpers import ksweep, only_sweep_dir, wait_until

from ksweep.cli import main
from ksweep.launch.options import LaunchOptions
from ksweep.launch.pauses import STOP
from ksweep.launch.runner import SweepSpec, start_sweep
from ksweep.monitor.observers import DecisionLog, SummaryWriter
from ksweep.sweep.trials import load_trials
from ksweep.sweepers.fixed import FixedSweeper

ROOT = Path(__file__).resolve().parents[1]
KCONFIG = str(ROOT / "Kconfig")
pytestmark = pytest.mark.slow


class StopAtEpoch:
    """A rule that pauses one named trial after a given epoch and stops it there."""

    def __init__(self, name: str, epoch: int) -> None:
        self.name, self.epoch = name, epoch

    def pause_epochs(self, trial):
        return (self.epoch,) if trial.config_name == self.name else ()

    def decide(self, trial, epoch, view):
        return STOP, {"state": "pruned", "rule": "test", "epoch": epoch, "summary": "stop"}


def test_one_of_two_running_trials_is_stopped_and_the_other_completes(tmp_path):
    range_file = tmp_path / "two-range"
    range_file.write_text(
        f"# ksweep: base={ROOT / 'defconfigs' / 'quickstart'}\n"
        "CONFIG_DATA_SUBSET=256\nCONFIG_NUM_EPOCHS=6\nCONFIG_SEED=0|1\n"
    )
    configs = tmp_path / "configs"
    assert main(["--kconfig", KCONFIG, "generate", str(range_file), "--out", str(configs)]) == 0
    trials = load_trials(configs)
    result = start_sweep(
        SweepSpec(trials.trials, trials.plan, str(configs)),
        lambda _folder, done: FixedSweeper(trials.trials, done),
        tmp_path / "results",
        LaunchOptions(device="cpu", jobs=2),
        [SummaryWriter(), DecisionLog()],
        stop_rule=StopAtEpoch("config_001", 2),
    )
    assert result.exit_code == 0
    stopped, completed = result.records
    assert stopped["status"] == "pruned" and completed["status"] == "completed"
    # The trial paused after epoch 2 for the verdict, so it ends exactly there.
    ended = stopped["stopped"]["epoch"]
    assert stopped["stopped"]["rule"] == "test" and ended == 2
    assert stopped["stopped"]["decided_at_epoch"] == 2
    assert stopped["epochs_run"] == ended and completed["epochs_run"] == 6
    sweep = result.folder.path
    rows = (sweep / stopped["test_name"] / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["epoch"] for r in rows] == list(range(1, ended + 1))
    log = (sweep / stopped["test_name"] / "output.log").read_text()
    assert f"stopped at epoch {ended}: pruned" in log
    decisions = (sweep / "decisions.jsonl").read_text().splitlines()
    (decision,) = [json.loads(line) for line in decisions]
    assert decision["trial"] == "config_001" and decision["epoch"] == 2


def test_a_ray_sweep_streams_epochs_to_the_heartbeat_and_the_status(tmp_path):
    pytest.importorskip("ray")
    range_file = tmp_path / "ray-range"
    range_file.write_text(
        f"# ksweep: base={ROOT / 'defconfigs' / 'quickstart'}\n"
        "CONFIG_DATA_SUBSET=512\nCONFIG_NUM_EPOCHS=8\nCONFIG_SEED=0|1\n"
    )
    results = tmp_path / "results"
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}  # a local instance
    runner = subprocess.Popen(
        ksweep(
            "--kconfig", KCONFIG, "sweep", str(range_file), "--out", str(tmp_path / "configs"),
            "--output-dir", str(results), "--device", "cpu", "--launcher", "ray",
            "--jobs", "2", "--heartbeat", "0.5",
        ),
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    seen: list[str] = []

    def running_epoch_in_status() -> bool:
        if not list(results.glob("sweep_*/manifest.json")):
            return False
        status = subprocess.run(
            ksweep("status", str(only_sweep_dir(results))), cwd=ROOT, capture_output=True, text=True
        ).stdout
        seen.append(status)
        return bool(re.search(r"running config_00\d on cpu#\d .*epoch [1-7]/8", status))

    try:
        assert wait_until(running_epoch_in_status, 240, step=0.3), seen[-1:]
        output, _ = runner.communicate(timeout=400)
    finally:
        runner.kill()
    assert runner.returncode == 0, output[-3000:]
    beats = re.findall(r"^  config_00\d: epoch \d/8, val ", output, re.MULTILINE)
    assert beats, output[-3000:]
    sweep = only_sweep_dir(results)
    for record in json.loads((sweep / "sweep_summary.json").read_text()):
        assert record["status"] == "completed"
        lines = (sweep / record["test_name"] / "metrics.jsonl").read_text().splitlines()
        assert [json.loads(line)["epoch"] for line in lines] == list(range(1, 9))
