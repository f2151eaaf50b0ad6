"""Early stopping on Pareto rank against the full grid and the i-Epoch baseline, on one real
pruning sweep.

Twelve configurations of mnist8k with magnitude pruning on an MNIST subset
(2,048 training images in batches of 32, 64 steps an epoch, as the
single-objective bench: with 8 steps an epoch nearly everything is still at
chance at the first rung; 1,000 validation and test images evaluated; 3 target
sparsities x 4 learning rates, two of them hopeless, two seeds each; 10% held
out for validation) run twice: the full grid, and ``EARLY_STOP=asha`` with
``OBJECTIVES=val/acc:max,final_sparsity:max`` (the Pareto form, MOASHA). What
is compared is the trial-epochs each runs and how much of the full grid's
front (seed means) each keeps to the end; beside them, the rule replayed on
the full grid's curves (it must stop what the live rule stopped) and the
i-Epoch baseline at the live rule's trial-epochs or fewer. Without the MNIST
files (``make data-link``) the sweep runs on scikit-learn's digits instead,
and says so.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ksweep.bench.early_stop import run_rule, seed_line, subset_lines
from ksweep.objectives import Objectives, parse_objectives
from ksweep.sweep.records import read_summary
from ksweep.sweep.states import TrialState
from ksweep.sweepers.audit_pareto import pareto_i_epoch_front, pareto_replay
from ksweep.sweepers.audit_pareto_report import full_front, point_curves
from ksweep.sweepers.pareto_stopping import judged_at_rungs
from ksweep.sweepers.stopping import RuleSettings

EPOCHS = 6
SEEDS = 2
OBJECTIVES = Objectives(parse_objectives("val/acc:max,final_sparsity:max"))
RULE = RuleSettings("asha", grace=1, factor=3)
FLAGS = ["--objectives", OBJECTIVES.text()]
ASHA = [*FLAGS, "--early-stop", "asha", "--es-grace", str(RULE.grace), "--es-factor", "3"]


def range_text() -> tuple[str, str]:
    """The benchmark's range config, and the dataset it runs on."""
    lines, dataset = subset_lines(EPOCHS)
    lines += [
        'CONFIG_PRUNING_METHOD="magnitude"',
        "CONFIG_PRUNING_WARMUP=64",  # one dense epoch, then the ramp to the end of the second
        "CONFIG_PRUNING_RAMP_END_EPOCH=2",
        'CONFIG_TARGET_SPARSITY="0.5"|"0.8"|"0.95"',
        "CONFIG_LEARNING_RATE=0.0000001|0.000001|0.01|0.05",
        seed_line(SEEDS),
    ]
    return "\n".join(lines) + "\n", dataset


def run(argv: list[str] | None = None) -> int:
    del argv
    text, dataset = range_text()
    with tempfile.TemporaryDirectory(prefix="ksweep-bench-pareto-") as scratch:
        range_file = Path(scratch) / "pareto-range"
        range_file.write_text(text)
        full = run_rule(range_file, Path(scratch) / "full", FLAGS)
        live = run_rule(range_file, Path(scratch) / "asha", ASHA)
        groups = full["analysis"].groups
        front = full_front(full["analysis"], OBJECTIVES).front
        judged, _ = judged_at_rungs(OBJECTIVES)
        curves, longest = point_curves(full["folder"], groups, judged)
        replay = pareto_replay(RULE, curves, longest, judged, grid=True)
        live_records = read_summary(live["folder"]).records
    stopped = {
        r["config_file"] for r in live_records if TrialState.of(r["status"]) is TrialState.PRUNED
    }
    names = {m["config_file"]: g.name for g in groups for m in g.records}
    live_stopped = {names.get(n, n) for n in stopped}
    kept_live = [n for n in front if n not in live_stopped]
    budget = live["epochs"]
    baseline = pareto_i_epoch_front(curves, longest, judged, budget, front)
    print(
        f"Early stopping on Pareto rank on {dataset}: 12 configurations x {SEEDS} seeds, "
        f"{EPOCHS} epochs, JOBS=2, OBJECTIVES={OBJECTIVES.text()}"
    )
    print(f"  full grid's front ({len(front)}): {', '.join(front)}")
    print(f"  {'run':22s} {'trial-epochs':>13s} {'share':>6s} {'wall (s)':>9s}  front kept")
    for label, row, kept in (
        ("full grid", full, front),
        ("asha on Pareto rank", live, kept_live),
    ):
        print(
            f"  {label:22s} {row['epochs']:13d} {row['epochs'] / full['epochs']:6.0%} "
            f"{row['wall']:9.1f}  {len(kept)} of {len(front)}"
        )
    same = set(replay.stopped_at) == live_stopped
    print(
        f"  replay on the full grid: {len(replay.stopped_at)} stopped, {replay.rule_epochs} "
        f"trial-epochs; {'the same stops as' if same else 'NOT the same stops as'} the live rule"
    )
    for point in baseline:
        print(
            f"  i-Epoch k={point.k}: {point.kept} of {point.configurations} go on, "
            f"{point.trial_epochs} trial-epochs, front kept {len(point.front_kept)} of {len(front)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
