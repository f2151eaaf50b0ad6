"""The ``ksweep`` command line: every command, its options and their defaults."""

from __future__ import annotations

import argparse
import math

from ksweep.launch.registry import LAUNCHER_NAMES, launcher_help
from ksweep.monitor.heartbeat import HEARTBEAT_SECONDS
from ksweep.plan.sampling import METHODS
from ksweep.project import DEFAULT_CONFIG_DIR, DEFAULT_OUTPUT_DIR, KCONFIG_FILE
from ksweep.protocol import DEFAULT_CHECKPOINT_SECONDS, PAUSE_EXIT, PAUSE_MODES
from ksweep.sweepers.stopping import RULES

NEWEST = ""  # --resume without a folder: the newest sweep under --output-dir


def finite(text: str) -> float:
    """A float option that must be a number: float() also takes nan and inf, which would
    mean no timeout (nan compares false) or a wait without end."""
    value = float(text)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number of 0 or more")
    return value


def _generation(sub: argparse.ArgumentParser, downloads: bool = True) -> None:
    sub.add_argument("range_config", help="range config file (CONFIG_X=a|b or start:step:end)")
    sub.add_argument("--out", default=DEFAULT_CONFIG_DIR, help="folder for config_NNN files")
    sub.add_argument("--base", default=None, help="defconfig the sweep starts from")
    sub.add_argument("--force", action="store_true", help="allow more than 1,000 trials")
    sub.add_argument(
        "--data-root",
        action="append",
        default=[],
        help="a folder outside the project that a relative CONFIG_DATA_DIR may name (DATA_ROOT)",
    )
    _search(sub)
    if downloads:
        _downloads(sub)


def _search(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--search",
        choices=METHODS,
        default=None,
        help="how configurations are chosen (SEARCH; default: grid, or random once a line samples)",
    )
    sub.add_argument(
        "--samples", type=int, default=None, help="configurations a search draws (SAMPLES)"
    )
    sub.add_argument(
        "--search-seed", type=int, default=0, help="the search's seed (SEARCH_SEED, default 0)"
    )


def _downloads(sub: argparse.ArgumentParser) -> None:
    sub.add_argument(
        "--allow-download",
        action="store_true",
        help="let trials download missing datasets (ALLOW_DOWNLOAD=1); off: they must be present",
    )


def _output_dir(sub: argparse.ArgumentParser, text: str) -> None:
    sub.add_argument("--output-dir", default=DEFAULT_OUTPUT_DIR, help=text)


# Early-stopping flags: flag, the RuleSettings field it sets, its type, its help.
STOP_FLAGS = (
    ("--es-grace", "grace", int, "asha: epochs before the first rung (ES_GRACE)"),
    ("--es-factor", "factor", int, "asha: keep the top 1/factor at each rung (ES_FACTOR)"),
    ("--es-warmup", "warmup", int, "median: epochs before it judges (ES_WARMUP)"),
    (
        "--es-min-configs",
        "min_configs",
        int,
        "median: configurations to compare with (ES_MIN_CONFIGS)",
    ),
    ("--es-topk-epochs", "k", int, "topk: epochs everything runs (ES_TOPK_EPOCHS)"),
    ("--es-topk-keep", "keep", finite, "topk: the share that continues (ES_TOPK_KEEP)"),
)


def _early_stopping(sub: argparse.ArgumentParser) -> None:
    """Overrides of the trials' CONFIG_SWEEP_EARLY_STOP and CONFIG_SWEEP_ES_* symbols."""
    sub.add_argument(
        "--early-stop",
        choices=RULES,
        default=None,
        help="stop losing trials early (EARLY_STOP; default: the trials' CONFIG_SWEEP_EARLY_STOP)",
    )
    for flag, _field, kind, text in STOP_FLAGS:
        sub.add_argument(flag, type=kind, default=None, help=text)


def stop_flags(args: argparse.Namespace) -> dict:
    """The early-stopping settings this command line gave (RuleSettings field -> value)."""
    given = {"rule": args.early_stop}
    for flag, field, _kind, _text in STOP_FLAGS:
        given[field] = getattr(args, flag.removeprefix("--").replace("-", "_"))
    return {name: value for name, value in given.items() if value is not None}


def _running(sub: argparse.ArgumentParser) -> None:
    _early_stopping(sub)
    _ranking(sub)
    _objectives(sub)
    sub.add_argument(
        "--train-command",
        default=None,
        help="the command each trial runs, split like a shell would but run without one "
        "(TRAIN_COMMAND; default: CONFIG_SWEEP_TRAIN_COMMAND, else ksweep's trainer)",
    )
    sub.add_argument(
        "--keep-checkpoints",
        action="store_true",
        help="keep each finished trial's checkpoint/ folder (KEEP_CHECKPOINTS=1)",
    )
    sub.add_argument(
        "--pause-mode",
        choices=PAUSE_MODES,
        default=PAUSE_EXIT,
        help="at an early-stopping pause a trial checkpoints and exits (exit), or waits in its "
        "process (wait: faster, holds its memory); PAUSE_MODE",
    )
    sub.add_argument(
        "--checkpoint-seconds",
        type=float,
        default=DEFAULT_CHECKPOINT_SECONDS,
        help="a trial checkpoints when this long has passed since its last checkpoint, and "
        "at every pause (CHECKPOINT_SECONDS; 0: every epoch)",
    )
    _output_dir(sub, "parent folder of the sweep_YYYYMMDD_HHMMSS results folder")
    sub.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        default=None,
        help="train every trial on this device, whatever CONFIG_DEVICE says",
    )
    sub.add_argument("--quiet", action="store_true", help="print nothing while the sweep runs")
    sub.add_argument("--jobs", type=int, default=None, help="trials at once (JOBS)")
    sub.add_argument("--gpus", default=None, help="GPU ids to use, e.g. 0,1 (GPUS)")
    sub.add_argument("--trials-per-gpu", type=int, default=None, help="TRIALS_PER_GPU")
    sub.add_argument(
        "--timeout", type=finite, default=None, help="seconds before a trial is stopped"
    )
    sub.add_argument("--retries", type=int, default=0, help="re-runs of a failed trial")
    sub.add_argument(
        "--heartbeat",
        type=finite,
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
    sub.add_argument("--launcher", choices=LAUNCHER_NAMES, default="local", help=launcher_help())
    for name, text in SLURM_FLAGS.items():
        sub.add_argument(f"--slurm-{name}", default=None, help=f"LAUNCHER=slurm: {text}")


# LAUNCHER=slurm's options (SLURM_<NAME>), the fields of ksweep.launch.slurm.SlurmSettings
SLURM_FLAGS = {
    "partition": "the partition",
    "time": "each job's time limit",
    "cpus": "CPUs per trial's job",
    "mem": "memory per trial's job",
    "extra": "more sbatch options (one string, split like a shell would, never run by one)",
}


def slurm_flags(args: argparse.Namespace) -> dict[str, str]:
    """The --slurm-* options given, by field name."""
    given = {name: getattr(args, f"slurm_{name}", None) for name in SLURM_FLAGS}
    return {name: value for name, value in given.items() if value not in (None, "")}


def _ranking(sub: argparse.ArgumentParser) -> None:
    from ksweep.schema import ENUM_SYMBOLS

    sub.add_argument(
        "--metric",
        default=None,
        help="rank by this metric: auto, one of ksweep's (val/acc, test_acc, val/loss, ...) "
        "or any a trial reports (default: the trials' CONFIG_SWEEP_METRIC)",
    )
    sub.add_argument(
        "--goal",
        choices=ENUM_SYMBOLS["SWEEP_GOAL"],
        default=None,
        help="max or min (default: CONFIG_SWEEP_GOAL, else the metric's own)",
    )


def _objectives(sub: argparse.ArgumentParser) -> None:
    """OBJECTIVES=/CONSTRAINTS=: a trade-off study's objectives and the bounds on a result."""
    sub.add_argument(
        "--objectives",
        default=None,
        help="several objectives, e.g. val/acc:max,final_sparsity:max (default: the trials' "
        "CONFIG_SWEEP_OBJECTIVES, else METRIC= alone); not together with --metric",
    )
    sub.add_argument(
        "--constraints",
        default=None,
        help="bounds a result must meet before it is ranked, e.g. params<=8000 (default: the "
        "trials' CONFIG_SWEEP_CONSTRAINTS)",
    )


def _sweep_folder(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("sweep", nargs="?", default=None, help="default: the newest sweep")
    _output_dir(sub, "where to look for the newest sweep")


def build_parser(commands_module) -> argparse.ArgumentParser:
    """The parser; ``commands_module`` provides one ``cmd_<name>`` function per command."""
    c = commands_module
    parser = argparse.ArgumentParser(prog="ksweep", description="Kconfig-driven sweeps")
    parser.add_argument("--kconfig", default=KCONFIG_FILE, help="top Kconfig file")
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, func, text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=text)
        sub.set_defaults(func=func)
        return sub

    _generation(command("generate", c.cmd_generate, "expand a range config into sweep_configs/"))

    run = command("run", c.cmd_run, "run every config of a config folder, or resume a sweep")
    run.add_argument("--config-dir", default=None)
    run.add_argument(
        "--resume",
        metavar="SWEEP_DIR",
        nargs="?",
        const=NEWEST,
        default=None,
        help="finish an interrupted sweep (default: the newest): run only what has no result",
    )
    run.add_argument(
        "--rerun-failed",
        action="store_true",
        help="with --resume: also run again the trials that failed",
    )
    _running(run)
    _downloads(run)

    sweep = command("sweep", c.cmd_sweep, "generate, then run")
    _generation(sweep)
    _running(sweep)

    _sweep_folder(command("status", c.cmd_status, "progress of a running or finished sweep"))

    estimate = command("estimate", c.cmd_estimate, "count and time a sweep before running it")
    _generation(estimate)
    _output_dir(estimate, "where earlier sweeps are, for timings")
    estimate.add_argument("--jobs", type=int, default=None)

    analyze = command("analyze", c.cmd_analyze, "rewrite a sweep's analysis, report and plots")
    _sweep_folder(analyze)
    _ranking(analyze)
    _objectives(analyze)
    analyze.add_argument(
        "--front-defconfigs",
        action="store_true",
        help="also write one defconfig per configuration on the Pareto front",
    )

    _sweep_folder(command("report", c.cmd_report, "open (or print the path of) report.html"))

    compare = command(
        "compare", c.cmd_compare, "compare two sweeps, configuration by configuration"
    )
    compare.add_argument("a", help="sweep folder A (the baseline)")
    compare.add_argument("b", help="sweep folder B (the change is B - A)")
    _ranking(compare)

    refine = command(
        "refine", c.cmd_refine, "write the range config of the next round from a finished sweep"
    )
    _sweep_folder(refine)
    refine.add_argument("--out", default=None, help="the range config to write (OUT)")
    _ranking(refine)

    audit = command(
        "audit-stop", c.cmd_audit_stop, "replay an early-stopping rule on a finished sweep"
    )
    _sweep_folder(audit)
    _early_stopping(audit)
    _ranking(audit)
    _objectives(audit)

    clean = command("clean", c.cmd_clean, "remove the generated config folder")
    clean.add_argument("--out", default=DEFAULT_CONFIG_DIR)

    for name, text in (
        ("defconfig", "load defconfigs/NAME into .config"),
        ("savedefconfig", "write .config's minimal form to defconfigs/NAME"),
    ):
        sub = command(name, getattr(c, f"cmd_{name}"), text)
        sub.add_argument("name", nargs="?", default=None)
        sub.add_argument("--config", default=".config")
        if name == "savedefconfig":
            sub.add_argument("--force", action="store_true", help="overwrite an existing file")
    for name, text in (
        ("olddefconfig", "fill .config with defaults for new symbols"),
        ("menuconfig", "edit .config in kconfiglib's menuconfig"),
    ):
        command(name, getattr(c, f"cmd_{name}"), text).add_argument("--config", default=".config")

    command("list-defconfigs", c.cmd_list_defconfigs, "list defconfigs and range configs")
    link = command("data-link", c.cmd_data_link, "link a local MNIST copy into data/MNIST/raw")
    link.add_argument("--source", default="../shared/data/mnist")
    make = command("make", c.cmd_make, "run a make target with make's variables")
    make.add_argument("target")
    command("make-help", c.cmd_make_help, "the make variables, for make help")
    return parser
