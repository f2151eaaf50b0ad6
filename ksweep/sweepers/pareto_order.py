"""An order on points of several objectives: non-dominated sorting, then crowding distance.

What the multi-objective stop rule keeps at a rung (the top share of this
order) and what its audit's i-Epoch baseline sends on (the same order at
epoch k). Dominance and the non-dominated ranks are the objectives' own
(:mod:`ksweep.objectives`); this module adds the tie-break *inside* the front
that the cut falls in, which non-dominated sorting alone leaves open:

* **crowding distance** (Deb et al., 2002, NSGA-II's): for each objective, a
  point's neighbours on that objective's axis within its front, their gap
  divided by the front's range on it, summed over the objectives; the two
  ends of every axis count as infinitely far apart. Larger goes first, so a
  share cut inside a front keeps points spread along it rather than bunched
  at one end (a front point that is a near-copy of another gives way first);
* then the name, so that equal distances (two or three points, whose every
  member is an end) still give one order on every run and every resume.

:func:`dominated_beyond_noise` is the noise guard the stop rule adds to it,
in the spirit of the single-objective rules (a configuration stops only when
its whole interval is past the threshold).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ksweep.analysis.stats import Summary
from ksweep.objectives import dominates, pareto_ranks


def crowding_distances(points: Sequence[Sequence[float]]) -> list[float]:
    """Each point's crowding distance within ``points`` (one front); ends are infinite."""
    count = len(points)
    distance = [0.0] * count
    if count <= 2:
        return [math.inf] * count
    for axis in range(len(points[0])):
        order = sorted(range(count), key=lambda i: (points[i][axis], i))
        low, high = points[order[0]][axis], points[order[-1]][axis]
        distance[order[0]] = distance[order[-1]] = math.inf
        if high == low:
            continue
        for before, at, after in zip(order, order[1:], order[2:], strict=False):
            distance[at] += (points[after][axis] - points[before][axis]) / (high - low)
    return distance


def pareto_order(
    names: Sequence[str], points: Sequence[Sequence[float]], goals: Sequence[str]
) -> list[tuple[str, int]]:
    """``names`` best first, each with its non-dominated rank (1: the front): by rank, then
    by crowding distance within the rank (larger first), then by name."""
    ranks = pareto_ranks(points, goals)
    crowding = [0.0] * len(points)
    for rank in set(ranks):
        members = [i for i, r in enumerate(ranks) if r == rank]
        for i, d in zip(members, crowding_distances([points[i] for i in members]), strict=True):
            crowding[i] = d
    order = sorted(range(len(names)), key=lambda i: (ranks[i], -crowding[i], names[i]))
    return [(names[i], ranks[i]) for i in order]


def optimistic(summary: Summary, goal: str) -> float:
    """The best end of ``summary``'s 95% interval (its mean when there is no interval)."""
    assert summary.mean is not None
    end = summary.high if goal == "max" else summary.low
    return summary.mean if end is None else end


def dominated_beyond_noise(
    keeper: Sequence[Summary], subject: Sequence[Summary], goals: Sequence[str]
) -> bool:
    """Whether ``keeper`` dominates ``subject`` even at the best end of ``subject``'s
    intervals: ``keeper``'s means dominate those ends. With one seed per configuration the
    intervals are points (no noise estimate), and this is plain dominance of the means."""
    means = [theirs.mean for theirs in keeper]
    assert all(m is not None for m in means)
    ends = [optimistic(mine, goal) for mine, goal in zip(subject, goals, strict=True)]
    return dominates(means, ends, goals)  # type: ignore[arg-type]
