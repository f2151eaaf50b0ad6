"""Scripts that are not ksweep's trainer swept end to end: examples/digits_torch.py (a plain
PyTorch loop using the client, checkpointing at pauses) and examples/sklearn/sgd_digits.py
(scikit-learn, the protocol's files written by hand, in the project's own Kconfig tree), each
with a grid under ASHA and with TPE, ranked by their own metric names."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from sweep_helpers import ksweep, only_sweep_dir, records_of

ROOT = Path(__file__).resolve().parents[1]
TORCH_RANGE = ROOT / "tests" / "cases" / "trial" / "digits-torch-small-range"
SKLEARN_TREE = ROOT / "examples" / "sklearn" / "Kconfig"
SKLEARN_RANGE = ROOT / "examples" / "sklearn" / "sgd-range"
pytestmark = pytest.mark.slow


def _sweep(tmp_path: Path, range_file: Path, *extra: str, tree: Path | None = None) -> Path:
    out = tmp_path / "results"
    args = ["--kconfig", str(tree)] if tree else []
    args += ["sweep", str(range_file), "--out", str(tmp_path / "configs"), "--output-dir", str(out)]
    done = subprocess.run(
        ksweep(*args, "--jobs", "2", "--checkpoint-seconds", "0", *extra),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return only_sweep_dir(out)


def _ranked_by(sweep: Path, metric: str) -> str:
    text = (sweep / "sweep_analysis.txt").read_text()
    assert metric in text
    return text


@pytest.mark.parametrize("search", ["grid", "tpe"])
def test_a_pytorch_script_with_the_client(tmp_path, search):
    extra = ("--early-stop", "asha", "--es-grace", "1", "--es-factor", "2")
    if search == "tpe":
        extra = ("--search", "tpe", "--samples", "3")
    sweep = _sweep(tmp_path, TORCH_RANGE, *extra)
    records = records_of(sweep)
    assert records and all(r["status"] in ("completed", "pruned") for r in records)
    assert all(isinstance(r["val_accuracy"], float) for r in records)
    assert "test_acc" not in {k for r in records for k, v in r.items() if v is not None}
    _ranked_by(sweep, "val_accuracy")
    if search == "grid":
        pruned = [r for r in records if r["status"] == "pruned"]
        assert pruned, "ASHA stopped nothing"
        for record in pruned:  # stopped while paused with a checkpoint: its rows end there
            trial = sweep / record["test_name"]
            rows = (trial / "metrics.jsonl").read_text().splitlines()
            assert len(rows) == record["stopped"]["epoch"]
            assert not (trial / "checkpoint").exists()
        went_on = [r for r in records if r["status"] == "completed"]
        assert went_on and all(r.get("resumed_from_epoch") == 2 for r in went_on)  # rung 2


@pytest.mark.parametrize("search", ["grid", "tpe"])
def test_a_scikit_learn_script_in_its_own_kconfig_tree(tmp_path, search):
    extra = ("--early-stop", "asha", "--es-grace", "1", "--es-factor", "3")
    if search == "tpe":
        extra = ("--search", "tpe", "--samples", "4")
    sweep = _sweep(tmp_path, SKLEARN_RANGE, *extra, tree=SKLEARN_TREE)
    records = records_of(sweep)
    assert all(isinstance(r["val_f1"], float) for r in records)
    assert {r["status"] for r in records} <= {"completed", "pruned"}
    if search == "grid":
        assert len(records) == 12 and any(r["status"] == "pruned" for r in records)
    text = _ranked_by(sweep, "val_f1")
    best = max((r for r in records if r["status"] == "completed"), key=lambda r: r["val_f1"])
    assert best["config_file"] in text.split("BEST CONFIGURATION", 1)[-1][:400]
    manifest = json.loads((sweep / "manifest.json").read_text())
    command = manifest["segments"][-1]["launch"]["train_command"]
    assert command == ["python", "examples/sklearn/sgd_digits.py"]  # from the config, recorded
