"""CUDA-only paths: whole-step CUDA graphs, bf16 autocast, channels-last, torch.compile.

Skipped where no GPU is visible (the CPU guard itself is tested in
test_train_outputs.py). GPU runs are not bit-for-bit repeatable (cuDNN
reduction order, fused vs. foreach optimizer kernels), so captured and eager
training are compared within tolerances, not by digest.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest_train import TINY, combine, resolved_values

from ksweep.train.settings import settings_from_config
from ksweep.train.trainer import train

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]

# LeNet-5 on 1,000 digits, batches of 64: 15 full batches plus a tail of 40 each epoch, so
# both batch shapes are captured (each after WARMUP_STEPS eager occurrences).
RECIPE = {
    "DEVICE": "cuda",
    "DATA_SUBSET": "1000",
    "BATCH_SIZE": "64",
    "NUM_EPOCHS": "6",
    "OPTIMIZER_SELECT_SGD": "y",
    "LEARNING_RATE": "0.05",
    "NESTEROV": "y",
    "LR_SCHEDULE": "onecycle",
    "LABEL_SMOOTHING": "0.05",
    "GRAD_CLIP_NORM": "5",
    "EMA": "y",
    "AUGMENT_ROTATION": "7",
}


def _train(tmp_path: Path, name: str, **extra: str) -> tuple[dict, list[str]]:
    settings = settings_from_config(resolved_values(tmp_path, combine(TINY, RECIPE, extra)))
    lines: list[str] = []
    return train(settings, tmp_path / name, log=lines.append), lines


@pytest.mark.parametrize("optimizer", ["SGD", "ADAMW"])
def test_captured_steps_train_like_eager_steps(tmp_path: Path, optimizer: str) -> None:
    lr = {"LEARNING_RATE": "0.003"} if optimizer == "ADAMW" else {}
    eager, _ = _train(tmp_path, "eager", **{f"OPTIMIZER_SELECT_{optimizer}": "y"}, **lr)
    graphs, _ = _train(
        tmp_path, "graphs", CUDA_GRAPHS="y", **{f"OPTIMIZER_SELECT_{optimizer}": "y"}, **lr
    )
    assert (eager["acceleration"], graphs["acceleration"]) == ("eager", "graphs")
    assert graphs["steps"] == eager["steps"] == 6 * 16
    for a, b in zip(eager["history"], graphs["history"], strict=True):
        assert b["train/loss"] == pytest.approx(a["train/loss"], rel=0.05)
        assert b["lr"] == pytest.approx(a["lr"], rel=1e-5)
    assert graphs["test_acc"] == pytest.approx(eager["test_acc"], abs=3.0)
    assert graphs["test_acc"] > 85.0


def test_all_cuda_options_together_learn(tmp_path: Path) -> None:
    result, _ = _train(
        tmp_path,
        "all",
        CUDA_BF16="y",
        CUDA_CHANNELS_LAST="y",
        CUDA_COMPILE="y",
        CUDA_GRAPHS="y",
    )
    assert result["acceleration"] == "bf16+channels_last+compile+graphs"
    assert result["test_acc"] > 85.0


def test_graphs_fall_back_to_eager_steps_for_pruning(tmp_path: Path) -> None:
    result, lines = _train(
        tmp_path,
        "pruned",
        CUDA_GRAPHS="y",
        PRUNING_METHOD="magnitude",
        TARGET_SPARSITY="0.5",
        PRUNING_WARMUP="10",
        PRUNING_RAMP_END_EPOCH="3",
    )
    assert result["acceleration"] == "eager"
    assert any("CONFIG_CUDA_GRAPHS=y needs a step without host-side work" in x for x in lines)
    assert result["final_sparsity"] == pytest.approx(0.5, abs=0.005)


def test_swa_tta_and_the_plain_tail_under_every_cuda_option(tmp_path: Path) -> None:
    """The averaged copy, the view evaluation and the tail's buffer copy keep working when
    the step is a CUDA graph reading a fixed input buffer, under bf16 and channels-last."""
    late = {"SWA": "y", "SWA_EPOCHS": "3", "TTA": "y", "AUGMENT_OFF_LAST_EPOCHS": "2"}
    result, lines = _train(
        tmp_path,
        "late",
        MODEL_SELECT_MNIST8K="y",
        CUDA_BF16="y",
        CUDA_CHANNELS_LAST="y",
        CUDA_GRAPHS="y",
        **late,
    )
    assert result["acceleration"] == "bf16+channels_last+graphs"
    assert [h["augmented"] for h in result["history"]] == [True] * 4 + [False] * 2
    assert result["swa_snapshots"] == 3 and result["swa_test_acc"] > 85.0
    assert result["test_acc"] > 85.0 and result["single_view_test_acc"] > 85.0
