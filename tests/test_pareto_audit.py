"""The audit of the Pareto stop rule as pure functions of known curves: the replay's stops and
trial-epochs, the i-Epoch baseline in Pareto order, and the full sweep's front with the
configurations a constraint or an outcome leaves out."""

from __future__ import annotations

from ksweep.analysis.core import analyze
from ksweep.objectives import Constraint, Objective, Objectives
from ksweep.sweepers.audit_pareto import pareto_i_epoch_front, pareto_replay
from ksweep.sweepers.audit_pareto_report import full_front
from ksweep.sweepers.stopping import RuleSettings

ACC_SPARSITY = (Objective("val/acc", "max"), Objective("final_sparsity", "max"))
EPOCHS = 8


def seeds(accuracy: float, sparsity: float, slope: float) -> list[dict[int, list[float]]]:
    """Two seeds of a configuration that learns ``slope`` points an epoch at a fixed sparsity."""
    return [
        {e: [accuracy + slope * e + 0.1 * s, sparsity] for e in range(1, EPOCHS + 1)}
        for s in (0, 1)
    ]


CURVES = {
    "config_001": seeds(50.0, 0.5, 5.0),  # learns, little pruning
    "config_003": seeds(10.0, 0.5, 0.0),  # learns nothing at the same sparsity: dominated
    "config_005": seeds(40.0, 0.9, 5.0),  # learns, heavily pruned: on the front
    "config_007": seeds(10.0, 0.9, 0.0),  # learns nothing at 0.9: dominated by config_005
}


def test_the_replay_stops_the_dominated_configurations_at_the_first_rung():
    asha = RuleSettings("asha", grace=1, factor=2)
    replay = pareto_replay(asha, CURVES, EPOCHS, ACC_SPARSITY)
    assert replay.stopped_at == {"config_003": 1, "config_007": 1}
    assert replay.full_epochs == 4 * 2 * EPOCHS
    assert replay.rule_epochs == 2 * 2 * EPOCHS + 2 * 2 * 1
    stop = next(d for d in replay.decisions if d["configuration"] == "config_007")
    assert stop["dominated_by"] == ["config_005"]
    # the i-Epoch baseline at the rule's budget keeps both front configurations from k=1 on
    front = ["config_001", "config_005"]
    points = pareto_i_epoch_front(CURVES, EPOCHS, ACC_SPARSITY, replay.rule_epochs, front)
    assert points[0].k == 1 and points[0].kept == 2 and points[0].front_kept == tuple(front)
    assert all(p.trial_epochs <= replay.rule_epochs for p in points)
    tight = pareto_i_epoch_front(CURVES, EPOCHS, ACC_SPARSITY, 4 * 2 * 1 + 14, front)
    assert [p.front_kept for p in tight] == [("config_001",)]  # one goes on, the first in order


def finished(config: str, seed: int, acc: float, sparsity: float, params: int, status="completed"):
    return {
        "config_file": f"{config}_{seed}",
        "status": status,
        "CONFIG_LEARNING_RATE": config,  # one configuration per "learning rate"
        "CONFIG_SEED": seed,
        "val/acc": acc,
        "final_sparsity": sparsity,
        "params": params,
        "test_acc": acc,
        "num_classes": 10,
    }


def test_the_full_front_is_the_analysis_front_with_constraints_and_outcomes_apart():
    """The audit reports the analysis's own front (one owner of what the front is)."""
    objectives = Objectives(ACC_SPARSITY, (Constraint("params", "<=", 8000.0),))
    records = [
        finished("a", 0, 90.0, 0.5, 6000), finished("a", 1, 92.0, 0.5, 6000),
        finished("b", 0, 80.0, 0.9, 6000), finished("b", 1, 82.0, 0.9, 6000),
        finished("c", 0, 70.0, 0.7, 6000), finished("c", 1, 70.0, 0.7, 6000),  # dominated
        finished("d", 0, 99.0, 0.9, 9000), finished("d", 1, 99.0, 0.9, 9000),  # too big
        finished("e", 0, 99.0, 0.95, 6000, "diverged"), finished("e", 1, 99.0, 0.95, 6000),
    ]  # fmt: skip
    analysis = analyze(records, ["CONFIG_LEARNING_RATE", "CONFIG_SEED"], "val/acc", "max")
    names = {g.records[0]["CONFIG_LEARNING_RATE"]: g.name for g in analysis.groups}
    full = full_front(analysis, objectives)
    assert full.front == [names["a"], names["b"]]
    assert full.apart == {names["d"]: "breaks params<=8000", names["e"]: "a seed diverged"}
    assert full.points[names["a"]] == [91.0, 0.5]
    assert names["c"] in full.points and names["c"] not in full.front


def test_a_stop_on_the_front_within_noise_makes_the_verdict_risky():
    """As the single-objective audit calls a stop within noise of the winner risky."""
    from ksweep.sweepers.audit import Replay
    from ksweep.sweepers.audit_pareto_report import _verdict

    asha = RuleSettings("asha", grace=1, factor=3)
    replay = Replay(asha, {"config_004": 1}, [], 12, 9)
    front = ["config_001"]
    said = _verdict(asha, replay, front, front, [], ["config_004"])
    assert said.startswith("Verdict: risky here: it keeps the whole front but stops config_004")
    assert _verdict(asha, replay, front, front, [], []).startswith("Verdict: safe here")
