"""What every figure shows, as plain data: values, labels, error bars, which bar is best.

Plots are computed here by pure functions and only drawn by :mod:`plots`,
so tests can check the numbers a person will see (the best bar is the best
configuration, error bars are the 95% intervals, labels name the varying
symbols) without rendering anything. Values are in display units: percent
for accuracies and sparsity, seconds for time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ksweep.analysis.core import Analysis
from ksweep.analysis.labels import group_label, short_symbol, shown
from ksweep.analysis.marginals import SymbolEffect
from ksweep.analysis.metrics import WALL_TIME, MetricSpec
from ksweep.analysis.stats import Group, Summary, summarize

BEST, TIED, OTHER, FAILED = "best", "tied", "other", "failed"
KIND_LEGEND = {
    BEST: "best by mean {metric}",
    TIED: "within noise of the best (95% intervals overlap)",
    OTHER: "measurably worse than the best",
    FAILED: "every seed failed: no value",
}
SINGLE_SEED_LEGEND = {
    BEST: "best by {metric} (single run: no noise estimate)",
    TIED: "exactly equal to the best",
    OTHER: "other configurations",
    FAILED: "failed: no value",
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
    return f"{metric.shown(mean)} ± {metric.spread(std)} (n={n})"


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
        return FAILED
    if group is ranking.best:
        return BEST
    return TIED if ranking.is_tied(group) else OTHER


def _ordered(analysis: Analysis) -> list[Group]:
    return analysis.ranking.ranked + analysis.ranking.unranked


def _legend(analysis: Analysis, kinds: set[str]) -> dict[str, str]:
    words = KIND_LEGEND if analysis.ranking.replicated else SINGLE_SEED_LEGEND
    return {
        kind: words[kind].format(metric=analysis.metric.name)
        for kind in (BEST, TIED, OTHER, FAILED)
        if kind in kinds
    }


def _seed_note(analysis: Analysis) -> str:
    if analysis.ranking.replicated:
        per = "/".join(str(n) for n in analysis.ranking.seeds_per_configuration())
        return (
            f"mean of {per} seeds per configuration; whiskers: 95% interval of the mean; "
            "dots: single seeds"
        )
    return "one seed per configuration: no error bars (no noise estimate)"


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
                else f"failed: {len(group.failed)} of {len(group.records)} seeds, no value",
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


def marginal(analysis: Analysis, effect: SymbolEffect) -> MarginalChart:
    """One swept symbol: the metric averaged over everything else, for each of its values."""
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
    )


@dataclass(frozen=True)
class Series:
    label: str  # the configuration's label; shown in the legend once per configuration
    x: tuple[float, ...]
    y: tuple[float, ...]
    color: int  # index of the configuration in the ranking: one colour per configuration
    in_legend: bool  # only the first seed of a configuration carries the label
    best: bool


@dataclass(frozen=True)
class CurvePanel:
    title: str
    ylabel: str
    series: list[Series]
    log_y: bool


@dataclass(frozen=True)
class CurveChart:
    title: str
    subtitle: str
    xlabel: str
    panels: list[CurvePanel]
    smoothing: float


# key -> (panel title, axis label, scale to display units)
CURVE_KEYS = {
    "val/loss": ("Validation loss", "validation loss (cross-entropy)", 1.0),
    "val/acc": ("Validation accuracy", "validation accuracy (%)", 1.0),
    "train/loss": ("Training loss", "training loss (cross-entropy)", 1.0),
    "train/acc": ("Training accuracy", "training accuracy (%)", 1.0),
    "test_acc": ("Test accuracy", "test accuracy (%)", 1.0),
}


def smooth(values: Sequence[float], weight: float) -> list[float]:
    """TensorBoard's debiased exponential moving average; weight 0 returns the values."""
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing must be in [0, 1), got {weight}")
    if weight == 0.0:
        return list(values)
    out, last = [], 0.0
    for step, value in enumerate(values, start=1):
        last = last * weight + (1.0 - weight) * value
        out.append(last / (1.0 - weight**step))
    return out


def curves(
    analysis: Analysis,
    epochs: dict[str, list[dict]],
    keys: Sequence[str] = ("val/loss", "val/acc"),
    smoothing: float = 0.0,
    log_y: Sequence[str] = ("val/loss",),
) -> CurveChart:
    """Per-epoch curves of every trial on one chart, a panel per key, a colour per
    configuration (its seeds share the colour). ``epochs`` maps config_file -> epoch rows."""
    panels = []
    for key in keys:
        title, ylabel, scale = CURVE_KEYS.get(key, (key, key, 1.0))
        series = []
        for color, group in enumerate(_ordered(analysis)):
            labelled = False
            for record in group.records:
                rows = epochs.get(record.get("config_file", ""), [])
                pairs = [
                    (float(r["epoch"]), float(r[key]) * scale)
                    for r in rows
                    if isinstance(r.get(key), int | float)
                    and math.isfinite(r[key])
                    and isinstance(r.get("epoch"), int | float)
                ]
                if not pairs:
                    continue
                xs, ys = zip(*pairs, strict=True)
                series.append(
                    Series(
                        label=group_label(group),
                        x=tuple(xs),
                        y=tuple(smooth(ys, smoothing)),
                        color=color,
                        in_legend=not labelled,
                        best=group is analysis.ranking.best,
                    )
                )
                labelled = True
        log = key in log_y and bool(series) and all(v > 0 for s in series for v in s.y)
        panels.append(CurvePanel(title, ylabel + (", log scale" if log else ""), series, log))
    note = "one line per trial, one colour per configuration; thick line: the best configuration"
    if smoothing:
        note += f"; smoothed (EMA {smoothing:g})"
    return CurveChart(
        title="Validation curves of every trial",
        subtitle=note,
        xlabel="epoch",
        panels=panels,
        smoothing=smoothing,
    )


@dataclass(frozen=True)
class ScreePanel:
    layer: str
    series: list[Series]  # x: rank 1..k, y: singular value (or value / largest)


@dataclass(frozen=True)
class ScreeChart:
    title: str
    subtitle: str
    xlabel: str
    ylabel: str
    panels: list[ScreePanel]
    normalized: bool
    log_y: bool


# A scree plot goes on a log axis only when its values span this factor or more: the top
# few singular values of a layer often lie within a factor of two, where a log axis shows
# no ticks at all.
LOG_SPAN = 20.0


def scree(
    analysis: Analysis,
    spectra: dict[str, dict[str, list[float]]],
    normalize: bool = False,
    log_y: bool | None = None,
) -> ScreeChart | None:
    """Top singular values per layer (one panel per layer, a line per configuration, from its
    lowest-seed completed trial); None when no trial recorded spectral diagnostics.

    ``normalize`` divides each line by its largest value (sigma_i / sigma_1, in [0, 1]);
    ``log_y`` None means: a log axis when the values span a factor of LOG_SPAN or more."""
    layers: list[str] = []
    for layer_values in spectra.values():
        layers.extend(layer for layer in layer_values if layer not in layers)
    if not layers:
        return None
    panels = []
    for layer in layers:
        series = []
        for color, group in enumerate(_ordered(analysis)):
            source = group.representative()
            values = spectra.get(source.get("config_file", ""), {}).get(layer)
            if not values:
                continue
            top = values[0]
            ys = [v / top for v in values] if normalize and top > 0 else list(values)
            series.append(
                Series(
                    label=group_label(group),
                    x=tuple(float(i) for i in range(1, len(ys) + 1)),
                    y=tuple(ys),
                    color=color,
                    in_legend=True,
                    best=group is analysis.ranking.best,
                )
            )
        panels.append(ScreePanel(layer, series))
    if log_y is None:
        positive = [v for p in panels for s in p.series for v in s.y if v > 0]
        log_y = bool(positive) and max(positive) / min(positive) >= LOG_SPAN
    if log_y:  # a zero cannot sit on a log axis: floor it far below every real value
        panels = [
            ScreePanel(p.layer, [replace(s, y=tuple(max(v, 1e-12) for v in s.y)) for s in p.series])
            for p in panels
        ]
    ylabel = (
        "$\\sigma_i / \\sigma_1$ (singular value / largest)"
        if normalize
        else ("singular value $\\sigma_i$")
    )
    return ScreeChart(
        title="Scree plot: top singular values of each layer's weights"
        + (", normalised" if normalize else ""),
        subtitle="one line per configuration (its lowest seed); thick line: the best"
        + ("; each line divided by its largest value" if normalize else ""),
        xlabel="rank i (1 = largest)",
        ylabel=ylabel + (", log scale" if log_y else ""),
        panels=panels,
        normalized=normalize,
        log_y=log_y,
    )


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
