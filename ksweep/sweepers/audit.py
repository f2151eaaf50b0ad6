"""``make sweep-audit-stop``: would this early-stopping rule have been safe on this sweep?

A finished sweep that ran every configuration to the end holds every curve,
so a rule can be replayed on it exactly, configuration by configuration in
the order the live rule judges them: what it would have stopped and where,
the trial-epochs it would have saved, whether it would have stopped the
winner or a configuration within noise of it, and what the naive baseline
(top-k at the same budget) would have picked instead. This is how a user
decides whether to trust a rule on their problem before using it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from ksweep.sweepers.stopping import STOP, ConfigCurve, RuleSettings, spread, verdict

Curves = Mapping[str, Sequence[Mapping[int, float]]]  # configuration -> per seed: epoch -> value


@dataclass(frozen=True)
class Replay:
    """What a rule would have done: where each configuration stops, and why."""

    settings: RuleSettings
    stopped_at: dict[str, int]  # configuration -> the epoch it would have ended at
    decisions: list[dict]  # the evidence of each stop, as decisions.jsonl would hold it
    full_epochs: int  # trial-epochs the sweep ran
    rule_epochs: int  # trial-epochs it would have run under the rule

    @property
    def saved_share(self) -> float:
        return 1.0 - self.rule_epochs / self.full_epochs if self.full_epochs else 0.0


def _curve(name: str, seeds: Sequence[Mapping[int, float]], stop: int | None) -> ConfigCurve:
    values: dict[int, list[float]] = {}
    for seed in seeds:
        for epoch, value in seed.items():
            if stop is None or epoch <= stop:
                values.setdefault(epoch, []).append(value)
    ends = tuple(stop if stop is not None else max(seed, default=0) for seed in seeds)
    return ConfigCurve(name, {e: tuple(v) for e, v in values.items()}, len(seeds), ends)


def replay(
    settings: RuleSettings,
    curves: Curves,
    epochs: int,
    metric: str,
    goal: str,
    grid: bool = False,
) -> Replay:
    """Run ``settings``'s rule over complete ``curves`` as the live loop would: in judging
    order (:func:`~ksweep.sweepers.stopping.spread` order for a ``grid``)."""
    rungs = settings.rungs(epochs)
    stopped: dict[str, int] = {}
    decisions: list[dict] = []
    order = spread(sorted(curves)) if grid else sorted(curves)
    for name in order:
        for rung in rungs:
            known = [_curve(n, curves[n], stopped.get(n)) for n in order]
            judged = verdict(settings, known, name, rung, metric, goal)
            if judged.action == STOP:
                stopped[name] = rung
                decisions.append({"configuration": name, **judged.evidence})
                break
    full = sum(len(seed) for seeds in curves.values() for seed in seeds)
    kept = sum(
        min(len(seed), stopped.get(name, epochs))
        for name, seeds in curves.items()
        for seed in seeds
    )
    return Replay(settings, stopped, decisions, full, kept)


def topk_at_budget(
    rule: Replay, curves: Curves, epochs: int, metric: str, goal: str, k: int
) -> Replay:
    """Top-k after ``k`` epochs with the share kept chosen to spend about ``rule``'s budget."""
    trials = sum(len(seeds) for seeds in curves.values())
    rest = trials * (epochs - k)
    keep = (rule.rule_epochs - trials * k) / rest if rest else 1.0
    keep = min(0.99, max(1.0 / len(curves), keep))
    settings = replace(rule.settings, rule="topk", k=k, keep=keep)
    return replay(settings, curves, epochs, metric, goal)


def best_survivor(replay_: Replay, finals: Mapping[str, float], goal: str) -> str | None:
    """The configuration a sweep under the rule would have named best (by its final value)."""
    survivors = {n: v for n, v in finals.items() if n not in replay_.stopped_at}
    if not survivors:
        return None
    pick = max if goal == "max" else min
    return pick(sorted(survivors), key=lambda n: survivors[n])
