"""The metrics a sweep can be ranked by: names, units, goals, ranges and how to print them.

One table, so the text, the tables and the plots all say "Test Accuracy (%)"
the same way, and a metric's natural goal (accuracy up, loss and time down)
is known when only ``METRIC=`` is given. Each metric also knows:

* its *range* (accuracies 0 to 100, a loss at least 0), so no interval the
  analysis prints leaves it;
* which *split* it measures: ranking on a test-set metric picks the
  configuration on the very numbers it then reports, which the analysis
  says out loud; ranking on validation reports the test accuracy of the
  same trials at the same point (:attr:`MetricSpec.test_at`);
* its *resolution*: the smallest difference the verdicts try to resolve.
  "No measurable difference" is claimed only when the data rule out a
  difference that large (see :mod:`ksweep.analysis.marginals`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

GOALS = ("max", "min")
AUTO = "auto"  # CONFIG_SWEEP_METRIC's default: val/acc when the trials have it, else test_acc
VALIDATION, TEST, OTHER_SPLIT = "validation", "test", "other"


@dataclass(frozen=True)
class MetricSpec:
    """How one metric is named, printed, bounded and optimised."""

    name: str  # the record field, e.g. "val/loss"
    label: str  # "Validation Loss"
    short: str  # "Val Loss", for dense lines
    unit: str  # "%" / "s" / "" -- appended to axis labels as "(unit)"
    goal: str  # the natural goal: "max" or "min"
    decimals: int
    scale: float = 1.0  # stored value * scale = shown value (sparsity is stored as a fraction)
    suffix: str = ""  # printed right after a value: "%" or "s"
    low: float | None = None  # the metric's range, in stored units; None: unbounded
    high: float | None = None
    split: str = OTHER_SPLIT  # which data it measures: VALIDATION, TEST or OTHER_SPLIT
    test_at: str | None = None  # the test accuracy at the point this metric selects
    resolution: float | None = None  # smallest difference resolved, in stored units ...
    relative_resolution: float | None = None  # ... or as a fraction of the values compared

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

    def points(self, value: float) -> str:
        """A difference in words: ``1.00 points`` for percentages, else the plain value."""
        text = self.spread(value)
        return f"{text} points" if self.suffix == "%" else f"{text}{self.suffix}"

    def axis_label(self) -> str:
        unit = f" ({self.unit})" if self.unit else ""
        return f"{self.label}{unit}"

    def direction(self, goal: str) -> str:
        return "higher is better" if goal == "max" else "lower is better"

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        return self.low, self.high

    def bound_text(self, value: float) -> str:
        """A range end without trailing decimals: ``100%``, ``0``."""
        return f"{value * self.scale:g}{self.suffix}"

    def range_text(self) -> str:
        """``0% to 100%``, ``0 or more``: what the intervals are clipped to."""
        if self.low is not None and self.high is not None:
            return f"{self.bound_text(self.low)} to {self.bound_text(self.high)}"
        if self.low is not None:
            return f"{self.bound_text(self.low)} or more"
        return "unbounded"

    def smallest_difference(self, a: float, b: float) -> float:
        """The difference below which two values count as the same (stored units)."""
        if self.resolution is not None:
            return self.resolution
        return (self.relative_resolution or 0.0) * (abs(a) + abs(b)) / 2

    def resolution_text(self) -> str:
        """``1.00 points`` or ``5%`` (of the values compared)."""
        if self.resolution is not None:
            return self.points(self.resolution)
        return f"{(self.relative_resolution or 0.0) * 100:g}%"


def _percent(name: str, label: str, short: str, split: str, test_at: str | None = None):
    return MetricSpec(
        name, label, short, "%", "max", 2, suffix="%", low=0.0, high=100.0, split=split,
        test_at=test_at, resolution=1.0,
    )  # fmt: skip


METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        _percent("test_acc", "Test Accuracy", "Test Acc", TEST),
        _percent("best_test_acc", "Best Test Accuracy", "Best Test Acc", TEST),
        _percent("last3_test_acc", "Last-3-Epoch Test Accuracy", "Last3 Test Acc", TEST),
        _percent("val/acc", "Validation Accuracy", "Val Acc", VALIDATION, "test_acc"),
        _percent(
            "best_val_acc",
            "Best Validation Accuracy",
            "Best Val Acc",
            VALIDATION,
            "test_acc_at_best_val",
        ),
        MetricSpec(
            "val/loss", "Validation Loss", "Val Loss", "cross-entropy", "min", 4, low=0.0,
            split=VALIDATION, test_at="test_acc", relative_resolution=0.05,
        ),
        MetricSpec(
            "training_time", "Training Time", "Train Time", "s", "min", 1, suffix="s", low=0.0,
            relative_resolution=0.05,
        ),
        MetricSpec(
            "final_sparsity", "Final Sparsity", "Sparsity", "%", "max", 1, 100.0, "%", low=0.0,
            high=1.0, resolution=0.01,
        ),
    )
}  # fmt: skip

# Not ranking metrics, but printed and plotted with the same machinery.
WALL_TIME = MetricSpec(
    "wall_time", "Wall Time per Trial", "Wall", "s", "min", 1, suffix="s", low=0.0,
    relative_resolution=0.05,
)  # fmt: skip
TEST_AT_BEST_VAL = _percent(
    "test_acc_at_best_val", "Test Accuracy at the best validation epoch", "Test Acc", TEST
)
# Costs a trade-off study weighs accuracy against (OBJECTIVES=val/acc:max,params:min).
PARAMS = MetricSpec("params", "Parameters", "Params", "", "min", 0, low=0.0, resolution=1.0)
EPOCHS_RUN = MetricSpec(
    "epochs_run", "Trial Epochs", "Epochs", "epochs", "min", 1, low=0.0, resolution=1.0
)
_EXTRA = {spec.name: spec for spec in (WALL_TIME, TEST_AT_BEST_VAL, PARAMS, EPOCHS_RUN)}


def spec(name: str) -> MetricSpec:
    """The spec of a metric name; a clear error listing the choices for anything else."""
    if name in _EXTRA:
        return _EXTRA[name]
    if name in METRICS:
        return METRICS[name]
    if not _METRIC_NAME.match(name or ""):
        raise ValueError(
            f"METRIC={name!r} is not a metric name: use auto, one of {', '.join(METRICS)}, "
            "or the name of a metric the trials report (letters, digits, _ . / -)"
        )
    return reported_spec(name)


_METRIC_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")
# A metric a trial reports that ksweep does not know: its goal follows its name (a loss, an
# error or a time is minimised) unless GOAL= says otherwise.
_LOWER_IS_BETTER = re.compile(r"(loss|error|err|mse|rmse|mae|time|perplexity)", re.I)


def reported_spec(name: str) -> MetricSpec:
    """How to show and optimise a metric known only by the name a trial reported."""
    goal = "min" if _LOWER_IS_BETTER.search(name) else "max"
    return MetricSpec(name, name, name, "", goal, 4)


def bounds_of(name: str) -> tuple[float | None, float | None]:
    """The range of any record field: a known metric's, else unbounded."""
    known = _EXTRA.get(name) or METRICS.get(name)
    return known.bounds if known else (None, None)


def check_goal(goal: str) -> str:
    if goal not in GOALS:
        raise ValueError(f"GOAL={goal} is not one of max, min")
    return goal


def recorded(records: Iterable[dict[str, Any]], name: str) -> bool:
    """Whether any successful trial recorded a finite ``name``."""
    from ksweep.sweep.states import state_of

    for record in records:
        state = state_of(record)
        value = record.get(name)
        if (
            state is not None
            and state.successful
            and isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
        ):
            return True
    return False


def auto_metric(records: Iterable[dict[str, Any]]) -> str:
    """What ``auto`` means for these trials: val/acc when they recorded it, else test_acc.

    Selecting on validation keeps the test set for the one number reported at
    the end; without a validation split there is nothing else to select on."""
    return "val/acc" if recorded(records, "val/acc") else "test_acc"


def auto_metric_of_config(config: dict[str, str]) -> str:
    """``auto`` for a config not yet run: val/acc when it holds out a validation split."""
    try:
        fraction = float(config.get("VAL_FRACTION", "0").strip('"'))
    except ValueError:
        fraction = 0.0
    return "val/acc" if fraction > 0 else "test_acc"
