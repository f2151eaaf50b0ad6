"""Early stopping on Pareto rank (MOASHA) as a pure function of known rung values: what it keeps
and stops, the crowding-distance tie-break inside the cut front, the noise guard with seeds, the
one-seed case, and what a rung reads for costs known only at the end."""

from __future__ import annotations

import math

import pytest

from ksweep.objectives import Objective, Objectives, parse_objectives
from ksweep.sweepers.early_stop import EarlyStopper, early_stopper
from ksweep.sweepers.pareto_order import crowding_distances, pareto_order
from ksweep.sweepers.pareto_stopping import (
    ParetoCurve,
    judged_at_rungs,
    pareto_verdict,
    seed_points,
)
from ksweep.sweepers.stopping import CONTINUE, STOP, WAIT, RuleSettings

ACC_LOSS = (Objective("val/acc", "max"), Objective("val/loss", "min"))
ASHA = RuleSettings("asha", grace=1, factor=2)


def config(name: str, *seeds: tuple[float, float], epoch: int = 1, size: int | None = None):
    """A configuration whose seeds reported (val/acc, val/loss) at ``epoch``."""
    return ParetoCurve(name, tuple({epoch: list(s)} for s in seeds), size or len(seeds))


def judge(configs, subject, settings=ASHA, objectives=ACC_LOSS):
    return pareto_verdict(settings, configs, subject, 1, objectives)


def test_the_top_share_in_pareto_order_goes_on_and_a_dominated_one_stops():
    configs = [
        config("c1", (90.0, 0.30)),  # the front: best accuracy
        config("c2", (80.0, 0.20)),  # the front: best loss
        config("c3", (85.0, 0.25)),  # the front, between them
        config("c4", (70.0, 0.50)),  # dominated by all three
        config("c5", (60.0, 0.60)),  # dominated by all of them
        config("c6", (95.0, 0.90)),  # the front again (best accuracy of all)
    ]
    actions = {c.name: judge(configs, c.name).action for c in configs}
    assert actions == {n: CONTINUE for n in ("c1", "c2", "c3", "c6")} | {"c4": STOP, "c5": STOP}
    stopped = judge(configs, "c5").evidence
    assert stopped["pareto_rank"] == 3 and stopped["state"] == "pruned"
    assert stopped["kept"] == ["c1", "c2", "c3"]  # judged so far: c1 to c5 (c6 comes later)
    assert judge(configs, "c6").evidence["kept"] == ["c2", "c6", "c1"]  # ends, then crowding
    assert "no noise estimate" in stopped["summary"]  # one seed per configuration
    assert "Pareto rank 3" in stopped["summary"] and "dominates it" in stopped["summary"]


def test_outside_the_kept_share_but_dominated_by_no_kept_one_goes_on():
    configs = [
        config("c1", (90.0, 0.10)),  # dominates everything
        config("c2", (50.0, 0.20)),
        config("c3", (60.0, 0.30)),  # on the second front, not dominated by c2
    ]
    # factor 4: only c1 is kept; c3 is dominated by c1, c2 too
    asha4 = RuleSettings("asha", grace=1, factor=4)
    assert judge(configs, "c3", asha4).action == STOP
    mixed = [config("c1", (90.0, 0.30)), config("c2", (80.0, 0.10)), config("c3", (85.0, 0.20))]
    # the front is all three; the cut (2 of 3) drops c3 by crowding, but nothing dominates it
    verdict = judge(mixed, "c3")
    assert verdict.action == CONTINUE and verdict.evidence["kept"] == ["c1", "c2"]
    assert "no kept configuration dominates it" in verdict.evidence["why_not"]


def test_crowding_distance_breaks_ties_inside_the_cut_front():
    points = [(1.0, 5.0), (2.0, 4.0), (2.1, 3.9), (4.0, 2.0), (5.0, 1.0)]
    distances = crowding_distances(points)
    assert math.isinf(distances[0]) and math.isinf(distances[4])
    assert distances[3] > distances[2] > distances[1]  # b, next to a and c, is most crowded
    order = pareto_order(["a", "b", "c", "d", "e"], points, ("max", "max"))
    assert order == [("a", 1), ("e", 1), ("d", 1), ("c", 1), ("b", 1)]
    assert crowding_distances([(1.0, 1.0), (2.0, 2.0)]) == [math.inf, math.inf]  # name decides


def test_with_seeds_a_configuration_stops_only_when_dominated_beyond_noise():
    best = config("c1", (90.0, 0.20), (91.0, 0.21))
    close = config("c2", (85.0, 0.24), (92.0, 0.30))  # worse on means, its interval reaches c1
    far = config("c3", (60.0, 0.80), (61.0, 0.81))
    asha4 = RuleSettings("asha", grace=1, factor=4)  # only the best of the three is kept
    kept_out = judge([best, close, far], "c2", asha4)
    assert kept_out.evidence["kept"] == ["c1"] and kept_out.action == CONTINUE
    stopped = judge([best, close, far], "c3", asha4)
    assert stopped.action == STOP and "95% intervals" in stopped.evidence["summary"]
    assert stopped.evidence["dominated_by"] == ["c1"]


def test_a_configuration_waits_until_every_earlier_one_has_reached_the_rung():
    running = ParetoCurve("c1", ({},), 1)  # started, no row at epoch 1 yet
    configs = [running, config("c2", (10.0, 2.0))]
    assert judge(configs, "c2").action == WAIT
    ended = ParetoCurve("c1", ({},), 1, (0,))  # ended before the rung: nothing to wait for
    assert judge([ended, config("c2", (10.0, 2.0))], "c2").action == CONTINUE
    topk = RuleSettings("topk", k=1, keep=0.5)  # top-k waits for every configuration
    assert judge([config("c1", (10.0, 2.0)), running], "c1", topk).action == WAIT


def test_a_rung_reads_stand_ins_for_sparsity_and_time_and_leaves_params_out():
    objectives = parse_objectives("val/acc:max,final_sparsity:max,training_time:min,params:min")
    judged, left_out = judged_at_rungs(Objectives(objectives))
    assert [o.metric for o in judged] == ["val/acc", "final_sparsity", "training_time"]
    assert [o.metric for o in left_out] == ["params"]
    rows = [
        {"epoch": 2, "val/acc": 70.0, "sparsity": 0.5, "epoch_time": 1.5},
        {"epoch": 1, "val/acc": 50.0, "sparsity": 0.2, "epoch_time": 2.0},
    ]
    assert seed_points(rows, judged) == {1: [50.0, 0.2, 2.0], 2: [70.0, 0.5, 3.5]}
    # ksweep's trainer prunes to its configured target: that, not the sparsity mid-ramp
    pruned = {"PRUNING_METHOD": "magnitude", "TARGET_SPARSITY": "0.9"}
    assert seed_points(rows, judged, pruned) == {1: [50.0, 0.9, 2.0], 2: [70.0, 0.9, 3.5]}
    dense = {"PRUNING_METHOD": "none", "TARGET_SPARSITY": "0.9"}
    assert seed_points(rows, judged, dense)[1][1] == 0.0


def test_the_rule_is_refused_or_warned_about_where_it_cannot_judge(capsys):
    several = Objectives(parse_objectives("val/acc:max,params:min"))
    stopper = early_stopper({}, {"rule": "asha"}, "val/acc", "max", objectives=several)
    assert stopper is not None and stopper.objectives == several
    assert "cannot see params before a trial ends" in capsys.readouterr().err
    with pytest.raises(ValueError, match="median rule has no form for several objectives"):
        early_stopper({}, {"rule": "median"}, "val/acc", "max", objectives=several)
    costs = Objectives(parse_objectives("params:min,epochs_run:min"))
    with pytest.raises(ValueError, match="none of params:min,epochs_run:min is reported"):
        early_stopper({}, {"rule": "asha"}, "params", "min", objectives=costs)
    one = Objectives((Objective("val/acc", "max"),))
    assert EarlyStopper(ASHA, "val/acc", "max", objectives=one).objectives is None  # as today
