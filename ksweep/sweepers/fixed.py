"""The first two sweepers: a fixed list of trials, from a generated plan or from a folder.

``make sweep`` runs the grid a range file expands to, straight from the plan
it generated (so a second sweep regenerating ``sweep_configs/`` at the same
moment cannot change what this one runs); ``make sweep-run`` and the guide's
``run_test_matrix.py`` run the configs already in a folder. Both hand the
trials out in the order given (name order, or an early-stopping rule's launch
order), skipping those a resumed sweep already finished.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

from ksweep.sweep.trials import TrialSpec


class FixedSweeper:
    """Hands out a known list of trials once each."""

    def __init__(self, trials: Sequence[TrialSpec], done: Iterable[str] = (), kind: str = "grid"):
        self.kind = kind
        self._all = list(trials)
        finished = set(done)
        self._pending = deque(t for t in self._all if t.config_name not in finished)

    def total(self) -> int:
        return len(self._all)

    def ask(self) -> TrialSpec | None:
        return self._pending.popleft() if self._pending else None

    def tell_epoch(self, trial: TrialSpec, row: dict[str, Any]) -> None:
        """A fixed list does not change with what it hears."""

    def tell(self, trial: TrialSpec, record: dict[str, Any]) -> None:
        """A fixed list does not change with what it hears."""

    def exhausted(self) -> bool:
        return not self._pending

    def trials(self) -> list[TrialSpec]:
        return list(self._all)

    @property
    def to_run(self) -> int:
        return len(self._pending)
