"""The audit of the Pareto stop rule as pure functions of known curves: the replay's stops and
trial-epochs, the i-Epoch baseline in Pareto order, and the full sweep's front with the
configurations a constraint or an outcome leaves out."""

from __future__ import annotations

from types import SimpleNamespace

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


def group(name: str, *records: dict) -> SimpleNamespace:
    return SimpleNamespace(name=name, records=list(records))


def finished(acc: float, sparsity: float, params: int, status: str = "completed") -> dict:
    return {
        "status": status,
        "val/acc": acc,
        "final_sparsity": sparsity,
        "params": params,
        "test_acc": acc,
        "num_classes": 10,
    }


def test_the_full_front_leaves_out_what_breaks_a_constraint_or_diverged():
    objectives = Objectives(ACC_SPARSITY, (Constraint("params", "<=", 8000.0),))
    groups = [
        group("config_001", finished(90.0, 0.5, 6000), finished(92.0, 0.5, 6000)),
        group("config_003", finished(80.0, 0.9, 6000), finished(82.0, 0.9, 6000)),
        group("config_005", finished(70.0, 0.7, 6000), finished(70.0, 0.7, 6000)),  # dominated
        group("config_007", finished(99.0, 0.9, 9000), finished(99.0, 0.9, 9000)),  # too big
        group("config_009", finished(99.0, 0.95, 6000, "diverged"), finished(99.0, 0.95, 6000)),
    ]
    front, apart, points = full_front(groups, objectives)
    assert front == ["config_001", "config_003"]
    assert apart == {"config_007": "breaks params<=8000", "config_009": "diverged"}
    assert points["config_001"] == [91.0, 0.5]
