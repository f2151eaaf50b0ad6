"""``python -m ksweep``: the command-line interface."""

from ksweep.cli import main

raise SystemExit(main())
