"""Sampled range lines: the grammar, its errors at file:line, and seeded random / Sobol draws
(byte-identical regeneration, draws without replacement, replaced duplicates)."""

from decimal import Decimal
from pathlib import Path

import pytest

from ksweep.cli import main
from ksweep.diagnostics import InputErrors
from ksweep.plan.build import GenerateOptions, build_plan
from ksweep.plan.distributions import Distribution, render_significant
from ksweep.plan.kconfig import KconfigTree
from ksweep.plan.ranges import parse_range_text
from ksweep.plan.sampling import SearchOptions

ROOT = Path(__file__).resolve().parents[1]
KCONFIG = str(ROOT / "Kconfig")
BASE = f"# ksweep: base={ROOT / 'defconfigs' / 'quickstart'}\n"


@pytest.fixture(scope="module")
def tree():
    return KconfigTree(KCONFIG)


def write(tmp_path: Path, body: str, name: str = "x-range") -> Path:
    path = tmp_path / name
    path.write_text(BASE + body)
    return path


def plan_of(tree, path: Path, method=None, samples=None, seed=0):
    options = GenerateOptions(search=SearchOptions(method, samples, seed))
    return build_plan(path, tree, options=options)


# --- the grammar ----------------------------------------------------------------------

FORMS = [
    ("loguniform(1e-5,1e-1)", "loguniform", "0.00001", "0.1"),
    ("uniform(0, 0.5)", "uniform", "0", "0.5"),
    ("randint(16,256)", "randint", "16", "256"),
    ("logint( 16 , 256 )", "logint", "16", "256"),
]


@pytest.mark.parametrize("text, form, low, high", FORMS)
def test_sampling_forms_parse(text, form, low, high):
    spec, problems = parse_range_text(f"CONFIG_X={text}\n", "f")
    assert not problems.errors
    (entry,) = spec.entries
    assert entry.sampled and entry.distribution.form == form
    assert format(entry.distribution.low.normalize(), "f") == low
    assert format(entry.distribution.high.normalize(), "f") == high


def test_choice_form_keeps_its_items_and_their_quotes():
    spec, problems = parse_range_text('CONFIG_X=choice("a|b"|c|1:1:3)\n', "f")
    assert not problems.errors
    (entry,) = spec.entries
    assert entry.distribution.form == "choice"
    assert [v.text for v in entry.values] == ["a|b", "c", "1", "2", "3"]
    assert entry.values[0].quoted


def test_sampled_floats_have_four_significant_digits_and_stay_inside():
    dist = Distribution("loguniform", "t", Decimal("1e-5"), Decimal("1e-1"))
    assert dist.value_at(0.625) == "0.003162"  # 10**-2.5 = 0.0031622776601683794
    assert dist.value_at(0.0) == "0.00001" and dist.value_at(0.9999999) == "0.1"
    assert render_significant(0.123452, Decimal("0.1"), Decimal("0.12345")) == "0.12345"


GRAMMAR_ERRORS = [
    # (line in the file, the line, a fragment of its error)
    (2, "CONFIG_LEARNING_RATE=loguniform(0,1e-1)", "a log scale needs a low end above 0"),
    (3, "CONFIG_LABEL_SMOOTHING=uniform(0.4,0.1)", "low must be below high; did you mean"),
    (4, "CONFIG_BATCH_SIZE=uniform(16,256)", "is an int: uniform(16,256) draws decimals"),
    (5, "CONFIG_NUM_EPOCHS=randint(0,5)", "reaches outside its Kconfig range 1..100000"),
    (6, "CONFIG_VAL_FRACTION=uniform(0,0.9)", "reaches outside its allowed interval [0, 0.5]"),
    (7, "CONFIG_EMA=uniform(0,1)", "is a bool, not a number"),
    (8, "CONFIG_WEIGHT_DECAY=lognormal(1,2)", "is not a sampling form"),
    (9, "CONFIG_SEED=randint(1.5,3)", "randint draws integers, so both ends must be integers"),
    (10, "CONFIG_GRAD_CLIP_NORM=loguniform(1,5)|7", "a sampling form is a whole value"),
    (11, "CONFIG_AUGMENT_ROTATION=uniform(1)", "takes two numbers, low and high"),
    (12, "CONFIG_LR_SCHEDULE=choice()", "has no items"),
    (13, "CONFIG_LERNING_RATE=uniform(0.1,0.2)", "did you mean CONFIG_LEARNING_RATE?"),
    (14, "CONFIG_MOMENTUM=randint(0,1)", "is a decimal: randint(0,1) draws integers; write"),
]  # fmt: skip


def test_every_sampling_error_names_its_file_and_line(tree, tmp_path):
    body = "".join(line + "\n" for _, line, _ in GRAMMAR_ERRORS)
    path = write(tmp_path, body)
    with pytest.raises(InputErrors) as raised:
        plan_of(tree, path)
    errors = [str(e) for e in raised.value.errors]
    for number, _, fragment in GRAMMAR_ERRORS:
        prefix = f"{path}:{number}: error: "
        assert any(e.startswith(prefix) and fragment in e for e in errors), (number, errors)


def test_search_options_are_checked(tree, tmp_path):
    grid = write(tmp_path, "CONFIG_LEARNING_RATE=0.01|0.1\n", "grid-range")
    sampled = write(tmp_path, "CONFIG_LEARNING_RATE=loguniform(1e-3,1e-1)\n", "s-range")
    cases = [
        (grid, "random", None, "SEARCH=random draws sampled lines"),
        (sampled, "grid", None, "SEARCH=grid cannot expand a sampled line"),
        (sampled, "random", 0, "SAMPLES=0: draw at least 1"),
    ]
    for path, method, samples, fragment in cases:
        with pytest.raises(InputErrors) as raised:
            plan_of(tree, path, method, samples)
        assert any(fragment in str(e) for e in raised.value.errors), raised.value.errors


# --- random and sobol draws -----------------------------------------------------------

SWEEP = """CONFIG_NUM_EPOCHS=1
CONFIG_DATA_SUBSET=128
CONFIG_OPTIMIZER_SELECT=SGD|ADAM
CONFIG_LEARNING_RATE=loguniform(1e-5,1e-1)
CONFIG_BATCH_SIZE=logint(16,128)
CONFIG_SEED=0|1
"""


def generate(path: Path, out: Path, *flags: str) -> None:
    assert main(["--kconfig", KCONFIG, "generate", str(path), "--out", str(out), *flags]) == 0


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("method", ["random", "sobol"])
def test_the_same_seed_gives_byte_identical_sweep_configs(tmp_path, method, capsys):
    path = write(tmp_path, SWEEP)
    flags = ["--search", method, "--samples", "5", "--search-seed", "3"]
    generate(path, tmp_path / "a", *flags)
    generate(path, tmp_path / "b", *flags)
    first = files_of(tmp_path / "a")
    assert first == files_of(tmp_path / "b")
    assert len([n for n in first if n.startswith("config_")]) == 5 * 2 * 2  # x optimizer x seed
    generate(path, tmp_path / "c", "--search", method, "--samples", "5", "--search-seed", "4")
    assert files_of(tmp_path / "c") != first
    out = capsys.readouterr().out
    assert f"20 trials: 10 configurations x 2 seeds ({method} search, seed 3: 5 draws x 4" in out


def test_draw_i_does_not_depend_on_how_many_are_drawn(tree, tmp_path):
    path = write(tmp_path, SWEEP)
    few = plan_of(tree, path, "random", 3, seed=7)
    many = plan_of(tree, path, "random", 6, seed=7)
    assert [c.config_text for c in few.configs] == [c.config_text for c in many.configs[:12]]


def test_every_sampled_configuration_runs_every_seed_and_every_grid_value(tree, tmp_path):
    plan = plan_of(tree, write(tmp_path, SWEEP), "sobol", 4)
    points = {}
    for config in plan.configs:
        v = config.varying
        key = (v["CONFIG_LEARNING_RATE"], v["CONFIG_BATCH_SIZE"])
        points.setdefault(key, set()).add((v["CONFIG_OPTIMIZER_SELECT"], v["CONFIG_SEED"]))
    assert len(points) == 4
    assert all(
        s == {(o, seed) for o in ("SGD", "ADAM") for seed in ("0", "1")} for s in points.values()
    )
    for config in plan.configs:
        lr = config.varying["CONFIG_LEARNING_RATE"]
        digits = lr.replace("0.", "").lstrip("0").replace(".", "")
        assert len(digits) <= 4, lr  # no 0.00031622776601683794 in a config or folder name


def test_a_discrete_space_is_drawn_without_replacement(tree, tmp_path):
    path = write(
        tmp_path,
        "CONFIG_BATCH_SIZE=randint(16,19)\nCONFIG_OPTIMIZER_SELECT=choice(SGD|ADAM)\n",
    )
    for method in ("random", "sobol"):
        plan = plan_of(tree, path, method, 8)
        drawn = [
            (c.varying["CONFIG_BATCH_SIZE"], c.varying["CONFIG_OPTIMIZER_SELECT"])
            for c in plan.configs
        ]
        assert len(drawn) == len(set(drawn)) == 8
        assert set(drawn) == {(str(b), o) for b in range(16, 20) for o in ("SGD", "ADAM")}
    capped = plan_of(tree, path, "random", 20)
    assert len(capped.configs) == 8
    assert any("more than the 8 points of the sampled space" in n for n in capped.notes)


def test_a_draw_that_resolves_like_an_earlier_one_is_replaced_and_counted(tree, tmp_path):
    # Under SGD, ADAMWPRUNE_BETA1 is hidden: (SGD, 0.8) and (SGD, 0.9) are one configuration.
    path = write(
        tmp_path,
        "CONFIG_OPTIMIZER_SELECT=choice(SGD|ADAMWPRUNE)\nCONFIG_ADAMWPRUNE_BETA1=choice(0.8|0.9)\n",
    )
    plan = plan_of(tree, path, "random", 4, seed=0)
    assert len(plan.configs) == 3
    assert "1 draw replaced: it resolved identically to an earlier one" in plan.count_line()
    assert plan.search["replaced"] == 1


def test_a_model_search_plans_its_space_and_no_config(tmp_path, capsys):
    path = write(tmp_path, SWEEP)
    generate(path, tmp_path / "t", "--search", "tpe", "--samples", "6")
    assert not list((tmp_path / "t").glob("config_*"))
    out = capsys.readouterr().out
    assert "up to 12 trials: 6 configurations x 2 seeds, proposed by tpe (seed 0)" in out
    summary = (tmp_path / "t" / "combinations_summary.txt").read_text()
    assert "  CONFIG_LEARNING_RATE: loguniform(0.00001,0.1)" in summary
