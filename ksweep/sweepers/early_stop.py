"""An early-stopping rule as the run loop uses it: pause epochs, and verdicts read from files.

Each verdict is recomputed from the trials' own ``metrics.jsonl`` and final
records (nothing is remembered between calls), which is what makes a
resumed sweep decide exactly as an uninterrupted one: the interrupted trials
run again from scratch, bit for bit, and meet the same comparisons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ksweep.analysis.metrics import METRICS
from ksweep.launch.events import LoopView
from ksweep.objectives import Objectives
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.states import TrialState
from ksweep.sweep.trialfiles import epochs
from ksweep.sweep.trials import TrialSpec
from ksweep.sweepers.stopping import STOP, ConfigCurve, RuleSettings, spread, verdict

SEED = "CONFIG_SEED"
# The metrics ksweep's trainer streams every epoch: of its own, the only ones a rule can
# judge at a rung. A metric a script reports is judged from its epochs' rows.
EPOCH_METRICS = ("val/acc", "val/loss", "test_acc", "train/loss", "train/acc")
SUMMARY_ONLY = frozenset(METRICS) - set(EPOCH_METRICS)  # ksweep's trainer's final-only figures


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


def curves(
    trials: Sequence[TrialSpec],
    folder: SweepFolder,
    records: Mapping[str, Mapping[str, Any]],
    metric: str,
) -> tuple[list[ConfigCurve], dict[str, str]]:
    """Every configuration's seeds as a rule sees them, and each trial's configuration name."""
    found, names = [], {}
    for members in configurations(trials):
        values: dict[int, list[float]] = {}
        ended: list[int | None] = []
        for trial in members:
            names[trial.config_name] = members[0].config_name
            rows = epochs(folder.trial(trial.test_name))
            for row in rows:
                value = row.get(metric)
                if isinstance(row.get("epoch"), int) and isinstance(value, int | float):
                    values.setdefault(row["epoch"], []).append(float(value))
            record = records.get(trial.config_name)
            state = TrialState.of(record.get("status")) if record else None
            ended.append(len(rows) if state is not None and state.final else None)
        curve = {e: tuple(v) for e, v in values.items()}
        found.append(ConfigCurve(members[0].config_name, curve, len(members), tuple(ended)))
    return found, names


class EarlyStopper:
    """The loop's StopRule for one of asha, median and topk, ranking by ``metric``.

    ``grid``: judge (and start) configurations in :func:`spread` order, as a grid needs;
    a sampled or model-based search is judged in name order, its draws' own order."""

    def __init__(self, settings: RuleSettings, metric: str, goal: str, grid: bool = False):
        self.settings, self.metric, self.goal, self.grid = settings, metric, goal, grid

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
        known, names = curves(view.trials, view.folder, records, self.metric)
        subject = names.get(trial.config_name, trial.config_name)
        by_name = {c.name: c for c in known}
        ordered = [by_name[name] for name in self.judging_order([c.name for c in known])]
        judged = verdict(self.settings, ordered, subject, epoch, self.metric, self.goal)
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
    objectives: Objectives | None = None,
) -> EarlyStopper | None:
    """The rule to attach to a sweep, or None when it runs every trial to the end;
    ``grid`` for a grid or a folder of configs (see :class:`EarlyStopper`).

    Raises ValueError with the reasons when the rule cannot work on this sweep."""
    settings = rule_settings(config, overrides)
    if settings.rule == "none":
        return None
    problems = settings.check()
    if metric in SUMMARY_ONLY:
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
    return EarlyStopper(settings, metric, goal, grid)
