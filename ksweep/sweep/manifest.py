"""``manifest.json``: what a sweep ran, where, with which software, and every run of it.

Enough to reproduce or audit a sweep months later: the range config's text
and hash, the Kconfig tree's hash, the configs' hashes, the ksweep version
and git commit, the Python and torch versions, the visible GPUs and the
command line. A sweep can run in several *segments* (the first run, then
each resume): each keeps its own start, end, state and launch settings, and
the sweep's ``wall_time`` is their sum, so a resume never rewrites history.
Versions come from package metadata, so the parent never imports torch.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from ksweep import __version__
from ksweep.project import PROJECT_ROOT
from ksweep.sweep.atomic import write_json_atomic
from ksweep.sweep.tolerant import Loaded, load_json

# The sweep's state in the manifest: running while a segment runs, then how it ended.
RUNNING, FINISHED, INTERRUPTED, STOPPED, FAILED, KILLED = (
    "running",
    "finished",
    "interrupted",
    "stopped",
    "failed",
    "killed",  # its runner died without closing it (SIGKILL, power loss)
)


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _run(*argv: str) -> str | None:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout


def _git_commit() -> str | None:
    if not (PROJECT_ROOT / ".git").exists() or shutil.which("git") is None:
        return None
    commit = (_run("git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD") or "").strip() or None
    dirty = _run("git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no")
    return f"{commit}-dirty" if commit and (dirty or "").strip() else commit


def _gpus() -> list[str]:
    if shutil.which("nvidia-smi") is None:
        return []
    listing = _run("nvidia-smi", "-L") or ""
    return [line.strip() for line in listing.splitlines() if line.strip()]


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def new_manifest(
    plan: dict | None,
    config_dir: str | None,
    device: str | None,
    kconfig_sha256: str | None,
    config_sha256: dict[str, str],
) -> dict[str, Any]:
    """The manifest of a sweep about to start its first segment."""
    plan = plan or {}
    return {
        "ksweep_version": __version__,
        "git_commit": _git_commit(),
        "config_dir": config_dir,
        "range_config": plan.get("range_config"),
        "range_config_sha256": plan.get("range_config_sha256"),
        "range_config_text": plan.get("range_config_text"),
        "base": plan.get("base"),
        "search": plan.get("search"),
        "device_override": device,
        "kconfig_sha256": kconfig_sha256,
        "config_sha256": config_sha256,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": _package_version("torch"),
        "torchvision": _package_version("torchvision"),
        "kconfiglib": _package_version("kconfiglib"),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "gpus": _gpus(),
        "started": None,
        "finished": None,
        "state": RUNNING,
        "wall_time": 0.0,
        "segments": [],
    }


def begin_segment(manifest: dict[str, Any], launch: dict[str, Any]) -> dict[str, Any]:
    """The manifest with a new running segment (the first run, or a resume)."""
    started = now_iso()
    segment = {
        "started": started,
        "finished": None,
        "state": RUNNING,
        "wall_time": None,
        "runner_pid": os.getpid(),
        "command_line": list(sys.argv),
        "launch": launch,
    }
    return {
        **manifest,
        "started": manifest.get("started") or started,
        "finished": None,
        "state": RUNNING,
        "reason": None,
        "runner_pid": os.getpid(),
        "segments": [*manifest.get("segments", []), segment],
    }


def end_segment(
    manifest: dict[str, Any],
    state: str,
    counts: dict[str, int],
    wall_time: float,
    reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The manifest with its running segment closed; the sweep's wall time adds them up."""
    segments = [dict(s) for s in manifest.get("segments", [])]
    finished = now_iso()
    if segments:
        segments[-1].update(
            finished=finished,
            state=state,
            wall_time=round(wall_time, 3),
            reason=reason,
            **(extra or {}),
        )
    total = sum(s.get("wall_time") or 0.0 for s in segments)
    return {
        **manifest,
        "finished": finished,
        "state": state,
        "reason": reason,
        "counts": counts,
        "wall_time": round(total, 3),
        "segments": segments,
    }


def last_write(folder: Path) -> float | None:
    """The newest modification time of the sweep folder's files, two levels deep: when a
    runner killed without a word last did something."""
    newest = None
    for entry in [folder, *folder.iterdir()] if folder.is_dir() else []:
        paths = entry.iterdir() if entry.is_dir() and entry != folder else [entry]
        for path in paths:
            try:
                mtime = path.stat().st_mtime
            except OSError:
                continue
            newest = mtime if newest is None else max(newest, mtime)
    return newest


def close_abandoned(manifest: dict[str, Any], folder: Path) -> tuple[dict[str, Any], bool]:
    """The manifest with every segment left ``running`` by a dead runner closed as ``killed``,
    its wall time up to the folder's last write; True if one was. Call only while no runner
    holds the folder (its lock), so a ``running`` segment cannot be a live one."""
    segments = [dict(s) if isinstance(s, dict) else s for s in manifest.get("segments", [])]
    ended = last_write(folder)
    closed = False
    for segment in segments:
        if not isinstance(segment, dict) or segment.get("state") != RUNNING:
            continue
        closed = True
        try:
            started = datetime.fromisoformat(str(segment.get("started"))).timestamp()
        except ValueError:
            started = None
        wall = round(max(0.0, ended - started), 3) if ended and started else None
        finish = datetime.fromtimestamp(ended, timezone.utc).astimezone() if ended else None
        segment.update(
            state=KILLED,
            finished=finish.isoformat(timespec="seconds") if finish else None,
            wall_time=wall,
            reason="its runner was killed; wall time up to the sweep folder's last write",
        )
    if not closed:
        return manifest, False
    total = sum(s.get("wall_time") or 0.0 for s in segments if isinstance(s, dict))
    state = manifest.get("state")
    return {
        **manifest,
        "segments": segments,
        "state": KILLED if state == RUNNING else state,
        "wall_time": round(total, 3),
    }, True


def read_manifest(path: Path) -> Loaded:
    """The manifest, or the sentence saying why it cannot be read."""
    loaded = load_json(path, dict)
    if loaded.data is not None and not isinstance(loaded.data.get("segments", []), list):
        return Loaded(path, problem=f"{path} has no list of run segments (edited by hand?)")
    return loaded


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    write_json_atomic(path, manifest)


def record_configs(path: Path, hashes: dict[str, str]) -> None:
    """Add the hashes of configs a search proposed while the sweep runs, so a resume checks
    them like the ones it started with. Only the runner's process calls this."""
    manifest = read_manifest(path).data
    if manifest is None:
        return
    manifest["config_sha256"] = {**manifest.get("config_sha256", {}), **hashes}
    write_json_atomic(path, manifest)
