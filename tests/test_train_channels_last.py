"""CONFIG_CPU_CHANNELS_LAST: the NHWC layout on the CPU changes speed, never the model.

A layout is not a training choice, so instead of the "changes training" test
every other symbol gets (test_symbol_effects.py), this file checks that the
layout is really applied to weights and batches, that training with it agrees
with NCHW training to rounding, and that the Kconfig default is on exactly for
the CIFAR datasets, where it was measured faster.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest_train import TINY, TINY_PRUNING, resolved_values, write_cifar_dataset

from ksweep.train.settings import settings_from_config
from ksweep.train.trainer import prepare, train

TINYCNN = {**TINY, "MODEL_SELECT_TINYCNN": "y"}


@pytest.fixture(scope="module")
def cifar(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """TINYCNN on tiny CIFAR-10-format files: three-channel batches, where NHWC shows."""
    root = write_cifar_dataset(tmp_path_factory.mktemp("data"), 10, n_train=128, n_test=32)
    tiny = {k: v for k, v in TINYCNN.items() if not k.startswith("DATASET_SELECT_")}
    return {**tiny, "DATASET_SELECT_CIFAR10": "y", "DATA_DIR": str(root)}


def nhwc(t: torch.Tensor) -> bool:
    return t.is_contiguous(memory_format=torch.channels_last) and not t.is_contiguous()


@pytest.mark.parametrize("on", [True, False])
def test_the_layout_reaches_weights_and_batches(
    tmp_path: Path, cifar: dict[str, str], on: bool
) -> None:
    values = resolved_values(tmp_path, {**cifar, "CPU_CHANNELS_LAST": "y" if on else "n"})
    settings = settings_from_config(values)
    run = prepare(settings, "cpu", say=lambda _: None)
    assert run.accel.channels_last is on
    assert run.accel.describe() == ("channels_last" if on else "eager")
    wide = [m.weight for m in run.model.modules() if isinstance(m, torch.nn.Conv2d)][1]
    assert wide.shape[1] > 1 and nhwc(wide) is on
    seen: list[torch.Tensor] = []
    handle = run.model.register_forward_pre_hook(lambda _, args: seen.append(args[0]))
    run.train_epoch(1)
    handle.remove()
    assert seen and all(batch.shape[1] == 3 and nhwc(batch) is on for batch in seen)
    assert nhwc(wide) is on, "the optimizer step must keep the layout"


def train_both(tmp_path: Path, overrides: dict[str, str]) -> dict[str, dict]:
    results = {}
    for flag in ("y", "n"):
        values = resolved_values(tmp_path, {**overrides, "CPU_CHANNELS_LAST": flag}, TINY_PRUNING)
        results[flag] = train(settings_from_config(values), tmp_path / flag, log=lambda _: None)
    return results


def test_nhwc_training_agrees_with_nchw_to_rounding(tmp_path: Path, cifar: dict[str, str]) -> None:
    results = train_both(tmp_path, {**cifar, "OPTIMIZER_SELECT_SGD": "y"})
    pairs = zip(results["y"]["history"], results["n"]["history"], strict=True)
    for nhwc_epoch, nchw_epoch in pairs:
        for key in ("train/loss", "val/loss", "test_acc"):
            assert nhwc_epoch[key] == pytest.approx(nchw_epoch[key], rel=1e-4), key


def test_pruning_masks_apply_to_nhwc_weights(tmp_path: Path, cifar: dict[str, str]) -> None:
    """The default AdamWPrune prunes to the same measured sparsity in either layout.

    (Losses are not compared here: rounding-level differences flip near-tied
    pruning scores, so the two runs prune slightly different weights.)
    """
    results = train_both(tmp_path, cifar)
    sparsity = {flag: r["final_sparsity"] for flag, r in results.items()}
    assert sparsity["y"] == sparsity["n"] == pytest.approx(0.7, abs=0.005)


@pytest.mark.parametrize(
    ("dataset", "expected"),
    [("CIFAR10", True), ("CIFAR100", True), ("MNIST", False), ("DIGITS", False)],
)
def test_on_by_default_for_cifar_only(tmp_path: Path, dataset: str, expected: bool) -> None:
    values = resolved_values(tmp_path, {f"DATASET_SELECT_{dataset}": "y"})
    assert (values.get("CPU_CHANNELS_LAST") == "y") is expected
