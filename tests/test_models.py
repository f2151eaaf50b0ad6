"""Model registry and networks: parameter budgets, shapes, and agreement with Kconfig."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import kconfiglib
import pytest
import torch
from conftest_train import REPO_ROOT, TINY, combine, load_kconfig, resolved_values

from ksweep.train.model_registry import MODELS, build_model, discover
from ksweep.train.settings import settings_from_config
from ksweep.train.trainer import train


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("key", "low", "high"),
    [
        ("LENET5", 61_706, 61_706),  # the paper's LeNet-5 with a 10-way head
        ("MNIST8K", 5_000, 7_999),  # the <8k-parameter budget
        ("MNIST_DWSEP", 4_546, 4_546),  # under 5,000, the playground's "3a" (~4,560)
        ("RESNET18", 11_000_000, 11_300_000),  # torchvision's 11.7M minus the 7x7 stem and fc
    ],
)
def test_parameter_count(key: str, low: int, high: int) -> None:
    count = n_params(build_model(key, 1, 10, 28))
    assert low <= count <= high, f"{key} has {count:,} parameters"


def test_tinycnn_is_a_cifar10_cnn_under_10k_parameters() -> None:
    model = build_model("TINYCNN", 3, 10, 32)
    assert 8_000 <= n_params(model) < 10_000, n_params(model)
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.parametrize(("h1", "h2"), [(32, 256), (16, 0), (8, 1024)])
def test_small_resnet_widths_are_its_options(h1: int, h2: int) -> None:
    """Parameters follow the widths exactly: stem, three BasicBlocks with 1x1 shortcuts, head."""
    model = build_model("SMALL_RESNET", 3, 100, 32, {"h1": h1, "h2": h2})

    def conv_bn(c_in: int, c_out: int, k: int) -> int:
        return c_in * c_out * k * k + 2 * c_out

    def block(c_in: int, c_out: int) -> int:
        shortcut = conv_bn(c_in, c_out, 1) if c_in != c_out else 0
        return conv_bn(c_in, c_out, 3) + conv_bn(c_out, c_out, 3) + shortcut

    head = (4 * h1 * h2 + h2 + h2 * 100 + 100) if h2 else 4 * h1 * 100 + 100
    expected = conv_bn(3, h1, 3) + block(h1, h1) + block(h1, 2 * h1) + block(2 * h1, 4 * h1)
    assert n_params(model) == expected + head
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 100)
    assert MODELS["SMALL_RESNET"].options == {
        "h1": "SMALL_RESNET_H1",
        "h2": "SMALL_RESNET_H2",
        "p_drop": "SMALL_RESNET_DROPOUT",
    }


def test_mnist_dwsep_is_depthwise_separable_after_its_first_convolution() -> None:
    model = build_model("MNIST_DWSEP", 1, 10, 28)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    depthwise = [c for c in convs if c.groups > 1]
    assert convs[0].groups == 1 and convs[0].kernel_size == (3, 3)  # one input channel
    assert len(depthwise) == 4
    assert all(c.groups == c.in_channels == c.out_channels for c in depthwise)
    for dw in depthwise:  # each depthwise 3x3 is followed by a pointwise 1x1 mix
        pointwise = convs[convs.index(dw) + 1]
        assert pointwise.kernel_size == (1, 1) and pointwise.groups == 1
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)


DROPOUT_OPTIONS = [
    ("MNIST8K", "dropout", 1, 28),
    ("TINYCNN", "dropout", 3, 32),
    ("SMALL_RESNET", "p_drop", 3, 32),
]


@pytest.mark.parametrize(("key", "option", "channels", "size"), DROPOUT_OPTIONS)
def test_dropout_is_an_option_that_only_acts_in_training(
    key: str, option: str, channels: int, size: int
) -> None:
    """Off (0) the network is exactly the one without the option; on, it adds no parameter,
    draws nothing at initialisation, and drops activations in training mode only."""
    torch.manual_seed(0)
    off = build_model(key, channels, 10, size, {option: 0.0})
    torch.manual_seed(0)
    on = build_model(key, channels, 10, size, {option: 0.5})
    assert not [m for m in off.modules() if isinstance(m, torch.nn.Dropout)]
    assert [m.p for m in on.modules() if isinstance(m, torch.nn.Dropout)]
    assert all(m.p == 0.5 for m in on.modules() if isinstance(m, torch.nn.Dropout))
    off_state, on_state = off.state_dict(), on.state_dict()
    assert list(off_state) == list(on_state)
    assert all(torch.equal(off_state[k], on_state[k]) for k in off_state)
    x = torch.randn(4, channels, size, size)
    with torch.no_grad():
        assert torch.equal(off.eval()(x), on.eval()(x))
        assert not torch.equal(off.train()(x), on.train()(x))


def test_every_model_option_is_a_kconfig_symbol_of_that_model() -> None:
    """SPEC "options" and the fragments agree: each symbol exists and depends on its model."""
    kconf = load_kconfig()
    for key, spec in MODELS.items():
        for symbol in spec.options.values():
            assert symbol in kconf.syms, f"{key}: {symbol} is not in the Kconfig tree"
            depends = kconfiglib.expr_str(kconf.syms[symbol].direct_dep)
            assert f"MODEL_SELECT_{key}" in depends, f"{symbol} must depend on MODEL_SELECT_{key}"


def test_options_a_model_does_not_take_are_refused() -> None:
    with pytest.raises(ValueError, match=r"mnist8k takes no option\(s\) \['h1'\]"):
        build_model("MNIST8K", 1, 10, 28, {"h1": 4})


@pytest.mark.parametrize("key", sorted(MODELS))
def test_cifar_shaped_input(key: str) -> None:
    model = build_model(key, 3, 100, 32).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 3, 32, 32)).shape == (2, 100)


def test_a_model_is_one_file_with_a_literal_spec(tmp_path) -> None:
    """The registry reads SPEC from source, so discovering models never imports torch."""
    (tmp_path / "wide.py").write_text(
        'import torch\nSPEC = {"description": "d", "image_sizes": (32,), '
        '"options": {"width": "WIDE_WIDTH"}}\n'
    )
    (tmp_path / "helpers.py").write_text("X = 1\n")  # no SPEC: not a model
    (tmp_path / "_private.py").write_text('SPEC = {"description": "skipped"}\n')
    found = discover(tmp_path)
    assert list(found) == ["WIDE"]
    spec = found["WIDE"]
    assert (spec.path.name, spec.image_sizes, spec.options) == (
        "wide.py",
        (32,),
        {"width": "WIDE_WIDTH"},
    )
    assert spec.fit_problem(1, 28) == "wide takes 32x32 images, the dataset has 28x28"


@pytest.mark.parametrize("key", sorted(MODELS))
def test_forward_shape_on_mnist_sized_input(key: str) -> None:
    torch.manual_seed(0)
    model = build_model(key, 1, 10, 28).eval()
    with torch.no_grad():
        logits = model(torch.randn(3, 1, 28, 28))
    assert logits.shape == (3, 10)
    assert torch.isfinite(logits).all()


def test_lenet5_takes_32x32_and_three_channels() -> None:
    model = build_model("LENET5", 3, 7, 32)
    assert model(torch.zeros(2, 3, 32, 32)).shape == (2, 7)
    assert MODELS["LENET5"].fit_problem(1, 16) == (
        "lenet5 takes 28x28 or 32x32 images, the dataset has 16x16"
    )
    with pytest.raises(ValueError, match="28x28 or 32x32"):
        build_model("LENET5", 1, 10, 16)


def test_resnet18_keeps_spatial_resolution_in_the_stem() -> None:
    model = build_model("RESNET18", 1, 10, 28)
    stem = torch.nn.Sequential(model.conv1, model.bn1, model.relu, model.maxpool, model.layer1)
    assert stem(torch.zeros(1, 1, 28, 28)).shape == (1, 64, 28, 28)


def test_same_seed_same_initialisation() -> None:
    torch.manual_seed(3)
    a = build_model("MNIST8K", 1, 10, 28)
    torch.manual_seed(3)
    b = build_model("MNIST8K", 1, 10, 28)
    pairs = zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    assert all(torch.equal(x, y) for x, y in pairs)


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown model 'VGG'; known models: LENET5"):
        build_model("VGG", 1, 10, 28)


def test_registry_matches_kconfig_choice() -> None:
    """Adding a model needs both its file and its Kconfig fragment, in models/."""
    kconf = load_kconfig()
    choice = next(c for c in kconf.unique_choices if c.name == "MODEL_SELECT")
    members = {sym.name.removeprefix("MODEL_SELECT_") for sym in choice.syms}
    assert members == set(MODELS)


def test_registry_and_settings_import_without_torch() -> None:
    """The engine validates configs through these modules without paying for torch."""
    code = (
        "import sys, ksweep.train.model_registry, ksweep.train.settings, ksweep.train.catalog; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


@pytest.mark.parametrize(
    ("model", "symbol", "option"),
    [
        ("MNIST8K", "MNIST8K_DROPOUT", "dropout"),
        ("TINYCNN", "TINYCNN_DROPOUT", "dropout"),
        ("SMALL_RESNET", "SMALL_RESNET_DROPOUT", "p_drop"),
    ],
)
def test_a_run_records_the_dropout_it_trained_with(
    tmp_path: Path, model: str, symbol: str, option: str
) -> None:
    """training_metrics.json names the model's options, dropout among them."""
    overrides = {f"MODEL_SELECT_{model}": "y", symbol: "0.3", "NUM_EPOCHS": "1"}
    if model == "SMALL_RESNET":
        overrides |= {"SMALL_RESNET_H1": "4", "SMALL_RESNET_H2": "16"}
    settings = settings_from_config(resolved_values(tmp_path, combine(TINY, overrides)))
    result = train(settings, tmp_path / "out", log=lambda _: None)
    assert result["model_options"][option] == 0.3
    on_disk = json.loads((tmp_path / "out" / "training_metrics.json").read_text())
    assert on_disk["model_options"] == result["model_options"]
