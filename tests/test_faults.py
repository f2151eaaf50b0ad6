"""A hostile world on the real path: SIGKILL, two sweeps at once, leftover processes, a dead
fork server, damaged state files, bad bytes, a changed Kconfig tree, and a chaos run.

Every sweep here is a real ``ksweep`` process training real LeNet-5 trials on digits.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sweep_helpers import (
    alive,
    ksweep,
    only_sweep_dir,
    processes_of,
    records_of,
    wait_until,
)

from ksweep.cli import main

ROOT = Path(__file__).resolve().parents[1]
FAULTS = ROOT / "tests" / "cases" / "faults"
LAUNCH = ROOT / "tests" / "cases" / "launch"
KCONFIG = str(ROOT / "Kconfig")
pytestmark = pytest.mark.slow


def generate(range_file: Path, out: Path, kconfig: str = KCONFIG) -> Path:
    assert main(["--kconfig", kconfig, "generate", str(range_file), "--out", str(out)]) == 0
    return out


def start(*args: str, log: Path, kconfig: str = KCONFIG) -> subprocess.Popen:
    """A runner in its own process, writing its output into ``log``."""
    handle = log.open("w")
    return subprocess.Popen(
        ksweep("--kconfig", kconfig, *args), cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT
    )


def running_trials(results: Path, since: float = 0.0) -> list[dict]:
    """Trials whose status says running (with an epoch written), written at or after
    ``since`` (a time.time()): a killed runner leaves its trials' statuses at running."""
    found = []
    for path in results.glob("sweep_*/config_*/status.json"):
        try:
            if path.stat().st_mtime < since:
                continue
            status = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if status.get("state") == "running" and (path.parent / "metrics.jsonl").exists():
            found.append(status)
    return found


def all_json_is_valid(folder: Path) -> None:
    for path in folder.rglob("*.json"):
        json.loads(path.read_text())


def test_sigkill_of_the_runner_leaves_no_process_of_the_sweep(tmp_path):
    configs = generate(LAUNCH / "slow-seeds-range", tmp_path / "configs")
    results = tmp_path / "results"
    runner = start(
        "run", "--config-dir", str(configs), "--output-dir", str(results), "--jobs", "2",
        "--device", "cpu", log=tmp_path / "log",
    )  # fmt: skip
    assert wait_until(lambda: len(running_trials(results)) == 2, 180), "two trials never ran"
    marker = str(only_sweep_dir(results).resolve())
    assert len(processes_of(marker)) >= 3  # the fork server and two trials
    runner.send_signal(signal.SIGKILL)
    runner.wait(timeout=30)
    assert wait_until(lambda: not processes_of(marker), 10), processes_of(marker)


def test_two_sweeps_started_together_each_run_their_own_configurations(tmp_path):
    configs, results = tmp_path / "sweep_configs", tmp_path / "results"
    a = start(
        "sweep", str(FAULTS / "three-optimizers-range"), "--out", str(configs),
        "--output-dir", str(results / "a"), "--device", "cpu", log=tmp_path / "a.log",
    )  # fmt: skip
    b = start(
        "sweep", str(FAULTS / "four-sgd-rates-range"), "--out", str(configs),
        "--output-dir", str(results / "b"), "--device", "cpu", log=tmp_path / "b.log",
    )  # fmt: skip
    assert a.wait(timeout=300) == 0, (tmp_path / "a.log").read_text()[-2000:]
    assert b.wait(timeout=300) == 0, (tmp_path / "b.log").read_text()[-2000:]
    runs_a = records_of(only_sweep_dir(results / "a"))
    runs_b = records_of(only_sweep_dir(results / "b"))
    assert len(runs_a) == 6 and {r["CONFIG_OPTIMIZER_SELECT"] for r in runs_a} == {
        "SGD",
        "ADAM",
        "ADAMW",
    }
    assert len(runs_b) == 4 and {r["optimizer"] for r in runs_b} == {"sgd"}
    assert sorted(r["CONFIG_LEARNING_RATE"] for r in runs_b) == [0.001, 0.003, 0.01, 0.03]


def test_a_process_a_trial_started_ends_with_it(tmp_path):
    configs = generate(FAULTS / "orphan-range", tmp_path / "configs")
    results = tmp_path / "results"
    args = ["run", "--config-dir", str(configs), "--output-dir", str(results), "--quiet"]
    assert main([*args, "--device", "cpu"]) == 0
    sweep = only_sweep_dir(results)
    (record,) = records_of(sweep)
    log = (sweep / record["test_name"] / "output.log").read_text()
    pid = int(log.split("background process ")[1].split()[0])
    assert record["status"] == "completed"
    assert wait_until(lambda: not alive(pid), 5), "the trial's background process outlived it"


def test_a_dead_fork_server_stops_the_sweep_and_resume_finishes_it(tmp_path):
    configs = generate(LAUNCH / "slow-seeds-range", tmp_path / "configs")
    results = tmp_path / "results"
    runner = start(
        "run", "--config-dir", str(configs), "--output-dir", str(results), "--jobs", "1",
        "--device", "cpu", log=tmp_path / "log",
    )  # fmt: skip
    assert wait_until(lambda: running_trials(results), 180)
    servers = [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit()
        and _parent(p) == runner.pid
        and b"forkserver" in (p / "cmdline").read_bytes()
    ]
    assert len(servers) == 1, servers
    os.kill(servers[0], signal.SIGKILL)
    assert runner.wait(timeout=60) != 0
    output = (tmp_path / "log").read_text()
    assert "the fork server (pid" in output and "has died" in output, output[-2000:]
    sweep = only_sweep_dir(results)
    manifest = json.loads((sweep / "manifest.json").read_text())
    assert manifest["state"] == "failed" and "fork server" in manifest["reason"]
    assert all(r["status"] == "completed" for r in records_of(sweep))  # no false failures
    assert main(["run", "--resume", str(sweep), "--quiet"]) == 0
    assert [r["status"] for r in records_of(sweep)] == ["completed"] * 4


def _parent(proc: Path) -> int | None:
    try:
        return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory) -> Path:
    """A small finished sweep that each damage test copies and breaks its own way."""
    base = tmp_path_factory.mktemp("finished")
    configs = generate(LAUNCH / "four-seeds-range", base / "configs")
    args = ["run", "--config-dir", str(configs), "--output-dir", str(base / "results")]
    assert main([*args, "--quiet", "--device", "cpu"]) == 0
    return only_sweep_dir(base / "results")


def damaged(finished_sweep: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "results" / finished_sweep.name
    shutil.copytree(finished_sweep, copy)
    return copy


def test_a_truncated_summary_is_rebuilt_everywhere(finished_sweep, tmp_path, capsys):
    sweep = damaged(finished_sweep, tmp_path)
    summary = sweep / "sweep_summary.json"
    summary.write_text(summary.read_text()[:200])
    assert main(["status", str(sweep)]) == 0
    out = capsys.readouterr().out
    assert "done 4/4" in out and "rebuilt it from the 4 trial folders" in out
    assert main(["analyze", str(sweep)]) == 0
    assert "Completed: 4" in capsys.readouterr().out
    assert main(["run", "--resume", str(sweep), "--quiet"]) == 0  # nothing left to run
    assert len(records_of(sweep)) == 4  # and the summary is whole again


def test_a_duplicated_record_is_counted_once(finished_sweep, tmp_path, capsys):
    sweep = damaged(finished_sweep, tmp_path)
    records = records_of(sweep)
    (sweep / "sweep_summary.json").write_text(json.dumps([*records, records[0]]))
    assert main(["status", str(sweep)]) == 0
    out = capsys.readouterr().out
    assert "done 4/4" in out and "left 0" in out and "more than once" in out


def test_a_truncated_manifest_refuses_resume_with_the_reason(finished_sweep, tmp_path, capsys):
    sweep = damaged(finished_sweep, tmp_path)
    manifest = sweep / "manifest.json"
    manifest.write_text(manifest.read_text()[:100])
    assert main(["run", "--resume", str(sweep)]) == 2
    err = capsys.readouterr().err
    assert f"{manifest} is not valid JSON" in err and "not resumed" in err
    assert main(["status", str(sweep)]) == 0
    assert "Warning:" in capsys.readouterr().out
    assert main(["analyze", str(sweep)]) == 0


def test_a_garbled_plan_falls_back_to_the_configs(finished_sweep, tmp_path, capsys):
    sweep = damaged(finished_sweep, tmp_path)
    (sweep / "configs" / "sweep_plan.json").write_bytes(b"\x00\xffnot json")
    assert main(["analyze", str(sweep)]) == 0
    assert main(["status", str(sweep)]) == 0
    assert main(["run", "--resume", str(sweep), "--quiet"]) == 0
    assert "varying values were read from the configs" in capsys.readouterr().err


def test_bad_bytes_in_a_trials_metrics_never_stop_the_analysis(finished_sweep, tmp_path, capsys):
    sweep = damaged(finished_sweep, tmp_path)
    metrics = next(sweep.glob("config_001*/metrics.jsonl"))
    with metrics.open("ab") as handle:
        handle.write(random.Random(0).randbytes(4096))
    assert main(["analyze", str(sweep)]) == 0
    assert "Completed: 4" in capsys.readouterr().out
    assert (sweep / "plots" / "curves.png").stat().st_size > 0


def test_a_no_op_resume_keeps_the_history(finished_sweep, tmp_path):
    sweep = damaged(finished_sweep, tmp_path)
    before = json.loads((sweep / "manifest.json").read_text())
    (sweep / ".sweep_summary.json.dead.tmp").write_text("left by a kill")
    assert main(["run", "--resume", str(sweep), "--quiet", "--jobs", "2"]) == 0
    after = json.loads((sweep / "manifest.json").read_text())
    assert len(after["segments"]) == len(before["segments"]) + 1
    assert after["segments"][-1]["launch"]["jobs"] == 2
    assert after["wall_time"] >= before["wall_time"]
    assert after["wall_time"] == pytest.approx(sum(s["wall_time"] for s in after["segments"]))
    assert not list(sweep.rglob("*.tmp")), "the kill's leftovers are cleaned"


def copy_tree(target: Path) -> Path:
    """The project's Kconfig tree (and only it) in ``target``, to change it safely."""
    for path in [
        ROOT / "Kconfig",
        *ROOT.glob("models/*Kconfig*"),
        *ROOT.glob("ksweep/**/Kconfig*"),
    ]:
        destination = target / path.relative_to(ROOT)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
    return target / "Kconfig"


def test_resume_checks_the_remaining_configs_against_a_changed_tree(tmp_path, capsys):
    kconfig = str(copy_tree(tmp_path / "tree"))
    configs = generate(LAUNCH / "crash-first-range", tmp_path / "configs", kconfig)
    args = ["--kconfig", kconfig, "run", "--config-dir", str(configs)]
    args += ["--output-dir", str(tmp_path / "results"), "--quiet", "--fail-fast"]
    assert main(args) == 1  # stopped after the first trial: three left
    sweep = only_sweep_dir(tmp_path / "results")
    training = Path(kconfig).parent / "ksweep" / "train" / "Kconfig.training"
    original = training.read_text()
    training.write_text(original + "\n# a comment changes the tree, not the configs\n")
    capsys.readouterr()
    assert main(["--kconfig", kconfig, "run", "--resume", str(sweep), "--quiet"]) == 1
    assert "still resolve identically and pass pre-flight" in capsys.readouterr().err
    narrower = original.replace("range 1 100000\n\tdefault 10", "range 5 100000\n\tdefault 10", 1)
    training.write_text(narrower)
    capsys.readouterr()
    assert main(["--kconfig", kconfig, "run", "--resume", str(sweep), "--rerun-failed"]) == 2
    err = capsys.readouterr().err
    assert "the Kconfig tree changed since this sweep started" in err
    assert "resolves differently now (CONFIG_NUM_EPOCHS: 1 -> 10)" in err


def test_chaos_sigkill_at_random_moments_then_resume(tmp_path):
    """Kill a JOBS=2 runner at random moments three times; each time nothing of the sweep
    survives and every file is valid JSON; the last resume completes each trial once."""
    configs = generate(FAULTS / "chaos-range", tmp_path / "configs")
    results = tmp_path / "results"
    moments = random.Random(2026).sample([1.0, 2.0, 3.0, 4.0, 5.0], 3)
    sweep = None
    kills = 0
    for index, moment in enumerate(moments):
        if sweep is None:
            args = ["run", "--config-dir", str(configs), "--output-dir", str(results)]
        else:
            args = ["run", "--resume", str(sweep)]
        began = time.time()
        runner = start(*args, "--jobs", "2", "--device", "cpu", log=tmp_path / f"log{index}")
        ran = wait_until(
            lambda r=runner, t=began: running_trials(results, t) or r.poll() is not None, 180
        )
        assert ran, "nothing ever ran"
        if runner.poll() is not None:
            break  # the sweep finished before this moment came: nothing left to kill
        time.sleep(moment)
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=30)
        kills += 1
        sweep = only_sweep_dir(results)
        marker = str(sweep.resolve())
        assert wait_until(lambda m=marker: not processes_of(m), 10), processes_of(marker)
        all_json_is_valid(sweep)
    assert kills >= 1, "no kill landed while trials ran"
    sweep = only_sweep_dir(results)
    assert main(["run", "--resume", str(sweep), "--jobs", "2", "--quiet"]) == 0
    records = records_of(sweep)
    assert [r["config_file"] for r in records] == [f"config_00{i}" for i in range(1, 7)]
    assert all(r["status"] == "completed" for r in records)
    assert len(list(sweep.glob("config_*"))) == 6
    all_json_is_valid(sweep)
