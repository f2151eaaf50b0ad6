"""The analysis' stated rules, as tables: clipped intervals, the "cannot tell" rule, the chance
rule, the range-edge rule, the cost clocks and the short-run note."""

import pytest

from ksweep.analysis import evidence, findings
from ksweep.analysis.core import analyze
from ksweep.analysis.cost import runs_from_manifest, wall_clock_lines
from ksweep.analysis.metrics import METRICS, spec
from ksweep.analysis.stats import group_records, summarize


@pytest.mark.parametrize(
    ("metric", "values", "low", "high", "clipped"),
    [
        ("test_acc", [99.8, 98.9], 93.632, 100.0, [100.0]),  # t interval 93.6 to 105.1
        ("test_acc", [0.5, 3.0], 0.0, 17.633, [0.0]),  # t interval -14.1 to 17.6
        ("test_acc", [97.5, 98.06, 97.22], 96.531, 98.656, []),  # inside: untouched
        ("val/loss", [0.02, 0.4], 0.0, 2.624, [0.0]),  # a loss is never negative
        ("final_sparsity", [0.95, 0.99], 0.716, 1.0, [1.0]),  # a fraction, at most 1
    ],
)
def test_intervals_are_student_t_clipped_to_the_metrics_range(metric, values, low, high, clipped):
    summary = summarize(values, spec(metric).bounds)
    assert summary.low == pytest.approx(low, abs=1e-3)
    assert summary.high == pytest.approx(high, abs=1e-3)
    assert summary.clipped == clipped
    assert summary.mean == pytest.approx(sum(values) / len(values))  # the mean is never moved


def group(name, values, **settings):
    records = [
        {"config_file": name, "status": "completed", "test_acc": v, "CONFIG_SEED": i, **settings}
        for i, v in enumerate(values)
    ]
    (only,) = group_records(records, ["CONFIG_SEED"], "test_acc")
    return only


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ([97.0, 97.2, 97.1], [90.0, 90.3, 90.1], evidence.APART),  # intervals do not overlap
        ([97.0, 97.2, 97.1, 97.15], [97.05, 97.1, 97.2, 97.0], evidence.EQUAL),  # within +-1
        ([92.15, 92.15], [92.15, 92.15], evidence.IDENTICAL),
        ([93.5, 90.8], [95.0, 95.78], evidence.UNRESOLVED),  # n=2: -9.6 to +16.1 points
        ([97.0, 98.0, 96.0], [97.5, 96.5, 97.0], evidence.UNRESOLVED),  # n=3, std 1: too wide
        ([97.0], [97.0, 98.0], evidence.NO_ESTIMATE),  # a single seed: no interval for it
        ([97.0], [96.0], evidence.NO_ESTIMATE),
    ],
)
def test_a_pair_is_equal_only_when_its_difference_interval_lies_within_the_resolution(a, b, kind):
    assert (
        evidence.compare(group("config_001", a), group("config_002", b), METRICS["test_acc"]).kind
        == kind
    )


def test_the_cannot_tell_sentence_names_n_and_the_interval_of_the_difference():
    pair = evidence.compare(
        group("config_001", [93.5, 90.8]), group("config_002", [95.0, 95.78]), METRICS["test_acc"]
    )
    assert evidence.cannot_tell([pair], METRICS["test_acc"]) == (
        "cannot tell with n=2: the difference's 95% interval runs from -9.60 to "
        "+16.08 points, so it may be nothing or more than 1.00 points; more seeds would "
        "narrow it"
    )


def trial(n, test, classes=10, status="completed", **symbols):
    return {
        "config_file": f"config_{n:03d}",
        "status": status,
        "test_acc": test,
        "num_classes": classes,
        **{f"CONFIG_{k}": v for k, v in symbols.items()},
    }


@pytest.mark.parametrize(
    ("test", "classes", "status", "dead"),
    [
        (10.28, 10, "completed", True),
        (12.0, 10, "completed", True),  # chance + 2 points: still nothing learned
        (12.01, 10, "completed", False),
        (2.9, 100, "completed", True),  # CIFAR-100: chance is 1%
        (51.5, 2, "completed", True),
        (10.0, 10, "diverged", False),  # a failure, reported as such, not as "at chance"
        (10.0, None, "completed", False),  # an old record without num_classes: no claim
    ],
)
def test_the_chance_rule(test, classes, status, dead):
    assert findings.at_chance(trial(1, test, classes, status)) is dead


@pytest.mark.parametrize(
    ("values", "best", "expected"),
    [
        # geometric spacing continues by its factor, exactly when the factor is whole
        ([0.003, 0.03], 0.003, "CONFIG_LEARNING_RATE: the best value 0.003 is the lowest "
         "swept (0.003|0.03); the optimum may lie beyond it: widen the range downwards, e.g. "
         "CONFIG_LEARNING_RATE=0.0003|0.003|0.03"),
        # ... else to one significant digit
        ([0.001, 0.003, 0.01], 0.01, "CONFIG_LEARNING_RATE: the best value 0.01 is the "
         "highest swept (0.001|0.003|0.01); the optimum may lie beyond it: widen the range "
         "upwards, e.g. CONFIG_LEARNING_RATE=0.001|0.003|0.01|0.03"),
        # ... and never more than a decade past the edge
        ([0.001, 10], 0.001, "CONFIG_LEARNING_RATE: the best value 0.001 is the lowest swept "
         "(0.001|10); the optimum may lie beyond it: widen the range downwards, e.g. "
         "CONFIG_LEARNING_RATE=0.0001|0.001|10"),
        # arithmetic spacing continues by its step
        ([0.85, 0.87, 0.89], 0.89, "CONFIG_LEARNING_RATE: the best value 0.89 is the highest "
         "swept (0.85|0.87|0.89); the optimum may lie beyond it: widen the range upwards, "
         "e.g. CONFIG_LEARNING_RATE=0.85|0.87|0.89|0.91"),
        ([0.001, 0.003, 0.01], 0.003, None),  # inside the range: nothing to say
        # past the symbol's bound (LEARNING_RATE <= 10) there is no value to propose ...
        ([0.5, 5], 5, "CONFIG_LEARNING_RATE: the best value 5 is the highest swept (0.5|5); "
         "the optimum may lie beyond it: widen the range upwards"),
        # ... and at the bound itself nothing lies beyond
        ([1, 10], 10, None),
    ],
)  # fmt: skip
def test_the_range_edge_rule(values, best, expected):
    records = [
        trial(n, 95.0 if v == best else 90.0, LEARNING_RATE=v)
        for n, v in enumerate(values, start=1)
    ]
    edges = findings.range_edges(analyze(records, ["CONFIG_LEARNING_RATE"], "test_acc"))
    assert [e.sentence() for e in edges] == ([expected] if expected else [])


def test_no_edge_is_claimed_at_a_symbols_own_bound_or_for_a_choice():
    records = [trial(1, 95.0, WEIGHT_DECAY=0, OPT="ADAM"), trial(2, 90.0, WEIGHT_DECAY=0.01,
               OPT="SGD")]  # fmt: skip
    analysis = analyze(records, ["CONFIG_WEIGHT_DECAY", "CONFIG_OPT"], "test_acc")
    assert findings.range_edges(analysis) == []  # 0 is WEIGHT_DECAY's lowest possible value


def test_an_int_symbols_kconfig_range_bounds_its_edge():
    """0|2 epochs without augmentation, best at 0: Kconfig's range starts at 0, so nothing
    lies below (it once proposed -2); 2|4 best at 2 proposes 1 (halving, as 2|4 doubles)."""
    at_bound = [
        trial(1, 95.0, AUGMENT_OFF_LAST_EPOCHS=0),
        trial(2, 90.0, AUGMENT_OFF_LAST_EPOCHS=2),
    ]
    analysis = analyze(at_bound, ["CONFIG_AUGMENT_OFF_LAST_EPOCHS"], "test_acc")
    assert findings.range_edges(analysis) == []
    inside = [trial(1, 95.0, AUGMENT_OFF_LAST_EPOCHS=2), trial(2, 90.0, AUGMENT_OFF_LAST_EPOCHS=4)]
    (edge,) = findings.range_edges(analyze(inside, ["CONFIG_AUGMENT_OFF_LAST_EPOCHS"], "test_acc"))
    assert edge.proposal == "1"


def test_an_int_symbol_widens_to_an_int():
    records = [trial(1, 90.0, NUM_EPOCHS=4), trial(2, 95.0, NUM_EPOCHS=8)]
    (edge,) = findings.range_edges(analyze(records, ["CONFIG_NUM_EPOCHS"], "test_acc"))
    assert edge.proposal == "16"


def test_the_wall_clock_of_one_run_and_a_missing_manifest():
    records = [{"wall_time": 2.0}, {"wall_time": 3.0}]
    one = runs_from_manifest(
        {"wall_time": 28.0, "segments": [{"wall_time": 28.0, "trial_server_startup_s": 7.5}]}
    )
    assert wall_clock_lines(records, one) == [
        "Sweep wall clock: 28.0s (1 run)",
        "Trial server start-up: 7.5s, once (torch imported once; part of the wall clock, of no "
        "trial's time)",
    ]
    assert runs_from_manifest(None) is None and runs_from_manifest({"segments": []}) is None
    # exec backend: no server, no start-up line
    exec_run = runs_from_manifest({"wall_time": 9.0, "segments": [{"wall_time": 9.0}]})
    assert wall_clock_lines(records, exec_run) == ["Sweep wall clock: 9.0s (1 run)"]


def test_last3_says_how_many_epochs_it_averaged():
    records = [
        {"config_file": "config_001", "status": "completed", "last3_test_acc": 90.0,
         "last3_epochs": 2},
    ]  # fmt: skip
    analysis = analyze(records, [], "last3_test_acc")
    assert findings.last3_note(analysis) == (
        "last3_test_acc is the mean of the last 2 epochs here, not 3: the trials ran 2 epochs."
    )
    assert findings.last3_note(analyze(records, [], "test_acc")) is None
