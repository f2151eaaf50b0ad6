"""``make bench``, part ``search``: grid, random, Sobol and TPE at equal budget, real objective.

The objective is a real training run: LeNet-5 with SGD on scikit-learn's
bundled digits (the quickstart's data), a few epochs, ranked by validation
accuracy, over a learning rate sampled log-uniformly and a momentum sampled
uniformly (the two interact: the step is about lr / (1 - momentum)). Each
method gets the same budget of configurations (one seed each, so a trial is
a configuration) and runs as a real ``ksweep sweep`` with ``JOBS=1``, so TPE
sees every result before its next proposal.
The grid is the budget's nearest rectangle of points over the same box
(geometric in the rate); the other methods run once per search seed.

Printed: the best validation accuracy found after k trials (mean and spread
over the search seeds), and the test accuracy of each method's final best.
Measured, never asserted: the numbers depend on the machine and the seeds.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

from ksweep.analysis.core import analyze
from ksweep.analysis.report import choose_metric, load_sweep
from ksweep.analysis.search_plots import best_so_far
from ksweep.cli import main as ksweep_main
from ksweep.project import PROJECT_ROOT as ROOT
from ksweep.sweep.layout import newest_sweep

LR = (1e-3, 1.0)  # SGD learning rate, log-uniform
MOMENTUM = (0.0, 0.95)  # SGD momentum, uniform: it interacts with the rate (lr / (1 - m))
METHODS = ("grid", "random", "sobol", "tpe")


def range_text(epochs: int, grid_budget: int | None) -> str:
    """The bench's range config: sampled lines, or (for the grid) points over the same box."""
    head = (
        f"# ksweep: base={ROOT / 'defconfigs' / 'quickstart'}\n"
        f"CONFIG_NUM_EPOCHS={epochs}\nCONFIG_OPTIMIZER_SELECT=SGD\n"
    )
    if grid_budget is None:
        return head + (
            f"CONFIG_LEARNING_RATE=loguniform({LR[0]},{LR[1]})\n"
            f"CONFIG_MOMENTUM=uniform({MOMENTUM[0]},{MOMENTUM[1]})\n"
        )
    rows = max(1, math.isqrt(grid_budget))
    rates, momenta = grid_budget // rows, rows  # the learning rate gets the longer side
    ratio = (LR[1] / LR[0]) ** (1 / max(rates - 1, 1))
    lrs = [f"{LR[0] * ratio**k:.2g}" for k in range(rates)]
    step = (MOMENTUM[1] - MOMENTUM[0]) / max(momenta - 1, 1)
    ms = [f"{MOMENTUM[0] + step * k:.3g}" for k in range(momenta)]
    return head + f"CONFIG_LEARNING_RATE={'|'.join(lrs)}\nCONFIG_MOMENTUM={'|'.join(ms)}\n"


def run_method(method: str, seed: int, budget: int, epochs: int, scratch: Path) -> dict:
    """One sweep: best-so-far curve, the final best's test accuracy, its wall time."""
    folder = scratch / f"{method}-{seed}"
    folder.mkdir(parents=True)
    range_file = folder / "bench-range"
    range_file.write_text(range_text(epochs, budget if method == "grid" else None))
    flags = [] if method == "grid" else ["--search", method, "--samples", str(budget)]
    started = time.monotonic()
    ksweep_main(
        [
            "--kconfig",
            str(ROOT / "Kconfig"),
            "sweep",
            str(range_file),
            "--out",
            str(folder / "configs"),
            "--output-dir",
            str(folder / "results"),
            "--quiet",
            "--jobs",
            "1",
            "--device",
            "cpu",
            "--search-seed",
            str(seed),
            *flags,
        ]  # fmt: skip
    )
    wall = time.monotonic() - started
    sweep = newest_sweep(folder / "results")
    assert sweep is not None, f"the {method} sweep did not start"
    records, varying, _ = load_sweep(sweep)
    metric, goal = choose_metric(sweep, records, None, None)
    analysis = analyze(records, varying, metric, goal)
    curve = best_so_far(analysis)
    best = analysis.ranking.best
    test = best.summary("test_acc").mean if best is not None else None
    return {"curve": curve, "metric": metric, "test": test, "wall": wall}


def _at(curve, k: int) -> float | None:
    """The best value after ``k`` trials (None before any completed)."""
    found = [b for t, b in zip(curve.trials, curve.best, strict=True) if t <= k and b is not None]
    return found[-1] if found else None


def _cell(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "n/a"
    if len(known) == 1:
        return f"{known[0]:.2f}"
    return f"{statistics.fmean(known):.2f} ± {statistics.stdev(known):.2f}"


def table(results: dict[str, list[dict]], budget: int) -> str:
    """The benchmark table: best so far after k trials, per method."""
    marks = sorted({1, max(1, budget // 4), max(1, budget // 2), max(1, 3 * budget // 4), budget})
    metric = next(r["metric"] for runs in results.values() for r in runs)
    header = ["method", "runs", *[f"after {k}" for k in marks], "test_acc of best", "wall"]
    rows = [header]
    for method, runs in results.items():
        rows.append(
            [
                method,
                str(len(runs)),
                *[_cell([_at(r["curve"], k) for r in runs]) for k in marks],
                _cell([r["test"] for r in runs]),
                f"{statistics.fmean(r['wall'] for r in runs):.0f}s",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return f"best {metric} (%) found so far, by trials run (mean ± std over search seeds)\n" + (
        "\n".join(lines)
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m ksweep.bench search")
    parser.add_argument("--budget", type=int, default=9, help="configurations per search")
    parser.add_argument("--seeds", type=int, default=3, help="search seeds per sampled method")
    parser.add_argument("--epochs", type=int, default=2, help="training epochs per trial")
    parser.add_argument("--methods", default=",".join(METHODS))
    args = parser.parse_args(argv)
    methods = [m for m in args.methods.split(",") if m]
    print(
        f"search: LeNet-5 + SGD on digits, {args.epochs} epochs a trial, learning rate "
        f"loguniform{LR} x momentum uniform{MOMENTUM}, {args.budget} trials per search, JOBS=1"
    )
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="ksweep-bench-search-") as scratch:
        for method in methods:
            seeds = [0] if method == "grid" else list(range(args.seeds))
            results[method] = [
                run_method(method, seed, args.budget, args.epochs, Path(scratch)) for seed in seeds
            ]
            print(f"  {method}: {len(seeds)} run(s) done", flush=True)
    print(table(results, args.budget))
    return 0
