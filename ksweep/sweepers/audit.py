"""``make sweep-audit-stop``: would this early-stopping rule have been safe on this sweep?

A finished sweep that ran every configuration to the end holds every curve,
so a rule can be replayed on it exactly, configuration by configuration in
the order the live rule judges them: what it would have stopped and where,
the trial-epochs it would have saved, whether it would have stopped the
winner or a configuration within noise of it, and what the i-Epoch baseline
(every configuration k epochs, the top share to the end, for each k, at the
rule's trial-epochs or fewer) would have found: each rule is a point on the
(trial-epochs, best found) plane beside that front. This is how a user
decides whether to trust a rule on their problem before using it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ksweep.sweep.states import TrialState
from ksweep.sweepers.stopping import STOP, ConfigCurve, RuleSettings, Verdict, spread, verdict

# The trials whose curves a live rule saw to their end: a diverged seed's epochs before it
# diverged were compared at the rungs like any other, so a replay reads them too.
RAN_AS_ASKED = frozenset({TrialState.COMPLETED, TrialState.DIVERGED})
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


def counted(n: int, word: str) -> str:
    """``1 configuration``, ``3 configurations``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


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
    listed: bool = True,
) -> Replay:
    """Run ``settings``'s rule over complete ``curves`` as the live loop would (see
    :func:`replay_with`)."""

    def judge(known: Sequence[ConfigCurve], name: str, rung: int) -> Verdict:
        return verdict(settings, known, name, rung, metric, goal, listed)

    return replay_with(settings, curves, epochs, grid, _curve, judge)


def replay_with(
    settings: RuleSettings,
    curves: Mapping[str, Sequence],
    epochs: int,
    grid: bool,
    cut: Callable[[str, Sequence, int | None], Any],
    judge: Callable[[list, str, int], Verdict],
) -> Replay:
    """Replay a rule on complete ``curves``: rung by rung, each in judging order
    (:func:`~ksweep.sweepers.stopping.spread` order for a ``grid``), every configuration
    seen as ``cut`` leaves it (its curve up to where it was stopped). A verdict at a rung
    reads its peers' values at that rung, which only the decisions at earlier rungs can
    change, so this order replays any cohort exactly as the live loop decides."""
    stopped: dict[str, int] = {}
    decisions: list[dict] = []
    order = spread(sorted(curves)) if grid else sorted(curves)
    for rung in settings.rungs(epochs):
        for name in order:
            if name in stopped:
                continue
            judged = judge([cut(n, curves[n], stopped.get(n)) for n in order], name, rung)
            if judged.action == STOP:
                stopped[name] = rung
                decisions.append({"configuration": name, **judged.evidence})
    full = sum(len(seed) for seeds in curves.values() for seed in seeds)
    kept = sum(
        min(len(seed), stopped.get(name, epochs))
        for name, seeds in curves.items()
        for seed in seeds
    )
    return Replay(settings, stopped, decisions, full, kept)


@dataclass(frozen=True)
class FrontPoint:
    """One point of the i-Epoch baseline: every configuration runs ``k`` epochs, the top
    ``kept`` go on to the end; its cost and what it finds."""

    k: int
    kept: int  # configurations that go on after epoch k
    configurations: int
    trial_epochs: int
    best: str | None  # the best of the kept configurations by their final value


def i_epoch_front(
    curves: Curves, epochs: int, goal: str, budget: int, finals: Mapping[str, float]
) -> list[FrontPoint]:
    """The i-Epoch baseline (Egele et al.) at ``budget`` trial-epochs or fewer, for each k:
    every configuration runs k epochs (all its seeds), the configurations ranked by their
    seeds' mean at epoch k, and as many of the best as the budget allows run to the end.
    A k at which not even one configuration can go on within the budget has no point."""
    sign = -1.0 if goal == "max" else 1.0
    points = []
    for k in range(1, epochs):
        at_k = {name: [seed[k] for seed in seeds if k in seed] for name, seeds in curves.items()}
        order = sorted(
            (n for n in curves if at_k[n]),
            key=lambda n: (sign * sum(at_k[n]) / len(at_k[n]), n),
        )
        kept, spent = i_epoch_kept(curves, order, k, budget)
        if kept:
            scored = [n for n in kept if n in finals]
            pick = max if goal == "max" else min
            best = pick(sorted(scored), key=lambda n: finals[n]) if scored else None
            points.append(FrontPoint(k, len(kept), len(curves), spent, best))
    return points


def i_epoch_kept(
    curves: Mapping[str, Sequence[Mapping]], order: Sequence[str], k: int, budget: int
) -> tuple[list[str], int]:
    """The i-Epoch baseline's cut at ``k``: every configuration has run k epochs; the first
    of ``order`` run to the end while the budget allows. Returns them and what was spent."""
    spent = sum(min(len(seed), k) for seeds in curves.values() for seed in seeds)
    kept: list[str] = []
    for name in order:
        more = sum(max(0, len(seed) - k) for seed in curves[name])
        if spent + more > budget:
            break
        spent += more
        kept.append(name)
    return kept, spent


def best_survivor(replay_: Replay, finals: Mapping[str, float], goal: str) -> str | None:
    """The configuration a sweep under the rule would have named best (by its final value)."""
    survivors = {n: v for n, v in finals.items() if n not in replay_.stopped_at}
    if not survivors:
        return None
    pick = max if goal == "max" else min
    return pick(sorted(survivors), key=lambda n: survivors[n])
