"""What the per-epoch figures show, as plain data: training curves and scree plots.

Split from :mod:`ksweep.analysis.plotdata` (the per-configuration charts):
these figures draw one line per trial or configuration over epochs or
singular-value ranks. Each panel draws what the trials recorded: without a
validation split the curves show the training loss and the test accuracy,
never an empty panel for a metric nobody measured.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ksweep.analysis.core import Analysis
from ksweep.analysis.labels import group_label
from ksweep.analysis.stats import Group
from ksweep.sweep.states import TrialState, state_of


def _ordered(analysis: Analysis) -> list[Group]:
    return analysis.ranking.every


@dataclass(frozen=True)
class Series:
    label: str  # the configuration's label; shown in the legend once per configuration
    x: tuple[float, ...]
    y: tuple[float, ...]
    color: int  # index of the configuration in the ranking: one colour per configuration
    in_legend: bool  # only the first seed of a configuration carries the label
    best: bool
    stopped: bool = False  # an early-stopping rule ended this trial before its last epoch


@dataclass(frozen=True)
class CurvePanel:
    title: str
    ylabel: str
    series: list[Series]
    log_y: bool


@dataclass(frozen=True)
class CurveChart:
    title: str
    subtitle: str
    xlabel: str
    panels: list[CurvePanel]
    smoothing: float
    warning: str | None = None  # drawn in red on the chart (the best was still improving)
    configurations: int = 0  # how many configurations share the colours


# key -> (panel title, axis label, scale to display units)
CURVE_KEYS = {
    "val/loss": ("Validation loss", "validation loss (cross-entropy)", 1.0),
    "val/acc": ("Validation accuracy", "validation accuracy (%)", 1.0),
    "train/loss": ("Training loss", "training loss (cross-entropy)", 1.0),
    "train/acc": ("Training accuracy", "training accuracy (%)", 1.0),
    "test_acc": ("Test accuracy", "test accuracy (%)", 1.0),
}


def smooth(values: Sequence[float], weight: float) -> list[float]:
    """TensorBoard's debiased exponential moving average; weight 0 returns the values."""
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing must be in [0, 1), got {weight}")
    if weight == 0.0:
        return list(values)
    out, last = [], 0.0
    for step, value in enumerate(values, start=1):
        last = last * weight + (1.0 - weight) * value
        out.append(last / (1.0 - weight**step))
    return out


# Each panel's choices, first recorded wins: validation when the trials have it.
LOSS_KEYS = ("val/loss", "train/loss")
ACCURACY_KEYS = ("val/acc", "test_acc")


def _has(epochs: dict[str, list[dict]], key: str) -> bool:
    return any(
        isinstance(row.get(key), int | float) and math.isfinite(row[key])
        for rows in epochs.values()
        for row in rows
    )


def default_keys(epochs: dict[str, list[dict]]) -> tuple[str, str]:
    """The loss and accuracy the curves show: validation's when recorded, else the training
    loss and the test accuracy, which every epoch has."""
    loss = next((k for k in LOSS_KEYS if _has(epochs, k)), LOSS_KEYS[0])
    accuracy = next((k for k in ACCURACY_KEYS if _has(epochs, k)), ACCURACY_KEYS[0])
    return loss, accuracy


def curves_title(keys: Sequence[str]) -> str:
    """ "Validation loss and accuracy", "Training loss and test accuracy", ..."""
    names = [CURVE_KEYS.get(k, (k,))[0] for k in keys]
    if keys == ("val/loss", "val/acc"):
        return "Validation loss and accuracy"
    return " and ".join([names[0], *(n[:1].lower() + n[1:] for n in names[1:])])


def curves(
    analysis: Analysis,
    epochs: dict[str, list[dict]],
    keys: Sequence[str] | None = None,
    smoothing: float = 0.0,
    log_y: Sequence[str] = ("val/loss", "train/loss"),
) -> CurveChart:
    """Per-epoch curves of every trial on one chart, a panel per key, a colour per
    configuration (its seeds share the colour). ``epochs`` maps config_file -> epoch rows;
    ``keys`` None draws :func:`default_keys`: what the trials recorded."""
    keys = tuple(keys) if keys is not None else default_keys(epochs)
    panels = []
    for key in keys:
        title, ylabel, scale = CURVE_KEYS.get(key, (key, key, 1.0))
        series = []
        for color, group in enumerate(_ordered(analysis)):
            labelled = False
            for record in group.records:
                rows = epochs.get(record.get("config_file", ""), [])
                pairs = [
                    (float(r["epoch"]), float(r[key]) * scale)
                    for r in rows
                    if isinstance(r.get(key), int | float)
                    and math.isfinite(r[key])
                    and isinstance(r.get("epoch"), int | float)
                ]
                if not pairs:
                    continue
                xs, ys = zip(*pairs, strict=True)
                series.append(
                    Series(
                        label=group_label(group),
                        x=tuple(xs),
                        y=tuple(smooth(ys, smoothing)),
                        color=color,
                        in_legend=not labelled,
                        best=group is analysis.ranking.best,
                        stopped=state_of(record) is TrialState.PRUNED,
                    )
                )
                labelled = True
        log = key in log_y and bool(series) and all(v > 0 for s in series for v in s.y)
        panels.append(CurvePanel(title, ylabel + (", log scale" if log else ""), series, log))
    note = "one line per trial, one colour per configuration; thick line: the best configuration"
    if any(s.stopped for p in panels for s in p.series):
        note += "; x: a trial an early-stopping rule stopped at that epoch"
    if smoothing:
        note += f"; smoothed (EMA {smoothing:g})"
    return CurveChart(
        title=f"{curves_title(keys)} of every trial",
        subtitle=note,
        xlabel="epoch",
        panels=panels,
        smoothing=smoothing,
        configurations=len(_ordered(analysis)),
    )


@dataclass(frozen=True)
class ScreePanel:
    layer: str
    series: list[Series]  # x: rank 1..k, y: singular value (or value / largest)


@dataclass(frozen=True)
class ScreeChart:
    title: str
    subtitle: str
    xlabel: str
    ylabel: str
    panels: list[ScreePanel]
    normalized: bool
    log_y: bool


# A scree plot goes on a log axis only when its values span this factor or more: the top
# few singular values of a layer often lie within a factor of two, where a log axis shows
# no ticks at all.
LOG_SPAN = 20.0


def scree(
    analysis: Analysis,
    spectra: dict[str, dict[str, list[float]]],
    normalize: bool = False,
    log_y: bool | None = None,
) -> ScreeChart | None:
    """Top singular values per layer (one panel per layer, a line per configuration, from its
    lowest-seed completed trial); None when no trial recorded spectral diagnostics.

    ``normalize`` divides each line by its largest value (sigma_i / sigma_1, in [0, 1]);
    ``log_y`` None means: a log axis when the values span a factor of LOG_SPAN or more."""
    layers: list[str] = []
    for layer_values in spectra.values():
        layers.extend(layer for layer in layer_values if layer not in layers)
    if not layers:
        return None
    panels = []
    for layer in layers:
        series = []
        for color, group in enumerate(_ordered(analysis)):
            source = group.representative()
            values = spectra.get(source.get("config_file", ""), {}).get(layer)
            if not values:
                continue
            top = values[0]
            ys = [v / top for v in values] if normalize and top > 0 else list(values)
            series.append(
                Series(
                    label=group_label(group),
                    x=tuple(float(i) for i in range(1, len(ys) + 1)),
                    y=tuple(ys),
                    color=color,
                    in_legend=True,
                    best=group is analysis.ranking.best,
                )
            )
        panels.append(ScreePanel(layer, series))
    if log_y is None:
        positive = [v for p in panels for s in p.series for v in s.y if v > 0]
        log_y = bool(positive) and max(positive) / min(positive) >= LOG_SPAN
    if log_y:  # a zero cannot sit on a log axis: floor it far below every real value
        panels = [
            ScreePanel(p.layer, [replace(s, y=tuple(max(v, 1e-12) for v in s.y)) for s in p.series])
            for p in panels
        ]
    ylabel = (
        "$\\sigma_i / \\sigma_1$ (singular value / largest)"
        if normalize
        else ("singular value $\\sigma_i$")
    )
    return ScreeChart(
        title="Scree plot: top singular values of each layer's weights"
        + (", normalised" if normalize else ""),
        subtitle="one line per configuration (its lowest seed); thick line: the best"
        + ("; each line divided by its largest value" if normalize else ""),
        xlabel="rank i (1 = largest)",
        ylabel=ylabel + (", log scale" if log_y else ""),
        panels=panels,
        normalized=normalize,
        log_y=log_y,
    )
