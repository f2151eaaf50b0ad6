"""``python -m ksweep``: the command-line interface."""

from ksweep.cli import main

if __name__ == "__main__":  # guarded: forked trial processes re-import the main module
    raise SystemExit(main())
