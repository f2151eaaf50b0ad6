"""A real trade-off sweep on digits through the command line: the objectives named in the
range file reach every output (the Pareto section, results.csv's pareto_rank, the plot), a
later `make sweep-analyze` reads them from the trials' configs, FRONT_DEFCONFIGS=1 writes a
loadable defconfig per front point, and the command line's METRIC= or CONSTRAINTS= win."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sweep_helpers import run_ksweep as ksweep
from sweep_helpers import swept

from ksweep.configfile import parse_config_text
from ksweep.plan.kconfig import KconfigTree

ROOT = Path(__file__).resolve().parents[1]
RANGE = ROOT / "tests" / "cases" / "pareto_e2e" / "trade-off-range"
PNG = b"\x89PNG\r\n\x1a\n"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    folder, run = swept(RANGE, tmp_path_factory.mktemp("pareto_e2e"))
    assert "Pareto front (val/acc:max,training_time:min): config_" in run.stdout
    return folder


def test_the_sweep_writes_the_front_with_its_rank_column_and_plot(sweep):
    text = (sweep / "sweep_analysis.txt").read_text()
    assert "PARETO FRONT:" in text
    assert "Objectives: val/acc (max, higher is better), training_time (min, lower" in text
    frame = pd.read_csv(sweep / "results.csv")
    assert {"pareto_rank", "meets_constraints"} <= set(frame.columns)
    assert set(frame["pareto_rank"].dropna()) <= {1, 2}
    assert (frame["pareto_rank"] == 1).any()
    assert (sweep / "plots" / "pareto.png").read_bytes().startswith(PNG)
    assert "## Pareto front" in (sweep / "report.md").read_text()


def test_sweep_analyze_reads_the_objectives_from_the_trials_and_writes_front_defconfigs(sweep):
    before = (sweep / "sweep_analysis.txt").read_text()
    env = {**os.environ, "PYTHON": sys.executable, "SWEEP": str(sweep), "FRONT_DEFCONFIGS": "1"}
    run = subprocess.run(
        ["make", "-s", "sweep-analyze"], cwd=ROOT, capture_output=True, text=True, env=env
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    after = (sweep / "sweep_analysis.txt").read_text()
    assert after[after.index("PARETO FRONT:") :] == before[before.index("PARETO FRONT:") :]
    front = pd.read_csv(sweep / "results.csv").query("pareto_rank == 1")["configuration"]
    written = sorted(p.name for p in (sweep / "defconfigs").glob("*-front-*"))
    assert written == sorted(f"{sweep.name}-front-{name}" for name in set(front))
    defconfig = (sweep / "defconfigs" / written[0]).read_text()
    assert defconfig.startswith(f"# On the Pareto front of {sweep.name} (val/acc:max,")
    # Each loads (minimal: a default learning rate is left out) into its configuration's values.
    tree = KconfigTree(ROOT / "Kconfig")
    for name in set(front):
        tree.load(sweep / "defconfigs" / f"{sweep.name}-front-{name}")
        loaded = parse_config_text(tree.config_text())
        (trial,) = sweep.glob(f"{name}_*")
        ran = parse_config_text((trial / "config.txt").read_text())
        assert loaded["LEARNING_RATE"] == ran["LEARNING_RATE"], name
    assert "Defconfigs of the front" in run.stdout


def test_the_command_line_wins_over_the_trials_objectives(sweep, tmp_path):
    run = ksweep("analyze", str(sweep), "--metric", "val/acc")
    assert run.returncode == 0, run.stderr[-2000:]
    assert "PARETO FRONT" not in (sweep / "sweep_analysis.txt").read_text()
    assert not (sweep / "plots" / "pareto.png").exists()
    run = ksweep("analyze", str(sweep), "--constraints", "training_time<0")
    assert run.returncode == 0, run.stderr[-2000:]
    text = (sweep / "sweep_analysis.txt").read_text()
    assert "The front: empty (no configuration could be ranked)." in text
    assert "breaks training_time<0" in text
    refused = ksweep("analyze", str(sweep), "--objectives", "val/acc", "--metric", "test_acc")
    assert refused.returncode == 2
    assert "OBJECTIVES= and METRIC= were both given" in refused.stderr
