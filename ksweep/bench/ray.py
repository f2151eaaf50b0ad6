"""Where a Ray sweep's time goes, against the same sweep run locally, in one run.

The same range config runs with the local launcher and with ``LAUNCHER=ray``
on a local Ray instance; for each the bench prints the sweep's wall clock,
its one-time start-up (the fork server locally; Ray's start and the actors'
warm fork servers for Ray, both read from the manifest), the summed training
loops, and the overhead per trial that is left. Ray pays off when trials are
long against that start-up, or when a cluster adds machines; on one machine
it only adds cost.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from ksweep.bench.overhead import run_quietly
from ksweep.project import PROJECT_ROOT

RANGE = PROJECT_ROOT / "tests" / "cases" / "launch" / "four-seeds-range"


def measure(launcher: str, range_config: Path, jobs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="ksweep-bench-ray-") as scratch:
        records, manifest, wall = run_quietly(
            range_config, Path(scratch), "--device=cpu", f"--launcher={launcher}", f"--jobs={jobs}"
        )
    segment = (manifest.get("segments") or [{}])[-1]
    training = sum(r.get("training_time") or 0.0 for r in records)
    trial_walls = [r["wall_time"] for r in records]
    return {
        "trials": len(records),
        "wall_s": wall,
        "startup_s": segment.get("trial_server_startup_s") or 0.0,
        "training_s": training,
        "trial_wall_mean_s": statistics.mean(trial_walls) if trial_walls else 0.0,
        "overhead_per_trial_s": (sum(trial_walls) - training) / max(1, len(records)),
    }


def run(argv: list[str] | None = None) -> int:
    del argv
    try:
        import ray  # noqa: F401
    except ImportError:
        print("ray: not installed (pip install 'ksweep[ray]'); skipped")
        return 0
    rows = {launcher: measure(launcher, RANGE, 2) for launcher in ("local", "ray")}
    print(f"{RANGE.name}, JOBS=2, CPU: local launcher against LAUNCHER=ray (a local instance)")
    print(f"  {'':24s} {'local':>9s} {'ray':>9s}")
    for key, label in (
        ("wall_s", "sweep wall clock (s)"),
        ("startup_s", "start-up, once (s)"),
        ("training_s", "training loops (s)"),
        ("trial_wall_mean_s", "trial wall time (s)"),
        ("overhead_per_trial_s", "overhead per trial (s)"),
    ):
        print(f"  {label:24s} {rows['local'][key]:9.2f} {rows['ray'][key]:9.2f}")
    ratio = rows["ray"]["wall_s"] / max(1e-9, rows["local"]["wall_s"])
    print(f"  Ray's sweep took {ratio:.2f}x the local one's wall clock")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
