"""The trial protocol: the one contract between a sweep and any training command.

Both sides import this module: the run loop (what it gives a trial, how it
reads what the trial leaves) and the client (:mod:`ksweep.trial.client`) that
Python scripts use. A trial in another language follows the same contract
through files, environment variables and exit statuses alone; the README's
"Your own training script" section is this module in prose.

In (environment variables; ``{config}`` and ``{out}`` in the command's argv
are replaced by the first two)::

    KSWEEP_TRIAL_CONFIG       the resolved config file (CONFIG_X=value lines)
    KSWEEP_TRIAL_DIR          the trial's folder: every file below lives there
    KSWEEP_CHECKPOINT_DIR     where the trial keeps its checkpoints
    KSWEEP_PAUSE_AFTER        epochs after which it asks for a verdict ("3,9")
    KSWEEP_PAUSE_MODE         "exit": at a pause, checkpoint and exit 4;
                              "wait": stay alive until told to go on or stop
    KSWEEP_CHECKPOINT_SECONDS checkpoint when this long has passed since the last one
    KSWEEP_DEVICE             a sweep-wide device override ("cpu", "cuda"), if any
    KSWEEP_OFFLINE            "1": never download a dataset

Out (in the trial's folder)::

    metrics.jsonl          one JSON object per epoch, flushed: {"epoch": 3, "val/acc": 91.2}
    training_metrics.json  the final record, any metrics (written atomically); a trial
                           that exits 0 without one is recorded with its last epoch's row
    paused.json            {"epoch": E}: waiting after epoch E (mode "wait"); with
                           "checkpoint": true and "record": {...}: checkpointed and exited
    checkpoint/latest.json {"epoch": E, "dir": "epoch_000E"}: the newest complete checkpoint

Back from the sweep: ``stop_request.json`` (end at the next epoch boundary, its
content says why) and ``resume.json`` ({"epoch": E}: a waiting trial goes on).
"""

from __future__ import annotations

# --- file names in a trial's folder -------------------------------------------------
TRIAL_CONFIG = "config.txt"  # the exact config the trial ran
TRIAL_LOG = "output.log"  # the trial's stdout and stderr
EPOCHS_FILE = "metrics.jsonl"  # one JSON line per epoch, flushed as it happens
FINAL_METRICS = "training_metrics.json"  # the final record, written atomically at the end
STOP_REQUEST = "stop_request.json"  # the sweep asks the trial to end at an epoch boundary
PAUSED_FILE = "paused.json"  # the trial paused after this epoch for an early-stopping verdict
RESUME_FILE = "resume.json"  # the sweep tells a waiting trial to go on
CHECKPOINT_DIR = "checkpoint"  # the trial's checkpoints, removed when the trial ends
CHECKPOINT_POINTER = "latest.json"  # inside CHECKPOINT_DIR: the newest complete checkpoint

# --- exit statuses (one table: the trainer, the client and the judge read it) -------------
EXIT_OK = 0  # done (or stopped on request): the final record is written
EXIT_CRASH = 1  # anything unexpected
EXIT_BAD_INPUT = 2  # the config or the data is unusable (an "error: ..." line says why)
EXIT_DIVERGED = 3  # the loss stopped being finite or exploded: a result, not a crash
EXIT_PAUSED = 4  # checkpointed at a pause epoch and exited; restart it to go on
EXIT_MEANINGS = {
    EXIT_OK: "done",
    EXIT_CRASH: "crashed",
    EXIT_BAD_INPUT: "bad input",
    EXIT_DIVERGED: "diverged",
    EXIT_PAUSED: "paused with a checkpoint",
}

# --- the environment a trial gets -----------------------------------------------------
ENV_CONFIG = "KSWEEP_TRIAL_CONFIG"
ENV_TRIAL_DIR = "KSWEEP_TRIAL_DIR"
ENV_CHECKPOINT_DIR = "KSWEEP_CHECKPOINT_DIR"
ENV_PAUSE_AFTER = "KSWEEP_PAUSE_AFTER"
ENV_PAUSE_MODE = "KSWEEP_PAUSE_MODE"
ENV_CHECKPOINT_SECONDS = "KSWEEP_CHECKPOINT_SECONDS"
ENV_DEVICE = "KSWEEP_DEVICE"
ENV_OFFLINE = "KSWEEP_OFFLINE"
PAUSE_EXIT, PAUSE_WAIT = "exit", "wait"
PAUSE_MODES = (PAUSE_EXIT, PAUSE_WAIT)
DEFAULT_CHECKPOINT_SECONDS = 60.0

# --- the default trial command: ksweep's own trainer, a trial like any other ---------------
DEFAULT_TRIAL_MODULE = "ksweep.train"  # python -m ksweep.train

# --- argv placeholders in a trial command ---------------------------------------------
CONFIG_PLACEHOLDER = "{config}"
OUT_PLACEHOLDER = "{out}"

# --- verdicts at an epoch boundary ------------------------------------------------------
CONTINUE, STOP, PAUSE = "continue", "stop", "pause"


def pause_epochs_text(epochs: tuple[int, ...] | list[int]) -> str:
    """``KSWEEP_PAUSE_AFTER``'s spelling of a list of epochs."""
    return ",".join(str(e) for e in epochs)


def parse_pause_epochs(text: str | None) -> tuple[int, ...]:
    """The epochs ``KSWEEP_PAUSE_AFTER`` names; ValueError names what is wrong."""
    if not text:
        return ()
    try:
        return tuple(sorted({int(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        message = f"{ENV_PAUSE_AFTER}={text!r} is not a comma-separated list of epochs"
        raise ValueError(message) from None


def checkpoint_folder_name(epoch: int) -> str:
    """The folder (inside CHECKPOINT_DIR) of the checkpoint taken after ``epoch``."""
    return f"epoch_{epoch:04d}"


def trial_environment(
    config: str,
    folder: str,
    *,
    checkpoint_dir: str,
    pause_after: tuple[int, ...] = (),
    pause_mode: str = PAUSE_WAIT,
    checkpoint_seconds: float = DEFAULT_CHECKPOINT_SECONDS,
    device: str | None = None,
    offline: bool = True,
) -> dict[str, str]:
    """The variables a sweep gives a trial: everything the trial needs to know."""
    env = {
        ENV_CONFIG: config,
        ENV_TRIAL_DIR: folder,
        ENV_CHECKPOINT_DIR: checkpoint_dir,
        ENV_PAUSE_AFTER: pause_epochs_text(pause_after),
        ENV_PAUSE_MODE: pause_mode,
        ENV_CHECKPOINT_SECONDS: f"{checkpoint_seconds:g}",
        ENV_OFFLINE: "1" if offline else "0",
    }
    if device is not None:
        env[ENV_DEVICE] = device
    return env


def command_argv(command: tuple[str, ...], config: str, folder: str) -> list[str]:
    """A trial command's argv with ``{config}`` and ``{out}`` filled in (no shell, ever)."""
    return [
        part.replace(CONFIG_PLACEHOLDER, config).replace(OUT_PLACEHOLDER, folder)
        for part in command
    ]
