"""Drawing the plot data of :mod:`plotdata` into PNG files. The only matplotlib user.

Imported lazily, and only when figures are written (at the end of a sweep or
by ``make sweep-analyze``): the runner's per-trial path, ``make help`` and
generation never pay for matplotlib. The Agg backend needs no display. Each PNG
is written to a temporary name and renamed into place (never half a figure).
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter  # noqa: E402

from ksweep.analysis.plotdata import (  # noqa: E402
    BEST,
    FAILED,
    MISSING,
    OTHER,
    TIED,
    BarChart,
    CurveChart,
    MarginalChart,
    ScatterChart,
    ScreeChart,
    Series,
)
from ksweep.sweep.atomic import replacing  # noqa: E402

COLORS = {
    BEST: "#2ca02c",
    TIED: "#a6dba0",
    OTHER: "#9e9e9e",
    FAILED: "#d62728",
    MISSING: "#6b6b6b",
}
HATCH = {TIED: "//"}
PALETTE = tuple(c for i, c in enumerate(plt.get_cmap("tab10").colors) if i not in (2, 3, 7))
LINESTYLES = ("-", "--", ":", "-.")
DPI = 110
STOP_NOTE = {"textcoords": "offset points", "fontsize": 7}
RAMP_NOTE = "; colours run from dark (ranked high) to light (ranked low)"


def save(fig, path: Path) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically and free it."""
    try:
        with replacing(path) as temporary:
            fig.savefig(temporary, dpi=DPI, bbox_inches="tight", format="png")
    finally:
        plt.close(fig)
    return Path(path)


def _wrap(text: str, width: int = 45) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _titles(fig, ax, title: str, subtitle: str) -> None:
    fig.suptitle(title, fontsize=13, fontweight="bold")
    ax.set_title(_wrap(subtitle, 110), fontsize=9, color="#444444")


def _footnote(fig, text: str) -> None:
    """A grey note under the figure (saving with a tight box keeps it in the PNG)."""
    fig.text(0.5, -0.01, text, ha="center", va="top", fontsize=9, color="#444444")


def _kind_handles(legend: dict[str, str]) -> list[Patch]:
    return [
        Patch(facecolor=COLORS[kind], hatch=HATCH.get(kind, ""), edgecolor="black", label=text)
        for kind, text in legend.items()
    ]


def _below(fig, handles, ncol: int | None = None) -> None:
    """A legend under the figure, where it never covers data."""
    if handles:
        fig.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=ncol or len(handles),
            fontsize=9,
            frameon=False,
        )


def bar_chart(chart: BarChart, path: Path) -> Path:
    """Horizontal bars, best on top; error bars and seed dots where seeds repeat. The values
    are printed in a column right of the axes, so they never collide with the bars."""
    count = max(len(chart.bars), 1)
    fig, ax = plt.subplots(figsize=(12, 1.7 + 0.5 * count), layout="constrained")
    ends = [b.high if b.high is not None else (b.value or 0.0) for b in chart.bars]
    ends += [max(b.points, default=0.0) for b in chart.bars]
    right = max(ends, default=0.0) or 1.0
    limit = chart.upper if chart.upper is not None and right <= chart.upper else right * 1.05
    for row, bar in enumerate(chart.bars):
        label = bar.text + (f"  {chart.best_tag}" if bar.kind == BEST else "")
        ax.text(
            1.01,
            row,
            label,
            va="center",
            fontsize=9,
            transform=ax.get_yaxis_transform(),
            color=COLORS[bar.kind] if bar.value is None else "black",
            fontweight="bold" if bar.kind == BEST else "normal",
        )
        if bar.value is None:
            continue
        ax.barh(
            row,
            bar.value,
            color=COLORS[bar.kind],
            hatch=HATCH.get(bar.kind, ""),
            edgecolor="black",
            linewidth=1.6 if bar.kind == BEST else 0.6,
            height=0.7,
        )
        if bar.low is not None and bar.high is not None:
            whiskers = _whiskers(bar.value, (bar.low, bar.high))
            ax.errorbar(bar.value, row, xerr=whiskers, fmt="none", ecolor="black", capsize=4)
        if bar.points:
            offsets = [(i - (len(bar.points) - 1) / 2) * 0.12 for i in range(len(bar.points))]
            ax.scatter(bar.points, [row + o for o in offsets], s=14, color="black", zorder=3)
    ax.set_yticks(range(len(chart.bars)))
    ax.set_yticklabels([_wrap(b.label, 60) for b in chart.bars], fontsize=9)
    for tick, bar in zip(ax.get_yticklabels(), chart.bars, strict=True):
        if bar.kind == BEST:
            tick.set_fontweight("bold")
    ax.set_ylim(len(chart.bars) - 0.5, -0.5)
    ax.set_xlim(0, limit)
    ax.set_xlabel(chart.value_label)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    _titles(fig, ax, chart.title, chart.subtitle)
    handles = _kind_handles(chart.legend)
    if any(b.points for b in chart.bars):
        handles.append(
            Line2D([], [], marker="o", color="black", linestyle="", markersize=4, label="one seed")
        )
    _below(fig, handles)
    return save(fig, path)


def _whiskers(center: float, span: tuple[float, float] | None):
    """Error bar lengths; never negative (the mean of equal values can round past them)."""
    if span is None:
        return None
    return [[max(center - span[0], 0.0)], [max(span[1] - center, 0.0)]]


def scatter_chart(chart: ScatterChart, path: Path) -> Path:
    """Metric against cost, a numbered point per configuration (the number is its rank; the
    key on the right names it), bars where seeds repeat."""
    fig, ax = plt.subplots(figsize=(12, 6), layout="constrained")
    keys = []
    for place, point in enumerate(chart.points, start=1):
        ax.errorbar(
            point.x,
            point.y,
            xerr=_whiskers(point.x, point.x_range),
            yerr=_whiskers(point.y, point.y_range),
            fmt="o",
            markersize=12 if point.kind == BEST else 9,
            color=COLORS[point.kind],
            markeredgecolor="black",
            ecolor="#555555",
            capsize=3,
            zorder=3,
        )
        ax.annotate(
            str(place),
            (point.x, point.y),
            xytext=(7, 5),
            textcoords="offset points",
            fontsize=9,
            fontweight="bold" if point.kind == BEST else "normal",
        )
        keys.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                color=COLORS[point.kind],
                markeredgecolor="black",
                label=f"{place}. {_wrap(point.label, 50)}"
                + (" (best)" if point.kind == BEST else ""),
            )
        )
    if not chart.points:
        ax.text(0.5, 0.5, "no completed configuration", ha="center", transform=ax.transAxes)
    ax.set_xlabel(chart.xlabel)
    ax.set_ylabel(chart.ylabel)
    ax.grid(alpha=0.3)
    ax.margins(x=0.15, y=0.12)
    ax.set_xlim(left=0)
    _titles(fig, ax, chart.title, chart.subtitle)
    if keys:
        ax.legend(
            handles=keys,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            fontsize=8,
            frameon=False,
            title="configuration (by rank)",
        )
    _below(fig, _kind_handles(chart.legend))
    return save(fig, path)


def marginal_chart(chart: MarginalChart, path: Path) -> Path:
    """One swept symbol: a bar per value (its mean over everything else), trials as dots."""
    fig, ax = plt.subplots(figsize=(max(7.5, 1.3 * len(chart.levels) + 3), 5), layout="constrained")
    rows = zip(chart.means, chart.points, chart.texts, strict=True)
    for i, (mean, points, text) in enumerate(rows):
        if mean is None:
            why = chart.empty[i] if i < len(chart.empty) else "no completed\ntrial"
            ax.text(
                i,
                0,
                why,
                ha="center",
                va="bottom",
                color=COLORS[MISSING if why == "not recorded" else FAILED],
                fontsize=9,
            )
            continue
        kind = BEST if i == chart.best_index else OTHER
        ax.bar(i, mean, color=COLORS[kind], edgecolor="black", width=0.6, alpha=0.9)
        if points:
            offsets = [
                (j - (len(points) - 1) / 2) * (0.4 / max(len(points), 1))
                for j in range(len(points))
            ]
            ax.scatter([i + o for o in offsets], points, s=16, color="black", zorder=3)
        # The value sits inside the bar, at its foot, where no trial's dot can cover it.
        ax.text(
            i,
            0,
            f" {text}",
            ha="center",
            va="bottom",
            fontsize=10,
            fontweight="bold" if kind == BEST else "normal",
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.5},
        )
    ax.set_xticks(range(len(chart.levels)))
    ax.set_xlim(-0.6, len(chart.levels) - 0.4)
    ax.set_xticklabels([_wrap(level, 18) for level in chart.levels], fontsize=10)
    ax.set_xlabel(chart.xlabel)
    ax.set_ylabel(chart.ylabel)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    _titles(fig, ax, chart.title, chart.subtitle)
    handles = [
        Patch(facecolor=COLORS[BEST], edgecolor="black", label="the best configuration's value"),
        Patch(facecolor=COLORS[OTHER], edgecolor="black", label="other values"),
        Line2D(
            [],
            [],
            marker="o",
            color="black",
            linestyle="",
            markersize=4,
            label="one trial (any other symbols, any seed)",
        ),
    ]
    _below(fig, handles)
    return save(fig, path)


def _line(ax, series: Series, suffix: str = "", count: int = 0) -> None:
    # The best is drawn in the bar charts' "best" green; the others take colours that
    # cannot be mistaken for it (no green, grey or red in the cycle).
    if series.best:
        color, style = COLORS[BEST], "-"
    elif count > len(PALETTE):  # past the palette, a ramp by rank: 30 configurations, 30 colours
        color, style = plt.get_cmap("viridis")(series.color / max(1, count - 1) * 0.9), "-"
    else:
        color = PALETTE[series.color % len(PALETTE)]
        style = LINESTYLES[(series.color // len(PALETTE)) % len(LINESTYLES)]
    label = None
    if series.in_legend:
        label = _wrap(series.label, 50) + (" (best)" if series.best else "") + suffix
        label += " (stopped early)" if series.stopped else ""
    ax.plot(
        series.x,
        series.y,
        linestyle=style,
        color=color,
        linewidth=3.0 if series.best else 1.4,
        alpha=1.0 if series.best else 0.8,
        marker="o" if len(series.x) <= 12 else None,
        markersize=3,
        label=label,
        zorder=3 if series.best else 2,
    )
    if series.stopped:
        end = (series.x[-1], series.y[-1])
        ax.plot(*end, marker="x", color=color, markersize=9, mew=2)
        ax.annotate(f"stopped (epoch {end[0]:g})", end, xytext=(4, 4), **STOP_NOTE, color=color)


def _log_axis(ax, values: list[float]) -> None:
    """A log axis labelled in plain numbers (0.5, 1, 2), not powers of ten; within a
    decade or so the in-between ticks are labelled too, so the axis is never bare."""
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    positive = [v for v in values if v > 0]
    if positive and max(positive) / min(positive) < 30:
        ax.yaxis.set_minor_formatter(plain)
        ax.tick_params(axis="y", which="minor", labelsize=8)
    else:
        ax.yaxis.set_minor_formatter(NullFormatter())


def curve_chart(chart: CurveChart, path: Path) -> Path:
    """Every trial's curves, a panel per quantity; a colour per configuration."""
    count = max(len(chart.panels), 1)
    fig, axes = plt.subplots(
        1, count, figsize=(6.5 * count + 4, 5.2), squeeze=False, layout="constrained"
    )
    for ax, panel in zip(axes[0], chart.panels, strict=False):
        for series in panel.series:
            _line(ax, series, count=chart.configurations)
        if not panel.series:
            ax.text(0.5, 0.5, "no per-epoch data", ha="center", transform=ax.transAxes)
        if panel.log_y:
            _log_axis(ax, [v for series in panel.series for v in series.y])
        ax.set_title(panel.title, fontsize=11)
        ax.set_xlabel(chart.xlabel)
        ax.set_ylabel(panel.ylabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3, which="both")
    fig.suptitle(chart.title, fontsize=13, fontweight="bold")
    _footnote(fig, chart.subtitle + (RAMP_NOTE if chart.configurations > len(PALETTE) else ""))
    if chart.warning:
        fig.text(0.5, -0.06, _wrap(chart.warning, 120), ha="center", va="top", color="#d62728")
    _configuration_legend(axes[0][0], axes[0][-1])
    return save(fig, path)


def scree_chart(chart: ScreeChart, path: Path) -> Path:
    """Singular values by rank, a panel per layer, a line per configuration."""
    count = len(chart.panels)
    cols = min(3, count)
    rows = math.ceil(count / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.6 * cols + 4, 3.6 * rows + 0.8), squeeze=False, layout="constrained"
    )
    for index, ax in enumerate(axes.flat):
        if index >= count:
            ax.set_visible(False)
            continue
        panel = chart.panels[index]
        for series in panel.series:
            _line(ax, series)
        if chart.log_y:
            _log_axis(ax, [v for series in panel.series for v in series.y])
        ax.set_title(f"layer {panel.layer}", fontsize=10)
        ax.set_xlabel(chart.xlabel, fontsize=9)
        ax.set_ylabel(chart.ylabel, fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3, which="both")
    fig.suptitle(chart.title, fontsize=13, fontweight="bold")
    _footnote(fig, chart.subtitle)
    _configuration_legend(axes.flat[0], axes.flat[min(cols, count) - 1])
    return save(fig, path)


def _configuration_legend(source, target) -> None:
    """One legend of the configurations, taken from ``source``, right of ``target``."""
    handles, labels = source.get_legend_handles_labels()
    if handles:  # past a screen's height of entries, more columns and smaller type
        target.legend(
            handles,
            labels,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            fontsize=8 if len(handles) <= 12 else 7,
            ncol=max(1, math.ceil(len(handles) / 22)),
            frameon=False,
            title="configuration",
        )
