"""What a configuration tells a model-based search: its values, or the worst, and its constraints.

One owner of the rule the search's every tell follows, for one objective or
several (the study is told one value per objective, in objective order):

* a configuration whose seeds finished is told each objective's seed mean;
* one with a seed that **diverged** or ended **at chance**, or whose every
  seed **failed**, is told the **worst** value on every objective: the end of
  the metric's range (0% for an accuracy), else the worst of the values told
  so far for that objective and the configuration's own (a diverged draw's
  training time is still a time it took). A draw told FAILED is ignored by
  TPE and NSGA-II alike, which then sample next to it again (after lr 0.348
  diverged, TPE asked lr 0.352); told the worst, its region is avoided. With
  no worst to tell (an unbounded objective with no number yet), it is told
  FAILED;
* one whose finished seeds lack an objective's number is told FAILED (there
  is nothing to tell).

**Constraints** (``CONSTRAINTS="params<=8000"``) reach the sampler as Optuna
expects them: one number per constraint, at most 0 when it holds (``params -
8000`` for ``params<=8000``; a strict bound uses the next float, so ``<``
stays strict). They are the seed means of the constrained metrics, stored on
the study trial (the :data:`CONSTRAINTS_ATTR` user attribute) *before* it is
told, and the sampler's ``constraints_func`` (:func:`constraints_reader`)
reads them back. A metric the configuration has no number for breaks its
constraint (an infinite violation), as :meth:`Objectives.violated` says.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import optuna

from ksweep.analysis.metrics import bounds_of
from ksweep.analysis.outcomes import outcome_of
from ksweep.analysis.stats import summarize
from ksweep.objectives import Constraint, Objective, Objectives
from ksweep.sweep.states import is_completed

CONSTRAINTS_ATTR = "constraints"  # the study trial's user attribute the sampler reads


def seed_mean(records: Sequence[Mapping[str, Any]], metric: str) -> float | None:
    """The mean of ``metric`` over the records' finished seeds; None without a number."""
    return summarize([r.get(metric) for r in records if is_completed(r)]).mean


def outcome(records: Sequence[Mapping[str, Any]]) -> str | None:
    """Why a configuration is told the worst value (``diverged``, ``at chance``, ``failed``),
    or None when its seed means are told."""
    for record in records:
        found = outcome_of(dict(record))
        if found:
            return found
    if records and not any(is_completed(r) for r in records):
        return "failed"
    return None


def worst_value(objective: Objective, told: Sequence[float]) -> float | None:
    """The worst value ``objective`` can be told: the end of its metric's range, else the
    worst of ``told`` (the values told so far, and the configuration's own); None when
    neither exists."""
    low, high = bounds_of(objective.metric)
    end = low if objective.goal == "max" else high
    if end is not None:
        return end
    if not told:
        return None
    return min(told) if objective.goal == "max" else max(told)


def told_values(
    records: Sequence[Mapping[str, Any]],
    objectives: Objectives,
    told: Callable[[int], Sequence[float]],
) -> list[float] | None:
    """What the study is told for a configuration of ``records`` (one value per objective),
    or None for FAILED; ``told(i)``: the values objective ``i`` was told so far."""
    if outcome(records) is not None:
        own = [_any_mean(records, metric) for metric in objectives.metrics]
        worst = [
            worst_value(o, [*told(i), *([own[i]] if own[i] is not None else [])])
            for i, o in enumerate(objectives.objectives)
        ]
        return None if any(w is None for w in worst) else [float(w) for w in worst]  # type: ignore[arg-type]
    means = [seed_mean(records, metric) for metric in objectives.metrics]
    return None if any(m is None for m in means) else [float(m) for m in means]  # type: ignore[arg-type]


def violation(constraint: Constraint, value: float | None) -> float:
    """Optuna's constraint value: at most 0 when ``value`` meets the bound."""
    if value is None or not math.isfinite(value):
        return math.inf
    if constraint.operator in ("<=", "<"):
        bound = constraint.bound
        if constraint.operator == "<":
            bound = math.nextafter(bound, -math.inf)
        return value - bound
    bound = constraint.bound
    if constraint.operator == ">":
        bound = math.nextafter(bound, math.inf)
    return bound - value


def constraint_values(records: Sequence[Mapping[str, Any]], objectives: Objectives) -> list[float]:
    """Each constraint's value for a configuration (its seed means), in constraint order."""
    return [violation(c, _any_mean(records, c.metric)) for c in objectives.constraints]


def _any_mean(records: Sequence[Mapping[str, Any]], metric: str) -> float | None:
    """A constrained metric's mean over the finished seeds, else over any seed that has it
    (a diverged configuration still has its parameter count)."""
    mean = seed_mean(records, metric)
    if mean is None:
        mean = summarize([r.get(metric) for r in records]).mean
    return mean


def constraints_reader(
    count: int,
) -> Callable[[optuna.trial.FrozenTrial], Sequence[float]]:
    """The sampler's ``constraints_func``: the values stored on the trial before its tell
    (a trial told without them, which cannot happen here, counts as breaking every one)."""

    def read(trial: optuna.trial.FrozenTrial) -> Sequence[float]:
        stored = trial.user_attrs.get(CONSTRAINTS_ATTR)
        if not isinstance(stored, list) or len(stored) != count:
            return tuple([math.inf] * count)
        return tuple(float(v) for v in stored)

    return read
