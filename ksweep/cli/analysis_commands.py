"""The commands that read finished sweeps: analyze, compare; and clean."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from ksweep.launch.options import SweepError
from ksweep.sweep.layout import SweepFolder, newest_sweep


def _analysed_folder(given: str | None, output_dir: str) -> SweepFolder:
    if given:
        folder = SweepFolder(Path(given))
    else:
        newest = newest_sweep(Path(output_dir))
        if newest is None:
            raise SweepError(
                f"no sweep_* folder under {output_dir}/; run `make sweep` first or name "
                "one with SWEEP=DIR"
            )
        folder = SweepFolder(newest)
    if not folder.summary.is_file() and not any(folder.trial_folders()):
        raise SweepError(
            f"{folder.summary} does not exist; name a sweep folder such as "
            "test_matrix_results/sweep_YYYYMMDD_HHMMSS"
        )
    return folder


def _write_back_summary(folder: SweepFolder, records: list[dict]) -> str:
    """Put the rebuilt summary on disk, so the guide's pandas snippet reads what was analysed;
    not while a runner works in the folder (it rewrites the summary after every trial)."""
    from ksweep.sweep.locks import run_lock_holder
    from ksweep.sweep.records import write_summary

    if run_lock_holder(folder.path):
        return f"{folder.summary} was not rewritten: a runner is at work in the folder"
    try:
        write_summary(folder, records)
    except OSError as problem:
        return f"{folder.summary} was not rewritten ({problem.strerror}); it is still damaged"
    return f"wrote the rebuilt {folder.summary} ({len(records)} records)"


def _close_killed_run(folder: SweepFolder) -> None:
    """A run killed by SIGKILL left its segment ``running``; with no runner at work, record it
    as killed with its time, so the analysis counts it (a read-only folder keeps it as is)."""
    from ksweep.sweep.locks import run_lock_holder
    from ksweep.sweep.manifest import close_abandoned, read_manifest, write_manifest

    manifest = read_manifest(folder.manifest).data
    if manifest is None or run_lock_holder(folder.path):
        return
    closed, changed = close_abandoned(manifest, folder.path)
    if changed:
        try:
            write_manifest(folder.manifest, closed)
        except OSError:
            return
        print(
            f"note: {folder.manifest}: a killed run's segment was closed as killed", file=sys.stderr
        )


def cmd_analyze(args: argparse.Namespace) -> int:
    """Rewrite every analysis output of a sweep: text, results.csv, report.md, plots/, ..."""
    from ksweep.analysis.report import load_sweep, write_reports

    folder = _analysed_folder(args.sweep, args.output_dir)
    records, varying, notes = load_sweep(folder.path)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if notes and records:
        print(f"note: {_write_back_summary(folder, records)}", file=sys.stderr)
    _close_killed_run(folder)
    asked = {"objectives": args.objectives, "constraints": args.constraints}
    write_reports(folder.path, records, varying, args.metric, args.goal, final=True, **asked)
    print(folder.analysis.read_text(encoding="utf-8"), end="")
    print(f"\nReport: {folder.report} (plots in {folder.plots}/)")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """The same configurations of two sweeps side by side, with the change and its noise."""
    from ksweep.analysis.report import compare_sweeps

    a, b = (_analysed_folder(name, ".") for name in (args.a, args.b))
    print(compare_sweeps(a.path, b.path, args.metric, args.goal), end="")
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    target = Path(args.out)
    if target.exists():
        shutil.rmtree(target)
        print(f"ksweep: removed {target}/")
    return 0
