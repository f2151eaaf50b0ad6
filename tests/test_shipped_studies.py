"""The seeds' studies, shipped as range configs, run end to end on tiny settings.

Each shipped study's range file runs as written -- its swept symbols and
value sets, its seeds -- through the command line (generate, pre-flight,
the launcher, the analysis), on a copy of its base defconfig shrunk to a
few epochs of a few hundred images (``--base``, as ``BASE=`` does for
``make sweep``). The MNIST studies run on scikit-learn's digits (same 1x28x28
shape, bundled), the CIFAR-10 ablation on small files in the CIFAR-10 format;
one run uses the real MNIST where ``make data-link`` put it and skips where
it did not. What is checked is that every trial completes and reports the
figures the study is about; the full-length results are measurements, in
the README's table of studies.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest_train import REPO_ROOT, requires_project_mnist, write_cifar_dataset

from ksweep.configfile import parse_config_text

DEFCONFIGS = REPO_ROOT / "defconfigs"
pytestmark = pytest.mark.slow

# Three epochs of 1,024 digits (48 steps: enough for BatchNorm statistics to settle and the
# networks to leave chance), instead of 15 epochs of MNIST.
ON_DIGITS = {
    "DATASET_SELECT_DIGITS": "y",
    "DATA_SUBSET": "1024",
    "BATCH_SIZE": "64",
    "NUM_EPOCHS": "3",
}


# The four ways each trial of the playground study scores its network.
PLAYGROUND_FIGURES = (
    "single_view_last3_test_acc",  # plain
    "last3_test_acc",  # TTA
    "swa_single_view_test_acc",  # SWA
    "swa_test_acc",  # SWA + TTA
)


def tiny_base(tmp_path: Path, base: str, overrides: dict[str, str]) -> Path:
    """``defconfigs/<base>`` with ``overrides`` replacing its lines (a dataset replaces its
    dataset), written to ``tmp_path``."""
    dropped = set(overrides)
    if any(name.startswith("DATASET_SELECT_") for name in overrides):
        dropped |= {
            n for n in parse_config_text((DEFCONFIGS / base).read_text()) if "DATASET_" in n
        }
    lines = [
        line
        for line in (DEFCONFIGS / base).read_text().splitlines()
        if not any(line.startswith((f"CONFIG_{n}=", f"# CONFIG_{n} is not set")) for n in dropped)
    ]
    lines += [f"CONFIG_{name}={value}" for name, value in overrides.items()]
    path = tmp_path / f"{base}-tiny"
    path.write_text("\n".join(lines) + "\n")
    return path


def run_study(tmp_path: Path, range_name: str, base: Path, *extra: str) -> list[dict]:
    """``ksweep sweep defconfigs/<range_name> --base BASE``; each trial's final metrics."""
    results = tmp_path / "results"
    run = subprocess.run(
        [
            sys.executable, "-m", "ksweep", "sweep", str(DEFCONFIGS / range_name),
            "--base", str(base), "--out", str(tmp_path / "configs"),
            "--output-dir", str(results), "--device", "cpu", "--jobs", "2", *extra,
        ],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (sweep,) = results.glob("sweep_*")
    records = json.loads((sweep / "sweep_summary.json").read_text())
    assert {r["status"] for r in records} == {"completed"}
    trials = []
    for record in records:
        folder = sweep / record["test_name"]
        metrics = json.loads((folder / "training_metrics.json").read_text())
        config = parse_config_text((folder / "config.txt").read_text())
        trials.append({"record": record, "metrics": metrics, "config": config})
    return trials


def check_playground_study(trials: list[dict]) -> None:
    """Every trial scores its network four ways (plain, TTA, SWA, SWA + TTA); the tail
    trials train their last 2 epochs on plain images."""
    assert len(trials) == 6
    seen = set()
    for trial in trials:
        config, metrics = trial["config"], trial["metrics"]
        tail = int(config["AUGMENT_OFF_LAST_EPOCHS"])
        seen.add((tail, config["SEED"]))
        for name in PLAYGROUND_FIGURES:
            assert 0 <= metrics[name] <= 100, name
        assert metrics["last3_test_acc"] == trial["record"]["last3_test_acc"]  # ranked on TTA's
        assert metrics["tta_rotations"] == [-3.0, 0.0, 3.0] and metrics["tta_flip"] is False
        assert metrics["swa_snapshots"] == min(5, metrics["epochs"])
        augmented = [h["augmented"] for h in metrics["history"]]
        assert augmented == [True] * (len(augmented) - tail) + [False] * tail
        assert config["SWEEP_METRIC"] == "last3_test_acc"
    assert seen == {(tail, seed) for tail in (0, 2) for seed in "012"}


def test_the_playground_study_on_digits(tmp_path: Path) -> None:
    base = tiny_base(tmp_path, "mnist8k", ON_DIGITS)
    check_playground_study(run_study(tmp_path, "mnist8k-tta-swa-noaug-range", base))


@requires_project_mnist
def test_the_playground_study_on_an_mnist_subset(tmp_path: Path) -> None:
    """As shipped, on the MNIST in data/ (CONFIG_DATA_DIR's default), 512 images a trial."""
    base = tiny_base(tmp_path, "mnist8k", {"DATA_SUBSET": "512", "NUM_EPOCHS": "3"})
    trials = run_study(tmp_path, "mnist8k-tta-swa-noaug-range", base)
    check_playground_study(trials)
    assert {t["metrics"]["dataset"] for t in trials} == {"mnist"}


# mnist8k-seeds-range is the playground study's recipe without TTA and SWA (same model,
# same data path): the playground test above runs it; here the depthwise-separable one.
@pytest.mark.parametrize(
    ("range_name", "base", "model", "params"),
    [("mnist-dwsep-seeds-range", "mnist-dwsep", "mnist_dwsep", 4546)],
)
def test_the_seed_checks_on_digits(
    tmp_path: Path, range_name: str, base: str, model: str, params: int
) -> None:
    trials = run_study(tmp_path, range_name, tiny_base(tmp_path, base, ON_DIGITS))
    assert sorted(t["config"]["SEED"] for t in trials) == ["0", "1", "2"]
    assert {(t["metrics"]["model"], t["metrics"]["params"]) for t in trials} == {(model, params)}
    assert all(t["record"]["last3_test_acc"] > 20.0 for t in trials), "well above chance (10%)"


# The SGD half only: the Adam half is the same file shape on the same base with other
# optimizer lines, and it generates (and passes pre-flight) in tests/test_generate_cli.py.
@pytest.mark.parametrize(
    ("range_name", "optimizer", "rates"),
    [("tinycnn-ablation-sgd-range", "SGD", {"0.01", "0.003"})],
)
def test_the_tinycnn_ablation_on_cifar10_format_files(
    tmp_path: Path, range_name: str, optimizer: str, rates: set[str]
) -> None:
    data = write_cifar_dataset(tmp_path / "data", 10)
    shrunk = {"DATA_DIR": f'"{data}"', "DATA_SUBSET": "64", "NUM_EPOCHS": "2", "BATCH_SIZE": "32"}
    base = tiny_base(tmp_path, "tinycnn-ablation", shrunk)
    trials = run_study(tmp_path, range_name, base)
    assert len(trials) == 12
    variants = {(t["config"]["LEARNING_RATE"], t["config"]["EMA"]) for t in trials}
    assert variants == {(rate, ema) for rate in rates for ema in "yn"}
    for trial in trials:
        config, metrics = trial["config"], trial["metrics"]
        assert config[f"OPTIMIZER_SELECT_{optimizer}"] == "y"
        assert config["SWEEP_METRIC"] == "val/acc"
        assert (config["AUGMENT_CROP_PADDING"], config.get("AUGMENT_FLIP", "n")) == ("0", "n")
        assert (metrics["model"], metrics["dataset"]) == ("tinycnn", "cifar10")
        assert trial["record"]["val/acc"] is not None


def test_the_cifar100_search_draws_the_studys_space_with_asha(tmp_path: Path) -> None:
    """Generated, not run: its small ResNet at 128-512 channels takes about 20 s an epoch on
    256 images here, so a run would dwarf the suite; the launcher, ASHA and random search
    each run end to end in their own tests. What is checked is the space: 10 draws (SAMPLES'
    default), each within the study's bounds, ASHA named by the trials' own symbol."""
    data = write_cifar_dataset(tmp_path / "data", 100)
    base = tiny_base(tmp_path, "small-resnet-cifar100", {"DATA_DIR": f'"{data}"'})
    out = tmp_path / "configs"
    run = subprocess.run(
        [
            sys.executable, "-m", "ksweep", "generate",
            str(DEFCONFIGS / "small-resnet-cifar100-search-range"),
            "--base", str(base), "--out", str(out),
        ],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    configs = [parse_config_text(p.read_text()) for p in sorted(out.glob("config_*"))]
    assert len(configs) == 10
    for config in configs:
        assert 0.1 <= float(config["SMALL_RESNET_DROPOUT"]) <= 0.45
        assert config["SMALL_RESNET_H1"] in {"64", "128"}
        assert config["SMALL_RESNET_H2"] in {"512", "1024"}
        assert config["BATCH_SIZE"] in {"32", "64", "128"}
        assert 1e-5 <= float(config["LEARNING_RATE"]) <= 1e-1
        assert config["SWEEP_EARLY_STOP"] == "asha"
        assert config["DATASET_SELECT_CIFAR100"] == "y" and config["VAL_FRACTION"] == "0.1"
    assert len({c["LEARNING_RATE"] for c in configs}) == 10, "every draw its own rate"
