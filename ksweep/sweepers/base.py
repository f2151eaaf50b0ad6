"""The sweeper interface the run loop drives."""

from __future__ import annotations

from typing import Any, Protocol

from ksweep.sweep.trials import TrialSpec


class Sweeper(Protocol):
    """Proposes trials; hears what became of them."""

    kind: str  # "grid", "folder", "random", "sobol", "tpe", ...

    def total(self) -> int | None:
        """How many trials this sweep runs in all, when that is known in advance."""

    def ask(self) -> TrialSpec | None:
        """The next trial to start now, or None when there is none to start right now
        (everything is running or done, or a search waits for results)."""

    def tell_epoch(self, trial: TrialSpec, row: dict[str, Any]) -> None:
        """One epoch a running trial streamed."""

    def tell(self, trial: TrialSpec, record: dict[str, Any]) -> None:
        """A trial's final record (completed, failed, pruned, ...)."""

    def exhausted(self) -> bool:
        """True once no trial will ever be proposed again (given what is running now)."""

    def trials(self) -> list[TrialSpec]:
        """Every trial proposed so far (all of them, for a fixed list)."""
