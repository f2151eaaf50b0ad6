"""What a sweep is run with, read from the command line once: the launch options, the
trial command and the objectives (what everything ranks by)."""

from __future__ import annotations

import argparse
import shlex
from dataclasses import replace

from ksweep.cli.parser import slurm_flags, stop_flags
from ksweep.launch.options import LaunchOptions, SweepError
from ksweep.objectives import Objectives
from ksweep.sweep.trials import TrialSpec


def launch_options(args: argparse.Namespace) -> LaunchOptions:
    """The run flags as :class:`~ksweep.launch.options.LaunchOptions`."""
    gpus = tuple(g.strip() for g in args.gpus.split(",") if g.strip()) if args.gpus else None
    return LaunchOptions(
        device=args.device or None,
        jobs=args.jobs,
        gpus=gpus,
        trials_per_gpu=args.trials_per_gpu,
        timeout=args.timeout,
        retries=args.retries,
        fail_fast=args.fail_fast,
        backend=args.backend,
        launcher=args.launcher,
        allow_download=args.allow_download,
        early_stop=tuple(stop_flags(args).items()),
        slurm=tuple(slurm_flags(args).items()),
        train_command=tuple(shlex.split(args.train_command)) if args.train_command else (),
        keep_checkpoints=args.keep_checkpoints,
        checkpoint_seconds=args.checkpoint_seconds,
        pause_mode=args.pause_mode,
    )


def with_trial_command(options: LaunchOptions, trials: list[TrialSpec]) -> LaunchOptions:
    """TRAIN_COMMAND=, else the configs' CONFIG_SWEEP_TRAIN_COMMAND, else ksweep's trainer."""
    if options.train_command or not trials:
        return options
    text = trials[0].values.get("SWEEP_TRAIN_COMMAND", "")
    try:
        command = tuple(shlex.split(text))
    except ValueError as problem:
        raise SweepError(
            f"CONFIG_SWEEP_TRAIN_COMMAND={text!r} cannot be split: {problem}"
        ) from None
    return replace(options, train_command=command)


def objective(args: argparse.Namespace, trials: list[TrialSpec]) -> Objectives:
    """What this sweep optimises, resolved once: OBJECTIVES= on the command line, else the
    configs' CONFIG_SWEEP_OBJECTIVES (unless METRIC= is given), else METRIC=/GOAL= or the
    configs' CONFIG_SWEEP_METRIC/GOAL (auto by default); CONSTRAINTS=, else the configs'
    CONFIG_SWEEP_CONSTRAINTS. The progress lines, the early-stopping rule, a model-based
    search and the analysis all rank by it (``.ranking`` where one metric is needed)."""
    from ksweep.analysis.choice import configured_objectives

    config = trials[0].values if trials else {}
    asked = (getattr(args, "objectives", None), getattr(args, "constraints", None))
    try:
        return configured_objectives(config, args.metric, args.goal, *asked)
    except ValueError as problem:
        raise SweepError(str(problem)) from None
