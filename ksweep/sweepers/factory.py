"""Which sweeper runs a sweep: read from its plan's ``search`` record, for new and resumed sweeps.

A grid, a random or a Sobol sweep is a fixed list of configs (all generated
up front), run by :class:`~ksweep.sweepers.fixed.FixedSweeper`; a model-based
search (``"model": true`` in the record) by
:class:`~ksweep.sweepers.optuna_search.OptunaSweeper`, which rebuilds its
space from the plan and its study from the sweep folder's journal.

:func:`repair_search_folder` runs before a resume checks a model-based
sweep's configs. A proposal writes its configs into the snapshot (and the
snapshot's plan listing) *before* it records their hashes in the manifest,
so a kill in between leaves configs that no trial ever started and the
manifest does not vouch for. They are removed (the study asks for that point
again), so that the resume's hash check sees exactly what the sweep recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ksweep.objectives import Objectives
from ksweep.sweep.atomic import write_json_atomic
from ksweep.sweep.layout import CONFIG_NAME, SweepFolder
from ksweep.sweep.manifest import read_manifest
from ksweep.sweep.records import read_summary
from ksweep.sweep.tolerant import load_json
from ksweep.sweep.trials import TrialSpec
from ksweep.sweepers.base import Sweeper
from ksweep.sweepers.fixed import FixedSweeper


def is_model_search(plan: dict | None) -> bool:
    return bool(((plan or {}).get("search") or {}).get("model"))


def sweep_kind(plan: dict | None) -> str:
    """How a sweep's configurations were chosen: grid, folder (configs made by hand), a
    sampling method (random, sobol) or a model-based one (tpe)."""
    search = (plan or {}).get("search") or {}
    return str(search.get("method") or ("grid" if plan else "folder"))


def is_grid(plan: dict | None) -> bool:
    """Whether the configurations are listed in value order (a grid, or a folder)."""
    return sweep_kind(plan) in ("grid", "folder")


def sweeper_factory(
    plan: dict | None,
    trials: Sequence[TrialSpec],
    tree_path: str,
    options=None,
    order: Callable[[Sequence[TrialSpec]], list[TrialSpec]] | None = None,
    ranking: tuple[str, str] | None = None,
    objectives: Objectives | None = None,
):
    """A ``SweeperFactory`` (sweep folder, names done -> sweeper) for a sweep of ``plan``.

    ``ranking``: the sweep's (metric, goal), resolved once by the caller, which a
    model-based search optimises (default: the configs' own); ``objectives``: the
    sweep's :class:`~ksweep.objectives.Objectives`, when resolved (several: a
    multi-objective search, with its constraints).
    ``options``: the :class:`~ksweep.plan.build.GenerateOptions` a search's proposals are
    checked with (downloads allowed, data roots). ``order``: the order a fixed list is
    started in (an early-stopping rule's launch order); name order without one."""
    search = (plan or {}).get("search") or {}
    if not search.get("model"):
        kind = sweep_kind(plan)
        listed = order(trials) if order is not None else list(trials)
        return lambda _folder, done: FixedSweeper(listed, done, kind=kind)

    def make(folder: SweepFolder, done: set[str]) -> Sweeper:
        from ksweep.analysis.report import configured_metric
        from ksweep.plan.kconfig import KconfigTree
        from ksweep.plan.proposal import SearchSpace
        from ksweep.sweepers.optuna_search import OptunaSweeper

        listing = load_json(folder.plan, dict).data or plan or {}
        space = SearchSpace.from_plan(listing, KconfigTree(tree_path), options)
        kept = [r for r in read_summary(folder).records if r.get("config_file") in done]
        probes = probe_trials(listing)
        objective = ranking or configured_metric(probes[0].values if probes else {})
        return OptunaSweeper(folder, space, objective, done, kept, objectives)

    return make


def probe_trials(plan: dict | None) -> list[TrialSpec]:
    """Stand-ins for the configs a model-based search will propose, before it has proposed
    any: what slots they need (their CONFIG_DEVICE) and how they are ranked."""
    search = (plan or {}).get("search") or {}
    if not search.get("model"):
        return []
    texts = search.get("probe_configs") or []
    return [TrialSpec(f"probe_{i}", text) for i, text in enumerate(texts, start=1)]


def repair_search_folder(folder: SweepFolder) -> list[str]:
    """Remove the configs a model-based search wrote but never recorded; return their names."""
    manifest = read_manifest(folder.manifest).data
    if manifest is None or not (manifest.get("search") or {}).get("model"):
        return []
    recorded = set(manifest.get("config_sha256") or {})
    removed = []
    if folder.snapshot.is_dir():
        for path in sorted(folder.snapshot.iterdir()):
            if CONFIG_NAME.match(path.name) and path.name not in recorded:
                Path(path).unlink()
                removed.append(path.name)
    listing = load_json(folder.plan, dict).data
    if listing is not None:
        configs = listing.get("configs") or []
        kept = [c for c in configs if c.get("name") in recorded]
        if len(kept) != len(configs):
            write_json_atomic(folder.plan, {**listing, "configs": kept})
            removed.extend(
                c.get("name") for c in configs if c not in kept and c.get("name") not in removed
            )
    return removed
