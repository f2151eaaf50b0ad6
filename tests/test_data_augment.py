"""On-device augmentation: each transform does what it says, seeded and without side effects;
and the plain tail (CONFIG_AUGMENT_OFF_LAST_EPOCHS) turns it off for the last epochs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from conftest_train import TINY, combine, resolved_values

from ksweep.train.augment import Augmentation, random_crop, rotate
from ksweep.train.settings import TrainSettings, settings_from_config
from ksweep.train.trainer import prepare, train


def _images(n: int = 6, channels: int = 1, size: int = 8) -> torch.Tensor:
    return torch.arange(n * channels * size * size, dtype=torch.float32).view(
        n, channels, size, size
    )


def test_rotation_by_zero_is_exact_and_by_90_degrees_is_rot90() -> None:
    x = _images()
    assert torch.equal(rotate(x, torch.zeros(len(x))), x)
    turned = rotate(x, torch.full((len(x),), math.pi / 2))
    torch.testing.assert_close(turned, torch.rot90(x, 1, dims=(2, 3)), rtol=0, atol=1e-3)


def test_crop_offsets_shift_the_image_and_fill_with_zeros() -> None:
    x = _images(n=2)
    out = random_crop(x, 2, torch.tensor([[2, 2], [0, 1]]))
    assert torch.equal(out[0], x[0])  # offset == padding: the original window
    assert torch.equal(out[1, :, 2:, 1:], x[1, :, :-2, :-1])  # shifted down 2, right 1
    assert (out[1, :, :2] == 0).all() and (out[1, :, :, :1] == 0).all()


def test_flip_mirrors_about_half_the_images() -> None:
    x = torch.randn(400, 3, 4, 4)
    out = Augmentation(flip=True).apply(x, (0.0, 0.0, 0.0), torch.Generator().manual_seed(0))
    flipped = [torch.equal(o, i.flip(2)) for o, i in zip(out, x, strict=True)]
    kept = [torch.equal(o, i) for o, i in zip(out, x, strict=True)]
    assert all(f or k for f, k in zip(flipped, kept, strict=True))
    assert 150 < sum(flipped) < 250


def test_uncovered_pixels_become_black_in_the_normalised_scale() -> None:
    black = -0.1307 / 0.3081  # MNIST's normalised black
    x = torch.full((50, 1, 28, 28), 2.0)
    out = Augmentation(rotation_deg=45.0).apply(x, (black,), torch.Generator().manual_seed(0))
    corners = out[:, 0, 0, 0]
    assert (corners < 2.0).all() and corners.min() == pytest.approx(black, abs=1e-5)
    assert torch.allclose(out[:, 0, 14, 14], torch.tensor(2.0))  # the centre stays


@pytest.mark.parametrize(
    "augmentation",
    [Augmentation(rotation_deg=10.0), Augmentation(crop_padding=2, flip=True)],
    ids=["rotation", "crop+flip"],
)
def test_seeded_fresh_each_epoch_and_input_untouched(augmentation: Augmentation) -> None:
    x = torch.randn(20, 3, 16, 16)
    before = x.clone()
    first = augmentation.apply(x, (0.0,) * 3, torch.Generator().manual_seed(5))
    again = augmentation.apply(x, (0.0,) * 3, torch.Generator().manual_seed(5))
    generator = torch.Generator().manual_seed(5)
    epoch1 = augmentation.apply(x, (0.0,) * 3, generator)
    epoch2 = augmentation.apply(x, (0.0,) * 3, generator)
    assert torch.equal(first, again) and torch.equal(first, epoch1)
    assert not torch.equal(epoch1, epoch2)
    assert torch.equal(x, before)


def test_nothing_configured_is_the_identity_without_a_copy() -> None:
    x = torch.randn(3, 1, 8, 8)
    assert Augmentation().apply(x, (0.0,), torch.Generator()) is x


# --- the plain tail (CONFIG_AUGMENT_OFF_LAST_EPOCHS) -------------------------------------------


def _settings(tmp_path: Path, overrides: dict[str, str]) -> TrainSettings:
    return settings_from_config(resolved_values(tmp_path, combine(TINY, overrides)))


def test_the_last_epochs_train_on_the_images_as_loaded(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path, {"AUGMENT_ROTATION": "10", "NUM_EPOCHS": "3", "AUGMENT_OFF_LAST_EPOCHS": "2"}
    )
    run = prepare(settings, "cpu", say=lambda _: None)
    assert [run.augments(epoch) for epoch in (1, 2, 3)] == [True, False, False]
    run.train_epoch(1)
    assert not torch.equal(run.step.x, run.data.train_x), "epoch 1 trains on rotated images"
    run.train_epoch(2)
    assert torch.equal(run.step.x, run.data.train_x), "the tail trains on the plain images"


@pytest.mark.parametrize(
    ("overrides", "augmented"),
    [
        ({"AUGMENT_ROTATION": "10", "NUM_EPOCHS": "3", "AUGMENT_OFF_LAST_EPOCHS": "1"}, [1, 1, 0]),
        ({"AUGMENT_CROP_PADDING": "2", "NUM_EPOCHS": "3"}, [1, 1, 1]),
        ({"NUM_EPOCHS": "3", "AUGMENT_OFF_LAST_EPOCHS": "1"}, [0, 0, 0]),  # nothing to turn off
    ],
)
def test_each_epoch_says_whether_it_was_augmented(
    tmp_path: Path, overrides: dict[str, str], augmented: list[int]
) -> None:
    result = train(_settings(tmp_path, overrides), tmp_path / "out", log=lambda _: None)
    assert [h["augmented"] for h in result["history"]] == [bool(a) for a in augmented]
    lines = (tmp_path / "out" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["augmented"] for line in lines] == [bool(a) for a in augmented]
