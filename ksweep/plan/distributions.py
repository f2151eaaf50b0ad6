"""Sampling forms of a range line, as plain data: what a line may be drawn from.

A sampled line names the interval it is drawn from instead of listing its
values, in the same one-line style as ``a|b|c`` and ``start:step:end``::

    CONFIG_LEARNING_RATE=loguniform(1e-5,1e-1)   float, uniform in log space
    CONFIG_LABEL_SMOOTHING=uniform(0,0.2)        float, uniform
    CONFIG_BATCH_SIZE=logint(16,256)             int, uniform in log space (ends included)
    CONFIG_PRUNING_WARMUP=randint(0,500)         int, uniform (ends included)
    CONFIG_OPTIMIZER_SELECT=choice(SGD|ADAM)     one of the items, each equally likely

A draw maps a point ``u`` of the unit interval to a value (the inverse of the
distribution's CDF), so random search (``u`` from a seeded generator),
quasi-random search (``u`` from a scrambled Sobol sequence) and the plots all
share one mapping. Floats are written with :data:`SIGNIFICANT` significant
digits (``0.0003162``, never ``0.00031622776601683794``), clamped into the
interval, so a config file and its folder name stay readable.

This module is pure (no Kconfig): typing a form against a symbol's type and
bounds is :func:`type_problem`, called from :mod:`ksweep.plan.resolve`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ksweep.schema import FloatBounds

SIGNIFICANT = 4  # significant digits of a sampled float
FLOAT_FORMS = ("uniform", "loguniform")
INT_FORMS = ("randint", "logint")
CHOICE = "choice"
FORMS = (*FLOAT_FORMS, *INT_FORMS, CHOICE)
USAGE = (
    "uniform(low,high), loguniform(low,high), randint(low,high), logint(low,high) or choice(a|b|c)"
)

_CALL = re.compile(r"^([A-Za-z_]\w*)\s*\((.*)\)$", re.DOTALL)
_INTEGER = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class Distribution:
    """Where a sampled line's values come from: a numeric interval or a choice of items."""

    form: str  # uniform | loguniform | randint | logint | choice
    text: str  # as written, for messages and comments
    low: Decimal | None = None  # numeric forms only; both ends inclusive
    high: Decimal | None = None

    @property
    def log(self) -> bool:
        return self.form in ("loguniform", "logint")

    @property
    def integer(self) -> bool:
        return self.form in INT_FORMS

    @property
    def numeric(self) -> bool:
        return self.form != CHOICE

    def size(self, items: int) -> int | None:
        """How many distinct values a draw can give (None: a continuum)."""
        if self.form == CHOICE:
            return items
        if self.integer:
            assert self.low is not None and self.high is not None
            return int(self.high - self.low) + 1
        return None

    def value_at(self, u: float) -> str:
        """The value at quantile ``u`` in [0, 1), as the text a config file holds."""
        assert self.low is not None and self.high is not None and self.numeric
        low, high = float(self.low), float(self.high)
        if self.integer:
            if self.log:  # as Optuna does: log-uniform over [low - 0.5, high + 0.5], rounded
                a, b = math.log(low - 0.5), math.log(high + 0.5)
                value = round(math.exp(a + u * (b - a)))
            else:
                value = int(low) + math.floor(u * (high - low + 1))
            return str(int(min(max(value, low), high)))
        if self.log:
            x = math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
        else:
            x = low + u * (high - low)
        return render_significant(x, self.low, self.high)

    def choice_at(self, u: float, items: int) -> int:
        """The index of the item at quantile ``u`` of a choice of ``items``."""
        return min(int(u * items), items - 1)


def render_significant(x: float, low: Decimal, high: Decimal) -> str:
    """``x`` with :data:`SIGNIFICANT` significant digits, in plain positional form, kept
    inside [low, high] (rounding must never push a value past an end of its interval)."""
    value = Decimal(f"{x:.{SIGNIFICANT - 1}e}")
    value = min(max(value, low), high).normalize()
    text = format(value, "f")
    return "0" if text in ("-0", "+0") else text


def is_call(text: str) -> bool:
    """Whether ``text`` looks like ``name(...)``: a sampling form, or a mistyped one."""
    return bool(_CALL.match(text.strip()))


def parse_call(text: str) -> tuple[str, str] | None:
    """``("loguniform", "1e-5,1e-1")`` for ``loguniform(1e-5,1e-1)``; None otherwise."""
    match = _CALL.match(text.strip())
    return (match.group(1), match.group(2)) if match else None


def parse_interval(form: str, args: str, text: str) -> tuple[Distribution | None, str | None]:
    """A numeric form's distribution, or why ``text`` is not one."""
    parts = [part.strip() for part in args.split(",")]
    if len(parts) != 2 or not all(parts):
        return None, f"{text} takes two numbers, low and high: write {form}(low,high)"
    try:
        low, high = (Decimal(part) for part in parts)
    except InvalidOperation:
        bad = next(p for p in parts if not _is_decimal(p))
        return None, f"{text}: '{bad}' is not a number; write {form}(low,high)"
    if not (low.is_finite() and high.is_finite()):
        return None, f"{text}: both ends must be finite numbers"
    if form in INT_FORMS and not all(_INTEGER.match(part) for part in parts):
        return None, f"{text}: {form} draws integers, so both ends must be integers"
    if low > high:
        return None, f"{text}: low must be below high; did you mean {form}({parts[1]},{parts[0]})?"
    if low == high:
        return None, f"{text}: low equals high, an interval of one value; write {parts[0]} alone"
    if form in ("loguniform", "logint") and low <= 0:
        return None, (
            f"{text}: a log scale needs a low end above 0; use uniform/randint for intervals "
            "that reach 0, or start at a small positive value"
        )
    return Distribution(form, text, low, high), None


def _is_decimal(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def type_problem(
    name: str,
    kind: str,
    dist: Distribution,
    int_range: tuple[int, int] | None,
    float_bounds: FloatBounds | None,
) -> str | None:
    """Why ``dist`` cannot sample symbol ``CONFIG_<name>`` of ``kind``, with the fix."""
    if dist.form == CHOICE:
        return None
    assert dist.low is not None and dist.high is not None
    if kind == "int":
        if not dist.integer:
            args = f"{math.ceil(dist.low)},{math.floor(dist.high)}"
            return (
                f"CONFIG_{name} is an int: {dist.text} draws decimals; write "
                f"{'logint' if dist.log else 'randint'}({args})"
            )
        if int_range is not None:
            low, high = int_range
            if dist.low < low or dist.high > high:
                return (
                    f"CONFIG_{name}: {dist.text} reaches outside its Kconfig range {low}..{high}; "
                    f"keep both ends within {low} to {high}"
                )
        return None
    if kind == "float":
        if dist.integer:
            return (
                f"CONFIG_{name} is a decimal: {dist.text} draws integers; write "
                f"{'loguniform' if dist.log else 'uniform'}({dist.low},{dist.high})"
            )
        if float_bounds is not None:
            for end in (dist.low, dist.high):
                if not float_bounds.contains(end):
                    return (
                        f"CONFIG_{name}: {dist.text} reaches outside its allowed interval "
                        f"{float_bounds.describe()} ({end}); keep both ends inside it"
                    )
        return None
    if kind == "hex":
        return f"CONFIG_{name} is a hex value: it cannot be sampled; list its values as a|b|c"
    what = {"bool": "a bool", "choice": "a choice", "member": "a choice member"}.get(kind, "text")
    return (
        f"CONFIG_{name} is {what}, not a number: {dist.text} cannot sample it; "
        "write choice(a|b|c) to draw one of its values"
    )
