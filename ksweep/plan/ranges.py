"""Parsing range configs: a ``.config`` whose values may be ranges or choices.

Grammar of one value (see DESIGN.md section 4)::

    value            single value; "quoted text" allowed
    a|b|c            choices; items stripped, each may be quoted or be a range
    start:step:end   numeric range, end inclusive, exact decimal arithmetic
    start:*factor:end
                     geometric range (1e-4:*10:1e-1 gives 0.0001 0.001 0.01 0.1)

Sampling forms (the whole value; see :mod:`ksweep.plan.distributions`)::

    uniform(low,high)      a decimal drawn uniformly from [low, high]
    loguniform(low,high)   a decimal drawn uniformly in log space (low > 0)
    randint(low,high)      an integer from low to high, ends included
    logint(low,high)       an integer drawn uniformly in log space (low > 0)
    choice(a|b|c)          one of the items (which may be quoted, or ranges)

A sampled line is drawn once per configuration (``SEARCH=random``, ``sobol``
or ``tpe``); the other swept lines are crossed with every draw.

``#`` starts a comment outside quotes; ``# CONFIG_X is not set`` means ``n``.
A line ``# ksweep: base=FILE`` names the defconfig the sweep starts from
(relative to the range file's folder).

This module is pure: it knows nothing of Kconfig, so symbol types are
checked later, in :mod:`ksweep.resolve`. What it can check alone (syntax,
empty or endless ranges, duplicate values, a symbol given twice) it checks
here, collecting every problem.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ksweep.configfile import unquote
from ksweep.diagnostics import Diagnostics, Location
from ksweep.plan.distributions import (
    CHOICE,
    FLOAT_FORMS,
    FORMS,
    INT_FORMS,
    USAGE,
    Distribution,
    parse_call,
    parse_interval,
)
from ksweep.plan.smallfile import read_config_text

MAX_RANGE_VALUES = 10_000

_ASSIGNMENT = re.compile(r"^CONFIG_([A-Za-z0-9_]+)\s*=(.*)$")
_NOT_SET = re.compile(r"^#\s*CONFIG_([A-Za-z0-9_]+) is not set\s*$")
_DIRECTIVE = re.compile(r"^#\s*ksweep:\s*(\w+)\s*=\s*(\S+)\s*$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True)
class Value:
    """One candidate value of a symbol, as text, and how it was written."""

    text: str
    quoted: bool = False
    from_range: bool = False


@dataclass(frozen=True)
class Entry:
    """One ``CONFIG_X=...`` line of a range file."""

    name: str
    values: tuple[Value, ...]
    location: Location
    source: str
    distribution: Distribution | None = None  # a sampled line: what its values are drawn from

    @property
    def swept(self) -> bool:
        return len(self.values) > 1 or self.distribution is not None

    @property
    def sampled(self) -> bool:
        return self.distribution is not None


@dataclass(frozen=True)
class RangeSpec:
    """A parsed range file: its entries in file order and its optional base config."""

    path: str
    text: str
    entries: tuple[Entry, ...]
    base: str | None = None
    base_location: Location | None = None

    def combination_count(self) -> int:
        """The grid size; a sampled line counts once (it is drawn, not expanded)."""
        count = 1
        for entry in self.entries:
            count *= 1 if entry.sampled and entry.distribution.numeric else len(entry.values)
        return count


def _unquoted(text: str) -> Iterator[tuple[int, str]]:
    """(index, char) of every character outside double quotes (``\\"`` inside stays quoted)."""
    in_quotes = False
    escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and in_quotes:
            escaped = True
        elif char == '"':
            in_quotes = not in_quotes
        elif not in_quotes:
            yield index, char


def strip_comment(text: str) -> str:
    """``text`` up to the first ``#`` that is not inside double quotes."""
    for index, char in _unquoted(text):
        if char == "#":
            return text[:index]
    return text


def split_choices(text: str) -> list[str]:
    """Split on ``|`` outside double quotes; items are stripped."""
    cuts = [index for index, char in _unquoted(text) if char == "|"]
    bounds = zip([-1, *cuts], [*cuts, len(text)], strict=True)
    return [text[start + 1 : end].strip() for start, end in bounds]


def render_decimal(value: Decimal) -> str:
    """Plain positional text for an exact decimal: 0.0001, not 1E-4; 2.0 stays 2.0."""
    text = format(value, "f")
    return "0" if text in ("-0", "+0") else text


def _number(text: str) -> Decimal | None:
    if not _NUMBER.match(text.strip()):
        return None
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


def expand_range(text: str) -> tuple[list[str], str | None]:
    """The values ``start:step:end`` denotes, or an explanation of why it denotes none.

    Values are computed as ``start + k*step`` (or ``start * factor**k``) in
    exact decimals, so no float error creeps in (``1.5:0.1:2.0`` gives
    ``1.7``, never ``1.7000000000000002``).
    """
    start_text, step_text, end_text = (part.strip() for part in text.split(":"))
    geometric = step_text.startswith("*")
    start, end = _number(start_text), _number(end_text)
    step = _number(step_text[1:] if geometric else step_text)
    for label, part, parsed in (
        ("start", start_text, start),
        ("step", step_text, step),
        ("end", end_text, end),
    ):
        if parsed is None:
            return [], (
                f"{text} looks like a range start:step:end but its {label} '{part}' is not a "
                "number; quote the value if it is text"
            )
    assert start is not None and step is not None and end is not None
    if geometric:
        return _expand_geometric(text, start, step, end)
    if step == 0:
        return [], f"{text} has a step of 0, which never reaches the end"
    if (end - start) * step < 0:
        direction = "positive" if step > 0 else "negative"
        return [], (
            f"{text} is empty (a {direction} step cannot reach {end_text} from {start_text}); "
            f"did you mean {end_text}:{step_text}:{start_text}?"
        )
    count = int((end - start) / step) + 1
    if count > MAX_RANGE_VALUES:
        return [], f"{text} gives {count} values, more than the {MAX_RANGE_VALUES} allowed"
    return [render_decimal(start + step * k) for k in range(count)], None


def _expand_geometric(
    text: str, start: Decimal, factor: Decimal, end: Decimal
) -> tuple[list[str], str | None]:
    if start <= 0 or end <= 0:
        return [], f"{text}: a geometric range needs positive start and end"
    if factor == 1 or factor <= 0:
        return [], f"{text}: a geometric factor must be positive and not 1"
    if (factor > 1) != (end >= start):
        return [], f"{text} is empty (factor {factor} moves away from {end})"
    values: list[str] = []
    current = start
    while (current <= end) if factor > 1 else (current >= end):
        values.append(render_decimal(current.normalize()))
        if len(values) > MAX_RANGE_VALUES:
            return [], f"{text} gives more than the {MAX_RANGE_VALUES} values allowed"
        current = current * factor
    return values, None


def parse_sampled(text: str) -> tuple[Distribution | None, list[Value], list[str]]:
    """A sampling form's distribution (and, for ``choice``, its items), or its problems.

    ``(None, [], [])`` when ``text`` is not written as ``name(...)`` at all."""
    call = parse_call(text) if not text.startswith('"') else None
    if call is None:
        return None, [], []
    form, args = call
    if form in (*FLOAT_FORMS, *INT_FORMS):
        dist, problem = parse_interval(form, args, text)
        return dist, [], [problem] if problem else []
    if form == CHOICE:
        if not args.strip():
            return Distribution(CHOICE, text), [], [f"{text} has no items; write choice(a|b|c)"]
        values, problems = parse_value(args, sampled_inside=False)
        return Distribution(CHOICE, text), values, problems
    close = difflib.get_close_matches(form, FORMS, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}(...)? " if close else ""
    return (
        None,
        [],
        [
            f"{text} is not a sampling form ({hint}the forms are {USAGE}); quote the value if it "
            "is text"
        ],
    )


def parse_value(text: str, sampled_inside: bool = True) -> tuple[list[Value], list[str]]:
    """All values one right-hand side denotes (not a sampling form), and its problems."""
    problems: list[str] = []
    values: list[Value] = []
    items = split_choices(text)
    if len(items) > 1 and any(not item for item in items):
        problems.append(f"'{text}' has an empty choice; write a|b|c with a value between each |")
    items = [item for item in items if item]
    for item in items:
        call = parse_call(item) if not item.startswith('"') else None
        if call is not None and (call[0] in FORMS or not sampled_inside):
            problems.append(
                f"{item}: a sampling form is a whole value and cannot be one of several "
                "choices; write CONFIG_X=choice(a|b|c) or one form alone"
            )
            continue
        if item.startswith('"'):
            if len(item) < 2 or not item.endswith('"'):
                problems.append(f'{item} has an unterminated string; close it with "')
                continue
            values.append(Value(unquote(item), quoted=True))
        elif item.count(":") == 2:
            expanded, problem = expand_range(item)
            if problem:
                problems.append(problem)
            values.extend(Value(v, from_range=True) for v in expanded)
        else:
            values.append(Value(item))
    if not values and not problems:
        problems.append("the value is empty; write CONFIG_X=value")
    return values, problems


def parse_range_text(text: str, path: str) -> tuple[RangeSpec, Diagnostics]:
    """Parse a range file's text; every problem is collected, none raised."""
    diagnostics = Diagnostics()
    entries: list[Entry] = []
    seen: dict[str, Location] = {}
    base: str | None = None
    base_location: Location | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        location = Location(path, number)
        line = raw.strip()
        if not line:
            continue
        directive = _DIRECTIVE.match(line)
        if directive:
            key, value = directive.groups()
            if key != "base":
                diagnostics.error(location, f"unknown directive '{key}'; the only one is base=FILE")
            else:
                base, base_location = value, location
            continue
        unset = _NOT_SET.match(line)
        if unset:
            name, rhs = unset.group(1), "n"
        elif line.startswith("#"):
            continue
        else:
            assignment = _ASSIGNMENT.match(strip_comment(line).strip())
            if not assignment:
                diagnostics.error(
                    location,
                    f"expected CONFIG_NAME=value, found '{line}'; "
                    "values may be a, a|b|c, start:step:end or a sampling form such as "
                    "loguniform(1e-5,1e-1)",
                )
                continue
            name, rhs = assignment.group(1), assignment.group(2).strip()
        if name in seen:
            diagnostics.error(
                location,
                f"CONFIG_{name} is given again (first at line {seen[name].line}); "
                "put all its values on one line as a|b|c",
            )
            continue
        seen[name] = location
        distribution, values, problems = parse_sampled(rhs)
        if distribution is None and not problems:
            values, problems = parse_value(rhs)
        for problem in problems:
            diagnostics.error(location, f"CONFIG_{name}: {problem}")
        duplicates = _duplicates([v.text for v in values])
        if duplicates:
            diagnostics.error(
                location,
                f"CONFIG_{name}: {', '.join(duplicates)} appears more than once; "
                "each value may be listed only once",
            )
        if (values or distribution) and not problems and not duplicates:
            entries.append(Entry(name, tuple(values), location, raw, distribution))
    return RangeSpec(path, text, tuple(entries), base, base_location), diagnostics


def _duplicates(texts: list[str]) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for text in texts:
        if text in seen and text not in repeated:
            repeated.append(text)
        seen.add(text)
    return repeated


def parse_range_file(path: str | Path) -> tuple[RangeSpec, Diagnostics]:
    """Read and parse a range file; a missing or unreadable file is itself a diagnostic."""
    path = Path(path)
    try:
        text = read_config_text(path)
    except OSError as error:
        diagnostics = Diagnostics()
        reason = getattr(error, "strerror", None) or str(error)
        diagnostics.error(Location(str(path), 0), f"cannot read the range config: {reason}")
        return RangeSpec(str(path), "", ()), diagnostics
    return parse_range_text(text, str(path))
