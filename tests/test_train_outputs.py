"""What a run leaves in its folder beyond the metrics: checkpoint, spectra, null validation.

Also the guard on CUDA-only options: on the CPU they are reported and change nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest_train import TINY, combine, fingerprint, resolved_values

from ksweep.train.checkpoint import load_checkpoint
from ksweep.train.data import load_data
from ksweep.train.model_registry import build_model
from ksweep.train.settings import settings_from_config
from ksweep.train.trainer import evaluate, train, weights_digest


def _run(tmp_path: Path, overrides: dict[str, str], name: str = "out") -> tuple[dict, Path]:
    settings = settings_from_config(resolved_values(tmp_path, combine(TINY, overrides)))
    lines: list[str] = []
    result = train(settings, tmp_path / name, log=lines.append)
    result["log"] = lines
    return result, tmp_path / name


def test_best_checkpoint_holds_the_best_validation_epoch(tmp_path: Path) -> None:
    overrides = {"SAVE_CHECKPOINT": "y", "NUM_EPOCHS": "3", "MODEL_SELECT_MNIST8K": "y"}
    result, out = _run(tmp_path, overrides)
    state = load_checkpoint(out / "best.pt")  # weights_only=True
    model = build_model("MNIST8K", 1, 10, 28)
    model.load_state_dict(state)
    settings = settings_from_config(resolved_values(tmp_path, combine(TINY, overrides)))
    data = load_data(settings, "cpu")
    _, val_acc = evaluate(model, data.val_x, data.val_y)
    assert val_acc == result["best_val_acc"]
    assert not list(out.glob("*.tmp"))


def test_without_validation_the_checkpoint_is_the_last_epoch_and_val_is_null(
    tmp_path: Path,
) -> None:
    result, out = _run(tmp_path, {"SAVE_CHECKPOINT": "y", "VAL_FRACTION": "0", "EMA": "y"})
    model = build_model("LENET5", 1, 10, 28)
    model.load_state_dict(load_checkpoint(out / "best.pt"))
    assert weights_digest(model) == result["weights_sha256"]  # the EMA weights, as reported
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert all(r["val/loss"] is None and r["val/acc"] is None for r in records)
    assert result["test_acc_at_best_val"] is None and result["best_val_acc"] is None
    assert "val n/a" in result["log"][1]


def test_spectral_json_lists_top_singular_values_of_every_weight_matrix(tmp_path: Path) -> None:
    overrides = {"SPECTRAL_DIAG": "y", "SPECTRAL_TOPK": "4", "SAVE_CHECKPOINT": "y"}
    _, out = _run(tmp_path, {**overrides, "VAL_FRACTION": "0"})  # best.pt = final weights
    spectra = json.loads((out / "spectral.json").read_text())
    state = load_checkpoint(out / "best.pt")
    names = ["features.0.weight", "features.3.weight", "classifier.1.weight"]
    names += ["classifier.3.weight", "classifier.5.weight"]
    assert list(spectra) == names
    for name, values in spectra.items():
        weight = state[name].double()
        expected = torch.linalg.svdvals(weight.reshape(weight.shape[0], -1))[:4]
        assert values == pytest.approx(expected.tolist())
        assert len(values) == min(4, weight.shape[0]) and values == sorted(values, reverse=True)


def test_outputs_of_an_earlier_attempt_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for stale in ("best.pt", "spectral.json"):
        (out / stale).write_text("old")
    _run(tmp_path, {})
    assert not (out / "best.pt").exists() and not (out / "spectral.json").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is visible")
def test_cuda_options_on_the_cpu_are_reported_and_change_nothing(tmp_path: Path) -> None:
    cuda = {"CUDA_BF16": "y", "CUDA_CHANNELS_LAST": "y", "CUDA_COMPILE": "y", "CUDA_GRAPHS": "y"}
    plain, _ = _run(tmp_path, {}, "plain")
    guarded, _ = _run(tmp_path, cuda, "guarded")
    assert fingerprint(plain) == fingerprint(guarded)
    assert guarded["acceleration"] == "eager"
    assert guarded["log"][0].startswith("warning: CONFIG_CUDA_BF16=y, CONFIG_CUDA_CHANNELS_LAST=y")
    assert "only apply on CUDA" in guarded["log"][0]


def test_new_features_stay_bit_for_bit_repeatable(tmp_path: Path) -> None:
    """Augmentation, EMA, one-cycle, smoothing and clipping keep CPU runs deterministic."""
    overrides = {
        "AUGMENT_ROTATION": "8",
        "AUGMENT_CROP_PADDING": "2",
        "EMA": "y",
        "LR_SCHEDULE": "onecycle",
        "LABEL_SMOOTHING": "0.1",
        "GRAD_CLIP_NORM": "1.0",
        "PRUNING_METHOD": "global",
    }
    first, _ = _run(tmp_path, overrides, "a")
    second, _ = _run(tmp_path, overrides, "b")
    assert first["weights_sha256"] == second["weights_sha256"]
    assert fingerprint(first) == fingerprint(second)
