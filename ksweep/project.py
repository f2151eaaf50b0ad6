"""Where the project's own parts live: one answer for every module that needs a path.

ksweep runs from a checkout: the Kconfig tree, the defconfigs and the model
files sit beside the ``ksweep`` package. Code that needs one of them asks
here instead of counting ``parents[...]`` of its own file.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
KCONFIG_FILE = "Kconfig"  # the top of the tree, relative to the working directory
DEFCONFIG_DIR = "defconfigs"
# Model files (NAME.py + NAME.Kconfig): the Kconfig tree sources this same folder, so the
# registry and the MODEL_SELECT choice are read from one place.
MODELS_DIR = PROJECT_ROOT / "models"
DEFAULT_CONFIG_DIR = "sweep_configs"
DEFAULT_OUTPUT_DIR = "test_matrix_results"
DATA_LINK = Path("data") / "MNIST" / "raw"  # where `make data-link` links a local MNIST copy
