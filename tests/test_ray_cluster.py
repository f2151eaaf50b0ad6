"""LAUNCHER=ray on a real two-node cluster: data outside the project, a lost node, resume.

The second node runs without the project (see ``ray_cluster.py``), so every
trial that lands there runs on code Ray shipped and data found at the same
absolute path. One cluster serves the whole module (Ray's start-up is the
expensive part); the scenarios run in order, the node-loss one last but one
(it takes the second node away) and the resume one last.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ray_cluster import ROOT, TwoNodeCluster, why_no_cluster
from sweep_helpers import ksweep, only_sweep_dir, records_of

pytestmark = pytest.mark.slow
sys.path.insert(0, str(Path(__file__).parent))
from conftest_train import write_idx_dataset  # noqa: E402

RUN_LIMIT_S = 900  # generous: five engineers' tests share two cores


@pytest.fixture(scope="module")
def cluster():
    why = why_no_cluster()
    if why is not None:
        pytest.skip(why)
    cluster = TwoNodeCluster(head_cpus=2, second_cpus=1)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def mnist(tmp_path_factory) -> Path:
    """A small MNIST-format set at an absolute path outside the project."""
    return write_idx_dataset(tmp_path_factory.mktemp("mnist-outside"), n_train=600, n_test=100)


def generate(tmp: Path, mnist: Path, seeds: str, epochs: int) -> Path:
    range_file = tmp / "range"
    range_file.write_text(
        f"# ksweep: base={ROOT / 'defconfigs' / 'quickstart'}\n"
        "CONFIG_DATASET_SELECT_MNIST=y\n"
        f'CONFIG_DATA_DIR="{mnist}"\n'
        f"CONFIG_DATA_SUBSET=256\nCONFIG_NUM_EPOCHS={epochs}\nCONFIG_SEED={seeds}\n"
    )
    configs = tmp / "configs"
    args = ["generate", str(range_file), "--out", str(configs), "--data-root", str(mnist)]
    subprocess.run(ksweep(*args), cwd=ROOT, check=True, capture_output=True, timeout=300)
    return configs


def run_args(configs: Path, results: Path, *extra: str) -> list[str]:
    return ksweep(
        "run", "--config-dir", str(configs), "--output-dir", str(results),
        "--device", "cpu", "--launcher", "ray", "--jobs", "2", "--quiet", *extra,
    )  # fmt: skip


def sweep_on(cluster, configs: Path, results: Path, *extra: str) -> subprocess.CompletedProcess:
    """A sweep of ``configs`` on the cluster, by its address, to the end."""
    env = {**cluster.env, "RAY_ADDRESS": cluster.address}
    return subprocess.run(
        run_args(configs, results, *extra),
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_LIMIT_S,
    )  # fmt: skip


def test_an_mnist_sweep_with_data_outside_the_project_runs_on_both_nodes(cluster, mnist, tmp_path):
    configs = generate(tmp_path, mnist, "1|2|3|4", epochs=1)
    done = sweep_on(cluster, configs, tmp_path / "results")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    records = records_of(only_sweep_dir(tmp_path / "results"))
    assert [r["status"] for r in records] == ["completed"] * 4
    assert {r["node"] for r in records} == {"head", "second"}


def test_a_node_without_the_dataset_stops_the_sweep_naming_it(cluster, tmp_path):
    data = write_idx_dataset(cluster.head_only / "mnist", n_train=200, n_test=50)
    configs = generate(tmp_path, data, "1|2", epochs=1)
    done = sweep_on(cluster, configs, tmp_path / "results")
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "Ray node second" in output and f"no MNIST files in {data}" in output, output[-3000:]


def test_the_cluster_cannot_host_more_slots_than_it_has_cpus(cluster, mnist, tmp_path):
    configs = generate(tmp_path, mnist, "1", epochs=1)
    env = {**cluster.env, "RAY_ADDRESS": cluster.address}
    args = run_args(configs, tmp_path / "results")
    args[args.index("--jobs") + 1] = "9"
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode != 0
    assert "not JOBS=9" in done.stderr and "fix: JOBS=3" in done.stderr, done.stderr[-2000:]
    assert not (tmp_path / "results").exists() or not list((tmp_path / "results").iterdir())


def wait_for(condition, limit: float = RUN_LIMIT_S, every: float = 0.2) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(every)


def epochs_streamed(sweep: Path) -> int:
    """Trials of ``sweep`` running right now with at least one epoch mirrored home."""
    count = 0
    for status in sweep.glob("config_*/status.json"):
        try:
            state = json.loads(status.read_text()).get("state")
        except (OSError, ValueError):
            continue
        metrics = status.parent / "metrics.jsonl"
        if state == "running" and metrics.exists() and metrics.read_text().strip():
            count += 1
    return count


def test_losing_the_second_node_mid_sweep_retries_its_trial_and_completes_each_once(
    cluster, mnist, tmp_path
):
    # Long enough that the second node's trial is still running when the node is killed.
    configs = generate(tmp_path, mnist, "1|2|3|4", epochs=10)
    results = tmp_path / "results"
    env = {**cluster.env, "RAY_ADDRESS": cluster.address}
    runner = subprocess.Popen(
        run_args(configs, results, "--retries", "2"), cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: results.exists() and list(results.glob("sweep_*")))
        sweep = only_sweep_dir(results)
        wait_for(lambda: epochs_streamed(sweep) >= 2 or runner.poll() is not None)
        cluster.kill_second()
        out, err = runner.communicate(timeout=RUN_LIMIT_S)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == 0, out[-3000:] + err[-3000:]
    records = records_of(sweep)
    assert [r["status"] for r in records] == ["completed"] * 4
    assert len({r["config_file"] for r in records}) == 4
    retried = [r for r in records if r["attempts"] > 1]
    assert retried and all(r["node"] == "head" for r in retried)


def test_ctrl_c_then_resume_without_ray_address_finishes_the_sweep(cluster, mnist, tmp_path):
    """No RAY_ADDRESS: the runner joins the cluster running here and still ships the code."""
    configs = generate(tmp_path, mnist, "1|2|3", epochs=3)
    results = tmp_path / "results"
    env = dict(cluster.env)  # RAY_TMPDIR names the running cluster; RAY_ADDRESS is unset
    runner = subprocess.Popen(
        run_args(configs, results), cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_for(lambda: results.exists() and list(results.glob("sweep_*")))
        sweep = only_sweep_dir(results)
        wait_for(lambda: epochs_streamed(sweep) >= 1 or runner.poll() is not None)
        runner.send_signal(signal.SIGINT)
        out, err = runner.communicate(timeout=RUN_LIMIT_S)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert runner.returncode == 130, out[-2000:] + err[-2000:]
    assert "Traceback" not in err, err[-3000:]
    manifest = json.loads((sweep / "manifest.json").read_text())
    assert manifest["segments"][-1]["state"] == "interrupted"
    resume = ksweep("run", "--resume", str(sweep), "--device", "cpu", "--launcher", "ray")
    done = subprocess.run(
        [*resume, "--jobs", "2", "--quiet"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_LIMIT_S,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert [r["status"] for r in records_of(sweep)] == ["completed"] * 3
    manifest = json.loads((sweep / "manifest.json").read_text())
    assert [s["state"] for s in manifest["segments"]] == ["interrupted", "finished"]
