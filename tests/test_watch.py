"""Following running trials' metrics.jsonl: whole lines only, retries, and the heartbeat."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from ksweep.cli import main
from ksweep.launch.events import EpochReported, LoopView, Tick, TrialFinished, TrialStarted
from ksweep.monitor.heartbeat import Heartbeat
from ksweep.sweep.layout import EPOCHS_FILE as METRICS_FILE
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.trialfiles import EpochFollower
from ksweep.sweep.trials import TrialSpec

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "cases" / "launch"


def epoch(n: int, acc: float) -> str:
    return json.dumps({"epoch": n, "test_acc": acc, "train/loss": 1.0 / n, "epoch_time": 2.5})


def test_only_whole_lines_are_read_and_each_once(tmp_path: Path) -> None:
    path = tmp_path / METRICS_FILE
    follower = EpochFollower(path)
    assert follower.new_rows() == []  # not written yet
    path.write_text(epoch(1, 50.0) + "\n" + epoch(2, 60.0)[:10])  # epoch 2 half written
    assert [r["epoch"] for r in follower.new_rows()] == [1]
    assert follower.new_rows() == []
    with path.open("a") as handle:
        handle.write(epoch(2, 60.0)[10:] + "\n")
    assert [r["epoch"] for r in follower.new_rows()] == [2]


def test_a_retry_in_a_new_file_at_the_same_path_is_read_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / METRICS_FILE
    follower = EpochFollower(path)
    path.write_text(epoch(1, 50.0) + "\n" + epoch(2, 60.0) + "\n")
    assert len(follower.new_rows()) == 2
    path.unlink()  # the attempt's folder was retired; the retry starts a new file
    path.write_text(epoch(1, 55.0) + "\n")
    assert [r["test_acc"] for r in follower.new_rows()] == [55.0]


def test_heartbeat_says_the_newest_epoch_at_most_once_per_interval(tmp_path: Path) -> None:
    trial = TrialSpec("config_001", "CONFIG_NUM_EPOCHS=15\n", {"CONFIG_SEED": "0"})
    folder = SweepFolder(tmp_path)
    view = LoopView(folder, 2, [], {"config_001": folder.trial(trial.test_name)}, 2,
                    {"config_001": 15})  # fmt: skip
    said: list[str] = []
    now = [0.0]
    beat = Heartbeat(said.append, interval=30.0, clock=lambda: now[0])
    beat(TrialStarted(view, trial, folder.trial(trial.test_name), "cpu#0", 1))
    for n, acc in ((1, 98.0), (2, 99.1)):
        beat(EpochReported(view, trial, folder.trial(trial.test_name), json.loads(epoch(n, acc))))
    now[0] = 10.0
    beat(Tick(view))
    assert said == []  # not yet one interval since the trial started
    now[0] = 31.0
    beat(Tick(view))
    assert said == ["  config_001: epoch 2/15, test 99.10%, train loss 0.5000, 2.5s/epoch"]
    now[0] = 70.0
    beat(Tick(view))
    assert len(said) == 1  # nothing new since: nothing said
    beat(TrialFinished(view, trial, {"config_file": "config_001"}))
    beat(EpochReported(view, trial, folder.trial(trial.test_name), json.loads(epoch(3, 99.2))))
    now[0] = 200.0
    beat(Tick(replace(view, slots=1)))
    assert len(said) == 1  # one slot: the trial's own output is echoed instead


def test_a_parallel_sweep_reports_running_trials_epochs(tmp_path: Path, capsys) -> None:
    configs = tmp_path / "configs"
    generate = ["--kconfig", str(ROOT / "Kconfig"), "generate", str(CASES / "slow-seeds-range")]
    assert main([*generate, "--out", str(configs)]) == 0
    run = ["run", "--config-dir", str(configs), "--output-dir", str(tmp_path / "results")]
    assert main([*run, "--device", "cpu", "--jobs", "2", "--heartbeat", "0.2"]) == 0
    out = capsys.readouterr().out
    beats = re.findall(
        r"^  (config_00\d): epoch (\d)/6, val \d+\.\d\d%, test \d+\.\d\d%", out, re.MULTILINE
    )
    assert beats, out
    assert {int(n) for _, n in beats} <= set(range(1, 7))
    assert main([*run, "--device", "cpu", "--jobs", "2", "--heartbeat", "0"]) == 0
    assert ": epoch " not in capsys.readouterr().out  # HEARTBEAT=0: off
