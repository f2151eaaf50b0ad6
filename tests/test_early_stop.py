"""Early stopping on real sweeps: ASHA stops the configurations that cannot learn at its first
rung and explains each stop; SIGKILL at random moments and resume make the same decisions."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sweep_helpers import ksweep, only_sweep_dir, processes_of, wait_until

from ksweep.cli import main

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "cases" / "early_stop"
RANGE = CASES / "half-cannot-learn-range"
KCONFIG = str(ROOT / "Kconfig")
ASHA = ("--early-stop", "asha", "--es-grace", "1", "--es-factor", "2")
pytestmark = pytest.mark.slow


def outcome(sweep: Path) -> dict[str, tuple]:
    """Each trial's state, the epoch whose numbers stopped it, and its final metric."""
    records = json.loads((sweep / "sweep_summary.json").read_text())
    return {
        r["config_file"]: (
            r["status"],
            (r.get("stopped") or {}).get("decided_at_epoch"),
            r["epochs_run"],
            r["val/acc"],
        )
        for r in records
    }


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """The sweep run once without interruption; ASHA asked for by the trials' Kconfig symbols."""
    base = tmp_path_factory.mktemp("asha")
    range_file = CASES / "half-cannot-learn-asha-range"
    args = ["--kconfig", KCONFIG, "sweep", str(range_file), "--out", str(base / "configs")]
    args += ["--output-dir", str(base / "results"), "--device", "cpu", "--jobs", "2"]
    assert main([*args, "--quiet"]) == 0
    return only_sweep_dir(base / "results")


def test_asha_stops_what_cannot_learn_at_the_first_rung_and_says_why(reference):
    result = outcome(reference)
    best = ["config_001", "config_002", "config_003"]  # learning rate 0.003
    slower = ["config_004", "config_005", "config_006"]  # 0.001: learns, but clearly slower
    hopeless = ["config_007", "config_008", "config_009", "config_010", "config_011", "config_012"]
    assert all(result[name][0] == "completed" and result[name][2] == 4 for name in best)
    assert all(result[name][:3] == ("pruned", 2, 2) for name in slower), result
    assert all(result[name][:3] == ("pruned", 1, 1) for name in hopeless), result
    decisions = [
        json.loads(line) for line in (reference / "decisions.jsonl").read_text().splitlines()
    ]
    # One line per decision (a configuration's seeds together), naming its seeds.
    assert sorted(t for d in decisions for t in d["trials"]) == slower + hopeless
    assert sorted(d["configuration"] for d in decisions) == [
        "config_004",
        "config_007",
        "config_010",
    ]
    for decision in decisions:
        assert decision["rule"] == "asha" and decision["epoch"] in (1, 2)
        assert decision["metric"] == "val/acc" and decision["state"] == "pruned"
        assert decision["interval"][1] < decision["threshold"]  # the whole interval is below
        assert "pooled over" in decision["noise"]  # the one noise model, pooled at the rung
        assert f"stopped by asha at epoch {decision['epoch']}" in decision["summary"]


def test_sigkill_at_random_moments_then_resume_makes_the_same_decisions(reference, tmp_path):
    """ASHA asked for by make variables on the first run only: resumes keep deciding by it."""
    configs, results = tmp_path / "configs", tmp_path / "results"
    assert main(["--kconfig", KCONFIG, "generate", str(RANGE), "--out", str(configs)]) == 0
    sweep = None
    for index, moment in enumerate(random.Random(13).sample([1.0, 3.0, 5.0, 7.0], 2)):
        if sweep is None:
            args = ["run", "--config-dir", str(configs), "--output-dir", str(results), *ASHA]
        else:
            args = ["run", "--resume", str(sweep)]
        log = (tmp_path / f"log{index}").open("w")
        runner = subprocess.Popen(
            ksweep(*args, "--device", "cpu", "--jobs", "2"),
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        assert wait_until(lambda: list(results.glob("sweep_*/config_*/metrics.jsonl")), 180)
        time.sleep(moment)
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=30)
        sweep = only_sweep_dir(results)
        assert wait_until(lambda s=sweep: not processes_of(str(s.resolve())), 10)
    assert main(["run", "--resume", str(sweep), "--device", "cpu", "--jobs", "2"]) == 0
    assert outcome(sweep) == outcome(reference)


def late_bloomer_sweep(folder: Path) -> Path:
    """A finished sweep of three configurations, one of which starts worst and ends best."""
    curves = {
        "config_001": [60.0, 61.0, 62.0, 63.0],
        "config_002": [55.0, 58.0, 60.0, 61.0],
        "config_003": [20.0, 50.0, 80.0, 95.0],
    }
    records = []
    for index, (name, values) in enumerate(curves.items()):
        test_name = f"{name}_learning_rate-{index}"
        trial = folder / test_name
        trial.mkdir(parents=True)
        rows = [{"epoch": e, "val/acc": v, "test_acc": v} for e, v in enumerate(values, start=1)]
        (trial / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        records.append(
            {
                "config_file": name,
                "test_name": test_name,
                "status": "completed",
                "val/acc": values[-1],
                "test_acc": values[-1],
                "CONFIG_LEARNING_RATE": index,
                "epochs_run": 4,
            }
        )
    (folder / "sweep_summary.json").write_text(json.dumps(records))
    (folder / "manifest.json").write_text(json.dumps({"segments": []}))
    return folder


def test_the_audit_says_when_a_rule_would_have_stopped_the_winner(tmp_path, capsys):
    sweep = late_bloomer_sweep(tmp_path / "sweep_20260101_000000")
    args = ["audit-stop", str(sweep), "--early-stop", "asha", "--es-grace", "1"]
    assert main([*args, "--es-factor", "3", "--metric", "val/acc"]) == 0
    text = capsys.readouterr().out
    assert "Winner of the full sweep: config_003 (val/acc 95.00%): STOPPED at epoch 1." in text
    assert "Verdict: not safe here: asha would have stopped the winner." in text
    assert "Best under asha: config_001 (val/acc 63.00%); as a point on the (trial-epochs, " in text
    # The i-Epoch baseline at the rule's trial-epochs or fewer, never more.
    assert "  k=1: 1 of 3 go on, 6 trial-epochs, best found config_001 (val/acc 63.00%)" in text


def test_a_sweep_that_stopped_trials_itself_cannot_be_audited(reference, capsys):
    assert main(["audit-stop", str(reference), "--early-stop", "median"]) == 2
    assert "stopped trials early itself" in capsys.readouterr().err
