"""The thin Makefile: one source of variables, no shell ever sees a name or a value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ksweep.cli.makevars import TARGETS, VARIABLES, MakeVariableError, argv_for

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "sweep_99999999_999999;touch${IFS}PWNED;"


def make(*args: str, cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHON": sys.executable, **env}
    return subprocess.run(
        ["make", "-s", *args], cwd=cwd, capture_output=True, text=True, env=environment, timeout=300
    )


def test_make_help_prints_the_clis_own_variables():
    result = make("help")
    assert result.returncode == 0, result.stderr
    for name in VARIABLES:
        assert f"  {name}=" in result.stdout, name
    assert "make sweep-parallel" in result.stdout and "quickstart-range" in result.stdout


def test_every_make_target_the_cli_knows_is_in_the_makefile():
    text = (ROOT / "Makefile").read_text()
    for target in TARGETS:
        rule = "defconfig-%" if target == "defconfig" else target
        assert f"\n{rule}:" in text, target
        assert f"$(KSWEEP) make {target}" in text, target


def test_make_variables_become_options_and_bad_switches_are_refused():
    env = {"RANGE_CONFIG": "r", "JOBS": "3", "PARALLEL": "9", "FAIL_FAST": "yes", "SWEEP": ""}
    argv = argv_for("sweep", env)
    assert argv[:2] == ["sweep", "r"] and "--fail-fast" in argv
    assert argv[argv.index("--jobs") + 1] == "3"  # JOBS wins over the guide's PARALLEL
    assert argv_for("sweep-parallel", {"PARALLEL": "4"})[-2:] == ["--jobs", "4"]
    assert argv_for("sweep-resume", {}) == ["run", "--resume"]  # the CLI picks the newest
    with pytest.raises(MakeVariableError, match="FORCE='maybe': use 1"):
        argv_for("sweep-generate", {"FORCE": "maybe"})


def test_a_projects_own_tree_and_trial_command_reach_every_target():
    env = {"KCONFIG": "mine/Kconfig", "TRAIN_COMMAND": "python t.py --cfg {config}"}
    argv = argv_for("sweep", {**env, "RANGE_CONFIG": "r", "METRIC": "val_f1"})
    assert argv[:3] == ["--kconfig", "mine/Kconfig", "sweep"]  # an option of ksweep itself
    assert argv[argv.index("--train-command") + 1] == "python t.py --cfg {config}"  # one word
    assert argv[argv.index("--metric") + 1] == "val_f1"
    assert argv_for("sweep-generate", env)[:3] == ["--kconfig", "mine/Kconfig", "generate"]


def test_v1_shows_the_commands_and_clean_keeps_the_virtual_environment():
    quiet = make("-n", "sweep-status")
    loud = subprocess.run(
        ["make", "-n", "sweep-status", "V=1"], cwd=ROOT, capture_output=True, text=True
    )
    assert "make sweep-status" in quiet.stdout  # -n prints recipes either way
    assert "@" not in loud.stdout.split("make sweep-status")[0].splitlines()[-1]
    dry = subprocess.run(["make", "-n", "clean"], cwd=ROOT, capture_output=True, text=True)
    assert ".venv" not in dry.stdout and "sweep_configs" in dry.stdout
    dry = subprocess.run(["make", "-n", "distclean"], cwd=ROOT, capture_output=True, text=True)
    assert ".venv" in dry.stdout


def test_no_shell_sees_a_hostile_folder_name_or_value(tmp_path):
    results = tmp_path / "results"
    (results / HOSTILE).mkdir(parents=True)
    for target in ("sweep-resume", "sweep-rerun-failed", "sweep-status", "sweep-analyze"):
        result = make(target, cwd=ROOT, OUTPUT_DIR=str(results))
        assert result.returncode == 2, (target, result.stdout, result.stderr)
        assert "no sweep" in result.stderr, result.stderr
    for target in ("sweep-status", "sweep-analyze", "sweep-resume"):
        result = make(target, SWEEP=str(results / HOSTILE), OUTPUT_DIR=str(results))
        assert result.returncode == 2
    result = make("defconfig-x;touch${IFS}PWNED2;", KCONFIG_CONFIG=str(tmp_path / "cfg"))
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert not list(ROOT.glob("PWNED*")) and not list(results.rglob("PWNED*"))
    assert not list(tmp_path.rglob("PWNED*"))


def test_config_targets_honour_kconfig_config(tmp_path):
    config = tmp_path / "my.config"
    result = make("defconfig-quickstart", KCONFIG_CONFIG=str(config))
    assert result.returncode == 0, result.stderr
    assert "CONFIG_OPTIMIZER_SELECT_ADAM=y" in config.read_text()
    saved = ROOT / "defconfigs" / f"test-saved-{os.getpid()}"  # DEFCONFIG is a name only
    try:
        result = make("savedefconfig", f"DEFCONFIG={saved.name}", KCONFIG_CONFIG=str(config))
        assert result.returncode == 0, result.stderr
        assert saved.read_text().count("CONFIG_") <= 5
    finally:
        saved.unlink(missing_ok=True)
    config.write_text("CONFIG_SEED=4\n")
    assert make("olddefconfig", KCONFIG_CONFIG=str(config)).returncode == 0
    assert "CONFIG_NUM_EPOCHS=10" in config.read_text()
