"""Problems found in user input, reported all at once in ``file:line`` form.

Every stage that checks input collects problems instead of raising at the
first one, so a user fixes a range file in one pass rather than one error per
run. A stage that found any error raises :class:`InputErrors`, and the CLI
prints them and exits with status 2 before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    """Where a piece of input came from."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Diagnostic:
    """One problem (or warning) with its location and, where known, the fix."""

    location: Location
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"


@dataclass
class Diagnostics:
    """An accumulator of problems; ``raise_if_errors`` ends the stage."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, location: Location, message: str) -> None:
        self.items.append(Diagnostic(location, message, "error"))

    def warning(self, location: Location, message: str) -> None:
        self.items.append(Diagnostic(location, message, "warning"))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]

    def raise_if_errors(self) -> None:
        if self.errors:
            in_file_order = sorted(self.errors, key=lambda d: (d.location.path, d.location.line))
            raise InputErrors(in_file_order, self.warnings)


class InputErrors(Exception):
    """The input has errors; nothing was written."""

    def __init__(self, errors: list[Diagnostic], warnings: list[Diagnostic] | None = None):
        self.errors = errors
        self.warnings = warnings or []
        super().__init__("\n".join(str(e) for e in errors))


class Refusal(Exception):
    """A request the CLI refuses before it does anything: it prints the message and exits 2.

    Every layer raises its own subclass (a sweep that cannot start, a metric no trial
    recorded), so none of them needs to know about another's."""
