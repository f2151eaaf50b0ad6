"""Early-stopping rules as pure functions of curves: rungs, thresholds, seeds, waiting, audit."""

from __future__ import annotations

import json

import pytest

from ksweep.sweep.trials import TrialSpec
from ksweep.sweepers.audit import best_survivor, i_epoch_front, replay
from ksweep.sweepers.early_stop import EarlyStopper
from ksweep.sweepers.stopping import (
    CONTINUE,
    STOP,
    WAIT,
    ConfigCurve,
    RuleSettings,
    spread,
    verdict,
)


def curve(name, by_epoch, seeds=1, ended=None):
    return ConfigCurve(name, {e: tuple(v) for e, v in by_epoch.items()}, seeds, ended or ())


def test_asha_rungs_follow_grace_and_factor_and_never_the_last_epoch():
    assert RuleSettings("asha", grace=1, factor=3).rungs(10) == [1, 3, 9]
    assert RuleSettings("asha", grace=2, factor=4).rungs(8) == [2]
    assert RuleSettings("topk", k=3).rungs(8) == [3] and RuleSettings("topk", k=8).rungs(8) == []
    assert RuleSettings("median", warmup=2).rungs(5) == [2, 3, 4]
    assert RuleSettings("asha", factor=1).check() == [
        "the reduction factor must be 2 or more, found 1"
    ]


def test_asha_keeps_the_top_share_of_the_configurations_judged_so_far():
    """A model-based search's draws (not listed up front): each is judged against those
    drawn before it, so the first always goes on."""
    asha = RuleSettings("asha", grace=1, factor=2)
    configs = [
        curve("config_001", {1: [50.0]}),
        curve("config_002", {1: [80.0]}),
        curve("config_003", {1: [20.0]}),
    ]

    def judged(name):
        return verdict(asha, configs, name, 1, "val/acc", "max", listed=False)

    assert judged("config_001").action == CONTINUE
    assert judged("config_002").action == CONTINUE
    stopped = judged("config_003")
    assert stopped.action == STOP and stopped.evidence["threshold"] == 50.0
    assert "the top 2 of the 3 configurations" in stopped.evidence["threshold_is"]


def test_a_listed_sweep_judges_a_rung_among_its_first_factor_configurations():
    """ASHA promotes only from a rung holding ``factor`` configurations: the first one judged
    waits for the cohort and is compared with it, instead of going on unopposed."""
    asha = RuleSettings("asha", grace=1, factor=2)
    waiting = [curve("config_001", {1: [50.0]}), curve("config_002", {})]
    assert verdict(asha, waiting, "config_001", 1, "val/acc", "max").action == WAIT
    configs = [curve("config_001", {1: [50.0]}), curve("config_002", {1: [80.0]})]
    first = verdict(asha, configs, "config_001", 1, "val/acc", "max")
    assert first.action == STOP and "the top 1 of the 2" in first.evidence["threshold_is"]
    assert verdict(asha, configs, "config_002", 1, "val/acc", "max").action == CONTINUE
    median = RuleSettings("median", warmup=1, min_configs=2)
    three = [*configs, curve("config_003", {1: [70.0]})]
    assert verdict(median, three, "config_001", 1, "val/acc", "max").action == STOP
    assert verdict(median, three[:2], "config_001", 1, "val/acc", "max").action == CONTINUE


def test_a_configuration_waits_until_every_earlier_one_has_reached_the_rung():
    asha = RuleSettings("asha", grace=1, factor=2)
    configs = [curve("config_001", {}), curve("config_002", {1: [10.0]})]
    assert verdict(asha, configs, "config_002", 1, "val/acc", "max").action == WAIT
    ended = [curve("config_001", {}, ended=(0,)), curve("config_002", {1: [10.0]})]
    assert verdict(asha, ended, "config_002", 1, "val/acc", "max").action == CONTINUE


def test_with_seeds_only_a_whole_interval_below_the_threshold_stops():
    asha = RuleSettings("asha", grace=1, factor=2)
    noisy = [curve("config_001", {1: [60.0, 62.0]}, 2), curve("config_002", {1: [40.0, 70.0]}, 2)]
    assert verdict(asha, noisy, "config_002", 1, "val/acc", "max").action == CONTINUE
    clear = [curve("config_001", {1: [60.0, 62.0]}, 2), curve("config_002", {1: [30.0, 31.0]}, 2)]
    assert verdict(asha, clear, "config_002", 1, "val/acc", "max").action == STOP


def test_the_best_is_never_stopped_and_losses_are_minimised():
    asha = RuleSettings("asha", grace=1, factor=4)
    configs = [curve("config_001", {1: [2.0]}), curve("config_002", {1: [0.5]})]
    assert verdict(asha, configs, "config_002", 1, "val/loss", "min").action == CONTINUE
    median = RuleSettings("median", warmup=1, min_configs=2)
    three = [*configs, curve("config_003", {1: [1.5]}), curve("config_004", {1: [3.0]})]
    assert verdict(median, three, "config_004", 1, "val/loss", "min").action == STOP
    assert verdict(median, three, "config_002", 1, "val/loss", "min").action == CONTINUE


@pytest.fixture()
def sweep_curves():
    """Eight configurations, four of which never learn (their learning rate is absurd)."""
    good = {f"config_00{i}": [{e: 50.0 + 5 * e + i for e in range(1, 9)}] for i in (1, 3, 5, 7)}
    bad = {f"config_00{i}": [{e: 10.0 + 0.1 * i for e in range(1, 9)}] for i in (2, 4, 6, 8)}
    return {**good, **bad}


def test_the_audit_replays_asha_and_counts_what_it_saves(sweep_curves):
    asha = RuleSettings("asha", grace=1, factor=2)
    result = replay(asha, sweep_curves, 8, "val/acc", "max")
    assert set(result.stopped_at) == {"config_002", "config_004", "config_006", "config_008"}
    assert all(epoch == 1 for epoch in result.stopped_at.values())
    assert result.full_epochs == 64 and result.rule_epochs == 36
    finals = {name: seeds[0][8] for name, seeds in sweep_curves.items()}
    assert best_survivor(result, finals, "max") == "config_007"
    front = i_epoch_front(sweep_curves, 8, "max", result.rule_epochs, finals)
    # The i-Epoch baseline never spends more than the rule: from k=5 on, k epochs of all
    # eight configurations alone (40) exceed the rule's 36, so those k have no point.
    assert [p.k for p in front] == [1, 2, 3, 4]
    assert all(p.trial_epochs <= result.rule_epochs for p in front)
    first = front[0]  # one epoch each (8), then four configurations on (4 x 7)
    assert (first.kept, first.trial_epochs, first.best) == (4, 36, "config_007")


def test_the_audit_reports_when_a_rule_would_stop_the_winner():
    """A late bloomer: worst at epoch 1, best at the end. ASHA at epoch 1 kills it."""
    curves = {
        "config_001": [{1: 60.0, 2: 61.0, 3: 62.0, 4: 63.0}],
        "config_002": [{1: 55.0, 2: 58.0, 3: 60.0, 4: 61.0}],
        "config_003": [{1: 20.0, 2: 50.0, 3: 80.0, 4: 95.0}],
    }
    result = replay(RuleSettings("asha", grace=1, factor=3), curves, 4, "val/acc", "max")
    assert result.stopped_at == {"config_002": 1, "config_003": 1}
    finals = {name: seeds[0][4] for name, seeds in curves.items()}
    assert best_survivor(result, finals, "max") == "config_001"  # not the true winner


def test_a_grid_is_judged_in_radical_inverse_order():
    names = [f"config_{i:03d}" for i in range(1, 17)]
    assert [int(n[-3:]) - 1 for n in spread(names)] == [
        0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15,
    ]  # fmt: skip
    assert spread(names[:5]) == [
        "config_001",
        "config_005",
        "config_003",
        "config_002",
        "config_004",
    ]


def test_an_ascending_grid_can_be_stopped_only_in_spread_order():
    """Eight learning rates in value order, each better than the one before it at every epoch:
    in name order, judged as a search's draws, every configuration beats all those judged
    before it and nothing stops; in spread order the first judged span the grid and the weak
    end stops at the first rung."""
    curves = {f"config_00{i}": [{e: 10.0 * i + e for e in range(1, 9)}] for i in range(1, 9)}
    asha = RuleSettings("asha", grace=1, factor=2)
    assert replay(asha, curves, 8, "val/acc", "max", listed=False).stopped_at == {}
    spread_replay = replay(asha, curves, 8, "val/acc", "max", grid=True)
    assert spread_replay.stopped_at, "the weak end of the grid is stopped"
    assert "config_008" not in spread_replay.stopped_at  # the best is never stopped
    assert spread_replay.rule_epochs < spread_replay.full_epochs


def test_the_launch_order_starts_a_grids_configurations_in_judging_order_seeds_together():
    """Four learning rates x two seeds, seeds innermost: configurations 001, 003, 005, 007
    start in spread order (001, 005, 003, 007), each with both its seeds."""
    trials = [
        TrialSpec(
            f"config_00{n}",
            "",
            {"CONFIG_LEARNING_RATE": str((n + 1) // 2), "CONFIG_SEED": str((n + 1) % 2)},
        )
        for n in range(1, 9)
    ]
    grid = EarlyStopper(RuleSettings("asha"), "val/acc", "max", grid=True)
    launched = [t.config_name for t in grid.launch_order(trials)]
    assert launched == [f"config_00{n}" for n in (1, 2, 5, 6, 3, 4, 7, 8)]
    searched = EarlyStopper(RuleSettings("asha"), "val/acc", "max", grid=False)
    assert [t.config_name for t in searched.launch_order(trials)] == [t.config_name for t in trials]


def test_the_replay_reads_a_diverged_seed_up_to_where_it_diverged(tmp_path):
    """A live rule compares a seed's epochs before it diverged like any other, and counts them
    as spent: the replay must see the same curves, or it judges other peers than the live rule
    did (measured on the Pareto bench: a different stop)."""
    from types import SimpleNamespace

    from ksweep.sweep.layout import SweepFolder
    from ksweep.sweepers.audit_report import sweep_curves

    folder = SweepFolder(tmp_path)
    rows = {"config_001": [60.0, 70.0, 80.0], "config_002": [50.0], "config_003": [40.0, 45.0]}
    status = {"config_001": "completed", "config_002": "diverged", "config_003": "failed"}
    records = []
    for name, values in rows.items():
        trial = tmp_path / name
        trial.mkdir()
        lines = [json.dumps({"epoch": e, "val/acc": v}) for e, v in enumerate(values, start=1)]
        (trial / "metrics.jsonl").write_text("\n".join(lines) + "\n")
        records.append({"config_file": name, "test_name": name, "status": status[name]})
    groups = [SimpleNamespace(name="config_001", records=records[:2]),
              SimpleNamespace(name="config_003", records=records[2:])]  # fmt: skip
    curves, longest = sweep_curves(folder, records, groups, "val/acc")
    assert curves == {"config_001": [{1: 60.0, 2: 70.0, 3: 80.0}, {1: 50.0}]}  # not the crash
    assert longest == 3
