"""Problems with a config, each tied to the symbols that cause it.

The trainer prints them as ``error: ...`` lines before it trains; the sweep
generator runs the same checks on every resolved configuration and, because
each problem names its symbols, can point at the range-file line (or base
defconfig line) to change, as ``file:line: error: ...``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One sentence: what must hold, what was found, the fix; and the symbols involved."""

    message: str
    symbols: tuple[str, ...] = ()  # unprefixed Kconfig names, the first is where to fix it

    def __str__(self) -> str:
        return self.message


class SettingsError(ValueError):
    """A config (or its environment) that training must not start with.

    ``problems`` holds one sentence per problem; ``details`` the same problems
    with their symbols. ``str()`` renders them as ``error: ...`` lines, the
    format the trainer prints before exiting with status 2.
    """

    def __init__(self, problems: Sequence[Problem | str]) -> None:
        self.details = [p if isinstance(p, Problem) else Problem(p) for p in problems]
        self.problems = [p.message for p in self.details]
        super().__init__("\n".join(f"error: {p}" for p in self.problems))
