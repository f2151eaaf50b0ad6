"""Real sweeps on digits, through the command line, and every analysis output they must
leave: the text, results.csv, report.md, plots/, TensorBoard event files per trial, the best
defconfig; then sweep-analyze with another metric and sweep-compare through make. And one
sweep where validation and test disagree: the best defconfig follows validation."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sweep_helpers import run_ksweep, swept

from ksweep.analysis.tensorboard import EVENT_FILE, read_scalars

ROOT = Path(__file__).resolve().parents[1]
RANGE = ROOT / "tests" / "cases" / "analysis_e2e" / "seeds-range"
VAL_VS_TEST = ROOT / "tests" / "cases" / "analysis_e2e" / "val-vs-test-range"
PNG = b"\x89PNG\r\n\x1a\n"
pytestmark = pytest.mark.slow


def ksweep(*args, cwd=ROOT):
    return run_ksweep(*args, cwd=cwd)


def make(*args):
    env = {**os.environ, "PYTHON": sys.executable}
    return subprocess.run(
        ["make", "-s", *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=600
    )


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    folder, run = swept(RANGE, tmp_path_factory.mktemp("analysis_e2e"))
    assert f"TensorBoard files: {folder / 'report.md'}" in run.stdout
    return folder


def test_the_text_pools_three_seeds_into_three_configurations(sweep):
    text = (sweep / "sweep_analysis.txt").read_text()
    assert "Total configurations tested: 3 (9 trials: 3 configurations x 3 seeds)" in text
    assert "Completed: 9 | Failed: 0" in text
    assert "Seeds: 3 per configuration (CONFIG_SEED=0|1|2); mean +- std over seeds" in text
    assert "Selection: on the validation split (val/acc)" in text
    for section in ("BEST CONFIGURATION:", "TOP 10 CONFIGURATIONS:", "SWEPT SYMBOLS",
                    "TIME AND COST:", "FAILED TESTS:"):  # fmt: skip
        assert section in text
    best = text.split("Config file: ")[1].split()[0]
    assert "Validation Accuracy: " in text and "(n=3, 95% CI " in text
    assert "Test Accuracy: " in text and ", at the selected point (the same trials" in text
    records = json.loads((sweep / "sweep_summary.json").read_text())
    assert all(r["val/loss"] > 0 and 0 <= r["val/acc"] <= 100 for r in records)
    frame = pd.read_csv(sweep / "results.csv")
    assert len(frame) == 9
    assert set(frame.loc[frame["best"], "configuration"]) == {best}
    means = frame.groupby("configuration")["val/acc"].mean()
    assert means.idxmax() == best, "the best is the configuration with the best validation mean"
    assert set(frame["selected_on"]) == {"validation"}
    adam_family = frame[frame["CONFIG_OPTIMIZER_SELECT"] != "SGD"]["test_acc"].mean()
    sgd = frame[frame["CONFIG_OPTIMIZER_SELECT"] == "SGD"]["test_acc"].mean()
    assert adam_family > sgd, "Adam and AdamW learn 512 digits in 4 epochs; SGD at 0.01 lags"
    tied = set(frame.loc[frame["within_noise_of_best"], "configuration"])
    for name in tied:
        assert f"{name}  [within noise of the best]" in text


def test_report_plots_tensorboard_and_best_defconfig_are_all_there(sweep, tmp_path):
    report = (sweep / "report.md").read_text()
    header = next(line for line in report.splitlines() if line.startswith("| rank"))
    assert header.split(" | ")[2] == "OPTIMIZER_SELECT" and "SEED" not in header
    links = [line.split("](")[1].rstrip(")") for line in report.splitlines() if "![" in line]
    expected = {"metric.png", "curves.png", "wall_time.png", "metric_vs_time.png",
                "marginal_optimizer_select.png", "scree.png", "scree_normalized.png"}  # fmt: skip
    assert len(list(sweep.glob("config_*/spectral.json"))) == 9  # CONFIG_SPECTRAL_DIAG=y
    assert {Path(link).name for link in links} == expected
    for link in links:
        data = (sweep / link).read_bytes()
        assert data.startswith(PNG) and len(data) > 15_000
    events = sorted(sweep.glob(f"config_*/{EVENT_FILE}"))
    assert len(events) == 9
    for path in events:
        steps = [step for step, tag, _ in read_scalars(path) if tag == "val/acc"]
        assert steps == [1, 2, 3, 4]
    (defconfig,) = (sweep / "defconfigs").iterdir()
    assert defconfig.name == f"{sweep.name}-best"
    lines = defconfig.read_text().splitlines()
    assert "CONFIG_DATA_SUBSET=512" in lines and "CONFIG_NUM_EPOCHS=4" in lines
    assert not any(line.startswith("CONFIG_DEVICE") for line in lines)
    config = tmp_path / ".config"
    load = ksweep("defconfig", str(defconfig), "--config", str(config))
    assert load.returncode == 0, load.stderr
    assert "CONFIG_DATA_SUBSET=512" in config.read_text()


def test_make_sweep_analyze_reranks_by_another_metric_and_compare_finds_no_change(sweep):
    run = make("sweep-analyze", f"SWEEP={sweep}", "METRIC=val/loss")
    assert run.returncode == 0, run.stderr
    assert "Ranked by: val/loss (Validation Loss), lower is better" in run.stdout
    assert "Validation Loss: " in (sweep / "sweep_analysis.txt").read_text()
    compare = make("sweep-compare", f"A={sweep}", f"B={sweep}")
    assert compare.returncode == 0, compare.stderr
    assert "3 configurations in both sweeps; 0 changed beyond noise" in compare.stdout
    assert "Like for like: A and B share every fixed setting." in compare.stdout
    assert "Ranked by: val/loss" not in compare.stdout
    assert "Sweep comparison by val/acc" in compare.stdout  # the configs' own metric: auto


def test_the_best_defconfig_follows_validation_when_test_would_pick_another(tmp_path):
    run = ksweep(
        "sweep", str(VAL_VS_TEST), "--out", str(tmp_path / "configs"),
        "--output-dir", str(tmp_path / "results"), "--device", "cpu",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (folder,) = (tmp_path / "results").glob("sweep_*")
    records = json.loads((folder / "sweep_summary.json").read_text())
    assert all(r["status"] == "completed" and r["threads"] == 2 for r in records)
    by_val = max(records, key=lambda r: r["val/acc"])
    by_test = max(records, key=lambda r: r["test_acc"])
    assert by_val["CONFIG_LEARNING_RATE"] != by_test["CONFIG_LEARNING_RATE"], (
        "the range was chosen so that validation and test disagree; with other threads or "
        f"another torch build they may not: {[(r['val/acc'], r['test_acc']) for r in records]}"
    )
    assert sorted(r["val/acc"] for r in records)[-2] < by_val["val/acc"], "a clear winner"
    (defconfig,) = (folder / "defconfigs").iterdir()
    lines = defconfig.read_text().splitlines()
    assert f'CONFIG_LEARNING_RATE="{by_val["CONFIG_LEARNING_RATE"]}"' in lines
    assert "# selected on the validation split" in lines
    text = (folder / "sweep_analysis.txt").read_text()
    assert f"Config file: {by_val['config_file']}\n" in text
    test = f"{by_val['test_acc']:.2f}%"
    assert f"Test Accuracy: {test}, at the selected point (the same trials and epoch" in text
    closing = next(line for line in run.stdout.splitlines() if line.startswith("Best: "))
    assert closing.startswith(
        f"Best: {by_val['config_file']} val/acc {by_val['val/acc']:.2f}% (test_acc {test} at "
        "that point)"
    )
