"""``python -m ksweep.bench_trainer``: ksweep's trainer against a plain DataLoader loop.

Same model (mnist8k), same data (MNIST from ``defconfigs/mnist8k``'s
CONFIG_DATA_DIR, ``data/``, or ``--data-dir``), same batch size (128), in
the same run, on the CPU and -- where one is visible -- on CUDA. Each
variant trains one warm-up epoch of ``--steps`` steps (worker start-up,
cuDNN autotuning, graph capture and compilation land there) and then one
measured epoch of ``--steps`` steps;
the figures are training steps per second, the projected time of a full
60,000-image epoch (469 steps) and of the recipe's 15 epochs (training
only; evaluation is reported separately).

- baseline: ``torchvision.datasets.MNIST`` with the recipe's augmentation as
  torchvision transforms (RandomRotation(7), RandomCrop(28, padding=1)),
  ToTensor and Normalize in DataLoader workers (2 on the CPU; 4 with pinned memory
  and non-blocking copies on CUDA), SGD with Nesterov momentum, the usual
  ``zero_grad / forward / backward / step`` loop with a one-cycle schedule.
- ksweep: the real trainer (:func:`ksweep.train.trainer.prepare` and
  :meth:`~ksweep.train.trainer.Run.train_epoch`) running the mnist8k recipe
  as configured -- which does *more* per step than the baseline (an EMA
  update, on-device augmentation of every image each epoch) -- on the CPU in
  both memory layouts (NCHW, the recipe's, and channels-last,
  CONFIG_CPU_CHANNELS_LAST=y), and on CUDA eagerly and with the whole step
  captured in a CUDA graph, alone and with torch.compile.

Numbers depend on the machine and its load; nothing here is asserted by a
test. The MNIST files are decompressed into a temporary folder for
torchvision's dataset class and deleted afterwards.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

from ksweep.configfile import parse_config_text
from ksweep.plan.kconfig import KconfigTree
from ksweep.project import PROJECT_ROOT as ROOT
from ksweep.train.catalog import DATASETS
from ksweep.train.model_registry import build_model
from ksweep.train.optim import parameter_groups
from ksweep.train.runtime import seed_everything
from ksweep.train.settings import TrainSettings, settings_from_config
from ksweep.train.trainer import prepare

DEFCONFIG = ROOT / "defconfigs" / "mnist8k"
BATCH = 128
FULL_EPOCH_STEPS = math.ceil(60000 / BATCH)  # 469
MAX_STEPS = 60000 // BATCH  # measured epochs use full batches of the 60k training images
RECIPE_EPOCHS = 15


def recipe_data_dir() -> str:
    """CONFIG_DATA_DIR as defconfigs/mnist8k resolves it (the Kconfig default unless set)."""
    resolution = KconfigTree(ROOT / "Kconfig").resolve(DEFCONFIG, [])
    return parse_config_text(resolution.config_text)["DATA_DIR"]


def recipe_settings(device: str, steps: int, data_dir: str, **options: bool) -> TrainSettings:
    """defconfigs/mnist8k, resolved, on ``device``, with epochs of ``steps`` steps.

    ``options`` set bool symbols by name, e.g. ``CUDA_GRAPHS=True``.
    """
    tree = KconfigTree(ROOT / "Kconfig")
    assignments = [
        ("DEVICE", device),
        ("DATA_DIR", data_dir),
        ("DATA_SUBSET", str(steps * BATCH)),
        ("NUM_EPOCHS", "2"),
        *((name, "y" if on else "n") for name, on in options.items()),
    ]
    resolution = tree.resolve(DEFCONFIG, assignments)
    settings = settings_from_config(parse_config_text(resolution.config_text))
    assert settings.batch_size == BATCH and settings.model == "MNIST8K"
    return settings


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def time_ksweep(settings: TrainSettings, device: str) -> dict[str, float | str]:
    """Seconds of a measured epoch of the real trainer (after a warm-up epoch), and eval time."""
    seed_everything(settings.seed, device)
    run = prepare(settings, device, say=lambda line: print(f"    {line}", flush=True))
    run.train_epoch(1)  # warm-up: capture, compilation, autotuning
    sync(device)
    start = time.perf_counter()
    run.train_epoch(2)
    sync(device)
    train_s = time.perf_counter() - start
    start = time.perf_counter()
    run.evaluate(run.data.test_x, run.data.test_y)
    sync(device)
    return {
        "train_s": train_s,
        "steps": run.steps_per_epoch,
        "eval_s": time.perf_counter() - start,
        "mode": run.accel.describe(),
    }


def torchvision_mnist(data_dir: str, scratch: Path) -> Path:
    """A torchvision-layout copy (scratch/MNIST/raw, uncompressed) of the MNIST files."""
    found, missing = DATASETS["MNIST"].find_files(data_dir)
    if missing:
        raise SystemExit(f"error: MNIST files missing from {data_dir}: {', '.join(missing)}")
    raw = scratch / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, path in found.items():
        opener: Callable = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as src, (raw / name).open("wb") as dst:
            shutil.copyfileobj(src, dst)
    return scratch


def recipe_transforms(settings: TrainSettings) -> list:
    """The recipe's augmentation as the usual per-image torchvision transforms (PIL side)."""
    augment: list = []
    if settings.augment_rotation > 0:
        augment.append(transforms.RandomRotation(settings.augment_rotation))
    if settings.augment_crop_padding > 0:
        augment.append(transforms.RandomCrop(28, padding=settings.augment_crop_padding))
    return augment


def time_dataloader(
    root: Path, device: str, steps: int, workers: int, augment: list
) -> dict[str, float]:
    """Seconds of a measured epoch of the plain loop (after a warm-up epoch), and eval time."""
    torch.manual_seed(0)
    mean, std = DATASETS["MNIST"].mean, DATASETS["MNIST"].std
    train_tf = transforms.Compose(
        [*augment, transforms.ToTensor(), transforms.Normalize(mean, std)]
    )
    test_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
    train_set = Subset(
        datasets.MNIST(str(root), train=True, transform=train_tf), range(steps * BATCH)
    )
    test_set = datasets.MNIST(str(root), train=False, transform=test_tf)
    cuda = device == "cuda"
    loader = DataLoader(
        train_set, batch_size=BATCH, shuffle=True, num_workers=workers, pin_memory=cuda
    )
    model = build_model("MNIST8K", 1, 10, 28).to(device)
    optimizer = torch.optim.SGD(parameter_groups(model, 5e-4), lr=0.1, momentum=0.9, nesterov=True)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, 0.1, total_steps=2 * steps)

    def epoch() -> float:
        model.train()
        start = time.perf_counter()
        for x, y in loader:
            x, y = x.to(device, non_blocking=cuda), y.to(device, non_blocking=cuda)
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y, label_smoothing=0.05)
            loss.backward()
            optimizer.step()
            schedule.step()
        sync(device)
        return time.perf_counter() - start

    epoch()  # warm-up
    train_s = epoch()
    start = time.perf_counter()
    test_loader = DataLoader(test_set, batch_size=1000, num_workers=workers, pin_memory=cuda)
    with torch.no_grad():
        model.eval()
        for x, y in test_loader:
            model(x.to(device, non_blocking=cuda)).argmax(1).eq(y.to(device)).sum()
    sync(device)
    return {"train_s": train_s, "steps": steps, "eval_s": time.perf_counter() - start}


def figures(result: dict, baseline: dict | None = None) -> dict:
    rate = result["steps"] / result["train_s"]
    out = {
        **result,
        "steps_per_s": rate,
        "epoch_s": FULL_EPOCH_STEPS / rate,
        "recipe_s": RECIPE_EPOCHS * FULL_EPOCH_STEPS / rate,
    }
    if baseline is not None:
        out["speedup"] = rate / baseline["steps_per_s"]
    return out


def report(device: str, name: str, row: dict) -> None:
    speedup = f"{row['speedup']:.2f}x" if "speedup" in row else "1.00x"
    print(
        f"  {device:4} {name:46} {row['steps_per_s']:7.1f} steps/s = "
        f"{1 / row['epoch_s']:6.3f} epochs/s ({row['epoch_s']:6.2f} s/epoch, 15 epochs "
        f"{row['recipe_s']:6.1f} s + eval {row['eval_s']:.2f} s/epoch) | {speedup}",
        flush=True,
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    threads = torch.get_num_threads()
    plural = "s" if threads != 1 else ""
    text = f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} ({threads} thread{plural})"
    if torch.cuda.is_available():
        text += f", GPU {torch.cuda.get_device_name()}"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda", "all"], default="all")
    parser.add_argument("--cpu-steps", type=int, default=150, help="steps per CPU epoch")
    parser.add_argument("--cuda-steps", type=int, default=468, help="steps per CUDA epoch")
    parser.add_argument("--data-dir", default=None, help="MNIST files (default: the defconfig's)")
    parser.add_argument("--json", default=None, help="also write the figures to this file")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads in this process (1 = a trial of a sweep with JOBS equal to the cores)",
    )
    args = parser.parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be 1 or more")
        torch.set_num_threads(args.threads)
    for steps in (args.cpu_steps, args.cuda_steps):
        if not 1 <= steps <= MAX_STEPS:
            parser.error(f"steps per epoch must be 1..{MAX_STEPS} (60,000 images / {BATCH})")
    os.chdir(ROOT)  # CONFIG_DATA_DIR is relative to the repository root
    data_dir = args.data_dir or recipe_data_dir()
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    if "cuda" in devices and not torch.cuda.is_available():
        print("no CUDA GPU visible: CPU only")
        devices = ["cpu"]
    print(f"mnist8k, batch {BATCH}: {machine()}")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="ksweep-bench-mnist-") as scratch:
        root = torchvision_mnist(data_dir, Path(scratch))
        for device in devices:
            steps = args.cpu_steps if device == "cpu" else args.cuda_steps
            workers = 2 if device == "cpu" else 4
            print(f"{device}: one warm-up and one measured epoch of {steps} steps each")
            augment = recipe_transforms(recipe_settings(device, steps, data_dir))
            base = figures(time_dataloader(root, device, steps, workers, augment))
            pinned = ", pinned" if device == "cuda" else ""
            name = f"torchvision DataLoader ({workers} workers{pinned})"
            report(device, name, base)
            results[f"{device}/dataloader"] = base
            variants: dict[str, dict[str, bool]] = {}
            if device == "cpu":
                variants["ksweep trainer (eager, NCHW)"] = {"CPU_CHANNELS_LAST": False}
                variants["ksweep trainer (eager, channels-last)"] = {"CPU_CHANNELS_LAST": True}
            else:
                variants["ksweep trainer (eager)"] = {}
                variants["ksweep trainer (CUDA graph of the whole step)"] = {"CUDA_GRAPHS": True}
                variants["ksweep trainer (CUDA graph + torch.compile)"] = {
                    "CUDA_GRAPHS": True,
                    "CUDA_COMPILE": True,
                }
            for label, options in variants.items():
                settings = recipe_settings(device, steps, data_dir, **options)
                row = figures(time_ksweep(settings, device), base)
                report(device, label, row)
                results[f"{device}/{row['mode']}"] = row
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), **results}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
