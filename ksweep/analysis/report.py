"""Every output of a sweep folder, from its summary records: the one entry point.

:func:`write_reports` is called by the runner after every trial with
``final=False`` (only ``sweep_analysis.txt``: cheap, no pandas, no
matplotlib) and once at the end of a sweep, or by ``make sweep-analyze``,
with ``final=True``: the text, ``results.csv``, ``report.md``, ``plots/``,
TensorBoard event files per trial and the best configuration's defconfig.
Every file is written atomically, so a reader never sees half of one.

The metric and goal come from the command line, else from the trials'
``CONFIG_SWEEP_METRIC`` / ``CONFIG_SWEEP_GOAL``, else test_acc / max.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ksweep.analysis.core import Analysis, analyze
from ksweep.analysis.metrics import GOALS, METRICS, check_goal, spec
from ksweep.analysis.text import render
from ksweep.sweep import trialfiles
from ksweep.sweep.atomic import write_text_atomic
from ksweep.sweep.layout import PLOTS_DIR, SweepFolder
from ksweep.sweep.manifest import read_manifest
from ksweep.sweep.records import read_summary
from ksweep.sweep.tolerant import load_json

AUTO = "auto"


def varying_from_records(records: Sequence[dict[str, Any]]) -> list[str]:
    """The varying symbols are the record fields named CONFIG_*, in first-seen order."""
    names: list[str] = []
    for record in records:
        names.extend(k for k in record if k.startswith("CONFIG_") and k not in names)
    return names


def load_sweep(sweep_dir: Path) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """A sweep folder's records, varying symbols (from its plan when it kept a sound one),
    and what had to be repaired to read them (a damaged summary is rebuilt from the trials)."""
    folder = SweepFolder(Path(sweep_dir))
    summary = read_summary(folder)
    plan = load_json(folder.plan, dict).data or {}
    varying = plan.get("varying_symbols")
    if not isinstance(varying, list):
        varying = varying_from_records(summary.records)
    return summary.records, list(varying), summary.notes


def choose_metric(
    sweep_dir: Path, records: Sequence[dict[str, Any]], metric: str | None, goal: str | None
) -> tuple[str, str]:
    """The command line wins; else the trials' SWEEP_METRIC/SWEEP_GOAL; else test_acc/max.

    ``METRIC=`` alone takes that metric's natural goal (val/loss: min) unless the
    config names the same metric with a goal of its own."""
    config: dict[str, str] = {}
    folder = SweepFolder(Path(sweep_dir))
    for record in records:
        config = trialfiles.config_values(folder.trial_of(record))
        if config:
            break
    return configured_metric(config, metric, goal)


def configured_metric(
    config: Mapping[str, str], metric: str | None = None, goal: str | None = None
) -> tuple[str, str]:
    """:func:`choose_metric` for one trial's config values (``SWEEP_METRIC`` ... unprefixed)."""
    # A hand-made config folder is not checked against the schema; a value the analyzer
    # does not know is ignored (the text's "Ranked by" line says what was used) rather than
    # stopping a running sweep.
    named_metric = config.get("SWEEP_METRIC")
    named_metric = named_metric if named_metric in METRICS else None
    named_goal = config.get("SWEEP_GOAL")
    named_goal = named_goal if named_goal in GOALS else None
    if metric is None:
        metric = named_metric or "test_acc"
        goal = goal or named_goal
    elif goal is None and metric == named_metric:
        goal = named_goal
    metric_spec = spec(metric)
    return metric, check_goal(goal or metric_spec.goal)


def _with_epoch_values(sweep_dir: Path, records: Sequence[dict[str, Any]], metric: str):
    """Records from before val/loss and val/acc were summary fields get them from their
    trial's metrics.jsonl, so METRIC=val/loss works on old sweeps too."""
    if metric not in ("val/loss", "val/acc") or all(metric in r for r in records):
        return list(records)
    out = []
    folder = SweepFolder(Path(sweep_dir))
    for record in records:
        if metric not in record and record.get("status") == "completed":
            rows = trialfiles.epochs(folder.trial_of(record))
            record = {**record, metric: trialfiles.last_value(rows, metric)}
        out.append(record)
    return out


def _elapsed(sweep_dir: Path) -> float | None:
    """The sweep's wall clock: its run segments added up (resumes included)."""
    manifest = read_manifest(SweepFolder(sweep_dir).manifest).data or {}
    value = manifest.get("wall_time")
    return float(value) if isinstance(value, int | float) and value > 0 else None


def write_reports(
    sweep_dir: Path,
    records: list[dict],
    varying_symbols: list[str],
    metric: str | None = None,
    goal: str | None = None,
    final: bool = False,
    defconfig_dir: Path | str | None = AUTO,
) -> Analysis:
    """Write the analysis of ``records`` into ``sweep_dir``; with ``final`` every output.

    ``defconfig_dir``: where the best defconfig is installed besides the sweep folder;
    ``"auto"`` means the project's defconfigs/ when the sweep lies inside the project."""
    sweep_dir = Path(sweep_dir)
    metric, goal = choose_metric(sweep_dir, records, metric, goal)
    records = _with_epoch_values(sweep_dir, records, metric)
    analysis = analyze(records, varying_symbols, metric, goal)
    elapsed = _elapsed(sweep_dir) if final else None
    write_text_atomic(SweepFolder(sweep_dir).analysis, render(analysis, elapsed))
    if final:
        _write_final(sweep_dir, analysis, elapsed, defconfig_dir)
    return analysis


def write_final_reports(
    sweep_dir: Path,
    records: list[dict],
    varying_symbols: list[str],
    metric: str | None = None,
    goal: str | None = None,
    say: Callable[[str], Any] = print,
) -> Analysis | None:
    """Every output, once a sweep has ended: what the runner calls last.

    A problem here (a plot that cannot be drawn, Ctrl-C while drawing) must not cost the
    sweep its results, which are already on disk: it is reported with the command that
    redoes the analysis, and None is returned."""
    try:
        analysis = write_reports(sweep_dir, records, varying_symbols, metric, goal, final=True)
    except (Exception, KeyboardInterrupt) as problem:
        say(
            f"ksweep: warning: the final reports were not all written ({type(problem).__name__}: "
            f"{problem}); write them with `make sweep-analyze SWEEP={sweep_dir}`"
        )
        return None
    say(
        f"ksweep: report, plots, results.csv and TensorBoard files: "
        f"{SweepFolder(Path(sweep_dir)).report}"
    )
    return analysis


def best_line(analysis: Analysis) -> str:
    """A sweep's closing line: the best *configuration* by mean, and what it ties with."""
    from ksweep.analysis.labels import join_names, settings_text
    from ksweep.analysis.text import mean_text

    best = analysis.ranking.best
    if best is None:
        return "Best: none (no configuration completed)"
    line = (
        f"Best: {best.name} {analysis.metric.name} {mean_text(analysis.metric, best.metric)} "
        f"{settings_text(best.settings)}"
    ).rstrip()
    tied = [g.name for g in analysis.ranking.tied]
    if tied:
        line += f"; within noise of it: {join_names(tied)}"
    return line


def _write_final(
    sweep_dir: Path, analysis: Analysis, elapsed: float | None, defconfig_dir: Path | str | None
) -> None:
    from ksweep.analysis.best import project_defconfig_dir, write_best_defconfig
    from ksweep.analysis.tables import report_markdown, results_csv
    from ksweep.analysis.tensorboard import write_trial_events

    sweep = SweepFolder(sweep_dir)
    write_text_atomic(sweep.results_csv, results_csv(analysis))
    epochs: dict[str, list[dict]] = {}
    spectra: dict[str, dict[str, list[float]]] = {}
    for record in analysis.records:
        folder = sweep.trial_of(record)
        if folder is None or not folder.path.is_dir():
            continue
        name = str(record.get("config_file"))
        epochs[name] = trialfiles.epochs(folder)
        spectra[name] = trialfiles.spectrum(folder)
        write_trial_events(folder.path, epochs[name])
    links = write_plots(sweep.plots, analysis, epochs, spectra)
    install = project_defconfig_dir(sweep_dir) if defconfig_dir == AUTO else defconfig_dir
    best = write_best_defconfig(sweep_dir, analysis, install_dir=Path(install) if install else None)
    text = report_markdown(
        analysis,
        sweep_dir.resolve().name,
        str(sweep_dir),
        links,
        best.load_command() if best else None,
        elapsed,
    )
    write_text_atomic(sweep.report, text)


def write_plots(plots_dir: Path, analysis: Analysis, epochs, spectra) -> list:
    """Render every figure into ``plots_dir``; return the links report.md shows.

    PNGs of an earlier analysis that this one did not draw again are removed, so the
    folder never mixes two analyses."""
    from ksweep.analysis import plotdata, plots
    from ksweep.analysis.tables import PlotLink

    figures = plotdata.figures(analysis, epochs, spectra)
    metric = analysis.metric
    links: list[PlotLink] = []

    def add(path: Path, title: str, caption: str) -> None:
        links.append(PlotLink(title, f"{PLOTS_DIR}/{path.name}", caption))

    add(
        plots.bar_chart(figures.bars, plots_dir / "metric.png"),
        f"{metric.label} per configuration",
        f"Best on top in green; {figures.bars.subtitle}.",
    )
    add(
        plots.curve_chart(figures.curves, plots_dir / "curves.png"),
        "Validation loss and accuracy of every trial",
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
    drawn = {Path(link.path).name for link in links}
    for stale in plots_dir.glob("*.png"):
        if stale.name not in drawn:
            stale.unlink()
    return links


def compare_sweeps(
    a_dir: Path, b_dir: Path, metric: str | None = None, goal: str | None = None
) -> str:
    """The comparison text of two sweep folders, ranked by A's metric unless given."""
    from ksweep.analysis.compare import compare_text

    a_records, a_varying, _ = load_sweep(a_dir)
    b_records, b_varying, _ = load_sweep(b_dir)
    metric, goal = choose_metric(a_dir, a_records, metric, goal)
    a = analyze(_with_epoch_values(a_dir, a_records, metric), a_varying, metric, goal)
    b = analyze(_with_epoch_values(b_dir, b_records, metric), b_varying, metric, goal)
    return compare_text(a_dir, a, b_dir, b)
