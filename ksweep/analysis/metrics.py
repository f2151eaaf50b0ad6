"""The metrics a sweep can be ranked by: names, units, goals and how to print them.

One table, so the text, the tables and the plots all say "Test Accuracy (%)"
the same way, and a metric's natural goal (accuracy up, loss and time down)
is known when only ``METRIC=`` is given.
"""

from __future__ import annotations

from dataclasses import dataclass

GOALS = ("max", "min")


@dataclass(frozen=True)
class MetricSpec:
    """How one metric is named, printed and optimised."""

    name: str  # the record field, e.g. "val/loss"
    label: str  # "Validation Loss"
    short: str  # "Val Loss", for dense lines
    unit: str  # "%" / "s" / "" -- appended to axis labels as "(unit)"
    goal: str  # the natural goal: "max" or "min"
    decimals: int
    scale: float = 1.0  # stored value * scale = shown value (sparsity is stored as a fraction)
    suffix: str = ""  # printed right after a value: "%" or "s"

    def shown(self, value: float | None) -> str:
        """One value as a person reads it: ``97.78%``, ``0.2345``, ``1.2s``."""
        if value is None:
            return "n/a"
        return f"{value * self.scale:.{self.decimals}f}{self.suffix}"

    def spread(self, value: float | None) -> str:
        """A spread (std, interval half-width) in the same unit, without the suffix."""
        if value is None:
            return "n/a"
        return f"{value * self.scale:.{self.decimals}f}"

    def axis_label(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.label}{unit}"

    def direction(self, goal: str) -> str:
        return "higher is better" if goal == "max" else "lower is better"


METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("test_acc", "Test Accuracy", "Test Acc", "%", "max", 2, suffix="%"),
        MetricSpec(
            "best_test_acc", "Best Test Accuracy", "Best Test Acc", "%", "max", 2, suffix="%"
        ),
        MetricSpec(
            "last3_test_acc",
            "Last-3-Epoch Test Accuracy",
            "Last3 Test Acc",
            "%",
            "max",
            2,
            suffix="%",
        ),
        MetricSpec("val/acc", "Validation Accuracy", "Val Acc", "%", "max", 2, suffix="%"),
        MetricSpec("val/loss", "Validation Loss", "Val Loss", "cross-entropy", "min", 4),
        MetricSpec("training_time", "Training Time", "Train Time", "s", "min", 1, suffix="s"),
        MetricSpec("final_sparsity", "Final Sparsity", "Sparsity", "%", "max", 1, 100.0, "%"),
    )
}

# Not a ranking metric, but printed and plotted with the same machinery.
WALL_TIME = MetricSpec("wall_time", "Wall Time per Trial", "Wall", "s", "min", 1, suffix="s")


def spec(name: str) -> MetricSpec:
    """The spec of a metric name; a clear error listing the choices for anything else."""
    if name == WALL_TIME.name:
        return WALL_TIME
    try:
        return METRICS[name]
    except KeyError:
        choices = ", ".join(METRICS)
        raise ValueError(f"METRIC={name} is not one of {choices}") from None


def check_goal(goal: str) -> str:
    if goal not in GOALS:
        raise ValueError(f"GOAL={goal} is not one of max, min")
    return goal
