"""``manifest.json``: what a sweep ran, where, with which software.

Enough to reproduce or audit a sweep months later: the range config's text
and hash, the ksweep version and git commit, the Python and torch versions,
the visible GPUs and the command line. Versions are read from package
metadata so the parent never imports torch (that is the trainer's job).
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

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _package_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    if not (PROJECT_ROOT / ".git").exists() or shutil.which("git") is None:
        return None
    try:
        result = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        dirty = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = result.stdout.strip() or None
    return f"{commit}-dirty" if commit and dirty.stdout.strip() else commit


def _gpus() -> list[str]:
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        result = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def now_iso() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def start_manifest(config_dir: Path, plan: dict | None, device: str | None) -> dict[str, Any]:
    """The manifest as written when a sweep starts; :func:`finish_manifest` completes it."""
    return {
        "ksweep_version": __version__,
        "git_commit": _git_commit(),
        "command_line": sys.argv,
        "config_dir": str(config_dir),
        "range_config": plan.get("range_config") if plan else None,
        "range_config_sha256": plan.get("range_config_sha256") if plan else None,
        "range_config_text": plan.get("range_config_text") if plan else None,
        "base": plan.get("base") if plan else None,
        "device_override": device,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "torch": _package_version("torch"),
        "torchvision": _package_version("torchvision"),
        "kconfiglib": _package_version("kconfiglib"),
        "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES"),
        "gpus": _gpus(),
        "started": now_iso(),
        "finished": None,
        "state": "running",
    }


def finish_manifest(
    manifest: dict[str, Any], state: str, counts: dict[str, int], wall_time: float
) -> dict[str, Any]:
    return {
        **manifest,
        "finished": now_iso(),
        "state": state,
        "counts": counts,
        "wall_time": round(wall_time, 3),
    }
