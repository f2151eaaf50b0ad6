"""The shipped pruning trade-off study, run end to end as written on tiny data.

``defconfigs/mnist-pruning-study-range`` compares magnitude, movement and state pruning at
four target sparsities on two objectives (validation accuracy and sparsity, both up). Here it
runs through the command line with only its size lines shrunk to scikit-learn's digits (a
pruning warm-up of one epoch, the ramp ending at the second, two seeds instead of three), so
what is checked is the study itself: every trial prunes to its target, and the analysis
reports the Pareto front in its text, results.csv and a plot. Its full-size numbers are in
the README's table of studies.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest_train import REPO_ROOT

from ksweep.configfile import parse_config_text

STUDY = REPO_ROOT / "defconfigs" / "mnist-pruning-study-range"
PNG = b"\x89PNG\r\n\x1a\n"
# The study's size lines, shrunk: 512 digits in batches of 64 (8 steps an epoch).
ON_DIGITS = {
    "DATASET_SELECT_MNIST": None,
    "DATASET_SELECT_DIGITS": "y",
    "DATA_SUBSET": "512",
    "EVAL_SUBSET": "0",
    "NUM_EPOCHS": "3",
    "PRUNING_WARMUP": "8",
    "PRUNING_RAMP_END_EPOCH": "2",
    "SEED": "0|1",
}
pytestmark = pytest.mark.slow


def shrunk_study(tmp_path: Path) -> Path:
    """The study's range file with its size lines replaced by :data:`ON_DIGITS`."""
    lines = []
    for line in STUDY.read_text().splitlines():
        name = line.split("=", 1)[0].removeprefix("CONFIG_") if line.startswith("CONFIG_") else ""
        if name not in ON_DIGITS:
            lines.append(line)
    lines += [f"CONFIG_{name}={value}" for name, value in ON_DIGITS.items() if value is not None]
    path = tmp_path / "pruning-study-tiny-range"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    scratch = tmp_path_factory.mktemp("pruning_study")
    run = subprocess.run(
        [
            sys.executable, "-m", "ksweep", "sweep", str(shrunk_study(scratch)),
            "--out", str(scratch / "configs"), "--output-dir", str(scratch / "results"),
            "--device", "cpu", "--jobs", "2",
        ],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (folder,) = (scratch / "results").glob("sweep_*")
    return folder


def test_every_trial_prunes_to_its_target(study: Path) -> None:
    frame = pd.read_csv(study / "results.csv")
    assert len(frame) == 3 * 4 * 2 and set(frame["status"]) == {"completed"}
    for folder in sorted(study.glob("config_*")):
        config = parse_config_text((folder / "config.txt").read_text())
        assert config["SWEEP_OBJECTIVES"] == "val/acc:max,final_sparsity:max"
        record = frame.set_index("trial_dir").loc[folder.name]
        assert record["final_sparsity"] == pytest.approx(float(config["TARGET_SPARSITY"]), abs=0.01)
    assert set(frame["CONFIG_PRUNING_METHOD"]) == {"magnitude", "movement", "state"}
    assert set(frame["CONFIG_TARGET_SPARSITY"]) == {0.5, 0.7, 0.9, 0.95}


def test_the_front_is_reported_and_plotted(study: Path) -> None:
    text = (study / "sweep_analysis.txt").read_text()
    assert "PARETO FRONT:" in text
    assert "Objectives: val/acc (max, higher is better), final_sparsity (max" in text
    frame = pd.read_csv(study / "results.csv")
    front = frame[frame["pareto_rank"] == 1]
    # The sparsest setting is on the front whatever its accuracy: nothing prunes more.
    assert front["final_sparsity"].max() == pytest.approx(frame["final_sparsity"].max())
    assert (study / "plots" / "pareto.png").read_bytes().startswith(PNG)
    assert "## Pareto front" in (study / "report.md").read_text()
