"""The one noise model: seed variance pooled across configurations, per metric.

Every interval, "within noise", verdict, early-stopping decision and audit
reads its noise from here. With two or three seeds a configuration's own
standard deviation is a poor estimate (Student t's multiplier at one degree
of freedom is 12.7), while seed noise is, to a first approximation, shared
by the configurations of one sweep. So the seeds' variance is pooled:

* **Pooled**: the mean of the configurations' sample variances weighted by
  their degrees of freedom (n - 1), with the degrees of freedom summed;
  a configuration with n seeds gets ``mean +- t(df) * sd / sqrt(n)``. A
  configuration with one seed gets an interval too, once others have seeds.
* **Outliers** (robust): each variance enters the pool capped at
  :data:`OUTLIER_RATIO` times the median of the configurations' variances,
  so one configuration whose seeds disagree wildly (one of them at chance,
  say) cannot widen everybody's interval.
* **Unequal variances**: a configuration whose own variance exceeds that cap
  is judged by its own t interval (its seeds are far noisier than the
  sweep's: the pooled interval would flatter it), and so is one with at
  least :data:`ENOUGH_SEEDS` seeds, whose own estimate is good enough.
* **One seed per configuration**: no noise estimate at all; intervals are
  points and the rules say so (see :mod:`ksweep.sweepers.stopping`).

Values that are outcomes rather than noise (diverged seeds, seeds at chance)
are left out of the pool by the callers.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ksweep.analysis.stats import Summary, t_quantile

OUTLIER_RATIO = 9.0  # a variance 9x the median (3x the standard deviation) is an outlier
ENOUGH_SEEDS = 10  # from this many seeds a configuration's own interval is used
POOLED, OWN = "pooled", "own"


@dataclass(frozen=True)
class Noise:
    """The pooled seed variance of one metric in one set of configurations."""

    variance: float | None  # None: no configuration has two seeds, no noise estimate
    df: int  # degrees of freedom, summed over the configurations
    configurations: int  # configurations that contributed (two seeds or more)
    cap: float | None  # the largest variance that enters the pool (robust cap)

    @property
    def estimated(self) -> bool:
        return self.variance is not None

    @property
    def sd(self) -> float | None:
        return None if self.variance is None else math.sqrt(self.variance)

    def describe(self) -> str:
        """How the noise was estimated, in one phrase."""
        if self.variance is None:
            return "no noise estimate (one seed per configuration)"
        return (
            f"seed standard deviation {self.sd:.3g} pooled over {self.configurations} "
            f"configurations (df={self.df})"
        )


NO_NOISE = Noise(None, 0, 0, None)


def pool(samples: Sequence[Sequence[float]]) -> Noise:
    """The pooled noise of configurations' seed values (one sequence per configuration)."""
    contributing = [(len(s) - 1, statistics.variance(s)) for s in samples if len(s) >= 2]
    if not contributing:
        return NO_NOISE
    cap = OUTLIER_RATIO * statistics.median(v for _, v in contributing)
    df = sum(d for d, _ in contributing)
    variance = sum(d * min(v, cap) for d, v in contributing) / df
    return Noise(variance, df, len(contributing), cap)


def uses_own(values: Sequence[float], noise: Noise) -> bool:
    """Whether a configuration keeps its own t interval rather than the pooled one."""
    if not noise.estimated or len(values) >= ENOUGH_SEEDS:
        return True
    return len(values) >= 2 and statistics.variance(values) > (noise.cap or 0.0)


def with_noise(summary: Summary, noise: Noise) -> Summary:
    """``summary`` with the pooled interval, unless it keeps its own (see :func:`uses_own`)."""
    if summary.mean is None or uses_own(summary.values, noise):
        return summary
    assert noise.variance is not None
    sd = math.sqrt(noise.variance)
    half = t_quantile(noise.df) * sd / math.sqrt(summary.n)
    return replace(summary, half_width=half, df=noise.df, noise=POOLED, pooled_sd=sd)


def pooled_summaries(summaries: Sequence[Summary], pooled_from: Sequence[bool]) -> list[Summary]:
    """Every summary with the noise pooled from those flagged in ``pooled_from``."""
    noise = pool([s.values for s, use in zip(summaries, pooled_from, strict=True) if use])
    return [with_noise(s, noise) for s in summaries]
