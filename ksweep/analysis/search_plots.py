"""Seeing a search: the metric against each sampled symbol, and the best value so far.

Two figures a grid does not need and a search does:

* **metric vs symbol**, one per searched symbol: every completed trial as a
  dot at its value (a log axis for a log-sampled symbol, categories for a
  choice), the best configuration's trials in the best colour, so the region
  the search liked and how flat the metric is around it can be read at once;
* **best so far**, the best configuration mean against trials run, in the
  order the search proposed them (config numbers), with each configuration's
  own mean as a dot: how fast a search converged, and whether more trials
  would have helped.

As in :mod:`ksweep.analysis.plotdata`, the data are computed by pure
functions (values in display units) and only the ``render_*`` functions draw,
in the style of :mod:`ksweep.analysis.plots` (which they reuse), importing
matplotlib when called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ksweep.analysis.core import Analysis
from ksweep.analysis.labels import short_symbol
from ksweep.sweep.states import is_completed


@dataclass(frozen=True)
class SymbolScatter:
    """One symbol of a search: each completed trial's metric at its value."""

    symbol: str
    title: str
    subtitle: str
    xlabel: str
    ylabel: str
    log: bool  # a log-sampled symbol: a log x axis
    categories: list[str] | None  # a choice: its values in order; None: a numeric axis
    xs: list[float | str]
    ys: list[float]
    best: list[bool]  # the trial belongs to the best configuration

    def file_name(self) -> str:
        return f"search_{short_symbol(self.symbol).lower()}.png"


@dataclass(frozen=True)
class BestSoFar:
    """The best configuration mean after each configuration finished, against trials run."""

    title: str
    subtitle: str
    ylabel: str
    trials: list[int]  # trials run when each configuration was complete
    values: list[float | None]  # that configuration's mean (None: every seed failed)
    best: list[float | None]  # the best mean so far


def _scaled(analysis: Analysis, value: float | None) -> float | None:
    return None if value is None else value * analysis.metric.scale


def metric_vs_symbols(
    analysis: Analysis, space: Sequence[dict] | None = None
) -> list[SymbolScatter]:
    """One scatter per swept symbol; ``space`` (the plan's search space) says which are log."""
    dims = {d["symbol"]: d for d in space or []}
    best = analysis.ranking.best
    best_names = set(best.members) if best is not None else set()
    metric = analysis.metric
    charts = []
    for symbol in analysis.symbols:
        rows = [
            (r.get(symbol), _scaled(analysis, r.get(metric.name)), r.get("config_file"))
            for r in analysis.records
            if is_completed(r) and r.get(symbol) is not None and r.get(metric.name) is not None
        ]
        if not rows:
            continue
        numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x, _, _ in rows)
        dim = dims.get(symbol, {})
        categories = None if numeric else list(dict.fromkeys(str(x) for x, _, _ in rows))
        log = bool(dim.get("log")) and numeric
        drawn = dim.get("form") or ("values" if not numeric else "grid")
        charts.append(
            SymbolScatter(
                symbol=symbol,
                title=f"{metric.label} against {short_symbol(symbol)}",
                subtitle=(
                    f"{len(rows)} completed trials; {symbol} drawn as {drawn}"
                    + ("; log axis" if log else "")
                    + "; the best configuration's trials in green"
                ),
                xlabel=symbol,
                ylabel=metric.axis_label(),
                log=log,
                categories=categories,
                xs=[x if numeric else str(x) for x, _, _ in rows],
                ys=[y for _, y, _ in rows],  # type: ignore[misc]
                best=[name in best_names for _, _, name in rows],
            )
        )
    return charts


def best_so_far(analysis: Analysis) -> BestSoFar:
    """Configurations in proposal order (their config numbers): trials run, mean, best so far."""
    groups = sorted(analysis.groups, key=lambda g: g.name)
    sign = 1.0 if analysis.goal == "max" else -1.0
    trials, values, best = [], [], []
    run, current = 0, None
    for group in groups:
        run += len(group.records)
        mean = _scaled(analysis, group.metric.mean)
        if mean is not None and (current is None or sign * mean > sign * current):
            current = mean
        trials.append(run)
        values.append(mean)
        best.append(current)
    metric = analysis.metric
    return BestSoFar(
        title=f"Best {metric.label} so far",
        subtitle=(
            f"{len(groups)} configurations in the order the search proposed them; "
            f"{metric.direction(analysis.goal)}"
        ),
        ylabel=metric.axis_label(),
        trials=trials,
        values=values,
        best=best,
    )


def render_symbol(chart: SymbolScatter, path: Path) -> Path:
    """Draw one :class:`SymbolScatter` into ``path`` (PNG, written atomically)."""
    from matplotlib.lines import Line2D

    from ksweep.analysis.plots import BEST, COLORS, OTHER, _below, _titles, plt, save

    fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
    if chart.categories is not None:
        xs = [chart.categories.index(str(x)) for x in chart.xs]
        ax.set_xticks(range(len(chart.categories)), chart.categories)
    else:
        xs = list(chart.xs)  # type: ignore[arg-type]
        if chart.log:
            ax.set_xscale("log")
    colors = [COLORS[BEST] if b else COLORS[OTHER] for b in chart.best]
    ax.scatter(xs, chart.ys, c=colors, s=36, edgecolors="black", linewidths=0.6, zorder=3)
    ax.set_xlabel(chart.xlabel)
    ax.set_ylabel(chart.ylabel)
    ax.grid(alpha=0.3)
    ax.set_axisbelow(True)
    _titles(fig, ax, chart.title, chart.subtitle)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=COLORS[kind], markeredgecolor="black",
               label=text)
        for kind, text in ((BEST, "a trial of the best configuration"), (OTHER, "other trials"))
    ]  # fmt: skip
    _below(fig, handles)
    return save(fig, path)


def render_best_so_far(chart: BestSoFar, path: Path) -> Path:
    """Draw one :class:`BestSoFar` into ``path`` (PNG, written atomically)."""
    from matplotlib.lines import Line2D

    from ksweep.analysis.plots import BEST, COLORS, OTHER, _below, _titles, plt, save

    fig, ax = plt.subplots(figsize=(9, 5.5), layout="constrained")
    points = [(t, v) for t, v in zip(chart.trials, chart.values, strict=True) if v is not None]
    steps = [(t, b) for t, b in zip(chart.trials, chart.best, strict=True) if b is not None]
    if points:
        ax.scatter(*zip(*points, strict=True), s=30, color=COLORS[OTHER], edgecolors="black",
                   linewidths=0.5, zorder=3)  # fmt: skip
    if steps:
        ax.step(*zip(*steps, strict=True), where="post", color=COLORS[BEST], linewidth=2.2,
                zorder=2)  # fmt: skip
    else:
        ax.text(0.5, 0.5, "no completed configuration", ha="center", transform=ax.transAxes)
    ax.set_xlabel("trials run")
    ax.set_ylabel(chart.ylabel)
    ax.grid(alpha=0.3)
    ax.set_axisbelow(True)
    _titles(fig, ax, chart.title, chart.subtitle)
    handles = [
        Line2D([], [], color=COLORS[BEST], linewidth=2.2, label="best configuration mean so far"),
        Line2D([], [], marker="o", linestyle="", color=COLORS[OTHER], markeredgecolor="black",
               label="each configuration's mean, when its last seed finished"),
    ]  # fmt: skip
    _below(fig, handles)
    return save(fig, path)
