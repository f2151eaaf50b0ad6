"""Execution: concurrency, timeouts, retries, fail-fast, SIGKILL and resume, status,
estimates and the Ray launcher, all with real trainer processes on tiny digits runs."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from sweep_helpers import alive, ksweep, only_sweep_dir, records_of

from ksweep.cli import main
from ksweep.launch.slots import SlotRequest, plan_slots, trial_kind

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "cases" / "launch"
KCONFIG = str(ROOT / "Kconfig")


def generate(range_name: str, out: Path) -> Path:
    assert main(["--kconfig", KCONFIG, "generate", str(CASES / range_name), "--out", str(out)]) == 0
    return out


def run_args(configs: Path, results: Path, *flags: str) -> list[str]:
    """``ksweep run`` of ``configs`` into ``results`` on the CPU, quietly."""
    return [
        "run",
        "--config-dir",
        str(configs),
        "--output-dir",
        str(results),
        "--device",
        "cpu",
        "--quiet",
        *flags,
    ]


def run(configs: Path, results: Path, *flags: str) -> int:
    return main(run_args(configs, results, *flags))


def all_json_is_valid(folder: Path) -> None:
    for path in folder.rglob("*.json"):
        json.loads(path.read_text())
    for path in folder.rglob("metrics.jsonl"):
        for line in path.read_text().splitlines():
            json.loads(line)


# --- slots: pure --------------------------------------------------------------------


def test_slots_for_one_gpu_and_eight_jobs_share_it():
    slots = plan_slots({"cuda"}, SlotRequest(jobs=8), cores=16, gpus=["0"])
    assert len(slots) == 8
    assert {s.env["CUDA_VISIBLE_DEVICES"] for s in slots} == {"0"}
    assert {s.env["KSWEEP_THREADS"] for s in slots} == {"2"}


def test_slots_spread_over_gpus_up_to_trials_per_gpu():
    slots = plan_slots({"cuda"}, SlotRequest(trials_per_gpu=2), cores=8, gpus=["0", "3"])
    assert [s.env["CUDA_VISIBLE_DEVICES"] for s in slots] == ["0", "3", "0", "3"]


def test_cpu_slots_split_the_cores():
    slots = plan_slots({"cpu"}, SlotRequest(jobs=4), cores=8, gpus=[])
    assert [s.name for s in slots] == ["cpu#0", "cpu#1", "cpu#2", "cpu#3"]
    assert {s.env["KSWEEP_THREADS"] for s in slots} == {"2"}
    assert len(plan_slots({"cpu"}, SlotRequest(), cores=2, gpus=[])) == 1


@pytest.mark.parametrize(
    "device, gpus, kind",
    [("cpu", ["0"], "cpu"), ("cuda", [], "cuda"), ("auto", ["0"], "cuda"), ("auto", [], "cpu")],
)
def test_trial_kind(device, gpus, kind):
    assert trial_kind(device, gpus) == kind


# --- real runs ----------------------------------------------------------------------

pytestmark_slow = pytest.mark.slow


@pytestmark_slow
def test_jobs_two_runs_every_config_exactly_once(tmp_path):
    configs = generate("four-seeds-range", tmp_path / "configs")
    assert run(configs, tmp_path / "results", "--jobs", "2") == 0
    records = records_of(only_sweep_dir(tmp_path / "results"))
    assert sorted(r["config_file"] for r in records) == [f"config_00{i}" for i in range(1, 5)]
    assert all(r["status"] == "completed" and r["attempts"] == 1 for r in records)
    assert {r["slot"] for r in records} <= {"cpu#0", "cpu#1"}
    assert [r["CONFIG_SEED"] for r in records] == [0, 1, 2, 3]


@pytestmark_slow
def test_a_hung_trial_is_killed_at_its_timeout_and_recorded(tmp_path):
    configs = generate("hang-range", tmp_path / "configs")
    started = time.monotonic()
    assert run(configs, tmp_path / "results", "--timeout", "4") == 1
    assert time.monotonic() - started < 120
    sweep = only_sweep_dir(tmp_path / "results")
    (record,) = records_of(sweep)
    assert record["status"] == "timeout"
    assert "exceeded the trial timeout of 4s" in record["error"]
    status = json.loads((sweep / record["test_name"] / "status.json").read_text())
    assert status["state"] == "timeout"
    assert not alive(status["trial_pid"])
    assert "injecting fault: hang" in (sweep / record["test_name"] / "output.log").read_text()


@pytestmark_slow
def test_a_crashing_trial_is_retried_and_every_attempt_kept(tmp_path):
    configs = generate("crash-range", tmp_path / "configs")
    assert run(configs, tmp_path / "results", "--retries", "2") == 1
    sweep = only_sweep_dir(tmp_path / "results")
    (record,) = records_of(sweep)
    assert record["status"] == "failed" and record["attempts"] == 3
    assert "injected fault: crash" in record["error"]
    retired = sorted(p.name for p in (sweep / "attempts").iterdir())
    assert retired == [f"{record['test_name']}.attempt1", f"{record['test_name']}.attempt2"]
    for name in retired:
        assert "injected fault" in (sweep / "attempts" / name / "output.log").read_text()


@pytestmark_slow
def test_fail_fast_stops_at_the_first_failure_and_can_resume(tmp_path, capsys):
    configs = generate("crash-first-range", tmp_path / "configs")
    assert run(configs, tmp_path / "results", "--fail-fast", "--jobs", "1") == 1
    sweep = only_sweep_dir(tmp_path / "results")
    assert [r["config_file"] for r in records_of(sweep)] == ["config_001"]
    manifest = json.loads((sweep / "manifest.json").read_text())
    assert manifest["state"] == "stopped" and manifest["counts"]["not_run"] == 3
    capsys.readouterr()
    assert main(["run", "--resume", str(sweep), "--quiet"]) == 1
    records = records_of(sweep)
    assert [r["config_file"] for r in records] == [f"config_00{i}" for i in range(1, 5)]
    assert [r["status"] for r in records] == ["failed", "failed", "completed", "completed"]


@pytestmark_slow
def test_sigkill_of_the_runner_then_resume_completes_every_config_once(tmp_path):
    configs = generate("slow-seeds-range", tmp_path / "configs")
    results = tmp_path / "results"
    runner = subprocess.Popen(
        ksweep(*run_args(configs, results)),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline, victim = time.monotonic() + 240, None
    while time.monotonic() < deadline and victim is None:
        for status_file in results.glob("sweep_*/config_*/status.json"):
            status = json.loads(status_file.read_text() or "{}")
            summary = status_file.parent.parent / "sweep_summary.json"
            finished = json.loads(summary.read_text()) if summary.exists() else []
            if status.get("state") == "running" and status.get("trial_pid") and finished:
                victim = status
        time.sleep(0.1)
    assert victim is not None, "no trial was running after the first one finished"
    runner.send_signal(signal.SIGKILL)
    runner.wait(timeout=30)
    deadline = time.monotonic() + 30
    while alive(victim["trial_pid"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not alive(victim["trial_pid"]), "a trial outlived its killed runner"

    sweep = only_sweep_dir(results)
    all_json_is_valid(sweep)
    before = records_of(sweep)
    assert 1 <= len(before) < 4
    assert main(["run", "--resume", str(sweep), "--quiet"]) == 0
    records = records_of(sweep)
    assert [r["config_file"] for r in records] == [f"config_00{i}" for i in range(1, 5)]
    assert all(r["status"] == "completed" for r in records)
    assert records[: len(before)] == before, "finished trials are not run again"
    all_json_is_valid(sweep)
    trial_dirs = sorted(p.name for p in sweep.glob("config_*"))
    assert len(trial_dirs) == 4
    assert json.loads((sweep / "manifest.json").read_text())["state"] == "finished"


@pytestmark_slow
def test_resume_refuses_when_the_configs_changed(tmp_path, capsys):
    configs = generate("four-seeds-range", tmp_path / "configs")
    assert run(configs, tmp_path / "results") == 0
    sweep = only_sweep_dir(tmp_path / "results")
    capsys.readouterr()
    generate("crash-range", configs)
    assert main(["run", "--resume", str(sweep), "--config-dir", str(configs)]) == 2
    assert "no longer holds the configs this sweep ran" in capsys.readouterr().err
    snapshot = sweep / "configs" / "config_002"
    snapshot.write_text(snapshot.read_text().replace("CONFIG_SEED=1", "CONFIG_SEED=9"))
    assert main(["run", "--resume", str(sweep)]) == 2
    assert "changed since the sweep started (config_002)" in capsys.readouterr().err


@pytestmark_slow
def test_rerun_failed_runs_failures_again_and_keeps_the_old_folder(tmp_path):
    configs = generate("crash-range", tmp_path / "configs")
    assert run(configs, tmp_path / "results") == 1
    sweep = only_sweep_dir(tmp_path / "results")
    assert main(["run", "--resume", str(sweep), "--quiet"]) == 1  # nothing left to run
    assert not (sweep / "attempts").exists()
    assert main(["run", "--resume", str(sweep), "--rerun-failed", "--quiet"]) == 1
    (record,) = records_of(sweep)
    assert record["status"] == "failed"
    assert [p.name.rsplit(".", 1)[1] for p in (sweep / "attempts").iterdir()] == ["failed1"]


@pytestmark_slow
def test_status_and_estimate_read_the_results_folder(tmp_path, capsys):
    configs = generate("four-seeds-range", tmp_path / "configs")
    results = tmp_path / "results"
    assert run(configs, results, "--jobs", "2") == 0
    capsys.readouterr()
    assert main(["status", "--output-dir", str(results)]) == 0
    text = capsys.readouterr().out
    assert "State: finished" in text and "done 4/4 | running 0 | failed 0 | left 0" in text
    assert (
        main(
            [
                "--kconfig",
                KCONFIG,
                "estimate",
                str(CASES / "four-seeds-range"),
                "--output-dir",
                str(results),
                "--jobs",
                "2",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "4 trials: 1 configuration x 4 seeds (4 expanded)" in text
    assert "timed from 4 earlier trials of lenet5 on digits (128 samples)" in text
    assert "Estimated wall time with JOBS=2" in text
    assert (
        main(
            [
                "--kconfig",
                KCONFIG,
                "estimate",
                str(CASES / "slow-seeds-range"),
                "--output-dir",
                str(results),
            ]
        )
        == 0
    )
    assert "No earlier runs of lenet5 on digits (512 samples)" in capsys.readouterr().out


@pytestmark_slow
def test_the_exec_backend_runs_fresh_processes(tmp_path):
    configs = generate("four-seeds-range", tmp_path / "configs")
    for extra in ("config_002", "config_003", "config_004"):
        (configs / extra).unlink()
    (configs / "sweep_plan.json").unlink()
    assert run(configs, tmp_path / "results", "--backend", "exec") == 0
    (record,) = records_of(only_sweep_dir(tmp_path / "results"))
    assert record["status"] == "completed"


@pytestmark_slow
def test_the_ray_launcher_runs_a_sweep_on_a_local_ray_instance(tmp_path):
    pytest.importorskip("ray")
    configs = generate("four-seeds-range", tmp_path / "configs")
    (configs / "config_003").unlink()
    (configs / "config_004").unlink()
    (configs / "sweep_plan.json").unlink()
    env = {k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}  # a local instance
    # its own temp dir: it neither joins nor is joined by another Ray running on this machine
    env["RAY_TMPDIR"] = tempfile.mkdtemp(prefix="kr", dir="/tmp")  # short: Ray's socket paths
    result = subprocess.run(
        ksweep(
            "run",
            "--config-dir",
            str(configs),
            "--output-dir",
            str(tmp_path / "results"),
            "--device",
            "cpu",
            "--launcher",
            "ray",
            "--jobs",
            "2",
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=400,
    )
    shutil.rmtree(env["RAY_TMPDIR"], ignore_errors=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    sweep = only_sweep_dir(tmp_path / "results")
    records = records_of(sweep)
    assert [r["status"] for r in records] == ["completed", "completed"]
    for record in records:
        trial = sweep / record["test_name"]
        assert (trial / "training_metrics.json").is_file()
        assert "epoch 1/1" in (trial / "output.log").read_text()
        assert len((trial / "metrics.jsonl").read_text().splitlines()) == 1


def test_two_sweeps_started_in_the_same_second_get_their_own_folders(tmp_path):
    from ksweep.sweep.snapshot import create_sweep_folder

    first, second = create_sweep_folder(tmp_path), create_sweep_folder(tmp_path)
    assert first.path != second.path and first.path.is_dir() and second.path.is_dir()


@pytestmark_slow
def test_status_shows_the_epoch_a_running_trial_has_reached(tmp_path):
    """A real sweep whose trial finishes epoch 1 and then hangs: status reads its metrics.jsonl."""
    range_file = tmp_path / "stuck-range"
    range_file.write_text(
        f"# ksweep: base={ROOT / 'defconfigs' / 'quickstart'}\n"
        "CONFIG_DATA_SUBSET=128\nCONFIG_NUM_EPOCHS=3\n"
        'CONFIG_DEBUG_FAULT="hang"\nCONFIG_DEBUG_FAULT_EPOCH=2\n'
    )
    configs = tmp_path / "configs"
    assert main(["--kconfig", KCONFIG, "generate", str(range_file), "--out", str(configs)]) == 0
    results = tmp_path / "results"
    runner = subprocess.Popen(ksweep(*run_args(configs, results, "--timeout", "120")))
    try:
        deadline = time.monotonic() + 90
        text = ""
        while time.monotonic() < deadline and "epoch 1/3" not in text:
            time.sleep(0.5)
            status = subprocess.run(
                ksweep("status", "--output-dir", str(results)), capture_output=True, text=True
            )
            text = status.stdout
        assert "running config_001 on cpu#0" in text, text
        assert "(attempt 1), epoch 1/3, val " in text, text
        # Nothing has finished, yet the ETA is extrapolated from the epoch that has.
        assert "done 0/1" in text and "ETA ?" not in text, text
    finally:
        runner.send_signal(signal.SIGTERM)
        runner.wait(timeout=60)
