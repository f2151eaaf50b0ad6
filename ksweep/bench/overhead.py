"""``make bench``: how long the quickstart takes, and what ksweep adds per trial.

Measured in one run on this machine, never asserted in tests: the numbers
depend on the machine and its load. Per-trial overhead is the sweep's wall
time minus the time spent in training loops, divided by the trials; it is
split into what the trainer spends loading data and building the model
(``setup_time``) and the rest (process start, imports, ksweep itself).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from ksweep.cli import main as ksweep_main
from ksweep.project import PROJECT_ROOT as ROOT
from ksweep.sweep.layout import SweepFolder, newest_sweep
from ksweep.sweep.manifest import read_manifest
from ksweep.sweep.records import read_summary
from ksweep.sweep.states import is_failure


def run_quietly(range_config: Path, scratch: Path, *flags: str) -> tuple[list[dict], dict, float]:
    """One real ``ksweep sweep`` in ``scratch``: its records, manifest and wall time."""
    started = time.monotonic()
    ksweep_main(
        [
            "--kconfig",
            str(ROOT / "Kconfig"),
            "sweep",
            str(range_config),
            "--out",
            str(scratch / "configs"),
            "--output-dir",
            str(scratch / "results"),
            "--quiet",
            *flags,
        ]
    )
    wall = time.monotonic() - started
    folder = SweepFolder(newest_sweep(scratch / "results"))
    return read_summary(folder).records, read_manifest(folder.manifest).data or {}, wall


def bench_sweep(
    range_config: Path, device: str | None, backend: str | None = None, jobs: int | None = None
) -> dict[str, float]:
    """Run one sweep quietly in a scratch folder and time it."""
    flags = [f"--device={device}"] if device else []
    flags += [f"--backend={backend}"] if backend else []
    flags += [f"--jobs={jobs}"] if jobs else []
    with tempfile.TemporaryDirectory(prefix="ksweep-bench-") as scratch:
        records, manifest, wall = run_quietly(range_config, Path(scratch), *flags)
    training = [r["training_time"] or 0.0 for r in records]
    setup = [r["setup_time"] or 0.0 for r in records]
    trial_walls = [r["wall_time"] for r in records]
    trials = len(records)
    segment = (manifest.get("segments") or [{}])[-1]
    return {
        "trials": trials,
        "failed": sum(1 for r in records if is_failure(r)),
        "startup_s": segment.get("trial_server_startup_s") or 0.0,
        "sweep_wall_s": wall,
        "training_s": sum(training),
        "overhead_per_trial_s": (wall - sum(training)) / trials,
        "setup_per_trial_s": statistics.mean(setup),
        "process_per_trial_s": statistics.mean(
            w - t - s for w, t, s in zip(trial_walls, training, setup, strict=True)
        ),
    }


def print_figures(title: str, figures: dict[str, float]) -> None:
    print(title)
    print(f"  trials                     {figures['trials']:.0f} ({figures['failed']:.0f} failed)")
    print(f"  sweep wall time            {figures['sweep_wall_s']:.1f} s")
    print(f"  trial server start-up      {figures['startup_s']:.1f} s (once per sweep)")
    print(f"  training loops, summed     {figures['training_s']:.1f} s")
    print(f"  overhead per trial         {figures['overhead_per_trial_s']:.2f} s")
    print(f"    data + model setup       {figures['setup_per_trial_s']:.2f} s")
    print(f"    process, imports, ksweep {figures['process_per_trial_s']:.2f} s")


def bench_overhead(range_config: Path, device: str, jobs: int) -> None:
    """Per-trial overhead: a fresh interpreter per trial against forking from a server.

    The fork server imports torch once per launcher process; the first sweep pays for that
    (cold), later sweeps in the same process do not (warm), so both are shown."""
    results = {}
    for label, backend in (
        ("exec", "exec"),
        ("fork, cold server", "fork"),
        ("fork, warm server", "fork"),
    ):
        figures = bench_sweep(range_config, device, backend, jobs)
        results[label] = figures
        print_figures(f"{range_config.name} on {device}, JOBS={jobs}, backend={label}", figures)
    for label in ("fork, cold server", "fork, warm server"):
        ratio = results["exec"]["overhead_per_trial_s"] / max(
            1e-9, results[label]["overhead_per_trial_s"]
        )
        speedup = results["exec"]["sweep_wall_s"] / results[label]["sweep_wall_s"]
        print(
            f"{label}: {ratio:.1f}x less overhead per trial than exec, sweep {speedup:.2f}x faster"
        )
    print()


def bench_throughput(range_config: Path, device: str, jobs_list: list[int]) -> None:
    """Trials per minute of one sweep at each JOBS value, all in this one run."""
    rates = {}
    for jobs in jobs_list:
        figures = bench_sweep(range_config, device, None, jobs)
        rates[jobs] = figures["trials"] / figures["sweep_wall_s"] * 60
        print(
            f"{range_config.name} on {device}, JOBS={jobs}: {figures['trials']:.0f} trials "
            f"({figures['failed']:.0f} failed) in {figures['sweep_wall_s']:.1f} s = "
            f"{rates[jobs]:.1f} trials/min"
            + (f", overhead {figures['overhead_per_trial_s']:.2f} s/trial" if jobs == 1 else "")
        )
    base = rates[jobs_list[0]]
    for jobs in jobs_list[1:]:
        print(f"  JOBS={jobs} vs JOBS={jobs_list[0]}: {rates[jobs] / base:.2f}x throughput")
    print()


def gpu_visible() -> bool:
    from ksweep.launch.slots import visible_gpus

    return bool(visible_gpus())


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", default="all", choices=["all", "overhead", "throughput"])
    parser.add_argument("--range-config", default=None)
    parser.add_argument("--device", default=None, choices=["cpu", "cuda"])
    parser.add_argument("--jobs", default=None, help="JOBS values, e.g. 1,8")
    args = parser.parse_args(argv)
    quickstart = ROOT / "defconfigs" / "quickstart-range"
    if args.what in ("all", "overhead"):
        config = Path(args.range_config) if args.range_config else quickstart
        bench_overhead(config, args.device or "cpu", int((args.jobs or "1").split(",")[0]))
    if args.what in ("all", "throughput"):
        jobs = [int(j) for j in (args.jobs or "1,2").split(",")]
        config = Path(args.range_config) if args.range_config else quickstart
        bench_throughput(config, args.device or "cpu", jobs)
        if args.what == "all" and gpu_visible():
            gpu_config = ROOT / "defconfigs" / "mnist8k-throughput-range"
            bench_throughput(gpu_config, "cuda", [1, 8])
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
