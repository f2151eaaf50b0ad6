"""The ``ksweep`` command line; every Makefile recipe is one call of it.

Exit status: 0 success, 1 a sweep ran but some trial failed, 2 bad input
(nothing written), 130 interrupted. This module imports neither torch nor
kconfiglib at the top, so ``make help`` and friends start instantly.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from ksweep.diagnostics import InputErrors
from ksweep.launch.watch import HEARTBEAT_SECONDS

DEFAULT_KCONFIG = "Kconfig"
DEFAULT_CONFIG_DIR = "sweep_configs"
DEFAULT_OUTPUT_DIR = "test_matrix_results"
DEFCONFIG_DIR = "defconfigs"


def _tree(args: argparse.Namespace):
    from ksweep.kconfig import KconfigTree

    return KconfigTree(args.kconfig)


def _print_warnings(plan) -> None:
    for warning in plan.warnings:
        print(warning, file=sys.stderr)


def cmd_generate(args: argparse.Namespace) -> int:
    from ksweep.materialize import format_varying, materialize
    from ksweep.plan import build_plan

    plan = build_plan(args.range_config, _tree(args), args.base, args.force)
    _print_warnings(plan)
    materialize(plan, args.out)
    print(f"ksweep: {plan.count_line()} -> {args.out}/")
    for note in plan.notes:
        print(f"note: {note}")
    for skipped in plan.skipped:
        print(f"skipped: {format_varying(skipped.varying)}: {skipped.reason}")
    print(f"See {args.out}/combinations_summary.txt")
    return 0


def launch_options(args: argparse.Namespace):
    """The run flags as :class:`~ksweep.launch.runner.LaunchOptions`."""
    from ksweep.launch.runner import LaunchOptions

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
        verbose=not args.quiet,
        heartbeat=args.heartbeat,
    )


def cmd_run(args: argparse.Namespace) -> int:
    from ksweep.launch.runner import resume_sweep, run_sweep

    options = launch_options(args)
    if getattr(args, "resume", None):
        # An explicit --config-dir on resume is checked against the sweep's own copy.
        result = resume_sweep(args.resume, options, args.rerun_failed, args.config_dir)
    else:
        result = run_sweep(args.config_dir or DEFAULT_CONFIG_DIR, args.output_dir, options)
    return result.exit_code


def cmd_status(args: argparse.Namespace) -> int:
    from ksweep.launch.status import latest_sweep, status_text

    sweep = Path(args.sweep) if args.sweep else latest_sweep(Path(args.output_dir))
    if sweep is None:
        print(
            f"error: no sweep under {args.output_dir}/; start one with `make sweep`",
            file=sys.stderr,
        )
        return 2
    print(status_text(sweep), end="")
    return 0


def cmd_estimate(args: argparse.Namespace) -> int:
    from ksweep.launch.estimate import estimate_text
    from ksweep.plan import build_plan

    plan = build_plan(args.range_config, _tree(args), args.base, args.force)
    print(estimate_text(plan, Path(args.output_dir), args.jobs), end="")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    status = cmd_generate(args)
    if status:
        return status
    args.config_dir = args.out
    return cmd_run(args)


def _sweep_folder(given: str | None, output_dir: str) -> Path | None:
    """The sweep folder named, or the newest ``sweep_*`` under ``output_dir``."""
    from ksweep.analysis.report import newest_sweep

    if given:
        return Path(given)
    return newest_sweep(Path(output_dir))


def _missing_summary(sweep_dir: Path | None, output_dir: str) -> bool:
    from ksweep.analysis.report import SUMMARY_FILE

    if sweep_dir is None:
        print(
            f"error: no sweep_* folder under {output_dir}/; run `make sweep` first or name "
            "one with SWEEP=DIR",
            file=sys.stderr,
        )
        return True
    summary = sweep_dir / SUMMARY_FILE
    if not summary.is_file():
        print(
            f"error: {summary} does not exist; name a sweep folder such as "
            f"{DEFAULT_OUTPUT_DIR}/sweep_YYYYMMDD_HHMMSS",
            file=sys.stderr,
        )
        return True
    return False


def cmd_analyze(args: argparse.Namespace) -> int:
    """Rewrite every analysis output of a sweep: text, results.csv, report.md, plots/, ..."""
    from ksweep.analysis.report import ANALYSIS_FILE, REPORT_FILE, load_sweep, write_reports

    sweep_dir = _sweep_folder(args.sweep, args.output_dir)
    if _missing_summary(sweep_dir, args.output_dir):
        return 2
    assert sweep_dir is not None
    records, varying = load_sweep(sweep_dir)
    write_reports(sweep_dir, records, varying, args.metric, args.goal, final=True)
    print((sweep_dir / ANALYSIS_FILE).read_text(encoding="utf-8"), end="")
    print(f"\nReport: {sweep_dir / REPORT_FILE} (plots in {sweep_dir / 'plots'}/)")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """The same configurations of two sweeps side by side, with the change and its noise."""
    from ksweep.analysis.report import compare_sweeps

    for folder in (args.a, args.b):
        if _missing_summary(Path(folder), DEFAULT_OUTPUT_DIR):
            return 2
    print(compare_sweeps(Path(args.a), Path(args.b), args.metric, args.goal), end="")
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    target = Path(args.out)
    if target.exists():
        shutil.rmtree(target)
        print(f"ksweep: removed {target}/")
    return 0


def _defconfig_path(name: str) -> Path:
    path = Path(name) if "/" in name else Path(DEFCONFIG_DIR) / name
    if not path.is_file():
        available = ", ".join(list_defconfigs()) or "none"
        raise FileNotFoundError(f"{path} does not exist; available defconfigs: {available}")
    return path


def cmd_defconfig(args: argparse.Namespace) -> int:
    """Load a defconfig into .config, with the same checks a sweep gets (no silent drops)."""
    from ksweep.plan import build_plan
    from ksweep.store import write_text_atomic

    path = _defconfig_path(args.name)
    plan = build_plan(path, _tree(args))
    if plan.skipped:
        print(f"{path}: error: {plan.skipped[0].reason}", file=sys.stderr)
        return 2
    _print_warnings(plan)
    write_text_atomic(args.config, f"# loaded from {path}\n" + plan.configs[0].config_text)
    print(f"ksweep: {args.config} now holds {path}")
    return 0


def cmd_savedefconfig(args: argparse.Namespace) -> int:
    from ksweep.store import write_text_atomic

    tree = _tree(args)
    if not Path(args.config).is_file():
        print(
            f"error: {args.config} does not exist; create it with `make menuconfig` or "
            "`make defconfig-NAME`",
            file=sys.stderr,
        )
        return 2
    tree.load(args.config)
    target = Path(args.name) if "/" in args.name else Path(DEFCONFIG_DIR) / args.name
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target, tree.minimal_text())
    print(f"ksweep: wrote the minimal form of {args.config} to {target}")
    return 0


def cmd_olddefconfig(args: argparse.Namespace) -> int:
    from ksweep.store import write_text_atomic

    tree = _tree(args)
    tree.load(args.config if Path(args.config).is_file() else None)
    for warning in tree.load_warnings():
        print(f"{args.config}: warning: {warning}", file=sys.stderr)
    write_text_atomic(args.config, tree.config_text())
    print(f"ksweep: {args.config} updated with defaults for every new symbol")
    return 0


def list_defconfigs() -> list[str]:
    folder = Path(DEFCONFIG_DIR)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def cmd_list_defconfigs(_args: argparse.Namespace) -> int:
    for name in list_defconfigs():
        kind = "range config" if name.endswith("-range") else "defconfig"
        print(f"  {name:40s} {kind}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ksweep", description=__doc__.splitlines()[0])
    parser.add_argument("--kconfig", default=DEFAULT_KCONFIG, help="top Kconfig file")
    commands = parser.add_subparsers(dest="command", required=True)

    def generation_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("range_config", help="range config file (CONFIG_X=a|b or start:step:end)")
        sub.add_argument("--out", default=DEFAULT_CONFIG_DIR, help="folder for config_NNN files")
        sub.add_argument("--base", default=None, help="defconfig the sweep starts from")
        sub.add_argument("--force", action="store_true", help="allow more than 1,000 configs")

    def run_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--output-dir",
            default=DEFAULT_OUTPUT_DIR,
            help="parent folder of the sweep_YYYYMMDD_HHMMSS results folder",
        )
        sub.add_argument(
            "--device",
            choices=["auto", "cpu", "cuda"],
            default=None,
            help="override CONFIG_DEVICE for every trial",
        )
        sub.add_argument("--quiet", action="store_true", help="do not echo trial output")
        sub.add_argument("--jobs", type=int, default=None, help="trials at once (JOBS)")
        sub.add_argument("--gpus", default=None, help="GPU ids to use, e.g. 0,1 (GPUS)")
        sub.add_argument("--trials-per-gpu", type=int, default=None, help="TRIALS_PER_GPU")
        sub.add_argument(
            "--timeout",
            type=float,
            default=None,
            help="seconds before a trial is stopped (TRIAL_TIMEOUT)",
        )
        sub.add_argument("--retries", type=int, default=0, help="re-runs of a failed trial")
        sub.add_argument(
            "--heartbeat",
            type=float,
            default=HEARTBEAT_SECONDS,
            help="with JOBS>1, say each running trial's newest epoch at most every this many "
            "seconds (HEARTBEAT; 0: never)",
        )
        sub.add_argument("--fail-fast", action="store_true", help="stop at the first failure")
        sub.add_argument(
            "--backend",
            choices=["fork", "exec"],
            default=None,
            help="fork trials from a server with torch loaded, or exec fresh ones",
        )
        sub.add_argument(
            "--launcher",
            choices=["local", "ray"],
            default="local",
            help="run trials here, or as Ray tasks (RAY_ADDRESS)",
        )

    generate = commands.add_parser("generate", help="expand a range config into sweep_configs/")
    generation_options(generate)
    generate.set_defaults(func=cmd_generate)

    run = commands.add_parser("run", help="run every config of a config folder")
    run.add_argument("--config-dir", default=None)
    run.add_argument(
        "--resume",
        metavar="SWEEP_DIR",
        default=None,
        help="finish an interrupted sweep: run only what has no result",
    )
    run.add_argument(
        "--rerun-failed",
        action="store_true",
        help="with --resume: also run again the trials that failed",
    )
    run_options(run)
    run.set_defaults(func=cmd_run)

    status = commands.add_parser("status", help="progress of a running or finished sweep")
    status.add_argument("sweep", nargs="?", default=None, help="default: the newest sweep")
    status.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR)
    status.set_defaults(func=cmd_status)

    estimate = commands.add_parser("estimate", help="count and time a sweep before running it")
    generation_options(estimate)
    estimate.add_argument(
        "--output-dir", default=DEFAULT_OUTPUT_DIR, help="where earlier sweeps are, for timings"
    )
    estimate.add_argument("--jobs", type=int, default=None)
    estimate.set_defaults(func=cmd_estimate)

    sweep = commands.add_parser("sweep", help="generate, then run")
    generation_options(sweep)
    run_options(sweep)
    sweep.set_defaults(func=cmd_sweep)

    def metric_options(sub: argparse.ArgumentParser) -> None:
        from ksweep.schema import ENUM_SYMBOLS

        sub.add_argument(
            "--metric",
            choices=ENUM_SYMBOLS["SWEEP_METRIC"],
            default=None,
            help="rank by this metric (default: the trials' CONFIG_SWEEP_METRIC)",
        )
        sub.add_argument(
            "--goal",
            choices=ENUM_SYMBOLS["SWEEP_GOAL"],
            default=None,
            help="max or min (default: CONFIG_SWEEP_GOAL, else the metric's own)",
        )

    analyze = commands.add_parser(
        "analyze", help="rewrite a sweep's analysis, results.csv, report.md and plots"
    )
    analyze.add_argument(
        "sweep",
        nargs="?",
        default=None,
        help="a sweep results folder (default: the newest under --output-dir)",
    )
    analyze.add_argument(
        "--output-dir", default=DEFAULT_OUTPUT_DIR, help="where to look for the newest sweep"
    )
    metric_options(analyze)
    analyze.set_defaults(func=cmd_analyze)

    compare = commands.add_parser(
        "compare", help="compare two sweeps, configuration by configuration"
    )
    compare.add_argument("a", help="sweep folder A (the baseline)")
    compare.add_argument("b", help="sweep folder B (the change is B - A)")
    metric_options(compare)
    compare.set_defaults(func=cmd_compare)

    clean = commands.add_parser("clean", help="remove the generated config folder")
    clean.add_argument("--out", default=DEFAULT_CONFIG_DIR)
    clean.set_defaults(func=cmd_clean)

    for name, func, helptext in (
        ("defconfig", cmd_defconfig, "load defconfigs/NAME into .config"),
        ("savedefconfig", cmd_savedefconfig, "write .config's minimal form to defconfigs/NAME"),
    ):
        sub = commands.add_parser(name, help=helptext)
        sub.add_argument("name")
        sub.add_argument("--config", default=".config")
        sub.set_defaults(func=func)

    old = commands.add_parser("olddefconfig", help="fill .config with defaults for new symbols")
    old.add_argument("--config", default=".config")
    old.set_defaults(func=cmd_olddefconfig)

    listing = commands.add_parser("list-defconfigs", help="list defconfigs and range configs")
    listing.set_defaults(func=cmd_list_defconfigs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if (
        args.command not in ("list-defconfigs", "clean", "run", "status", "analyze", "compare")
        and not Path(args.kconfig).is_file()
    ):
        print(
            f"error: the Kconfig tree {args.kconfig} does not exist; run ksweep from the "
            "project root or pass --kconfig",
            file=sys.stderr,
        )
        return 2
    try:
        return args.func(args)
    except InputErrors as problems:
        for warning in problems.warnings:
            print(warning, file=sys.stderr)
        for error in problems.errors:
            print(error, file=sys.stderr)
        count = len(problems.errors)
        print(
            f"ksweep: {count} error{'s' if count != 1 else ''}; nothing was written",
            file=sys.stderr,
        )
        return 2
    except FileNotFoundError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    except Exception as problem:
        from ksweep.launch.runner import SweepError

        if isinstance(problem, SweepError):
            print(f"error: {problem}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    raise SystemExit(main())
