"""Seeds as replicates: summaries, intervals, grouping, ranking, ties, symbol effects, metric
choice and the comparison of two sweeps, as tables of plain data."""

import math

import pytest

from ksweep.analysis.core import analyze
from ksweep.analysis.marginals import CANNOT_TELL, IDENTICAL, MATTERS, NO_DIFFERENCE, UNKNOWN
from ksweep.analysis.metrics import METRICS, spec
from ksweep.analysis.report import choose_metric, configured_metric
from ksweep.analysis.stats import (
    group_records,
    overlap,
    rank,
    summarize,
    t_quantile,
    welch_difference,
)


def trial(name, acc, seed=0, status="completed", wall=1.0, **symbols):
    record = {"config_file": name, "status": status, "seed": seed, "CONFIG_SEED": seed}
    record["test_acc"] = acc if status == "completed" else None
    record["wall_time"] = wall
    record.update({f"CONFIG_{k}": v for k, v in symbols.items()})
    return record


@pytest.mark.parametrize(
    ("values", "n", "mean", "std", "half"),
    [
        ([], 0, None, None, None),
        ([5.0], 1, 5.0, None, None),
        ([1.0, 3.0], 2, 2.0, math.sqrt(2), 12.7062 * math.sqrt(2) / math.sqrt(2)),
        ([97.5, 98.06, 97.22], 3, 97.5933, 0.4277, 1.0626),
        ([10.0, None, float("nan"), 12.0], 2, 11.0, math.sqrt(2), 12.7062),
        ([4.0, 4.0, 4.0], 3, 4.0, 0.0, 0.0),
    ],
)
def test_summaries(values, n, mean, std, half):
    summary = summarize(values)
    assert summary.n == n
    for got, want in ((summary.mean, mean), (summary.std, std), (summary.half_width, half)):
        assert (got is None) == (want is None)
        if want is not None:
            assert got == pytest.approx(want, abs=1e-3)


@pytest.mark.parametrize(("df", "t"), [(1, 12.706), (2, 4.303), (4, 2.776), (29, 2.045)])
def test_student_t_quantiles(df, t):
    assert t_quantile(df) == pytest.approx(t, abs=1e-3)


@pytest.mark.parametrize(
    ("a", "b", "overlapping"),
    [
        ([1.0], [1.0], True),  # equal points
        ([1.0], [1.1], False),  # unequal points: no interval to overlap
        ([1.0, 3.0], [2.5], True),  # a point inside an interval
        ([97.5, 98.06, 97.22], [94.17, 95.0, 93.61], False),
        ([97.5, 98.06, 97.22], [95.56, 96.39], True),  # two seeds: a wide interval
        ([], [1.0], False),
    ],
)
def test_interval_overlap(a, b, overlapping):
    assert overlap(summarize(a), summarize(b)) is overlapping


def test_groups_pool_seeds_and_count_only_completed_values():
    records = [
        trial("config_001", 90.0, 0, OPT="SGD"),
        trial("config_002", 92.0, 1, OPT="SGD"),
        trial("config_003", None, 2, "failed", OPT="SGD"),
        trial("config_004", 97.0, 0, OPT="ADAM"),
    ]
    groups = group_records(records, ["CONFIG_OPT", "CONFIG_SEED"], "test_acc")
    assert [g.name for g in groups] == ["config_001", "config_004"]
    sgd = groups[0]
    assert sgd.settings == {"CONFIG_OPT": "SGD"}
    assert sgd.members == ["config_001", "config_002", "config_003"]
    assert sgd.seeds == [0, 1, 2]
    assert (sgd.metric.n, sgd.metric.mean) == (2, 91.0)
    assert [r["config_file"] for r in sgd.failed] == ["config_003"]
    assert sgd.representative()["config_file"] == "config_001"


def test_ranking_by_mean_with_goal_min_and_failures_apart():
    records = [
        trial("config_001", 0.30, OPT="A"),
        trial("config_002", 0.10, OPT="B"),
        trial("config_003", None, status="failed", OPT="C"),
        trial("config_004", 0.20, OPT="D"),
    ]
    groups = group_records(records, ["CONFIG_OPT"], "test_acc")
    by_min = rank(groups, "test_acc", "min")
    assert [g.name for g in by_min.ranked] == ["config_002", "config_004", "config_001"]
    assert [g.name for g in by_min.unranked] == ["config_003"]
    assert not by_min.replicated and by_min.tied == []
    by_max = rank(groups, "test_acc", "max")
    assert by_max.best.name == "config_001"


def test_equal_means_tie_and_the_cheaper_one_ranks_first():
    records = [trial("config_001", 98.0, wall=5.0, OPT="A"), trial("config_002", 98.0, OPT="B")]
    ranking = rank(group_records(records, ["CONFIG_OPT"], "test_acc"), "test_acc", "max")
    assert ranking.best.name == "config_002"
    assert [g.name for g in ranking.tied] == ["config_001"]


def grid(values):
    """Records of an OPT x LR grid with three seeds; values[(opt, lr)] = three accuracies."""
    records, n = [], 0
    for (opt, lr), accs in values.items():
        for seed, acc in enumerate(accs):
            n += 1
            records.append(trial(f"config_{n:03d}", acc, seed, OPT=opt, LR=lr))
    return records


VARYING = ["CONFIG_OPT", "CONFIG_LR", "CONFIG_SEED"]


@pytest.mark.parametrize(
    ("values", "verdicts"),
    [
        # LR separates beyond noise at both optimizers; OPT's pairs are within noise, but with
        # a std of 0.5-1 over three seeds a 1-point difference cannot be ruled out.
        (
            {
                ("SGD", 0.1): [90, 91, 92],
                ("SGD", 0.01): [60, 61, 62],
                ("ADAM", 0.1): [90.5, 91.5, 91],
                ("ADAM", 0.01): [61, 60, 62],
            },
            {"CONFIG_OPT": CANNOT_TELL, "CONFIG_LR": MATTERS},
        ),
        # Tight seeds: every difference's 95% interval lies within +-1 point.
        (
            {
                ("SGD", 0.1): [90.0, 90.1, 90.2],
                ("SGD", 0.01): [60.9, 61.0, 61.2],
                ("ADAM", 0.1): [90.05, 90.15, 90.1],
                ("ADAM", 0.01): [60.9, 61.0, 61.1],
            },
            {"CONFIG_OPT": NO_DIFFERENCE, "CONFIG_LR": MATTERS},
        ),
        # Bit-identical outcomes: a symbol the trainer ignores.
        (
            {("SGD", 0.1): [90, 91, 92], ("ADAM", 0.1): [90, 91, 92]},
            {"CONFIG_OPT": IDENTICAL, "CONFIG_LR": UNKNOWN},
        ),
        # One seed each and different values: no way to tell.
        (
            {("SGD", 0.1): [90], ("ADAM", 0.1): [91]},
            {"CONFIG_OPT": UNKNOWN, "CONFIG_LR": UNKNOWN},
        ),
    ],
)
def test_symbol_effects(values, verdicts):
    analysis = analyze(grid(values), VARYING)
    assert {e.symbol: e.verdict for e in analysis.effects} == verdicts


def test_marginal_means_average_over_the_other_symbols():
    values = {("SGD", 0.1): [90, 92, 94], ("SGD", 0.01): [60, 62, 64], ("ADAM", 0.1): [80, 80, 80]}
    analysis = analyze(grid(values), VARYING)
    lr = next(e for e in analysis.effects if e.symbol == "CONFIG_LR")
    assert [(lv.value, lv.summary.n, lv.summary.mean) for lv in lr.levels] == [
        (0.1, 6, 86.0),
        (0.01, 3, 62.0),
    ]
    assert lr.best_value == 0.1


def test_the_best_value_is_the_best_configurations_not_the_best_marginal_mean():
    # SGD's mean is higher over both learning rates, but ADAM at 0.1 is the best configuration
    # (ADAM at 0.01 is dead): the marginal's "best value" must agree with the ranking.
    values = {
        ("SGD", 0.1): [80, 81, 82],
        ("SGD", 0.01): [78, 79, 80],
        ("ADAM", 0.1): [95, 96, 97],
        ("ADAM", 0.01): [10, 10.5, 11],
    }
    analysis = analyze(grid(values), VARYING)
    opt = next(e for e in analysis.effects if e.symbol == "CONFIG_OPT")
    sgd, adam = (lv.summary.mean for lv in opt.levels)
    assert sgd > adam
    assert analysis.ranking.best.settings["CONFIG_OPT"] == "ADAM" == opt.best_value


def test_a_metric_a_script_reports_is_ranked_by_its_name_and_a_bad_name_is_refused():
    assert spec("val_f1").goal == "max" and spec("val_f1").label == "val_f1"
    assert spec("val_log_loss").goal == "min" and spec("error_rate").goal == "min"
    with pytest.raises(ValueError, match="is not a metric name: use auto, one of test_acc"):
        spec("val acc")
    with pytest.raises(ValueError, match="GOAL=up"):
        analyze([], [], "test_acc", "up")


def test_every_metric_of_ksweeps_trainer_has_a_spec():
    assert spec("val/loss").goal == "min" and spec("test_acc").goal == "max"
    assert spec("val/acc").shown(96.53) == "96.53%"
    assert spec("final_sparsity").shown(0.7) == "70.0%"


def write_trial(folder, config_lines):
    folder.mkdir(parents=True)
    (folder / "config.txt").write_text("\n".join(config_lines) + "\n")


@pytest.mark.parametrize(
    ("config", "metric", "goal", "expected"),
    [
        ([], None, None, ("test_acc", "max")),
        (['CONFIG_SWEEP_METRIC="val/loss"', 'CONFIG_SWEEP_GOAL="min"'], None, None,
         ("val/loss", "min")),
        (['CONFIG_SWEEP_METRIC="val/loss"', 'CONFIG_SWEEP_GOAL="min"'], "test_acc", None,
         ("test_acc", "max")),
        (['CONFIG_SWEEP_METRIC="test_acc"', 'CONFIG_SWEEP_GOAL="max"'], "training_time", None,
         ("training_time", "min")),
        (['CONFIG_SWEEP_METRIC="test_acc"', 'CONFIG_SWEEP_GOAL="max"'], "val/acc", "min",
         ("val/acc", "min")),
        # auto before any trial finished: the config's validation split decides
        (['CONFIG_SWEEP_METRIC="auto"', 'CONFIG_SWEEP_GOAL="max"', 'CONFIG_VAL_FRACTION="0.1"'],
         None, None, ("val/acc", "max")),
        (['CONFIG_SWEEP_METRIC="auto"', 'CONFIG_SWEEP_GOAL="max"', 'CONFIG_VAL_FRACTION="0"'],
         None, None, ("test_acc", "max")),
        # a metric a script reports; a goal the analyzer does not know is ignored, not fatal
        (['CONFIG_SWEEP_METRIC="accuracy"', 'CONFIG_SWEEP_GOAL="up"'], None, None,
         ("accuracy", "max")),
    ],
)  # fmt: skip
def test_metric_and_goal_come_from_the_command_line_then_the_config(
    tmp_path, config, metric, goal, expected
):
    write_trial(tmp_path / "config_001_x", config)
    records = [{"config_file": "config_001", "test_name": "config_001_x"}]
    assert choose_metric(tmp_path, records, metric, goal) == expected
    values = {line.split("=")[0][7:]: line.split("=")[1].strip('"') for line in config}
    assert configured_metric(values, metric, goal) == expected


@pytest.mark.parametrize(("val_acc", "expected"), [(96.5, "val/acc"), (None, "test_acc")])
def test_auto_follows_what_the_finished_trials_recorded(tmp_path, val_acc, expected):
    write_trial(tmp_path / "config_001_x", ['CONFIG_SWEEP_METRIC="auto"'])
    record = {"config_file": "config_001", "test_name": "config_001_x", "status": "completed",
              "test_acc": 97.0, "val/acc": val_acc}  # fmt: skip
    assert choose_metric(tmp_path, [record], None, None) == (expected, "max")
    assert analyze([record], []).metric.name == expected


@pytest.mark.parametrize(
    ("a", "b", "change", "half"),
    [
        ([1.0, 2.0, 3.0], [3.0, 4.0, 5.0], 2.0, 2.267),  # Welch with equal variances, df=4
        ([1.0], [3.0, 4.0], 2.5, None),  # one seed on a side: no noise estimate
        ([2.0, 2.0], [2.0, 2.0], 0.0, 0.0),
    ],
)
def test_welch_difference(a, b, change, half):
    got_change, got_half = welch_difference(summarize(a), summarize(b))
    assert got_change == pytest.approx(change)
    assert (got_half is None) == (half is None)
    if half is not None:
        assert got_half == pytest.approx(half, abs=1e-3)


def test_per_seed_line_names_each_seed_and_the_worst_one():
    from ksweep.analysis.text import per_seed_line

    records = [
        trial("config_001", 99.5, seed=0),
        trial("config_002", None, seed=1, status="failed"),
        trial("config_003", 99.43, seed=2),
    ]
    group = analyze(records, ["CONFIG_SEED"]).ranking.best
    line = per_seed_line(METRICS["test_acc"], group)
    assert line == "Per seed (test_acc): 0: 99.50%, 1: failed, 2: 99.43% (lowest 99.43%)"
    for record, loss in zip(records, (0.2, None, 0.3), strict=True):
        record["val/loss"] = loss
    by_loss = analyze(records, ["CONFIG_SEED"], "val/loss").ranking.best
    assert per_seed_line(METRICS["val/loss"], by_loss).endswith("(highest 0.3000)")
