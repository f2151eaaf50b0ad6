"""Combinations Kconfig cannot rule out, checked on resolved values.

Kconfig's ``depends on`` covers "this symbol only exists when that one is
set". What it cannot say is "this *string value* needs that choice", such
as state pruning needing AdamWPrune. Those rules live here, as plain
functions of a resolved config: the generator skips a combination that
breaks one (with the reason, or rejects a sweep where every combination
does), and the trainer refuses such a config with the same words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RuleResult:
    """One rule a combination breaks: which symbols, and why, with the fix."""

    symbols: tuple[str, ...]
    message: str


def _state_needs_adamwprune(values: Mapping[str, str]) -> RuleResult | None:
    if values.get("PRUNING_METHOD") == "state" and values.get("OPTIMIZER_SELECT_ADAMWPRUNE") != "y":
        optimizer = selected_member(values, "OPTIMIZER_SELECT_") or "?"
        return RuleResult(
            ("PRUNING_METHOD", "OPTIMIZER_SELECT"),
            f"state pruning scores weights from AdamWPrune's moments, but the optimizer is "
            f"{optimizer}; use CONFIG_OPTIMIZER_SELECT_ADAMWPRUNE=y or another "
            'CONFIG_PRUNING_METHOD ("magnitude", "movement")',
        )
    return None


def _nesterov_needs_momentum(values: Mapping[str, str]) -> RuleResult | None:
    momentum = values.get("MOMENTUM")
    if values.get("NESTEROV") != "y" or momentum is None:
        return None
    try:
        if float(momentum) != 0.0:
            return None
    except ValueError:
        return None  # not a number: the value check reports it
    return RuleResult(
        ("NESTEROV", "MOMENTUM"),
        "Nesterov momentum needs momentum: CONFIG_NESTEROV=y with CONFIG_MOMENTUM=0; "
        "raise CONFIG_MOMENTUM or set CONFIG_NESTEROV=n",
    )


RULES: tuple[Callable[[Mapping[str, str]], RuleResult | None], ...] = (
    _state_needs_adamwprune,
    _nesterov_needs_momentum,
)


def selected_member(values: Mapping[str, str], prefix: str) -> str | None:
    """The suffix of the choice member set to ``y`` among symbols named ``prefix*``."""
    for name, value in values.items():
        if name.startswith(prefix) and value == "y":
            return name[len(prefix) :]
    return None


def check_rules(values: Mapping[str, str]) -> list[RuleResult]:
    """Every rule one resolved configuration breaks (empty: it can run)."""
    return [result for rule in RULES if (result := rule(values)) is not None]
