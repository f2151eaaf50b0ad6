"""Every output of a sweep folder, from its summary records: the one entry point.

:func:`write_reports` is called by the runner after every trial with
``final=False`` (only ``sweep_analysis.txt``: cheap, no pandas, no
matplotlib) and once at the end of a sweep, or by ``make sweep-analyze``,
with ``final=True``: the text, ``results.csv``, ``report.md``, ``plots/``,
TensorBoard event files per trial and the best configuration's defconfig.
Every file is written atomically, so a reader never sees half of one.

The metric and goal come from the command line, else from the trials'
``CONFIG_SWEEP_METRIC`` / ``CONFIG_SWEEP_GOAL``, else ``auto``: val/acc when
the trials recorded a validation split, else test_acc (and every output then
says that the test set chose the best). A metric asked for on the command
line that no finished trial recorded is refused before anything is
rewritten: an analysis by a metric nobody measured would only replace a
good report with an empty one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ksweep.analysis.choice import (
    MetricNotRecorded,
    ObjectivesRefused,
    asked_objectives,
    check_recorded,
    choose_metric,
    configured_metric,
    first_config,
    requested_metric,
)
from ksweep.analysis.core import Analysis, analyze
from ksweep.analysis.cost import Runs, runs_from_manifest
from ksweep.analysis.improving import improving_warning
from ksweep.analysis.metrics import AUTO, TEST, recorded
from ksweep.analysis.text import render
from ksweep.objectives import Objectives, single
from ksweep.sweep import trialfiles
from ksweep.sweep.atomic import write_text_atomic
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.manifest import read_manifest
from ksweep.sweep.records import read_summary
from ksweep.sweep.tolerant import load_json

# Re-exported: the monitor, the CLI and the tests choose the metric through this module.
__all__ = [
    "MetricNotRecorded",
    "best_line",
    "check_recorded",
    "choose_metric",
    "compare_sweeps",
    "configured_metric",
    "load_sweep",
    "requested_metric",
    "write_final_reports",
    "write_reports",
]


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


def sweep_runs(sweep_dir: Path) -> Runs | None:
    """The sweep's runs from its manifest: wall clock over segments, start-up per run."""
    return runs_from_manifest(read_manifest(SweepFolder(sweep_dir).manifest).data)


def write_reports(
    sweep_dir: Path,
    records: list[dict],
    varying_symbols: list[str],
    metric: str | None = None,
    goal: str | None = None,
    final: bool = False,
    defconfig_dir: Path | str | None = AUTO,
    objectives: str | None = None,
    constraints: str | None = None,
) -> Analysis:
    """Write the analysis of ``records`` into ``sweep_dir``; with ``final`` every output.

    ``defconfig_dir``: where the best defconfig is installed besides the sweep folder;
    ``"auto"`` means the project's defconfigs/ when the sweep lies inside the project.
    ``objectives``/``constraints``: OBJECTIVES=/CONSTRAINTS= as asked (None: the trials'
    CONFIG_SWEEP_OBJECTIVES/CONSTRAINTS), resolved like METRIC=."""
    sweep_dir = Path(sweep_dir)
    asked = Asked(metric, goal, objectives, constraints)
    analysis = _analysis(sweep_dir, records, varying_symbols, asked)
    runs = sweep_runs(sweep_dir) if final else None
    text = render(analysis, runs)
    importances = _importances(sweep_dir, analysis) if final else None
    if importances:
        from ksweep.analysis.importance import importance_lines

        text += "\n" + "\n".join(importance_lines(importances)) + "\n"
    epochs = _trial_epochs(sweep_dir, analysis) if final else {}
    improving = improving_warning(analysis, epochs) if final else None
    if improving:
        text += "\n" + improving + "\n"
    write_text_atomic(SweepFolder(sweep_dir).analysis, text)
    if final:
        _write_final(sweep_dir, analysis, runs, defconfig_dir, importances, epochs, improving)
    return analysis


def _trial_epochs(sweep_dir: Path, analysis: Analysis) -> dict[str, list[dict]]:
    """Each trial's metrics.jsonl rows, by config file (trials without a folder left out)."""
    sweep = SweepFolder(sweep_dir)
    out: dict[str, list[dict]] = {}
    for record in analysis.records:
        folder = sweep.trial_of(record)
        if folder is not None and folder.path.is_dir():
            out[str(record.get("config_file"))] = trialfiles.epochs(folder)
    return out


def _importances(sweep_dir: Path, analysis: Analysis):
    """Per-symbol importance of a sampled or model-based sweep (a grid sweep has none): it
    costs a dozen small forest fits, so only the final analysis computes it."""
    from ksweep.analysis.importance import importance, sweep_space

    space = sweep_space(sweep_dir)
    return importance(analysis, space) if space is not None else None


@dataclass(frozen=True)
class Asked:
    """What the command line asked the analysis to rank by (None: the trials' config)."""

    metric: str | None = None
    goal: str | None = None
    objectives: str | None = None
    constraints: str | None = None


def _analysis(
    sweep_dir: Path,
    records: Sequence[dict[str, Any]],
    varying_symbols: Sequence[str],
    asked: Asked,
) -> Analysis:
    """The analysis of a sweep folder's records by the metric or objectives asked for (or
    configured); with several objectives, the first one ranks the single-metric outputs."""
    config = first_config(sweep_dir, records)
    try:
        chosen, bounds = asked_objectives(
            config, asked.metric, asked.goal, asked.objectives, asked.constraints
        )
    except ValueError as problem:
        raise ObjectivesRefused(f"{problem}; nothing was rewritten") from None
    for named in [*(o.metric for o in chosen or ()), *(b.metric for b in bounds)]:
        records = _with_epoch_values(sweep_dir, records, named)
    if chosen is not None:
        if asked.objectives is not None:
            for objective in chosen:
                check_recorded(sweep_dir, records, objective.metric)
        primary = chosen[0]
        source = (
            f"OBJECTIVES={asked.objectives}"
            if asked.objectives is not None
            else f'CONFIG_SWEEP_OBJECTIVES="{config.get("SWEEP_OBJECTIVES")}"'
        )
        analysis = analyze(records, varying_symbols, primary.metric, primary.goal, source)
        return replace(analysis, objectives=Objectives(chosen, bounds))
    metric, goal = asked.metric, asked.goal
    named, _ = requested_metric(config, metric, goal)
    resolved, goal = choose_metric(sweep_dir, records, metric, goal)
    records = _with_epoch_values(sweep_dir, records, resolved)
    if metric is not None and metric != AUTO:
        check_recorded(sweep_dir, records, resolved)
    source = f"METRIC={metric}" if metric is not None else f'CONFIG_SWEEP_METRIC="{named}"'
    analysis = analyze(records, varying_symbols, AUTO if named == AUTO else resolved, goal, source)
    if not bounds:
        return analysis
    ranked = single(analysis.metric.name, analysis.goal).objectives
    return replace(analysis, objectives=Objectives(ranked, bounds))


def write_final_reports(
    sweep_dir: Path,
    records: list[dict],
    varying_symbols: list[str],
    metric: str | None = None,
    goal: str | None = None,
    say: Callable[[str], Any] = print,
    objectives: str | None = None,
    constraints: str | None = None,
) -> Analysis | None:
    """Every output, once a sweep has ended: what the runner calls last.

    A problem here (a plot that cannot be drawn, Ctrl-C while drawing) must not cost the
    sweep its results, which are already on disk: it is reported with the command that
    redoes the analysis, and None is returned."""
    try:
        analysis = write_reports(
            sweep_dir,
            records,
            varying_symbols,
            metric,
            goal,
            final=True,
            objectives=objectives,
            constraints=constraints,
        )
    except (Exception, KeyboardInterrupt) as problem:
        say(
            f"ksweep: warning: the final reports were not all written ({type(problem).__name__}: "
            f"{problem}); write them with `make sweep-analyze SWEEP={sweep_dir}`"
        )
        return None
    from ksweep.analysis.html_report import REPORT_HTML

    report = SweepFolder(Path(sweep_dir)).report
    say(f"ksweep: report, plots, results.csv and TensorBoard files: {report}")
    say(f"ksweep: in a browser: {report.with_name(REPORT_HTML)} (make sweep-report opens it)")
    return analysis


def best_line(analysis: Analysis) -> str:
    """A sweep's closing line: the best *configuration* by mean, the test accuracy at that
    point when a validation metric chose it (or, plainly, that the test set chose it), and
    what it ties with."""
    from ksweep.analysis.labels import join_names, settings_text
    from ksweep.analysis.words import mean_text, test_at_selection

    best = analysis.ranking.best
    metric = analysis.metric
    if best is None:
        if analysis.ranking.unrecorded:
            return f"Best: none ({metric.name} was not recorded by the trials)"
        return "Best: none (no configuration completed)"
    if analysis.winner is None:
        return "Best: none (every trial ends at chance: nothing was learned)"
    line = f"Best: {best.name} {metric.name} {mean_text(metric, best.metric)}"
    test = test_at_selection(analysis)
    if test is not None:
        line += f" ({test.name} {mean_text(test, best.summary(test.name))} at that point)"
    elif metric.split == TEST:
        why = "" if analysis.has_validation else ": no validation split"
        line += f", selected on the test set{why};"
    line = f"{line} {settings_text(best.settings)}".rstrip().rstrip(";")
    tied = [g.name for g in analysis.ranking.tied]
    if tied:
        line += f"; within noise of it: {join_names(tied)}"
    return line


FINAL_METRICS = (
    "test_acc",
    "val/acc",
    "val/loss",
    "best_test_acc",
    "last3_test_acc",
    "test_acc_at_best_val",
    "final_sparsity",
    "training_time",
    "wall_time",
)


def trial_hparams(analysis: Analysis, record: dict[str, Any]) -> dict[str, Any]:
    """What the HParams dashboard shows of a trial: its swept values (the seed among them),
    its configuration and its status."""
    values = {symbol: record.get(symbol) for symbol in analysis.varying_symbols}
    if "CONFIG_SEED" not in values:
        values["seed"] = record.get("seed")
    group = next((g for g in analysis.groups if any(r is record for r in g.records)), None)
    values["configuration"] = group.name if group is not None else record.get("config_file")
    values["status"] = record.get("status")
    return values


def _write_final(
    sweep_dir: Path,
    analysis: Analysis,
    runs: Runs | None,
    defconfig_dir: Path | str | None,
    importances,
    epochs: dict[str, list[dict]],
    improving: str | None,
) -> None:
    from ksweep.analysis.best import project_defconfig_dir, write_best_defconfig
    from ksweep.analysis.drawing import write_plots
    from ksweep.analysis.html_report import REPORT_HTML, report_html
    from ksweep.analysis.importance import importance_markdown, sweep_space
    from ksweep.analysis.tables import report_markdown, results_csv
    from ksweep.analysis.tensorboard import launch_line, write_trial_events
    from ksweep.analysis.text import warnings
    from ksweep.analysis.words import verdict

    sweep = SweepFolder(sweep_dir)
    write_text_atomic(sweep.results_csv, results_csv(analysis))
    spectra: dict[str, dict[str, list[float]]] = {}
    for record in analysis.records:
        folder = sweep.trial_of(record)
        name = str(record.get("config_file"))
        if folder is None or name not in epochs:
            continue
        spectra[name] = trialfiles.spectrum(folder)
        final = {key: record.get(key) for key in FINAL_METRICS}
        write_trial_events(folder.path, epochs[name], trial_hparams(analysis, record), final)
    links = write_plots(sweep.plots, analysis, epochs, spectra, sweep_space(sweep_dir))
    install = project_defconfig_dir(sweep_dir) if defconfig_dir == AUTO else defconfig_dir
    best = write_best_defconfig(sweep_dir, analysis, install_dir=Path(install) if install else None)
    text = report_markdown(
        analysis,
        sweep_dir.resolve().name,
        str(sweep_dir),
        links,
        best.load_command() if best else None,
        runs,
        launch_line(str(sweep_dir)),
    )
    if importances:
        text += "\n" + importance_markdown(importances)
    if improving:
        text += f"\n**{improving}**\n"
    write_text_atomic(sweep.report, text)
    said = [line for line in verdict(analysis) if line.startswith("Warning")]
    warned = [*said, *warnings(analysis), *([improving] if improving else [])]
    page = report_html(sweep_dir, analysis, best_line(analysis), warned, links)
    write_text_atomic(sweep.report.with_name(REPORT_HTML), page)


def compare_sweeps(
    a_dir: Path, b_dir: Path, metric: str | None = None, goal: str | None = None
) -> str:
    """The comparison text of two sweep folders, ranked by A's metric unless given."""
    from ksweep.analysis.compare import compare_text

    a_records, a_varying, _ = load_sweep(a_dir)
    b_records, b_varying, _ = load_sweep(b_dir)
    metric, goal = choose_metric(a_dir, a_records, metric, goal)
    a_records = _with_epoch_values(a_dir, a_records, metric)
    b_records = _with_epoch_values(b_dir, b_records, metric)
    if not recorded(a_records, metric) and not recorded(b_records, metric):
        check_recorded(a_dir, a_records + b_records, metric)
    a = analyze(a_records, a_varying, metric, goal)
    b = analyze(b_records, b_varying, metric, goal)
    return compare_text(a_dir, a, b_dir, b)
