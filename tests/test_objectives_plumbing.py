"""OBJECTIVES=/CONSTRAINTS= from the command line and the trials' config to every consumer:
which one wins, what is refused, and a bad one in a range file refused at generate time."""

from pathlib import Path

import pytest

from ksweep.analysis.choice import configured_objectives
from ksweep.cli import COMMANDS, main
from ksweep.cli.makevars import argv_for
from ksweep.cli.parser import build_parser
from ksweep.cli.sweep_settings import objective
from ksweep.launch.options import SweepError
from ksweep.objectives import Constraint, Objective
from ksweep.sweep.trials import TrialSpec

ROOT = Path(__file__).resolve().parents[1]
KCONFIG = str(ROOT / "Kconfig")
BASE = str(ROOT / "defconfigs" / "quickstart")
TRADE_OFF = {"SWEEP_OBJECTIVES": "val/acc:max,params:min", "SWEEP_CONSTRAINTS": "params<=8000"}


def generate(range_file: Path, out: Path) -> int:
    argv = ["--kconfig", KCONFIG, "generate", str(range_file), "--base", BASE, "--out", str(out)]
    return main(argv)


def test_a_bad_objective_or_constraint_in_a_range_file_is_refused_at_generate_time(
    tmp_path, capsys
):
    bad = tmp_path / "trade-off-range"
    bad.write_text(
        "CONFIG_LEARNING_RATE=0.003|0.03\n"
        'CONFIG_SWEEP_OBJECTIVES="val/acc:up,params:min"\n'
        'CONFIG_SWEEP_CONSTRAINTS="params=<8000"\n'
    )
    out = tmp_path / "sweep_configs"
    assert generate(bad, out) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2: error: CONFIG_SWEEP_OBJECTIVES:" in err
    assert "write val/acc:max or val/acc:min" in err  # the fix
    assert f"{bad}:3: error: CONFIG_SWEEP_CONSTRAINTS:" in err
    assert "write METRIC<=NUMBER" in err
    assert "nothing was written" in err
    assert not out.exists()


def test_good_objectives_reach_every_generated_config(tmp_path):
    good = tmp_path / "trade-off-range"
    good.write_text(
        'CONFIG_LEARNING_RATE=0.003|0.03\nCONFIG_SWEEP_OBJECTIVES="val/acc:max,params:min"\n'
    )
    out = tmp_path / "sweep_configs"
    assert generate(good, out) == 0
    configs = sorted(out.glob("config_*"))
    assert len(configs) == 2
    for config in configs:
        assert 'CONFIG_SWEEP_OBJECTIVES="val/acc:max,params:min"' in config.read_text()


def test_the_trials_objectives_and_constraints_are_used_when_the_command_line_names_none():
    resolved = configured_objectives(TRADE_OFF)
    assert resolved.objectives == (Objective("val/acc", "max"), Objective("params", "min"))
    assert resolved.constraints == (Constraint("params", "<=", 8000.0),)
    assert resolved.ranking == ("val/acc", "max")


def test_the_command_line_wins_over_the_trials_config():
    resolved = configured_objectives(TRADE_OFF, objectives="test_acc,training_time")
    assert resolved.metrics == ("test_acc", "training_time")
    assert resolved.goals == ("max", "min")
    assert configured_objectives(TRADE_OFF, constraints="").constraints == ()
    # METRIC= on the command line asks for one metric: the config's objectives step aside.
    assert configured_objectives(TRADE_OFF, metric="val/loss").objectives == (
        Objective("val/loss", "min"),
    )
    # Without objectives anywhere, METRIC=/GOAL= and CONFIG_SWEEP_METRIC work as always.
    assert configured_objectives({"SWEEP_METRIC": "test_acc"}).ranking == ("test_acc", "max")


@pytest.mark.parametrize(
    ("asked", "says"),
    [
        ({"objectives": "val/acc:max", "metric": "test_acc"}, "OBJECTIVES= and METRIC="),
        ({"objectives": "val/acc:max", "goal": "min"}, "OBJECTIVES= and GOAL="),
        ({"objectives": "val/acc:maxi"}, "OBJECTIVES=val/acc:maxi: "),
        ({"constraints": "params<<3"}, "CONSTRAINTS='params<<3': "),
    ],
)
def test_a_conflict_or_a_bad_value_is_refused_with_its_setting(asked, says):
    with pytest.raises(ValueError, match=says):
        configured_objectives({}, **asked)


def test_make_variables_become_the_options_of_every_target_that_ranks():
    env = {"OBJECTIVES": "val/acc:max,params:min", "CONSTRAINTS": "params<=8000"}
    wanted = ["--objectives", env["OBJECTIVES"], "--constraints", env["CONSTRAINTS"]]
    for target in ("sweep", "sweep-run", "sweep-resume", "sweep-analyze"):
        argv = argv_for(target, env)
        at = argv.index("--objectives")
        assert argv[at : at + 4] == wanted, target


def test_the_sweep_resolves_its_objectives_once_from_the_command_line():
    text = "".join(f'CONFIG_{name}="{value}"\n' for name, value in TRADE_OFF.items())
    trial = TrialSpec("config_001", text)
    args = build_parser(COMMANDS).parse_args(["run", "--objectives", "val/acc,params"])
    resolved = objective(args, [trial])
    assert resolved.metrics == ("val/acc", "params")
    assert resolved.constraints == (Constraint("params", "<=", 8000.0),)
    both = build_parser(COMMANDS).parse_args(["run", "--objectives", "x", "--metric", "y"])
    with pytest.raises(SweepError, match="give only one"):
        objective(both, [trial])


def test_the_cli_refuses_objectives_with_a_metric_before_anything_runs(tmp_path, capsys):
    good = tmp_path / "range"
    good.write_text("CONFIG_LEARNING_RATE=0.003\n")
    configs = tmp_path / "sweep_configs"
    assert generate(good, configs) == 0
    results = tmp_path / "results"
    argv = ["--kconfig", KCONFIG, "run", "--config-dir", str(configs)]
    argv += ["--output-dir", str(results), "--objectives", "val/acc", "--metric", "test_acc"]
    assert main(argv) == 2
    assert "OBJECTIVES= and METRIC= were both given" in capsys.readouterr().err
    assert not results.exists()
