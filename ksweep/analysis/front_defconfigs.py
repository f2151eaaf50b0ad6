"""One defconfig per configuration on the Pareto front, on request (``FRONT_DEFCONFIGS=1``).

A trade-off study has no single best configuration to install; the next step
is usually "train this point of the front properly". Each front point's
defconfig is made as the single best one is (:mod:`ksweep.analysis.best`: its
lowest completed seed, reduced to what differs from the Kconfig defaults) and
named ``<sweep>-front-<configuration>``: in the sweep folder's ``defconfigs/``
always, and in the project's ``defconfigs/`` for a sweep inside the project,
where ``make defconfig-<sweep>-front-config_004`` loads it. Defconfigs of an
earlier analysis whose configuration left the front are removed, so the
folder lists the current front only.
"""

from __future__ import annotations

from pathlib import Path

from ksweep.analysis.best import (
    BestDefconfig,
    config_text_of,
    find_kconfig,
    minimal_defconfig,
    write_defconfig,
)
from ksweep.analysis.core import Analysis
from ksweep.analysis.pareto import Point
from ksweep.analysis.pareto_text import value_text
from ksweep.sweep.layout import SweepFolder

FRONT_TAG = "-front-"


def front_defconfig_name(sweep_dir: Path, configuration: str) -> str:
    return f"{Path(sweep_dir).resolve().name}{FRONT_TAG}{configuration}"


def write_front_defconfigs(
    sweep_dir: Path,
    analysis: Analysis,
    kconfig: Path | None = None,
    install_dir: Path | None = None,
) -> list[BestDefconfig]:
    """Write a defconfig for every configuration on the front; [] without a front."""
    front = analysis.front
    kconfig = kconfig or find_kconfig()
    if front is None or kconfig is None:
        return []
    written = []
    for point in front.front:
        source = point.group.representative()
        text = config_text_of(sweep_dir, source)
        if text is None:
            continue
        name = front_defconfig_name(sweep_dir, point.group.name)
        minimal = minimal_defconfig(text, kconfig, _header(sweep_dir, analysis, point, source))
        written.append(write_defconfig(sweep_dir, name, minimal, install_dir, source))
    kept = {d.name for d in written}
    for folder in (SweepFolder(sweep_dir).defconfigs, install_dir):
        _remove_stale(folder, sweep_dir, kept)
    return written


def _header(sweep_dir: Path, analysis: Analysis, point: Point, source: dict) -> str:
    front = analysis.front
    assert front is not None
    values = ", ".join(
        f"{metric.name} {value_text(metric, summary)}"
        for metric, summary in zip(front.specs, point.summaries, strict=True)
    )
    bounds = ", ".join(c.text() for c in front.objectives.constraints)
    return (
        f"# On the Pareto front of {Path(sweep_dir).resolve().name} "
        f"({front.objectives.text()}{'; ' + bounds if bounds else ''}): {point.group.name}\n"
        f"# seed means [95% intervals]: {values}\n"
        f"# made from {source.get('config_file')} (seed {source.get('seed')})\n"
    )


def _remove_stale(folder: Path | None, sweep_dir: Path, kept: set[str]) -> None:
    """Front defconfigs of this sweep from an earlier analysis that this one did not write."""
    if folder is None or not folder.is_dir():
        return
    prefix = f"{Path(sweep_dir).resolve().name}{FRONT_TAG}"
    for path in folder.glob(f"{prefix}*"):
        if path.name not in kept:
            path.unlink()
