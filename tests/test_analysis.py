"""sweep_analysis.txt against golden files, and the guide's pandas snippet on a summary.

Each folder under tests/cases/analysis/ holds a summary.json, the expected text, where the
case ranks by a metric other than the default (auto) a case.json with "metric" and "goal",
and where it tells the sweep's wall clock a manifest.json. The golden texts were checked by
hand: the numbers, the ties and the words. Each situation the analysis must say in words has
a test below that names the exact sentence a reader sees.
"""

import json
from pathlib import Path

import pandas as pd
import pytest

from ksweep.analysis.core import analyze
from ksweep.analysis.cost import runs_from_manifest
from ksweep.analysis.report import best_line, varying_from_records
from ksweep.analysis.text import analysis_text
from ksweep.cli import main

CASES = Path(__file__).resolve().parent / "cases" / "analysis"


def load_case(case: str) -> tuple[list[dict], dict]:
    records = json.loads((CASES / case / "summary.json").read_text())
    meta_path = CASES / case / "case.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    return records, meta


def case_text(case: str) -> str:
    records, meta = load_case(case)
    manifest = CASES / case / "manifest.json"
    runs = runs_from_manifest(json.loads(manifest.read_text())) if manifest.exists() else None
    return analysis_text(
        records,
        varying_from_records(records),
        meta.get("metric", "auto"),
        meta.get("goal"),
        runs,
    )


def case_analysis(case: str):
    records, meta = load_case(case)
    return analyze(
        records, varying_from_records(records), meta.get("metric", "auto"), meta.get("goal")
    )


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir()))
def test_analysis_matches_golden_file(case):
    assert case_text(case) == (CASES / case / "expected_analysis.txt").read_text()


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
    text = case_text("mixed")
    assert "Total configurations tested: 6 (6 trials: 6 configurations x 1 seed)" in text
    assert "Completed: 4 | Failed: 2\n" in text
    assert "2 of 6 trials failed; 2 of 6 configurations failed on every seed:" in text
    assert "0.00%" not in text


def test_when_every_trial_failed_nothing_is_ranked_and_the_counts_are_right():
    text = case_text("all-failed")
    assert "Completed: 0 | Failed: 2" in text
    assert "None: no configuration completed (2 of 2 failed)" in text
    assert "(none completed)" in text and "%" not in text.split("TOP 10")[1].split("FAILED")[0]
    assert "Selection:" not in text, "nothing was selected, so no split chose anything"


def test_all_at_chance_declares_no_winner():
    text = case_text("all-at-chance")
    assert "There is no winner: every trial ends at chance.\n" in text
    assert (
        "Warning (at chance): every trial ends at chance: final test accuracy within 2 points "
        "of chance (10.00%, one in 10 classes); nothing was learned.\n"
    ) in text
    assert "is the best beyond noise" not in text and "range edge" not in text
    assert "made no measurable difference" not in text, "two seeds cannot rule a difference out"
    assert text.count("[at chance]") == 6
    assert best_line(case_analysis("all-at-chance")) == (
        "Best: none (every trial ends at chance: nothing was learned)"
    )


def test_three_seeds_name_the_ties_in_words_and_selection_on_test_is_said():
    text = case_text("three-seeds-ties")
    assert (
        "Selection: on the test set (METRIC=test_acc), although the trials have a validation "
        "split: the best configuration's test accuracy is optimistic, since it chose the "
        'configuration; METRIC=val/acc (or CONFIG_SWEEP_METRIC="auto") selects on validation\n'
    ) in text
    # With the seed noise pooled over the configurations, config_004 (two seeds, a third
    # timed out) is told apart from the best; config_010 is not.
    assert "config_010 is within noise of the best" in text
    assert "Test Accuracy: 97.59% +- 0.43 (n=3, 95% CI 96.85% to 98.33%)" in text
    assert "CONFIG_WEIGHT_DECAY: matters: 1 of 2" in text
    assert "CONFIG_OPTIMIZER_SELECT: matters" in text
    assert "1 of 3 seeds failed (timeout)" in text
    assert "Completed: 11 | Failed: 1 (1 timeout)" in text


# --- each situation, as the sentence a reader sees -----------------------------------


def test_without_a_validation_split_auto_ranks_on_test_and_says_so_once():
    text = case_text("no-validation")
    assert (
        "Ranked by: test_acc (Test Accuracy), higher is better; METRIC=test_acc GOAL=max "
        "(METRIC=auto: no validation split)\n"
    ) in text
    assert (
        "Selection: on the test set: the trials have no validation split, so the best "
        "configuration's test accuracy is optimistic (it also chose the configuration); set "
        "CONFIG_VAL_FRACTION=0.1 to select on validation\n"
    ) in text
    assert text.count("on the test set") == 1
    assert "Total configurations tested: 2 (4 trials: 2 configurations x 2 seeds)" in text
    assert best_line(case_analysis("no-validation")) == (
        "Best: config_001 test_acc 97.08% +- 0.20 (n=2), selected on the test set: no "
        "validation split; CONFIG_OPTIMIZER_SELECT=ADAM"
    )


def test_a_metric_the_trials_did_not_record_is_not_recorded_never_failed():
    text = case_text("metric-not-recorded")
    assert (
        "Note: The 4 trials that finished did not record val/loss (it exists only with a "
        "validation split, CONFIG_VAL_FRACTION > 0): not recorded, which is not a failure; "
        "nothing can be ranked by it.\n"
    ) in text
    assert (
        "None: the trials did not record val/loss (not recorded is not failed: 4 of 4 trials "
        "finished); rank by another metric, e.g. METRIC=test_acc.\n"
    ) in text
    assert "Completed: 4 | Failed: 0" in text and "one seed per configuration" not in text
    assert "no configuration completed" not in text and "Selection:" not in text
    assert best_line(case_analysis("metric-not-recorded")) == (
        "Best: none (val/loss was not recorded by the trials)"
    )


def test_two_seeds_within_noise_cannot_tell_rather_than_claiming_no_difference():
    text = case_text("n2-tie")
    said = (
        "the difference's 95% interval runs from -2.81 to +9.29 points, so it may "
        "be nothing or more than 1.00 points; more seeds would narrow it"
    )
    assert (
        "No configuration is measurably better: config_001 is within noise of config_003 "
        f"(the 95% interval of their difference holds 0); cannot tell with n=2: {said}.\n"
    ) in text
    assert (
        "CONFIG_LEARNING_RATE: cannot tell with n=2: configurations that differ only in it are "
        f"within noise of each other; {said}\n"
    ) in text
    assert "no measurable difference" not in text


def test_no_measurable_difference_only_where_the_data_rule_a_difference_out():
    text = case_text("no-measurable-difference")
    assert (
        "CONFIG_WEIGHT_DECAY: made no measurable difference: every like-for-like difference "
        "is within +-1.00 points (95% interval)\n"
    ) in text
    assert (
        "every difference from the best is within +-1.00 points (95% interval): no "
        "measurable difference."
    ) in text


def test_a_diverged_trial_is_a_result_shown_apart_and_never_ranked():
    text = case_text("diverged")
    assert "Completed: 3 | Failed: 0 | Diverged: 1 (a result, not a failure)\n" in text
    assert (
        "config_004 [diverged]: exit status 3: training diverged: the mean training loss "
        "2.97e+10 at epoch 2 is more than 10x the loss of a uniform guess over 10 classes "
        "(ln 10 = 2.3)\n"
    ) in text
    top = text.split("TOP 10 CONFIGURATIONS:")[1].split("SWEPT SYMBOLS")[0]
    assert "config_004" not in top, "its recorded 10% must not rank"
    ranking = case_analysis("diverged").ranking
    assert [g.name for g in ranking.unranked] == ["config_004"]


def test_a_trial_at_chance_is_named_in_a_warning():
    text = case_text("chance-level")
    assert (
        "Warning (at chance): 1 of 4 trials ends at chance, final test accuracy within 2 "
        "points of chance (10.00%, one in 10 classes): config_004 (10.28%). It learned "
        "nothing; its place in the ranking says nothing about the settings.\n"
    ) in text
    assert "4. config_004  [at chance]\n" in text


def test_a_best_value_at_the_edge_of_its_range_is_named_with_the_way_to_widen():
    text = case_text("range-edge")
    assert (
        "Warning (range edge): CONFIG_LEARNING_RATE: the best value 0.01 is the highest "
        "swept (0.001|0.003|0.01); the optimum may lie beyond it: widen the range upwards, "
        "e.g. CONFIG_LEARNING_RATE=0.001|0.003|0.01|0.03.\n"
    ) in text
    assert "config_007 is the best beyond noise" in text


def test_an_interval_that_would_cross_100_percent_is_clipped_and_says_so():
    text = case_text("interval-at-100")
    assert (
        "Validation Accuracy: 99.35% +- 0.64 (n=2, 95% CI 97.62% to 100.00%, clipped at 100%)\n"
    ) in text
    assert "the seed variance pooled across configurations" in text
    assert "clipped to 0% to 100%" in text
    assert "100.6" not in text and "101" not in text


def test_a_resumed_sweeps_wall_clock_adds_its_runs_and_the_start_up_once_per_run():
    text = case_text("resumed-wall-clock")
    assert (
        "Sweep wall clock: 312.4s over 2 runs (the first run and 1 resume: 154.5s + 157.9s; "
        "the time between runs is not counted)\n"
    ) in text
    assert (
        "Trial server start-up: 17.9s, once per run (9.2s + 8.7s); part of the wall clock, of "
        "no trial's time\n"
    ) in text
    assert (
        "The trial times add up to more than the wall clock: trials ran side by side (JOBS=2).\n"
    ) in text
    assert "Trial time: 375.9s in all for 6 trials" in text


def test_selection_on_validation_reports_the_test_accuracy_at_that_point():
    text = case_text("chance-level")
    assert (
        "Selection: on the validation split (val/acc); test accuracy is reported at the "
        "selected point (the same trials and epoch) and was not used to choose\n"
    ) in text
    assert (
        "Test Accuracy: 97.50%, at the selected point (the same trials and epoch; not used "
        "to choose)\n"
    ) in text
    # config_002 has the best test accuracy (97.78%) but not the best validation accuracy.
    assert "Config file: config_003" in text
    assert best_line(case_analysis("chance-level")) == (
        "Best: config_003 val/acc 97.92% (test_acc 97.50% at that point) "
        "CONFIG_OPTIMIZER_SELECT=ADAM CONFIG_LEARNING_RATE=0.003"
    )


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
    assert best_line(case_analysis("three-seeds-ties")) == (
        "Best: config_007 test_acc 97.59% +- 0.43 (n=3), selected on the test set; "
        "CONFIG_OPTIMIZER_SELECT=ADAM CONFIG_WEIGHT_DECAY=0; within noise of it: config_010"
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
