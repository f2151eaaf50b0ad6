#!/usr/bin/env python3
"""The sweep guide's runner entry point.

python scripts/run_test_matrix.py --config-dir sweep_configs --output-dir my_sweep_results
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ksweep.interpreter import ensure_modules  # noqa: E402

ensure_modules()  # outside the project's environment: run again with its python

from ksweep.cli import main  # noqa: E402

if __name__ == "__main__":
    raise SystemExit(main(["run", *sys.argv[1:]]))
