"""Seeds as replicates: grouping trials into configurations, mean, spread, 95% intervals.

``CONFIG_SEED`` is not a hyperparameter but a replicate axis: trials that
differ only in their seed are one *configuration*, measured n times. This
module groups them, summarises each metric as n / mean / std / 95% interval
(Student t), ranks configurations by their mean and says which ones the
data cannot tell apart from the best: two configurations whose 95%
intervals overlap are "within noise" of each other. A configuration with a
single completed seed has no interval; its value is a point.

Failed trials are never ranked: a configuration counts only the seeds that
completed, and one where every seed failed is listed apart.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ksweep.sweep.states import is_completed

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
    half_width: float | None  # 95% interval = mean +- half_width; None below two values

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def low(self) -> float | None:
        if self.mean is None:
            return None
        return self.mean - (self.half_width or 0.0)

    @property
    def high(self) -> float | None:
        if self.mean is None:
            return None
        return self.mean + (self.half_width or 0.0)

    @property
    def has_interval(self) -> bool:
        return self.half_width is not None


def summarize(values: Sequence[float | None]) -> Summary:
    """The summary of the values that exist (None and NaN are dropped)."""
    kept = tuple(
        float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))
    )
    if not kept:
        return Summary((), None, None, None)
    mean = statistics.fmean(kept)
    if len(kept) < 2:
        return Summary(kept, mean, None, None)
    std = statistics.stdev(kept)
    return Summary(kept, mean, std, t_quantile(len(kept) - 1) * std / math.sqrt(len(kept)))


def overlap(a: Summary, b: Summary) -> bool:
    """Whether two summaries' 95% intervals (points when n = 1) share a value."""
    if a.mean is None or b.mean is None:
        return False
    return a.low <= b.high and b.low <= a.high  # type: ignore[operator]


@dataclass(frozen=True)
class Group:
    """One configuration: the trials that share every varying value but the seed."""

    name: str  # the first member's config file, e.g. "config_004"
    settings: dict[str, Any]  # the non-seed varying symbols and their values
    records: tuple[dict[str, Any], ...]  # every member trial, failed ones too
    metric: Summary = field(compare=False)

    @property
    def completed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if is_completed(r)]

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.records if not is_completed(r)]

    @property
    def members(self) -> list[str]:
        return [r.get("config_file", "?") for r in self.records]

    @property
    def seeds(self) -> list[Any]:
        return [r.get("seed") for r in self.records]

    def summary(self, name: str) -> Summary:
        """Any other field of the completed members, summarised the same way."""
        return summarize([r.get(name) for r in self.completed])

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
    groups = []
    for trials in members.values():
        done = [r.get(metric) for r in trials if is_completed(r)]
        groups.append(
            Group(
                name=trials[0].get("config_file", "?"),
                settings={s: trials[0].get(s) for s in symbols},
                records=tuple(trials),
                metric=summarize(done),
            )
        )
    return groups


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

    @property
    def best(self) -> Group | None:
        return self.ranked[0] if self.ranked else None

    @property
    def replicated(self) -> bool:
        """Whether any configuration has two or more seeds, i.e. a noise estimate exists."""
        return any(g.metric.n >= 2 for g in self.ranked)

    def is_tied(self, group: Group) -> bool:
        return any(group is g for g in self.tied)

    def seeds_per_configuration(self) -> list[int]:
        return sorted({len(g.records) for g in self.ranked + self.unranked})


def rank(groups: Sequence[Group], metric: str, goal: str) -> Ranking:
    """Best mean first (``goal`` max or min); ties broken by mean wall time, then name."""
    sign = -1.0 if goal == "max" else 1.0
    ranked = [g for g in groups if g.metric.mean is not None]
    unranked = [g for g in groups if g.metric.mean is None]
    ranked.sort(
        key=lambda g: (
            sign * g.metric.mean,  # type: ignore[operator]
            g.summary("wall_time").mean or 0.0,
            g.name,
        )
    )
    tied = [g for g in ranked[1:] if overlap(g.metric, ranked[0].metric)]
    return Ranking(metric, goal, ranked, unranked, tied)


def welch_difference(a: Summary, b: Summary) -> tuple[float, float | None]:
    """``b - a`` and the 95% half-width of that difference (Welch), None without two seeds."""
    assert a.mean is not None and b.mean is not None
    diff = b.mean - a.mean
    if a.std is None or b.std is None:
        return diff, None
    va, vb = a.std**2 / a.n, b.std**2 / b.n
    if va + vb == 0.0:
        return diff, 0.0
    df = (va + vb) ** 2 / (va**2 / (a.n - 1) + vb**2 / (b.n - 1))
    return diff, t_quantile(df) * math.sqrt(va + vb)
