"""What a sweep optimises: one or several objectives and the constraints a result must meet.

One owner of the words ``OBJECTIVES=val/acc:max,final_sparsity:max`` and
``CONSTRAINTS="params<=8000"``: how they are written, what they mean, and the
order they put results in (dominance and non-dominated sorting). The command
line, the Kconfig symbols, the search, the stop rules and the analysis all
read them from here, so a trade-off study means the same thing in each.

With one objective everything ranks as a single metric always did; several
objectives have no single best, only a front of results none of the others
beats on every objective.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ksweep.analysis.metrics import AUTO, GOALS, spec

# The operators a constraint may use, each with what it means for a value and a bound.
_OPERATORS = {
    "<=": lambda value, bound: value <= bound,
    ">=": lambda value, bound: value >= bound,
    "<": lambda value, bound: value < bound,
    ">": lambda value, bound: value > bound,
}
_CONSTRAINT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_./-]*)\s*(<=|>=|<|>)\s*([^\s<>=]+)\s*$")
OBJECTIVES_EXAMPLE = "val/acc:max,final_sparsity:max"
CONSTRAINTS_EXAMPLE = "params<=8000"


@dataclass(frozen=True)
class Objective:
    """One metric and whether more (max) or less (min) of it is better."""

    metric: str
    goal: str

    def text(self) -> str:
        return f"{self.metric}:{self.goal}"

    def oriented(self, value: float) -> float:
        """The value turned so that larger is always better (dominance compares these)."""
        return value if self.goal == "max" else -value


@dataclass(frozen=True)
class Constraint:
    """A bound a result must meet to be ranked at all, e.g. ``params<=8000``."""

    metric: str
    operator: str
    bound: float

    def text(self) -> str:
        return f"{self.metric}{self.operator}{self.bound:g}"

    def holds(self, value: Any) -> bool | None:
        """Whether ``value`` meets the bound; None when there is no finite number to judge."""
        if not _finite(value):
            return None
        return bool(_OPERATORS[self.operator](float(value), self.bound))


@dataclass(frozen=True)
class Objectives:
    """The objectives (first one primary) and the constraints of one sweep, resolved once."""

    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()

    @property
    def primary(self) -> Objective:
        """The objective a single number is needed for: progress lines, one best defconfig."""
        return self.objectives[0]

    @property
    def several(self) -> bool:
        return len(self.objectives) > 1

    @property
    def ranking(self) -> tuple[str, str]:
        """(metric, goal) of the primary objective: what a single-objective consumer ranks by."""
        return self.primary.metric, self.primary.goal

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(o.metric for o in self.objectives)

    @property
    def goals(self) -> tuple[str, ...]:
        return tuple(o.goal for o in self.objectives)

    def text(self) -> str:
        return ",".join(o.text() for o in self.objectives)

    def violated(self, record: Mapping[str, Any]) -> list[Constraint]:
        """The constraints ``record`` breaks; one it has no number for counts as broken."""
        return [c for c in self.constraints if not c.holds(record.get(c.metric))]


def single(metric: str, goal: str) -> Objectives:
    """The objectives of a sweep ranked by one metric (what METRIC=/GOAL= give)."""
    return Objectives((Objective(metric, goal),))


def parse_objectives(text: str) -> tuple[Objective, ...]:
    """``val/acc:max,final_sparsity:max`` as objectives; a goal left out is the metric's own.

    Raises ValueError saying what is wrong and how it is written."""
    parts = [part.strip() for part in (text or "").split(",")]
    if not any(parts):
        raise ValueError(f"no objective given; write them as {OBJECTIVES_EXAMPLE}")
    objectives: list[Objective] = []
    for part in parts:
        if not part:
            raise ValueError(f"an empty objective in {text!r}; write {OBJECTIVES_EXAMPLE}")
        name, _, goal = part.partition(":")
        name, goal = name.strip(), goal.strip()
        metric = spec(name)  # refuses what cannot be a metric name, with the choices
        if goal and goal not in GOALS:
            raise ValueError(
                f"{part!r}: the goal {goal!r} is not one of {', '.join(GOALS)} "
                f"(write {name}:max or {name}:min)"
            )
        if name == AUTO and len(parts) > 1:
            raise ValueError(
                f"{text!r}: auto cannot be one of several objectives; name the metric "
                "(val/acc with a validation split, else test_acc)"
            )
        if any(o.metric == name for o in objectives):
            raise ValueError(f"{name} is named twice in {text!r}; name each objective once")
        objectives.append(Objective(name, goal or metric.goal))
    return tuple(objectives)


def parse_constraints(text: str) -> tuple[Constraint, ...]:
    """``params<=8000,training_time<60`` as constraints (an empty text: none).

    Raises ValueError saying which part is wrong and how it is written."""
    constraints: list[Constraint] = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        match = _CONSTRAINT.match(part)
        if not match:
            raise ValueError(
                f"{part!r} is not a constraint: write METRIC<=NUMBER (or >=, <, >), "
                f"e.g. {CONSTRAINTS_EXAMPLE}"
            )
        name, operator, number = match.groups()
        spec(name)
        try:
            bound = float(number)
        except ValueError:
            raise ValueError(f"{part!r}: {number!r} is not a number") from None
        if not math.isfinite(bound):
            raise ValueError(f"{part!r}: the bound must be a finite number")
        constraints.append(Constraint(name, operator, bound))
    return tuple(constraints)


def dominates(a: Sequence[float], b: Sequence[float], goals: Sequence[str]) -> bool:
    """Whether ``a`` is at least as good as ``b`` on every objective and better on one."""
    better = False
    for x, y, goal in zip(a, b, goals, strict=True):
        x, y = (x, y) if goal == "max" else (-x, -y)
        if x < y:
            return False
        better = better or x > y
    return better


def pareto_ranks(points: Sequence[Sequence[float]], goals: Sequence[str]) -> list[int]:
    """Each point's non-dominated sorting rank: 1 for the front, 2 for the front of what is
    left without it, and so on (equal points share a rank)."""
    ranks = [0] * len(points)
    left = set(range(len(points)))
    rank = 0
    while left:
        rank += 1
        front = {i for i in left if not any(dominates(points[j], points[i], goals) for j in left)}
        for i in front:
            ranks[i] = rank
        left -= front
    return ranks


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
