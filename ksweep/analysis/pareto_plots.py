"""The Pareto plot of a trade-off study: ``plots/pareto.png``.

Two objectives: one axis each (the first objective up the side, as accuracy is
read against sparsity or size), every ranked configuration at its seed means
with its 95% seed intervals as error bars on both axes, the front joined by a
step line (the edge of what the front dominates), the configurations on the
front within noise marked, the others grey, and those that break a constraint
apart as red crosses. Three or more objectives: one panel per pair, the same
marks (the front is the front of all objectives, so a pair's panel can show a
front point behind another). Drawn with the Agg backend, written atomically.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from ksweep.analysis.pareto import Front, Point  # noqa: E402
from ksweep.analysis.plotdata import BEST, OTHER, TIED  # noqa: E402
from ksweep.analysis.plots import COLORS, _whiskers, save  # noqa: E402
from ksweep.analysis.stats import Summary  # noqa: E402

PARETO_FILE = "pareto.png"
VIOLATOR = "#d62728"
MARKS = {"front": (BEST, "o", 10), "within noise": (TIED, "D", 8), "dominated": (OTHER, "o", 7)}


def pareto_chart(front: Front, path: Path) -> Path:
    """Draw the front of ``front`` into ``path`` (a PNG); one panel per pair of objectives."""
    pairs = list(combinations(range(len(front.specs)), 2))
    columns = min(len(pairs), 3)
    rows = -(-len(pairs) // columns)
    size = (11, 7) if len(pairs) == 1 else (5.2 * columns, 4.6 * rows)
    fig, axes = plt.subplots(rows, columns, figsize=size, layout="constrained", squeeze=False)
    for ax, (first, second) in zip(axes.flat, pairs, strict=False):
        # The earlier objective goes up the side: accuracy against sparsity, size or time.
        _panel(ax, front, x=second, y=first, names=len(pairs) == 1)
    for ax in list(axes.flat)[len(pairs) :]:
        ax.set_visible(False)
    fig.suptitle(_title(front), fontsize=13, fontweight="bold")
    fig.legend(handles=_legend(front), loc="outside lower center", ncols=4, fontsize=9)
    return save(fig, path)


def _title(front: Front) -> str:
    bounds = ", ".join(c.text() for c in front.objectives.constraints)
    text = f"Pareto front: {front.objectives.text()}"
    return f"{text} (subject to {bounds})" if bounds else text


def _panel(ax, front: Front, x: int, y: int, names: bool) -> None:
    xs, ys = front.specs[x], front.specs[y]
    for point in front.points:
        color, marker, size = MARKS[_standing(point)]
        ax.errorbar(
            point.summaries[x].mean * xs.scale,
            point.summaries[y].mean * ys.scale,
            xerr=_bars(point.summaries[x], xs.scale),
            yerr=_bars(point.summaries[y], ys.scale),
            fmt=marker,
            markersize=size,
            color=COLORS[color],
            markeredgecolor="black",
            ecolor="#555555",
            capsize=3,
            zorder=3 if point.on_front else 2,
        )
        if names:
            ax.annotate(point.group.name, _at(point.summaries, x, y, front), **_NOTE)
    for violator in front.violators:
        at = _at(violator.summaries, x, y, front)
        if at is not None:
            ax.plot(*at, marker="x", color=VIOLATOR, markersize=9, mew=2, linestyle="", zorder=2)
            if names:
                ax.annotate(violator.group.name, at, color=VIOLATOR, **_NOTE)
    _step_line(ax, front, x, y)
    ax.set_xlabel(f"{xs.axis_label()}, {xs.direction(front.objectives.goals[x])}")
    ax.set_ylabel(f"{ys.axis_label()}, {ys.direction(front.objectives.goals[y])}")
    ax.grid(alpha=0.3)
    ax.margins(0.12)
    if not front.points and not front.violators:
        ax.text(0.5, 0.5, "no configuration could be ranked", ha="center", transform=ax.transAxes)


_NOTE = {"xytext": (6, 5), "textcoords": "offset points", "fontsize": 8}


def _standing(point: Point) -> str:
    from ksweep.analysis.pareto_text import standing

    return standing(point)


def _bars(summary: Summary, scale: float):
    """The 95% seed interval as error bar lengths (none without an interval)."""
    if not summary.half_width or summary.mean is None:
        return None
    return _whiskers(summary.mean * scale, (summary.low * scale, summary.high * scale))  # type: ignore[operator]


def _at(summaries: tuple[Summary, ...], x: int, y: int, front: Front):
    sx, sy = summaries[x].mean, summaries[y].mean
    if sx is None or sy is None:
        return None
    return sx * front.specs[x].scale, sy * front.specs[y].scale


def _step_line(ax, front: Front, x: int, y: int) -> None:
    """The front of a pair as a staircase: the edge of the region its points dominate."""
    if len(front.specs) != 2 or len(front.front) < 2:
        return
    points = sorted(_at(p.summaries, x, y, front) for p in front.front)  # type: ignore[type-var]
    xs, ys = zip(*points, strict=True)
    where = "pre" if front.objectives.goals[x] == "max" else "post"
    ax.step(xs, ys, where=where, color=COLORS[BEST], linewidth=1.5, zorder=1)


def _legend(front: Front) -> list[Line2D]:
    handles = [
        Line2D([], [], marker="o", linestyle="-", color=COLORS[BEST], markeredgecolor="black",
               label="on the front (seed means)"),
        Line2D([], [], marker="D", linestyle="", color=COLORS[TIED], markeredgecolor="black",
               label="on the front within noise"),
        Line2D([], [], marker="o", linestyle="", color=COLORS[OTHER], markeredgecolor="black",
               label="dominated beyond noise" if front.noise else "dominated (no noise estimate)"),
    ]  # fmt: skip
    if front.violators:
        handles.append(
            Line2D([], [], marker="x", linestyle="", color=VIOLATOR, mew=2,
                   label="breaks a constraint (not ranked)")
        )  # fmt: skip
    return handles
