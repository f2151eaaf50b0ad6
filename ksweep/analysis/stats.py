"""Seeds as replicates: grouping trials into configurations, mean, spread, 95% intervals.

``CONFIG_SEED`` is not a hyperparameter but a replicate axis: trials that
differ only in their seed are one *configuration*, measured n times. This
module groups them, summarises each metric as n / mean / std / 95% interval
and ranks configurations by their mean. The interval is Student t's interval
of the mean over seeds with the seed noise pooled across configurations
(:mod:`ksweep.analysis.noise`, the one noise model), clipped to the metric's
range (an accuracy never exceeds 100%, a loss is never negative): with two or three seeds the t
interval is wide, and its impossible part carries no information. Two
configurations whose 95% intervals overlap are "within noise" of each
other. A configuration with a single completed seed has no interval; its
value is a point.

Only trials that completed are ranked: a failed, timed-out or diverged seed
never counts, and a configuration where no seed completed is listed apart.
So is one whose trials completed without recording the metric (val/loss of
a run without a validation split): that is "not recorded", not a failure.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ksweep.analysis.metrics import bounds_of
from ksweep.analysis.outcomes import outcome_of
from ksweep.sweep.states import TrialState, is_failure, state_of

SEED_SYMBOL = "CONFIG_SEED"
CONFIDENCE = 0.95

# Two-sided 95% Student t quantiles t(0.975, df), for when scipy is missing.
_T_TABLE = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
    9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
    17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 25: 2.060, 30: 2.042, 40: 2.021, 60: 2.000,
    120: 1.980,
}  # fmt: skip


def t_quantile(df: float) -> float:
    """t such that a Student t with ``df`` degrees of freedom is within +-t 95% of the time."""
    try:
        from scipy.stats import t as student_t
    except ImportError:  # scipy comes with scikit-learn; the table is a fallback
        known = [d for d in sorted(_T_TABLE) if d <= df]
        return _T_TABLE[known[-1]] if known else _T_TABLE[1]
    return float(student_t.ppf(0.5 + CONFIDENCE / 2, df))


@dataclass(frozen=True)
class Summary:
    """n values of one metric: mean, sample std and the 95% interval of the mean."""

    values: tuple[float, ...]
    mean: float | None
    std: float | None  # sample standard deviation (n - 1); None below two values
    half_width: float | None  # 95% t interval = mean +- half_width; None below two values
    bounds: tuple[float | None, float | None] = (None, None)  # the metric's range
    df: float | None = None  # the interval's degrees of freedom: n - 1, or pooled
    noise: str = "own"  # "own": this configuration's seeds; "pooled": see analysis.noise
    pooled_sd: float | None = None  # the pooled seed standard deviation, when noise is pooled

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def low(self) -> float | None:
        """The interval's lower end, never below the metric's range."""
        if self.mean is None:
            return None
        low = self.mean - (self.half_width or 0.0)
        return low if self.bounds[0] is None else max(low, self.bounds[0])

    @property
    def high(self) -> float | None:
        """The interval's upper end, never above the metric's range."""
        if self.mean is None:
            return None
        high = self.mean + (self.half_width or 0.0)
        return high if self.bounds[1] is None else min(high, self.bounds[1])

    @property
    def clipped(self) -> list[float]:
        """The range ends the t interval would have crossed (and was clipped at)."""
        if self.mean is None or not self.half_width:
            return []
        low, high = self.bounds
        ends = []
        if low is not None and self.mean - self.half_width < low:
            ends.append(low)
        if high is not None and self.mean + self.half_width > high:
            ends.append(high)
        return ends

    @property
    def has_interval(self) -> bool:
        return self.half_width is not None


def summarize(
    values: Sequence[float | None], bounds: tuple[float | None, float | None] = (None, None)
) -> Summary:
    """The summary of the values that exist (None, NaN and non-numbers are dropped);
    ``bounds`` is the metric's range, which the interval is clipped to."""
    kept = tuple(
        float(v)
        for v in values
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    )
    if not kept:
        return Summary((), None, None, None, bounds)
    mean = statistics.fmean(kept)
    if len(kept) < 2:
        return Summary(kept, mean, None, None, bounds)
    std = statistics.stdev(kept)
    half = t_quantile(len(kept) - 1) * std / math.sqrt(len(kept))
    return Summary(kept, mean, std, half, bounds, len(kept) - 1)


def overlap(a: Summary, b: Summary) -> bool:
    """Whether two summaries' 95% intervals (points when n = 1) share a value."""
    if a.mean is None or b.mean is None:
        return False
    return a.low <= b.high and b.low <= a.high  # type: ignore[operator]


def within_noise(a: Summary, b: Summary) -> bool:
    """Whether the data cannot tell ``a`` from ``b``: the 95% interval of their difference
    holds 0 (points, without a noise estimate: only equal values). This, not overlapping
    intervals, is "within noise": a difference whose interval excludes 0 is measured."""
    if a.mean is None or b.mean is None:
        return False
    change, half = welch_difference(a, b)
    return overlap(a, b) if half is None else abs(change) <= half


def difference_range(
    low: float, high: float, bounds: tuple[float | None, float | None]
) -> tuple[float, float]:
    """A difference's interval clipped to what two values in the metric's range can differ
    by (an accuracy difference stays within -100 to +100 points)."""
    if bounds[0] is None or bounds[1] is None:
        return low, high
    width = bounds[1] - bounds[0]
    return max(low, -width), min(high, width)


def _ranked_member(record: dict[str, Any]) -> bool:
    """A trial whose metrics count: it completed (or was pruned by a rule with its metrics)."""
    state = state_of(record)
    return state is not None and state.successful


@dataclass(frozen=True)
class Group:
    """One configuration: the trials that share every varying value but the seed."""

    name: str  # the first member's config file, e.g. "config_004"
    settings: dict[str, Any]  # the non-seed varying symbols and their values
    records: tuple[dict[str, Any], ...]  # every member trial, failed ones too
    metric: Summary = field(compare=False)
    metric_name: str = ""  # the metric ``metric`` summarises (with the pooled noise)

    @property
    def completed(self) -> list[dict[str, Any]]:
        """The members whose metrics count (completed, or pruned with their metrics)."""
        return [r for r in self.records if _ranked_member(r)]

    @property
    def failed(self) -> list[dict[str, Any]]:
        """Members in a failure state: failed, timeout or diverged."""
        return [r for r in self.records if is_failure(r)]

    @property
    def not_counted(self) -> list[dict[str, Any]]:
        """Members that did not count: failed, and also skipped or interrupted ones."""
        return [r for r in self.records if not _ranked_member(r)]

    @property
    def outcomes(self) -> list[dict[str, Any]]:
        """Members whose result is an outcome, not noise: diverged, or ended at chance."""
        return [r for r in self.records if outcome_of(r)]

    @property
    def pruned(self) -> list[dict[str, Any]]:
        return [r for r in self.records if state_of(r) is TrialState.PRUNED]

    @property
    def unrecorded(self) -> bool:
        """Trials of it finished, but none recorded the metric: "not recorded", not failed."""
        return self.metric.mean is None and bool(self.completed)

    @property
    def members(self) -> list[str]:
        return [r.get("config_file", "?") for r in self.records]

    @property
    def seeds(self) -> list[Any]:
        return [r.get("seed") for r in self.records]

    def summary(self, name: str) -> Summary:
        """Any other field of the counted members, summarised the same way (the ranked
        metric itself: ``metric``, with the pooled noise)."""
        if name == self.metric_name:
            return self.metric
        return summarize([r.get(name) for r in self.completed], bounds_of(name))

    def representative(self) -> dict[str, Any]:
        """The member a defconfig is made from: the completed one with the lowest seed."""
        pool = self.completed or list(self.records)
        return min(pool, key=lambda r: (r.get("seed") is None, r.get("seed") or 0))


def non_seed(varying_symbols: Sequence[str]) -> list[str]:
    return [s for s in varying_symbols if s != SEED_SYMBOL]


def group_records(
    records: Sequence[dict[str, Any]], varying_symbols: Sequence[str], metric: str
) -> list[Group]:
    """Configurations in first-seen order; each summarises ``metric`` over completed seeds."""
    symbols = non_seed(varying_symbols)
    members: dict[tuple, list[dict[str, Any]]] = {}
    for record in records:
        key = tuple(_hashable(record.get(s)) for s in symbols)
        members.setdefault(key, []).append(record)
    from ksweep.analysis.noise import pooled_summaries

    summaries = [
        summarize([r.get(metric) for r in trials if _ranked_member(r)], bounds_of(metric))
        for trials in members.values()
    ]
    # Diverged and at-chance seeds are outcomes, and stopped configurations' values are
    # from an earlier epoch: neither enters the pooled noise.
    clean = [
        not any(outcome_of(r) or state_of(r) is TrialState.PRUNED for r in trials)
        for trials in members.values()
    ]
    return [
        Group(
            name=trials[0].get("config_file", "?"),
            settings={s: trials[0].get(s) for s in symbols},
            records=tuple(trials),
            metric=summary,
            metric_name=metric,
        )
        for trials, summary in zip(
            members.values(), pooled_summaries(summaries, clean), strict=True
        )
    ]


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | type(None)) else repr(value)


@dataclass(frozen=True)
class Ranking:
    """Configurations best first by mean, and which of them the best cannot be told from."""

    metric: str
    goal: str
    ranked: list[Group]  # configurations with at least one completed value, best first
    unranked: list[Group]  # configurations where no seed completed (or none has the metric)
    tied: list[Group]  # ranked[1:] whose interval overlaps the best one's
    # Configurations an early-stopping rule stopped: their values are from the epoch they
    # reached, so they are ranked only among themselves, never against finished ones.
    stopped: list[Group] = field(default_factory=list)

    @property
    def best(self) -> Group | None:
        return self.ranked[0] if self.ranked else None

    @property
    def replicated(self) -> bool:
        """Whether any configuration has two or more seeds, i.e. a noise estimate exists."""
        return any(g.metric.n >= 2 for g in self.ranked)

    @property
    def unrecorded(self) -> list[Group]:
        """Unranked configurations whose trials finished without recording the metric."""
        return [g for g in self.unranked if g.unrecorded]

    def is_tied(self, group: Group) -> bool:
        return any(group is g for g in self.tied)

    def seeds_per_configuration(self) -> list[int]:
        return sorted({len(g.records) for g in self.ranked + self.stopped + self.unranked})

    @property
    def every(self) -> list[Group]:
        """Every configuration, in the order the outputs list them."""
        return self.ranked + self.stopped + self.unranked


def rank(groups: Sequence[Group], metric: str, goal: str) -> Ranking:
    """Best mean first (``goal`` max or min); ties broken by mean wall time, then name.

    Configurations stopped early by a rule are ranked apart, among themselves."""
    sign = -1.0 if goal == "max" else 1.0

    def order(g: Group) -> tuple:
        return (sign * g.metric.mean, g.summary("wall_time").mean or 0.0, g.name)  # type: ignore[operator]

    measured = [g for g in groups if g.metric.mean is not None]
    ranked = sorted((g for g in measured if not g.pruned), key=order)
    stopped = sorted((g for g in measured if g.pruned), key=order)
    unranked = [g for g in groups if g.metric.mean is None]
    # A configuration with a diverged or at-chance seed is never within noise of the best.
    tied = [g for g in ranked[1:] if within_noise(g.metric, ranked[0].metric) and not g.outcomes]
    return Ranking(metric, goal, ranked, unranked, tied, stopped)


def welch_difference(a: Summary, b: Summary) -> tuple[float, float | None]:
    """``b - a`` and the 95% half-width of that difference, None without a noise estimate:
    the pooled two-sample interval when both use the pooled noise, else Welch's."""
    assert a.mean is not None and b.mean is not None
    diff = b.mean - a.mean
    pooled = a.noise == b.noise == "pooled" and (a.pooled_sd, a.df) == (b.pooled_sd, b.df)
    if pooled and a.df and a.pooled_sd is not None:
        # One pooled variance for both: the pooled two-sample t interval.
        return diff, t_quantile(a.df) * a.pooled_sd * math.sqrt(1 / a.n + 1 / b.n)
    if a.std is None or b.std is None:
        return diff, None
    va, vb = a.std**2 / a.n, b.std**2 / b.n
    if va + vb == 0.0:
        return diff, 0.0
    df = (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1))
    return diff, t_quantile(df) * math.sqrt(va + vb)
