"""``python -m ksweep.train --config CONFIG --out DIR``: one training run, as the launcher sees it.

Exit status: 0 success; 2 bad config or input (an ``error: ...`` message, no
traceback); 3 the loss diverged; 1 anything unexpected (with its traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ksweep.interpreter import ensure_modules

if __name__ == "__main__":  # `python -m ksweep.train` outside the venv: run again with its python
    ensure_modules(("kconfiglib", "torch", "torchvision"))

from ksweep.configfile import ConfigFileError, read_config  # noqa: E402
from ksweep.train.settings import SettingsError, settings_from_config

EXIT_OK, EXIT_BAD_INPUT, EXIT_DIVERGED = 0, 2, 3


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, validate the config, train; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m ksweep.train", description="Train one model from a resolved ksweep config."
    )
    parser.add_argument("--config", required=True, help="resolved .config file to train with")
    parser.add_argument("--out", required=True, help="directory for metrics files (created)")
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
        values = read_config(args.config)
    except (OSError, UnicodeDecodeError) as exc:
        return _fail(
            f"--config must name a readable resolved config file, but reading {args.config!r} "
            f"failed: {exc}; fix: pass the path of a config written by ksweep"
        )
    except ConfigFileError as exc:
        print(exc, file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT
    if args.device is not None:
        values = {**values, "DEVICE": args.device}
    try:
        settings = settings_from_config(values, allow_download=not args.offline)
    except SettingsError as exc:
        print(exc, file=sys.stderr, flush=True)
        return EXIT_BAD_INPUT

    # torch is imported only once the config is known to be good: bad input fails fast.
    from ksweep.train.trainer import TrainingDiverged, train

    try:
        train(settings, args.out, pause_after=args.pause_after)
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
