"""An early-stopping rule as the run loop uses it: pause epochs, and verdicts read from files.

Each verdict is recomputed from the trials' own ``metrics.jsonl`` and final
records (nothing is remembered between calls), which is what makes a
resumed sweep decide exactly as an uninterrupted one: the interrupted trials
run again from scratch, bit for bit, and meet the same comparisons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ksweep.launch.events import LoopView
from ksweep.objectives import Objectives
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.states import TrialState
from ksweep.sweep.trialfiles import epochs
from ksweep.sweep.trials import TrialSpec
from ksweep.sweepers.pareto_stopping import (
    ParetoCurve,
    judged_at_rungs,
    pareto_verdict,
    seed_points,
)
from ksweep.sweepers.stopping import (
    EPOCH_METRICS,
    STOP,
    SUMMARY_ONLY,
    ConfigCurve,
    RuleSettings,
    spread,
    verdict,
)

SEED = "CONFIG_SEED"


def configuration_of(trial: TrialSpec) -> tuple:
    """What makes trials one configuration: every varying value but the seed."""
    return tuple(sorted((k, v) for k, v in trial.varying.items() if k != SEED))


def configurations(trials: Sequence[TrialSpec]) -> list[list[TrialSpec]]:
    """``trials`` as configurations (seeds together), each in name order, ordered by its
    first member's name: a configuration's name is its first member's."""
    groups: dict[tuple, list[TrialSpec]] = {}
    for trial in sorted(trials, key=lambda t: t.config_name):
        groups.setdefault(configuration_of(trial), []).append(trial)
    return list(groups.values())


def _seeds(
    trials: Sequence[TrialSpec],
    folder: SweepFolder,
    records: Mapping[str, Mapping[str, Any]],
):
    """Each configuration's name, its members' epoch rows, and where each member ended
    (None: still running or not started); then each trial's configuration name."""
    found, names = [], {}
    for members in configurations(trials):
        rows, ended = [], []
        for trial in members:
            names[trial.config_name] = members[0].config_name
            rows.append(epochs(folder.trial(trial.test_name)))
            record = records.get(trial.config_name)
            state = TrialState.of(record.get("status")) if record else None
            ended.append(len(rows[-1]) if state is not None and state.final else None)
        found.append((members[0].config_name, rows, tuple(ended), members))
    return found, names


def curves(
    trials: Sequence[TrialSpec],
    folder: SweepFolder,
    records: Mapping[str, Mapping[str, Any]],
    metric: str,
) -> tuple[list[ConfigCurve], dict[str, str]]:
    """Every configuration's seeds as a rule sees them, and each trial's configuration name."""
    found, names = _seeds(trials, folder, records)
    built = []
    for name, members, ended, _trials in found:
        values: dict[int, list[float]] = {}
        for rows in members:
            for row in rows:
                value = row.get(metric)
                if isinstance(row.get("epoch"), int) and isinstance(value, int | float):
                    values.setdefault(row["epoch"], []).append(float(value))
        curve = {e: tuple(v) for e, v in values.items()}
        built.append(ConfigCurve(name, curve, len(members), ended))
    return built, names


def pareto_curves(
    trials: Sequence[TrialSpec],
    folder: SweepFolder,
    records: Mapping[str, Mapping[str, Any]],
    objectives: Objectives,
) -> tuple[list[ParetoCurve], dict[str, str]]:
    """:func:`curves` for several objectives (those a rung reads, in objective order)."""
    found, names = _seeds(trials, folder, records)
    judged, _ = judged_at_rungs(objectives)
    built = [
        ParetoCurve(
            name,
            tuple(seed_points(r, judged, t.values) for r, t in zip(rows, members, strict=True)),
            len(members),
            ended,
        )
        for name, rows, ended, members in found
    ]
    return built, names


class EarlyStopper:
    """The loop's StopRule for one of asha, median and topk, ranking by ``metric``; with
    several ``objectives``, asha and topk rank by Pareto order instead
    (:mod:`ksweep.sweepers.pareto_stopping`).

    ``grid``: judge (and start) configurations in :func:`spread` order, as a grid needs;
    a sampled or model-based search is judged in name order, its draws' own order.
    ``listed``: every configuration is known up front (not a model-based search), so a rung
    may wait for its cohort (see :func:`~ksweep.sweepers.stopping.verdict`)."""

    def __init__(
        self,
        settings: RuleSettings,
        metric: str,
        goal: str,
        grid: bool = False,
        listed: bool = True,
        objectives: Objectives | None = None,
    ):
        self.settings, self.metric, self.goal = settings, metric, goal
        self.grid, self.listed = grid, listed
        self.objectives = objectives if objectives is not None and objectives.several else None

    def pause_epochs(self, trial: TrialSpec) -> tuple[int, ...]:
        return tuple(self.settings.rungs(trial.num_epochs or 0))

    def judging_order(self, names: Sequence[str]) -> list[str]:
        """Configuration names (first members, in name order) in the order they are judged."""
        return spread(names) if self.grid else list(names)

    def launch_order(self, trials: Sequence[TrialSpec]) -> list[TrialSpec]:
        """``trials`` reordered so that configurations start in judging order (seeds of one
        configuration together): a trial then rarely pauses for one judged before it."""
        by_name = {members[0].config_name: members for members in configurations(trials)}
        return [t for name in self.judging_order(list(by_name)) for t in by_name[name]]

    def decide(self, trial: TrialSpec, epoch: int, view: LoopView) -> tuple[str, dict | None]:
        records = {r["config_file"]: r for r in view.records}
        if self.objectives is not None:
            known, names = pareto_curves(view.trials, view.folder, records, self.objectives)
        else:
            known, names = curves(view.trials, view.folder, records, self.metric)
        subject = names.get(trial.config_name, trial.config_name)
        by_name = {c.name: c for c in known}
        ordered = [by_name[name] for name in self.judging_order(list(by_name))]
        if self.objectives is not None:
            judged_at = judged_at_rungs(self.objectives)[0]
            judged = pareto_verdict(self.settings, ordered, subject, epoch, judged_at, self.listed)
        else:
            judged = verdict(
                self.settings, ordered, subject, epoch, self.metric, self.goal, self.listed
            )
        if judged.action != STOP:
            return judged.action, None
        seeds = sorted(t.config_name for t in view.trials if names.get(t.config_name) == subject)
        return STOP, {**judged.evidence, "configuration": subject, "trials": seeds}


# Kconfig symbol (in the trials' configs) -> RuleSettings field; make variables override them.
SYMBOLS = {
    "SWEEP_EARLY_STOP": "rule",
    "SWEEP_ES_GRACE": "grace",
    "SWEEP_ES_FACTOR": "factor",
    "SWEEP_ES_WARMUP": "warmup",
    "SWEEP_ES_MIN_CONFIGS": "min_configs",
    "SWEEP_ES_TOPK_EPOCHS": "k",
    "SWEEP_ES_TOPK_KEEP": "keep",
}


def rule_settings(config: Mapping[str, str], overrides: Mapping[str, Any]) -> RuleSettings:
    """The sweep's rule: the trials' CONFIG_SWEEP_EARLY_STOP and friends, then the command
    line's (``overrides``: field -> value, None for not given)."""
    fields: dict[str, Any] = {}
    for symbol, name in SYMBOLS.items():
        if symbol in config:
            raw = config[symbol]
            fields[name] = raw if name == "rule" else (float(raw) if name == "keep" else int(raw))
    fields.update({k: v for k, v in overrides.items() if v is not None})
    return RuleSettings(**fields)


def early_stopper(
    config: Mapping[str, str],
    overrides: Mapping[str, Any],
    metric: str,
    goal: str,
    grid: bool = False,
    listed: bool = True,
    objectives: Objectives | None = None,
) -> EarlyStopper | None:
    """The rule to attach to a sweep, or None when it runs every trial to the end;
    ``grid`` for a grid or a folder of configs, ``listed`` unless a model-based search
    draws them (see :class:`EarlyStopper`).

    Raises ValueError with the reasons when the rule cannot work on this sweep."""
    settings = rule_settings(config, overrides)
    if settings.rule == "none":
        return None
    problems = settings.check()
    if objectives is not None and objectives.several:
        problems.extend(pareto_problems(settings, objectives))
    elif metric in SUMMARY_ONLY:
        problems.append(
            f"early stopping judges a metric every epoch, but the sweep ranks by {metric}; "
            f"rank by one of {', '.join(EPOCH_METRICS)} (METRIC=) or set EARLY_STOP=none"
        )
    if problems:
        raise ValueError("; ".join(problems))
    epochs = config.get("NUM_EPOCHS", "")
    if epochs.isdigit() and not settings.rungs(int(epochs)):
        import sys

        print(
            f"warning: EARLY_STOP={settings.rule} never judges: its first check comes at or "
            f"after the trials' last epoch ({epochs}); lower ES_GRACE / ES_WARMUP / "
            "ES_TOPK_EPOCHS, or every trial runs to the end",
            file=sys.stderr,
        )
    return EarlyStopper(settings, metric, goal, grid, listed, objectives)


def pareto_problems(settings: RuleSettings, objectives: Objectives) -> list[str]:
    """Why ``settings``'s rule cannot judge these several objectives (and, on stderr, what it
    leaves out at its rungs)."""
    judged, left_out = judged_at_rungs(objectives)
    problems = []
    if settings.rule == "median":
        problems.append(
            f"the median rule has no form for several objectives ({objectives.text()}); "
            "use EARLY_STOP=asha or topk, which keep the top share in Pareto order"
        )
    if not judged:
        problems.append(
            f"early stopping judges objectives every epoch, and none of {objectives.text()} "
            f"is reported before the end; add one of {', '.join(EPOCH_METRICS)} to OBJECTIVES= "
            "or set EARLY_STOP=none"
        )
    elif left_out:
        import sys

        print(
            f"warning: EARLY_STOP={settings.rule} cannot see "
            f"{', '.join(o.metric for o in left_out)} before a trial ends: at its rungs it "
            f"ranks by {', '.join(o.text() for o in judged)} alone, so a configuration that is "
            "cheaper but learns more slowly can be stopped; make sweep-audit-stop shows "
            "whether a finished sweep's front survives it",
            file=sys.stderr,
        )
    return problems
