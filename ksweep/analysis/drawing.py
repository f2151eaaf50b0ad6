"""Drawing every figure of a sweep into ``plots/``, and the links ``report.md`` shows.

Each figure's data comes from :mod:`plotdata`, :mod:`curvedata` and, for sampled
or model-based sweeps, :mod:`search_plots`; :mod:`plots` renders it. PNGs an
earlier analysis drew and this one did not are removed, so the folder never
mixes two analyses.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ksweep.analysis.core import Analysis
from ksweep.analysis.improving import improving_warning
from ksweep.sweep.layout import PLOTS_DIR


def write_plots(plots_dir: Path, analysis: Analysis, epochs, spectra, space=None) -> list:
    """Render every figure into ``plots_dir``; return the links report.md shows.

    PNGs of an earlier analysis that this one did not draw again are removed, so the
    folder never mixes two analyses."""
    from ksweep.analysis import plotdata, plots
    from ksweep.analysis.tables import PlotLink

    figures = plotdata.figures(analysis, epochs, spectra)
    warning = improving_warning(analysis, epochs)
    if warning is not None:
        figures = replace(figures, curves=replace(figures.curves, warning=warning))
    metric = analysis.metric
    links: list[PlotLink] = []

    def add(path: Path, title: str, caption: str) -> None:
        links.append(PlotLink(title, f"{PLOTS_DIR}/{path.name}", caption))

    if analysis.front is not None and analysis.front.objectives.several:
        from ksweep.analysis.pareto_plots import PARETO_FILE, pareto_chart

        add(
            pareto_chart(analysis.front, plots_dir / PARETO_FILE),
            "Pareto front",
            "Seed means with 95% seed intervals on both axes; the front in green (joined by a "
            "step line with two objectives), on the front within noise as light diamonds, "
            "constraint breakers as red crosses.",
        )
    add(
        plots.bar_chart(figures.bars, plots_dir / "metric.png"),
        f"{metric.label} per configuration",
        f"Best on top in green; {figures.bars.subtitle}.",
    )
    add(
        plots.curve_chart(figures.curves, plots_dir / "curves.png"),
        figures.curves.title,
        figures.curves.subtitle + ".",
    )
    add(
        plots.bar_chart(figures.wall_time, plots_dir / "wall_time.png"),
        "Wall time per trial",
        figures.wall_time.subtitle + ".",
    )
    add(
        plots.scatter_chart(figures.vs_time, plots_dir / "metric_vs_time.png"),
        f"{metric.label} against wall time",
        f"Better is {'up' if analysis.goal == 'max' else 'down'}; cheaper is left.",
    )
    for chart in figures.marginals:
        add(
            plots.marginal_chart(chart, plots_dir / plotdata.symbol_file(chart.symbol)),
            f"{chart.symbol}: marginal means",
            chart.subtitle[:1].upper() + chart.subtitle[1:] + ".",
        )
    if figures.scree is not None:
        add(
            plots.scree_chart(figures.scree, plots_dir / "scree.png"),
            "Scree plot: singular values per layer",
            figures.scree.subtitle + ".",
        )
    if figures.scree_normalized is not None:
        add(
            plots.scree_chart(figures.scree_normalized, plots_dir / "scree_normalized.png"),
            "Scree plot, normalised by the largest singular value",
            figures.scree_normalized.subtitle + ".",
        )
    if space is not None:
        from ksweep.analysis import search_plots

        for chart in search_plots.metric_vs_symbols(analysis, space):
            add(
                search_plots.render_symbol(chart, plots_dir / chart.file_name()),
                chart.title,
                chart.subtitle + ".",
            )
        curve = search_plots.best_so_far(analysis)
        add(
            search_plots.render_best_so_far(curve, plots_dir / "best_so_far.png"),
            curve.title,
            curve.subtitle + ".",
        )
    drawn = {Path(link.path).name for link in links}
    for stale in plots_dir.glob("*.png"):
        if stale.name not in drawn:
            stale.unlink()
    return links
