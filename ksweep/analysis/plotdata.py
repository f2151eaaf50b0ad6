"""What every figure shows, as plain data: values, labels, error bars, which bar is best.

Plots are computed here by pure functions and only drawn by :mod:`plots`,
so tests can check the numbers a person will see (the best bar is the best
configuration, error bars are the 95% intervals, labels name the varying
symbols) without rendering anything. Values are in display units: percent
for accuracies and sparsity, seconds for time. The whiskers are the metric's
clipped 95% intervals, so an accuracy axis never runs past 100%. A
configuration whose trials finished without recording the metric is drawn
"not recorded", never as a failure. The per-epoch figures (curves, scree)
live in :mod:`ksweep.analysis.curvedata` and are re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ksweep.analysis.core import Analysis
from ksweep.analysis.curvedata import (
    CURVE_KEYS,
    LOG_SPAN,
    CurveChart,
    CurvePanel,
    ScreeChart,
    ScreePanel,
    Series,
    curves,
    scree,
    smooth,
)
from ksweep.analysis.labels import group_label, short_symbol, shown
from ksweep.analysis.marginals import SymbolEffect
from ksweep.analysis.metrics import WALL_TIME, MetricSpec
from ksweep.analysis.stats import Group, Summary, summarize

__all__ = [
    "CURVE_KEYS",
    "LOG_SPAN",
    "CurveChart",
    "CurvePanel",
    "ScreeChart",
    "ScreePanel",
    "Series",
    "curves",
    "scree",
    "smooth",
]

BEST, TIED, OTHER, FAILED, MISSING = "best", "tied", "other", "failed", "not recorded"
KINDS = (BEST, TIED, OTHER, FAILED, MISSING)
KIND_LEGEND = {
    BEST: "best by mean {metric}",
    TIED: "within noise of the best (95% intervals overlap)",
    OTHER: "measurably worse than the best",
    FAILED: "every seed failed: no value",
    MISSING: "{metric} not recorded by these trials",
}
SINGLE_SEED_LEGEND = {
    BEST: "best by {metric} (single run: no noise estimate)",
    TIED: "exactly equal to the best",
    OTHER: "other configurations",
    FAILED: "failed: no value",
    MISSING: "{metric} not recorded by these trials",
}


@dataclass(frozen=True)
class Bar:
    label: str  # the configuration, by its varying values
    name: str  # config_004
    value: float | None  # None: no completed seed
    low: float | None  # whisker ends (the metric's 95% interval; a time's fastest..slowest seed)
    high: float | None  # None without two seeds
    points: tuple[float, ...]  # the single seeds, drawn as dots
    kind: str  # BEST, TIED, OTHER or FAILED
    text: str  # printed at the end of the bar: "97.22 +- 0.48 (n=3)"


@dataclass(frozen=True)
class BarChart:
    title: str
    subtitle: str
    value_label: str  # the value axis, with its unit
    bars: list[Bar]  # top to bottom
    legend: dict[str, str]  # kind -> what it means, for the kinds present
    upper: float | None = None  # a natural end of the value axis (100 for percentages)
    best_tag: str = "(best)"  # printed after the best bar's value

    @property
    def labels(self) -> list[str]:
        return [b.label for b in self.bars]

    @property
    def values(self) -> list[float | None]:
        return [b.value for b in self.bars]

    @property
    def best_index(self) -> int | None:
        return next((i for i, b in enumerate(self.bars) if b.kind == BEST), None)


def _scaled(metric: MetricSpec, value: float | None) -> float | None:
    return None if value is None else value * metric.scale


def _bar_text(metric: MetricSpec, mean: float | None, std: float | None, n: int) -> str:
    if mean is None:
        return "failed"
    if n < 2 or std is None:
        return metric.shown(mean)
    # "sd" says which spread the text gives; the whiskers are the 95% interval (the caption).
    return f"{metric.shown(mean)} (sd {metric.spread(std)}, n={n})"


def _interval(metric: MetricSpec, summary: Summary) -> tuple[float | None, float | None]:
    """The 95% interval in display units, or (None, None) without two values."""
    if not summary.has_interval:
        return None, None
    return _scaled(metric, summary.low), _scaled(metric, summary.high)


def _spread(summary: Summary) -> tuple[float | None, float | None]:
    """Fastest to slowest: a time's whiskers (an interval of times could dip below zero)."""
    if summary.n < 2:
        return None, None
    return min(summary.values), max(summary.values)


def _kind(analysis: Analysis, group: Group) -> str:
    ranking = analysis.ranking
    if group.metric.mean is None:
        return MISSING if group.unrecorded else FAILED
    if group is ranking.best:
        return BEST
    return TIED if ranking.is_tied(group) else OTHER


def _ordered(analysis: Analysis) -> list[Group]:
    return analysis.ranking.every


def _legend(analysis: Analysis, kinds: set[str]) -> dict[str, str]:
    words = KIND_LEGEND if analysis.ranking.replicated else SINGLE_SEED_LEGEND
    return {
        kind: words[kind].format(metric=analysis.metric.name) for kind in KINDS if kind in kinds
    }


def _seed_note(analysis: Analysis) -> str:
    if analysis.ranking.replicated:
        per = "/".join(str(n) for n in analysis.ranking.seeds_per_configuration())
        return (
            f"mean of {per} seeds per configuration; whiskers: 95% interval of the mean; "
            "sd in the numbers: standard deviation of the seeds; dots: single seeds"
        )
    return "one seed per configuration: no error bars (no noise estimate)"


def _no_value(group: Group) -> str:
    if group.unrecorded:
        return "not recorded"
    return f"failed: {len(group.not_counted)} of {len(group.records)} seeds, no value"


def metric_bars(analysis: Analysis) -> BarChart:
    """The ranking metric per configuration, best on top, error bars from the seeds."""
    metric = analysis.metric
    bars = []
    for group in _ordered(analysis):
        summary = group.metric
        low, high = _interval(metric, summary)
        bars.append(
            Bar(
                label=group_label(group),
                name=group.name,
                value=_scaled(metric, summary.mean),
                low=low,
                high=high,
                points=tuple(v * metric.scale for v in summary.values) if summary.n > 1 else (),
                kind=_kind(analysis, group),
                text=_bar_text(metric, summary.mean, summary.std, summary.n)
                if summary.mean is not None
                else _no_value(group),
            )
        )
    return BarChart(
        title=f"{metric.label} per configuration ({metric.direction(analysis.goal)})",
        subtitle=_seed_note(analysis),
        value_label=metric.axis_label(),
        bars=bars,
        legend=_legend(analysis, {b.kind for b in bars}),
        upper=100.0 if metric.unit == "%" else None,
    )


def wall_time_bars(analysis: Analysis) -> BarChart:
    """Wall time per trial for each configuration, in the ranking's order (failed seeds count:
    their time was spent too)."""
    bars = []
    total = 0.0
    trials = 0
    for group in _ordered(analysis):
        walls = summarize([r.get("wall_time") for r in group.records])
        total += sum(walls.values)
        trials += walls.n
        low, high = _spread(walls)
        bars.append(
            Bar(
                label=group_label(group),
                name=group.name,
                value=walls.mean,
                low=low,
                high=high,
                points=walls.values if walls.n > 1 else (),
                kind=_kind(analysis, group),
                text=_bar_text(WALL_TIME, walls.mean, walls.std, walls.n)
                if walls.mean is not None
                else "no time recorded",
            )
        )
    return BarChart(
        title="Wall time per trial, by configuration (same order as the ranking)",
        subtitle=f"total {WALL_TIME.shown(total)} for {trials} trials; whiskers: fastest to "
        "slowest seed; colours as in the metric chart",
        value_label="wall time per trial (s)",
        bars=bars,
        legend=_legend(analysis, {b.kind for b in bars}),
        best_tag=f"(best {analysis.metric.name})",
    )


@dataclass(frozen=True)
class Point:
    label: str
    name: str
    x: float  # mean wall time per trial (s)
    y: float  # mean metric, display units
    x_range: tuple[float, float] | None  # fastest and slowest seed
    y_range: tuple[float, float] | None  # the metric's 95% interval
    kind: str


@dataclass(frozen=True)
class ScatterChart:
    title: str
    subtitle: str
    xlabel: str
    ylabel: str
    points: list[Point]
    legend: dict[str, str]


def metric_vs_time(analysis: Analysis) -> ScatterChart:
    """Each configuration's mean metric against its mean wall time: what accuracy costs."""
    metric = analysis.metric
    points = []
    for group in analysis.ranking.ranked:
        wall = group.summary("wall_time")
        if wall.mean is None:
            continue
        x_low, x_high = _spread(wall)
        y_low, y_high = _interval(metric, group.metric)
        points.append(
            Point(
                label=group_label(group),
                name=group.name,
                x=wall.mean,
                y=group.metric.mean * metric.scale,  # type: ignore[operator]
                x_range=None if x_low is None else (x_low, x_high),  # type: ignore[arg-type]
                y_range=None if y_low is None else (y_low, y_high),  # type: ignore[arg-type]
                kind=_kind(analysis, group),
            )
        )
    return ScatterChart(
        title=f"{metric.label} against wall time per trial",
        subtitle=(
            f"mean over seeds; vertical whiskers: 95% interval of the {metric.name} mean; "
            "horizontal: fastest to slowest seed"
            if analysis.ranking.replicated
            else _seed_note(analysis)
        ),
        xlabel="mean wall time per trial (s)",
        ylabel=metric.axis_label(),
        points=points,
        legend=_legend(analysis, {p.kind for p in points}),
    )


@dataclass(frozen=True)
class MarginalChart:
    symbol: str
    title: str
    subtitle: str  # the verdict in words
    xlabel: str
    ylabel: str
    levels: list[str]  # the symbol's values, as written
    means: list[float | None]
    texts: list[str]  # each mean as printed: "79.07%"
    points: list[tuple[float, ...]]  # every completed trial with that value
    best_index: int | None
    empty: list[str] = field(default_factory=list)  # per value without a mean: why not


def marginal(analysis: Analysis, effect: SymbolEffect) -> MarginalChart:
    """One swept symbol: the metric averaged over everything else, for each of its values.

    The value drawn as best is the best configuration's, as in the text: a value's mean
    can be dragged down by one dead setting of another symbol."""
    metric = analysis.metric
    levels = [shown(level.value) for level in effect.levels]
    means = [_scaled(metric, level.summary.mean) for level in effect.levels]
    best = next(
        (i for i, level in enumerate(effect.levels) if level.value == effect.best_value), None
    )
    return MarginalChart(
        symbol=effect.symbol,
        title=f"{effect.symbol}: mean {metric.label} for each value",
        subtitle=effect.sentence(),
        xlabel=effect.symbol,
        ylabel=f"mean {metric.axis_label()}",
        levels=levels,
        means=means,
        texts=[metric.shown(level.summary.mean) for level in effect.levels],
        points=[tuple(v * metric.scale for v in level.summary.values) for level in effect.levels],
        best_index=best if any(m is not None for m in means) else None,
        empty=[_empty_level(analysis, effect.symbol, level.value) for level in effect.levels],
    )


def _empty_level(analysis: Analysis, symbol: str, value) -> str:
    """Why a value has no mean: its trials did not record the metric, or none completed."""
    groups = [g for g in analysis.groups if g.settings.get(symbol) == value]
    return "not recorded" if any(g.completed for g in groups) else "no completed\ntrial"


@dataclass(frozen=True)
class Figures:
    """Every chart of one sweep, ready to render."""

    bars: BarChart
    wall_time: BarChart
    vs_time: ScatterChart
    curves: CurveChart
    marginals: list[MarginalChart] = field(default_factory=list)
    scree: ScreeChart | None = None
    scree_normalized: ScreeChart | None = None


def figures(
    analysis: Analysis,
    epochs: dict[str, list[dict]],
    spectra: dict[str, dict[str, list[float]]],
) -> Figures:
    return Figures(
        bars=metric_bars(analysis),
        wall_time=wall_time_bars(analysis),
        vs_time=metric_vs_time(analysis),
        curves=curves(analysis, epochs),
        marginals=[marginal(analysis, e) for e in analysis.effects],
        scree=scree(analysis, spectra, normalize=False),
        scree_normalized=scree(analysis, spectra, normalize=True),
    )


def symbol_file(symbol: str) -> str:
    """``CONFIG_LEARNING_RATE`` -> ``marginal_learning_rate.png``."""
    return f"marginal_{short_symbol(symbol).lower()}.png"
