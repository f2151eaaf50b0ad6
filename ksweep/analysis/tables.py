"""``results.csv`` (one row per trial) and ``report.md`` (the ablation table and plots).

The CSV is for the next analysis (pandas, a spreadsheet); the report is for
a person: an ablation table of only the symbols that vary, the best
configuration in bold, the ones within noise of it marked, the verdict in
words and links to every plot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ksweep.analysis.core import Analysis
from ksweep.analysis.labels import settings_text, short_symbol, shown
from ksweep.analysis.metrics import WALL_TIME
from ksweep.analysis.stats import Group
from ksweep.analysis.text import (
    NO_SEEDS,
    cheapest_line,
    marginal_text,
    mean_text,
    per_seed_line,
    verdict,
)

CSV_METRICS = (
    "test_acc",
    "best_test_acc",
    "last3_test_acc",
    "val/acc",
    "val/loss",
    "final_sparsity",
    "training_time",
    "wall_time",
    "params",
)


def results_rows(analysis: Analysis) -> list[dict[str, Any]]:
    """One flat row per trial, in the summary's order, with its configuration's rank."""
    place = {id(g): i for i, g in enumerate(analysis.ranking.ranked, start=1)}
    group_of = {id(r): g for g in analysis.groups for r in g.records}
    rows = []
    for record in analysis.records:
        group = group_of[id(record)]
        row: dict[str, Any] = {
            "config_file": record.get("config_file"),
            "configuration": group.name,
            "rank": place.get(id(group)),
            "best": group is analysis.ranking.best,
            "within_noise_of_best": analysis.ranking.is_tied(group),
            "status": record.get("status"),
            "seed": record.get("seed"),
        }
        row.update({symbol: record.get(symbol) for symbol in analysis.symbols})
        row.update({name: record.get(name) for name in CSV_METRICS})
        row["error"] = record.get("error")
        row["trial_dir"] = record.get("test_name")
        rows.append(row)
    return rows


def results_csv(analysis: Analysis) -> str:
    import pandas as pd

    frame = pd.DataFrame(results_rows(analysis))
    if "rank" in frame:
        frame["rank"] = frame["rank"].astype("Int64")
    return frame.to_csv(index=False, lineterminator="\n")


@dataclass(frozen=True)
class PlotLink:
    title: str
    path: str  # relative to the sweep folder
    caption: str


def _cell(text: str, bold: bool) -> str:
    text = text.replace("|", "\\|")
    return f"**{text}**" if bold and text else text


def _mean_pm(analysis: Analysis, group: Group) -> str:
    metric, summary = analysis.metric, group.metric
    if summary.mean is None:
        return f"failed ({len(group.failed)} of {len(group.records)})"
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
    unit = f" ({metric.unit})" if metric.unit else ""
    headers = ["rank", "configuration", *(short_symbol(s) for s in analysis.symbols)]
    headers += [f"{metric.name}{unit}", "n", "95% interval", "wall time / trial (s)"]
    align = ["---:", "---", *("---" for _ in analysis.symbols), "---:", "---:", "---", "---:"]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
    ranked = analysis.ranking.ranked
    for place, group in enumerate(ranked + analysis.ranking.unranked, start=1):
        best = group is analysis.ranking.best
        tied = analysis.ranking.is_tied(group)
        name = group.name + (" ≈" if tied else "")
        wall = group.summary("wall_time").mean
        cells = [
            str(place) if group.metric.mean is not None else "–",
            name,
            *(shown(group.settings.get(s)) for s in analysis.symbols),
            _mean_pm(analysis, group),
            str(group.metric.n),
            _interval(analysis, group),
            WALL_TIME.spread(wall) if wall is not None else "",
        ]
        lines.append("| " + " | ".join(_cell(c, best) for c in cells) + " |")
    return lines


def report_markdown(
    analysis: Analysis,
    sweep_name: str,
    sweep_path: str,
    plots: Sequence[PlotLink],
    load_command: str | None,
    elapsed: float | None = None,
) -> str:
    metric = analysis.metric
    ranking = analysis.ranking
    out = [f"# Sweep report: {sweep_name}", ""]
    seeds = (
        f"mean ± std over {'/'.join(map(str, ranking.seeds_per_configuration()))} seeds per "
        "configuration, 95% intervals (Student t)"
        if ranking.replicated
        else NO_SEEDS
    )
    out += [
        f"- **Metric:** `{metric.name}` ({metric.label}), {metric.direction(analysis.goal)}; "
        f"{seeds}.",
        f"- **Trials:** {len(analysis.records)} ({len(analysis.completed)} completed, "
        f"{len(analysis.failed)} failed) in {len(analysis.groups)} configurations.",
    ]
    if ranking.best is not None:
        best = ranking.best
        out.append(
            f"- **Best:** {best.name} ({settings_text(best.settings) or 'the one configuration'}"
            f"): {metric.short} {mean_text(metric, best.metric, interval=True).replace('+-', '±')}."
        )
        if len(best.records) > 1:
            label, _, values = per_seed_line(metric, best).partition(": ")
            out.append(f"- **{label}:** {values}.")
    out += [f"- **Note:** {note}" for note in analysis.notes]
    out += ["", "**Verdict:** " + " ".join(verdict(analysis) or ["no configuration completed."])]
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
                out.append(f"  - `{shown(level.value)}`: {marginal_text(metric, level.summary)}")
        out.append("")
    walls = [r["wall_time"] for r in analysis.records if r.get("wall_time") is not None]
    if walls:
        out += ["## Time and cost", ""]
        out.append(
            f"- Trial wall time: {WALL_TIME.shown(sum(walls))} in all for {len(walls)} "
            f"trials ({WALL_TIME.shown(sum(walls) / len(walls))} per trial)."
        )
        if elapsed is not None:
            out.append(f"- Sweep wall clock, start to end: {WALL_TIME.shown(elapsed)}.")
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
        f"- TensorBoard: `tensorboard --logdir {sweep_path}` shows every trial",
        "",
    ]
    return "\n".join(out)
