"""A finished sweep with real trial folders, as the trainer leaves them, for analysis tests."""

import json
from pathlib import Path

from ksweep.plan.kconfig import KconfigTree

ROOT = Path(__file__).resolve().parents[1]
PNG = b"\x89PNG\r\n\x1a\n"
VARYING = ["CONFIG_OPTIMIZER_SELECT", "CONFIG_SEED"]


def resolved_config(tree: KconfigTree, tmp: Path, lines: list[str]) -> str:
    source = tmp / "defconfig.tmp"
    source.write_text((ROOT / "defconfigs" / "quickstart").read_text() + "\n".join(lines) + "\n")
    tree.load(source)
    source.unlink()
    return tree.config_text()


def make_sweep(
    folder: Path,
    accuracies: dict[str, list[float | None]],
    spectral=True,
    config_lines: tuple[str, ...] = (),
    validation: bool = True,
) -> Path:
    """A finished sweep of OPTIMIZER_SELECT x SEED with trial folders as the trainer leaves
    them; None in ``accuracies`` is a failed seed. ``config_lines`` are added to every
    trial's config; without ``validation`` the trials record no val/loss or val/acc."""
    tree = KconfigTree(ROOT / "Kconfig")
    folder.mkdir(parents=True)
    records, n = [], 0
    for opt, accs in accuracies.items():
        for seed, acc in enumerate(accs):
            n += 1
            name = f"config_{n:03d}"
            test_name = f"{name}_optimizer_select-{opt.lower()}_seed-{seed}"
            trial = folder / test_name
            trial.mkdir()
            config = resolved_config(
                tree,
                folder,
                [f"CONFIG_OPTIMIZER_SELECT_{opt}=y", f"CONFIG_SEED={seed}", *config_lines],
            )
            (trial / "config.txt").write_text(config)
            done = acc is not None
            rows = [
                {
                    "epoch": e,
                    "train/loss": 2.3 / e,
                    "val/loss": 2.3 / (e * (1.5 if done else 1.0)) if validation else None,
                    "val/acc": min(99.0, (acc or 10.0) * e / 3) if validation else None,
                    "test_acc": (acc or 10.0) * e / 3,
                    "lr": 0.001,
                    "epoch_time": 0.2,
                }
                for e in (1, 2, 3)
            ]
            (trial / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
            if done and spectral:
                spectrum = {"conv1": [3.0 + seed, 1.5, 0.7], "fc1": [9.0, 2.0, 0.5, 0.1]}
                (trial / "spectral.json").write_text(json.dumps(spectrum))
            record = {
                "config_file": name,
                "test_name": test_name,
                "status": "completed" if done else "failed",
                "test_acc": acc,
                "final_sparsity": 0.0 if done else None,
                "training_time": 0.6 if done else None,
                "val/loss": rows[-1]["val/loss"] if done else None,
                "val/acc": rows[-1]["val/acc"] if done else None,
                "params": 61706 if done else None,
                "wall_time": 3.0 + seed * 0.1,
                "seed": seed,
                "CONFIG_OPTIMIZER_SELECT": opt,
                "CONFIG_SEED": seed,
                "error": None if done else "exit status 3: training diverged: loss is nan",
                "log": f"{test_name}/output.log",
            }
            records.append(record)
    (folder / "sweep_summary.json").write_text(json.dumps(records))
    (folder / "manifest.json").write_text(json.dumps({"device_override": "cpu", "wall_time": 30}))
    return folder


ACCURACIES = {"SGD": [60.0, 62.0, 64.0], "ADAM": [97.0, 98.0, 96.0], "ADAMW": [97.0, 96.0, None]}
