"""Warnings a reader must see before acting on a ranking: each one named, with its rule.

* **Selection**: ranking on a test-set metric chooses the configuration on
  the numbers it then reports, so that test accuracy is optimistic. Said
  once, with the fix (a validation split, or ``METRIC=val/acc``).
* **At chance**: a trial whose final test accuracy is within
  :data:`CHANCE_MARGIN` points of chance for its dataset (100 / number of
  classes, from the record's ``num_classes``) learned nothing; a ranking
  among such trials says nothing about their settings.
* **Range edge**: when the best configuration's value of a numeric swept
  symbol is the lowest or highest value swept, the optimum may lie outside
  the range: the symbol is named with the direction to widen and a next
  value continuing the sweep's own spacing (geometric when the two values
  at that edge differ by a factor of 2 or more, rounded to one significant
  digit unless the factor is whole, and at most a decade past the edge;
  else arithmetic), never past the symbol's bounds.
* **Short runs**: ``last3_test_acc`` of a run with fewer than 3 epochs is a
  mean of fewer epochs, and says so.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ksweep.analysis.labels import join_names
from ksweep.analysis.metrics import METRICS, TEST, VALIDATION, recorded
from ksweep.analysis.outcomes import CHANCE_MARGIN, at_chance, chance_of
from ksweep.analysis.stats import SEED_SYMBOL, Group
from ksweep.project import KCONFIG_FILE, PROJECT_ROOT
from ksweep.schema import FLOAT_SYMBOLS

if TYPE_CHECKING:
    from ksweep.analysis.core import Analysis

GEOMETRIC_RATIO = 2.0  # consecutive values this far apart (as a ratio) continue geometrically
MAX_RATIO = Decimal(10)  # ... by at most a factor of 10 (a decade past the edge)


# --- selection ----------------------------------------------------------------------


def selection_line(a: Analysis) -> str | None:
    """Which split chose the best configuration, once and plainly; None for cost metrics."""
    metric = a.metric
    if a.ranking.best is None:
        return None  # nothing was selected (not recorded, or nothing completed)
    if metric.split == VALIDATION:
        return (
            f"on the validation split ({metric.name}); test accuracy is reported at the "
            "selected point (the same trials and epoch) and was not used to choose"
        )
    if metric.split != TEST:
        return None
    if a.has_validation:
        source = a.source or f"METRIC={metric.name}"
        return (
            f"on the test set ({source}), although the trials have a validation split: the "
            "best configuration's test accuracy is optimistic, since it chose the "
            'configuration; METRIC=val/acc (or CONFIG_SWEEP_METRIC="auto") selects on validation'
        )
    return (
        "on the test set: the trials have no validation split, so the best configuration's "
        "test accuracy is optimistic (it also chose the configuration); set "
        "CONFIG_VAL_FRACTION=0.1 to select on validation"
    )


def has_validation(records: list[dict[str, Any]]) -> bool:
    return recorded(records, "val/acc")


# --- at chance ----------------------------------------------------------------------


def group_at_chance(group: Group) -> bool:
    """A configuration every counted seed of which ends at chance."""
    return bool(group.completed) and all(at_chance(r) for r in group.completed)


def chance_warning(a: Analysis) -> str | None:
    """The named warning for trials that end at chance, or None."""
    dead = [r for r in a.records if at_chance(r)]
    if not dead:
        return None
    test = METRICS["test_acc"]
    chances = {chance_of(r) for r in dead}
    classes = {r.get("num_classes") for r in dead}
    rule = f"within {CHANCE_MARGIN:g} points of chance"
    if len(chances) == 1:
        (chance,) = chances
        (count,) = classes
        rule += f" ({test.shown(chance)}, one in {count} classes)"
    else:
        rule += " (100% / number of classes)"
    if a.all_at_chance:
        return (
            f"Warning (at chance): every trial ends at chance: final test accuracy {rule}; "
            "nothing was learned."
        )
    named = [f"{r.get('config_file')} ({test.shown(r.get('test_acc'))})" for r in dead]
    one = len(dead) == 1
    return (
        f"Warning (at chance): {len(dead)} of {len(a.records)} trials {'ends' if one else 'end'}"
        f" at chance, final test accuracy {rule}: {join_names(named)}. "
        f"{'It' if one else 'They'} learned nothing; {'its' if one else 'their'} place in the "
        "ranking says nothing about the settings."
    )


# --- the edge of a swept range ------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    """A swept symbol whose best value is the lowest or highest swept."""

    symbol: str
    value: Any
    side: str  # "lowest" or "highest"
    values: list[Any]  # every swept value, ascending
    proposal: str | None  # a value that continues the range past the edge

    def sentence(self) -> str:
        direction = "downwards" if self.side == "lowest" else "upwards"
        swept = "|".join(_text(v) for v in self.values)
        text = (
            f"{self.symbol}: the best value {_text(self.value)} is the {self.side} swept "
            f"({swept}); the optimum may lie beyond it: widen the range {direction}"
        )
        if self.proposal is not None:
            wider = (
                [self.proposal, *map(_text, self.values)]
                if self.side == "lowest"
                else [*map(_text, self.values), self.proposal]
            )
            text += f", e.g. {self.symbol}={'|'.join(wider)}"
        return text


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return Decimal(repr(value))
    except InvalidOperation:
        return None


def _text(value: Any) -> str:
    number = _number(value)
    if number is None:
        return str(value)
    return str(value) if isinstance(value, int) else format(number.normalize(), "f")


def _beyond(values: list[Decimal], side: str, integer: bool) -> Decimal:
    """The next value past the edge, continuing the sweep's spacing at that edge."""
    edge, inner = (values[0], values[1]) if side == "lowest" else (values[-1], values[-2])
    if edge > 0 and inner > 0 and max(edge, inner) / min(edge, inner) >= GEOMETRIC_RATIO:
        ratio = min(max(edge, inner) / min(edge, inner), MAX_RATIO)
        proposal = edge * ratio if side == "highest" else edge / ratio
        if ratio != ratio.to_integral_value():
            # One significant digit: after 0.001|0.003|0.01 comes 0.03, not 0.0333...
            proposal = Decimal(f"{proposal:.0e}")
    else:
        proposal = edge + (edge - inner)
    return proposal.to_integral_value() if integer else proposal


@functools.cache
def _int_range(name: str) -> tuple[int, int] | None:
    """An int symbol's Kconfig ``range`` in the project's tree (under its defaults), or None
    where the tree cannot say; Kconfig is the single owner of int bounds."""
    try:
        tree = _project_tree()
        info = tree.symbol(name)
        return tree.int_range(name) if info is not None and info.type == "int" else None
    except Exception:  # a tree that does not load here only loses the bound
        return None


@functools.cache
def _project_tree():  # noqa: ANN202 (kconfiglib is imported only when an edge needs it)
    from ksweep.plan.kconfig import KconfigTree

    tree = KconfigTree(PROJECT_ROOT / KCONFIG_FILE)
    tree.load(None)
    return tree


def _limits(symbol: str) -> tuple[Decimal | None, Decimal | None]:
    """The lowest and highest value the symbol takes: its float bounds, else its int range."""
    name = symbol.removeprefix("CONFIG_")
    if (bounds := FLOAT_SYMBOLS.get(name)) is not None:
        return bounds.low, bounds.high
    if (ints := _int_range(name)) is not None:
        return Decimal(ints[0]), Decimal(ints[1])
    return None, None


def _allowed(symbol: str, value: Decimal, values: list[Decimal]) -> bool:
    """Within the symbol's float bounds or int range, and positive where every swept value is."""
    bounds = FLOAT_SYMBOLS.get(symbol.removeprefix("CONFIG_"))
    if bounds is not None and not bounds.contains(value):
        return False
    low, high = _limits(symbol) if bounds is None else (None, None)
    if (low is not None and value < low) or (high is not None and value > high):
        return False
    return not (all(v > 0 for v in values) and value <= 0)


def range_edges(a: Analysis) -> list[Edge]:
    """Every numeric swept symbol whose best value sits at the edge of its swept range."""
    best = a.ranking.best
    if best is None or group_at_chance(best):
        return []
    edges = []
    for symbol in a.symbols:
        if symbol == SEED_SYMBOL:
            continue
        raw = list(dict.fromkeys(r.get(symbol) for r in a.records))
        numbers = [_number(v) for v in raw]
        if len(raw) < 2 or any(n is None for n in numbers):
            continue
        ordered = sorted(zip(numbers, raw, strict=True), key=lambda pair: pair[0])
        decimals = [n for n, _ in ordered]
        value = _number(best.settings.get(symbol))
        if value is None or decimals[0] < value < decimals[-1]:
            continue
        side = "lowest" if value == decimals[0] else "highest"
        integer = all(isinstance(v, int) for v in raw)
        proposal = _beyond(decimals, side, integer)  # type: ignore[arg-type]
        shown_proposal = None
        if _allowed(symbol, proposal, decimals):  # type: ignore[arg-type]
            shown_proposal = str(int(proposal)) if integer else format(proposal.normalize(), "f")
        else:
            low, high = _limits(symbol)
            if value == (low if side == "lowest" else high):
                continue  # already at the symbol's own bound: nothing lies beyond
        edges.append(
            Edge(symbol, best.settings.get(symbol), side, [v for _, v in ordered], shown_proposal)
        )
    return edges


# --- short runs -----------------------------------------------------------------------


def last3_note(a: Analysis) -> str | None:
    """Says how many epochs ``last3_test_acc`` averaged when runs had fewer than three."""
    if a.metric.name != "last3_test_acc":
        return None
    counts = sorted(
        {
            r["last3_epochs"]
            for r in a.completed
            if isinstance(r.get("last3_epochs"), int) and r["last3_epochs"] < 3
        }
    )
    if not counts:
        return None
    shown = " or ".join(str(c) for c in counts)
    epochs = "epoch" if counts == [1] else "epochs"
    return (
        f"last3_test_acc is the mean of the last {shown} {epochs} here, not 3: the trials ran "
        f"{shown} {epochs}."
    )
