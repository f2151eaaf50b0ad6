"""The documented ``python scripts/...`` and ``python -m ksweep.train`` work with any python.

The README's commands name a plain ``python``; outside the project's virtual
environment it lacks kconfiglib and torch, and the command would die with
``No module named 'kconfiglib'``. When a needed module is missing and the
project's environment exists (``.venv``, or ``$VENV`` as the Makefile names
it), the command is run again, as written, by that environment's python;
otherwise the error says how to get one. Standard library only, so it runs
before anything it checks for is imported.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
REEXEC_ENV = "KSWEEP_REEXECUTED"  # set on the second run, so a broken venv cannot loop


def project_python() -> Path:
    venv = Path(os.environ.get("VENV") or ".venv")
    return (venv if venv.is_absolute() else PROJECT_ROOT / venv) / "bin" / "python"


def ensure_modules(modules: Sequence[str] = ("kconfiglib",)) -> None:
    """Return if every module imports here; else re-run this command with the project's python,
    or exit 2 saying how to make one."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if not missing:
        return
    python = project_python()
    if python.is_file() and not os.environ.get(REEXEC_ENV):
        os.environ[REEXEC_ENV] = "1"
        paths = [str(PROJECT_ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(":"))]
        os.environ["PYTHONPATH"] = os.pathsep.join(paths)
        os.execv(str(python), [str(python), *sys.orig_argv[1:]])
    sys.stderr.write(
        f"error: {sys.executable} has no {', '.join(missing)}; run `make setup` (it builds "
        f"{project_python().parent.parent}), then run this command again: it will use that "
        "environment by itself\n"
    )
    raise SystemExit(2)
