"""Make variables, input files and saved configs: nothing expanded, nothing unbounded, no
silent acceptance of a typo or a bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sweep_helpers import run_ksweep

ROOT = Path(__file__).resolve().parents[1]


def make(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHON": sys.executable, **env}
    return subprocess.run(
        ["make", "-s", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
    )


def ksweep(*args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    return run_ksweep(*args, timeout=timeout)


def test_no_make_variable_is_expanded_as_make_syntax(tmp_path):
    marker = tmp_path / "EXPANDED"
    hostile = f"..$(shell touch {marker})"
    result = make("sweep-status", f"SWEEP={hostile}")
    assert result.returncode == 2 and hostile in result.stderr, result.stderr
    make("help", f"SWEEP=$(shell touch {marker})")
    environment_only = make("sweep-status", SWEEP=f"$(shell touch {marker})")
    assert environment_only.returncode == 2
    assert not marker.exists()
    folder = tmp_path / "sweep_$x"
    folder.mkdir()
    shown = make("sweep-status", f"SWEEP={folder}")
    assert str(folder) in shown.stderr, shown.stderr  # $x kept, not rewritten to ""


def test_a_misspelt_make_variable_is_named_with_the_right_one():
    result = make("sweep-estimate", "RANGE_CONIFG=defconfigs/quickstart-range")
    assert result.returncode == 2
    assert "RANGE_CONIFG is not a ksweep variable; did you mean RANGE_CONFIG=?" in result.stderr


def test_a_missing_range_file_suggests_the_nearest_name(tmp_path):
    result = ksweep("generate", "defconfigs/quickstart-rang", "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "did you mean defconfigs/quickstart-range?" in result.stderr


@pytest.mark.parametrize("kind", ["device", "fifo", "huge"])
def test_only_regular_files_of_bounded_size_are_read(tmp_path, kind):
    if kind == "device":
        source = Path("/dev/zero")
    elif kind == "fifo":
        source = tmp_path / "fifo"
        os.mkfifo(source)
    else:
        source = tmp_path / "huge-range"
        with open(source, "wb") as handle:
            handle.truncate(64 * 1024 * 1024)  # sparse: no disk used
    result = ksweep("generate", str(source), "--out", str(tmp_path / "out"), timeout=60)
    assert result.returncode == 2, result.stderr
    assert str(source) in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def _config(tmp_path: Path, **values: str) -> Path:
    config = tmp_path / "dotconfig"
    loaded = ksweep("defconfig", "quickstart", "--config", str(config))
    assert loaded.returncode == 0, loaded.stderr
    lines = config.read_text().splitlines()
    for name, value in values.items():
        lines = [
            f"CONFIG_{name}={value}" if ln.startswith(f"CONFIG_{name}=") else ln for ln in lines
        ]
    config.write_text("\n".join(lines) + "\n")
    return config


def test_savedefconfig_checks_values_protects_files_and_takes_names_only(tmp_path):
    bad = _config(tmp_path, LEARNING_RATE='"abc"', LR_SCHEDULE='"cosinee"')
    result = ksweep("savedefconfig", "issue22-never", "--config", str(bad))
    assert result.returncode == 2
    assert "'abc' is not a number" in result.stderr and "cosinee" in result.stderr
    assert not (ROOT / "defconfigs" / "issue22-never").exists()
    shipped = ROOT / "defconfigs" / "quickstart"
    before = shipped.read_bytes()
    good = _config(tmp_path)
    result = ksweep("savedefconfig", "quickstart", "--config", str(good))
    assert result.returncode == 2 and "FORCE=1" in result.stderr
    assert shipped.read_bytes() == before
    result = ksweep("savedefconfig", "../../evil", "--config", str(good))
    assert result.returncode == 2 and "not a name" in result.stderr
    assert not (ROOT.parent / "evil").exists()


def test_loading_a_range_file_as_a_defconfig_is_refused(tmp_path):
    config = tmp_path / "dotconfig"
    result = ksweep("defconfig", "quickstart-range", "--config", str(config))
    assert result.returncode == 2 and "is a range config" in result.stderr
    assert not config.exists()


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_a_timeout_that_is_no_number_of_seconds_is_refused(value):
    result = ksweep("run", "--timeout", value)
    assert result.returncode == 2 and "not a finite number" in result.stderr


def test_a_nul_byte_in_a_range_file_is_refused_with_its_line(tmp_path):
    source = tmp_path / "nul-range"
    source.write_bytes(b'CONFIG_SEED=1|2\nCONFIG_MODEL_NAME="a\x00b"\n')
    result = ksweep("generate", str(source), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and f"{source}:2 holds a NUL byte" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_rule_that_can_never_judge_is_named(capsys):
    from ksweep.sweepers.early_stop import early_stopper

    early_stopper({"NUM_EPOCHS": "3"}, {"rule": "asha", "grace": 5}, "val/acc", "max")
    assert "EARLY_STOP=asha never judges" in capsys.readouterr().err
    early_stopper({"NUM_EPOCHS": "8"}, {"rule": "asha", "grace": 1}, "val/acc", "max")
    assert "never judges" not in capsys.readouterr().err


def test_data_dir_follows_symlinks_at_every_level(tmp_path):
    from ksweep.plan.paths import path_problem

    project, outside = tmp_path / "project", tmp_path / "elsewhere"
    (project / "data" / "inner").mkdir(parents=True)
    outside.mkdir()
    (project / "data" / "inner" / "link").symlink_to(outside)
    assert path_problem("DATA_DIR", "data/inner", project) is None
    found = path_problem("DATA_DIR", "data/inner/link/MNIST", project)
    assert found is not None and f"resolves to {outside}/MNIST" in found.message
    assert path_problem("DATA_DIR", "data/inner/link/MNIST", project, [outside]) is None
