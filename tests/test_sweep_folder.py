"""The results folder's owner: names, order, damage-tolerant reading, history, leftovers."""

from __future__ import annotations

import json
from pathlib import Path

from ksweep.sweep.atomic import remove_temporaries, write_json_atomic
from ksweep.sweep.diskguard import RESERVE_BYTES, make_reserve, release_reserve
from ksweep.sweep.layout import SweepFolder, newest_sweep, sweep_folders
from ksweep.sweep.manifest import begin_segment, end_segment, new_manifest, read_manifest
from ksweep.sweep.records import read_summary
from ksweep.sweep.states import TrialState
from ksweep.sweep.tolerant import load_json, parse_jsonl
from ksweep.sweep.trialfiles import log_tail


def started(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"segments": []}))
    return folder


def test_sweeps_sort_by_time_then_counter_and_the_newest_has_a_manifest(tmp_path):
    for name in ("sweep_20260101_120000", "sweep_20260101_120000_2", "sweep_20260101_120000_10"):
        started(tmp_path / name)
    started(tmp_path / "sweep_20250101_000000")
    (tmp_path / "sweep_20270101_000000").mkdir()  # a start that never wrote its manifest
    (tmp_path / "sweep_99999999_999999;touch${IFS}PWNED;").mkdir()  # not a sweep's name
    names = [p.name for p in sweep_folders(tmp_path)]
    assert names == [
        "sweep_20250101_000000",
        "sweep_20260101_120000",
        "sweep_20260101_120000_2",
        "sweep_20260101_120000_10",
        "sweep_20270101_000000",
    ]
    assert newest_sweep(tmp_path).name == "sweep_20260101_120000_10"
    assert newest_sweep(tmp_path / "none") is None


def test_damaged_json_is_a_sentence_not_a_traceback(tmp_path):
    path = tmp_path / "manifest.json"
    assert load_json(path).missing
    path.write_text('{"state": "runn')
    assert "is not valid JSON (line 1" in load_json(path).problem
    path.write_bytes(b'{"state": "\xff\xfe"}')
    assert "holds bytes that are not UTF-8" in load_json(path).problem
    path.write_text("")
    assert "is empty" in load_json(path).problem
    path.write_text("[1, 2]")
    assert "holds a JSON list, not a dict" in load_json(path, dict).problem


def test_bad_lines_in_metrics_never_hide_the_good_ones():
    good = json.dumps({"epoch": 1, "test_acc": 50.0})
    raw = b"\n".join([good.encode(), b"\xff\xfe garbage", b'{"epoch": 2, "test_acc": NaN}', b""])
    raw += json.dumps({"epoch": 3}).encode() + b"\n" + b'{"epoch": 4, "cut'
    rows, damaged = parse_jsonl(raw)
    assert [r["epoch"] for r in rows] == [1, 3]
    assert damaged == 3


def trial(folder: SweepFolder, name: str, state: str = "completed") -> dict:
    record = {"config_file": name, "test_name": f"{name}_seed-0", "status": state}
    path = folder.trial(record["test_name"]).path
    path.mkdir(parents=True)
    write_json_atomic(path / "status.json", {"state": state, "record": record})
    return record


def test_a_truncated_summary_is_rebuilt_from_the_trials_and_says_so(tmp_path):
    folder = SweepFolder(tmp_path / "sweep_20260101_000000")
    records = [trial(folder, "config_001"), trial(folder, "config_002", "failed")]
    folder.summary.write_text(json.dumps(records)[:30])
    summary = read_summary(folder)
    assert summary.records == records
    assert len(summary.notes) == 1 and "rebuilt it from the 2 trial folders" in summary.notes[0]


def test_a_record_given_twice_is_counted_once(tmp_path):
    folder = SweepFolder(tmp_path / "sweep_20260101_000000")
    records = [trial(folder, "config_001"), trial(folder, "config_002")]
    folder.summary.write_text(json.dumps([records[0], records[1], records[0]]))
    summary = read_summary(folder)
    assert [r["config_file"] for r in summary.records] == ["config_001", "config_002"]
    assert "holds config_001 more than once" in summary.notes[0]


def test_a_summary_behind_its_trials_takes_their_records(tmp_path):
    folder = SweepFolder(tmp_path / "sweep_20260101_000000")
    first = trial(folder, "config_001")
    folder.summary.write_text(json.dumps([first]))
    second = trial(folder, "config_002")  # finished, but the summary write was lost
    assert read_summary(folder).records == [first, second]


def test_each_run_is_a_segment_and_wall_time_adds_up_across_resumes():
    manifest = new_manifest(None, None, None, "k" * 64, {})
    manifest = begin_segment(manifest, {"jobs": 2})
    manifest = end_segment(manifest, "interrupted", {"trials": 4}, 53.9)
    manifest = begin_segment(manifest, {"jobs": 1})
    manifest = end_segment(manifest, "finished", {"trials": 4}, 1.7)
    assert [s["state"] for s in manifest["segments"]] == ["interrupted", "finished"]
    assert [s["launch"]["jobs"] for s in manifest["segments"]] == [2, 1]
    assert manifest["wall_time"] == 55.6 and manifest["state"] == "finished"


def test_a_manifest_without_its_segments_is_damage(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps({"segments": "oops"}))
    assert "has no list of run segments" in read_manifest(path).problem


def test_temporaries_left_by_a_kill_are_removed(tmp_path):
    (tmp_path / "config_001").mkdir()
    (tmp_path / ".sweep_summary.json.abc123.tmp").write_text("half")
    (tmp_path / "config_001" / ".status.json.x.tmp").write_text("half")
    (tmp_path / "keep.tmp").write_text("not ours")
    assert remove_temporaries(tmp_path) == 2
    assert [p.name for p in tmp_path.rglob("*.tmp")] == ["keep.tmp"]


def test_the_disk_reserve_is_really_allocated_and_can_be_given_back(tmp_path):
    folder = SweepFolder(tmp_path)
    make_reserve(folder)
    assert folder.reserve.stat().st_blocks * 512 >= RESERVE_BYTES
    release_reserve(folder)
    assert not folder.reserve.exists()


def test_a_log_tail_is_bounded_in_bytes_lines_and_line_length(tmp_path):
    log = tmp_path / "output.log"
    with log.open("wb") as handle:
        handle.write(b"x" * (50 << 20))  # one 50 MB line
        handle.write(b"\nTraceback (most recent call last):\nRuntimeError: boom\n")
    tail = log_tail(log)
    assert len(tail) < 2000
    assert tail.endswith("RuntimeError: boom")


def test_states_know_what_resume_keeps():
    assert TrialState.PRUNED.final and TrialState.PRUNED.successful
    assert not TrialState.INTERRUPTED.final
    assert TrialState.DIVERGED.failure and TrialState.TIMEOUT.failure
    assert TrialState.of("nonsense") is None
