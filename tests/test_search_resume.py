"""Model-based search (Optuna TPE through ask-and-tell): the study in the sweep folder, told
seed means, continuing identically after a kill; and real SIGKILLs of random and tpe sweeps."""

import json
import math
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sweep_helpers import alive, ksweep, only_sweep_dir, records_of

from ksweep.cli import main
from ksweep.plan.build import GenerateOptions, build_plan
from ksweep.plan.kconfig import KconfigTree
from ksweep.plan.materialize import plan_record
from ksweep.plan.sampling import SearchOptions
from ksweep.sweep.manifest import begin_segment, new_manifest, read_manifest, write_manifest
from ksweep.sweep.records import write_summary
from ksweep.sweep.snapshot import create_sweep_folder, write_snapshot
from ksweep.sweepers.factory import repair_search_folder, sweeper_factory
from ksweep.sweepers.study import open_study, repair_journal

ROOT = Path(__file__).resolve().parents[1]
KCONFIG = str(ROOT / "Kconfig")
BASE = f"# ksweep: base={ROOT / 'defconfigs' / 'quickstart'}\n"
SPACE = """CONFIG_NUM_EPOCHS=1
CONFIG_DATA_SUBSET=128
CONFIG_OPTIMIZER_SELECT=SGD|ADAM
CONFIG_LEARNING_RATE=loguniform(1e-4,1e-1)
CONFIG_BATCH_SIZE=logint(16,128)
CONFIG_SEED=0|1
"""


def tpe_plan(tmp_path: Path, samples: int, seed: int = 0) -> dict:
    path = tmp_path / "tpe-range"
    path.write_text(BASE + SPACE)
    options = GenerateOptions(search=SearchOptions("tpe", samples, seed))
    return plan_record(build_plan(path, KconfigTree(KCONFIG), options=options))


def new_folder(root: Path, plan: dict):
    """A sweep folder as start_sweep makes it: snapshot (no config yet), plan, manifest."""
    folder = create_sweep_folder(root)
    hashes = write_snapshot(folder, [], plan)
    write_manifest(folder.manifest, begin_segment(new_manifest(plan, None, None, None, hashes), {}))
    return folder


def score(values: dict) -> float:
    """A deterministic objective of a trial's varying values: best near lr 3e-3 with ADAM."""
    lr = float(values["CONFIG_LEARNING_RATE"])
    bonus = 5.0 if values["CONFIG_OPTIMIZER_SELECT"] == "ADAM" else 0.0
    return 90.0 - 10.0 * (math.log10(lr) + 2.5) ** 2 + bonus + 0.1 * int(values["CONFIG_SEED"])


def record(trial) -> dict:
    value = score(trial.varying)
    return {
        "config_file": trial.config_name,
        "test_name": trial.test_name,
        "status": "completed",
        "test_acc": value,
        "val/acc": value,
        **trial.varying,
    }


def drive(sweeper, records: list[dict], stop_after: int | None = None) -> list:
    """Run the sweeper sequentially (JOBS=1), as the run loop does; stop early to 'kill'."""
    asked = []
    while True:
        trial = sweeper.ask()
        if trial is None:
            return asked
        asked.append(trial)
        if stop_after is not None and len(records) >= stop_after:
            return asked  # killed while this trial ran: it is never told
        records.append(record(trial))
        sweeper.tell(trial, records[-1])


def varying_of(records: list[dict]) -> list[tuple]:
    keys = ("CONFIG_OPTIMIZER_SELECT", "CONFIG_LEARNING_RATE", "CONFIG_BATCH_SIZE", "CONFIG_SEED")
    return [tuple(r[k] for k in keys) for r in sorted(records, key=lambda r: r["config_file"])]


def snapshot_of(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.snapshot.glob("config_*"))}


def test_tpe_is_told_seed_means_and_a_resumed_study_continues_identically(tmp_path):
    plan = tpe_plan(tmp_path, samples=7)
    whole = new_folder(tmp_path / "a", plan)
    records: list[dict] = []
    drive(sweeper_factory(plan, [], KCONFIG)(whole, set()), records)
    assert len(records) == 14  # 7 configurations x 2 seeds
    study = open_study(whole.study, "max")
    told = [t for t in study.trials if t.state.name == "COMPLETE" and "configs" in t.user_attrs]
    assert len(told) == 7
    by_name = {r["config_file"]: r for r in records}
    for trial in told:
        seeds = [by_name[n]["val/acc"] for n in trial.user_attrs["configs"]]
        assert trial.value == pytest.approx(sum(seeds) / len(seeds))
    assert len(set(varying_of(records))) == 14, "a configuration was run twice"

    for kill_at in (3, 8):  # inside a configuration's seeds, and later on
        killed = new_folder(tmp_path / f"k{kill_at}", plan)
        part: list[dict] = []
        drive(sweeper_factory(plan, [], KCONFIG)(killed, set()), part, stop_after=kill_at)
        write_summary(killed, part)
        done = {r["config_file"] for r in part}
        resumed = sweeper_factory(plan, [], KCONFIG)(killed, done)
        if kill_at == 3:  # killed again at once: the trial asked again is still only enqueued
            resumed = sweeper_factory(plan, [], KCONFIG)(killed, done)
        drive(resumed, part)
        assert varying_of(part) == varying_of(records), f"killed after {kill_at} trials"
        assert snapshot_of(killed) == snapshot_of(whole), "a config file differs"
        again = open_study(killed.study, "max")
        assert any(t.state.name == "FAIL" for t in again.trials)  # the trial the kill left
        assert any("asked_again" in t.user_attrs for t in again.trials)
        decisions = [json.loads(line) for line in killed.decisions.read_text().splitlines()]
        assert any(d["decision"] == "asked again" for d in decisions)


def test_a_proposal_written_but_not_recorded_is_removed_before_the_resume_checks(tmp_path):
    plan = tpe_plan(tmp_path, samples=3)
    folder = new_folder(tmp_path / "r", plan)
    records: list[dict] = []
    drive(sweeper_factory(plan, [], KCONFIG)(folder, set()), records, stop_after=1)
    manifest = read_manifest(folder.manifest).data
    recorded = set(manifest["config_sha256"])
    (folder.snapshot / "config_009").write_text("# written by a search that was killed\n")
    listing = json.loads(folder.plan.read_text())
    listing["configs"].append({"name": "config_009", "varying": {}})
    folder.plan.write_text(json.dumps(listing))
    assert repair_search_folder(folder) == ["config_009"]
    assert {p.name for p in folder.snapshot.glob("config_*")} == recorded
    assert {c["name"] for c in json.loads(folder.plan.read_text())["configs"]} == recorded


def test_a_journal_line_cut_by_a_kill_is_dropped_and_a_stale_lock_removed(tmp_path):
    journal = tmp_path / "study.journal"
    study = open_study(journal, "max")
    study.tell(study.ask(), 1.0)
    whole = journal.read_bytes()
    journal.write_bytes(whole + b'{"op_code": 4, "worker_id": "x", "trial_')
    Path(f"{journal}.lock").symlink_to("nowhere")
    assert repair_journal(journal)
    assert journal.read_bytes() == whole and not Path(f"{journal}.lock").is_symlink()
    again = open_study(journal, "max")
    again.tell(again.ask(), 2.0)
    assert [t.value for t in open_study(journal, "max").trials] == [1.0, 2.0]


# --- real sweeps, real SIGKILL --------------------------------------------------------

pytestmark_slow = pytest.mark.slow
TINY = """CONFIG_NUM_EPOCHS=1
CONFIG_DATA_SUBSET=128
CONFIG_LEARNING_RATE=loguniform(1e-4,1e-1)
CONFIG_SEED=0|1
"""


def sweep_args(range_file: Path, results: Path, method: str, samples: int) -> list[str]:
    return [
        "--kconfig", KCONFIG, "sweep", str(range_file), "--out", str(results.parent / "cfg"),
        "--output-dir", str(results), "--device", "cpu", "--quiet", "--jobs", "1",
        "--search", method, "--samples", str(samples), "--search-seed", "5",
    ]  # fmt: skip


def kill_midway(args: list[str], results: Path, finished: int) -> None:
    """Start the sweep, SIGKILL it once ``finished`` trials are recorded and another runs."""
    runner = subprocess.Popen(
        ksweep(*args), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline, victim = time.monotonic() + 300, None
    while time.monotonic() < deadline and victim is None and runner.poll() is None:
        for status_file in results.glob("sweep_*/config_*/status.json"):
            status = json.loads(status_file.read_text() or "{}")
            summary = status_file.parent.parent / "sweep_summary.json"
            done = json.loads(summary.read_text() or "[]") if summary.exists() else []
            if (
                status.get("state") == "running"
                and status.get("trial_pid")
                and len(done) >= finished
            ):
                victim = status
        time.sleep(0.05)
    assert victim is not None, "the sweep ended before it could be killed"
    runner.send_signal(signal.SIGKILL)
    runner.wait(timeout=30)
    deadline = time.monotonic() + 30
    while alive(victim["trial_pid"]) and time.monotonic() < deadline:
        time.sleep(0.2)


def configurations(sweep: Path) -> set[tuple]:
    return {(r["CONFIG_LEARNING_RATE"], r["CONFIG_SEED"]) for r in records_of(sweep)}


@pytestmark_slow
# TPE only: random and sobol draws are written at generate time, so their resume is a fixed
# sweep's (tests/test_launch.py, tests/test_faults.py); TPE asks while the sweep runs.
@pytest.mark.parametrize("method, samples, finished", [("tpe", 4, 3)])
def test_sigkill_then_resume_runs_the_configurations_of_an_uninterrupted_sweep(
    tmp_path, method, samples, finished
):
    range_file = tmp_path / "tiny-range"
    range_file.write_text(BASE + TINY)
    whole = tmp_path / "whole" / "results"
    assert main(sweep_args(range_file, whole, method, samples)) == 0
    expected = configurations(only_sweep_dir(whole))
    assert len(expected) == samples * 2

    results = tmp_path / "killed" / "results"
    kill_midway(sweep_args(range_file, results, method, samples), results, finished)
    sweep = only_sweep_dir(results)
    before = records_of(sweep)
    assert finished <= len(before) < samples * 2
    assert main(["--kconfig", KCONFIG, "run", "--resume", str(sweep), "--quiet"]) == 0
    after = records_of(sweep)
    assert configurations(sweep) == expected
    assert len(after) == samples * 2, "a configuration ran twice"
    kept = {r["config_file"]: r for r in after}
    assert all(kept[r["config_file"]] == r for r in before), "a finished trial was lost or rerun"
    assert json.loads((sweep / "manifest.json").read_text())["state"] == "finished"
