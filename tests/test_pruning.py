"""Pruning: the cubic schedule, the scores, AdamWPrune, and measured end sparsity."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from conftest_train import TINY, TINY_PRUNING, combine, resolved_values
from torch import nn

from ksweep.train.adamwprune import AdamWPrune
from ksweep.train.prune import (
    Pruner,
    SparsitySchedule,
    global_prune_counts,
    measured_sparsity,
    prunable_parameters,
)
from ksweep.train.settings import settings_from_config
from ksweep.train.trainer import train

# --- schedule ---------------------------------------------------------------------------------


def test_cubic_schedule_values() -> None:
    schedule = SparsitySchedule(target=0.8, warmup_steps=10, ramp_end_step=110)
    assert schedule.sparsity_at(0) == 0.0
    assert schedule.sparsity_at(10) == 0.0  # still warmup
    assert schedule.sparsity_at(11) == pytest.approx(0.8 * (1 - 0.99**3))
    assert schedule.sparsity_at(60) == pytest.approx(0.8 * (1 - 0.5**3))  # = 0.7
    assert schedule.sparsity_at(110) == 0.8
    assert schedule.sparsity_at(10_000) == 0.8
    values = [schedule.sparsity_at(t) for t in range(200)]
    assert values == sorted(values)
    # Cubic: most of the pruning happens early in the ramp.
    assert schedule.sparsity_at(35) > 0.5 * 0.8


def test_schedule_without_a_ramp_jumps_after_warmup() -> None:
    schedule = SparsitySchedule(target=0.7, warmup_steps=100, ramp_end_step=88)
    assert schedule.sparsity_at(100) == 0.0
    assert schedule.sparsity_at(101) == 0.7
    assert schedule.mask_update_due(101)


@pytest.mark.parametrize(
    ("ramp", "interval"), [(5, 1), (150, 1), (1000, 10), (27_300, 100), (10**7, 100)]
)
def test_mask_interval(ramp: int, interval: int) -> None:
    schedule = SparsitySchedule(target=0.5, warmup_steps=7, ramp_end_step=7 + ramp)
    assert schedule.mask_interval == interval
    assert not schedule.mask_update_due(7)
    assert schedule.mask_update_due(7 + interval)
    assert schedule.mask_update_due(7 + ramp)  # always at the ramp end


# --- AdamWPrune -------------------------------------------------------------------------------


def _toy_problem(seed: int = 0) -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 5))
    x, y = torch.randn(64, 20), torch.randint(0, 5, (64,))
    return model, x, y


def _steps(model: nn.Module, opt: torch.optim.Optimizer, x, y, n: int, pruner=None) -> None:
    for step in range(1, n + 1):
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        if pruner is not None:
            pruner.after_backward()
        opt.step()
        if pruner is not None:
            pruner.after_step(step)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adamwprune_without_masks_is_adamw(amsgrad: bool) -> None:
    """Same update as torch's AdamW, bit for bit: BETA1/BETA2/WEIGHT_DECAY/AMSGRAD all act."""
    ours, x, y = _toy_problem()
    ref, _, _ = _toy_problem()
    kwargs = {"lr": 3e-3, "betas": (0.85, 0.99), "weight_decay": 0.05, "amsgrad": amsgrad}
    _steps(ours, AdamWPrune(ours.parameters(), **kwargs), x, y, 25)
    _steps(ref, torch.optim.AdamW(ref.parameters(), foreach=False, **kwargs), x, y, 25)
    for a, b in zip(ours.parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-7)


def test_state_importance_is_weight_times_rms_gradient() -> None:
    model, x, y = _toy_problem()
    opt = AdamWPrune(model.parameters(), lr=1e-3, betas=(0.9, 0.99))
    _steps(model, opt, x, y, 3)
    weight = model[0].weight
    v_hat = opt.state[weight]["exp_avg_sq"] / (1 - 0.99**3)
    torch.testing.assert_close(opt.importance(weight), weight.detach().abs() * v_hat.sqrt())


def test_adamwprune_keeps_pruned_weights_grads_and_moments_at_zero() -> None:
    model, x, y = _toy_problem()
    opt = AdamWPrune(model.parameters(), lr=1e-2, weight_decay=0.1, amsgrad=True)
    schedule = SparsitySchedule(target=0.6, warmup_steps=3, ramp_end_step=10)
    pruner = Pruner(model, "state", schedule, opt)
    _steps(model, opt, x, y, 30, pruner)
    for _, weight in prunable_parameters(model):
        pruned = pruner.masks[weight] == 0
        assert pruned.float().mean().item() == pytest.approx(0.6, abs=0.01)
        assert (weight[pruned] == 0).all()
        assert (weight.grad[pruned] == 0).all()
        for key in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
            assert (opt.state[weight][key][pruned] == 0).all(), key
        assert (weight[~pruned] != 0).all()


# --- pruner behaviour -------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["magnitude", "movement"])
def test_pruned_weights_stay_zero_and_masks_only_grow(method: str) -> None:
    """Even under SGD momentum and weight decay, which would move zeros, masks hold."""
    model, x, y = _toy_problem()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    schedule = SparsitySchedule(target=0.7, warmup_steps=2, ramp_end_step=20)
    pruner = Pruner(model, method, schedule, opt)
    weights = [p for _, p in prunable_parameters(model)]
    previous = [torch.zeros_like(w, dtype=torch.bool) for w in weights]
    for step in range(1, 41):
        _steps_one(model, opt, x, y, pruner, step)
        zeros = [w == 0 for w in weights]
        for before, now in zip(previous, zeros, strict=True):
            assert (now | ~before).all(), f"a pruned weight came back at step {step}"
        previous = zeros
        expected = schedule.sparsity_at(step) if schedule.mask_update_due(step) else None
        if expected is not None:
            assert measured_sparsity(model) == pytest.approx(expected, abs=0.01)
    assert measured_sparsity(model) == pytest.approx(0.7, abs=0.005)


def _steps_one(model, opt, x, y, pruner: Pruner, step: int) -> None:
    loss = nn.functional.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    pruner.after_backward()
    opt.step()
    pruner.after_step(step)


def test_movement_prunes_weights_moving_towards_zero() -> None:
    layer = nn.Linear(4, 1, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 1.0, -1.0, -1.0]]))
    # Gradient descent moves w by -grad: entries 0 and 2 shrink towards zero, 1 and 3 grow.
    layer.weight.grad = torch.tensor([[0.5, -0.5, -0.5, 0.5]])
    opt = torch.optim.SGD(layer.parameters(), lr=0.0)
    pruner = Pruner(layer, "movement", SparsitySchedule(0.5, 0, 1), opt)
    pruner.after_backward()
    pruner.after_step(1)
    assert pruner.masks[layer.weight].tolist() == [[0.0, 1.0, 0.0, 1.0]]


def test_magnitude_prunes_the_smallest_weights_per_layer() -> None:
    layer = nn.Linear(5, 1, bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.3, -0.1, 2.0, -0.05, 1.0]]))
    opt = torch.optim.SGD(layer.parameters(), lr=0.0)
    Pruner(layer, "magnitude", SparsitySchedule(0.4, 0, 1), opt).after_step(1)
    assert (layer.weight != 0).tolist() == [[True, False, True, False, True]]


def test_sparsity_counts_conv_and_linear_weights_only() -> None:
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2, 2))
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(1.0)
        model[0].bias.zero_()
        model[1].weight.zero_()
        model[3].weight[0].zero_()
    names = [name for name, _ in prunable_parameters(model)]
    assert names == ["0.weight", "3.weight"]
    assert measured_sparsity(model) == pytest.approx(2 / (18 + 4))


def test_global_pruning_uses_one_threshold_across_layers() -> None:
    """Small weights go first wherever they are; the large-weight layer keeps all of its own."""
    model = nn.Sequential(nn.Linear(10, 10, bias=False), nn.Linear(10, 10, bias=False))
    with torch.no_grad():
        model[0].weight.copy_(torch.linspace(0.01, 0.1, 100).view(10, 10))  # all small
        model[1].weight.copy_(torch.linspace(1.0, 2.0, 100).view(10, 10))  # all large
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    Pruner(model, "global", SparsitySchedule(0.4, 0, 1), opt).after_step(1)
    assert (model[0].weight == 0).sum().item() == 80 and (model[1].weight != 0).all()


def test_global_pruning_never_empties_a_layer_and_still_meets_the_total() -> None:
    small = torch.zeros(90)  # mnist8k's first convolution has 90 weights, all "unimportant"
    big = torch.arange(1.0, 1001.0)
    counts = global_prune_counts([small, big], 0.9)
    assert counts == [89, 892]  # 1% of 90 rounds up to one kept weight
    assert sum(counts) == round(0.9 * 1090)
    assert global_prune_counts([small, big], 0.0) == [0, 0]


def test_global_pruning_cap_binds_at_the_highest_target() -> None:
    counts = global_prune_counts([torch.zeros(90), torch.ones(1000)], 0.99)
    assert counts == [89, 990]  # both at their caps: one short of round(0.99 * 1090)


def test_state_pruning_needs_adamwprune() -> None:
    model, _, _ = _toy_problem()
    with pytest.raises(ValueError, match="AdamWPrune"):
        Pruner(model, "state", SparsitySchedule(0.5, 0, 1), torch.optim.Adam(model.parameters()))


# --- end to end: measured sparsity meets the target -------------------------------------------


@pytest.mark.parametrize(
    ("method", "optimizer"),
    [("state", "ADAMWPRUNE"), ("magnitude", "ADAMW"), ("movement", "SGD"), ("global", "SGD")],
)
def test_training_reaches_target_sparsity(tmp_path: Path, method: str, optimizer: str) -> None:
    overrides = combine(
        TINY,
        TINY_PRUNING,
        {
            f"OPTIMIZER_SELECT_{optimizer}": "y",
            "PRUNING_METHOD": method,
            "TARGET_SPARSITY": "0.7",
            "NUM_EPOCHS": "3",
        },
    )
    settings = settings_from_config(resolved_values(tmp_path, overrides))
    result = train(settings, tmp_path / "out", log=lambda _: None)
    assert result["final_sparsity"] == pytest.approx(0.7, abs=0.005)
    sparsities = [h["sparsity"] for h in result["history"]]
    assert sparsities[0] < sparsities[1] == pytest.approx(0.7, abs=0.005)  # ramp ends at epoch 2
    assert sparsities[2] == pytest.approx(sparsities[1], abs=1e-9)  # and holds after


def test_ema_of_a_pruned_model_is_exactly_as_sparse(tmp_path: Path) -> None:
    """The evaluated EMA weights are masked too, so the reported sparsity is the real one."""
    overrides = combine(
        TINY, TINY_PRUNING, {"TARGET_SPARSITY": "0.7", "NUM_EPOCHS": "3", "EMA": "y"}
    )
    settings = settings_from_config(resolved_values(tmp_path, overrides))
    assert settings.pruning_method == "state" and settings.ema_decay == 0.999
    result = train(settings, tmp_path / "out", log=lambda _: None)
    assert result["final_sparsity"] == pytest.approx(0.7, abs=0.005)
