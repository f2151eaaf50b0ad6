"""A real two-trial sweep, then what a resume keeps and what analyze writes back."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sweep_helpers import run_ksweep as ksweep

ROOT = Path(__file__).resolve().parents[1]
RANGE = ROOT / "tests" / "cases" / "records" / "two-digits-range"


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> Path:
    """One real sweep, run with non-default launch settings (exec backend: no fork server)."""
    base = tmp_path_factory.mktemp("sweep")
    done = ksweep(
        "sweep", str(RANGE), "--out", str(base / "configs"), "--output-dir", str(base / "res"),
        "--device", "cpu", "--quiet", "--jobs", "2", "--backend", "exec", "--timeout", "300",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (sweep,) = (base / "res").glob("sweep_*")
    return sweep


def copy_of(finished: Path, tmp_path: Path) -> Path:
    target = tmp_path / finished.name
    shutil.copytree(finished, target)
    return target


def segments(sweep: Path) -> list[dict]:
    return json.loads((sweep / "manifest.json").read_text())["segments"]


def test_resume_keeps_the_launch_settings_and_says_so(finished, tmp_path):
    sweep = copy_of(finished, tmp_path)
    kept = ksweep("run", "--resume", str(sweep), "--quiet")
    assert kept.returncode == 0, kept.stderr
    assert "resuming with this sweep's own settings: JOBS=2, TRIAL_TIMEOUT=300" in kept.stderr
    launch = segments(sweep)[-1]["launch"]
    assert launch["jobs"] == 2 and launch["backend"] == "exec" and launch["timeout"] == 300
    changed = ksweep("run", "--resume", str(sweep), "--quiet", "--jobs", "1", "--early-stop",
                     "median")  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    assert "this resume overrides: JOBS=1 (the sweep ran with JOBS=2)" in changed.stderr
    assert "this resume changes the early-stopping rule: rule=median" in changed.stderr
    assert segments(sweep)[-1]["launch"]["jobs"] == 1


def test_analyze_writes_the_rebuilt_summary_back(finished, tmp_path):
    sweep = copy_of(finished, tmp_path)
    summary = sweep / "sweep_summary.json"
    summary.write_bytes(summary.read_bytes()[:40])
    result = ksweep("analyze", str(sweep))
    assert result.returncode == 0, result.stderr
    assert f"wrote the rebuilt {summary} (2 records)" in result.stderr
    records = json.loads(summary.read_text())
    assert sorted(r["config_file"] for r in records) == ["config_001", "config_002"]


# Runs inside a private mount namespace: a small tmpfs, full or read-only, for real.
DRIVER = """
import json, shutil, subprocess, sys
from pathlib import Path
mount, sweep, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
ksweep = [sys.executable, "-m", "ksweep"]
def run(*args):
    done = subprocess.run([*ksweep, *args], capture_output=True, text=True)
    return {"rc": done.returncode, "err": done.stderr[-3000:]}
report = {}
filler = mount / "filler"
with open(filler, "wb", buffering=0) as handle:
    try:
        while True:
            handle.write(b"\\0" * 4096)
    except OSError:
        pass
report["full"] = run("run", "--config-dir", str(sweep / "configs"), "--output-dir",
                     str(mount / "res"), "--quiet", "--device", "cpu")
report["left"] = sorted(p.name for p in (mount / "res").glob("*"))
filler.unlink()
shutil.rmtree(mount / "res", ignore_errors=True)
copy = mount / sweep.name
shutil.copytree(sweep, copy, ignore=shutil.ignore_patterns("*.pt"))
(copy / "sweep_summary.json").write_text("[{")
subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
report["analyze"] = run("analyze", str(copy))
report["resume"] = run("run", "--resume", str(copy), "--quiet")
(out / "report.json").write_text(json.dumps(report))
"""


def in_private_mounts(tmp_path: Path, sweep: Path) -> dict:
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1) here to make a private tmpfs")
    mount = tmp_path / "mnt"
    mount.mkdir()
    for prefix in (["unshare", "-m"], ["unshare", "-rm"]):
        probe = subprocess.run([*prefix, "mount", "-t", "tmpfs", "tmpfs", str(mount)],
                               capture_output=True, text=True)  # fmt: skip
        if probe.returncode == 0:
            break
    else:
        pytest.skip(f"this machine cannot mount a tmpfs: {probe.stderr.strip()}")
    (tmp_path / "driver.py").write_text(DRIVER)
    command = [sys.executable, str(tmp_path / "driver.py"), str(mount), str(sweep), str(tmp_path)]
    subprocess.run([*prefix, *command], cwd=ROOT, check=True, timeout=600)
    return json.loads((tmp_path / "report.json").read_text())


def test_a_full_or_read_only_disk_gets_a_sentence_with_the_path(finished, tmp_path):
    report = in_private_mounts(tmp_path, finished)
    full = report["full"]
    assert full["rc"] == 2 and "Traceback" not in full["err"], full
    assert "full" in full["err"] and str(tmp_path / "mnt") in full["err"], full
    assert report["left"] == [], report  # no sweep folder, no .runner.lock
    for name in ("analyze", "resume"):
        result = report[name]
        assert result["rc"] == 2 and "Traceback" not in result["err"], (name, result)
        assert "Read-only file system" in result["err"] and "writable" in result["err"], result
    assert "was not rewritten (Read-only file system)" in report["analyze"]["err"]


def test_a_sigkilled_run_is_recorded_as_killed_with_its_time(finished, tmp_path):
    import os
    import signal
    import time

    sweep = copy_of(finished, tmp_path)
    (sweep / "sweep_summary.json").unlink()
    shutil.rmtree(next(sweep.glob("config_002_*")))  # one trial left to run
    runner = subprocess.Popen(
        [sys.executable, "-m", "ksweep", "run", "--resume", str(sweep), "--quiet"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not (
        len(segments(sweep)) == 2 and list(sweep.glob("config_002_*"))
    ):
        time.sleep(0.2)
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    assert segments(sweep)[-1]["state"] == "running"
    result = ksweep("analyze", str(sweep))
    assert result.returncode == 0, result.stderr
    last = segments(sweep)[-1]
    assert last["state"] == "killed" and last["wall_time"] is not None, last
    assert "(1 run)" not in (sweep / "sweep_analysis.txt").read_text()


def test_an_append_after_a_torn_line_keeps_the_new_line_whole(tmp_path):
    from ksweep.sweep.atomic import append_line
    from ksweep.sweep.tolerant import load_jsonl

    log = tmp_path / "decisions.jsonl"
    log.write_bytes(b'{"decision": "first"}\n{"decision": "to')  # a kill inside a write
    append_line(log, json.dumps({"decision": "next"}))
    rows, damaged = load_jsonl(log)
    assert [r["decision"] for r in rows] == ["first", "next"] and damaged == 1


def test_a_status_json_with_a_bad_byte_keeps_its_trial(finished, tmp_path):
    sweep = copy_of(finished, tmp_path)
    (sweep / "sweep_summary.json").write_bytes(b"[{")
    status = next(sweep.glob("config_002_*")) / "status.json"
    text = json.dumps({**json.loads(status.read_text()), "note": "MARK"})
    status.write_bytes(text.encode().replace(b"MARK", b"\xff"))  # one byte that is not UTF-8
    resumed = ksweep("run", "--resume", str(sweep), "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert "its record was read with the bad bytes replaced" in resumed.stderr
    records = json.loads((sweep / "sweep_summary.json").read_text())
    assert sorted(r["config_file"] for r in records) == ["config_001", "config_002"]
    assert b"\xff" in status.read_bytes()  # not trained again
