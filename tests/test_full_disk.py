"""A full disk, for real: the results folder on a small tmpfs in a private mount namespace.

The sweep must stop with a clear message, say in its manifest what happened,
exit non-zero, lose nothing, and finish on resume once space is freed; a start
on a disk too full to hold a sweep's records leaves no folder behind. Skipped
where this machine cannot mount a tmpfs (no root and no user namespaces).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FAULTS = ROOT / "tests" / "cases" / "faults"
pytestmark = pytest.mark.slow

# Runs inside the namespace: mounts the tmpfs, fills it, sweeps, frees it, resumes, and copies
# what the tests look at out of the tmpfs (which vanishes with the namespace).
DRIVER = textwrap.dedent(
    """
    import json, os, shutil, subprocess, sys
    from pathlib import Path

    mount, out, size_kb, free_kb, range_file = sys.argv[1:6]
    mount, out = Path(mount), Path(out)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(mount)],
                   check=True)
    filler = mount / "filler"
    room = shutil.disk_usage(mount).free - int(free_kb) * 1024
    with open(filler, "wb") as handle:
        handle.write(b"\\0" * max(0, room))
    ksweep = [sys.executable, "-m", "ksweep", "--kconfig", "Kconfig"]
    results = mount / "results"

    def run(*args):
        done = subprocess.run([*ksweep, *args], capture_output=True, text=True)
        return {"rc": done.returncode, "out": done.stdout[-4000:], "err": done.stderr[-4000:]}

    report = {"first": run("sweep", range_file, "--out", str(out / "configs"),
                           "--output-dir", str(results), "--device", "cpu", "--quiet")}
    sweeps = sorted(results.glob("sweep_*")) if results.exists() else []
    report["folders"] = [p.name for p in sweeps]
    if sweeps:
        shutil.copytree(sweeps[0], out / "stopped", ignore=shutil.ignore_patterns("*.pt"))
        filler.unlink()
        report["resume"] = run("run", "--resume", str(sweeps[0]), "--quiet")
        shutil.copytree(sweeps[0], out / "resumed", ignore=shutil.ignore_patterns("*.pt"))
    (out / "report.json").write_text(json.dumps(report))
    """
)


def in_a_full_disk(tmp_path: Path, size_kb: int, free_kb: int) -> dict:
    mount = tmp_path / "mnt"
    mount.mkdir()
    (tmp_path / "driver.py").write_text(DRIVER)
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1) here to make a private tmpfs")
    command = [sys.executable, str(tmp_path / "driver.py"), str(mount), str(tmp_path)]
    command += [str(size_kb), str(free_kb), str(FAULTS / "checkpoints-range")]
    for prefix in (["unshare", "-m"], ["unshare", "-rm"]):
        probe = subprocess.run([*prefix, "mount", "-t", "tmpfs", "tmpfs", str(mount)], text=True,
                               capture_output=True)  # fmt: skip
        if probe.returncode == 0:
            break
    else:
        pytest.skip(f"this machine cannot mount a tmpfs: {probe.stderr.strip()}")
    subprocess.run([*prefix, *command], cwd=ROOT, check=True, timeout=600)
    return json.loads((tmp_path / "report.json").read_text())


def test_a_disk_that_fills_up_stops_the_sweep_and_resume_finishes_it(tmp_path):
    report = in_a_full_disk(tmp_path, size_kb=4096, free_kb=1900)
    first = report["first"]
    assert first["rc"] != 0, first
    assert "the disk is full" in first["err"], first
    assert "Traceback" not in first["out"] + first["err"], first
    stopped = tmp_path / "stopped"
    manifest = json.loads((stopped / "manifest.json").read_text())
    assert manifest["state"] == "failed" and "the disk is full" in manifest["reason"]
    done = [r for r in json.loads((stopped / "sweep_summary.json").read_text())]
    assert 1 <= len(done) < 6 and all(r["status"] == "completed" for r in done), done
    resumed = report["resume"]
    assert resumed["rc"] == 0, resumed
    records = json.loads((tmp_path / "resumed" / "sweep_summary.json").read_text())
    assert [r["config_file"] for r in records] == [f"config_00{i}" for i in range(1, 7)]
    assert all(r["status"] == "completed" for r in records)
    segments = json.loads((tmp_path / "resumed" / "manifest.json").read_text())["segments"]
    assert [s["state"] for s in segments] == ["failed", "finished"]


def test_a_disk_too_full_to_start_leaves_no_sweep_folder(tmp_path):
    report = in_a_full_disk(tmp_path, size_kb=2048, free_kb=300)
    first = report["first"]
    assert first["rc"] == 2, first
    assert "is full" in first["err"] and "free some space" in first["err"], first
    assert report["folders"] == []
