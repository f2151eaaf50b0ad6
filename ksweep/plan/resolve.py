"""Checking range-file entries against the Kconfig tree, and reading back what Kconfig kept.

Two steps, both collecting every problem:

* :func:`type_entries` turns each parsed entry into the Kconfig assignments
  its values stand for, checking names (with a did-you-mean), types, float
  bounds and enumerations, and choices (``CONFIG_OPTIMIZER_SELECT=SGD|ADAM``
  sweeps a named choice by selecting one member per configuration).
* :func:`resolve_combination` applies one combination through kconfiglib and
  compares every requested value with the value Kconfig kept, because
  kconfiglib drops bad assignments without a word.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from decimal import Decimal

from ksweep.diagnostics import Diagnostics
from ksweep.plan.distributions import Distribution, type_problem
from ksweep.plan.kconfig import AssignedResult, KconfigTree, Resolution
from ksweep.plan.ranges import Entry, RangeSpec
from ksweep.schema import ENUM_SYMBOLS, FLOAT_SYMBOLS, check_string_value, parse_float


@dataclass(frozen=True)
class Setting:
    """One value of an entry: how users see it and the Kconfig assignments it makes."""

    display: str
    assignments: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class TypedEntry:
    """A range-file entry whose values have been checked against the tree."""

    entry: Entry
    display_name: str
    kind: str  # choice | member | bool | int | hex | float | enum | text
    settings: tuple[Setting, ...]  # a numeric sampled line: its two ends

    @property
    def swept(self) -> bool:
        return len(self.settings) > 1 or self.entry.sampled

    @property
    def distribution(self) -> Distribution | None:
        return self.entry.distribution

    def drawn(self, text: str) -> Setting:
        """The setting of a value drawn from a numeric sampled line."""
        return Setting(text, ((self.settings[0].assignments[0][0], text),))


def did_you_mean(name: str, candidates: list[str]) -> str:
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f"; did you mean CONFIG_{close[0]}?" if close else ""


def type_entries(spec: RangeSpec, tree: KconfigTree) -> tuple[list[TypedEntry], Diagnostics]:
    """Check every entry's symbol and values; return the typed entries and all problems."""
    diagnostics = Diagnostics()
    typed: list[TypedEntry] = []
    for entry in spec.entries:
        result = _type_entry(entry, tree, diagnostics)
        if result is not None:
            typed.append(result)
    _check_choice_conflicts(typed, tree, diagnostics)
    return typed, diagnostics


def _type_entry(entry: Entry, tree: KconfigTree, diagnostics: Diagnostics) -> TypedEntry | None:
    dist = entry.distribution
    if dist is not None and dist.numeric:
        return _type_interval(entry, dist, tree, diagnostics)
    name, location = entry.name, entry.location
    if name in tree.choice_names():
        return _type_choice(entry, tree, diagnostics)
    info = tree.symbol(name)
    if info is None:
        hint = did_you_mean(name, tree.symbol_names() + tree.choice_names())
        diagnostics.error(location, f"CONFIG_{name} is not a symbol of the Kconfig tree{hint}")
        return None
    errors_before = len(diagnostics.errors)
    if info.choice is not None:
        kind = "member"
        for value in entry.values:
            if value.text != "y":
                diagnostics.error(
                    location,
                    f"CONFIG_{name} is a member of choice {info.choice}: it can only be set to y "
                    f"(selecting it); to compare members, sweep the choice itself: "
                    f"CONFIG_{info.choice}=" + "|".join(_member_suffixes(tree, info.choice)),
                )
                break
    elif info.type == "bool":
        kind = "bool"
        for value in entry.values:
            if value.from_range:
                diagnostics.error(
                    location, f"CONFIG_{name} is a bool: a range makes no sense; write y, n or y|n"
                )
                break
            if value.text not in ("y", "n"):
                diagnostics.error(
                    location, f"CONFIG_{name} is a bool: '{value.text}' is not y or n"
                )
    elif info.type in ("int", "hex"):
        kind = info.type
        for value in entry.values:
            try:
                int(value.text, 16 if info.type == "hex" else 10)
            except ValueError:
                diagnostics.error(
                    location,
                    f"CONFIG_{name} is an {info.type}: '{value.text}' is "
                    "not an integer"
                    + (" (the range has a fractional step)" if value.from_range else ""),
                )
                break
        else:
            numbers = [int(v.text, 16 if info.type == "hex" else 10) for v in entry.values]
            _check_numeric_duplicates(entry, numbers, diagnostics)
    elif info.type == "string":
        kind = "float" if name in FLOAT_SYMBOLS else "enum" if name in ENUM_SYMBOLS else "text"
        for value in entry.values:
            if value.from_range and kind != "float":
                diagnostics.error(
                    location,
                    f"CONFIG_{name} is text, not a number: a range "
                    "cannot sweep it; list the values as a|b|c",
                )
                break
            problem = check_string_value(name, value.text)
            if problem:
                diagnostics.error(location, f"CONFIG_{name}: {problem}")
        if kind == "float" and len(diagnostics.errors) == errors_before:
            numbers = [parse_float(v.text) for v in entry.values]
            _check_numeric_duplicates(entry, numbers, diagnostics)
    else:
        diagnostics.error(
            location, f"CONFIG_{name} has type {info.type}, which ksweep cannot sweep"
        )
        return None
    if len(diagnostics.errors) != errors_before:
        return None
    settings = tuple(Setting(v.text, ((name, v.text),)) for v in entry.values)
    return TypedEntry(entry, f"CONFIG_{name}", kind, settings)


def _type_interval(
    entry: Entry, dist: Distribution, tree: KconfigTree, diagnostics: Diagnostics
) -> TypedEntry | None:
    """A numeric sampled line: the symbol must be an int or a decimal, the interval within
    its bounds. Its settings are the interval's two ends (what pre-flight probes)."""
    name = entry.name
    if name in tree.choice_names():
        kind, int_range = "choice", None
    else:
        info = tree.symbol(name)
        if info is None:
            hint = did_you_mean(name, tree.symbol_names() + tree.choice_names())
            diagnostics.error(
                entry.location, f"CONFIG_{name} is not a symbol of the Kconfig tree{hint}"
            )
            return None
        kind = "member" if info.choice else info.type
        if info.type == "string":
            kind = "float" if name in FLOAT_SYMBOLS else "text"
        int_range = tree.int_range(name) if info.type == "int" else None
    problem = type_problem(name, kind, dist, int_range, FLOAT_SYMBOLS.get(name))
    if problem:
        diagnostics.error(entry.location, problem)
        return None
    texts = [
        str(int(e)) if dist.integer else format(e.normalize(), "f") for e in (dist.low, dist.high)
    ]
    settings = tuple(Setting(text, ((name, text),)) for text in texts)
    return TypedEntry(entry, f"CONFIG_{name}", kind, settings)


def _member_suffixes(tree: KconfigTree, choice: str) -> list[str]:
    prefix = choice + "_"
    return [m[len(prefix) :] if m.startswith(prefix) else m for m in tree.choice_members(choice)]


def _type_choice(entry: Entry, tree: KconfigTree, diagnostics: Diagnostics) -> TypedEntry | None:
    choice = entry.name
    members = tree.choice_members(choice)
    suffixes = _member_suffixes(tree, choice)
    settings = []
    for value in entry.values:
        wanted = value.text.upper().removeprefix("CONFIG_")
        if wanted in suffixes:
            member = members[suffixes.index(wanted)]
        elif wanted in members:
            member = wanted
        else:
            close = difflib.get_close_matches(wanted, suffixes, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]}?" if close else ""
            diagnostics.error(
                entry.location,
                f"CONFIG_{choice}: '{value.text}' is not a member of choice {choice} "
                f"(members: {', '.join(suffixes)}){hint}",
            )
            continue
        settings.append(
            Setting(
                member[len(choice) + 1 :] if member.startswith(choice + "_") else member,
                ((member, "y"),),
            )
        )
    if len(settings) != len(entry.values):
        return None
    return TypedEntry(entry, f"CONFIG_{choice}", "choice", tuple(settings))


def _check_numeric_duplicates(
    entry: Entry, numbers: list[Decimal | int | None], diagnostics: Diagnostics
) -> None:
    seen: dict[Decimal | int, str] = {}
    for value, number in zip(entry.values, numbers, strict=True):
        if number is None:
            continue
        if number in seen:
            diagnostics.error(
                entry.location,
                f"CONFIG_{entry.name}: {seen[number]} and {value.text} are the same number; "
                "list each value once",
            )
            return
        seen[number] = value.text


def _check_choice_conflicts(
    typed: list[TypedEntry], tree: KconfigTree, diagnostics: Diagnostics
) -> None:
    """Two fixed members of one choice, or a member fixed while its choice is swept."""
    claimed: dict[str, TypedEntry] = {}
    for item in typed:
        if item.kind == "choice":
            choice = item.entry.name
        elif item.kind == "member":
            info = tree.symbol(item.entry.name)
            choice = info.choice if info else None
        else:
            continue
        if choice is None:
            continue
        if choice in claimed:
            first = claimed[choice]
            diagnostics.error(
                item.entry.location,
                f"{item.display_name} and {first.display_name} (line {first.entry.location.line}) "
                f"both pick a member of choice {choice}; keep one of them",
            )
        else:
            claimed[choice] = item


@dataclass(frozen=True)
class CombinationOutcome:
    """What Kconfig made of one combination of settings."""

    resolution: Resolution
    unmet: tuple[int, ...]  # indices (into the typed entries) whose symbol is hidden here
    mismatches: tuple[tuple[int, AssignedResult], ...]


def resolve_combination(
    tree: KconfigTree,
    base: str | None,
    typed: list[TypedEntry],
    combination: tuple[Setting, ...],
) -> CombinationOutcome:
    """Resolve one combination and sort each assignment into kept, hidden or changed."""
    owners: list[int] = []
    assignments: list[tuple[str, str]] = []
    for index, setting in enumerate(combination):
        for assignment in setting.assignments:
            owners.append(index)
            assignments.append(assignment)
    resolution = tree.resolve(base, assignments)
    unmet: list[int] = []
    mismatches: list[tuple[int, AssignedResult]] = []
    for owner, result in zip(owners, resolution.assigned, strict=True):
        if not result.visible:
            if owner not in unmet:
                unmet.append(owner)
        elif result.value != result.requested:
            mismatches.append((owner, result))
    return CombinationOutcome(resolution, tuple(unmet), tuple(mismatches))


def mismatch_message(result: AssignedResult) -> str:
    """Why Kconfig did not keep a visible assignment, with the fix."""
    if result.int_range is not None:
        low, high = result.int_range
        return (
            f"CONFIG_{result.name}={result.requested} is outside its Kconfig range "
            f"{low}..{high}; pick a value from {low} to {high}"
        )
    return (
        f"CONFIG_{result.name}={result.requested} was not accepted by Kconfig (it resolved "
        f"to '{result.value}'); check the symbol's type and help in `make menuconfig`"
    )


def unmet_message(entry: TypedEntry, result_depends_on: str) -> str:
    """Why a symbol has no effect, with the fix."""
    hint = ""
    condition = result_depends_on.strip()
    if condition.isidentifier():
        hint = f"; add CONFIG_{condition}=y"
    elif condition.startswith("!") and condition[1:].isidentifier():
        hint = f"; CONFIG_{condition[1:]} must not be selected"
    return (
        f"{entry.display_name} has no effect: it depends on `{condition}`, which is not met"
        f"{hint} (or remove the line)"
    )
