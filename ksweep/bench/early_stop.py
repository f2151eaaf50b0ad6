"""Early stopping against the full grid and the i-Epoch front, on one real sweep, in one run.

Sixteen configurations of mnist8k on an MNIST subset (2,048 training images
in batches of 32, so that one epoch is 64 steps and a rung says something;
1,000 validation and test images evaluated; 2 optimizers x 8 learning
rates, three seeds each, many of them hopeless; the validation split, which
the rules and the ranking use, is held out of the training pool) run four times: the full
grid, ASHA, the median rule and the naive top-k baseline. Each is a point on
the (trial-epochs, best found) plane; beside them, the i-Epoch baseline's
front (Egele et al.: every configuration k epochs, then as many of the best
as ASHA's trial-epochs allow run to the end, for each k), replayed on the
full grid's curves. The goal: ASHA at most 45% of the full grid's
trial-epochs with the full grid's winner kept. Without the MNIST files
(``make data-link``) the sweep runs on scikit-learn's digits instead, and
says so.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ksweep.analysis.core import analyze
from ksweep.project import DATA_LINK, PROJECT_ROOT
from ksweep.sweep.layout import SweepFolder, newest_sweep
from ksweep.sweep.records import read_summary
from ksweep.sweepers.audit import i_epoch_front
from ksweep.sweepers.audit_report import sweep_curves

EPOCHS = 9
SEEDS = 3
GOAL_SHARE = 0.45  # ASHA's trial-epochs, at most, as a share of the full grid's
RULES = {
    "full grid": [],
    "asha": ["--early-stop", "asha", "--es-grace", "1", "--es-factor", "4"],
    "median": ["--early-stop", "median", "--es-warmup", "1", "--es-min-configs", "3"],
    "topk": ["--early-stop", "topk", "--es-topk-epochs", "1", "--es-topk-keep", "0.33"],
}


def subset_lines(epochs: int) -> tuple[list[str], str]:
    """The range lines the early-stopping benches share (the data, its size and the
    training that makes a rung informative), and the dataset they run on."""
    mnist = (PROJECT_ROOT / DATA_LINK).exists()
    base = PROJECT_ROOT / "defconfigs" / ("mnist8k" if mnist else "quickstart")
    lines = [
        f"# ksweep: base={base}",
        f"CONFIG_DATA_SUBSET={2048 if mnist else 512}",
        "CONFIG_BATCH_SIZE=32",  # 64 steps an epoch: at 8, a first rung sees only chance
        "# CONFIG_EMA is not set",  # the model trained is the model judged at a rung
        # 1,000 validation and test images: an epoch is then mostly training, not evaluating
        "CONFIG_EVAL_SUBSET=1000",
        f"CONFIG_NUM_EPOCHS={epochs}",
        'CONFIG_VAL_FRACTION="0.1"',  # rules and ranking judge on validation, never the test set
        'CONFIG_LR_SCHEDULE="none"',
    ]
    return lines, "an MNIST subset" if mnist else "digits (no MNIST here)"


def seed_line(seeds: int) -> str:
    """The seeds, swept last so that they are the innermost loop (a configuration's seeds
    are neighbours: config_001, config_002, ...)."""
    return "CONFIG_SEED=" + "|".join(str(s) for s in range(seeds))


def range_text() -> tuple[str, str]:
    """The benchmark's range config, and the dataset it runs on."""
    lines, dataset = subset_lines(EPOCHS)
    lines += [
        "CONFIG_OPTIMIZER_SELECT=SGD|ADAM",
        "CONFIG_LEARNING_RATE=0.00001|0.0001|0.001|0.003|0.01|0.03|0.1|0.3",
        seed_line(SEEDS),
    ]
    return "\n".join(lines) + "\n", dataset


def run_rule(range_file: Path, scratch: Path, flags: list[str]) -> dict:
    started = time.monotonic()
    # One process per sweep, as a user runs them: each pays its own fork-server start-up.
    subprocess.run(
        [sys.executable, "-m", "ksweep", "--kconfig", str(PROJECT_ROOT / "Kconfig")]
        + ["sweep", str(range_file), "--quiet"]
        + ["--out", str(scratch / "configs"), "--output-dir", str(scratch / "results")]
        + ["--device", "cpu", "--jobs", "2", *flags],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        check=False,
    )
    wall = time.monotonic() - started
    folder = SweepFolder(newest_sweep(scratch / "results"))
    records = read_summary(folder).records
    varying = sorted({k for r in records for k in r if k.startswith("CONFIG_")})
    analysis = analyze(records, varying)
    return {
        "wall": wall,
        "epochs": sum(r.get("epochs_run") or 0 for r in records),
        "best": analysis.ranking.best,
        "tied": {g.name for g in analysis.ranking.tied},
        "metric": analysis.metric,
        "analysis": analysis,
        "folder": folder,
    }


def _verdict(name: str | None, full: dict) -> str:
    if name is None:
        return "nothing found"
    if name == full["best"].name:
        return "the full grid's best"
    return (
        "within noise of it" if name in full["tied"] else "NOT within noise of the full grid's best"
    )


def run(argv: list[str] | None = None) -> int:
    del argv
    text, dataset = range_text()
    results = {}
    with tempfile.TemporaryDirectory(prefix="ksweep-bench-stop-") as scratch:
        range_file = Path(scratch) / "stop-range"
        range_file.write_text(text)
        for name, flags in RULES.items():
            results[name] = run_rule(range_file, Path(scratch) / name.replace(" ", "_"), flags)
        full = results["full grid"]
        analysis, metric = full["analysis"], full["metric"]
        finals = {g.name: g.metric.mean for g in analysis.ranking.ranked}
        curves, longest = sweep_curves(
            full["folder"], analysis.records, analysis.groups, metric.name
        )
    budget = results["asha"]["epochs"]
    front = i_epoch_front(curves, longest, analysis.goal, budget, finals)
    print(
        f"Early stopping on {dataset}: 16 configurations x {SEEDS} seeds, {EPOCHS} epochs, "
        f"JOBS=2; each rule a point on the (trial-epochs, best found) plane"
    )
    print(f"  {'rule':14s} {'trial-epochs':>13s} {'share':>6s} {'wall (s)':>9s}  best found")
    for name, row in results.items():
        best = row["best"]
        shown = metric.shown(finals.get(best.name)) if best else "n/a"
        print(
            f"  {name:14s} {row['epochs']:13d} {row['epochs'] / full['epochs']:6.0%} "
            f"{row['wall']:9.1f}  {best.name if best else '-'} ({metric.name} {shown} on the "
            f"full grid): {_verdict(best.name if best else None, full)}"
        )
    print(f"  i-Epoch front at ASHA's {budget} trial-epochs or fewer (replayed on the full grid):")
    for point in front:
        shown = metric.shown(finals.get(point.best)) if point.best else "n/a"
        label = f"i-Epoch k={point.k}"
        print(
            f"  {label:14s} {point.trial_epochs:13d} {point.trial_epochs / full['epochs']:6.0%} "
            f"{'-':>9s}  {point.best or '-'} ({metric.name} {shown}; {point.kept} of "
            f"{point.configurations} go on): {_verdict(point.best, full)}"
        )
    asha = results["asha"]
    share = asha["epochs"] / full["epochs"]
    kept = asha["best"] is not None and asha["best"].name == full["best"].name
    print(
        f"Goal: ASHA at most {GOAL_SHARE:.0%} of the trial-epochs with the winner kept: "
        f"{share:.0%}, winner {'kept' if kept else 'NOT kept'}: "
        f"{'met' if share <= GOAL_SHARE and kept else 'NOT met'}."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
