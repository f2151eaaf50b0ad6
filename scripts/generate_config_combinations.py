#!/usr/bin/env python3
"""The sweep guide's generator entry point: RANGE_CONFIG [OUTPUT_DIR].

python scripts/generate_config_combinations.py defconfigs/quickstart-range sweep_configs
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ksweep.interpreter import ensure_modules  # noqa: E402

ensure_modules()  # outside the project's environment: run again with its python

from ksweep.cli import main  # noqa: E402

if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) >= 2 and not args[1].startswith("-"):
        args = [args[0], "--out", args[1], *args[2:]]
    raise SystemExit(main(["generate", *args]))
