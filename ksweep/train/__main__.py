"""``python -m ksweep.train --config CONFIG --out DIR``: one training run, a ksweep trial.

In a sweep the trial protocol's environment says everything (config, folder,
pauses, device); on its own the flags do. Either way the run talks to the
sweep only through the public client (:mod:`ksweep.trial`), like any other
training script. Exit statuses are the protocol's: 0 success; 2 bad config or
input (an ``error: ...`` message, no traceback); 3 the loss diverged; 4 paused
with a checkpoint; 1 anything unexpected (with its traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ksweep.interpreter import ensure_modules

if __name__ == "__main__":  # `python -m ksweep.train` outside the venv: run again with its python
    ensure_modules(("kconfiglib", "torch", "torchvision"))

from ksweep import protocol  # noqa: E402
from ksweep.configfile import ConfigFileError  # noqa: E402
from ksweep.train.settings import SettingsError, settings_from_config  # noqa: E402
from ksweep.trial import EXIT_BAD_INPUT, EXIT_DIVERGED, EXIT_OK, Trial  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, validate the config, train; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m ksweep.train", description="Train one model from a resolved ksweep config."
    )
    in_sweep = bool(os.environ.get(protocol.ENV_CONFIG))
    parser.add_argument(
        "--config", required=not in_sweep, help="resolved .config file to train with"
    )
    parser.add_argument(
        "--out", required=not in_sweep, help="directory for metrics files (created)"
    )
    parser.add_argument(
        "--device",
        choices=["auto", "cpu", "cuda"],
        default=None,
        help="train on this device whatever CONFIG_DEVICE says (a sweep's DEVICE=)",
    )
    parser.add_argument(
        "--pause-after",
        type=_epoch_list,
        default=(),
        metavar="E1,E2,...",
        help="after these epochs, wait for the launcher's early-stopping verdict",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="never try to download a missing dataset; report it as an error instead",
    )
    args = parser.parse_args(argv)

    try:
        if in_sweep and args.config is None:
            trial = Trial.from_environment(checkpoints=True)
        else:
            trial = Trial(args.config, args.out, pause_after=args.pause_after)
        values = trial.config.values
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(
            f"--config must name a readable resolved config file, but reading {args.config!r} "
            f"failed: {exc}; fix: pass the path of a config written by ksweep"
        )
    except ConfigFileError as exc:
        print(exc, file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    device = args.device or trial.device
    if device is not None:
        values = {**values, "DEVICE": device}
    try:
        settings = settings_from_config(values, allow_download=not (args.offline or trial.offline))
    except SettingsError as exc:
        print(exc, file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT

    # torch is imported only once the config is known to be good: bad input fails fast.
    from ksweep.train.trainer import TrainingDiverged, train

    try:
        train(settings, trial=trial)
    except SettingsError as exc:
        print(exc, file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    except TrainingDiverged as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return EXIT_DIVERGED
    return EXIT_OK


def _epoch_list(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of epochs"
        ) from None


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr, flush=True)
    return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
