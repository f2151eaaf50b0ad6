"""Parallel coordinates of a sweep as inline SVG: one axis per swept symbol and one for the
metric, one line per configuration coloured by its metric.

SVG written by hand keeps ``report.html`` self-contained and readable without a
script or a network. Each symbol's axis spaces its values evenly in sorted order
(numbers by value, words alphabetically): a learning-rate grid reads as ordered
steps, and a word-valued symbol gets a tick per choice. The metric's axis is
linear between the worst and the best mean; better is up.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from ksweep.analysis.core import Analysis
from ksweep.analysis.labels import group_label, short_symbol, shown

WIDTH, HEIGHT = 880, 380
TOP, BOTTOM, SIDE = 40, 50, 70
# viridis at five stops: worst (dark purple) to best (yellow), as the colour key says.
RAMP = ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725")


def _sort_key(value: Any) -> tuple:
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, shown(value))


def _colour(fraction: float) -> str:
    """A colour on the ramp, 0 the worst configuration and 1 the best."""
    position = max(0.0, min(1.0, fraction)) * (len(RAMP) - 1)
    low = int(position)
    high = min(low + 1, len(RAMP) - 1)
    mix = position - low
    a, b = RAMP[low], RAMP[high]
    channels = [
        round(int(a[i : i + 2], 16) * (1 - mix) + int(b[i : i + 2], 16) * mix) for i in (1, 3, 5)
    ]
    return "#" + "".join(f"{c:02x}" for c in channels)


def _y(fraction: float) -> float:
    """Height on the plot of a position from 0 (bottom) to 1 (top)."""
    return TOP + (1.0 - fraction) * (HEIGHT - TOP - BOTTOM)


def parallel_svg(analysis: Analysis) -> str:
    """The SVG element, or a sentence saying why there is none."""
    groups = analysis.ranking.ranked + analysis.ranking.stopped
    symbols = list(analysis.symbols)
    if not groups or not symbols:
        return "<p>No parallel coordinates: no configuration finished, or nothing was swept.</p>"
    means = [g.metric.mean for g in groups]
    low, high = min(means), max(means)
    span = (high - low) or 1.0
    better_up = analysis.goal == "max"
    axes: list[tuple[str, dict[Any, float]]] = []
    for symbol in symbols:
        values = sorted({g.settings.get(symbol) for g in groups}, key=_sort_key)
        steps = max(1, len(values) - 1)
        places = {v: (i / steps if len(values) > 1 else 0.5) for i, v in enumerate(values)}
        axes.append((short_symbol(symbol), places))
    count = len(axes) + 1
    xs = [SIDE + i * (WIDTH - 2 * SIDE) / max(1, count - 1) for i in range(count)]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="parallel" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="parallel coordinates">'
    ]
    order = sorted(zip(groups, means, strict=True), key=lambda gm: gm[1] if better_up else -gm[1])
    for group, mean in order:  # the best drawn last, on top
        score = (mean - low) / span if better_up else (high - mean) / span
        ys = [
            _y(places[group.settings.get(symbol)])
            for symbol, (_, places) in zip(symbols, axes, strict=True)
        ]
        ys.append(_y(score))
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
        width = 3.5 if group is analysis.ranking.best else 1.6
        title = f"{group.name} {group_label(group)}: {analysis.metric.shown(mean)}"
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{_colour(score)}" '
            f'stroke-width="{width}" opacity="0.85"><title>{escape(title)}</title></polyline>'
        )
    for x, (name, places) in zip(xs, axes, strict=False):
        parts.append(_axis(x, name, [(shown(v), f) for v, f in places.items()]))
    shown_low, shown_high = analysis.metric.shown(low), analysis.metric.shown(high)
    ends = [(shown_low, 0.0 if better_up else 1.0), (shown_high, 1.0 if better_up else 0.0)]
    parts.append(_axis(xs[-1], f"{analysis.metric.name} (better up)", ends))
    parts.append("</svg>")
    return "\n".join(parts)


def _axis(x: float, name: str, ticks: Sequence[tuple[str, float]]) -> str:
    out = [
        f'<line x1="{x:.1f}" y1="{_y(1):.1f}" x2="{x:.1f}" y2="{_y(0):.1f}" stroke="#333"/>',
        f'<text x="{x:.1f}" y="{TOP - 14}" text-anchor="middle" font-size="12" '
        f'font-weight="bold">{escape(name)}</text>',
    ]
    for label, fraction in ticks:
        out.append(
            f'<text x="{x + 5:.1f}" y="{_y(fraction) + 4:.1f}" font-size="11" '
            f'fill="#222">{escape(label)}</text>'
        )
    return "\n".join(out)
