"""Which dataset files a trial of ksweep's trainer reads from disk, and which a machine lacks.

Pre-flight checks the runner's own disk; a launcher that runs trials on other
machines (Ray nodes) asks each of them the same question before its first
trial there, so a missing dataset is one clear error naming the node rather
than every trial failing on it. A trial of another command declares no
dataset here, and nothing is checked for it.
"""

from __future__ import annotations

from pathlib import Path

from ksweep.configfile import ConfigFileError, parse_config_text
from ksweep.train.catalog import DATASETS


def data_needs(config_text: str, workdir: str) -> tuple[str, str] | None:
    """(dataset key, absolute DATA_DIR) of a trial whose dataset lives on disk, else None."""
    try:
        values = parse_config_text(config_text)
    except ConfigFileError:
        return None
    key = next((k for k in DATASETS if values.get(f"DATASET_SELECT_{k}") == "y"), None)
    if key is None or not DATASETS[key].files:
        return None
    return key, str(Path(workdir, values.get("DATA_DIR", "data")).resolve())


def missing_files(dataset: str, data_dir: str) -> list[str]:
    """The files of ``dataset`` this machine lacks under ``data_dir`` (an absolute path)."""
    return DATASETS[dataset].find_files(data_dir)[1]
