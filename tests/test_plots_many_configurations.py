"""Curves of a sweep with more configurations than the palette has colours, one of them
stopped early by a rule, and a best configuration still improving at its last epoch."""

from __future__ import annotations

from ksweep.analysis import curvedata, plots
from ksweep.analysis.core import analyze
from ksweep.analysis.drawing import write_plots
from ksweep.analysis.improving import improving_warning

VARYING = ["CONFIG_LEARNING_RATE"]


def sweep(count: int = 14):
    records, epochs = [], {}
    for i in range(count):
        name = f"config_{i + 1:03d}"
        pruned = i == count - 1
        last = 1 if pruned else 3
        rows = [
            {"epoch": e, "val/acc": 20.0 + i + 10 * e, "val/loss": 2.0 / e}
            for e in range(1, last + 1)
        ]
        epochs[name] = rows
        record = {
            "config_file": name,
            "status": "pruned" if pruned else "completed",
            "val/acc": rows[-1]["val/acc"],
            "test_acc": rows[-1]["val/acc"],
            "wall_time": 1.0,
            "CONFIG_LEARNING_RATE": f"0.{i + 1:02d}",
        }
        if pruned:
            record["stopped"] = {"epoch": 1, "rule": "asha"}
        records.append(record)
    return analyze(records, VARYING, "val/acc", "max"), epochs


def test_every_configuration_has_a_line_and_the_stopped_one_is_marked(tmp_path):
    analysis, epochs = sweep()
    chart = curvedata.curves(analysis, epochs)
    assert chart.configurations == 14
    series = chart.panels[0].series
    assert len({s.color for s in series}) == 14  # one colour index per configuration
    stopped = [s for s in series if s.stopped]
    assert [s.label for s in stopped] == ["LEARNING_RATE=0.14"] and stopped[0].x == (1.0,)
    assert "x: a trial an early-stopping rule stopped" in chart.subtitle
    assert plots.curve_chart(chart, tmp_path / "curves.png").stat().st_size > 10_000


def test_a_best_still_improving_is_warned_in_words_and_on_the_curves(tmp_path):
    analysis, epochs = sweep()
    warning = improving_warning(analysis, epochs)
    assert warning.startswith("Warning (still improving): the best configuration, config_013")
    assert "(val/acc 52.00% at epoch 2, 62.00% at epoch 3)" in warning
    write_plots(tmp_path, analysis, epochs, {})
    assert (tmp_path / "curves.png").is_file()
