"""From a range file to the list of distinct, fully resolved configurations to run.

parse -> type -> expand -> resolve -> rules -> dedupe, with every problem of
every stage collected before anything is written (see DESIGN.md section 2).
The result, :class:`Plan`, is plain data that :mod:`ksweep.materialize`
writes to ``sweep_configs/``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ksweep.diagnostics import Diagnostic, Diagnostics, InputErrors, Location
from ksweep.expand import MAX_CONFIGURATIONS, grid, grid_size
from ksweep.kconfig import KconfigTree
from ksweep.ranges import RangeSpec, parse_range_file
from ksweep.resolve import (
    Setting,
    TypedEntry,
    mismatch_message,
    resolve_combination,
    type_entries,
    unmet_message,
)
from ksweep.rules import check_rules


@dataclass(frozen=True)
class PlannedConfig:
    """One distinct configuration to run."""

    name: str
    config_text: str
    varying: dict[str, str | None]
    merged: int = 1  # how many expanded combinations resolved to this config
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class SkippedCombination:
    """A combination that cannot run, and why."""

    varying: dict[str, str | None]
    reason: str


@dataclass
class Plan:
    """Everything generation decided, ready to be written."""

    range_path: str
    range_text: str
    base: str | None
    expanded: int
    configs: list[PlannedConfig]
    skipped: list[SkippedCombination]
    varying_symbols: list[str]
    fixed: dict[str, str]
    notes: list[str] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)

    @property
    def range_sha256(self) -> str:
        return hashlib.sha256(self.range_text.encode()).hexdigest()

    def count_line(self) -> str:
        """'36 expanded -> 24 unique' style summary of what generation did."""
        merged = sum(c.merged - 1 for c in self.configs)
        parts = [f"{self.expanded} expanded -> {len(self.configs)} unique configurations"]
        details = []
        if merged:
            details.append(f"{merged} resolved identically to another and run once")
        if self.skipped:
            details.append(f"{len(self.skipped)} skipped as impossible")
        if details:
            parts.append(f" ({'; '.join(details)})")
        return "".join(parts)


def resolve_base(spec: RangeSpec, base_override: str | None) -> tuple[str | None, Diagnostics]:
    """The base config path: the override, else the file's ``# ksweep: base=`` directive."""
    diagnostics = Diagnostics()
    if base_override:
        candidate = Path(base_override)
        location = Location("BASE", 0)
    elif spec.base:
        candidate = Path(spec.path).parent / spec.base
        location = spec.base_location or Location(spec.path, 0)
    else:
        return None, diagnostics
    if not candidate.is_file():
        diagnostics.error(
            location, f"the base config {candidate} does not exist; name an existing defconfig"
        )
        return None, diagnostics
    return str(candidate), diagnostics


def build_plan(
    range_path: str | Path,
    tree: KconfigTree,
    base_override: str | None = None,
    force: bool = False,
) -> Plan:
    """Validate and resolve a range file; raise :class:`InputErrors` listing every problem."""
    spec, diagnostics = parse_range_file(range_path)
    base, base_problems = resolve_base(spec, base_override)
    diagnostics.items.extend(base_problems.items)
    if base is not None:
        tree.load(base)
        for warning in tree.load_warnings():
            diagnostics.error(Location(base, 0), f"in the base config: {warning}")
    typed, type_problems = type_entries(spec, tree)
    diagnostics.items.extend(type_problems.items)
    if base_problems.errors:  # resolving without the intended base would only add misleading errors
        diagnostics.raise_if_errors()

    size = grid_size([t.settings for t in typed])
    if size > MAX_CONFIGURATIONS and not force:
        diagnostics.error(
            Location(spec.path, 0),
            f"this sweep expands to {size} configurations, more than {MAX_CONFIGURATIONS}; "
            "narrow the ranges, or confirm with FORCE=1 (--force)",
        )
        diagnostics.raise_if_errors()
    # With some lines already rejected, the remaining ones are still resolved so that their
    # problems (an int out of range, say) are reported in the same run; only findings that a
    # rejected line could explain (unmet dependencies, impossible combinations) are held back.
    partial = bool(diagnostics.errors)
    return _resolve_all(spec, tree, base, typed, diagnostics, partial)


def _display(typed: list[TypedEntry], combo: tuple[Setting, ...], unmet: tuple[int, ...]):
    return {
        item.display_name: (None if index in unmet else setting.display)
        for index, (item, setting) in enumerate(zip(typed, combo, strict=True))
        if item.swept
    }


def _resolve_all(
    spec: RangeSpec,
    tree: KconfigTree,
    base: str | None,
    typed: list[TypedEntry],
    diagnostics: Diagnostics,
    partial: bool = False,
) -> Plan:
    combinations = grid([t.settings for t in typed])
    unmet_counts = [0] * len(typed)
    unmet_examples: dict[int, tuple[str, dict]] = {}
    reported: set[tuple[int, str]] = set()
    accepted: list[tuple[tuple[Setting, ...], str, dict, list[str]]] = []
    skipped: list[SkippedCombination] = []
    for combo in combinations:
        outcome = resolve_combination(tree, base, typed, combo)
        for owner, result in outcome.mismatches:
            key = (owner, result.requested)
            if key not in reported:
                reported.add(key)
                diagnostics.error(typed[owner].entry.location, mismatch_message(result))
        for owner in outcome.unmet:
            unmet_counts[owner] += 1
            depends = next(
                r.depends_on
                for r in outcome.resolution.assigned
                if r.name == typed[owner].settings[0].assignments[0][0]
            )
            unmet_examples.setdefault(owner, (depends, _display(typed, combo, ())))
        varying = _display(typed, combo, outcome.unmet)
        findings = check_rules(outcome.resolution.values)
        invalid = [f.message for f in findings if f.severity == "invalid"]
        if invalid:
            skipped.append(SkippedCombination(varying, "; ".join(invalid)))
            continue
        warnings = [f.message for f in findings if f.severity == "warning"]
        accepted.append((combo, outcome.resolution.config_text, varying, warnings))

    if partial:
        diagnostics.raise_if_errors()
    for index, count in enumerate(unmet_counts):
        if count == len(combinations):
            depends, _ = unmet_examples[index]
            diagnostics.error(typed[index].entry.location, unmet_message(typed[index], depends))
    if not accepted and skipped:
        diagnostics.error(
            Location(spec.path, 0),
            f"no combination can run: {skipped[0].reason}",
        )
    diagnostics.raise_if_errors()

    notes = []
    for index, count in enumerate(unmet_counts):
        if 0 < count < len(combinations):
            depends, _ = unmet_examples[index]
            notes.append(
                f"{typed[index].display_name} applies only where `{depends}` holds; "
                f"in the other combinations it is left out (shown as n/a)"
            )
    configs = _dedupe(accepted)
    for warning in sorted({w for c in configs for w in c.warnings}):
        diagnostics.warning(Location(spec.path, 0), warning)
    varying_symbols = [
        t.display_name
        for t in typed
        if t.swept and len({c.varying[t.display_name] for c in configs}) > 1
    ]
    fixed = {t.display_name: t.settings[0].display for t in typed if not t.swept}
    return Plan(
        range_path=spec.path,
        range_text=spec.text,
        base=base,
        expanded=len(combinations),
        configs=configs,
        skipped=skipped,
        varying_symbols=varying_symbols,
        fixed=fixed,
        notes=notes,
        warnings=diagnostics.warnings,
    )


def _dedupe(accepted: list[tuple[tuple[Setting, ...], str, dict, list[str]]]):
    by_text: dict[str, int] = {}
    configs: list[PlannedConfig] = []
    for _combo, text, varying, warnings in accepted:
        if text in by_text:
            index = by_text[text]
            first = configs[index]
            configs[index] = PlannedConfig(
                first.name, first.config_text, first.varying, first.merged + 1, first.warnings
            )
            continue
        by_text[text] = len(configs)
        name = f"config_{len(configs) + 1:03d}"
        configs.append(PlannedConfig(name, text, varying, 1, tuple(warnings)))
    return configs


__all__ = ["Plan", "PlannedConfig", "SkippedCombination", "build_plan", "InputErrors"]
