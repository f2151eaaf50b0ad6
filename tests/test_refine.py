"""sweep-refine: the next round's range config from a sweep's analysis, rule by rule on
table-made records, then on a real finished sweep whose refined file is swept in turn."""

from decimal import Decimal
from pathlib import Path

import pytest
from sweep_helpers import only_sweep_dir, records_of

from ksweep.analysis.core import analyze
from ksweep.analysis.marginals import IDENTICAL, NO_DIFFERENCE
from ksweep.cli import main
from ksweep.plan.ranges import parse_range_text
from ksweep.sweepers.refine import Bound, refine_text

ROOT = Path(__file__).resolve().parents[1]
KCONFIG = str(ROOT / "Kconfig")
SEEDS = (0, 1, 2)


def records_for(symbol: str, means: dict, spread: float = 0.2) -> list[dict]:
    """Three seeds per value of ``symbol``, at ``mean +- spread``."""
    out = []
    for value, mean in means.items():
        for seed in SEEDS:
            out.append(
                {
                    "config_file": f"config_{len(out) + 1:03d}",
                    "status": "completed",
                    "val/acc": mean + spread * (seed - 1),
                    symbol: value,
                    "CONFIG_SEED": seed,
                    "seed": seed,
                }
            )
    return out


def refined(text: str, records: list[dict], bounds=None, search=None) -> tuple[str, list]:
    spec, problems = parse_range_text(text, "x-range")
    assert not problems.errors
    varying = [*dict.fromkeys(k for r in records for k in r if k.startswith("CONFIG_"))]
    analysis = analyze(records, varying, "val/acc", "max")
    return refine_text(
        analysis,
        spec,
        None,
        Path("out-range"),
        bounds or (lambda _name: (None, None)),
        "sweep_x",
        search,
    )


def line_of(text: str, symbol: str) -> str:
    return next(line for line in text.splitlines() if line.startswith(f"{symbol}="))


def test_values_tied_with_the_best_are_kept_and_the_step_between_them_halved():
    records = records_for("CONFIG_WEIGHT_DECAY", {0.03: 90.0, 0.05: 95.0, 0.07: 94.9, 0.09: 90.0})
    text, decisions = refined("CONFIG_WEIGHT_DECAY=0.03:0.02:0.09\nCONFIG_SEED=0|1|2\n", records)
    assert line_of(text, "CONFIG_WEIGHT_DECAY") == "CONFIG_WEIGHT_DECAY=0.05:0.01:0.07"
    assert "between the values tied with the best" in decisions[0].why
    assert line_of(text, "CONFIG_SEED") == "CONFIG_SEED=0|1|2"


def test_a_best_value_at_the_edge_widens_the_range_that_way_with_a_finer_ratio():
    records = records_for("CONFIG_LEARNING_RATE", {0.0001: 80.0, 0.001: 85.0, 0.01: 95.0})
    text, decisions = refined("CONFIG_LEARNING_RATE=1e-4:*10:1e-2\nCONFIG_SEED=0|1|2\n", records)
    assert line_of(text, "CONFIG_LEARNING_RATE") == "CONFIG_LEARNING_RATE=0.0032|0.01|0.032|0.1"
    assert "is its highest, so the range goes higher" in decisions[0].why
    assert "a finer ratio (x3.16 instead of x10)" in decisions[0].why


def test_widening_stops_at_the_symbols_bound():
    records = records_for("CONFIG_VAL_FRACTION", {0.3: 80.0, 0.4: 85.0, 0.5: 95.0})
    bounds = lambda name: (Bound(Decimal(0)), Bound(Decimal("0.5")))  # noqa: E731
    text, decisions = refined(
        "CONFIG_VAL_FRACTION=0.3:0.1:0.5\nCONFIG_SEED=0|1|2\n", records, bounds
    )
    assert line_of(text, "CONFIG_VAL_FRACTION") == "CONFIG_VAL_FRACTION=0.45:0.05:0.5"
    assert "stops at its upper bound 0.5" in decisions[0].why
    # The range as written stops at the best value: the comment never says it goes higher.
    assert "the best value 0.5 is its highest, but the range cannot go higher" in decisions[0].why
    assert "goes higher" not in decisions[0].why


def test_a_symbol_that_made_no_measurable_difference_is_fixed_at_its_best_value():
    records = records_for("CONFIG_ADAMWPRUNE_AMSGRAD", {"y": 95.0, "n": 95.05}, spread=0.05)
    text, decisions = refined("CONFIG_ADAMWPRUNE_AMSGRAD=y|n\nCONFIG_SEED=0|1|2\n", records)
    assert line_of(text, "CONFIG_ADAMWPRUNE_AMSGRAD") == "CONFIG_ADAMWPRUNE_AMSGRAD=n"
    assert "fixed at its best value n" in decisions[0].why


def test_within_noise_with_too_few_seeds_to_tell_is_kept_and_says_why():
    records = records_for("CONFIG_ADAMWPRUNE_AMSGRAD", {"y": 95.0, "n": 95.1}, spread=2.0)
    text, decisions = refined("CONFIG_ADAMWPRUNE_AMSGRAD=y|n\nCONFIG_SEED=0|1|2\n", records)
    effect = analyze(records, ["CONFIG_ADAMWPRUNE_AMSGRAD"], "val/acc", "max").effects[0]
    if effect.verdict in (NO_DIFFERENCE, IDENTICAL):  # an analysis that rules overlap "equal"
        assert line_of(text, "CONFIG_ADAMWPRUNE_AMSGRAD") == "CONFIG_ADAMWPRUNE_AMSGRAD=n"
    else:  # the analysis cannot rule a difference out with three seeds: kept, and why
        assert line_of(text, "CONFIG_ADAMWPRUNE_AMSGRAD") == "CONFIG_ADAMWPRUNE_AMSGRAD=y|n"
        assert decisions[0].why.endswith(f"; not fixed: {effect.sentence()}")


def test_with_one_seed_nothing_is_narrowed_or_fixed_and_the_comment_says_why():
    records = [
        {"config_file": f"config_00{i}", "status": "completed", "val/acc": v, "CONFIG_X": x}
        for i, (x, v) in enumerate([("0.85", 90.0), ("0.87", 95.0), ("0.89", 91.0)], start=1)
    ]
    for r in records:
        r["CONFIG_X"] = float(r["CONFIG_X"])
    text, decisions = refined("CONFIG_X=0.85|0.87|0.89\n", records)
    assert line_of(text, "CONFIG_X") == "CONFIG_X=0.85|0.87|0.89"
    assert "one seed per configuration gives no noise estimate" in decisions[0].why


def test_measurably_worse_choices_are_dropped_and_named():
    records = records_for("CONFIG_OPTIMIZER_SELECT", {"SGD": 80.0, "ADAM": 95.0, "ADAMW": 94.9})
    text, decisions = refined(
        "CONFIG_OPTIMIZER_SELECT=SGD|ADAM|ADAMW\nCONFIG_SEED=0|1|2\n", records
    )
    assert line_of(text, "CONFIG_OPTIMIZER_SELECT") == "CONFIG_OPTIMIZER_SELECT=ADAM|ADAMW"
    assert "dropped SGD (measurably worse than the best)" in decisions[0].why


def test_a_sampled_interval_narrows_around_the_contenders_and_stays_sampled():
    means = {0.0002: 80.0, 0.001: 90.0, 0.003: 95.0, 0.004: 94.9, 0.05: 85.0}
    records = records_for("CONFIG_LEARNING_RATE", means)
    space = {"method": "random", "samples": 5, "seed": 0}
    text, decisions = refined(
        "CONFIG_LEARNING_RATE=loguniform(1e-4,1e-1)\nCONFIG_SEED=0|1|2\n", records, search=space
    )
    line = line_of(text, "CONFIG_LEARNING_RATE")
    low, high = (float(x) for x in line.split("(")[1].rstrip(")").split(","))
    assert line.startswith("CONFIG_LEARNING_RATE=loguniform(")
    assert 1e-4 < low < 0.003 and 0.004 < high < 1e-1
    assert "SEARCH=random" in text


# --- on a real sweep --------------------------------------------------------------------

REAL = f"""# ksweep: base={ROOT / "defconfigs" / "quickstart"}
CONFIG_NUM_EPOCHS=1
CONFIG_DATA_SUBSET=128
CONFIG_LEARNING_RATE=0.0003|0.003|0.03
CONFIG_SEED=0|1
"""


@pytest.mark.slow
def test_sweep_refine_on_a_finished_sweep_writes_a_file_that_sweeps(tmp_path, capsys):
    range_file = tmp_path / "real-range"
    range_file.write_text(REAL)
    results = tmp_path / "results"
    common = ["--device", "cpu", "--quiet", "--jobs", "1"]
    args = ["--kconfig", KCONFIG, "sweep", str(range_file), "--out", str(tmp_path / "c1")]
    assert main([*args, "--output-dir", str(results), *common]) == 0
    sweep = only_sweep_dir(results)
    out = tmp_path / "next-range"
    capsys.readouterr()
    assert main(["--kconfig", KCONFIG, "refine", str(sweep), "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert f"ksweep: wrote {out}" in said and f"make sweep RANGE_CONFIG={out}" in said
    text = out.read_text()
    assert text.startswith("# ksweep-refine: the next round after sweep_")
    assert f"# ksweep: base={ROOT / 'defconfigs' / 'quickstart'}\n" in text  # absolute stays
    assert "\n# CONFIG_LEARNING_RATE: " in text
    second = tmp_path / "results2"
    again = ["--kconfig", KCONFIG, "sweep", str(out), "--out", str(tmp_path / "c2")]
    assert main([*again, "--output-dir", str(second), *common]) == 0
    assert records_of(only_sweep_dir(second))
