"""The Pareto front in words: the section of ``sweep_analysis.txt`` and of ``report.md``.

Both say the same things from the same :class:`~ksweep.analysis.pareto.Front`:
the objectives and their goals, the constraints, the ranked configurations as a
table (seed means and 95% intervals per objective), which ones are on the front
within noise, which ones the constraints put apart (with the constraint and the
value), which ones could not be ranked and why, and plainly when there is no
noise estimate.
"""

from __future__ import annotations

from collections.abc import Sequence

from ksweep.analysis.labels import join_names, settings_text
from ksweep.analysis.metrics import MetricSpec
from ksweep.analysis.pareto import Front, Point, Violator
from ksweep.analysis.stats import Summary
from ksweep.analysis.words import NO_SEEDS, count, interval_method

TITLE = "PARETO FRONT"
MAX_ROWS = 20  # ranked configurations listed; the front and the within-noise ones always are
FRONT, WITHIN, DOMINATED = "front", "within noise", "dominated"


def value_text(metric: MetricSpec, summary: Summary) -> str:
    """``97.50% [97.02, 97.98]``: the seed mean and its 95% interval (a point: one seed, or
    a metric the seeds do not change, such as the sparsity a pruning target fixes)."""
    if summary.mean is None:
        return "n/a"
    if not summary.half_width:  # one seed, or a value the seeds never change
        return metric.shown(summary.mean)
    low, high = metric.spread(summary.low), metric.spread(summary.high)
    return f"{metric.shown(summary.mean)} [{low}, {high}]"


def standing(point: Point) -> str:
    if point.on_front:
        return FRONT
    return WITHIN if point.within_noise else DOMINATED


def objectives_line(front: Front) -> str:
    parts = [
        f"{o.metric} ({o.goal}, {metric.direction(o.goal)})"
        for o, metric in zip(front.objectives.objectives, front.specs, strict=True)
    ]
    return "Objectives: " + ", ".join(parts)


def constraints_line(front: Front) -> str:
    bounds = [c.text() for c in front.objectives.constraints]
    if not bounds:
        return "Constraints: none"
    return f"Constraints: {', '.join(bounds)} (applied to seed means before ranking)"


def summary_line(front: Front) -> str:
    on = front.front
    if not on:
        return "The front: empty (no configuration could be ranked)."
    names = join_names([p.group.name for p in on])
    return (
        f"The front: {count(len(on), 'configuration')} that no other beats on every "
        f"objective (seed means): {names}."
    )


def closing_line(front: Front) -> str:
    """A sweep's closing line with several objectives (or constraints): the front."""
    goals = front.objectives.text()
    bounds = ", ".join(c.text() for c in front.objectives.constraints)
    several = front.objectives.several
    title = f"Pareto front ({goals}{'; ' + bounds if bounds else ''})"
    if not several:  # one objective under constraints: the best that meets them
        title = f"Best meeting {bounds} ({goals})"
    names = [p.group.name for p in front.front]
    if not names:
        return f"{title}: none (no configuration could be ranked)"
    line = f"{title}: {join_names(names)}"
    if not several:
        metric = front.specs[0]
        line += f" ({metric.name} {value_text(metric, front.front[0].summaries[0])})"
    within = [p.group.name for p in front.within]
    if within:
        line += f"; on the front within noise: {join_names(within)}"
    if front.violators:
        line += f"; {count(len(front.violators), 'configuration')} broke the constraints"
    return line


def within_line(front: Front) -> str:
    if not front.noise:
        return f"On the front within noise: not judged ({NO_SEEDS})."
    within = front.within
    if not within:
        return (
            "On the front within noise: none (every configuration off the front is beaten "
            "beyond the seed noise)."
        )
    names = join_names([f"{p.group.name} (rank {p.rank})" for p in within])
    return (
        f"On the front within noise: {names}: dominated on the seed means, but by no "
        "configuration beyond the seed noise (the 95% interval of every difference lost "
        "holds 0)."
    )


def beaten_lines(front: Front) -> list[str]:
    lines = []
    for point in front.points:
        if point.beaten_by:
            lines.append(
                f"  {point.group.name} (rank {point.rank}): beaten beyond noise by "
                f"{join_names(list(point.beaten_by))}"
            )
    return lines


def violator_text(front: Front, violator: Violator) -> str:
    broken = []
    for constraint, value in violator.broken:
        metric = _spec_of(front, constraint.metric)
        shown = "not recorded" if value is None else metric.shown(value)
        broken.append(f"{constraint.metric} {shown} breaks {constraint.text()}")
    return f"{violator.group.name}: {'; '.join(broken)}"


def _spec_of(front: Front, name: str) -> MetricSpec:
    from ksweep.analysis.metrics import spec

    return next((s for s in front.specs if s.name == name), None) or spec(name)


def noise_line(front: Front) -> str:
    if not front.noise:
        return f"Noise: {NO_SEEDS}."
    return f"Noise: {interval_method(front.specs[0]).split(', clipped')[0]}, per metric."


def shown_points(front: Front) -> tuple[list[Point], int]:
    """The rows of the table (the front and within-noise ones always) and how many are left."""
    rows = [p for i, p in enumerate(front.points) if i < MAX_ROWS or p.rank == 1 or p.within_noise]
    return rows, len(front.points) - len(rows)


def front_lines(front: Front) -> list[str]:
    """The section of ``sweep_analysis.txt``."""
    out = [objectives_line(front), constraints_line(front), summary_line(front), ""]
    header = ["Rank", "Configuration", "Standing", *front.objectives.metrics, "Settings"]
    rows, left = shown_points(front)
    table = [header] + [_row(front, p) for p in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header) - 1)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        out.append(("  ".join([*cells, row[-1]])).rstrip())
    if left:
        out.append(f"... and {count(left, 'more ranked configuration')}")
    out += ["", within_line(front)]
    beaten = beaten_lines(front)
    if beaten:
        out += ["Off the front beyond noise:", *beaten]
    out += _apart(front, "  ")
    out.append(noise_line(front))
    return out


def _row(front: Front, point: Point) -> list[str]:
    values = [value_text(m, s) for m, s in zip(front.specs, point.summaries, strict=True)]
    settings = settings_text(point.group.settings, short=True) or "-"
    return [str(point.rank), point.group.name, standing(point), *values, settings]


def _apart(front: Front, indent: str) -> list[str]:
    out = []
    if front.violators:
        out.append(
            f"Break the constraints ({count(len(front.violators), 'configuration')}, listed "
            "apart, never ranked or on the front):"
        )
        out += [f"{indent}{violator_text(front, v)}" for v in front.violators]
    if front.kept_out:
        out.append("Not ranked (their values do not measure their settings):")
        out += [f"{indent}{k.group.name}: {k.reason}" for k in front.kept_out]
    return out


def front_markdown(front: Front) -> list[str]:
    """The section of ``report.md``: the same table, the front in bold."""
    out = ["## Pareto front", "", objectives_line(front) + "  ", constraints_line(front), ""]
    out += [summary_line(front), ""]
    header = ["Rank", "Configuration", "Standing", *front.objectives.metrics, "Settings"]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "|".join("---" for _ in header) + "|")
    rows, left = shown_points(front)
    for point in rows:
        cells = [_md(cell, point.on_front) for cell in _row(front, point)]
        out.append("| " + " | ".join(cells) + " |")
    if left:
        out += ["", f"... and {count(left, 'more ranked configuration')}"]
    out += ["", within_line(front)]
    beaten = beaten_lines(front)
    if beaten:
        out += ["", "Off the front beyond noise:", "", *[f"- {b.strip()}" for b in beaten]]
    apart = _apart(front, "- ")
    if apart:
        out += ["", *_md_list(apart)]
    out += ["", noise_line(front), ""]
    return out


def with_front_markdown(report: str, front: Front) -> str:
    """``report.md`` with the front's section before its "Swept symbols" (else at the end)."""
    section = "\n".join(front_markdown(front)) + "\n"
    head, mark, tail = report.partition("\n## Swept symbols")
    return f"{head}\n{section}{mark}{tail}" if mark else f"{report}\n{section}"


def _md(text: str, bold: bool) -> str:
    text = text.replace("|", "\\|")
    return f"**{text}**" if bold and text else text


def _md_list(lines: Sequence[str]) -> list[str]:
    """Headings of the lists apart followed by a blank line, as Markdown lists want."""
    out: list[str] = []
    for line in lines:
        if not line.startswith("- ") and out:
            out.append("")
        out.append(line)
        if not line.startswith("- "):
            out.append("")
    return out
