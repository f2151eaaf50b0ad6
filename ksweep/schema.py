"""Value rules that Kconfig itself cannot express.

Kconfig has no float type and no enumerated strings, so floats and
enumerations are ``string`` symbols whose allowed values live here, in one
table beside the Kconfig tree. Int bounds are not repeated here: Kconfig's
``range`` is their single source of truth. Both the sweep generator (before
anything runs) and the trainer (before it trains) check values against
these tables, so a bad value is rejected with the same words everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation


@dataclass(frozen=True)
class FloatBounds:
    """An interval for a float-valued string symbol; open ends are exclusive."""

    low: Decimal
    high: Decimal
    low_open: bool = False
    high_open: bool = False

    def contains(self, value: Decimal) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def describe(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"{left}{self.low}, {self.high}{right}"


def _bounds(low: str, high: str, low_open: bool = False, high_open: bool = False) -> FloatBounds:
    return FloatBounds(Decimal(low), Decimal(high), low_open, high_open)


FLOAT_SYMBOLS: dict[str, FloatBounds] = {
    "LEARNING_RATE": _bounds("0", "10", low_open=True),
    "MOMENTUM": _bounds("0", "1", high_open=True),
    "WEIGHT_DECAY": _bounds("0", "10"),
    "ADAMWPRUNE_BETA1": _bounds("0", "1", high_open=True),
    "ADAMWPRUNE_BETA2": _bounds("0", "1", high_open=True),
    "ADAMWPRUNE_WEIGHT_DECAY": _bounds("0", "10"),
    "TARGET_SPARSITY": _bounds("0", "0.99"),
    "VAL_FRACTION": _bounds("0", "0.5"),
    "AUGMENT_ROTATION": _bounds("0", "180"),
    "LR_STEP_GAMMA": _bounds("0", "1", low_open=True),
    "LR_PCT_START": _bounds("0", "1", low_open=True, high_open=True),
    "LABEL_SMOOTHING": _bounds("0", "0.5"),
    "GRAD_CLIP_NORM": _bounds("0", "1000000"),
    "EMA_DECAY": _bounds("0", "1", high_open=True),
    "MNIST8K_DROPOUT": _bounds("0", "1", high_open=True),
    "TINYCNN_DROPOUT": _bounds("0", "1", high_open=True),
    "SMALL_RESNET_DROPOUT": _bounds("0", "1", high_open=True),
}

ENUM_SYMBOLS: dict[str, tuple[str, ...]] = {
    "PRUNING_METHOD": ("none", "magnitude", "movement", "state", "global"),
    "DEVICE": ("auto", "cpu", "cuda"),
    "DEBUG_FAULT": ("none", "crash", "hang", "nan", "orphan"),
    "LR_SCHEDULE": ("none", "step", "cosine", "onecycle"),
    "SWEEP_GOAL": ("max", "min"),
}

# String symbols that hold free text (paths); anything goes.
TEXT_SYMBOLS: frozenset[str] = frozenset({"DATA_DIR"})


def parse_float(text: str) -> Decimal | None:
    """The exact decimal a float symbol's text denotes, or None if it is not a finite number."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def check_string_value(name: str, text: str) -> str | None:
    """Why ``text`` is not an acceptable value of string symbol ``name``, or None if it is."""
    if name in FLOAT_SYMBOLS:
        bounds = FLOAT_SYMBOLS[name]
        value = parse_float(text)
        if value is None:
            return f"'{text}' is not a number (CONFIG_{name} takes a decimal such as 0.01)"
        if not bounds.contains(value):
            return f"{text} is outside CONFIG_{name}'s allowed interval {bounds.describe()}"
        return None
    if name in ENUM_SYMBOLS:
        allowed = ENUM_SYMBOLS[name]
        if text not in allowed:
            return f'"{text}" is not one of ' + ", ".join(f'"{v}"' for v in allowed)
        return None
    if name in OBJECTIVE_SYMBOLS:
        return _objectives_problem(name, text)
    return None


# What a sweep optimises, written in ksweep.objectives' words (parsed there, checked here so
# a range file with a bad one is refused at generate time with its line).
OBJECTIVE_SYMBOLS = ("SWEEP_OBJECTIVES", "SWEEP_CONSTRAINTS")


def _objectives_problem(name: str, text: str) -> str | None:
    from ksweep.objectives import parse_constraints, parse_objectives

    if not text.strip():
        return None  # empty: the metric alone, no constraint
    parse = parse_objectives if name == "SWEEP_OBJECTIVES" else parse_constraints
    try:
        parse(text)
    except ValueError as problem:
        return f'"{text}": {problem}'
    return None
