"""What two configurations' seeds can say about their difference, and no more.

Overlapping 95% intervals do not show that two configurations are equal:
with two seeds Student t's interval is so wide that a difference of ten
points hides inside it. So a pair is judged by two rules:

* **apart**: the 95% interval of their difference excludes 0 (the ranking's
  "beyond noise"; the noise is the pooled one of :mod:`ksweep.analysis.noise`);
* **equal**: the 95% interval of the difference (Welch) lies inside
  plus-or-minus the metric's resolution (1 point for accuracies, see
  :mod:`ksweep.analysis.metrics`): the data rule out any difference worth
  resolving. This is an equivalence test, and the only way to earn "no
  measurable difference".

A pair that is neither is *unresolved*: "cannot tell with n=2". A pair where
one side has a single seed has no interval for the difference at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from ksweep.analysis.metrics import MetricSpec
from ksweep.analysis.stats import Group, difference_range, welch_difference, within_noise

APART = "apart"  # the difference's 95% interval excludes 0
EQUAL = "equal"  # the difference's 95% interval lies within +- the resolution
IDENTICAL = "identical"  # the very same values
UNRESOLVED = "unresolved"  # within noise, but a difference worth resolving is not ruled out
NO_ESTIMATE = "no estimate"  # a side with one seed: no interval for the difference


@dataclass(frozen=True)
class Comparison:
    """Configuration ``b`` against ``a`` on one metric."""

    a: Group
    b: Group
    kind: str
    change: float  # b - a, stored units
    half_width: float | None  # 95% Welch half-width of the change; None with a single seed
    smallest: float  # the resolution: the difference below which the two count as equal

    @property
    def n(self) -> int:
        """The fewer seeds of the two: what "cannot tell with n=2" names."""
        return min(self.a.metric.n, self.b.metric.n)

    @property
    def reach(self) -> float | None:
        """The largest difference the data do not rule out: ``|change| + half_width``."""
        return None if self.half_width is None else abs(self.change) + self.half_width


def compare(a: Group, b: Group, metric: MetricSpec) -> Comparison:
    """Judge ``b`` against ``a`` by the rules above (both must have a mean)."""
    sa, sb = a.metric, b.metric
    assert sa.mean is not None and sb.mean is not None
    change, half = welch_difference(sa, sb)
    smallest = metric.smallest_difference(sa.mean, sb.mean)
    if sorted(sa.values) == sorted(sb.values):
        kind = IDENTICAL
    elif not within_noise(sa, sb):
        kind = APART if sa.has_interval or sb.has_interval else NO_ESTIMATE
    elif half is None:
        kind = NO_ESTIMATE
    elif abs(change) + half <= smallest:
        kind = EQUAL
    else:
        kind = UNRESOLVED
    return Comparison(a, b, kind, change, half, smallest)


def _signed(value: float, decimals: int) -> str:
    """``+5.20``, ``-1.94``; a value that rounds to zero is ``0.00``, never ``-0.00``."""
    text = f"{value:+.{decimals}f}"
    return text[1:] if float(text) == 0 else text


def cannot_tell(comparisons: list[Comparison], metric: MetricSpec, within: str = "") -> str | None:
    """ "cannot tell with n=2: ..." for the unresolved comparisons, or None if there are none;
    ``within`` is said first (what is within noise of what).

    Names the smallest seed count involved and the widest of their differences' 95%
    intervals (oriented so that the observed difference is positive), clipped to what two
    values of the metric can differ by. An unresolved difference's interval holds 0 (one that
    excludes 0 is "apart"), so the sentence can never call a measured difference noise."""
    open_ = [c for c in comparisons if c.kind == UNRESOLVED]
    if not open_:
        return None
    n = min(c.n for c in open_)
    widest = max(open_, key=lambda c: c.reach or 0.0)
    change, half = abs(widest.change), widest.half_width or 0.0
    low, high = difference_range(change - half, change + half, widest.a.metric.bounds)
    low, high = low * metric.scale, high * metric.scale
    unit = " points" if metric.suffix == "%" else metric.suffix
    span = f"{_signed(low, metric.decimals)} to {_signed(high, metric.decimals)}{unit}"
    told = f"cannot tell with n={n}: {within + '; ' if within else ''}"
    return (
        f"{told}the difference's 95% interval runs from {span}, so it may be nothing "
        f"or more than {metric.resolution_text()}; more seeds would narrow it"
    )
