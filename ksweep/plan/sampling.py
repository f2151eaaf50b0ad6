"""Seeded random and quasi-random (Sobol) draws of a range file's sampled lines.

How configurations are chosen (``SEARCH``):

* ``grid`` (the default while no line samples): every combination.
* ``random`` (the default once a line samples) and ``sobol``: ``SAMPLES``
  draws of the sampled lines, each crossed with every combination of the
  other swept lines (the grid), so ``CONFIG_SEED=0|1|2`` runs each draw on
  every seed and ``CONFIG_OPTIMIZER_SELECT=SGD|ADAM`` compares both
  optimizers on the same draws. Draw *j* is a pure function of (seed, *j*):
  ``random`` takes it from a generator seeded with ``[seed, j]``, ``sobol``
  is point *j* of a scrambled Sobol sequence (:class:`scipy.stats.qmc.Sobol`,
  scrambled with the seed). So regenerating gives byte-identical configs.
* Model-based searches (``tpe``, and ``nsga2``, a genetic search suited to
  several objectives) propose while the sweep runs; see
  :mod:`ksweep.sweepers.optuna_search`.

Draws are taken without replacement: a point already drawn is never drawn
again (in a discrete space, ``SAMPLES`` larger than the space runs the whole
space once). A draw whose every combination resolves, through Kconfig, to a
configuration already planned (a sampled symbol that another line hides, say)
or cannot run at all is *replaced* by the next draw, and the count says so.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from ksweep.diagnostics import Diagnostics, Location
from ksweep.plan.expand import grid
from ksweep.plan.kconfig import KconfigTree
from ksweep.plan.resolve import Setting, TypedEntry, resolve_combination
from ksweep.plan.sampled_space import space_record, space_size
from ksweep.train.rules import check_rules

GRID, RANDOM, SOBOL, TPE, NSGA2 = "grid", "random", "sobol", "tpe", "nsga2"
SAMPLED_METHODS = (RANDOM, SOBOL)
MODEL_METHODS = (TPE, NSGA2)  # the one list of searches that propose while the sweep runs
METHODS = (GRID, *SAMPLED_METHODS, *MODEL_METHODS)
DEFAULT_SAMPLES = 10


@dataclass(frozen=True)
class SearchOptions:
    """``SEARCH``, ``SAMPLES`` and ``SEARCH_SEED`` as generation reads them."""

    method: str | None = None  # None: grid, or random once a line samples
    samples: int | None = None  # configurations to draw (default DEFAULT_SAMPLES)
    seed: int = 0


def chosen_method(
    options: SearchOptions, typed: Sequence[TypedEntry], where: Location, diagnostics: Diagnostics
) -> str:
    """The search method, checked against the lines it must work with."""
    sampled = [t for t in typed if t.entry.sampled]
    method = options.method or (RANDOM if sampled else GRID)
    if method not in METHODS:
        diagnostics.error(where, f"SEARCH={method} is not one of {', '.join(METHODS)}")
        return GRID
    if method == GRID and sampled:
        first = sampled[0]
        diagnostics.error(
            first.entry.location,
            f"{first.display_name}={first.distribution.text} is sampled, but SEARCH=grid "
            "cannot expand a sampled line; use SEARCH=random, sobol, tpe or nsga2, or write the "
            "values as a range start:step:end",
        )
    if method in SAMPLED_METHODS and not sampled:
        diagnostics.error(
            where,
            f"SEARCH={method} draws sampled lines, and this range config has none; write one "
            "such as CONFIG_LEARNING_RATE=loguniform(1e-4,1e-1) or choice(a|b|c), "
            "or leave SEARCH unset for the grid",
        )
    if method in MODEL_METHODS and not any(
        t.swept and t.display_name != "CONFIG_SEED" for t in typed
    ):
        diagnostics.error(
            where,
            f"SEARCH={method} searches the swept lines, and this range config sweeps none but "
            "CONFIG_SEED; sample a line such as CONFIG_LEARNING_RATE=loguniform(1e-4,1e-1)",
        )
    if method == GRID and options.samples is not None:
        diagnostics.error(where, "SAMPLES applies to sampled searches; a grid runs everything")
    if options.samples is not None and options.samples < 1:
        diagnostics.error(where, f"SAMPLES={options.samples}: draw at least 1 configuration")
    if options.seed < 0:
        diagnostics.error(where, f"SEARCH_SEED={options.seed}: the seed must be 0 or more")
    return method


def unit_points(method: str, seed: int, dims: int) -> Iterator[list[float]]:
    """Draw 0, 1, 2, ... as points of the unit cube; draw *j* depends on (seed, j) only."""
    if method == RANDOM:
        import numpy as np

        j = 0
        while True:
            yield np.random.default_rng([seed, j]).random(dims).tolist()
            j += 1
    from scipy.stats import qmc

    produced, m = 0, 4
    while True:
        # The first 2**m points of a scrambled Sobol sequence do not depend on m, so a longer
        # block continues the shorter one (and keeps the balance powers of two give).
        points = qmc.Sobol(dims, scramble=True, rng=seed).random_base2(m)
        for row in points[produced:]:
            yield row.tolist()
        produced, m = len(points), m + 1


def point_settings(sampled: Sequence[TypedEntry], point: Sequence[float]) -> list[Setting]:
    """The setting each sampled line takes at ``point`` (one coordinate per line)."""
    settings = []
    for item, u in zip(sampled, point, strict=True):
        dist = item.distribution
        assert dist is not None
        if dist.numeric:
            settings.append(item.drawn(dist.value_at(u)))
        else:
            settings.append(item.settings[dist.choice_at(u, len(item.settings))])
    return settings


@dataclass
class Draws:
    """The combinations a sampled search resolves, and how it chose them."""

    combinations: list[tuple[Setting, ...]]
    record: dict  # the plan's ``search`` record
    notes: list[str]


def draw_combinations(
    tree: KconfigTree,
    base: str | None,
    typed: Sequence[TypedEntry],
    method: str,
    options: SearchOptions,
) -> Draws:
    """``SAMPLES`` new draws, each crossed with the grid of the other swept lines."""
    sampled_at = [i for i, t in enumerate(typed) if t.entry.sampled]
    grid_at = [i for i, t in enumerate(typed) if not t.entry.sampled]
    sampled = [typed[i] for i in sampled_at]
    crossings = grid([typed[i].settings for i in grid_at])
    wanted = options.samples or DEFAULT_SAMPLES
    size = space_size(sampled)
    notes: list[str] = []
    if size is not None and wanted > size:
        notes.append(
            f"SAMPLES={wanted} is more than the {size} points of the sampled space: each of "
            f"them is drawn once"
        )
        wanted = size
    limit = 50 * wanted + 1000 + (20 * size if size is not None and size <= 100_000 else 0)
    seen_points: set[tuple[str, ...]] = set()
    seen_texts: set[str] = set()
    chosen: list[tuple[Setting, ...]] = []
    accepted = draws = replaced = impossible = 0
    for tries, point in enumerate(unit_points(method, options.seed, len(sampled))):
        if accepted >= wanted or tries >= limit or (size is not None and draws >= size):
            break
        settings = point_settings(sampled, point)
        key = tuple(s.display for s in settings)
        if key in seen_points:
            continue  # without replacement: a point already drawn is not a new draw
        seen_points.add(key)
        draws += 1
        combos = [_combined(len(typed), sampled_at, settings, grid_at, g) for g in crossings]
        texts = _runnable_texts(tree, base, typed, combos)
        if not texts or all(text is not None and text in seen_texts for text in texts):
            replaced += 1 if texts else 0
            impossible += 0 if texts else 1
            continue
        seen_texts.update(text for text in texts if text is not None)
        chosen.extend(combos)
        accepted += 1
    if accepted < wanted:
        notes.append(
            f"only {accepted} distinct draws were found in {draws} tries; the sampled space "
            "is smaller than SAMPLES once Kconfig has resolved it"
        )
    record = {
        "method": method,
        "seed": options.seed,
        "samples": options.samples or DEFAULT_SAMPLES,
        "draws": accepted,
        "tried": draws,
        "replaced": replaced,
        "impossible": impossible,
        "crossed": [typed[i].display_name for i in grid_at if typed[i].swept],
        "space": space_record(sampled),
    }
    return Draws(chosen, record, notes)


def _combined(
    count: int,
    sampled_at: Sequence[int],
    settings: Sequence[Setting],
    grid_at: Sequence[int],
    crossing: Sequence[Setting],
) -> tuple[Setting, ...]:
    slots: list[Setting | None] = [None] * count
    for index, setting in zip(sampled_at, settings, strict=True):
        slots[index] = setting
    for index, setting in zip(grid_at, crossing, strict=True):
        slots[index] = setting
    return tuple(s for s in slots if s is not None)


def _runnable_texts(
    tree: KconfigTree, base: str | None, typed: Sequence[TypedEntry], combos
) -> list[str | None]:
    """The resolved text of each combination that can run (None where Kconfig refused a
    value: such a draw is kept, so that generation reports it at its line)."""
    texts: list[str | None] = []
    for combo in combos:
        outcome = resolve_combination(tree, base, list(typed), combo)
        if outcome.mismatches:
            texts.append(None)
        elif not check_rules(outcome.resolution.values):
            texts.append(outcome.resolution.config_text)
    return texts
