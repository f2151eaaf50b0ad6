"""LAUNCHER=slurm on a real single-node Slurm cluster: a sweep, a cancelled job, a timeout,
the runner SIGKILLed (its jobs end themselves) and resume; Slurm holds no job after each."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest
from slurm_cluster import SlurmCluster, why_no_slurm
from sweep_helpers import ksweep, only_sweep_dir, records_of

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
LIMIT_S = 900  # generous: the machine is shared
STALE_S = "5"  # how long a job waits for a silent runner here (60 s by default)


@pytest.fixture(scope="module")
def slurm():
    why = why_no_slurm()
    if why is not None:
        pytest.skip(why)
    cluster = SlurmCluster()
    try:
        try:
            cluster.start()
        except RuntimeError as problem:
            pytest.skip(f"Slurm cannot start here: {problem}")
        yield cluster
    finally:
        cluster.stop()


def configs_of(tmp: Path, lines: str) -> Path:
    range_file = tmp / "range"
    range_file.write_text(
        f"# ksweep: base={ROOT / 'defconfigs' / 'quickstart'}\nCONFIG_DATA_SUBSET=128\n{lines}"
    )
    configs = tmp / "configs"
    generate = ksweep("generate", str(range_file), "--out", str(configs))
    subprocess.run(generate, cwd=ROOT, check=True, capture_output=True, timeout=300)
    return configs


def sweep_args(configs: Path, results: Path, *extra: str) -> list[str]:
    return ksweep(
        "run", "--config-dir", str(configs), "--output-dir", str(results), "--device", "cpu",
        "--launcher", "slurm", "--jobs", "2", "--slurm-time", "0:20:00", "--quiet", *extra,
    )  # fmt: skip


def test_a_sweep_runs_each_trial_as_a_slurm_job(slurm, tmp_path):
    configs = configs_of(tmp_path, "CONFIG_NUM_EPOCHS=2\nCONFIG_SEED=1|2|3\n")
    done = subprocess.run(
        sweep_args(configs, tmp_path / "results", "--slurm-extra=--nice=0"),
        cwd=ROOT, env=slurm.env, capture_output=True, text=True, timeout=LIMIT_S,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    sweep = only_sweep_dir(tmp_path / "results")
    records = records_of(sweep)
    assert [r["status"] for r in records] == ["completed"] * 3
    assert all(r["node"] for r in records)
    for record in records:
        assert len((sweep / record["test_name"] / "metrics.jsonl").read_text().splitlines()) == 2
    assert slurm.wait_until_empty() == []


def wait_for(condition, limit: float = LIMIT_S) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.5)


def running_jobs(slurm: SlurmCluster) -> dict[str, str]:
    """Job name -> id of the jobs Slurm runs now."""
    rows = [line.split() for line in slurm.queue()]
    return {name: job for job, name, state in rows if state == "RUNNING"}


def test_a_cancelled_job_fails_its_trial_and_a_hung_one_times_out(slurm, tmp_path):
    configs = configs_of(
        tmp_path,
        'CONFIG_NUM_EPOCHS=3\nCONFIG_DEBUG_FAULT="hang"\nCONFIG_DEBUG_FAULT_EPOCH=2\n'
        "CONFIG_SEED=1|2\n",
    )
    results = tmp_path / "results"
    runner = subprocess.Popen(
        sweep_args(configs, results, "--timeout", "25"), cwd=ROOT, env=slurm.env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: "ksweep-config_001" in running_jobs(slurm) or runner.poll() is not None)
        slurm.run("scancel", running_jobs(slurm)["ksweep-config_001"])
        out, err = runner.communicate(timeout=LIMIT_S)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == 1, out[-2000:] + err[-2000:]
    cancelled, hung = records_of(only_sweep_dir(results))
    assert cancelled["status"] == "failed", cancelled
    # scancel sends SIGTERM, then SIGKILL after Slurm's KillWait: a job step still starting
    # under load can meet the second; either way the cancel is the cause on record.
    said = f"{cancelled['error']} {cancelled['log_tail']}"
    assert "SIGTERM" in said or "killed by SIGKILL" in said, cancelled
    assert hung["status"] == "timeout", hung
    assert slurm.wait_until_empty() == []


def test_a_sigkilled_runner_leaves_no_job_and_resume_finishes(slurm, tmp_path):
    configs = configs_of(tmp_path, "CONFIG_NUM_EPOCHS=6\nCONFIG_SEED=1|2|3\n")
    results = tmp_path / "results"
    env = {**slurm.env, "KSWEEP_SLURM_STALE_S": STALE_S}
    runner = subprocess.Popen(sweep_args(configs, results), cwd=ROOT, env=env)
    try:
        wait_for(lambda: len(running_jobs(slurm)) == 2 or runner.poll() is not None)
        runner.send_signal(signal.SIGKILL)
        runner.wait(timeout=60)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert slurm.wait_until_empty() == []  # the jobs saw the heartbeat stop and ended
    sweep = only_sweep_dir(results)
    resume = ksweep("run", "--resume", str(sweep), "--device", "cpu", "--launcher", "slurm")
    done = subprocess.run(
        [*resume, "--jobs", "2", "--quiet"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=LIMIT_S,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert [r["status"] for r in records_of(sweep)] == ["completed"] * 3
    segments = json.loads((sweep / "manifest.json").read_text())["segments"]
    assert segments[-1]["state"] == "finished"
    assert slurm.wait_until_empty() == []
