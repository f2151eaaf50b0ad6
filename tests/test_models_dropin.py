"""A user adds a model by dropping two files into models/, touching nothing else, and sweeps it.

The test works on a copy of the project, so the real models/ never changes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

WIDENET = '''"""widenet: a wide one-layer CNN, added by a user."""

from torch import nn

SPEC = {"description": "wide CNN", "min_image_size": 8, "options": {"width": "WIDENET_WIDTH"}}


def build(in_channels: int, num_classes: int, image_size: int, width: int = 16) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, num_classes),
    )
'''
WIDENET_KCONFIG = """choice MODEL_SELECT

config MODEL_SELECT_WIDENET
\tbool "widenet: wide CNN"

endchoice

config WIDENET_WIDTH
\tint "widenet: channels"
\tdepends on MODEL_SELECT_WIDENET
\trange 1 512
\tdefault 16
"""
ONLY32 = '''"""only32: takes 32x32 images and nothing else."""

from torch import nn

SPEC = {"description": "32x32 only", "image_sizes": (32,)}


def build(in_channels: int, num_classes: int, image_size: int) -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * 32 * 32, num_classes))
'''
ONLY32_KCONFIG = 'choice MODEL_SELECT\n\nconfig MODEL_SELECT_ONLY32\n\tbool "only32"\n\nendchoice\n'


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    copy = tmp_path / "project"
    ignored = shutil.ignore_patterns(
        ".venv", ".git", "data", "test_matrix_results", "sweep_configs", "__pycache__", "*.pt"
    )
    shutil.copytree(ROOT, copy, ignore=ignored)
    models = copy / "models"
    (models / "widenet.py").write_text(WIDENET)
    (models / "widenet.Kconfig").write_text(WIDENET_KCONFIG)
    (models / "only32.py").write_text(ONLY32)
    (models / "only32.Kconfig").write_text(ONLY32_KCONFIG)
    return copy


def ksweep_in(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ksweep", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_dropped_in_model_is_swept_with_its_own_option(project: Path):
    range_file = project / "wide-range"
    range_file.write_text(
        "# ksweep: base=defconfigs/quickstart\nCONFIG_MODEL_SELECT=WIDENET\n"
        "CONFIG_WIDENET_WIDTH=4|32\nCONFIG_DATA_SUBSET=128\nCONFIG_NUM_EPOCHS=1\n"
    )
    result = ksweep_in(
        project, "sweep", "wide-range", "--output-dir", "results", "--device", "cpu", "--quiet"
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (sweep,) = (project / "results").glob("sweep_*")
    records = json.loads((sweep / "sweep_summary.json").read_text())
    assert [r["model"] for r in records] == ["widenet", "widenet"]
    assert [r["CONFIG_WIDENET_WIDTH"] for r in records] == [4, 32]
    assert records[0]["params"] < records[1]["params"]  # the option reached the network


def test_a_model_that_cannot_take_the_dataset_is_refused_at_generate_time(project: Path):
    range_file = project / "only32-range"
    range_file.write_text("# ksweep: base=defconfigs/quickstart\nCONFIG_MODEL_SELECT=ONLY32\n")
    result = ksweep_in(project, "generate", "only32-range", "--out", "configs")
    assert result.returncode == 2
    assert (
        "only32-range:2: error: CONFIG_MODEL_SELECT_ONLY32 must fit CONFIG_DATASET_SELECT_DIGITS:"
        " only32 takes 32x32 images, the dataset has 28x28" in result.stderr
    ), result.stderr
    assert not (project / "configs").exists()
