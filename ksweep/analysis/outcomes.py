"""Outcomes that are results, not failures: a seed that diverged, a seed that ended at chance.

A trial that ran as asked and diverged, or learned nothing, has told the
user something about its settings (the learning rate is too high, say). Such
seeds are reported as what they are, apart from crashes and timeouts; a
configuration with any of them is never "within noise of the best", its
values stay out of the pooled noise (:mod:`ksweep.analysis.noise`) and out of
marginal means (with a count), and a search is told it was the worst value.

* **At chance**: a finished trial whose final test accuracy is within
  :data:`CHANCE_MARGIN` points of chance for its dataset (100 / number of
  classes, from the record's ``num_classes``).
* **Diverged**: the trial's own verdict (exit status 3, state ``diverged``).
"""

from __future__ import annotations

import math
from typing import Any

from ksweep.sweep.states import TrialState, state_of

CHANCE_MARGIN = 2.0  # percentage points above chance that still count as "at chance"
DIVERGED, AT_CHANCE = "diverged", "at chance"


def chance_of(record: dict[str, Any]) -> float | None:
    """Chance accuracy (%) for the record's dataset: 100 / num_classes; None if unknown."""
    classes = record.get("num_classes")
    if isinstance(classes, bool) or not isinstance(classes, int) or classes < 2:
        return None
    return 100.0 / classes


def at_chance(record: dict[str, Any]) -> bool:
    """Whether a finished trial ends within CHANCE_MARGIN points of chance (or below)."""
    state = state_of(record)
    chance = chance_of(record)
    accuracy = record.get("test_acc")
    if state is None or not state.successful or chance is None:
        return False
    if not isinstance(accuracy, int | float) or not math.isfinite(accuracy):
        return False
    return accuracy <= chance + CHANCE_MARGIN


def outcome_of(record: dict[str, Any]) -> str | None:
    """``diverged``, ``at chance``, or None for a trial that learned (or did not run)."""
    if state_of(record) is TrialState.DIVERGED:
        return DIVERGED
    return AT_CHANCE if at_chance(record) else None
