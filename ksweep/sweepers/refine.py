"""The next round's range config, written from a finished sweep's analysis (``sweep-refine``).

The sweep guide's advice, "start small, refine around the best values, fix
what does not matter", as rules applied line by line to the range config the
sweep ran, each decision written as a comment above its line:

* values tied with the best (the best configuration and those within noise
  of it, :attr:`Ranking.tied`) are kept and the range between them refined:
  a linear range gets half its step, a geometric one the square root of its
  ratio, a list the midpoints, a sampled interval shrinks around them;
* a best value at an edge of its range widens the range that way (one old
  step, one old ratio, half the interval), never past the symbol's bounds;
* a symbol that made no measurable difference is fixed at its best value,
  but only when the sweep had seeds to tell: with one seed per
  configuration nothing is narrowed or fixed, and the comment says why;
* other values (measurably worse than the best) are dropped and named.

Every judgement (ties, verdicts, best values) is the analysis's own
(:mod:`ksweep.analysis.core`); this module only turns them into lines.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from ksweep.analysis.core import Analysis
from ksweep.analysis.marginals import IDENTICAL, MATTERS, NO_DIFFERENCE
from ksweep.plan.distributions import render_significant
from ksweep.plan.ranges import Entry, RangeSpec, render_decimal, strip_comment

SEED = "CONFIG_SEED"
# symbol name -> (low, high): the values a line may reach (an open end is excluded)
Bounds = Callable[[str], tuple["Bound | None", "Bound | None"]]


@dataclass(frozen=True)
class Bound:
    value: Decimal
    open: bool = False


@dataclass(frozen=True)
class Decision:
    symbol: str
    line: str  # the new CONFIG_X=... line
    why: str  # the comment above it


def refine_text(
    analysis: Analysis,
    spec: RangeSpec,
    base: str | None,
    out: Path,
    bounds: Bounds,
    sweep_name: str,
    search: dict | None = None,
) -> tuple[str, list[Decision]]:
    """The new range config's text, and what was decided for each swept line."""
    best = analysis.ranking.best
    head = [f"# ksweep-refine: the next round after {sweep_name}, ranked by {analysis.metric.name}"]
    head.append(f"# ({analysis.metric.direction(analysis.goal)}).")
    if best is not None:
        settings = ", ".join(f"{k}={v}" for k, v in best.settings.items())
        head.append(f"# Best: {best.name} {analysis.metric.shown(best.metric.mean)} ({settings}).")
        tied = [g.name for g in analysis.ranking.tied]
        head.append(f"# Within noise of it: {', '.join(tied) if tied else 'none'}.")
    else:
        head.append("# No configuration completed: every line is kept as it was.")
    if search and search.get("method") not in (None, "grid"):
        head.append(
            f"# It was a {search['method']} search (SEARCH={search['method']} "
            f"SAMPLES={search.get('samples')} SEARCH_SEED={search.get('seed')}); sampled lines "
            "stay sampled."
        )
    if base is not None:  # a relative base stays relative, now to the new file's folder
        shown = base if Path(base).is_absolute() else os.path.relpath(base, out.parent)
        head.append(f"# ksweep: base={shown}")
    lines, decisions = head + [""], []
    for entry in spec.entries:
        symbol = f"CONFIG_{entry.name}"
        if not entry.swept or best is None:
            lines.append(_assignment(entry))
            continue
        decision = _decide(analysis, entry, symbol, bounds)
        decisions.append(decision)
        lines.append(f"# {decision.why}")
        lines.append(decision.line)
    return "\n".join(lines) + "\n", decisions


def _assignment(entry: Entry) -> str:
    return strip_comment(entry.source).strip()


def _decide(analysis: Analysis, entry: Entry, symbol: str, bounds: Bounds) -> Decision:
    keep = Decision(symbol, _assignment(entry), "")
    if symbol == SEED:
        return Decision(symbol, keep.line, f"{symbol}: the replicate axis; kept")
    effect = next((e for e in analysis.effects if e.symbol == symbol), None)
    if effect is None:
        return Decision(symbol, keep.line, f"{symbol}: did not vary between configurations; kept")
    best = analysis.ranking.best
    assert best is not None
    contenders = [g.settings.get(symbol) for g in [best, *analysis.ranking.tied]]
    contenders = [c for c in contenders if c is not None]
    best_value = best.settings.get(symbol)
    replicated = analysis.ranking.replicated
    if effect.verdict in (NO_DIFFERENCE, IDENTICAL) and replicated and best_value is not None:
        return Decision(
            symbol,
            f"{symbol}={_written(entry, best_value)}",
            f"{symbol}: {effect.verdict} (configurations that differ only in it are within "
            f"noise); fixed at its best value {best_value}",
        )
    if best_value is None or not contenders:
        return Decision(symbol, keep.line, f"{symbol}: the best configuration left it unset; kept")
    if not replicated:
        contenders = [best_value]  # without seeds, nothing can be said to tie with the best
    numeric = _numbers([*contenders, *_grid_values(entry)])
    if entry.sampled and entry.distribution is not None and entry.distribution.numeric:
        decision = _refine_interval(entry, symbol, contenders, best_value, bounds, replicated)
    elif numeric is None or (entry.distribution is not None and not entry.distribution.numeric):
        decision = _refine_choices(entry, symbol, contenders, replicated)
    else:
        decision = _refine_numbers(entry, symbol, contenders, best_value, bounds, replicated)
    if replicated and effect.verdict not in (MATTERS, NO_DIFFERENCE, IDENTICAL):
        # within noise of the best, yet too few seeds to rule a difference out: not fixed
        return replace(decision, why=f"{decision.why}; not fixed: {effect.sentence()}")
    return decision


def _numbers(values: list[Any]) -> list[Decimal] | None:
    try:
        return [Decimal(str(v)) for v in values]
    except ArithmeticError:
        return None


def _grid_values(entry: Entry) -> list[str]:
    return [v.text for v in entry.values]


def _written(entry: Entry, value: Any) -> str:
    """``value`` as the range file wrote it (quoted if it was, the file's own digits)."""
    for v in entry.values:
        same = v.text == str(value) or (not v.quoted and v.text.upper() == str(value).upper())
        if not same:
            a, b = _numbers([v.text]), _numbers([value])
            same = a is not None and b is not None and a == b
        if same:
            return f'"{v.text}"' if v.quoted else v.text
    return _plain(value)


def _plain(value: Any) -> str:
    if isinstance(value, float):
        return render_decimal(Decimal(repr(value)).normalize())
    return str(value)


def _single_seed_note(replicated: bool) -> str:
    return (
        ""
        if replicated
        else " (one seed per configuration gives no noise estimate, so nothing is narrowed or "
        "fixed: add CONFIG_SEED=0|1|2 to tell)"
    )


def _refine_choices(entry: Entry, symbol: str, contenders: list, replicated: bool) -> Decision:
    if not replicated:
        return Decision(symbol, _assignment(entry), f"{symbol}: kept{_single_seed_note(False)}")
    kept = [v for v in entry.values if any(_written(entry, c) == _w(v) for c in contenders)]
    dropped = [_w(v) for v in entry.values if v not in kept]
    if not dropped:
        return Decision(symbol, _assignment(entry), f"{symbol}: every value tied with the best")
    worse = f"dropped {'|'.join(dropped)} (measurably worse than the best)"
    if len(kept) == 1:
        return Decision(symbol, f"{symbol}={_w(kept[0])}", f"{symbol}: {worse}; fixed")
    items = "|".join(_w(v) for v in kept)
    sampled = entry.distribution is not None
    rhs = f"choice({items})" if sampled else items
    return Decision(
        symbol, f"{symbol}={rhs}", f"{symbol}: kept the values tied with the best; {worse}"
    )


def _w(value) -> str:
    return f'"{value.text}"' if value.quoted else value.text


def _form(entry: Entry) -> tuple[str, Decimal | None]:
    """('linear', step), ('geometric', factor) or ('list', None) for a numeric grid line."""
    rhs = strip_comment(entry.source).split("=", 1)[1].strip()
    if "|" not in rhs and rhs.count(":") == 2:
        step = rhs.split(":")[1].strip()
        if step.startswith("*"):
            return "geometric", Decimal(step[1:])
        return "linear", abs(Decimal(step))
    return "list", None


def _refine_numbers(
    entry: Entry, symbol: str, contenders: list, best_value: Any, bounds: Bounds, replicated: bool
) -> Decision:
    values = sorted(_numbers(_grid_values(entry)) or [])
    tied = sorted(_numbers(contenders) or [])
    best = Decimal(str(best_value))
    integer = all("." not in t and "e" not in t.lower() for t in _grid_values(entry))
    form, step = _form(entry)
    if form == "list":
        geometric = len(values) > 2 and values[0] > 0 and _looks_geometric(values)
        form = "geometric" if geometric else "linear"
        gaps = [b - a for a, b in zip(values, values[1:], strict=False)]
        step = values[1] / values[0] if geometric else min(gaps)
    assert step is not None
    geometric = form == "geometric"
    at_low, at_high = best == values[0], best == values[-1]
    if not replicated and not (at_low or at_high):
        return Decision(symbol, _assignment(entry), f"{symbol}: kept{_single_seed_note(False)}")
    lo, hi = tied[0], tied[-1]
    notes: list[str] = []
    if lo == hi:  # only the best, inside the range: look closer around it
        half = step.sqrt() if geometric else step / 2
        lo, hi = (best / half, best * half) if geometric else (best - half, best + half)
    if at_low:
        lo = best / step if geometric else best - step
    if at_high:
        hi = best * step if geometric else best + step
    low_bound, high_bound = bounds(entry.name)
    lo = _clamp(lo, low_bound, notes, "lower", tied[0])
    hi = _clamp(hi, high_bound, notes, "upper", tied[-1])
    # Said only of the range as written: a bound may have stopped it at the best value.
    if at_low:
        notes.insert(0, _edge_note(best, "lowest", "lower", went=lo < best))
    if at_high:
        notes.insert(int(at_low), _edge_note(best, "highest", "higher", went=hi > best))
    if geometric:
        ratio = math.sqrt(float(step))
        rhs = "|".join(_geometric_points(float(lo), float(hi), ratio, integer))
        how = f"a finer ratio (x{ratio:.3g} instead of x{step})"
    else:
        fine = step / 2
        if integer:
            fine = max(Decimal(1), fine.to_integral_value(rounding="ROUND_FLOOR"))
            lo, hi = lo.to_integral_value(), hi.to_integral_value()
        rhs = ":".join(_dec(x) for x in (lo, fine, hi))
        how = f"a finer step ({_dec(fine)} instead of {_dec(step)})"
    kept = "between the values tied with the best" if len(tied) > 1 else "around the best value"
    why = f"{symbol}: refined {kept} with {how}"
    return Decision(symbol, f"{symbol}={rhs}", _joined(why, notes) + _single_seed_note(replicated))


def _edge_note(best: Any, end: str, way: str, went: bool) -> str:
    if went:
        return f"the best value {best} is its {end}, so the range goes {way}"
    return f"the best value {best} is its {end}, but the range cannot go {way}"


def _dec(value: Decimal) -> str:
    return render_decimal(value.normalize())


def _joined(why: str, notes: list[str]) -> str:
    return why + ("; " + "; ".join(notes) if notes else "")


def _looks_geometric(values: list[Decimal]) -> bool:
    """Whether a list's values grow by a ratio rather than by a step."""
    ratios = [float(b / a) for a, b in zip(values, values[1:], strict=False)]
    gaps = [float(b - a) for a, b in zip(values, values[1:], strict=False)]
    return max(ratios) / min(ratios) < max(gaps) / min(gaps)


def _geometric_points(lo: float, hi: float, ratio: float, integer: bool) -> list[str]:
    """lo, lo*ratio, ... up to hi, with two significant digits (0.001|0.0032|0.01)."""
    points: list[str] = []
    x = lo
    while x <= hi * (1 + 1e-9):
        points.append(str(round(x)) if integer else _two_digits(x))
        x *= ratio
    points.append(str(round(hi)) if integer else _two_digits(hi))
    return list(dict.fromkeys(points))


def _two_digits(x: float) -> str:
    return render_decimal(Decimal(f"{x:.1e}").normalize())


def _clamp(
    value: Decimal, bound: Bound | None, notes: list[str], side: str, previous: Decimal
) -> Decimal:
    """``value`` kept within ``bound``; an open bound cannot be reached, so the edge stays."""
    upper = side == "upper"
    if bound is None or (value < bound.value if upper else value > bound.value):
        return value
    if not bound.open and (value == bound.value):
        return value
    notes.append(f"it stops at its {side} bound {bound.value}")
    return previous if bound.open else bound.value


def _refine_interval(
    entry: Entry, symbol: str, contenders: list, best_value: Any, bounds: Bounds, replicated: bool
) -> Decision:
    """A sampled interval: narrowed around the contenders, widened at an edge the best hit."""
    dist = entry.distribution
    assert dist is not None and dist.low is not None and dist.high is not None
    to = math.log if dist.log else float
    back = math.exp if dist.log else float
    low, high = to(float(dist.low)), to(float(dist.high))
    width = high - low
    best = to(float(best_value))
    lo, hi = low, high
    if replicated:
        xs = sorted(to(float(c)) for c in contenders)
        a, b = xs[0], xs[-1]
        if b - a < width / 4:  # never narrower than a quarter of the old interval
            a, b = best - width / 8, best + width / 8
        lo, hi = max(low, a - width / 20), min(high, b + width / 20)
    notes: list[str] = []
    at_low, at_high = best - low < width / 20, high - best < width / 20
    if at_low:
        lo = low - width / 2
    if at_high:
        hi = high + width / 2
    if not replicated and not (at_low or at_high):
        return Decision(symbol, _assignment(entry), f"{symbol}: kept{_single_seed_note(False)}")
    low_bound, high_bound = bounds(entry.name)
    lo_v = _clamp(Decimal(repr(back(lo))), low_bound, notes, "lower", dist.low)
    hi_v = _clamp(Decimal(repr(back(hi))), high_bound, notes, "upper", dist.high)
    # Said only of the interval as written: a bound may have stopped it at the old end.
    if at_low:
        went = lo_v < Decimal(str(dist.low))
        notes.insert(
            0,
            f"the best value {best_value} is at its low end, so the interval "
            + ("goes lower" if went else "would go lower, but cannot"),
        )
    if at_high:
        went = hi_v > Decimal(str(dist.high))
        notes.insert(
            int(at_low),
            f"the best value {best_value} is at its high end, so it "
            + ("goes higher" if went else "would go higher, but cannot"),
        )
    if dist.integer:
        a, b = math.floor(lo_v), math.ceil(hi_v)
        a = max(a, 1) if dist.log else a
        text = f"{dist.form}({a},{max(b, a + 1)})"
    else:
        text = f"{dist.form}({_sig(lo_v, lo_v, hi_v)},{_sig(hi_v, lo_v, hi_v)})"
    kept = "the values tied with the best" if len(contenders) > 1 else "the best value"
    why = _joined(f"{symbol}: the interval narrowed around {kept}", notes)
    return Decision(symbol, f"{symbol}={text}", why + _single_seed_note(replicated))


def _sig(value: Decimal, low: Decimal, high: Decimal) -> str:
    return render_significant(float(value), low, high)
