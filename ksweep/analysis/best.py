"""The best configuration as a minimal defconfig, so the next step is one command.

The defconfig is made from the best configuration's own config (its lowest
completed seed), reduced by kconfiglib's savedefconfig logic to what
differs from the Kconfig defaults, exactly as ``make savedefconfig`` would
write it. A ``DEVICE=`` given to the whole sweep is a property of that run,
not of the configuration: it reaches the trials on their command line and
never enters a config, so nothing needs taking out.

It is always written into the sweep folder (``defconfigs/<sweep>-best``)
and, for a sweep inside the project (the default ``test_matrix_results/``),
also into the project's ``defconfigs/``, where ``make defconfig-<sweep>-best``
loads it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from ksweep.analysis.core import Analysis
from ksweep.analysis.words import mean_text
from ksweep.project import DEFCONFIG_DIR, KCONFIG_FILE, PROJECT_ROOT
from ksweep.sweep.atomic import write_text_atomic
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.tolerant import read_text


@dataclass(frozen=True)
class BestDefconfig:
    name: str  # sweep_20261122_223539-best
    in_sweep: Path  # <sweep>/defconfigs/<name>
    installed: Path | None  # defconfigs/<name> of the project, when the sweep lives in it
    source: str  # the trial it was made from

    def load_command(self) -> str:
        if self.installed is not None:
            return f"make defconfig-{self.name}"
        return f"python -m ksweep defconfig {self.in_sweep}"


def defconfig_name(sweep_dir: Path) -> str:
    return f"{Path(sweep_dir).resolve().name}-best"


def find_kconfig() -> Path | None:
    """The Kconfig tree: the one in the working directory, else the one beside ksweep."""
    for candidate in (Path.cwd() / KCONFIG_FILE, PROJECT_ROOT / KCONFIG_FILE):
        if candidate.is_file():
            return candidate
    return None


def project_defconfig_dir(sweep_dir: Path) -> Path | None:
    """The project's defconfigs/ when ``sweep_dir`` lies inside the project we run from.

    Sweeps elsewhere (a scratch folder, a test's temporary folder) keep their best
    defconfig to themselves instead of adding files to the project."""
    root = Path.cwd().resolve()
    folder = root / DEFCONFIG_DIR
    if not (root / KCONFIG_FILE).is_file() or not folder.is_dir():
        return None
    return folder if Path(sweep_dir).resolve().is_relative_to(root) else None


def config_text_of(sweep_dir: Path, record: dict) -> str | None:
    """The configuration as generated: the sweep's snapshot, else the trial's config.txt
    (both are the config itself; a sweep's DEVICE= reaches trials on their command line)."""
    folder = SweepFolder(sweep_dir)
    snapshot = folder.snapshot / str(record.get("config_file"))
    if snapshot.is_file():
        return read_text(snapshot)
    trial = folder.trial_of(record)
    if trial is None or not trial.config.is_file():
        return None
    return read_text(trial.config)


def minimal_defconfig(config_text: str, kconfig: Path, header: str) -> str:
    """``config_text`` in savedefconfig form, through the Kconfig tree."""
    from ksweep.plan.kconfig import KconfigTree

    tree = KconfigTree(kconfig)
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "config"
        source.write_text(config_text, encoding="utf-8")
        tree.load(source)
    return tree.minimal_text(header)


def write_best_defconfig(
    sweep_dir: Path,
    analysis: Analysis,
    kconfig: Path | None = None,
    install_dir: Path | None = None,
) -> BestDefconfig | None:
    """Write the best configuration's defconfig; None when nothing completed, nothing was
    learned (every trial at chance) or there is no config to make it from."""
    best = analysis.winner
    if best is None:
        return None
    source = best.representative()
    text = config_text_of(sweep_dir, source)
    kconfig = kconfig or find_kconfig()
    if text is None or kconfig is None:
        return None
    name = defconfig_name(sweep_dir)
    split = {"validation": "the validation split", "test": "the test set"}.get(
        analysis.metric.split
    )
    header = (
        f"# Best configuration of {Path(sweep_dir).resolve().name} by mean "
        f"{analysis.metric.name} ({analysis.goal}): {best.name}, "
        f"{mean_text(analysis.metric, best.metric)}\n"
        + (f"# selected on {split}\n" if split else "")
        + f"# made from {source.get('config_file')} (seed {source.get('seed')})\n"
    )
    return write_defconfig(
        sweep_dir, name, minimal_defconfig(text, kconfig, header), install_dir, source
    )


def write_defconfig(
    sweep_dir: Path, name: str, minimal: str, install_dir: Path | None, source: dict
) -> BestDefconfig:
    """Write a defconfig made from a sweep into its defconfigs/ folder and, when asked, into
    ``install_dir`` (where ``make defconfig-NAME`` finds it)."""
    in_sweep = SweepFolder(sweep_dir).defconfigs / name
    in_sweep.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(in_sweep, minimal)
    installed = None
    if install_dir is not None:
        installed = install_dir / name
        write_text_atomic(installed, minimal)
    return BestDefconfig(name, in_sweep, installed, str(source.get("config_file")))
