"""The data behind every figure: values, labels, error bars, which bar is best.

Figures are drawn from these plain dataclasses, so checking them checks what a person sees
without rendering anything."""

import pytest

from ksweep.analysis import plotdata
from ksweep.analysis.core import analyze
from ksweep.analysis.noise import pool
from ksweep.analysis.plotdata import BEST, FAILED, MISSING, OTHER, TIED
from ksweep.analysis.stats import t_quantile

VARYING = ["CONFIG_OPTIMIZER_SELECT", "CONFIG_SEED"]


def trial(n, opt, seed, acc, wall, status="completed"):
    return {
        "config_file": f"config_{n:03d}",
        "status": status,
        "seed": seed,
        "CONFIG_OPTIMIZER_SELECT": opt,
        "CONFIG_SEED": seed,
        "test_acc": acc if status == "completed" else None,
        "val/acc": acc if status == "completed" else None,
        "wall_time": wall,
    }


RECORDS = [
    trial(1, "SGD", 0, 60.0, 2.0),
    trial(2, "SGD", 1, 62.0, 2.2),
    trial(3, "SGD", 2, 64.0, 2.4),
    trial(4, "ADAM", 0, 97.0, 3.0),
    trial(5, "ADAM", 1, 98.0, 3.2),
    trial(6, "ADAM", 2, 96.0, 3.4),
    trial(7, "ADAMW", 0, 97.5, 3.1),
    trial(8, "ADAMW", 1, 96.5, 3.3),
    trial(9, "ADAMW", 2, 97.0, 3.5),
    trial(10, "NAN", 0, None, 1.0, "failed"),
    trial(11, "NAN", 1, None, 1.2, "failed"),
    trial(12, "NAN", 2, None, 1.4, "failed"),
]


@pytest.fixture
def analysis():
    return analyze(RECORDS, VARYING, "test_acc")


def test_metric_bars_put_the_best_on_top_with_95_percent_whiskers(analysis):
    chart = plotdata.metric_bars(analysis)
    assert chart.labels == [
        "OPTIMIZER_SELECT=ADAM",
        "OPTIMIZER_SELECT=ADAMW",
        "OPTIMIZER_SELECT=SGD",
        "OPTIMIZER_SELECT=NAN",
    ]
    assert chart.values == [97.0, 97.0, 62.0, None]
    assert chart.best_index == 0
    assert [b.kind for b in chart.bars] == [BEST, TIED, OTHER, FAILED]
    adam = chart.bars[0]
    # The whisker is the pooled 95% interval: the seed variance of the configurations with
    # seeds, pooled (analysis.noise), over sqrt(3) seeds.
    noise = pool([g.metric.values for g in analysis.groups if g.metric.n >= 2])
    half = t_quantile(noise.df) * noise.sd / 3**0.5
    assert adam.low == pytest.approx(97.0 - half, abs=1e-3)
    assert adam.high == pytest.approx(97.0 + half, abs=1e-3)
    assert adam.points == (97.0, 98.0, 96.0)
    assert adam.text == "97.00% (sd 1.00, n=3)"
    assert chart.bars[3].text == "failed: 3 of 3 seeds, no value"
    assert chart.value_label == "Test Accuracy (%)" and chart.upper == 100.0
    assert "higher is better" in chart.title
    assert "95% interval" in chart.subtitle
    assert set(chart.legend) == {BEST, TIED, OTHER, FAILED}


def test_one_seed_per_configuration_draws_no_whiskers_and_says_why():
    records = [trial(1, "SGD", 0, 60.0, 2.0), trial(2, "ADAM", 0, 97.0, 3.0)]
    chart = plotdata.metric_bars(analyze(records, VARYING, "test_acc"))
    assert all(b.low is None and b.high is None and b.points == () for b in chart.bars)
    assert chart.subtitle == "one seed per configuration: no error bars (no noise estimate)"


def test_a_metric_to_minimise_ranks_the_lowest_on_top():
    chart = plotdata.metric_bars(analyze(RECORDS, VARYING, "val/acc", "min"))
    assert chart.labels[0] == "OPTIMIZER_SELECT=SGD"
    assert chart.values[0] == pytest.approx(62.0)  # val/acc is shown in percent
    assert "lower is better" in chart.title


def test_wall_time_bars_follow_the_ranking_and_span_fastest_to_slowest(analysis):
    chart = plotdata.wall_time_bars(analysis)
    assert chart.labels == plotdata.metric_bars(analysis).labels
    assert chart.values == pytest.approx([3.2, 3.3, 2.2, 1.2])
    assert (chart.bars[0].low, chart.bars[0].high) == (3.0, 3.4)
    assert chart.bars[3].kind == FAILED  # its time was spent all the same
    assert chart.value_label == "wall time per trial (s)"
    assert "total 29.7s for 12 trials" in chart.subtitle


def test_metric_against_time_has_a_point_per_ranked_configuration(analysis):
    chart = plotdata.metric_vs_time(analysis)
    assert [(p.name, p.x, p.y, p.kind) for p in chart.points] == [
        ("config_004", pytest.approx(3.2), 97.0, BEST),
        ("config_007", pytest.approx(3.3), 97.0, TIED),
        ("config_001", pytest.approx(2.2), 62.0, OTHER),
    ]
    assert chart.points[0].x_range == (3.0, 3.4)
    assert chart.xlabel == "mean wall time per trial (s)"
    assert chart.ylabel == "Test Accuracy (%)"


def test_marginal_chart_per_swept_symbol(analysis):
    (effect,) = analysis.effects
    chart = plotdata.marginal(analysis, effect)
    assert chart.levels == ["SGD", "ADAM", "ADAMW", "NAN"]
    assert chart.means == [62.0, 97.0, 97.0, None]
    assert chart.texts[:3] == ["62.00%", "97.00%", "97.00%"]
    assert chart.best_index == 1
    assert chart.points[0] == (60.0, 62.0, 64.0)
    assert chart.subtitle.startswith("matters")
    assert plotdata.symbol_file(effect.symbol) == "marginal_optimizer_select.png"


def epochs_for(records):
    return {
        r["config_file"]: [
            {"epoch": e, "val/loss": 2.0 / e, "val/acc": 20.0 * e, "train/loss": 1.0}
            for e in (1, 2, 3)
        ]
        for r in records
        if r["status"] == "completed"
    }


def test_curves_put_every_trial_on_one_chart_coloured_by_configuration(analysis):
    chart = plotdata.curves(analysis, epochs_for(RECORDS))
    loss, acc = chart.panels
    assert (loss.title, acc.title) == ("Validation loss", "Validation accuracy")
    assert loss.log_y and not acc.log_y
    assert "log scale" in loss.ylabel and acc.ylabel == "validation accuracy (%)"
    assert len(loss.series) == 9  # every completed trial
    assert [s.color for s in loss.series] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert [s.in_legend for s in loss.series[:3]] == [True, False, False]
    assert [s.best for s in loss.series[:4]] == [True, True, True, False]
    assert loss.series[0].label == "OPTIMIZER_SELECT=ADAM"
    assert acc.series[0].y == pytest.approx((20.0, 40.0, 60.0))
    assert loss.series[0].x == (1.0, 2.0, 3.0)


def test_smoothing_is_an_option_and_a_debiased_moving_average():
    assert plotdata.smooth([1.0, 2.0, 3.0], 0.0) == [1.0, 2.0, 3.0]
    smoothed = plotdata.smooth([1.0, 3.0], 0.5)
    assert smoothed == pytest.approx([1.0, (0.25 + 1.5) / 0.75])
    with pytest.raises(ValueError):
        plotdata.smooth([1.0], 1.0)
    analysis = analyze(RECORDS, VARYING, "test_acc")
    chart = plotdata.curves(analysis, epochs_for(RECORDS), smoothing=0.6, log_y=())
    assert not chart.panels[0].log_y and "EMA 0.6" in chart.subtitle


def test_scree_per_layer_with_normalised_and_log_options(analysis):
    spectra = {
        "config_004": {"conv1": [4.0, 2.0, 1.0], "fc": [10.0, 0.1]},
        "config_001": {"conv1": [8.0, 4.0, 0.0]},
    }
    assert plotdata.scree(analysis, {}) is None
    raw = plotdata.scree(analysis, spectra, normalize=False, log_y=True)
    assert [p.layer for p in raw.panels] == ["conv1", "fc"]
    conv1 = raw.panels[0]
    assert [s.label for s in conv1.series] == ["OPTIMIZER_SELECT=ADAM", "OPTIMIZER_SELECT=SGD"]
    assert conv1.series[0].y == (4.0, 2.0, 1.0) and conv1.series[0].best
    assert conv1.series[1].y[2] > 0  # a zero cannot sit on a log axis
    assert conv1.series[0].x == (1.0, 2.0, 3.0)
    normalized = plotdata.scree(analysis, spectra, normalize=True, log_y=False)
    assert normalized.panels[0].series[1].y == (1.0, 0.5, 0.0)
    assert "singular value / largest" in normalized.ylabel and "log" not in normalized.ylabel
    # Unasked, the axis is logarithmic only when the values span a factor of 20 or more.
    assert plotdata.scree(analysis, spectra).log_y  # 10 down to 0.1
    narrow = {"config_004": {"conv1": [1.3, 1.1, 0.9]}}
    assert not plotdata.scree(analysis, narrow).log_y


def test_an_accuracy_axis_never_runs_past_100_percent():
    records = [trial(1, "ADAM", 0, 99.8, 2.0), trial(2, "ADAM", 1, 98.9, 2.0)]
    (bar,) = plotdata.metric_bars(analyze(records, VARYING, "test_acc")).bars
    assert bar.high == 100.0 and bar.low == pytest.approx(93.632, abs=1e-3)


def test_without_a_validation_split_the_curves_draw_training_loss_and_test_accuracy():
    records = [dict(trial(1, "SGD", 0, 60.0, 2.0), **{"val/acc": None})]
    epochs = {
        "config_001": [
            {"epoch": e, "train/loss": 2.0 / e, "test_acc": 20.0 * e, "val/loss": None,
             "val/acc": None}
            for e in (1, 2, 3)
        ]
    }  # fmt: skip
    chart = plotdata.curves(analyze(records, VARYING), epochs)
    loss, accuracy = chart.panels
    assert (loss.title, accuracy.title) == ("Training loss", "Test accuracy")
    assert loss.series[0].y == pytest.approx((2.0, 1.0, 2.0 / 3)) and loss.log_y
    assert accuracy.series[0].y == pytest.approx((20.0, 40.0, 60.0))
    assert chart.title == "Training loss and test accuracy of every trial"


def test_a_metric_the_trials_did_not_record_is_drawn_not_recorded_not_failed():
    records = [trial(1, "SGD", 0, 60.0, 2.0), trial(2, "ADAM", 0, 97.0, 3.0)]
    chart = plotdata.metric_bars(analyze(records, VARYING, "val/loss"))
    assert [b.kind for b in chart.bars] == [MISSING, MISSING]
    assert [b.text for b in chart.bars] == ["not recorded", "not recorded"]
    assert "val/loss not recorded" in chart.legend[MISSING]
    (effect,) = analyze(records, VARYING, "val/loss").effects
    marginal = plotdata.marginal(analyze(records, VARYING, "val/loss"), effect)
    assert marginal.empty == ["not recorded", "not recorded"]


def test_the_marginal_chart_marks_the_best_configurations_value():
    records = [
        trial(1, "SGD", 0, 80.0, 2.0),
        trial(2, "SGD", 1, 81.0, 2.0),
        trial(3, "ADAM", 0, 97.0, 2.0),
        trial(4, "ADAM", 1, 10.0, 2.0),  # a dead seed drags ADAM's mean below SGD's
    ]
    for record in records:
        record["CONFIG_LR"] = record["seed"]  # two configurations per optimizer
    analysis = analyze(records, ["CONFIG_OPTIMIZER_SELECT", "CONFIG_LR"], "test_acc")
    opt = next(e for e in analysis.effects if e.symbol == "CONFIG_OPTIMIZER_SELECT")
    chart = plotdata.marginal(analysis, opt)
    assert chart.means[0] > chart.means[1]
    assert chart.levels[chart.best_index] == "ADAM" == analysis.ranking.best.settings[opt.symbol]
