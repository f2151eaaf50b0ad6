"""sweep_analysis.txt against golden files, and the guide's pandas snippet on a summary.

Each folder under tests/cases/analysis/ holds a summary.json, the expected text and, where
the case ranks by another metric, a case.json with "metric" and "goal". The golden texts
were checked by hand: the numbers, the ties and the words.
"""

import json
from pathlib import Path

import pandas as pd
import pytest

from ksweep.analysis.core import analyze
from ksweep.analysis.report import varying_from_records
from ksweep.analysis.text import analysis_text
from ksweep.cli import main

CASES = Path(__file__).resolve().parent / "cases" / "analysis"


def load_case(case: str) -> tuple[list[dict], dict]:
    records = json.loads((CASES / case / "summary.json").read_text())
    meta_path = CASES / case / "case.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    return records, meta


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir()))
def test_analysis_matches_golden_file(case):
    records, meta = load_case(case)
    text = analysis_text(
        records, varying_from_records(records), meta.get("metric", "test_acc"), meta.get("goal")
    )
    assert text == (CASES / case / "expected_analysis.txt").read_text()


def test_analyze_command_writes_the_golden_text(tmp_path):
    records, _ = load_case("mixed")
    (tmp_path / "sweep_summary.json").write_text(json.dumps(records))
    assert main(["analyze", str(tmp_path)]) == 0
    expected = (CASES / "mixed" / "expected_analysis.txt").read_text()
    assert (tmp_path / "sweep_analysis.txt").read_text() == expected


def test_failed_trials_are_never_ranked():
    records, _ = load_case("mixed")
    ranking = analyze(records, varying_from_records(records), "test_acc", "max").ranking
    assert [g.name for g in ranking.ranked] == [
        "config_003",
        "config_005",
        "config_002",
        "config_001",
    ]
    assert [g.name for g in ranking.unranked] == ["config_004", "config_006"]
    text = analysis_text(records, ["CONFIG_OPTIMIZER_SELECT", "CONFIG_LEARNING_RATE"])
    assert "Completed: 4 | Failed: 2" in text
    assert "2 of 6 configurations failed" in text
    assert "0.00%" not in text


def test_when_every_trial_failed_nothing_is_ranked_and_the_counts_are_right():
    records, _ = load_case("all-failed")
    text = analysis_text(records, varying_from_records(records))
    assert "Completed: 0 | Failed: 2" in text
    assert "None: no configuration completed (2 of 2 failed)" in text
    assert "(none completed)" in text and "%" not in text.split("TOP 10")[1].split("FAILED")[0]


def test_all_at_chance_declares_no_winner():
    records, meta = load_case("all-at-chance")
    text = analysis_text(records, varying_from_records(records), meta["metric"], meta["goal"])
    assert "No configuration is measurably better: all 6 are within noise of the best" in text
    assert "is the best beyond noise" not in text
    assert text.count("made no measurable difference") == 2


def test_three_seeds_name_the_ties_in_words():
    records, _ = load_case("three-seeds-ties")
    text = analysis_text(records, varying_from_records(records))
    assert "config_010 and config_004 are within noise of the best" in text
    assert "Test Accuracy: 97.59% +- 0.43 (n=3, 95% CI 96.53% to 98.66%)" in text
    assert "CONFIG_WEIGHT_DECAY: made no measurable difference" in text
    assert "CONFIG_OPTIMIZER_SELECT: matters" in text
    assert "1 of 3 seeds failed" in text


def test_the_guides_pandas_snippet_works_on_a_summary():
    with open(CASES / "mixed" / "summary.json") as f:
        results = json.load(f)
    df = pd.DataFrame(results)
    best = df.nlargest(5, "test_acc")
    shown = best[["config_file", "test_acc", "final_sparsity"]]
    assert list(shown["config_file"])[:2] == ["config_003", "config_005"]
    assert df["CONFIG_LEARNING_RATE"].dtype.kind == "f"


def test_analyze_names_a_missing_sweep(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_analyze_without_a_folder_finds_no_sweep_in_an_empty_root(tmp_path, capsys):
    assert main(["analyze", "--output-dir", str(tmp_path)]) == 2
    assert "no sweep_* folder" in capsys.readouterr().err


def test_the_closing_line_names_the_best_configuration_and_its_ties():
    from ksweep.analysis.core import analyze
    from ksweep.analysis.report import best_line

    records, _ = load_case("three-seeds-ties")
    assert best_line(analyze(records, varying_from_records(records))) == (
        "Best: config_007 test_acc 97.59% +- 0.43 (n=3) CONFIG_OPTIMIZER_SELECT=ADAM "
        "CONFIG_WEIGHT_DECAY=0; within noise of it: config_010 and config_004"
    )
    records, _ = load_case("all-failed")
    assert best_line(analyze(records, [])) == "Best: none (no configuration completed)"


def test_analyze_never_imports_torch(tmp_path):
    import subprocess
    import sys

    records = json.loads((CASES / "mixed" / "summary.json").read_text())
    (tmp_path / "sweep_summary.json").write_text(json.dumps(records))
    probe = (
        "import sys\n"
        "from ksweep.cli import main\n"
        f"code = main(['analyze', {str(tmp_path)!r}])\n"
        "assert 'torch' not in sys.modules, 'the analysis imported torch'\n"
        "sys.exit(code)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "plots" / "metric.png").is_file()
