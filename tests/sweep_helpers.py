"""Small helpers shared by the tests that run real sweeps."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ksweep(*args: str) -> list[str]:
    """The command line of ``python -m ksweep ARGS`` with this interpreter."""
    return [sys.executable, "-m", "ksweep", *args]


def run_ksweep(*args: str, cwd: Path = ROOT, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -m ksweep ARGS`` run to its end, its output captured as text."""
    return subprocess.run(ksweep(*args), cwd=cwd, capture_output=True, text=True, timeout=timeout)


def swept(range_file: Path, scratch: Path) -> tuple[Path, subprocess.CompletedProcess]:
    """``ksweep sweep RANGE`` on the CPU into ``scratch``, which must succeed: its sweep
    folder and the finished command (for what it printed)."""
    run = run_ksweep(
        "sweep", str(range_file), "--out", str(scratch / "configs"),
        "--output-dir", str(scratch / "results"), "--device", "cpu",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (folder,) = (scratch / "results").glob("sweep_*")
    return folder, run


def only_sweep_dir(results: Path) -> Path:
    sweeps = list(results.glob("sweep_*"))
    assert len(sweeps) == 1, sweeps
    return sweeps[0]


def records_of(sweep: Path) -> list[dict]:
    return json.loads((sweep / "sweep_summary.json").read_text())


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


_NO_TORCH_PROBE = (
    "import runpy, sys; sys.argv = sys.argv[1:]; code = 0\n"
    "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\n"
    "except SystemExit as e:\n    code = e.code\n"
    "assert 'torch' not in sys.modules, 'the parent process imported torch'\n"
    "sys.exit(code)"
)


def run_script_without_torch(script: str, *args: str, timeout: float = 300):
    """Run ``python SCRIPT ARGS`` from the repo root; it fails if the script imported torch."""
    return subprocess.run(
        [sys.executable, "-c", _NO_TORCH_PROBE, script, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def processes_of(sweep_marker: str) -> list[int]:
    """Live processes (not zombies) whose environment marks them as part of one sweep."""
    found = []
    needle = f"KSWEEP_SWEEP={sweep_marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0") and alive(int(entry.name)):
            found.append(int(entry.name))
    return found


def wait_until(predicate, timeout: float, step: float = 0.1) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass; return whether it held."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())
