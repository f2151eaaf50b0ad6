"""The launchers by name (``LAUNCHER=``): one entry each, so the CLI's choices, ``make help``
and the runner all read the same list.

An entry says what the launcher is for (its help line), what the trials'
resources are (the GPUs and cores the slot planner divides) and how to build
it from its slots and the sweep's options. Each launcher's module is imported
only when that launcher is used: Ray is an optional extra, Slurm a cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LauncherEntry:
    help: str
    # (options) -> (GPU names, core count or None for this machine's) the slots are cut from
    resources: Callable[[Any], tuple[list[str], int | None]]
    build: Callable[[list, Any], Any]  # (slots, options) -> the launcher


def _local_resources(options) -> tuple[list[str], int | None]:
    from ksweep.launch.slots import visible_gpus

    return visible_gpus(options.gpus), None


def _local(slots, options):
    from ksweep.launch.local import LocalLauncher

    return LocalLauncher(slots, options.backend, pause_mode=options.pause_mode)


def _ray_resources(options) -> tuple[list[str], int | None]:
    from ksweep.launch.ray_launcher import RayLauncher

    return RayLauncher.cluster_gpus_and_cores()


def _ray(slots, options):
    from ksweep.launch.ray_launcher import RayLauncher

    return RayLauncher(slots, options.trials_per_gpu)


def _slurm_resources(options) -> tuple[list[str], int | None]:
    from ksweep.launch.slurm import slurm_resources

    return slurm_resources(options)


def _slurm(slots, options):
    from ksweep.launch.slurm import SlurmLauncher, SlurmSettings

    return SlurmLauncher(slots, SlurmSettings.of(options))


LAUNCHERS: dict[str, LauncherEntry] = {
    "local": LauncherEntry("trials as processes of this machine", _local_resources, _local),
    "ray": LauncherEntry(
        "Ray actors on a local instance or the cluster RAY_ADDRESS names", _ray_resources, _ray
    ),
    "slurm": LauncherEntry(
        "one sbatch job per running trial (SLURM_* options; results on the shared disk)",
        _slurm_resources,
        _slurm,
    ),
}
LAUNCHER_NAMES = tuple(LAUNCHERS)


def launcher_help() -> str:
    """One line for ``make help`` and ``--help``: every launcher's name."""
    return "|".join(LAUNCHER_NAMES) + " (ray: RAY_ADDRESS picks a cluster; slurm: SLURM_*)"
