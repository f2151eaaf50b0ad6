"""Resuming after the Kconfig tree changed: do the remaining configurations still hold?

A sweep's configs were resolved against the tree as it was when the sweep
started. If the tree changed since (a new symbol, another range or default),
resuming would run the remaining configs against rules they were never
checked with. So each remaining config is resolved again, and must come out
identical and pass pre-flight again; otherwise the resume is refused with
the configurations and the reasons.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ksweep.configfile import parse_config_text
from ksweep.plan.kconfig import KconfigTree
from ksweep.plan.preflight import Checked, Locator, preflight
from ksweep.plan.ranges import RangeSpec
from ksweep.sweep.trials import TrialSpec


def _moved(before: dict[str, str], now: dict[str, str]) -> list[str]:
    """Symbols whose value differs; an absent bool and ``n`` are the same (a new, unselected
    choice member or option changes nothing the trial does)."""
    names = sorted(set(now) | set(before))
    return [k for k in names if now.get(k, "n") != before.get(k, "n")]


def revalidate(
    trials: Sequence[TrialSpec], tree: KconfigTree, allow_download: bool, project: Path
) -> list[str]:
    """Why each remaining trial no longer holds under today's tree (empty: all still hold)."""
    problems = []
    for trial in trials:
        now = parse_config_text(tree.resolved_text(trial.config_text))
        before = parse_config_text(trial.config_text)
        moved = _moved(before, now)
        if moved:
            shown = ", ".join(
                f"CONFIG_{k}: {before.get(k, 'unset')} -> {now.get(k, 'unset')}" for k in moved[:4]
            )
            more = f" and {len(moved) - 4} more" if len(moved) > 4 else ""
            problems.append(f"{trial.config_name} resolves differently now ({shown}{more})")
    spec = RangeSpec("the sweep's configs", "", ())
    result = preflight(
        (Checked(t.config_name, t.config_text) for t in trials),
        Locator(spec, None),
        allow_download=allow_download,
        project=project,
    )
    problems += [d.message for d in result.diagnostics.errors]
    return problems


def listed(problems: list[str], limit: int = 6) -> str:
    """The first ``limit`` problems in one sentence, and "..." when there are more."""
    return "; ".join(problems[:limit]) + ("; ..." if len(problems) > limit else "")
