"""``make sweep-estimate``: how many trials a range file makes and how long they will take.

Times come from earlier sweeps in the results folder: for each planned
configuration, the finished trials that trained the same model on the same
data give seconds per epoch and the fixed cost of a trial. Without such
history the estimate says so instead of guessing.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from ksweep.configfile import parse_config_text
from ksweep.launch.slots import cpu_count
from ksweep.monitor.progress import format_duration
from ksweep.plan.planned import Plan
from ksweep.sweep.layout import SweepFolder, sweep_folders
from ksweep.sweep.records import read_summary
from ksweep.sweep.states import is_completed
from ksweep.sweep.trialfiles import config_values
from ksweep.train.rules import selected_member


@dataclass(frozen=True)
class Timing:
    """One finished trial's cost, keyed by what decides it."""

    key: tuple[str, str, str]
    seconds_per_epoch: float
    fixed_seconds: float


def workload_key(values: dict[str, str]) -> tuple[str, str, str]:
    """(model, dataset, training subset): what a trial's time mostly depends on."""
    model = (selected_member(values, "MODEL_SELECT_") or "?").lower()
    dataset = (selected_member(values, "DATASET_SELECT_") or "?").lower()
    return model, dataset, values.get("DATA_SUBSET", "0")


def earlier_timings(output_root: Path) -> list[Timing]:
    timings = []
    for path in sweep_folders(output_root):
        folder = SweepFolder(path)
        for record in read_summary(folder).records:
            epochs = record.get("epochs")
            if not is_completed(record) or not epochs or not record.get("wall_time"):
                continue
            values = config_values(folder.trial_of(record))
            if not values:
                continue
            training = record.get("training_time") or 0.0
            timings.append(
                Timing(
                    workload_key(values),
                    training / epochs,
                    max(0.0, record["wall_time"] - training),
                )
            )
    return timings


def estimate_text(plan: Plan, output_root: Path, jobs: int | None) -> str:
    timings = earlier_timings(output_root)
    jobs = jobs or max(1, cpu_count() // 2)
    per_trial: list[float] = []
    unknown: dict[tuple[str, str, str], int] = {}
    basis: dict[tuple[str, str, str], int] = {}
    for config in plan.configs:
        values = parse_config_text(config.config_text)
        key = workload_key(values)
        matches = [t for t in timings if t.key == key]
        if not matches:
            unknown[key] = unknown.get(key, 0) + 1
            continue
        basis[key] = len(matches)
        epochs = int(values.get("NUM_EPOCHS", "1"))
        per_trial.append(
            statistics.median(t.fixed_seconds for t in matches)
            + statistics.median(t.seconds_per_epoch for t in matches) * epochs
        )
    lines = [f"{plan.range_path}: {plan.count_line()}"]
    for (model, dataset, subset), count in basis.items():
        subset_text = "all samples" if subset == "0" else f"{subset} samples"
        lines.append(f"  timed from {count} earlier trials of {model} on {dataset} ({subset_text})")
    if per_trial:
        total = sum(per_trial)
        lines.append(
            f"Estimated trial time: {format_duration(statistics.mean(per_trial))} "
            f"on average; {format_duration(total)} of trials in all"
        )
        lines.append(
            f"Estimated wall time with JOBS={jobs}: {format_duration(total / jobs)}"
            + (" (for the timed configurations only)" if unknown else "")
        )
    for (model, dataset, subset), count in unknown.items():
        subset_text = "all samples" if subset == "0" else f"{subset} samples"
        lines.append(
            f"No earlier runs of {model} on {dataset} ({subset_text}) under "
            f"{output_root}/: {count} configurations cannot be timed yet; run one "
            "first to calibrate"
        )
    return "\n".join(lines) + "\n"
