"""Turning per-symbol value lists into combinations.

A grid search is the cartesian product, in file order, with the last line
varying fastest (so ``config_001`` .. ``config_NNN`` read like nested loops).
Seeded random search will be another function here with the same result
type; nothing downstream cares how the combinations were chosen.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

MAX_CONFIGURATIONS = 1000


def grid(value_lists: Sequence[Sequence[T]]) -> list[tuple[T, ...]]:
    """Every combination of one value per list."""
    return list(itertools.product(*value_lists))


def grid_size(value_lists: Sequence[Sequence[T]]) -> int:
    """How many combinations :func:`grid` would give, without building them."""
    size = 1
    for values in value_lists:
        size *= len(values)
    return size
