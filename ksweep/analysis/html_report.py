"""``report.html``: the sweep's report as one self-contained page a browser opens offline.

Beside ``report.md`` and built from the same analysis: the closing line, every
warning, the ablation table (sortable by any column with a click: a small inline
script, no library), parallel coordinates over the swept symbols and the metric
(inline SVG), and every plot embedded as a PNG data URI, with its caption. Nothing
is fetched from a network, so the file can be mailed or archived alone.

The inline script marks the page (``data-script="ran"`` on ``<body>``) once it has
set the tables up, and records any script error it sees: the browser test reads
both from the page's DOM.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape
from pathlib import Path

from ksweep.analysis.core import Analysis
from ksweep.analysis.labels import short_symbol, shown
from ksweep.analysis.parallel import parallel_svg
from ksweep.analysis.tables import PlotLink

REPORT_HTML = "report.html"

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px;
       color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
.best { font-weight: bold; background: #eef8ee; padding: .5em; border-left: 4px solid #2ca02c; }
.warnings li { color: #8a1c1c; margin: .3em 0; }
table { border-collapse: collapse; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #f2f2f2; cursor: pointer; user-select: none; }
th[aria-sort="ascending"]::after { content: " \\25B2"; }
th[aria-sort="descending"]::after { content: " \\25BC"; }
td.name, th.name { text-align: left; }
tr.top td { background: #eef8ee; font-weight: bold; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #555; font-size: .9em; }
"""

# Sorts a table by the clicked column (numbers by value, then text); marks the page once run.
SCRIPT = r"""
window.addEventListener("error", function (e) {
  document.body.setAttribute("data-script-error", String(e.message));
});
function ksweepSortable(table) {
  var heads = table.querySelectorAll("th");
  heads.forEach(function (th, column) {
    th.addEventListener("click", function () {
      var up = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].getAttribute("data-sort") || a.cells[column].textContent;
        var y = b.cells[column].getAttribute("data-sort") || b.cells[column].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return up ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
}
document.querySelectorAll("table.sortable").forEach(ksweepSortable);
// report.html#sort=4 opens the ablation table sorted by its fifth column (#sort=4-: descending).
var wanted = /^#sort=(\d+)(-?)$/.exec(window.location.hash);
var head = wanted && document.querySelectorAll("#ablation th")[Number(wanted[1])];
if (head) { head.click(); if (wanted[2]) { head.click(); } }
document.body.setAttribute("data-script", "ran");
"""


def _cell(text: str, sort: float | str | None = None, name: bool = False) -> str:
    attributes = ' class="name"' if name else ""
    if sort is not None:
        attributes += f' data-sort="{escape(str(sort))}"'
    return f"<td{attributes}>{escape(text)}</td>"


def ablation_table(analysis: Analysis) -> str:
    """Every configuration, best first: its values, metric mean and 95% interval, seeds."""
    metric, ranking = analysis.metric, analysis.ranking
    symbols = list(analysis.symbols)
    heads = ["rank", "configuration", *map(short_symbol, symbols)]
    heads += [f"{metric.name} mean", "95% interval", "seeds", "failed", "wall time (s)"]
    rows = []
    for place, group in enumerate(ranking.every, start=1):
        summary = group.metric
        ranked = any(group is g for g in ranking.ranked)
        interval = (
            f"{metric.shown(summary.low)} .. {metric.shown(summary.high)}"
            if summary.has_interval
            else "-"
        )
        name = group.name + (" (stopped early)" if group.pruned else "")
        tie = " (within noise of the best)" if ranking.replicated else " (equal to the best)"
        name += tie if ranking.is_tied(group) else ""
        wall = group.summary("wall_time").mean
        cells = [
            _cell(str(place) if ranked else "-", place),
            _cell(name, group.name, name=True),
            *(_cell(shown(group.settings.get(s)), name=True) for s in symbols),
            _cell(metric.shown(summary.mean), "" if summary.mean is None else summary.mean),
            _cell(interval),
            _cell(str(summary.n), summary.n),
            _cell(str(len(group.failed)), len(group.failed)),
            _cell("-" if wall is None else f"{wall:.1f}", "" if wall is None else wall),
        ]
        top = ' class="top"' if group is ranking.best else ""
        rows.append(f"<tr{top}>{''.join(cells)}</tr>")
    head = "".join(
        f"<th{' class=name' if i in range(1, 2 + len(symbols)) else ''}>{escape(h)}</th>"
        for i, h in enumerate(heads)
    )
    return (
        f'<table class="sortable" id="ablation"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _figure(sweep_dir: Path, link: PlotLink) -> str:
    path = sweep_dir / link.path
    if not path.is_file():
        return f"<p>{escape(link.title)}: {escape(link.path)} was not drawn.</p>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(link.title)}">'
        f"<figcaption><b>{escape(link.title)}.</b> {escape(link.caption)}</figcaption></figure>"
    )


def report_html(
    sweep_dir: Path,
    analysis: Analysis,
    best: str,
    warnings: Sequence[str],
    links: Sequence[PlotLink],
) -> str:
    """The whole page: ``best`` is the closing line, ``warnings`` every warning's sentence."""
    sweep_dir = Path(sweep_dir)
    title = f"Sweep {sweep_dir.resolve().name}"
    warned = "".join(f"<li>{escape(w)}</li>" for w in warnings) or "<li>none</li>"
    metric = analysis.metric
    figures = "\n".join(_figure(sweep_dir, link) for link in links)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="best">{escape(best)}</p>
<p>Ranked by {escape(metric.name)} ({escape(metric.label)}),
{"higher" if analysis.goal == "max" else "lower"} is better;
{len(analysis.records)} trials in {len(analysis.groups)} configurations.</p>
<h2>Warnings</h2>
<ul class="warnings" id="warnings">{warned}</ul>
<h2>Ablation table</h2>
<p>Click a column's name to sort by it. Interval: 95% interval of the mean over seeds
(none with one seed).</p>
{ablation_table(analysis)}
<h2>Parallel coordinates</h2>
<p>One line per configuration through its value of each swept symbol and its
{escape(metric.name)}; colour from the worst (dark purple) to the best (yellow);
the thick line is the best. Hover a line for its name.</p>
{parallel_svg(analysis)}
<h2>Plots</h2>
{figures}
<script>{SCRIPT}</script>
</body></html>
"""
