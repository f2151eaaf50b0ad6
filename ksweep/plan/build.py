"""From a range file to the list of distinct, fully resolved, checked configurations to run.

parse -> type -> expand -> resolve -> rules -> dedupe -> pre-flight, with
every problem of every stage collected before anything is written (see
DESIGN.md section 2). The result, :class:`~ksweep.plan.planned.Plan`, is
plain data that :mod:`ksweep.plan.materialize` writes to ``sweep_configs/``.

"Expand" is the grid, or the draws of a sampled search
(:mod:`ksweep.plan.sampling`); both go through the same resolution, dedupe
and pre-flight. A model-based search plans no configuration up front: its
space is checked at its corners (every interval's two ends, crossed with
every choice) through the same path, and the configurations are proposed
while the sweep runs (:mod:`ksweep.plan.proposal`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ksweep.configfile import parse_config_text, unquote
from ksweep.diagnostics import Diagnostics, InputErrors, Location
from ksweep.plan.expand import MAX_CONFIGURATIONS, grid, grid_size
from ksweep.plan.kconfig import KconfigTree
from ksweep.plan.planned import SEED_SYMBOL, Plan, PlannedConfig, SkippedCombination
from ksweep.plan.preflight import Checked, Locator, preflight
from ksweep.plan.ranges import RangeSpec, parse_range_file
from ksweep.plan.resolve import (
    Setting,
    TypedEntry,
    mismatch_message,
    resolve_combination,
    type_entries,
    unmet_message,
)
from ksweep.plan.sampled_space import space_record
from ksweep.plan.sampling import (
    DEFAULT_SAMPLES,
    GRID,
    MODEL_METHODS,
    SAMPLED_METHODS,
    SearchOptions,
    chosen_method,
    draw_combinations,
)
from ksweep.plan.smallfile import read_config_text
from ksweep.schema import OBJECTIVE_SYMBOLS, check_string_value
from ksweep.train.rules import check_rules

__all__ = ["GenerateOptions", "InputErrors", "Plan", "PlannedConfig", "build_plan"]


@dataclass(frozen=True)
class GenerateOptions:
    """What generation may assume about the run: downloads, data roots, the project."""

    allow_download: bool = False  # trials may download missing datasets (ALLOW_DOWNLOAD=1)
    own_trainer: bool = True  # no TRAIN_COMMAND= given: the configs may still name one
    data_roots: tuple[Path, ...] = ()  # folders outside the project a relative path may name
    project: Path | None = None  # where relative paths are taken from (default: here)
    search: SearchOptions = SearchOptions()  # SEARCH, SAMPLES, SEARCH_SEED


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
    try:
        read_config_text(candidate)  # a regular file of bounded size, UTF-8, no NUL
    except OSError as problem:
        diagnostics.error(location, f"the base config: {problem}; name an existing defconfig")
        return None, diagnostics
    return str(candidate), diagnostics


def build_plan(
    range_path: str | Path,
    tree: KconfigTree,
    base_override: str | None = None,
    force: bool = False,
    options: GenerateOptions | None = None,
) -> Plan:
    """Validate, resolve and check a range file; :class:`InputErrors` lists every problem."""
    options = options or GenerateOptions()
    spec, diagnostics = parse_range_file(range_path)
    base, base_problems = resolve_base(spec, base_override)
    diagnostics.items.extend(base_problems.items)
    _check_not_empty(spec, base, diagnostics)
    if base is not None:
        tree.load(base)
        for warning in tree.load_warnings():
            diagnostics.error(Location(base, 0), f"in the base config: {warning}")
        _check_base_objectives(base, {e.name for e in spec.entries}, diagnostics)
    typed, type_problems = type_entries(spec, tree)
    diagnostics.items.extend(type_problems.items)
    if base_problems.errors:  # resolving without the intended base would only add misleading errors
        diagnostics.raise_if_errors()
    method = chosen_method(options.search, typed, Location(spec.path, 0), diagnostics)
    if method in SAMPLED_METHODS or method in MODEL_METHODS:
        diagnostics.raise_if_errors()  # a draw of lines already rejected would mislead

    size = _trial_count(typed, method, options.search)
    if size > MAX_CONFIGURATIONS and not force:
        diagnostics.error(
            Location(spec.path, 0),
            f"this sweep expands to {size} trials, more than {MAX_CONFIGURATIONS}; "
            "narrow the ranges, or confirm with FORCE=1 (--force)",
        )
        diagnostics.raise_if_errors()
    # With some lines already rejected, the remaining ones are still resolved so that their
    # problems (an int out of range, say) are reported in the same run; only findings that a
    # rejected line could explain (unmet dependencies, impossible combinations) are held back.
    partial = bool(diagnostics.errors)
    if method in SAMPLED_METHODS:
        draws = draw_combinations(tree, base, typed, method, options.search)
        plan = resolve_all(spec, tree, base, typed, draws.combinations, diagnostics)
        plan = replace(plan, notes=[*draws.notes, *plan.notes], search=draws.record)
        return checked(plan, spec, options)
    if method in MODEL_METHODS:
        return _model_plan(spec, tree, base, typed, method, options, diagnostics)
    combinations = grid([t.settings for t in typed])
    plan = resolve_all(spec, tree, base, typed, combinations, diagnostics, partial)
    return checked(plan, spec, options)


def _check_base_objectives(base: str, overridden: set[str], diagnostics: Diagnostics) -> None:
    """The base config's CONFIG_SWEEP_OBJECTIVES/CONSTRAINTS, with their line, as a range
    file's are checked (the trainer never reads them, so its pre-flight would not)."""
    text = Path(base).read_text(encoding="utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        name, _, value = line.strip().partition("=")
        symbol = name.removeprefix("CONFIG_")
        if symbol in OBJECTIVE_SYMBOLS and symbol not in overridden:
            problem = check_string_value(symbol, unquote(value.strip()))
            if problem:
                diagnostics.error(Location(base, number), f"{name}: {problem}")


def _trial_count(typed: list[TypedEntry], method: str, search: SearchOptions) -> int:
    """Trials the sweep will run: the grid, or the draws times what each is crossed with."""
    if method == GRID:
        return grid_size([t.settings for t in typed])
    samples = search.samples or DEFAULT_SAMPLES
    crossed = [t.settings for t in typed if not t.entry.sampled]
    if method in MODEL_METHODS:
        crossed = [t.settings for t in typed if t.display_name == SEED_SYMBOL]
    return samples * grid_size(crossed)


def _model_plan(
    spec: RangeSpec,
    tree: KconfigTree,
    base: str | None,
    typed: list[TypedEntry],
    method: str,
    options: GenerateOptions,
    diagnostics: Diagnostics,
) -> Plan:
    """A model-based search's plan: its space, checked at the corners; no configuration yet.

    The corners are every combination of interval ends and choices (capped at
    MAX_CONFIGURATIONS): whatever Kconfig or pre-flight refuses there is reported now, at
    its line, rather than in the middle of a running search."""
    corners = grid([t.settings for t in typed])[:MAX_CONFIGURATIONS]
    probe = checked(resolve_all(spec, tree, base, typed, corners, diagnostics), spec, options)
    dimensions = [t for t in typed if t.swept and t.display_name != SEED_SYMBOL]
    seeds = next((t for t in typed if t.display_name == SEED_SYMBOL and t.swept), None)
    # One resolved corner per CONFIG_DEVICE value: what the runner plans slots from and ranks
    # by (the analysis's own reading of a trial config) before the search has proposed any.
    probes: dict[str, str] = {}
    for config in probe.configs:
        device = parse_config_text(config.config_text, config.name).get("DEVICE", "auto")
        probes.setdefault(device, config.config_text)
    search = {
        "method": method,
        "model": True,  # configurations are proposed while the sweep runs
        "seed": options.search.seed,
        "samples": options.search.samples or DEFAULT_SAMPLES,
        "space": space_record(dimensions),
        "seeds": [s.display for s in seeds.settings] if seeds else [],
        "probe_configs": [probes[d] for d in sorted(probes)],
        "base_sha256": _sha256_of(base),
    }
    return replace(
        probe,
        expanded=0,
        configs=[],
        skipped=[],
        varying_symbols=[t.display_name for t in typed if t.swept],
        search=search,
    )


def _sha256_of(path: str | None) -> str | None:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest() if path else None


def _check_not_empty(spec: RangeSpec, base: str | None, diagnostics: Diagnostics) -> None:
    if spec.entries or diagnostics.errors:
        return
    if base is None:
        diagnostics.error(
            Location(spec.path, 0),
            "the range config sets no CONFIG_ symbol and names no base, so it would sweep the "
            "Kconfig defaults as one trial; add lines such as CONFIG_LEARNING_RATE=0.01|0.1 or "
            "a '# ksweep: base=NAME' line",
        )
    else:
        diagnostics.warning(
            Location(spec.path, 0),
            f"the range config sets no CONFIG_ symbol: the sweep is one trial of {base}",
        )


def runs_own_trainer(config_texts: Sequence[str], no_command_given: bool = True) -> bool:
    """Whether these configs train with ksweep's trainer, whose own checks pre-flight is:
    no TRAIN_COMMAND= was given and no config names a CONFIG_SWEEP_TRAIN_COMMAND."""
    return no_command_given and not any(
        parse_config_text(text).get("SWEEP_TRAIN_COMMAND") for text in config_texts
    )


def checked(plan: Plan, spec: RangeSpec, options: GenerateOptions) -> Plan:
    """The plan after pre-flight: errors raise, warnings are attached to their configurations.

    Pre-flight is ksweep's trainer's own checks; a sweep whose trials run another command
    (TRAIN_COMMAND=, CONFIG_SWEEP_TRAIN_COMMAND) is checked by that command when it runs."""
    if not runs_own_trainer([c.config_text for c in plan.configs], options.own_trainer):
        return plan
    result = preflight(
        (Checked(c.name, c.config_text) for c in plan.configs),
        Locator(spec, plan.base),
        allow_download=options.allow_download,
        project=options.project,
        data_roots=options.data_roots,
    )
    diagnostics = Diagnostics([*plan.warnings, *result.diagnostics.items])
    diagnostics.raise_if_errors()
    configs = [replace(c, warnings=tuple(result.warnings.get(c.name, ()))) for c in plan.configs]
    return replace(plan, configs=configs, warnings=diagnostics.warnings)


def _display(typed: list[TypedEntry], combo: tuple[Setting, ...], unmet: tuple[int, ...]):
    return {
        item.display_name: (None if index in unmet else setting.display)
        for index, (item, setting) in enumerate(zip(typed, combo, strict=True))
        if item.swept
    }


def resolve_all(
    spec: RangeSpec,
    tree: KconfigTree,
    base: str | None,
    typed: list[TypedEntry],
    combinations: Sequence[tuple[Setting, ...]],
    diagnostics: Diagnostics,
    partial: bool = False,
    proposal: bool = False,
) -> Plan:
    """Resolve every combination through Kconfig, skip impossible ones, merge identical ones.

    ``proposal``: the combinations are one point a search proposed, so a symbol hidden in all
    of them is no error (the space was checked as a whole when the sweep was generated)."""
    unmet_counts = [0] * len(typed)
    unmet_examples: dict[int, str] = {}
    reported: set[tuple[int, str]] = set()
    accepted: list[tuple[str, dict]] = []
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
            unmet_examples.setdefault(
                owner,
                next(
                    r.depends_on
                    for r in outcome.resolution.assigned
                    if r.name == typed[owner].settings[0].assignments[0][0]
                ),
            )
        varying = _display(typed, combo, outcome.unmet)
        broken = check_rules(outcome.resolution.values)
        if broken:
            skipped.append(SkippedCombination(varying, "; ".join(r.message for r in broken)))
            continue
        accepted.append((outcome.resolution.config_text, varying))

    if partial:
        diagnostics.raise_if_errors()
    for index, count in enumerate(unmet_counts):
        if count == len(combinations) and not proposal:
            diagnostics.error(
                typed[index].entry.location, unmet_message(typed[index], unmet_examples[index])
            )
    if not accepted and skipped:
        diagnostics.error(Location(spec.path, 0), f"no combination can run: {skipped[0].reason}")
    diagnostics.raise_if_errors()

    notes = [
        f"{typed[index].display_name} applies only where `{unmet_examples[index]}` holds; "
        f"in the other combinations it is left out (shown as n/a)"
        for index, count in enumerate(unmet_counts)
        if 0 < count < len(combinations)
    ]
    configs = dedupe(accepted)
    varying_symbols = [
        t.display_name
        for t in typed
        if t.swept and len({c.varying[t.display_name] for c in configs}) > 1
    ]
    return Plan(
        range_path=spec.path,
        range_text=spec.text,
        base=base,
        expanded=len(combinations),
        configs=configs,
        skipped=skipped,
        varying_symbols=varying_symbols,
        fixed={t.display_name: t.settings[0].display for t in typed if not t.swept},
        notes=notes,
        warnings=diagnostics.warnings,
    )


def dedupe(accepted: Sequence[tuple[str, dict]], first_number: int = 1) -> list[PlannedConfig]:
    """One configuration per distinct resolved text, numbered in the order first seen."""
    by_text: dict[str, int] = {}
    configs: list[PlannedConfig] = []
    for text, varying in accepted:
        if text in by_text:
            index = by_text[text]
            configs[index] = replace(configs[index], merged=configs[index].merged + 1)
            continue
        by_text[text] = len(configs)
        configs.append(PlannedConfig(f"config_{len(configs) + first_number:03d}", text, varying))
    return configs
