"""Kconfig resolution: every guide example resolves; every kind of bad input is rejected
with file:line and the fix, all problems at once."""

from pathlib import Path

import pytest

from ksweep.configfile import parse_config_text
from ksweep.diagnostics import InputErrors
from ksweep.plan.build import build_plan
from ksweep.plan.kconfig import KconfigTree

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "tests" / "cases" / "guide"


@pytest.fixture(scope="module")
def tree():
    return KconfigTree(ROOT / "Kconfig")


def plan_for(tree, tmp_path, text, **options):
    path = tmp_path / "x-range"
    path.write_text(text)
    return build_plan(path, tree, **options)


def errors_for(tree, tmp_path, text, **options):
    with pytest.raises(InputErrors) as raised:
        plan_for(tree, tmp_path, text, **options)
    return [str(e).replace(str(tmp_path) + "/", "") for e in raised.value.errors]


GUIDE_COUNTS = {
    "configuration-format-range": 24,  # 4 weight decays x 3 beta1 x 2 amsgrad
    "state-pruning-range": 36,  # 3 x 3 x 2 x 2
    "quick-test-range": 4,
    "comprehensive-range": 36,
    "fine-tuning-range": 9,
    "start-small-range": 9,
    "refine-range": 3,
    "single-values-range": 3,
}


@pytest.mark.parametrize("name, count", sorted(GUIDE_COUNTS.items()))
def test_every_guide_example_resolves_to_its_documented_count(tree, name, count):
    plan = build_plan(GUIDE / name, tree)
    assert plan.expanded == count
    assert len(plan.configs) == count
    assert not plan.skipped


def test_guide_weight_decay_range_is_exact(tree):
    plan = build_plan(GUIDE / "configuration-format-range", tree)
    decays = {c.varying["CONFIG_ADAMWPRUNE_WEIGHT_DECAY"] for c in plan.configs}
    assert decays == {"0.03", "0.05", "0.07", "0.09"}
    values = parse_config_text(plan.configs[0].config_text)
    assert values["ADAMWPRUNE_WEIGHT_DECAY"] == "0.03"
    assert values["TARGET_SPARSITY"] == "0.7"


def test_every_requested_value_is_in_the_resolved_config(tree):
    plan = build_plan(GUIDE / "state-pruning-range", tree)
    for config in plan.configs:
        values = parse_config_text(config.config_text)
        assert values["MODEL_SELECT_RESNET18"] == "y"
        assert values["PRUNING_METHOD"] == "state"
        for name, value in config.varying.items():
            assert values[name.removeprefix("CONFIG_")] == value


REJECTIONS = [
    (
        "CONFIG_LERNING_RATE=0.1\n",
        "x-range:1: error: CONFIG_LERNING_RATE is not a symbol of the Kconfig tree; "
        "did you mean CONFIG_LEARNING_RATE?",
    ),
    (
        "CONFIG_NUM_EPOCHS=abc\n",
        "x-range:1: error: CONFIG_NUM_EPOCHS is an int: 'abc' is not an integer",
    ),
    ("CONFIG_NUM_EPOCHS=1:0.5:2\n", "(the range has a fractional step)"),
    (
        "CONFIG_ADAMWPRUNE_AMSGRAD=maybe\n",
        "CONFIG_ADAMWPRUNE_AMSGRAD is a bool: 'maybe' is not y or n",
    ),
    ("CONFIG_ADAMWPRUNE_AMSGRAD=0:1:1\n", "is a bool: a range makes no sense"),
    ("CONFIG_LEARNING_RATE=fast\n", "CONFIG_LEARNING_RATE: 'fast' is not a number"),
    ("CONFIG_LEARNING_RATE=20\n", "20 is outside CONFIG_LEARNING_RATE's allowed interval (0, 10]"),
    (
        'CONFIG_PRUNING_METHOD="prune"\n',
        '"prune" is not one of "none", "magnitude", "movement", "state"',
    ),
    ("CONFIG_DATA_DIR=1:1:3\n", "CONFIG_DATA_DIR is text, not a number: a range cannot sweep it"),
    ("CONFIG_LEARNING_RATE=0.1|0.10\n", "0.1 and 0.10 are the same number"),
    (
        "CONFIG_NUM_EPOCHS=0\n",
        "x-range:1: error: CONFIG_NUM_EPOCHS=0 is outside its Kconfig range 1..100000; "
        "pick a value from 1 to 100000",
    ),
    (
        "CONFIG_OPTIMIZER_SELECT_SGD=y\nCONFIG_ADAMWPRUNE_BETA1=0.9\n",
        "x-range:2: error: CONFIG_ADAMWPRUNE_BETA1 has no effect: it depends on "
        "`OPTIMIZER_SELECT_ADAMWPRUNE`, which is not met; add "
        "CONFIG_OPTIMIZER_SELECT_ADAMWPRUNE=y (or remove the line)",
    ),
    (
        'CONFIG_PRUNING_METHOD="none"\nCONFIG_TARGET_SPARSITY=0.5\n',
        'CONFIG_TARGET_SPARSITY has no effect: it depends on `PRUNING_METHOD != "none"`',
    ),
    (
        "CONFIG_OPTIMIZER_SELECT_SGD=y\nCONFIG_OPTIMIZER_SELECT_ADAM=y\n",
        "x-range:2: error: CONFIG_OPTIMIZER_SELECT_ADAM and CONFIG_OPTIMIZER_SELECT_SGD (line 1) "
        "both pick a member of choice OPTIMIZER_SELECT; keep one of them",
    ),
    (
        "CONFIG_OPTIMIZER_SELECT=SGD|ADAM\nCONFIG_OPTIMIZER_SELECT_ADAMW=y\n",
        "both pick a member of choice OPTIMIZER_SELECT",
    ),
    (
        "CONFIG_OPTIMIZER_SELECT_SGD=y|n\n",
        "CONFIG_OPTIMIZER_SELECT_SGD is a member of choice OPTIMIZER_SELECT: it can only be set to "
        "y (selecting it); to compare members, sweep the choice itself: "
        "CONFIG_OPTIMIZER_SELECT=SGD|ADAM|ADAMW|ADAMWPRUNE",
    ),
    (
        "CONFIG_OPTIMIZER_SELECT=SGD|ADAMM\n",
        "'ADAMM' is not a member of choice OPTIMIZER_SELECT (members: SGD, ADAM, ADAMW, "
        "ADAMWPRUNE); did you mean ADAM?",
    ),
    (
        'CONFIG_OPTIMIZER_SELECT_SGD=y\nCONFIG_PRUNING_METHOD="state"\n',
        "no combination can run: state pruning scores weights from AdamWPrune's moments, but the "
        "optimizer is SGD",
    ),
    ("# ksweep: base=missing\nCONFIG_SEED=1\n", "the base config"),
]


@pytest.mark.parametrize("text, expected", REJECTIONS)
def test_rejections_name_the_line_and_the_fix(tree, tmp_path, text, expected):
    errors = errors_for(tree, tmp_path, text)
    assert any(expected in e for e in errors), errors


def test_all_problems_are_reported_not_the_first(tree, tmp_path):
    errors = errors_for(
        tree,
        tmp_path,
        "CONFIG_NUM_EPOCHZ=3\nCONFIG_BATCH_SIZE=big\nCONFIG_LEARNING_RATE=0.5:0.1:0.1\n",
    )
    assert [e.split(": error:")[0] for e in errors] == ["x-range:1", "x-range:2", "x-range:3"]


def test_impossible_combinations_are_skipped_with_the_reason(tree, tmp_path):
    plan = plan_for(
        tree,
        tmp_path,
        'CONFIG_OPTIMIZER_SELECT=ADAMW|ADAMWPRUNE\nCONFIG_PRUNING_METHOD="magnitude"|"state"\n',
    )
    assert plan.expanded == 4
    assert len(plan.configs) == 3
    assert len(plan.skipped) == 1
    assert plan.skipped[0].varying == {
        "CONFIG_OPTIMIZER_SELECT": "ADAMW",
        "CONFIG_PRUNING_METHOD": "state",
    }
    assert "state pruning scores weights from AdamWPrune's moments" in plan.skipped[0].reason
    assert (
        plan.count_line()
        == "3 trials: 3 configurations x 1 seed (4 expanded; 1 skipped as impossible)"
    )


def test_identical_resolutions_run_once_and_the_count_says_so(tree, tmp_path):
    plan = plan_for(
        tree,
        tmp_path,
        "CONFIG_OPTIMIZER_SELECT=SGD|ADAMWPRUNE\nCONFIG_ADAMWPRUNE_BETA1=0.8|0.9\n",
    )
    assert plan.count_line() == (
        "3 trials: 3 configurations x 1 seed (4 expanded; 1 resolved identically to another "
        "and run once)"
    )
    sgd = [c for c in plan.configs if c.varying["CONFIG_OPTIMIZER_SELECT"] == "SGD"]
    assert len(sgd) == 1 and sgd[0].varying["CONFIG_ADAMWPRUNE_BETA1"] is None
    assert sgd[0].merged == 2
    assert any("CONFIG_ADAMWPRUNE_BETA1 applies only where" in n for n in plan.notes)


def test_choice_sweep_selects_one_member_each(tree, tmp_path):
    plan = plan_for(tree, tmp_path, "CONFIG_MODEL_SELECT=lenet5|MNIST8K\n")
    selected = [parse_config_text(c.config_text) for c in plan.configs]
    assert [v["MODEL_SELECT_LENET5"] for v in selected] == ["y", "n"]
    assert [v["MODEL_SELECT_MNIST8K"] for v in selected] == ["n", "y"]
    assert [c.varying["CONFIG_MODEL_SELECT"] for c in plan.configs] == ["LENET5", "MNIST8K"]


def test_conditional_defaults_follow_the_swept_choice(tree, tmp_path):
    plan = plan_for(tree, tmp_path, "CONFIG_OPTIMIZER_SELECT=SGD|ADAMWPRUNE\n")
    sgd, adamwprune = (parse_config_text(c.config_text) for c in plan.configs)
    assert sgd["PRUNING_METHOD"] == "none" and "TARGET_SPARSITY" not in sgd
    assert adamwprune["PRUNING_METHOD"] == "state"


def test_more_than_a_thousand_configurations_needs_force(tree, tmp_path):
    text = "CONFIG_SEED=0:1:40\nCONFIG_NUM_EPOCHS=1:1:30\n"
    errors = errors_for(tree, tmp_path, text)
    assert any("expands to 1230 trials, more than 1000" in e and "FORCE=1" in e for e in errors)
    assert len(plan_for(tree, tmp_path, text, force=True).configs) == 1230


def test_ramp_past_the_last_epoch_is_a_warning_not_an_error(tree, tmp_path):
    plan = plan_for(tree, tmp_path, "CONFIG_NUM_EPOCHS=5\nCONFIG_PRUNING_RAMP_END_EPOCH=8\n")
    assert len(plan.configs) == 1
    assert any("is after the last epoch" in w.message for w in plan.warnings)
