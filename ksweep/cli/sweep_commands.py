"""The sweep commands: generate, sweep, run, resume, status, estimate.

This is where the parts are wired together: a plan becomes a sweeper, the
launch options a launcher, and the observers (summary, progress, heartbeat,
analysis) are attached here, so the run loop depends on none of them.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from functools import partial
from pathlib import Path

from ksweep.cli.parser import stop_flags
from ksweep.cli.sweep_settings import launch_options, objective, with_trial_command
from ksweep.launch.options import SweepError
from ksweep.objectives import Objectives
from ksweep.sweep.layout import SweepFolder, newest_sweep
from ksweep.sweep.trials import TrialSpec


def _say(args: argparse.Namespace):
    return (lambda *_: None) if getattr(args, "quiet", False) else print


def _tree(args: argparse.Namespace):
    from ksweep.plan.kconfig import KconfigTree

    return KconfigTree(args.kconfig)


def generate_options(args: argparse.Namespace):
    from ksweep.plan.build import GenerateOptions
    from ksweep.plan.sampling import SearchOptions

    return GenerateOptions(
        allow_download=getattr(args, "allow_download", False),
        own_trainer=not getattr(args, "train_command", None),
        data_roots=tuple(Path(p) for p in getattr(args, "data_root", []) or []),
        search=SearchOptions(
            getattr(args, "search", None),
            getattr(args, "samples", None),
            getattr(args, "search_seed", None) or 0,
        ),
    )


def build(args: argparse.Namespace):
    """The checked plan of ``args.range_config``; warnings are printed, errors raised."""
    from ksweep.plan.build import build_plan, runs_own_trainer

    tree = _tree(args)
    options = generate_options(args)
    # A plan needs no dataset: missing files are a warning now and an error when a run starts.
    plan = build_plan(
        args.range_config, tree, args.base, args.force, replace(options, allow_download=True)
    )
    plan = replace(plan, kconfig_sha256=tree.digest())
    for warning in plan.warnings:
        print(warning, file=sys.stderr)
    own = runs_own_trainer([c.config_text for c in plan.configs], options.own_trainer)
    if own and not options.allow_download:
        from ksweep.plan.before_run import data_warnings
        from ksweep.plan.preflight import Checked

        checked = [Checked(c.name, c.config_text) for c in plan.configs]
        for warning in data_warnings(checked, Path.cwd(), options.data_roots):
            print(warning, file=sys.stderr)
    return plan


def _generate(args: argparse.Namespace):
    """Build the plan, write it into ``args.out`` and say what generation did."""
    from ksweep.plan.materialize import format_varying, materialize

    plan = build(args)
    materialize(plan, args.out)
    print(f"ksweep: {plan.count_line()} -> {args.out}/")
    for note in plan.notes:
        print(f"note: {note}")
    for skipped in plan.skipped:
        print(f"skipped: {format_varying(skipped.varying)}: {skipped.reason}")
    return plan


def cmd_generate(args: argparse.Namespace) -> int:
    _generate(args)
    print(f"See {args.out}/combinations_summary.txt")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    """Generate, then run exactly what was generated (from memory, not from the folder)."""
    from ksweep.launch.runner import SweepSpec
    from ksweep.plan.materialize import config_file_text, plan_record
    from ksweep.sweepers.factory import probe_trials

    plan = _generate(args)
    trials = [
        TrialSpec(c.name, config_file_text(plan, c, i), c.varying)
        for i, c in enumerate(plan.configs, start=1)
    ]
    record = plan_record(plan)
    spec = SweepSpec(trials, record, str(args.out), _tree(args).digest(), probe_trials(record))
    return _start(args, spec)


def cmd_run(args: argparse.Namespace) -> int:
    if args.resume is not None:
        return cmd_resume(args)
    from ksweep.launch.runner import SweepSpec
    from ksweep.sweep.locks import folder_lock
    from ksweep.sweep.trials import load_trials

    config_dir = Path(args.config_dir or "sweep_configs")
    if not config_dir.is_dir():
        raise SweepError(
            f"{config_dir} does not exist; generate it first with "
            "`make sweep-generate RANGE_CONFIG=<range file>`"
        )
    from ksweep.sweepers.factory import probe_trials

    with folder_lock(config_dir):
        folder = load_trials(config_dir)
    probes = probe_trials(folder.plan)  # a model-based search has no config before it runs
    if not folder.trials and not probes:
        raise SweepError(
            f"{config_dir} holds no config_* files; generate them with "
            "`make sweep-generate RANGE_CONFIG=<range file>`"
        )
    for note in folder.notes:
        print(f"note: {note}", file=sys.stderr)
    digest = _tree(args).digest() if Path(args.kconfig).is_file() else None
    return _start(args, SweepSpec(folder.trials, folder.plan, str(config_dir), digest, probes))


def _start(args: argparse.Namespace, spec) -> int:
    from ksweep.launch.runner import start_sweep
    from ksweep.sweepers.factory import is_grid, is_model_search, sweeper_factory

    varying = (spec.plan or {}).get("varying_symbols") or sorted(
        {name for t in spec.trials for name in t.varying}
    )
    from ksweep.plan.before_run import check_before_run

    known = spec.trials or spec.probes
    options = with_trial_command(launch_options(args), known)
    if not options.train_command:  # pre-flight is ksweep's trainer's own checks
        tree = _tree(args) if Path(args.kconfig).is_file() else None
        checked = check_before_run(spec.trials, spec.plan, tree, args.allow_download, Path.cwd())
        for note in checked:
            print(f"note: {note}", file=sys.stderr)
    objectives = objective(args, known)
    observers, refresher = _observers(args, known, varying, objectives)
    rule = stop_rule(
        args,
        known,
        is_grid(spec.plan),
        ranking=objectives.ranking,
        listed=not is_model_search(spec.plan),
        objectives=objectives,
    )
    order = rule.launch_order if rule is not None else None
    factory = sweeper_factory(
        spec.plan,
        spec.trials,
        args.kconfig,
        generate_options(args),
        order,
        objectives.ranking,
        objectives=objectives,
    )
    result = start_sweep(
        spec,
        factory,
        args.output_dir,
        options,
        observers,
        stop_rule=rule,
        output=_echo(args),
    )
    return _closing(args, result, refresher, varying)


def cmd_resume(args: argparse.Namespace) -> int:
    from ksweep.cli.kept_settings import kept_launch, rule_note
    from ksweep.cli.resume import prepare_resume
    from ksweep.launch.runner import resume_sweep
    from ksweep.sweep.tolerant import load_json
    from ksweep.sweepers.factory import (
        is_grid,
        is_model_search,
        probe_trials,
        repair_search_folder,
        sweeper_factory,
    )

    folder = _named_or_newest(args.resume, args.output_dir, "resume")
    options = launch_options(args)
    tree = _tree(args) if Path(args.kconfig).is_file() else None
    repair_search_folder(folder)  # configs a killed search wrote but never recorded
    asked = partial(objective, args)  # this run's objectives, checked against a search's study
    prepared = prepare_resume(folder, options, args.rerun_failed, args.config_dir, tree, asked)
    plan = load_json(folder.plan, dict).data
    trials = prepared.trials or probe_trials(plan)
    objectives = objective(args, trials)
    observers, refresher = _observers(args, trials, prepared.varying, objectives)
    last = _last_launch(prepared.manifest)
    recorded = last.get("early_stop") or {}
    options, kept_notes = kept_launch(prepared.options, last)
    changed_rule = rule_note(stop_flags(args), recorded)
    for note in [*kept_notes, *([changed_rule] if changed_rule else [])]:
        print(f"note: {note}", file=sys.stderr)
    if not options.early_stop and recorded:  # this run decides as the earlier ones did
        options = replace(options, early_stop=tuple(recorded.items()))
    if not options.train_command and last.get("train_command"):  # the same command trains
        options = replace(options, train_command=tuple(last["train_command"]))
    options = with_trial_command(options, trials)
    rule = stop_rule(
        args,
        trials,
        is_grid(plan),
        recorded,
        objectives.ranking,
        not is_model_search(plan),
        objectives,
    )
    order = rule.launch_order if rule is not None else None
    factory = sweeper_factory(
        plan,
        prepared.trials,
        args.kconfig,
        generate_options(args),
        order,
        objectives.ranking,
        objectives=objectives,
    )
    result = resume_sweep(
        folder,
        prepared.manifest,
        trials,
        prepared.kept,
        factory,
        options,
        observers,
        stop_rule=rule,
        output=_echo(args),
    )
    return _closing(args, result, refresher, prepared.varying)


def stop_rule(
    args: argparse.Namespace,
    trials: list[TrialSpec],
    grid: bool,
    recorded: dict | None = None,
    ranking: tuple[str, str] | None = None,
    listed: bool = True,
    objectives: Objectives | None = None,
):
    """The early-stopping rule of this sweep (None: every trial runs to its end): the trials'
    CONFIG_SWEEP_EARLY_STOP..., overridden by this command line's EARLY_STOP=..., or, on a
    resume given none, by what the sweep's last run was given (the same rule must decide).
    ``grid``: the configurations are listed in value order (judged in spread order);
    ``listed``: all are known up front (not a model-based search).
    ``objectives``: the whole of what the sweep optimises (``ranking`` is its primary)."""
    from ksweep.sweepers.early_stop import early_stopper

    if not trials:
        return None
    overrides = stop_flags(args) or dict(recorded or {})
    objectives = objectives or objective(args, trials)
    metric, goal = ranking or objectives.ranking
    try:
        return early_stopper(
            trials[0].values, overrides, metric, goal, grid, listed, objectives=objectives
        )
    except ValueError as problem:
        raise SweepError(f"EARLY_STOP: {problem}") from None


def _last_launch(manifest: dict) -> dict:
    segments = manifest.get("segments") or [{}]
    launch = segments[-1].get("launch") if isinstance(segments[-1], dict) else None
    return launch if isinstance(launch, dict) else {}


def _named_or_newest(given: str | None, output_dir: str, verb: str) -> SweepFolder:
    if given:
        return SweepFolder(Path(given))
    newest = newest_sweep(Path(output_dir))
    if newest is None:
        raise SweepError(
            f"no sweep to {verb} under {output_dir}/ (a folder without a manifest does not "
            f"count); name one: make sweep-{verb} SWEEP=DIR"
        )
    return SweepFolder(newest)


def _observers(
    args: argparse.Namespace,
    trials: list[TrialSpec],
    varying: list[str],
    objectives: Objectives,
):
    from ksweep.monitor.heartbeat import Heartbeat
    from ksweep.monitor.observers import (
        AnalysisRefresher,
        DecisionLog,
        ProgressPrinter,
        SummaryWriter,
    )

    say = _say(args)
    refresher = AnalysisRefresher(
        varying, say, args.metric, args.goal, args.objectives, args.constraints
    )
    ranking = objectives.ranking
    observers = [SummaryWriter(), DecisionLog()]
    if live_terminal(args):
        from ksweep.monitor.live import LiveDisplay

        observers.append(LiveDisplay(varying, ranking))
    elif not args.quiet:
        observers.append(ProgressPrinter(say, ranking))
        if args.heartbeat > 0:
            observers.append(Heartbeat(say, args.heartbeat))
    observers.append(refresher)
    return observers, refresher


def live_terminal(args: argparse.Namespace) -> bool:
    """The live block redrawn in place: stdout is a terminal and V=1 did not ask for plain
    appended lines (each trial's output echoed as it prints)."""
    verbose = os.environ.get("V", "").strip() == "1"
    return not args.quiet and not verbose and sys.stdout.isatty()


def _echo(args: argparse.Namespace):
    if args.quiet or live_terminal(args):  # the live block shows each trial's epoch
        return None
    return lambda _trial, line: print(f"    {line}")


def _closing(args: argparse.Namespace, result, refresher, varying: list[str]) -> int:
    from ksweep.analysis.report import best_line, write_reports

    say = _say(args)
    for warning in result.warnings:
        say(f"ksweep: warning: {warning}")
    analysis = refresher.last or write_reports(
        result.folder.path,
        result.records,
        varying,
        args.metric,
        args.goal,
        objectives=args.objectives,
        constraints=args.constraints,
    )
    folder = result.folder
    say("")
    say(f"Results: {folder.path}")
    say(f"  summary:  {folder.summary}")
    say(f"  analysis: {folder.analysis}")
    say(best_line(analysis))
    total = result.total if result.total is not None else len(result.records)
    if result.failed:
        say(f"{result.failed} of {total} trials failed; see the analysis file.")
    if result.diverged:
        say(f"{result.diverged} of {total} trials diverged (a result, not a failure).")
    if result.state == "stopped":
        say("FAIL_FAST: the sweep stopped at the first failure.")
    if result.state == "failed":
        print(f"error: {result.reason}", file=sys.stderr)
    if result.unfinished:
        say(f"{result.unfinished} of {total} trials did not run. Resume with:")
        say(f"  make sweep-resume SWEEP={folder.path}")
    return result.exit_code


def cmd_status(args: argparse.Namespace) -> int:
    from ksweep.monitor.status import status_text

    folder = _named_or_newest(args.sweep, args.output_dir, "status")
    known = folder.manifest.exists() or folder.summary.exists() or any(folder.trial_folders())
    if not known:
        raise SweepError(f"{folder.path} is not a sweep folder; name one made by make sweep")
    print(status_text(folder), end="")
    return 0


def cmd_estimate(args: argparse.Namespace) -> int:
    from ksweep.monitor.estimate import estimate_text

    plan = build(args)
    print(estimate_text(plan, Path(args.output_dir), args.jobs), end="")
    return 0
