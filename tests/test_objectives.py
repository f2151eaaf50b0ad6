"""The objectives and constraints of a sweep: how they are written and the order they give."""

from __future__ import annotations

import pytest

from ksweep.objectives import (
    Objective,
    Objectives,
    dominates,
    pareto_ranks,
    parse_constraints,
    parse_objectives,
)


def test_objectives_take_the_metrics_own_goal_when_left_out():
    parsed = parse_objectives("val/acc:max, final_sparsity, val/loss")
    assert parsed == (
        Objective("val/acc", "max"),
        Objective("final_sparsity", "max"),
        Objective("val/loss", "min"),
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "no objective"),
        ("val/acc:up", "not one of max, min"),
        ("val/acc,val/acc:min", "named twice"),
        ("val/acc,,params", "empty objective"),
        ("9lives:max", "not a metric name"),
        ("auto,params", "auto cannot be one of several"),
    ],
)
def test_a_badly_written_objective_says_how_to_write_it(text, says):
    with pytest.raises(ValueError, match=says):
        parse_objectives(text)


def test_constraints_hold_or_break_and_a_missing_number_breaks_them():
    constraints = parse_constraints("params<=8000, training_time<60")
    goals = Objectives((Objective("val/acc", "max"),), constraints)
    assert goals.violated({"params": 8000, "training_time": 10.0}) == []
    assert [c.text() for c in goals.violated({"params": 8001, "training_time": 60})] == [
        "params<=8000",
        "training_time<60",
    ]
    assert [c.text() for c in goals.violated({"training_time": 1})] == ["params<=8000"]


@pytest.mark.parametrize("text", ["params=<8000", "params<=lots", "params<=inf", "<=3"])
def test_a_badly_written_constraint_is_refused(text):
    with pytest.raises(ValueError):
        parse_constraints(text)


def test_non_dominated_sorting_of_known_points():
    goals = ("max", "min")  # accuracy up, parameters down
    points = [(90.0, 8000), (95.0, 20000), (89.0, 9000), (90.0, 8000), (80.0, 30000)]
    assert dominates(points[0], points[2], goals)
    assert not dominates(points[0], points[3], goals)  # equal points: neither dominates
    assert not dominates(points[0], points[1], goals)
    assert pareto_ranks(points, goals) == [1, 1, 2, 1, 3]
