"""Paused trials hold no memory: under top-k, every configuration pauses at epoch 1 and, with
checkpointed pauses, exits; at no moment do more trial processes live than JOBS. The rule's
decisions are the same as with trials that wait in their processes (PAUSE_MODE=wait)."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import pytest
from sweep_helpers import ksweep, only_sweep_dir, processes_of, records_of

ROOT = Path(__file__).resolve().parents[1]
RANGE = ROOT / "tests" / "cases" / "trial" / "topk-twelve-range"
TOPK = ("--early-stop", "topk", "--es-topk-epochs", "1", "--es-topk-keep", "0.25")
pytestmark = pytest.mark.slow


def trial_processes(marker: str) -> int:
    """Trial processes of one sweep: each is the leader of its own session."""
    count = 0
    for pid in processes_of(marker):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        count += int(fields[3]) == pid  # the session id is its own pid
    return count


def _sweep(tmp_path: Path, mode: str) -> tuple[Path, int]:
    """Run the sweep; return its folder and the most trial processes seen alive at once."""
    out = tmp_path / mode
    args = ksweep("sweep", str(RANGE), "--out", str(tmp_path / f"c-{mode}"), "--output-dir")
    args += [str(out), "--jobs", "2", "--device", "cpu", "--pause-mode", mode, *TOPK, "--quiet"]
    runner = subprocess.Popen(args, cwd=ROOT)
    peak, done = [0], threading.Event()

    def watch() -> None:
        while not done.is_set():
            for sweep in out.glob("sweep_*"):
                peak[0] = max(peak[0], trial_processes(str(sweep.resolve())))
            done.wait(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        assert runner.wait(timeout=600) == 0
    finally:
        done.set()
        watcher.join()
    return only_sweep_dir(out), peak[0]


def _decisions(sweep: Path) -> list[tuple]:
    lines = (sweep / "decisions.jsonl").read_text().splitlines()
    decided = {(d.get("config"), d.get("epoch"), d.get("action")) for d in map(json.loads, lines)}
    return sorted(decided, key=str)


def test_top_k_with_checkpointed_pauses_keeps_at_most_jobs_processes(tmp_path):
    exiting, peak = _sweep(tmp_path, "exit")
    assert peak <= 2, f"{peak} trial processes alive at once with JOBS=2"
    resident, resident_peak = _sweep(tmp_path, "wait")
    assert resident_peak > 2  # top-k needs every configuration at its rung: they wait alive
    assert _decisions(exiting) == _decisions(resident)
    states = {r["config_file"]: r["status"] for r in records_of(exiting)}
    assert states == {r["config_file"]: r["status"] for r in records_of(resident)}
    went_on = list(states.values()).count("completed")
    assert 3 <= went_on < 12  # a quarter of twelve, and any tied with them, go on
