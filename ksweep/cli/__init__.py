"""The ``ksweep`` command line; every Makefile recipe is one call of it (``ksweep make T``).

Exit status: 0 success, 1 a sweep ran but some trial failed or did not run,
2 bad input (nothing written), 130 interrupted. This package imports neither
torch nor kconfiglib at the top, so ``make help`` and friends start
instantly; each command imports what it needs.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path

from ksweep.cli import (
    analysis_commands,
    config_commands,
    search_commands,
    stop_commands,
    sweep_commands,
)
from ksweep.cli.makevars import MakeVariableError, argv_for, help_text
from ksweep.cli.parser import build_parser
from ksweep.diagnostics import InputErrors, Refusal

# Commands that never read the Kconfig tree, so they work from any folder.
_NO_TREE = ("list-defconfigs", "clean", "run", "status", "analyze", "compare", "make", "make-help")


def cmd_make(args) -> int:
    """``make TARGET``: the target's CLI command, with make's variables as its options."""
    try:
        argv = argv_for(args.target)
    except MakeVariableError as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    return main(["--kconfig", args.kconfig, *argv])


def cmd_make_help(_args) -> int:
    print(help_text(), end="")
    return 0


COMMANDS = types.SimpleNamespace(
    **{
        name: getattr(module, name)
        for module in (
            sweep_commands,
            config_commands,
            analysis_commands,
            search_commands,
            stop_commands,
        )
        for name in dir(module)
        if name.startswith("cmd_")
    },
    cmd_make=cmd_make,
    cmd_make_help=cmd_make_help,
)


def main(argv: list[str] | None = None) -> int:
    args = build_parser(COMMANDS).parse_args(argv)
    if args.command not in _NO_TREE and not Path(args.kconfig).is_file():
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
    except (FileNotFoundError, Refusal) as problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # before a sweep's segment began (a run loop ends its own)
        print("ksweep: interrupted", file=sys.stderr)
        return 130
    except OSError as problem:
        from ksweep.sweep.diskguard import is_disk_full

        if not is_disk_full(problem):
            raise
        print(f"error: {problem}", file=sys.stderr)
        return 2


__all__ = ["main"]
