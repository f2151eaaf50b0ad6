"""SWA, test-time augmentation and the plain tail: what they compute, and the names they report.

Each option is checked twice: its mechanism on its own (the average is the
mean of the snapshots with BatchNorm statistics of the training data; a view
is the image rotated as training rotates it), and in a real run on digits,
where the metric names are asserted and the figures that must not change
(training itself, for SWA and TTA) are checked not to.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest_train import TINY, combine, resolved_values
from torch import nn

from ksweep.sweep.layout import STOP_REQUEST
from ksweep.train.augment import rotate
from ksweep.train.evaluation import evaluate
from ksweep.train.settings import settings_from_config
from ksweep.train.swa import WeightAverage
from ksweep.train.trainer import train
from ksweep.train.tta import TestTimeAugmentation, evaluate_views

MNIST8K = {"MODEL_SELECT_MNIST8K": "y", "NUM_EPOCHS": "3"}
SWA_KEYS = {
    "swa_test_acc",
    "swa_test_loss",
    "swa_val_acc",
    "swa_val_loss",
    "swa_first_epoch",
    "swa_snapshots",
    "swa_weights_sha256",
    "swa_time",
}
TTA_KEYS = {"tta_views", "tta_rotations", "tta_flip", "single_view_test_acc"}
TTA_KEYS |= {"single_view_last3_test_acc"}


def _run(tmp_path: Path, overrides: dict[str, str], name: str) -> dict:
    settings = settings_from_config(resolved_values(tmp_path, combine(TINY, overrides)))
    lines: list[str] = []
    result = train(settings, tmp_path / name, log=lines.append)
    result["log"] = lines
    on_disk = json.loads((tmp_path / name / "training_metrics.json").read_text())
    assert on_disk == {k: v for k, v in result.items() if k != "log"}
    return result


def _without(result: dict, *prefixes: str) -> list[dict]:
    """The history without timings and without keys starting with ``prefixes``."""
    return [
        {k: v for k, v in h.items() if k != "epoch_time" and not k.startswith(prefixes)}
        for h in result["history"]
    ]


# --- SWA -------------------------------------------------------------------------------------


def test_swa_reports_its_own_figures_and_leaves_training_alone(tmp_path: Path) -> None:
    plain = _run(tmp_path, MNIST8K, "plain")
    swa = _run(tmp_path, {**MNIST8K, "SWA": "y", "SWA_EPOCHS": "2"}, "swa")
    assert not SWA_KEYS & set(plain), "no swa_* figures without SWA"
    assert set(swa) >= SWA_KEYS
    assert (swa["swa_first_epoch"], swa["swa_snapshots"]) == (2, 2)
    # Training, its per-epoch figures and test_acc are the trained network's, as without SWA.
    assert swa["weights_sha256"] == plain["weights_sha256"]
    assert _without(swa) == _without(plain)
    assert swa["test_acc"] == plain["test_acc"]
    assert swa["swa_weights_sha256"] != swa["weights_sha256"]
    assert 0 <= swa["swa_test_acc"] <= 100 and swa["swa_test_loss"] > 0
    assert f"| swa test {swa['swa_test_acc']:.2f}%" in swa["log"][-1]
    assert "swa from epoch 2" in swa["log"][0]


def test_swa_stopped_before_its_window_reports_no_average(tmp_path: Path) -> None:
    out = tmp_path / "stopped"
    out.mkdir()
    (out / STOP_REQUEST).write_text('{"state": "pruned", "reason": "test"}')
    settings = settings_from_config(
        resolved_values(tmp_path, combine(TINY, {"NUM_EPOCHS": "4", "SWA": "y", "SWA_EPOCHS": "2"}))
    )
    result = train(settings, out, log=lambda _: None)
    assert result["stopped"]["epoch"] == 1
    assert (result["swa_first_epoch"], result["swa_snapshots"]) == (3, 0)
    assert "swa_test_acc" not in result


def test_the_average_is_the_mean_of_the_snapshots_with_fresh_batchnorm_statistics() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2))
    average = WeightAverage(model, epochs=2, num_epochs=3)
    snapshots = []
    for epoch in (1, 2, 3):
        with torch.no_grad():
            model[0].weight.add_(1.0)
        average.after_epoch(epoch)
        snapshots.append(model[0].weight.detach().clone())
    assert average.first_epoch == 2 and average.snapshots == 2  # epoch 1 is outside the window
    x = torch.randn(64, 1, 4, 4) * 3 + 5
    averaged = average.finish(x, batch_size=16)
    assert torch.allclose(averaged[0].weight, (snapshots[1] + snapshots[2]) / 2)
    # update_bn: the running mean is the mean of the averaged network's conv outputs over x.
    expected = averaged[0](x).mean(dim=(0, 2, 3))
    assert torch.allclose(averaged[1].running_mean, expected, atol=1e-5)
    assert not averaged.training


def test_pruned_weights_stay_zero_in_the_average() -> None:
    model = nn.Linear(4, 2)
    mask = torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 1.0]])
    average = WeightAverage(model, epochs=1, num_epochs=1)
    average.after_epoch(1, {model.weight: mask})
    assert torch.equal(average.averaged.module.weight == 0, mask == 0)


# --- TTA -------------------------------------------------------------------------------------


def test_tta_replaces_the_figures_and_keeps_the_single_view_ones(tmp_path: Path) -> None:
    plain = _run(tmp_path, {"AUGMENT_ROTATION": "10"}, "plain")
    tta = _run(tmp_path, {"AUGMENT_ROTATION": "10", "TTA": "y"}, "tta")
    assert not TTA_KEYS & set(plain)
    assert set(tta) >= TTA_KEYS
    assert (tta["tta_views"], tta["tta_rotations"], tta["tta_flip"]) == (3, [-3.0, 0.0, 3.0], False)
    assert tta["weights_sha256"] == plain["weights_sha256"], "TTA changes evaluation only"
    for with_tta, without in zip(tta["history"], plain["history"], strict=True):
        assert with_tta["single_view_test_acc"] == without["test_acc"]
        assert with_tta["single_view_val_acc"] == without["val/acc"]
        assert with_tta["val/loss"] != without["val/loss"]  # the views' mean softmax
    assert tta["single_view_last3_test_acc"] == plain["last3_test_acc"]
    assert tta["log"][-1].startswith("done: test (tta) ")
    assert "tta 3 views" in tta["log"][0]


def test_swa_under_tta_is_evaluated_with_the_views(tmp_path: Path) -> None:
    both = _run(tmp_path, {**MNIST8K, "SWA": "y", "TTA": "y", "TTA_ROTATIONS": "-5,5"}, "both")
    assert {"swa_single_view_test_acc", "swa_test_acc"} <= set(both)
    assert both["tta_views"] == 2  # no 0-degree view: the plain image is measured apart
    assert all(h["single_view_test_acc"] is not None for h in both["history"])


def test_one_plain_view_is_plain_evaluation() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 3)).eval()
    x, y = torch.randn(50, 1, 4, 4), torch.randint(0, 3, (50,))
    loss, acc = evaluate(model, x, y)
    measured = evaluate_views(model, x, y, TestTimeAugmentation((0.0,)), (0.0,))
    assert measured.acc == acc == measured.single_view_acc
    assert measured.loss == pytest.approx(loss, rel=1e-6)


def test_views_are_the_rotated_and_mirrored_images() -> None:
    x = torch.randn(3, 1, 8, 8)
    fill = torch.full((1, 1, 1, 1), -0.5)
    tta = TestTimeAugmentation((-3.0, 0.0), flip=True)
    views = list(tta.views(x, fill))
    assert tta.view_count == len(views) == 4
    assert [plain for plain, _ in views] == [False, False, True, False]
    angle = torch.full((3,), torch.pi * -3 / 180)
    assert torch.allclose(views[0][1], rotate(x - fill, angle) + fill)
    assert torch.equal(views[1][1], views[0][1].flip(3))
    assert views[2][1] is x and torch.equal(views[3][1], x.flip(3))


def test_mean_softmax_over_views_is_what_is_scored() -> None:
    """A model that sees only the left half of the image: flipping changes its vote."""

    class LeftHalf(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            left = x[..., : x.shape[-1] // 2].mean(dim=(1, 2, 3))
            return torch.stack([left, -left], dim=1) * 10

    x = torch.zeros(1, 1, 2, 2)
    x[..., 0] = 1.0  # bright left column: class 0 plainly, class 1 mirrored
    y = torch.tensor([0])
    flipped = evaluate_views(LeftHalf(), x, y, TestTimeAugmentation((0.0,), flip=True), (0.0,))
    probs = torch.tensor([[10.0, -10.0]]).softmax(1) + torch.tensor([[0.0, 0.0]]).softmax(1)
    assert flipped.loss == pytest.approx(-torch.log(probs[0, 0] / 2).item(), rel=1e-5)
    assert flipped.single_view_acc == 100.0
