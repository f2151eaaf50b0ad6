"""Which sampled symbols mattered, and how sure that is: fANOVA importance with bootstrap intervals.

In a sampled or model-based sweep no two configurations differ in one symbol
only, so the like-for-like verdicts of :mod:`ksweep.analysis.marginals` have
nothing to compare. Importance answers instead: the share of the metric's
variance across configurations that each symbol explains, from Optuna's
fANOVA evaluator (:class:`optuna.importance.FanovaImportanceEvaluator`, a
random forest fitted to the configurations, Hutter et al. 2014), run on an
in-memory study built from the analysis's configurations (one trial per
configuration, its value the seed mean the ranking uses).

A point estimate from a dozen configurations is noise dressed as a number, so
each importance comes with a 95% interval: the evaluator is run again on
:data:`RESAMPLES` bootstrap resamples of the configurations (drawn with
replacement), each with its own forest seed: the importance shown is their median and
the interval their 2.5th to 97.5th percentiles (the bootstrap's duplicated
configurations make a forest split less, so the median, not the fit on all
data, is the estimate the interval belongs to). A symbol whose interval
reaches 0 may not matter at all.

Plain data in, plain data out; :func:`importance_lines` and
:func:`importance_markdown` render it for ``sweep_analysis.txt`` and
``report.md``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ksweep.analysis.core import Analysis
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.tolerant import load_json

RESAMPLES = 12  # bootstrap resamples (each a full fANOVA fit, ~0.5-1.5 s on 2 cores)
TREES = 16  # trees per forest: Optuna's default is 64, which costs 4x the time for little
MIN_CONFIGURATIONS = 6  # fewer, and a forest has nothing to split on


@dataclass(frozen=True)
class SymbolImportance:
    symbol: str
    importance: float  # share of the variance (0..1): the median over the resamples
    low: float  # 95% bootstrap interval
    high: float


@dataclass(frozen=True)
class Importance:
    metric: str
    configurations: int
    symbols: list[SymbolImportance]  # most important first
    method: str  # how it was computed, in words

    @property
    def names(self) -> list[str]:
        return [s.symbol for s in self.symbols]


def _distributions(analysis: Analysis, space: Sequence[dict] | None) -> dict[str, Any]:
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    by_symbol = {d["symbol"]: d for d in space or []}
    out: dict[str, Any] = {}
    for symbol in analysis.symbols:
        values = [g.settings.get(symbol) for g in analysis.ranking.ranked]
        values = [v for v in values if v is not None]
        dim = by_symbol.get(symbol, {})
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        if numeric and "low" in dim:
            low, high = float(dim["low"]), float(dim["high"])
            out[symbol] = FloatDistribution(
                min(low, *values), max(high, *values), log=bool(dim.get("log"))
            )
        elif numeric and values and min(values) < max(values):
            out[symbol] = FloatDistribution(float(min(values)), float(max(values)))
        elif len({str(v) for v in values}) > 1:
            out[symbol] = CategoricalDistribution(sorted({str(v) for v in values}))
    return out


def _study(analysis: Analysis, groups, distributions: dict[str, Any]):
    import optuna
    from optuna.distributions import CategoricalDistribution

    study = optuna.create_study(direction="maximize" if analysis.goal == "max" else "minimize")
    trials = []
    for group in groups:
        params = {}
        for symbol, dist in distributions.items():
            value = group.settings.get(symbol)
            if value is None:
                break
            params[symbol] = str(value) if isinstance(dist, CategoricalDistribution) else value
        else:
            trials.append(
                optuna.trial.create_trial(
                    params=params, distributions=distributions, value=group.metric.mean
                )
            )
    study.add_trials(trials)
    return study


def _evaluate(study, seed: int) -> dict[str, float]:
    import optuna

    evaluator = optuna.importance.FanovaImportanceEvaluator(n_trees=TREES, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = optuna.importance.get_param_importances(study, evaluator=evaluator)
    return {k: float(v) for k, v in found.items()}


def importance(
    analysis: Analysis, space: Sequence[dict] | None = None, resamples: int = RESAMPLES
) -> Importance | None:
    """Each swept symbol's importance with its 95% interval; None with too few configurations.

    ``space``: the plan's search space (``sweep_plan.json``'s ``search.space``), for each
    symbol's full interval and log scale; without it they are read off the values."""
    import numpy as np
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    groups = [g for g in analysis.ranking.ranked if g.metric.mean is not None]
    distributions = _distributions(analysis, space)
    if len(groups) < MIN_CONFIGURATIONS or not distributions:
        return None
    if len({round(g.metric.mean, 12) for g in groups}) < 2:
        return None  # every configuration scored the same: nothing to explain
    rng = np.random.default_rng(0)
    draws: dict[str, list[float]] = {s: [] for s in distributions}
    for k in range(resamples):
        picked = [groups[i] for i in rng.integers(0, len(groups), len(groups))]
        if len({round(g.metric.mean, 12) for g in picked}) < 2:
            continue
        for symbol, value in _evaluate(_study(analysis, picked, distributions), seed=k + 1).items():
            draws[symbol].append(value)
    if not any(draws.values()):  # every resample was degenerate: the full data, no interval
        for symbol, value in _evaluate(_study(analysis, groups, distributions), 0).items():
            draws[symbol].append(value)
    symbols = []
    for symbol in distributions:
        values = draws[symbol] or [0.0]
        middle, low, high = (float(q) for q in np.percentile(values, [50, 2.5, 97.5]))
        symbols.append(SymbolImportance(symbol, middle, low, high))
    symbols.sort(key=lambda s: -s.importance)
    method = (
        f"Optuna's fANOVA (FanovaImportanceEvaluator, {TREES} trees) on the "
        f"{len(groups)} configurations' seed means of {analysis.metric.name}; median and 95% "
        f"interval over {resamples} bootstrap resamples of the configurations"
    )
    return Importance(analysis.metric.name, len(groups), symbols, method)


def sweep_space(sweep_dir: Path) -> list[dict] | None:
    """The search space a sweep's plan recorded (None for a grid)."""
    plan = load_json(SweepFolder(Path(sweep_dir)).plan, dict).data or {}
    search = plan.get("search") or {}
    return search.get("space")


def importance_lines(result: Importance | None) -> list[str]:
    """The block for sweep_analysis.txt (empty when there is nothing to say)."""
    if result is None:
        return []
    lines = [f"SYMBOL IMPORTANCE ({result.metric}):", "-" * 40]
    width = max(len(s.symbol) for s in result.symbols)
    for s in result.symbols:
        maybe = "  (may be 0)" if s.low <= 0.01 else ""
        lines.append(
            f"  {s.symbol:<{width}}  {_pct(s.importance)}  95% [{_pct(s.low)}, {_pct(s.high)}]"
            f"{maybe}"
        )
    lines.append(f"  {result.method}.")
    return lines


def importance_markdown(result: Importance | None) -> str:
    """The table for report.md (empty when there is nothing to say)."""
    if result is None:
        return ""
    rows = ["| symbol | importance | 95% interval |", "|---|---:|---|"]
    for s in result.symbols:
        rows.append(f"| `{s.symbol}` | {_pct(s.importance)} | {_pct(s.low)} to {_pct(s.high)} |")
    return "## Symbol importance\n\n" + "\n".join(rows) + f"\n\n{result.method}.\n"


def _pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{100 * value:5.1f}%"
