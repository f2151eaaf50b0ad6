"""Early stopping against the full grid, on one real sweep, in one run.

Sixteen configurations of mnist8k on an MNIST subset (2 optimizers x 8
learning rates, two seeds each, many of them hopeless; 10% held out for
validation, which the rules and the ranking use) run four times: the
full grid, ASHA, the median rule and the naive top-k baseline. The table
gives each one's trial-epochs, wall time and best configuration, and says
whether that best is the full grid's or within noise of it. The goal is at
most a third of the trial-epochs for the same best. Without the MNIST files
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

EPOCHS = 9
RULES = {
    "full grid": [],
    "asha": ["--early-stop", "asha", "--es-grace", "1", "--es-factor", "3"],
    "median": ["--early-stop", "median", "--es-warmup", "1", "--es-min-configs", "3"],
    "topk": ["--early-stop", "topk", "--es-topk-epochs", "1", "--es-topk-keep", "0.33"],
}


def range_text() -> tuple[str, str]:
    """The benchmark's range config, and the dataset it runs on."""
    mnist = (PROJECT_ROOT / DATA_LINK).exists()
    base = PROJECT_ROOT / "defconfigs" / ("mnist8k" if mnist else "quickstart")
    lines = [
        f"# ksweep: base={base}",
        f"CONFIG_DATA_SUBSET={2048 if mnist else 512}",
        f"CONFIG_NUM_EPOCHS={EPOCHS}",
        'CONFIG_VAL_FRACTION="0.1"',  # rules and ranking judge on validation, never the test set
        'CONFIG_LR_SCHEDULE="none"',
        "CONFIG_OPTIMIZER_SELECT=SGD|ADAM",
        "CONFIG_LEARNING_RATE=0.00001|0.0001|0.001|0.003|0.01|0.03|0.1|0.3",
        "CONFIG_SEED=0|1",
    ]
    return "\n".join(lines) + "\n", "an MNIST subset" if mnist else "digits (no MNIST here)"


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
    records = read_summary(SweepFolder(newest_sweep(scratch / "results"))).records
    varying = sorted({k for r in records for k in r if k.startswith("CONFIG_")})
    analysis = analyze(records, varying)
    return {
        "wall": wall,
        "epochs": sum(r.get("epochs_run") or 0 for r in records),
        "best": analysis.ranking.best,
        "tied": {g.name for g in analysis.ranking.tied},
        "metric": analysis.metric,
    }


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
    metric = full["metric"]
    print(f"Early stopping on {dataset}: 16 configurations x 2 seeds, {EPOCHS} epochs, JOBS=2")
    print(f"  {'rule':10s} {'trial-epochs':>13s} {'share':>6s} {'wall (s)':>9s}  best")
    for name, row in results.items():
        best = row["best"]
        same = best is not None and (best.name == full["best"].name or best.name in full["tied"])
        verdict = (
            "the full grid's best"
            if best and best.name == full["best"].name
            else ("within noise of it" if same else "NOT within noise of the full grid's best")
        )
        shown = metric.shown(best.metric.mean) if best else "n/a"
        print(
            f"  {name:10s} {row['epochs']:13d} {row['epochs'] / full['epochs']:6.0%} "
            f"{row['wall']:9.1f}  {best.name if best else '-'} ({metric.name} {shown}): {verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
