"""Learning-rate schedules: their shapes, and that the trainer follows them step by step."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from conftest_train import TINY, combine, resolved_values

from ksweep.train.schedules import LrSchedule
from ksweep.train.settings import settings_from_config
from ksweep.train.trainer import train


def _rates(kind: str, steps: int = 100, epochs: int = 4, **kwargs) -> tuple[list[float], object]:
    """The rate used by each of ``steps`` steps, stepping per epoch every steps/epochs steps."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    schedule = LrSchedule(optimizer, kind, total_steps=steps, **kwargs)
    rates = []
    for step in range(1, steps + 1):
        rates.append(schedule.lr)
        optimizer.step()
        schedule.after_step()
        if step % (steps // epochs) == 0:
            schedule.after_epoch()
    return rates, optimizer


def test_none_is_constant() -> None:
    assert set(_rates("none")[0]) == {0.1}


def test_step_decays_by_gamma_every_n_epochs() -> None:
    rates, _ = _rates("step", step_epochs=2, step_gamma=0.5)
    assert rates[:50] == [0.1] * 50 and rates[50:] == pytest.approx([0.05] * 50)


def test_cosine_decays_smoothly_to_zero() -> None:
    rates, _ = _rates("cosine")
    assert rates[0] == 0.1 and rates == sorted(rates, reverse=True)
    assert rates[50] == pytest.approx(0.05, rel=1e-6)
    assert rates[-1] == pytest.approx(0.1 * (1 + math.cos(math.pi * 99 / 100)) / 2)


def test_onecycle_warms_up_to_the_peak_then_anneals_and_leaves_momentum_alone() -> None:
    rates, optimizer = _rates("onecycle", pct_start=0.3)
    peak = max(range(len(rates)), key=rates.__getitem__)
    assert rates[0] == pytest.approx(0.1 / 25) and rates[peak] == pytest.approx(0.1)
    assert peak == 29  # 30% of 100 steps, counted from 0
    assert rates[: peak + 1] == sorted(rates[: peak + 1])
    assert rates[peak:] == sorted(rates[peak:], reverse=True)
    assert rates[-1] == pytest.approx(0.1 / 25 / 1e4)
    assert optimizer.param_groups[0]["momentum"] == 0.9  # not cycled


def test_unknown_schedule() -> None:
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="unknown learning-rate schedule 'linear'"):
        LrSchedule(optimizer, "linear", total_steps=10)


def _cosine(step: int, lr: float = 1e-3, total: int = 12) -> float:
    return lr * (1 + math.cos(math.pi * step / total)) / 2


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"LR_SCHEDULE": "step", "LR_STEP_EPOCHS": "1", "LR_STEP_GAMMA": "0.5"}, [1e-3, 5e-4]),
        ({"LR_SCHEDULE": "cosine"}, [_cosine(5), _cosine(11)]),
        ({"LR_SCHEDULE": "onecycle", "LR_PCT_START": "0.5"}, [1e-3, 1e-3 / 25 / 1e4]),
    ],
    ids=["step", "cosine", "onecycle"],
)
def test_trainer_logs_the_scheduled_rate(tmp_path: Path, overrides: dict, expected: list) -> None:
    """Each epoch logs the rate its last step used (2 epochs x 6 steps: steps 5 and 11)."""
    settings = settings_from_config(resolved_values(tmp_path, combine(TINY, overrides)))
    assert settings.learning_rate == 1e-3 and settings.steps_per_epoch == 6
    result = train(settings, tmp_path / "out", log=lambda _: None)
    assert [h["lr"] for h in result["history"]] == pytest.approx(expected, abs=1e-12)
