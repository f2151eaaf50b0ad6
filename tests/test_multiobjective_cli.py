"""Several objectives through the real command line: a multi-objective TPE search told each
objective's seed mean with its constraint; NSGA-II killed by SIGKILL and resumed from its
journal as an uninterrupted sweep would run; ASHA on Pareto rank stopping a dominated
configuration in a real pruning sweep, and its audit replaying the same stops on the full grid."""

import json
import math
from pathlib import Path

import pytest
from sweep_helpers import only_sweep_dir, records_of
from test_search_resume import BASE, KCONFIG, ROOT, TINY, configurations, kill_midway, sweep_args

from ksweep.cli import main
from ksweep.sweepers.search_values import CONSTRAINTS_ATTR, outcome
from ksweep.sweepers.study import open_study

pytestmark = pytest.mark.slow


def told_trials(sweep: Path, goals: tuple[str, ...]) -> list:
    study = open_study(sweep / "study.journal", goals)
    return [t for t in study.trials if t.state.name == "COMPLETE" and "configs" in t.user_attrs]


def test_tpe_with_two_objectives_is_told_seed_means_and_constraints(tmp_path):
    range_file = tmp_path / "tiny-range"
    range_file.write_text(BASE + TINY.replace("NUM_EPOCHS=1", "NUM_EPOCHS=3"))
    results = tmp_path / "results"
    args = sweep_args(range_file, results, "tpe", 3)
    args += ["--objectives", "val/acc:max,training_time:min", "--constraints", "params<=50000"]
    assert main(args) == 0
    sweep = only_sweep_dir(results)
    by_name = {r["config_file"]: r for r in records_of(sweep)}
    trials = told_trials(sweep, ("max", "min"))
    assert len(trials) == 3
    for trial in trials:
        seeds = [by_name[n] for n in trial.user_attrs["configs"]]
        params = [r["params"] for r in seeds if r.get("params") is not None]
        bound = [params[0] - 50000 if params else math.inf]  # a diverged seed has no count
        assert trial.user_attrs[CONSTRAINTS_ATTR] == bound
        assert list(trial.system_attrs["constraints"]) == bound
        if outcome(seeds) is not None:  # diverged or at chance: the worst on every objective
            assert trial.values[0] == 0.0
            continue
        for value, metric in zip(trial.values, ("val/acc", "training_time"), strict=True):
            assert value == pytest.approx(sum(r[metric] for r in seeds) / len(seeds))


def test_nsga2_killed_and_resumed_runs_the_configurations_of_an_uninterrupted_sweep(
    tmp_path, capsys
):
    range_file = tmp_path / "tiny-range"
    # deterministic objectives, so that the uninterrupted and the resumed study hear the same
    objectives = 'CONFIG_SWEEP_OBJECTIVES="val/acc:max,val/loss:min"\n'
    range_file.write_text(BASE + TINY + objectives)
    whole = tmp_path / "whole" / "results"
    assert main(sweep_args(range_file, whole, "nsga2", 4)) == 0
    expected = configurations(only_sweep_dir(whole))
    assert len(expected) == 8

    results = tmp_path / "killed" / "results"
    kill_midway(sweep_args(range_file, results, "nsga2", 4), results, 3)
    sweep = only_sweep_dir(results)
    before = records_of(sweep)
    assert 3 <= len(before) < 8
    resume = ["--kconfig", KCONFIG, "run", "--resume", str(sweep), "--quiet"]
    capsys.readouterr()
    runs = len(json.loads((sweep / "manifest.json").read_text())["segments"])
    assert main([*resume, "--metric", "val/acc"]) == 2  # one objective: not what it optimises
    assert "resume with OBJECTIVES=val/acc:max,val/loss:min" in capsys.readouterr().err
    # refused before the sweep records a new run
    assert len(json.loads((sweep / "manifest.json").read_text())["segments"]) == runs
    assert main(resume) == 0
    assert configurations(sweep) == expected
    after = {r["config_file"]: r for r in records_of(sweep)}
    assert len(after) == 8 and all(after[r["config_file"]] == r for r in before)
    assert [t.values for t in told_trials(sweep, ("max", "min"))] == [
        t.values for t in told_trials(only_sweep_dir(whole), ("max", "min"))
    ]


PRUNING_GRID = """CONFIG_DATA_SUBSET=384
CONFIG_NUM_EPOCHS=4
CONFIG_PRUNING_METHOD="magnitude"
CONFIG_PRUNING_WARMUP=1
CONFIG_PRUNING_RAMP_END_EPOCH=1
CONFIG_SWEEP_OBJECTIVES="val/acc:max,final_sparsity:max"
CONFIG_TARGET_SPARSITY="0.5"|"0.9"
CONFIG_LEARNING_RATE=0.003|0.0000003
CONFIG_SEED=0|1
"""
ASHA = ["--early-stop", "asha", "--es-grace", "1", "--es-factor", "2"]


def grid_sweep(tmp_path: Path, name: str, extra: list[str]) -> Path:
    range_file = tmp_path / "pruning-range"
    range_file.write_text(f"# ksweep: base={ROOT / 'defconfigs' / 'quickstart'}\n" + PRUNING_GRID)
    results = tmp_path / name
    args = ["--kconfig", KCONFIG, "sweep", str(range_file), "--out", str(tmp_path / f"{name}-cfg")]
    args += ["--output-dir", str(results), "--device", "cpu", "--jobs", "2", "--quiet", *extra]
    assert main(args) == 0
    return only_sweep_dir(results)


def test_asha_on_pareto_rank_stops_a_dominated_configuration_and_its_audit_agrees(tmp_path, capsys):
    live = grid_sweep(tmp_path, "asha", ASHA)
    status = {r["config_file"]: (r["status"], r["epochs_run"]) for r in records_of(live)}
    # the learning rate that learns nothing, at the sparsity where one that learns exists
    assert status["config_003"] == status["config_004"] == ("pruned", 1), status
    assert all(status[n] == ("completed", 4) for n in ("config_001", "config_002", "config_005"))
    decisions = [json.loads(line) for line in (live / "decisions.jsonl").read_text().splitlines()]
    stop = next(d for d in decisions if d.get("configuration") == "config_003")
    assert stop["objectives"] == ["val/acc:max", "final_sparsity:max"]
    assert stop["dominated_by"] == ["config_001"] and stop["pareto_rank"] == 2
    assert "dominates it beyond noise (95% intervals" in stop["summary"]

    full = grid_sweep(tmp_path, "full", [])
    capsys.readouterr()
    audit = ["--kconfig", KCONFIG, "audit-stop", str(full), *ASHA]
    assert main(audit) == 0
    text = capsys.readouterr().out
    assert "asha on Pareto rank, replayed on val/acc:max,final_sparsity:max" in text
    assert "final_sparsity (as the configured target sparsity, else the sparsity row)" in text
    assert "1 configuration stopped: config_003 at epoch 1" in text  # the live rule's stop
    assert "Front kept under asha: 2 of 2 (100%)" in text
    assert "config_001 (val/acc" in text and "config_005 (val/acc" in text
    assert "Verdict: safe here" in text and "i-Epoch baseline at" in text
