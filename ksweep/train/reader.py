"""Typed reads of a resolved config, collecting every problem instead of stopping at one.

A sweep author fixing a range config wants the whole list in one run, so a
bad value is recorded as a :class:`~ksweep.train.problems.Problem` naming its
symbol and a harmless stand-in is returned; the caller raises once at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from ksweep.schema import check_string_value, parse_float
from ksweep.train.problems import Problem

T = TypeVar("T")


class ConfigReader:
    """Reads typed values out of a resolved config (``read_config`` output, unprefixed)."""

    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values
        self.problems: list[Problem] = []

    def problem(self, message: str, *symbols: str) -> None:
        self.problems.append(Problem(message, symbols))

    def _raw(self, name: str) -> str | None:
        if name not in self.values:
            self.problem(
                f"CONFIG_{name} must be set for this configuration but the config file lacks "
                f"it; fix: pass a fully resolved config (written by ksweep or "
                f"'make olddefconfig'), not a defconfig fragment",
                name,
            )
            return None
        return self.values[name]

    def integer(self, name: str, low: int, high: int | None = None) -> int:
        raw = self._raw(name)
        if raw is None:
            return low
        try:
            value = int(raw)
        except ValueError:
            self.problem(f"CONFIG_{name} must be an integer, found {raw!r}", name)
            return low
        if value < low or (high is not None and value > high):
            upper = f" and at most {high}" if high is not None else ""
            self.problem(
                f"CONFIG_{name} must be at least {low}{upper}, found {value}; "
                f"fix: set it within that range",
                name,
            )
            return low
        return value

    def decimal(self, name: str) -> float:
        raw = self._raw(name)
        if raw is None:
            return 0.0
        problem = check_string_value(name, raw)
        if problem is not None:
            self.problem(f"CONFIG_{name}: {problem}", name)
            return 0.0
        value = parse_float(raw)
        assert value is not None  # check_string_value accepted it
        return float(value)

    def degrees(self, name: str, limit: float) -> tuple[float, ...]:
        """A comma-separated list of distinct angles within [-limit, limit] ("-3,0,3")."""
        raw = self._raw(name)
        if raw is None:
            return ()
        angles: list[float] = []
        for item in raw.split(","):
            value = parse_float(item)
            if value is None or abs(value) > limit:
                self.problem(
                    f"CONFIG_{name} must list angles in degrees from {-limit:g} to {limit:g}, "
                    f'separated by commas, found {raw!r}; fix: e.g. CONFIG_{name}="-3,0,3"',
                    name,
                )
                return ()
            angles.append(float(value))
        if len(set(angles)) != len(angles):
            self.problem(
                f"CONFIG_{name} must not repeat an angle (a view counted twice weighs double), "
                f"found {raw!r}; fix: list each angle once",
                name,
            )
            return ()
        return tuple(angles)

    def enum(self, name: str) -> str:
        raw = self._raw(name)
        if raw is None:
            return ""
        problem = check_string_value(name, raw)
        if problem is not None:
            self.problem(f"CONFIG_{name}: {problem}", name)
            return ""
        return raw

    def boolean(self, name: str) -> bool:
        raw = self._raw(name)
        if raw is None:
            return False
        if raw not in ("y", "n"):
            self.problem(f"CONFIG_{name} must be y or n, found {raw!r}", name)
            return False
        return raw == "y"

    def text(self, name: str) -> str:
        raw = self._raw(name)
        return "" if raw is None else raw

    def choice(self, prefix: str, members: tuple[str, ...]) -> str:
        """The one member suffix set to ``y`` among the ``CONFIG_<prefix>_*`` symbols."""
        chosen = sorted(
            name[len(prefix) + 1 :]
            for name, value in self.values.items()
            if name.startswith(prefix + "_") and value == "y"
        )
        options = "|".join(members)
        if len(chosen) != 1:
            found = ", ".join(f"CONFIG_{prefix}_{c}=y" for c in chosen) or "none"
            self.problem(
                f"exactly one of CONFIG_{prefix}_{{{options}}} must be y, found {found}; "
                f"fix: select one, e.g. CONFIG_{prefix}_{members[0]}=y",
                prefix,
            )
            return ""
        if chosen[0] not in members:
            self.problem(
                f"CONFIG_{prefix}_{chosen[0]}=y names no known option ({options}); "
                f"fix: choose one of those",
                prefix,
            )
            return ""
        return chosen[0]

    def when(self, condition: bool, read: Callable[[], T], default: T) -> T:
        """``read()`` if the symbol applies (its ``depends on`` holds), else ``default``."""
        return read() if condition else default
