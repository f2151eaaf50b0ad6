"""Each launcher's overhead against the local one, measured in one run on the same sweep.

The same range config (four one-epoch digits trials, JOBS=2, CPU) runs with
``LAUNCHER=local``, ``ray`` and ``slurm``; for each the bench prints the
sweep's wall clock, its one-time start-up, the summed training loops, the
overhead per trial (a trial's wall time less its training loop) and the wall
clock against the local sweep's. Ray runs on a local instance, or on the
cluster ``RAY_ADDRESS`` names; Slurm on the cluster the ``sbatch`` on PATH
reaches (``SLURM_CONF``). A launcher that cannot run here is reported as
skipped, with why.
"""

from __future__ import annotations

import shutil
import subprocess

from ksweep.bench.ray import RANGE, measure

ROWS = (
    ("wall_s", "sweep wall clock (s)"),
    ("startup_s", "start-up, once (s)"),
    ("training_s", "training loops (s)"),
    ("trial_wall_mean_s", "trial wall time (s)"),
    ("overhead_per_trial_s", "overhead per trial (s)"),
)


def why_not(launcher: str) -> str | None:
    """Why ``launcher`` cannot run here, or None."""
    if launcher == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            return "Ray is not installed (pip install 'ksweep[ray]')"
    if launcher == "slurm":
        if shutil.which("sinfo") is None:
            return "no Slurm client (sinfo, sbatch) on PATH"
        probe = subprocess.run(["sinfo", "--noheader"], capture_output=True, text=True, timeout=60)
        if probe.returncode != 0 or "idle" not in probe.stdout + probe.stderr:
            return f"no idle Slurm node reachable ({(probe.stderr or probe.stdout).strip()})"
    return None


def run(argv: list[str] | None = None) -> int:
    del argv
    rows, skipped = {}, {}
    for launcher in ("local", "ray", "slurm"):
        why = why_not(launcher)
        if why is None:
            rows[launcher] = measure(launcher, RANGE, 2)
        else:
            skipped[launcher] = why
    print(f"{RANGE.name}, JOBS=2, CPU: each launcher against the local one, one run")
    print(f"  {'':24s}" + "".join(f" {name:>9s}" for name in rows))
    for key, label in ROWS:
        print(f"  {label:24s}" + "".join(f" {rows[name][key]:9.2f}" for name in rows))
    local = max(1e-9, rows["local"]["wall_s"])
    ratios = "".join(f" {rows[name]['wall_s'] / local:8.2f}x" for name in rows)
    print(f"  {'wall clock vs local':24s}{ratios}")
    for name, why in skipped.items():
        print(f"  {name}: skipped: {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
