"""Pre-flight: every resolved configuration through the trainer's own checks, before any run.

A problem the trainer would find when a trial starts (a model that cannot
take the dataset, a batch larger than the training set, dataset files
missing, a path outside the project) is found here for every configuration
at once, without importing torch, and reported at the range-file line (or
the base defconfig line) that set the symbol to change. A sweep whose trials
cannot run never starts. Settings that only weaken a sweep (a pruning
schedule that never reaches its target) are warnings that name the numbers.
Identical findings of several configurations are reported once, with the
configurations named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ksweep.configfile import parse_config_text
from ksweep.diagnostics import Diagnostics, Location
from ksweep.plan.paths import value_problems
from ksweep.plan.ranges import RangeSpec
from ksweep.train.checks import settings_warnings
from ksweep.train.problems import Problem, SettingsError
from ksweep.train.settings import settings_from_config

_BASE_LINE = re.compile(r"^(?:CONFIG_([A-Za-z0-9_]+)=|# CONFIG_([A-Za-z0-9_]+) is not set)")


@dataclass(frozen=True)
class Checked:
    """One configuration to check: its name and resolved config text."""

    name: str
    config_text: str


@dataclass
class PreflightResult:
    """What pre-flight found: diagnostics to report and, per configuration, its warnings."""

    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    warnings: dict[str, list[str]] = field(default_factory=dict)


class Locator:
    """Which line set a symbol: the range file's entry, else the base defconfig's line."""

    def __init__(self, spec: RangeSpec, base: str | None) -> None:
        self.spec = spec
        self.base = base
        self._base_lines: dict[str, int] = {}
        if base is not None:
            text = Path(base).read_text(encoding="utf-8", errors="replace")
            for number, line in enumerate(text.splitlines(), start=1):
                match = _BASE_LINE.match(line.strip())
                if match:
                    self._base_lines[match.group(1) or match.group(2)] = number

    def locate(self, symbols: Sequence[str]) -> Location:
        for symbol in symbols:
            for entry in self.spec.entries:
                if _names(entry.name, symbol):
                    return entry.location
        for symbol in symbols:
            for name, line in self._base_lines.items():
                if self.base and _names(name, symbol):
                    return Location(self.base, line)
        return Location(self.spec.path, 0)


def _names(name: str, symbol: str) -> bool:
    """Whether a line setting ``name`` sets ``symbol`` (a choice counts for its members)."""
    return name == symbol or (symbol.endswith("_SELECT") and name.startswith(symbol + "_"))


def preflight(
    configs: Iterable[Checked],
    locator: Locator,
    *,
    allow_download: bool = False,
    project: Path | None = None,
    data_roots: Sequence[Path] = (),
) -> PreflightResult:
    """Check every configuration; identical findings are grouped with the configurations."""
    project = project or Path.cwd()
    errors: dict[tuple[Location, str], list[str]] = {}
    warnings: dict[tuple[Location, str], list[str]] = {}
    result = PreflightResult()
    for config in configs:
        values = parse_config_text(config.config_text, config.name)
        found = value_problems(values, project, data_roots)
        try:
            settings = settings_from_config(values, allow_download=allow_download)
        except SettingsError as problem:
            found += problem.details
        else:
            notes = settings_warnings(settings)
            result.warnings[config.name] = [n.message for n in notes]
            _collect(warnings, locator, notes, config.name)
        _collect(errors, locator, found, config.name)
    for (location, message), names in errors.items():
        result.diagnostics.error(location, message + _which(names))
    for (location, message), names in warnings.items():
        result.diagnostics.warning(location, message + _which(names))
    return result


def _collect(
    into: dict[tuple[Location, str], list[str]],
    locator: Locator,
    problems: Iterable[Problem],
    name: str,
) -> None:
    for problem in problems:
        into.setdefault((locator.locate(problem.symbols), problem.message), []).append(name)


def _which(names: list[str]) -> str:
    if len(names) == 1:
        return f" ({names[0]})"
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return f" ({len(names)} configurations: {shown})"
