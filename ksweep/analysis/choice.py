"""Which metric a sweep folder is ranked by, and refusing one its trials never recorded.

The command line's ``METRIC=``/``GOAL=`` win; else the trials' own
``CONFIG_SWEEP_METRIC``/``CONFIG_SWEEP_GOAL``; else ``auto``. ``auto`` is
val/acc when the finished trials recorded a validation split (or, before any
has finished, when their config holds one out), else test_acc: selecting on
validation keeps the test set for the number reported at the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ksweep.analysis.core import why_not_recorded
from ksweep.analysis.metrics import (
    AUTO,
    GOALS,
    METRICS,
    auto_metric,
    auto_metric_of_config,
    check_goal,
    recorded,
    spec,
)
from ksweep.diagnostics import Refusal
from ksweep.objectives import (
    OBJECTIVES_EXAMPLE,
    Constraint,
    Objective,
    Objectives,
    parse_constraints,
    parse_objectives,
    single,
)
from ksweep.sweep import trialfiles
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.states import state_of


class MetricNotRecorded(Refusal):
    """METRIC= names a metric no finished trial recorded; nothing was rewritten."""


class ObjectivesRefused(Refusal):
    """OBJECTIVES=/CONSTRAINTS= (or the trials' CONFIG_SWEEP_...) cannot be read, or
    OBJECTIVES= was given with METRIC=; nothing was rewritten."""


def first_config(sweep_dir: Path, records: Sequence[dict[str, Any]]) -> dict[str, str]:
    """The first readable trial config of a sweep: where SWEEP_METRIC and SWEEP_GOAL are."""
    folder = SweepFolder(Path(sweep_dir))
    for record in records:
        config = trialfiles.config_values(folder.trial_of(record))
        if config:
            return config
    return {}


def requested_metric(
    config: Mapping[str, str], metric: str | None = None, goal: str | None = None
) -> tuple[str, str | None]:
    """(metric or ``auto``, goal or None), as the command line and the config ask for them.

    The command line wins; else the config's SWEEP_METRIC/SWEEP_GOAL; else auto.
    ``METRIC=`` alone takes that metric's natural goal (val/loss: min) unless the
    config names the same metric with a goal of its own."""
    # A hand-made config folder is not checked against the schema; a value the analyzer
    # does not know is ignored (the text's "Ranked by" line says what was used) rather than
    # stopping a running sweep.
    named_metric = config.get("SWEEP_METRIC") or None
    named_goal = config.get("SWEEP_GOAL")
    named_goal = named_goal if named_goal in GOALS else None
    if metric is None:
        metric = named_metric or AUTO
        goal = goal or named_goal
    elif goal is None and metric == named_metric:
        goal = named_goal
    return metric, goal


def _resolved(metric: str, goal: str | None) -> tuple[str, str]:
    return metric, check_goal(goal or spec(metric).goal)


def choose_metric(
    sweep_dir: Path, records: Sequence[dict[str, Any]], metric: str | None, goal: str | None
) -> tuple[str, str]:
    """The (metric, goal) a sweep folder is ranked by; ``auto`` resolved on its records
    (val/acc when they recorded it), or on its config before any trial has finished."""
    config = first_config(sweep_dir, records)
    asked, goal = requested_metric(config, metric, goal)
    if asked != AUTO:
        return _resolved(asked, goal)
    finished = [r for r in records if (state := state_of(r)) is not None and state.successful]
    return _resolved(auto_metric(finished) if finished else auto_metric_of_config(config), goal)


def configured_metric(
    config: Mapping[str, str], metric: str | None = None, goal: str | None = None
) -> tuple[str, str]:
    """:func:`choose_metric` for one trial's config values (``SWEEP_METRIC`` ... unprefixed),
    before any trial has run: ``auto`` is val/acc when the config holds out a validation
    split (CONFIG_VAL_FRACTION > 0)."""
    asked, goal = requested_metric(config, metric, goal)
    return _resolved(auto_metric_of_config(config) if asked == AUTO else asked, goal)


def check_recorded(sweep_dir: Path, records: Sequence[dict[str, Any]], metric: str) -> None:
    """Refuse METRIC=X when trials finished but none recorded X, naming what they did record."""
    finished = [r for r in records if (state := state_of(r)) is not None and state.successful]
    if not finished or recorded(finished, metric):
        return
    have = [name for name in METRICS if recorded(finished, name)]
    raise MetricNotRecorded(
        f"none of the {len(finished)} finished trials of {sweep_dir} recorded {metric} "
        f"({why_not_recorded(spec(metric))}); nothing was rewritten. They recorded "
        f"{', '.join(have) or 'no rankable metric'}; rank by one of them, e.g. METRIC="
        f"{have[0] if have else 'test_acc'}"
    )


def asked_objectives(
    config: Mapping[str, str],
    metric: str | None = None,
    goal: str | None = None,
    objectives: str | None = None,
    constraints: str | None = None,
) -> tuple[tuple[Objective, ...] | None, tuple[Constraint, ...]]:
    """(the objectives when they are more than METRIC= alone, else None; the constraints).

    OBJECTIVES= on the command line, else the config's SWEEP_OBJECTIVES unless METRIC=
    asks for one metric on the command line (the command line wins); CONSTRAINTS=, else
    the config's SWEEP_CONSTRAINTS. Raises ValueError naming the setting and its fix."""
    if objectives is not None and (metric is not None or goal is not None):
        given = "METRIC=" if metric is not None else "GOAL="
        raise ValueError(
            f"OBJECTIVES= and {given} were both given: OBJECTIVES= names every objective "
            f"with its goal (its first is the one METRIC= would name); give only one, e.g. "
            f"OBJECTIVES={OBJECTIVES_EXAMPLE}"
        )
    named = (config.get("SWEEP_OBJECTIVES") or "").strip()
    if objectives is not None:
        chosen = _parsed(parse_objectives, objectives, f"OBJECTIVES={objectives}")
    elif named and metric is None:
        chosen = _parsed(parse_objectives, named, f'CONFIG_SWEEP_OBJECTIVES="{named}"')
    else:
        chosen = None
    if chosen is not None and len(chosen) == 1 and chosen[0].metric == AUTO:
        chosen = None  # OBJECTIVES=auto is METRIC=auto
    bounds = constraints if constraints is not None else config.get("SWEEP_CONSTRAINTS") or ""
    origin = "CONSTRAINTS=" if constraints is not None else "CONFIG_SWEEP_CONSTRAINTS="
    return chosen, _parsed(parse_constraints, bounds, f"{origin}{bounds!r}")


def _parsed(parse, text: str, origin: str):
    try:
        return parse(text)
    except ValueError as problem:
        raise ValueError(f"{origin}: {problem}") from None


def configured_objectives(
    config: Mapping[str, str],
    metric: str | None = None,
    goal: str | None = None,
    objectives: str | None = None,
    constraints: str | None = None,
) -> Objectives:
    """What a sweep optimises, resolved once before any trial has run: the objectives
    (:func:`asked_objectives`), else the one metric of :func:`configured_metric`."""
    chosen, bounds = asked_objectives(config, metric, goal, objectives, constraints)
    if chosen is None:
        chosen = single(*configured_metric(config, metric, goal)).objectives
    return Objectives(chosen, bounds)
