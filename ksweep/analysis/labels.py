"""Words shared by the text, the tables and the plots: names of configurations and lists.

A configuration is named by the symbols that vary, never by a number alone,
so a chart reads "OPTIMIZER_SELECT=ADAM, LEARNING_RATE=0.003" and a person
needs no lookup table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ksweep.analysis.stats import Group


def shown(value: Any) -> str:
    return "n/a" if value is None else str(value)


def short_symbol(symbol: str) -> str:
    """``CONFIG_LEARNING_RATE`` -> ``LEARNING_RATE`` (labels on charts are tight)."""
    return symbol.removeprefix("CONFIG_")


def settings_text(settings: dict[str, Any], short: bool = False, sep: str = " ") -> str:
    """``CONFIG_A=1 CONFIG_B=x`` (or ``A=1, B=x`` when short)."""
    return sep.join(f"{short_symbol(k) if short else k}={shown(v)}" for k, v in settings.items())


def group_label(group: Group, sep: str = ", ") -> str:
    """What a chart calls a configuration: its varying values, or its name if none vary."""
    return settings_text(group.settings, short=True, sep=sep) or group.name


def join_names(names: Sequence[str], limit: int = 8) -> str:
    """``a``, ``a and b``, ``a, b and c``; long lists end in ``and N more``."""
    names = list(names)
    if len(names) > limit:
        names = [*names[:limit], f"{len(names) - limit} more"]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def seeds_text(seeds: Sequence[Any]) -> str:
    return ", ".join(shown(s) for s in seeds)
