"""The Pareto front of a trade-off study against golden cases, through ``ksweep analyze``.

Each folder under tests/cases/pareto/ holds a summary.json, a case.json with the objectives
(and constraints) the case is analysed by, and the expected "PARETO FRONT" section of
sweep_analysis.txt, checked by hand: the ranks, the intervals (pooled seed noise, Student t)
and the words. The tests below also read the real results.csv, report.md and plots/pareto.png.

* front: pruning method x target sparsity, accuracy against sparsity (a metric the seeds
  never change): a known front of three, ranks 2 and 3 behind it, nothing within noise.
* within-noise: accuracy against training time, three seeds: one configuration dominated on
  the seed means but by nothing beyond the noise.
* constraint: accuracy against parameters under params<=8000, one seed each: the violators
  listed apart with their values, a diverged and a failed configuration kept out, no noise.
"""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ksweep.analysis.report import best_line, load_sweep, write_reports
from ksweep.cli import main

CASES = Path(__file__).resolve().parent / "cases" / "pareto"
PNG = b"\x89PNG\r\n\x1a\n"


def analysed(case: str, tmp_path: Path, *extra: str) -> Path:
    """A sweep folder holding the case's summary, analysed by ``ksweep analyze``."""
    folder = tmp_path / f"sweep_{case}"
    folder.mkdir()
    shutil.copy(CASES / case / "summary.json", folder / "sweep_summary.json")
    meta = json.loads((CASES / case / "case.json").read_text())
    argv = ["analyze", str(folder), "--objectives", meta["objectives"]]
    if "constraints" in meta:
        argv += ["--constraints", meta["constraints"]]
    assert main([*argv, *extra]) == 0
    return folder


def front_section(text: str) -> str:
    return text[text.index("PARETO FRONT:") :]


def ranks(folder: Path) -> dict[str, object]:
    """Each configuration's pareto_rank in results.csv (one value per configuration)."""
    frame = pd.read_csv(folder / "results.csv")
    by_configuration = frame.groupby("configuration")["pareto_rank"].unique()
    return {name: (None if pd.isna(v[0]) else int(v[0])) for name, v in by_configuration.items()}


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir()))
def test_the_front_section_matches_its_golden_file(case, tmp_path, capsys):
    folder = analysed(case, tmp_path)
    text = (folder / "sweep_analysis.txt").read_text()
    assert front_section(text) == (CASES / case / "expected_front.txt").read_text()
    assert front_section(capsys.readouterr().out).startswith(front_section(text).rstrip())
    assert (folder / "plots" / "pareto.png").read_bytes().startswith(PNG)


def test_a_front_of_known_configurations_and_their_ranks(tmp_path):
    folder = analysed("front", tmp_path)
    assert ranks(folder) == {
        "config_001": 1,  # magnitude 50%: the most accurate
        "config_004": 1,  # magnitude 70%
        "config_007": 1,  # magnitude 90%: the sparsest
        "config_010": 2,  # movement, behind magnitude at each sparsity
        "config_013": 2,
        "config_016": 2,
        "config_019": 3,  # state 50%: behind movement 50% too
    }
    frame = pd.read_csv(folder / "results.csv")
    assert frame["meets_constraints"].all()
    assert not frame["on_front_within_noise"].any()
    report = (folder / "report.md").read_text()
    assert "## Pareto front" in report
    assert report.index("## Pareto front") < report.index("## Swept symbols")
    best = "| **1** | **config_001** | **front** | **98.05% [97.73, 98.37]** | **50.0%** |"
    assert best in report
    assert "| 3 | config_019 | dominated | 94.05% [93.73, 94.37] | 50.0% |" in report
    assert "![Pareto front](plots/pareto.png)" in report
    assert "Pareto front" in (folder / "report.html").read_text()


def test_a_constraint_lists_its_violators_apart_and_never_ranks_them(tmp_path):
    folder = analysed("constraint", tmp_path)
    assert ranks(folder) == {
        "config_001": 1,
        "config_002": 1,
        "config_003": 2,
        "config_004": None,  # 12000 parameters: breaks params<=8000
        "config_005": None,  # 61706 parameters
        "config_006": None,  # diverged
        "config_007": None,  # failed
    }
    frame = pd.read_csv(folder / "results.csv").set_index("configuration")
    meets = frame["meets_constraints"].to_dict()
    assert meets["config_004"] is False and meets["config_005"] is False
    assert meets["config_001"] is True
    assert pd.isna(meets["config_006"])  # never judged: it has no values
    text = (folder / "sweep_analysis.txt").read_text()
    assert "  config_004: params 12000 breaks params<=8000" in text
    assert "On the front within noise: not judged (one seed per configuration" in text
    records, varying, _ = load_sweep(folder)
    analysis = write_reports(folder, records, varying, objectives="val/acc,params")
    assert best_line(analysis) == (
        "Pareto front (val/acc:max,params:min): config_005, config_004, config_002 and config_001"
    )  # without the constraint the large models join the front


def test_a_configuration_on_the_front_within_noise(tmp_path):
    folder = analysed("within-noise", tmp_path)
    assert ranks(folder) == {"config_001": 1, "config_004": 1, "config_007": 2, "config_010": 3}
    frame = pd.read_csv(folder / "results.csv")
    within = frame.groupby("configuration")["on_front_within_noise"].first().to_dict()
    assert within == {
        "config_001": False,
        "config_004": False,
        "config_007": True,  # 0.2 points and 0.3 s behind config_001: both within the noise
        "config_010": False,  # 3 points behind: beyond it
    }
    text = (folder / "sweep_analysis.txt").read_text()
    assert "On the front within noise: config_007 (rank 2): dominated on the seed means" in text
    assert "config_010 (rank 3): beaten beyond noise by config_001, config_004 and" in text


def test_with_one_objective_nothing_is_added(tmp_path):
    folder = tmp_path / "sweep_one"
    folder.mkdir()
    shutil.copy(CASES / "within-noise" / "summary.json", folder / "sweep_summary.json")
    assert main(["analyze", str(folder), "--objectives", "val/acc"]) == 0
    text = (folder / "sweep_analysis.txt").read_text()
    assert "PARETO FRONT" not in text
    assert "pareto_rank" not in (folder / "results.csv").read_text()
    assert not (folder / "plots" / "pareto.png").exists()


def test_three_objectives_draw_one_panel_per_pair(tmp_path):
    folder = analysed("front", tmp_path, "--objectives", "val/acc,final_sparsity,training_time")
    png = (folder / "plots" / "pareto.png").read_bytes()
    width, height = (int.from_bytes(png[at : at + 4], "big") for at in (16, 20))
    assert width > 2.5 * height  # three panels side by side (two objectives: one, 11 x 7)
    text = (folder / "sweep_analysis.txt").read_text()
    assert "Objectives: val/acc (max, higher is better), final_sparsity (max, higher" in text


def test_one_objective_under_a_constraint_ranks_what_meets_it(tmp_path):
    folder = analysed("constraint", tmp_path, "--objectives", "val/acc")
    assert ranks(folder) == {
        "config_001": 3,
        "config_002": 1,  # the best accuracy under 8000 parameters
        "config_003": 2,
        "config_004": None,  # more accurate, but 12000 parameters
        "config_005": None,
        "config_006": None,
        "config_007": None,
    }
    assert not (folder / "plots" / "pareto.png").exists()  # a plot needs two objectives
    records, varying, _ = load_sweep(folder)
    analysis = write_reports(
        folder, records, varying, objectives="val/acc", constraints="params<=8000"
    )
    assert best_line(analysis) == (
        "Best meeting params<=8000 (val/acc:max): config_002 (val/acc 96.50%); "
        "2 configurations broke the constraints"
    )
