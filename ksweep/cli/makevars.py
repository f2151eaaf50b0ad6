"""The make variables, defined once: what each means, and which command-line option it becomes.

The Makefile's recipes are one line each, ``ksweep make TARGET``, and name no
value: make passes its variables to the CLI through the environment (where a
shell never sees them), and :func:`argv_for` turns them into the options of
the CLI command the target runs. ``make help`` prints :func:`help_text`, from
this same table, so the list a user reads is the list the CLI reads.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass

from ksweep.launch.registry import launcher_help
from ksweep.plan.sampling import METHODS
from ksweep.project import DEFAULT_CONFIG_DIR, DEFAULT_OUTPUT_DIR

TRUE, FALSE = ("1", "y", "yes", "true", "on"), ("", "0", "n", "no", "false", "off")


class MakeVariableError(ValueError):
    """A make variable holds a value its option cannot take."""


@dataclass(frozen=True)
class Var:
    name: str  # RANGE_CONFIG
    option: str | None  # --out; None: a positional argument
    help: str
    flag: bool = False  # a yes/no switch (FORCE=1) rather than a value
    joined: bool = False  # --option=VALUE, for values that start with "-" (SLURM_EXTRA)

    def args(self, value: str) -> list[str]:
        if self.flag:
            lowered = value.strip().lower()
            if lowered in TRUE:
                return [self.option] if self.option else []
            if lowered in FALSE:
                return []
            raise MakeVariableError(f"{self.name}={value!r}: use 1 (on) or 0 (off)")
        if value == "":
            return []
        if self.option is not None and self.joined:
            return [f"{self.option}={value}"]
        return [value] if self.option is None else [self.option, value]


VARIABLES = {
    v.name: v
    for v in (
        Var("RANGE_CONFIG", None, "range config to sweep (default: defconfigs/quickstart-range)"),
        Var(
            "BASE", "--base", "defconfig a sweep starts from (default: the range file's base line)"
        ),
        Var(
            "FORCE",
            "--force",
            "allow sweeps of more than 1,000 trials; let savedefconfig overwrite a file",
            flag=True,
        ),
        Var("CONFIG_DIR", "--out", f"generated configs (default: {DEFAULT_CONFIG_DIR})"),
        Var("OUTPUT_DIR", "--output-dir", f"results root (default: {DEFAULT_OUTPUT_DIR})"),
        Var("DEVICE", "--device", "cpu|cuda|auto for every trial (default: the config's)"),
        Var("JOBS", "--jobs", "trials at once (default: half the cores on CPU, 1 per GPU)"),
        Var("PARALLEL", "--jobs", "the guide's name for JOBS"),
        Var("GPUS", "--gpus", "GPUs to spread trials over, e.g. 0,1 (default: all visible)"),
        Var("TRIALS_PER_GPU", "--trials-per-gpu", "trials sharing one GPU"),
        Var("TRIAL_TIMEOUT", "--timeout", "stop a trial after S seconds (recorded as timeout)"),
        Var("RETRIES", "--retries", "re-run a failed trial up to N times"),
        Var("FAIL_FAST", "--fail-fast", "stop the sweep at the first failed trial", flag=True),
        Var("LAUNCHER", "--launcher", launcher_help()),
        Var(
            "SLURM_PARTITION", "--slurm-partition", "slurm: the partition (default: the cluster's)"
        ),
        Var("SLURM_TIME", "--slurm-time", "slurm: each job's time limit, e.g. 0:30:00"),
        Var("SLURM_CPUS", "--slurm-cpus", "slurm: CPUs per trial's job (default 1)"),
        Var("SLURM_MEM", "--slurm-mem", "slurm: memory per trial's job, e.g. 4G"),
        Var(
            "SLURM_EXTRA",
            "--slurm-extra",
            "slurm: more sbatch options, e.g. --gres=gpu:1",
            joined=True,
        ),
        Var("BACKEND", "--backend", "fork (trials forked from a warm server) or exec"),
        Var(
            "HEARTBEAT", "--heartbeat", "each running trial's epoch every S s (default 30, 0: off)"
        ),
        Var("TRAIN_COMMAND", "--train-command", "the command each trial runs (default: ksweep's)"),
        Var(
            "KEEP_CHECKPOINTS", "--keep-checkpoints", "keep finished trials' checkpoints", flag=True
        ),
        Var("PAUSE_MODE", "--pause-mode", "exit (checkpoint, free memory) or wait at a pause"),
        Var(
            "CHECKPOINT_SECONDS",
            "--checkpoint-seconds",
            "a trial checkpoints this often, and at pauses (default 60; 0: every epoch)",
        ),
        Var("KCONFIG", "--kconfig", "the top Kconfig file (default: Kconfig); a project's own"),
        Var("ALLOW_DOWNLOAD", "--allow-download", "trials may download datasets", flag=True),
        Var("DATA_ROOT", "--data-root", "a folder outside the project that DATA_DIR may name"),
        Var("SEARCH", "--search", f"{'|'.join(METHODS)} (default: random once a line samples)"),
        Var("SAMPLES", "--samples", "configurations a sampled or tpe search runs (default 10)"),
        Var("SEARCH_SEED", "--search-seed", "a search's seed: same seed, same configs (default 0)"),
        Var(
            "EARLY_STOP", "--early-stop", "none|asha|median|topk (default: CONFIG_SWEEP_EARLY_STOP)"
        ),
        Var("ES_GRACE", "--es-grace", "asha: epochs before the first rung (default 1)"),
        Var("ES_FACTOR", "--es-factor", "asha: keep the top 1/factor at each rung (default 4)"),
        Var("ES_WARMUP", "--es-warmup", "median: epochs before it judges (default 1)"),
        Var("ES_MIN_CONFIGS", "--es-min-configs", "median: configurations to compare (3)"),
        Var("ES_TOPK_EPOCHS", "--es-topk-epochs", "topk: epochs everything runs (default 1)"),
        Var("ES_TOPK_KEEP", "--es-topk-keep", "topk: the share that continues (default 0.25)"),
        Var("SWEEP", None, "a results folder (default: the newest under OUTPUT_DIR)"),
        Var("METRIC", "--metric", "rank by val/acc, test_acc, val/loss, ... (default: auto)"),
        Var("GOAL", "--goal", "max or min (default: the metric's own)"),
        Var(
            "OBJECTIVES",
            "--objectives",
            "a trade-off study's objectives, e.g. val/acc:max,params:min (a Pareto front)",
        ),
        Var("CONSTRAINTS", "--constraints", "bounds a result must meet, e.g. params<=8000"),
        Var(
            "FRONT_DEFCONFIGS",
            "--front-defconfigs",
            "sweep-analyze: one defconfig per configuration on the Pareto front",
            flag=True,
        ),
        Var("A", None, "sweep folder A of sweep-compare (the baseline)"),
        Var("B", None, "sweep folder B of sweep-compare (change = B - A)"),
        Var("OUT", "--out", "sweep-refine's output (default: defconfigs/<sweep>-refine-range)"),
        Var("DEFCONFIG", None, "the name savedefconfig writes (defconfigs/NAME)"),
        Var("KCONFIG_CONFIG", "--config", "the .config file the config targets use"),
        Var("SHARED_MNIST", "--source", "a local MNIST copy for data-link (../shared/data/mnist)"),
        Var("V", None, "1: show the commands make runs; plain lines, not the live display"),
        Var("PYTHON", None, "an interpreter with the dependencies, instead of building .venv"),
    )
}

EARLY_STOP = (
    "EARLY_STOP", "ES_GRACE", "ES_FACTOR", "ES_WARMUP", "ES_MIN_CONFIGS", "ES_TOPK_EPOCHS",
    "ES_TOPK_KEEP",
)  # fmt: skip
SLURM = ("SLURM_PARTITION", "SLURM_TIME", "SLURM_CPUS", "SLURM_MEM", "SLURM_EXTRA")
LAUNCH = (
    "DEVICE", "JOBS", "PARALLEL", "GPUS", "TRIALS_PER_GPU", "TRIAL_TIMEOUT", "RETRIES",
    "FAIL_FAST", "LAUNCHER", "BACKEND", "HEARTBEAT", *EARLY_STOP, *SLURM, "METRIC", "GOAL",
    "OBJECTIVES", "CONSTRAINTS", "TRAIN_COMMAND", "KEEP_CHECKPOINTS", "CHECKPOINT_SECONDS",
    "PAUSE_MODE", "ALLOW_DOWNLOAD",
)  # fmt: skip
# Options of the ksweep command itself (before the target's command): every target reads them.
GLOBAL = ("KCONFIG",)
GENERATE = (
    "RANGE_CONFIG", "CONFIG_DIR", "BASE", "FORCE", "ALLOW_DOWNLOAD", "DATA_ROOT",
    "SEARCH", "SAMPLES", "SEARCH_SEED",
)  # fmt: skip
DEFAULTS = {"RANGE_CONFIG": "defconfigs/quickstart-range"}


@dataclass(frozen=True)
class Target:
    command: tuple[str, ...]  # the CLI command (and fixed options) the target runs
    variables: tuple[str, ...]  # the make variables it reads, in argument order


TARGETS: dict[str, Target] = {
    "sweep": Target(("sweep",), (*GENERATE, "OUTPUT_DIR", *LAUNCH[:-1])),
    "sweep-parallel": Target(("sweep",), (*GENERATE, "OUTPUT_DIR", *LAUNCH[:-1])),
    "sweep-generate": Target(("generate",), GENERATE),
    "sweep-run": Target(("run",), ("CONFIG_DIR", "OUTPUT_DIR", *LAUNCH)),
    "sweep-resume": Target(("run", "--resume"), ("SWEEP", "OUTPUT_DIR", *LAUNCH)),
    "sweep-rerun-failed": Target(
        ("run", "--rerun-failed", "--resume"), ("SWEEP", "OUTPUT_DIR", *LAUNCH)
    ),
    "sweep-status": Target(("status",), ("SWEEP", "OUTPUT_DIR")),
    "sweep-estimate": Target(("estimate",), (*GENERATE, "OUTPUT_DIR", "JOBS", "PARALLEL")),
    "sweep-clean": Target(("clean",), ("CONFIG_DIR",)),
    "sweep-analyze": Target(
        ("analyze",),
        ("SWEEP", "OUTPUT_DIR", "METRIC", "GOAL", "OBJECTIVES", "CONSTRAINTS", "FRONT_DEFCONFIGS"),
    ),
    "sweep-report": Target(("report",), ("SWEEP", "OUTPUT_DIR")),
    "sweep-compare": Target(("compare",), ("A", "B", "METRIC", "GOAL")),
    "sweep-audit-stop": Target(
        ("audit-stop",),
        ("SWEEP", "OUTPUT_DIR", *EARLY_STOP, "METRIC", "GOAL", "OBJECTIVES", "CONSTRAINTS"),
    ),
    "sweep-refine": Target(("refine",), ("SWEEP", "OUTPUT_DIR", "OUT", "METRIC", "GOAL")),
    "defconfig": Target(("defconfig",), ("DEFCONFIG_NAME", "KCONFIG_CONFIG")),
    "savedefconfig": Target(("savedefconfig",), ("DEFCONFIG", "KCONFIG_CONFIG", "FORCE")),
    "olddefconfig": Target(("olddefconfig",), ("KCONFIG_CONFIG",)),
    "menuconfig": Target(("menuconfig",), ("KCONFIG_CONFIG",)),
    "data-link": Target(("data-link",), ("SHARED_MNIST",)),
}

# The stem of `make defconfig-NAME`, which make hands over in this variable.
DEFCONFIG_STEM = Var("DEFCONFIG_NAME", None, "the NAME of make defconfig-NAME")


def _var(name: str) -> Var:
    return DEFCONFIG_STEM if name == DEFCONFIG_STEM.name else VARIABLES[name]


def argv_for(target: str, env: Mapping[str, str] | None = None) -> list[str]:
    """The CLI arguments ``make TARGET`` stands for, read from make's variables in ``env``."""
    env = os.environ if env is None else env
    try:
        spec = TARGETS[target]
    except KeyError:
        raise MakeVariableError(f"no make target {target!r}; see make help") from None
    argv = [part for name in GLOBAL for part in _var(name).args(env.get(name, ""))]
    argv += list(spec.command)
    options: list[str] = []
    for name in spec.variables:
        var = _var(name)
        value = env.get(name, DEFAULTS.get(name, ""))
        if name == "PARALLEL" and env.get("JOBS"):
            continue  # JOBS wins over the guide's alias
        parts = var.args(value)
        (argv if var.option is None else options).extend(parts)
    return argv + options


# The Makefile exports the names given on make's command line in this variable.
COMMAND_LINE = "KSWEEP_MAKE_COMMAND_LINE"
_MAKEFILE_ONLY = ("VENV", "RAY_ADDRESS", "CUDA_VISIBLE_DEVICES")


def misspelt_variables(env: Mapping[str, str] | None = None) -> tuple[list[str], list[str]]:
    """(errors, notes) about names on make's command line that are no ksweep variable.

    make accepts any NAME=value silently, so ``RANGE_CONIFG=x`` would run the quickstart;
    a name close to a known one is an error naming it, any other is a note that it is unused."""
    env = os.environ if env is None else env
    known = [*VARIABLES, *_MAKEFILE_ONLY]
    errors, notes = [], []
    for name in env.get(COMMAND_LINE, "").split():
        if name in known or name == DEFCONFIG_STEM.name:
            continue
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
        if close:
            errors.append(f"{name} is not a ksweep variable; did you mean {close[0]}=?")
        else:
            notes.append(f"{name} is not a ksweep variable (see make help); it is not used")
    return errors, notes


def help_text() -> str:
    """The variables ``make help`` lists."""
    width = max(len(name) for name in VARIABLES) + 7
    lines = ["Variables (make VAR=value):"]
    for var in VARIABLES.values():
        shown = f"{var.name}=1" if var.flag else f"{var.name}=..."
        lines.append(f"  {shown:<{width}} {var.help}")
    return "\n".join(lines) + "\n"
