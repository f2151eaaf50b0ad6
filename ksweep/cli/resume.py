"""Everything a resume checks before it runs anything, and what it keeps.

A sweep folder is resumed only when it can be trusted: its manifest reads,
its configs are the ones it started with (their hashes), an explicit config
folder holds the same configs, and the Kconfig tree either is unchanged or
still resolves every remaining config identically. What it keeps are the
final records (from the trials' own files when the summary is damaged);
with ``rerun_failed`` the failed ones are run again, their folders kept
under ``attempts/``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ksweep.launch.options import LaunchOptions, SweepError
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.locks import run_lock_holder
from ksweep.sweep.manifest import close_abandoned, read_manifest
from ksweep.sweep.records import read_summary
from ksweep.sweep.snapshot import changed_configs, retire
from ksweep.sweep.states import TrialState
from ksweep.sweep.trials import TrialSpec, load_trials


@dataclass
class PreparedResume:
    manifest: dict[str, Any]
    trials: list[TrialSpec]
    kept: list[dict[str, Any]]
    varying: list[str]
    options: LaunchOptions


def _checked_manifest(folder: SweepFolder) -> dict[str, Any]:
    loaded = read_manifest(folder.manifest)
    if not folder.snapshot.is_dir() or loaded.missing:
        raise SweepError(
            f"{folder.path} is not a resumable sweep folder (it has no manifest.json and "
            "configs/); name a folder made by `make sweep`"
        )
    if loaded.data is None:
        raise SweepError(
            f"{loaded.problem}: without it the sweep's configs cannot be verified, so it is not "
            f"resumed. The finished trials are intact (make sweep-analyze SWEEP={folder.path} "
            "still works); start a new sweep for the rest, or restore the file"
        )
    return loaded.data


def _check_configs(folder: SweepFolder, manifest: dict, config_dir: str | None) -> list[TrialSpec]:
    snapshot = load_trials(folder.snapshot)
    for note in snapshot.notes:
        print(f"note: {note}", file=sys.stderr)
    hashes = manifest.get("config_sha256") or {}
    changed = changed_configs(snapshot.trials, hashes)
    if changed:
        raise SweepError(
            f"the configs in {folder.snapshot} changed since the sweep started "
            f"({', '.join(changed)}); start a new sweep instead"
        )
    if config_dir is not None:
        changed = changed_configs(load_trials(config_dir).trials, hashes)
        if changed:
            raise SweepError(
                f"{config_dir} no longer holds the configs this sweep ran (changed: "
                f"{', '.join(changed[:5])}{' ...' if len(changed) > 5 else ''}); resuming "
                "would mix two sweeps. Resume without --config-dir to finish the original, or "
                "start a new sweep"
            )
    return snapshot.trials


def _check_study(folder: SweepFolder, trials: list[TrialSpec], objectives_of) -> None:
    """A model-based search continues from its study: refuse a damaged one, or one started
    for other objectives (``objectives_of(trials)``: this run's), before any write."""
    from ksweep.sweepers.factory import is_model_search, probe_trials

    plan = load_trials(folder.snapshot).plan
    if not is_model_search(plan):
        return
    from ksweep.sweepers.study import objectives_mismatch, study_damage

    problem = study_damage(folder.study, {t.config_name for t in trials})
    if not problem and objectives_of is not None:
        wanted = objectives_of(trials or probe_trials(plan))
        problem = objectives_mismatch(folder.study, wanted.goals, wanted.text())
    if problem:
        raise SweepError(problem)


def _check_tree(manifest: dict, remaining: list[TrialSpec], tree, options: LaunchOptions) -> None:
    if tree is None or not manifest.get("kconfig_sha256") or not remaining:
        return
    if tree.digest() == manifest["kconfig_sha256"]:
        return
    from ksweep.plan.revalidate import listed, revalidate

    project = Path(manifest.get("workdir") or Path.cwd())
    problems = revalidate(remaining, tree, options.allow_download, project)
    if problems:
        raise SweepError(
            "the Kconfig tree changed since this sweep started, and its remaining "
            f"configurations no longer hold: {listed(problems)}. Start a new sweep from the "
            "range config"
        )
    print(
        f"note: the Kconfig tree changed since this sweep started; the {len(remaining)} "
        "remaining configurations still resolve identically and pass pre-flight",
        file=sys.stderr,
    )


def prepare_resume(
    folder: SweepFolder,
    options: LaunchOptions,
    rerun_failed: bool,
    config_dir: str | None,
    tree,
    objectives_of=None,
) -> PreparedResume:
    """Check the folder and decide what to keep; raise SweepError saying why it cannot.
    ``objectives_of``: trials -> this run's objectives, checked against a search's study."""
    manifest = _checked_manifest(folder)
    if not run_lock_holder(folder.path):
        manifest, closed = close_abandoned(manifest, folder.path)
        if closed:
            print(
                "note: the sweep's last run was killed without closing its record; it is "
                "recorded as killed, its time counted up to its last write",
                file=sys.stderr,
            )
    trials = _check_configs(folder, manifest, config_dir)
    _check_study(folder, trials, objectives_of)
    summary = read_summary(folder)
    for note in summary.notes:
        print(f"note: {note}", file=sys.stderr)
    kept = []
    for record in summary.records:
        state = TrialState.of(record.get("status"))
        if state is not None and state.final and not (rerun_failed and state.failure):
            kept.append(record)
    done = {r["config_file"] for r in kept}
    remaining = [t for t in trials if t.config_name not in done]
    if options.device is None and manifest.get("device_override"):
        options = replace(options, device=manifest["device_override"])
    _check_tree(manifest, remaining, tree, options)
    for record in summary.records:
        if record not in kept:
            retire(folder.trial(record["test_name"]), "failed")
    plan = load_trials(folder.snapshot).plan or {}
    varying = plan.get("varying_symbols") or sorted({n for t in trials for n in t.varying})
    return PreparedResume(manifest, trials, kept, list(varying), options)
