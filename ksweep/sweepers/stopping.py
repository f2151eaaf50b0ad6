"""Early-stopping rules: asynchronous successive halving, the median rule, and top-k.

Every rule decides about a *configuration* (its seeds together) at a *rung*
epoch, from the trials' own curves, and is a pure function of them: no
hidden state, so a resumed sweep makes the same decisions as one that was
never interrupted. What makes that true whatever the scheduling is the order
a configuration is judged against: only the configurations before it (in
judging order) and itself, for ASHA and the median rule, and every
configuration, for top-k. When every configuration is listed up front (a
grid, a sample, a folder), a rule also waits for its *cohort*: ASHA judges a
rung only once the first ``factor`` configurations (in judging order) are
there, as ASHA promotes only from a rung holding at least ``factor``
configurations; the median rule once ``min_configs`` others are. Without it
the first configurations judged meet no one and always go on (measured on
``python -m ksweep.bench early_stop``'s grid, ASHA with factor 4: 71% of the
trial-epochs without the cohort, 44% with it). Waiting costs no work: a
paused trial checkpoints and exits. A model-based search draws its
configurations one by one, so there the rule never waits for one not yet
drawn. Judging order is the order the caller lists the configurations in:
name order for a sampled or model-based search (its draws are in random
order already), :func:`spread` order for a grid. When one of
those has not yet reached the rung, the verdict is "wait" (the trial pauses at
its epoch boundary and gives its slot to another trial until the others catch
up), never a guess.

* ``asha``: rungs at ``grace * factor**i`` epochs (below NUM_EPOCHS); at a
  rung, a configuration continues if it is in the top ``1/factor`` of the
  configurations judged there so far, its cohort at least (Li et al., 2020,
  with a fixed order).
* ``median``: from ``warmup`` epochs on, at every epoch, a configuration is
  stopped below the median of the configurations before it at that epoch,
  once at least ``min_configs`` are there (Golovin et al., 2017).
* ``topk``: the naive baseline; everything runs ``k`` epochs, then the top
  ``keep`` fraction continues.

The noise is the analysis's one model (:mod:`ksweep.analysis.noise`): the
seeds' variance at the rung pooled over the configurations judged there.
With seeds, a configuration is stopped only when its whole 95% interval at
the rung lies beyond the threshold, and the best configuration at a rung is
never stopped: early stopping must not kill a promising configuration on a
noisy curve.

**One seed per configuration** gives no noise estimate, so there is no
interval to put past the threshold: the rule is then the published one on
single values (stop when the value is worse than the threshold), and its
decision says "no noise estimate" so that neither the analysis nor the audit
calls such a stop safe from noise.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field

from ksweep.analysis.metrics import METRICS
from ksweep.analysis.noise import pool, with_noise
from ksweep.analysis.stats import summarize

RULES = ("none", "asha", "median", "topk")
CONTINUE, STOP, WAIT = "continue", "stop", "wait"
# The metrics ksweep's trainer streams every epoch: of its own, the only ones a rule can
# judge at a rung. A metric a script reports is judged from its epochs' rows.
EPOCH_METRICS = ("val/acc", "val/loss", "test_acc", "train/loss", "train/acc")
SUMMARY_ONLY = frozenset(METRICS) - set(EPOCH_METRICS)  # ksweep's trainer's final-only figures


@dataclass(frozen=True)
class RuleSettings:
    """A rule and its parameters (defaults as Ray Tune's ASHAScheduler documents them)."""

    rule: str = "none"
    grace: int = 1  # epochs before the first rung
    factor: int = 4  # reduction factor: keep the top 1/factor at each rung
    warmup: int = 1  # median rule: epochs before it judges
    min_configs: int = 3  # median rule: configurations to compare with, at least
    k: int = 1  # top-k: epochs everything runs
    keep: float = 0.25  # top-k: fraction that continues

    def check(self) -> list[str]:
        problems = []
        if self.rule not in RULES:
            problems.append(f"EARLY_STOP={self.rule} is not one of {', '.join(RULES)}")
        for name in ("grace", "warmup", "min_configs", "k"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be 1 or more, found {getattr(self, name)}")
        if self.factor < 2:
            problems.append(f"the reduction factor must be 2 or more, found {self.factor}")
        if not 0 < self.keep < 1:
            problems.append(f"the top-k share kept must be above 0 and below 1, found {self.keep}")
        return problems

    def cohort(self, configurations: int) -> int:
        """How many configurations (the first in judging order) a rung is judged among, at
        least, when all are listed up front."""
        if self.rule == "asha":
            return self.factor
        if self.rule == "median":
            return self.min_configs + 1
        return configurations

    def rungs(self, epochs: int) -> list[int]:
        """The epochs at which configurations are judged (never the last one)."""
        if self.rule == "asha":
            found, rung = [], self.grace
            while rung < epochs:
                found.append(rung)
                rung *= self.factor
            return found
        if self.rule == "median":
            return list(range(self.warmup, epochs))
        if self.rule == "topk":
            return [self.k] if self.k < epochs else []
        return []


def seeds_settled(reached: int, ended_at: Sequence[int | None], seeds: int, epoch: int) -> bool:
    """Whether a configuration's values at ``epoch`` are final: ``reached`` of its ``seeds``
    reported it and the others ended before it (``ended_at``: each seed's last epoch, None
    while it may still go on)."""
    ended_before = sum(1 for end in ended_at if end is not None and end < epoch)
    return reached + ended_before >= seeds


@dataclass(frozen=True)
class ConfigCurve:
    """One configuration's seeds: their metric at each epoch they reached, and how far each
    can still go (None: still running or not started; an int: it ended at that epoch)."""

    name: str  # the first member's config name
    values: dict[int, tuple[float, ...]]  # epoch -> the metric of each seed that reached it
    seeds: int  # trials in the configuration
    ended_at: tuple[int | None, ...] = field(default=())  # per seed: last epoch, if it ended

    def settled(self, epoch: int) -> bool:
        """Whether its value at ``epoch`` is final: every seed reached it or ended before."""
        return seeds_settled(len(self.values.get(epoch, ())), self.ended_at, self.seeds, epoch)

    def at(self, epoch: int):
        return summarize(self.values.get(epoch, ()))


def spread(names: Sequence[str]) -> list[str]:
    """``names`` (a grid's configurations, in name order) in the order early stopping judges
    and starts them: by the base-2 radical inverse of their position (0, 8, 4, 12, 2, ...
    of 16).

    A grid lists each symbol's values in order, so in name order an ascending
    learning-rate grid is judged from one end: each configuration beats every one
    before it and none can be stopped (measured: in name order ASHA ran 260 of the
    288 trial-epochs of ``python -m ksweep.bench early_stop``'s grid). In
    radical-inverse order the first few configurations already span the grid, so
    later ones meet a fair reference at every rung; being a fixed function of the
    positions, it is the same on every run and resume.
    """

    def radical_inverse(index: int) -> float:
        value, weight = 0.0, 0.5
        while index:
            if index & 1:
                value += weight
            index >>= 1
            weight /= 2
        return value

    return [name for _, name in sorted((radical_inverse(i), n) for i, n in enumerate(names))]


def judged_among(settings: RuleSettings, ordered: Sequence, subject: str, listed: bool) -> list:
    """The configurations (in judging order, ``subject`` among them) a verdict at a rung
    compares ``subject`` with: those before it, or all of them for top-k, and, when every
    configuration is ``listed`` up front, at least the rule's cohort (see the module)."""
    index = next(i for i, c in enumerate(ordered) if c.name == subject)
    cohort = settings.cohort(len(ordered)) if listed or settings.rule == "topk" else 1
    return list(ordered[: max(index + 1, cohort)])


@dataclass(frozen=True)
class Verdict:
    action: str  # CONTINUE, STOP or WAIT
    evidence: dict = field(default_factory=dict)


def _beyond(summary, threshold: float, goal: str) -> bool:
    """Whether the whole interval of ``summary`` is worse than ``threshold``."""
    if goal == "max":
        return summary.high is not None and summary.high < threshold
    return summary.low is not None and summary.low > threshold


def verdict(
    settings: RuleSettings,
    configs: Sequence[ConfigCurve],
    subject: str,
    epoch: int,
    metric: str,
    goal: str,
    listed: bool = True,
) -> Verdict:
    """What to do with configuration ``subject`` at ``epoch`` (one of its pause epochs);
    ``configs`` in judging order. ``listed``: every configuration of the sweep is in
    ``configs`` already (not a model-based search), so the rule may wait for its cohort."""
    ordered = list(configs)
    peers = judged_among(settings, ordered, subject, listed)
    if not all(c.settled(epoch) for c in peers):
        return Verdict(WAIT)
    noise = pool([c.values[epoch] for c in peers if c.values.get(epoch)])
    scored = [(c.name, with_noise(c.at(epoch), noise)) for c in peers if c.values.get(epoch)]
    me = with_noise(next(c for c in peers if c.name == subject).at(epoch), noise)
    if me.mean is None:
        return Verdict(CONTINUE)
    sign = -1.0 if goal == "max" else 1.0
    ranked = sorted(scored, key=lambda item: (sign * item[1].mean, item[0]))
    if settings.rule == "median":
        others = [s.mean for name, s in scored if name != subject]
        if len(others) < settings.min_configs:
            return Verdict(CONTINUE)
        threshold = statistics.median(others)
        reason = f"the median of the {len(others)} configurations before it"
    else:
        share = 1 / settings.factor if settings.rule == "asha" else settings.keep
        kept = max(1, math.ceil(len(ranked) * share))
        threshold = ranked[kept - 1][1].mean
        which = "judged at this rung so far" if settings.rule == "asha" else "in the sweep"
        reason = f"the top {kept} of the {len(ranked)} configurations {which}"
    evidence = {
        "rule": settings.rule,
        "epoch": epoch,
        "metric": metric,
        "goal": goal,
        "value": me.mean,
        "interval": [me.low, me.high],
        "threshold": threshold,
        "threshold_is": reason,
        "noise": noise.describe(),
        "compared": {name: s.mean for name, s in scored},
    }
    best = ranked[0][0]
    if subject == best or not _beyond(me, threshold, goal):
        return Verdict(CONTINUE, evidence)
    seeds = (
        f" (n={me.n}, 95% interval {me.low:.4g} to {me.high:.4g}, {noise.describe()})"
        if me.has_interval
        else " (one seed per configuration: no noise estimate, a single value against it)"
    )
    evidence["summary"] = (
        f"stopped by {settings.rule} at epoch {epoch}: {metric} {me.mean:.4g}{seeds} is "
        f"{'below' if goal == 'max' else 'above'} {threshold:.4g}, {reason}"
    )
    return Verdict(STOP, {**evidence, "state": "pruned"})
