"""sweep_analysis.txt against golden files, and the guide's pandas snippet on a summary."""

import json
from pathlib import Path

import pandas as pd
import pytest

from ksweep.analyze import analysis_text, ranked
from ksweep.cli import main

CASES = Path(__file__).resolve().parent / "cases" / "analysis"


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir()))
def test_analysis_matches_golden_file(case, tmp_path):
    records = json.loads((CASES / case / "summary.json").read_text())
    (tmp_path / "sweep_summary.json").write_text(json.dumps(records))
    assert main(["analyze", str(tmp_path)]) == 0
    expected = (CASES / case / "expected_analysis.txt").read_text()
    assert (tmp_path / "sweep_analysis.txt").read_text() == expected


def test_failed_trials_are_never_ranked():
    records = json.loads((CASES / "mixed" / "summary.json").read_text())
    assert [r["config_file"] for r in ranked(records)] == [
        "config_003",
        "config_005",
        "config_002",
        "config_001",
    ]
    text = analysis_text(records, ["CONFIG_LEARNING_RATE"])
    assert "Completed: 4 | Failed: 2" in text
    assert "2 of 6 configurations failed" in text


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
