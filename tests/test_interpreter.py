"""The README's plain ``python scripts/...`` and ``python -m ksweep.train`` run with a python
that lacks the dependencies: they run again with the project's environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def bare_python() -> str:
    """A python on this machine without kconfiglib, as a newcomer's plain `python` is."""
    for candidate in ("/usr/bin/python3", shutil.which("python3"), shutil.which("python")):
        if candidate and Path(candidate).resolve() != Path(sys.executable).resolve():
            probe = subprocess.run([candidate, "-c", "import kconfiglib"], capture_output=True)
            if probe.returncode != 0:
                return candidate
    pytest.skip("every python here has kconfiglib")


def run(*argv: str, venv: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VENV")}
    if venv is not None:
        env["VENV"] = venv
    env["PYTHONPATH"] = str(ROOT)  # only so this checkout's ksweep is the one found
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)


def test_the_documented_commands_run_with_a_plain_python(tmp_path):
    python = bare_python()
    out = tmp_path / "configs"
    script = "scripts/generate_config_combinations.py"
    done = run(python, script, "defconfigs/quickstart-range", str(out), venv=sys.prefix)
    assert done.returncode == 0, done.stderr
    assert (out / "config_001").is_file()
    train = run(python, "-m", "ksweep.train", "--help", venv=sys.prefix)
    assert train.returncode == 0 and "--config" in train.stdout, train.stderr
    nowhere = run(python, script, "defconfigs/quickstart-range", venv=str(tmp_path / "none"))
    assert nowhere.returncode == 2 and "make setup" in nowhere.stderr
