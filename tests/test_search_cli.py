"""The search options and sweep-refine through make's variables; sampled generation without
torch; importance and the search plots' data on a table-made sampled sweep."""

import math
from pathlib import Path

import pytest
from sweep_helpers import run_script_without_torch

from ksweep.analysis.core import analyze
from ksweep.analysis.importance import importance, importance_lines, importance_markdown
from ksweep.analysis.search_plots import best_so_far, metric_vs_symbols
from ksweep.cli.makevars import argv_for, help_text

ROOT = Path(__file__).resolve().parents[1]


def test_make_variables_reach_generation_and_sweep_refine():
    env = {"RANGE_CONFIG": "r", "SEARCH": "sobol", "SAMPLES": "8", "SEARCH_SEED": "3"}
    argv = argv_for("sweep-generate", env)
    assert argv[:2] == ["generate", "r"]
    assert " ".join(argv).endswith("--search sobol --samples 8 --search-seed 3")
    assert argv_for("sweep-refine", {"SWEEP": "s", "OUT": "o"}) == ["refine", "s", "--out", "o"]
    assert all(name in help_text() for name in ("SEARCH=", "SAMPLES=", "SEARCH_SEED=", "OUT="))
    assert "sweep-refine:" in (ROOT / "Makefile").read_text()


def test_generating_a_sampled_sweep_never_imports_torch(tmp_path):
    range_file = tmp_path / "s-range"
    range_file.write_text(
        f"# ksweep: base={ROOT / 'defconfigs' / 'quickstart'}\n"
        "CONFIG_LEARNING_RATE=loguniform(1e-4,1e-1)\nCONFIG_SEED=0|1\n"
    )
    result = run_script_without_torch(
        "scripts/generate_config_combinations.py", str(range_file), str(tmp_path / "out")
    )
    assert result.returncode == 0, result.stderr
    assert "20 trials: 10 configurations x 2 seeds (random search, seed 0" in result.stdout
    for method in ("sobol", "tpe"):
        result = run_script_without_torch(
            "scripts/generate_config_combinations.py", str(range_file), str(tmp_path / method),
            "--search", method,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr


def sampled_records(count: int = 16) -> list[dict]:
    """A random search on which only the learning rate matters (batch size is noise)."""
    records = []
    for i in range(count):
        lr = 10 ** (-4 + 3 * ((i * 0.618) % 1))
        batch = 16 + (i * 37) % 240
        for seed in (0, 1):
            records.append(
                {
                    "config_file": f"config_{len(records) + 1:03d}",
                    "status": "completed",
                    "val/acc": 95 - 8 * (math.log10(lr) + 2.5) ** 2 + 0.1 * seed,
                    "test_acc": 90.0,
                    "CONFIG_LEARNING_RATE": round(lr, 7),
                    "CONFIG_BATCH_SIZE": batch,
                    "CONFIG_SEED": seed,
                    "seed": seed,
                }
            )
    return records


SPACE = [
    {"symbol": "CONFIG_LEARNING_RATE", "form": "loguniform", "low": "0.0001", "high": "0.1",
     "log": True},
    {"symbol": "CONFIG_BATCH_SIZE", "form": "randint", "low": "16", "high": "256", "log": False},
]  # fmt: skip
VARYING = ["CONFIG_LEARNING_RATE", "CONFIG_BATCH_SIZE", "CONFIG_SEED"]


@pytest.fixture(scope="module")
def analysis():
    return analyze(sampled_records(), VARYING, "val/acc", "max")


def test_importance_names_the_symbol_that_matters_with_an_interval(analysis):
    result = importance(analysis, SPACE, resamples=4)
    assert result is not None and result.configurations == 16
    assert result.names[0] == "CONFIG_LEARNING_RATE"
    lr, batch = result.symbols
    assert lr.importance > 0.5 > batch.importance
    assert lr.low <= lr.importance <= lr.high
    assert "fANOVA" in result.method and "bootstrap" in result.method
    assert importance_lines(result)[0] == "SYMBOL IMPORTANCE (val/acc):"
    assert "| `CONFIG_LEARNING_RATE` |" in importance_markdown(result)
    few = analyze(sampled_records(3), VARYING, "val/acc", "max")
    assert importance(few, SPACE) is None and importance_lines(None) == []


def test_search_plot_data(analysis):
    charts = {c.symbol: c for c in metric_vs_symbols(analysis, SPACE)}
    assert charts["CONFIG_LEARNING_RATE"].log and not charts["CONFIG_BATCH_SIZE"].log
    assert (
        len(charts["CONFIG_LEARNING_RATE"].xs) == 32 and sum(charts["CONFIG_BATCH_SIZE"].best) == 2
    )
    curve = best_so_far(analysis)
    assert curve.trials == list(range(2, 33, 2))
    assert curve.best == sorted(curve.best)  # max goal: never goes down
    assert curve.best[-1] == max(v for v in curve.values if v is not None)
