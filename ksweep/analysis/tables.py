"""``results.csv`` (one row per trial) and ``report.md`` (the ablation table and plots).

The CSV is for the next analysis (pandas, a spreadsheet); the report is for
a person: an ablation table of only the symbols that vary, the best
configuration in bold, the ones within noise of it marked, the verdict in
words, the warnings, the cost and links to every plot. Both say which split
chose the best configuration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ksweep.analysis import findings
from ksweep.analysis.core import Analysis
from ksweep.analysis.cost import Runs, saved_by_stopping_line, trial_time_line, wall_clock_lines
from ksweep.analysis.labels import settings_text, short_symbol, shown
from ksweep.analysis.metrics import WALL_TIME
from ksweep.analysis.pareto import front_columns
from ksweep.analysis.stats import Group
from ksweep.analysis.text import (
    auto_reason,
    notes,
    outcome_counts,
    seeds_line,
    trials_text,
    warnings,
)
from ksweep.analysis.words import (
    cheapest_line,
    marginal_text,
    mean_text,
    per_seed_line,
    test_at_selection,
    verdict,
)

CSV_METRICS = (
    "test_acc",
    "best_test_acc",
    "last3_test_acc",
    "last3_epochs",
    "test_acc_at_best_val",
    "val/acc",
    "best_val_acc",
    "val/loss",
    "final_sparsity",
    "training_time",
    "wall_time",
    "params",
    "num_classes",
)


def results_rows(analysis: Analysis) -> list[dict[str, Any]]:
    """One flat row per trial, in the summary's order, with its configuration's rank."""
    place = {id(g): i for i, g in enumerate(analysis.ranking.ranked, start=1)}
    group_of = {id(r): g for g in analysis.groups for r in g.records}
    selected_on = {"validation": "validation", "test": "test set"}.get(analysis.metric.split, "")
    rows = []
    for record in analysis.records:
        group = group_of[id(record)]
        row: dict[str, Any] = {
            "config_file": record.get("config_file"),
            "configuration": group.name,
            "rank": place.get(id(group)),
            "best": group is analysis.ranking.best,
            "within_noise_of_best": analysis.ranking.is_tied(group),
            "ranked_by": analysis.metric.name,
            "selected_on": selected_on,
            "status": record.get("status"),
            "at_chance": findings.at_chance(record),
            "seed": record.get("seed"),
        }
        if analysis.front is not None:
            row.update(front_columns(analysis.front, group))
        row.update({symbol: record.get(symbol) for symbol in analysis.symbols})
        row.update({name: record.get(name) for name in CSV_METRICS})
        row["error"] = record.get("error")
        row["trial_dir"] = record.get("test_name")
        rows.append(row)
    return rows


def results_csv(analysis: Analysis) -> str:
    import pandas as pd

    frame = pd.DataFrame(results_rows(analysis))
    for column in ("rank", "pareto_rank", "last3_epochs", "num_classes"):
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    return frame.to_csv(index=False, lineterminator="\n")


@dataclass(frozen=True)
class PlotLink:
    title: str
    path: str  # relative to the sweep folder
    caption: str


def _cell(text: str, bold: bool) -> str:
    text = text.replace("|", "\\|")
    return f"**{text}**" if bold and text else text


def _mean_pm(analysis: Analysis, group: Group, test: bool = False) -> str:
    """The ranked metric's mean (or, with ``test``, the test accuracy beside it) ± std."""
    metric = test_at_selection(analysis) if test else analysis.metric
    assert metric is not None
    summary = group.summary(metric.name) if test else group.metric
    if summary.mean is None:
        if group.unrecorded:
            return "not recorded"
        return f"failed ({len(group.not_counted)} of {len(group.records)})"
    if summary.std is None:
        return metric.spread(summary.mean)
    return f"{metric.spread(summary.mean)} ± {metric.spread(summary.std)}"


def _interval(analysis: Analysis, group: Group) -> str:
    summary, metric = group.metric, analysis.metric
    if not summary.has_interval:
        return ""
    return f"{metric.spread(summary.low)} to {metric.spread(summary.high)}"


def ablation_table(analysis: Analysis) -> list[str]:
    metric = analysis.metric
    test = test_at_selection(analysis)
    unit = f" ({metric.unit})" if metric.unit else ""
    headers = ["rank", "configuration", *(short_symbol(s) for s in analysis.symbols)]
    headers += [f"{metric.name}{unit}", "n", "95% interval"]
    headers += [f"{test.name} at selection ({test.unit})"] if test else []
    headers += ["wall time / trial (s)"]
    align = ["---:", "---", *("---" for _ in analysis.symbols), "---:", "---:", "---"]
    align += ["---:"] * (2 if test else 1)
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
    places = {id(g): str(i) for i, g in enumerate(analysis.ranking.ranked, start=1)}
    places.update({id(g): "stopped" for g in analysis.ranking.stopped})
    for group in analysis.ranking.every:
        best = group is analysis.ranking.best
        marks = (" ≈" if analysis.ranking.is_tied(group) else "") + (
            " (at chance)" if findings.group_at_chance(group) else ""
        )
        wall = group.summary("wall_time").mean
        cells = [
            places.get(id(group), "–"),
            group.name + marks,
            *(shown(group.settings.get(s)) for s in analysis.symbols),
            _mean_pm(analysis, group),
            str(group.metric.n),
            _interval(analysis, group),
            *([_mean_pm(analysis, group, test=True)] if test else []),
            WALL_TIME.spread(wall) if wall is not None else "",
        ]
        lines.append("| " + " | ".join(_cell(c, best) for c in cells) + " |")
    return lines


def _summary_lines(analysis: Analysis) -> list[str]:
    metric, ranking = analysis.metric, analysis.ranking
    auto = auto_reason(analysis)
    out = [
        f"- **Metric:** `{metric.name}` ({metric.label}), {metric.direction(analysis.goal)}"
        + (f" (METRIC=auto: {auto})." if auto else ".")
    ]
    selection = findings.selection_line(analysis)
    if selection:
        out.append(f"- **Selection:** {selection}.")
    out += [
        f"- **Seeds:** {seeds_line(analysis)}.",
        f"- **Trials:** {trials_text(analysis)}; {outcome_counts(analysis)}.",
    ]
    best = ranking.best
    if best is not None and analysis.winner is not None:
        value = mean_text(metric, best.metric, interval=True).replace("+-", "±")
        line = (
            f"- **Best:** {best.name} ({settings_text(best.settings) or 'the one configuration'}"
            f"): {metric.short} {value}"
        )
        test = test_at_selection(analysis)
        if test is not None:
            line += f"; {test.short} {mean_text(test, best.summary(test.name))} at that point"
        out.append(line + ".")
        if len(best.records) > 1:
            label, _, values = per_seed_line(metric, best).partition(": ")
            out.append(f"- **{label}:** {values}.")
    out += [f"- **Note:** {note}" for note in notes(analysis)]
    return out


def report_markdown(
    analysis: Analysis,
    sweep_name: str,
    sweep_path: str,
    plots: Sequence[PlotLink],
    load_command: str | None,
    runs: Runs | None = None,
    tensorboard: str | None = None,
) -> str:
    ranking = analysis.ranking
    out = [f"# Sweep report: {sweep_name}", "", *_summary_lines(analysis)]
    said = verdict(analysis) or ["no configuration completed."]
    out += ["", "**Verdict:** " + " ".join(said)]
    found = warnings(analysis)
    if found:
        out += [""]
        for warning in found:
            label, _, text = warning.partition("): ")
            out.append(f"- **{label})**: {text}" if text else f"- {warning}")
    out += ["", "## Ablation table", ""]
    if analysis.symbols:
        out.append(
            "Only the symbols that vary are listed. **Bold**: the best configuration; "
            "≈: within noise of the best."
        )
    else:
        out.append("No symbol varies but the seed: one configuration.")
    out += ["", *ablation_table(analysis), ""]
    if analysis.effects and ranking.ranked:
        out += ["## Swept symbols", ""]
        for effect in analysis.effects:
            out.append(f"- **{effect.symbol}**: {effect.sentence()}")
            for level in effect.levels:
                out.append(
                    f"  - `{shown(level.value)}`: "
                    + marginal_text(analysis.metric, level.summary, level.outcomes)
                )
        out.append("")
    out += ["## Time and cost", ""]
    out += [f"- {trial_time_line(analysis.records)}"]
    out += [f"- {line}" for line in wall_clock_lines(analysis.records, runs)]
    saved = saved_by_stopping_line(analysis.records)
    out += [f"- {saved}."] if saved else []
    cheapest = cheapest_line(analysis)
    if cheapest:
        out.append(f"- {cheapest}")
    out.append("")
    if plots:
        out += ["## Plots", ""]
        for link in plots:
            caption = link.caption[:1].upper() + link.caption[1:]
            out += [f"### {link.title}", "", caption, "", f"![{link.title}]({link.path})", ""]
    if load_command:
        out += [
            "## Next step",
            "",
            "Load the best configuration into `.config`:",
            "",
            f"    {load_command}",
            "",
        ]
    if analysis.failed:
        out += ["## Failed trials", ""]
        for record in analysis.failed:
            error = shown(record.get("error")).splitlines()[0] if record.get("error") else "n/a"
            out.append(
                f"- {record.get('config_file')} [{record.get('status')}]: {error} "
                f"(log: `{record.get('log')}`)"
            )
        out.append("")
    out += [
        "## Files",
        "",
        "- `sweep_analysis.txt`: the ranking in the sweep guide's layout",
        "- `results.csv`: one row per trial; `sweep_summary.json`: the raw records",
        f"- TensorBoard: {tensorboard or f'`tensorboard --logdir {sweep_path}`'}",
        "",
    ]
    return "\n".join(out)
