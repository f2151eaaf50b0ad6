"""Multi-objective search (Optuna's TPE and NSGA-II through ask-and-tell, journal storage): told
one seed mean per objective, a diverged or failed draw told the worst on every objective,
constraints stored before the tell and read by the sampler, and a resumed study that continues
exactly as an uninterrupted one."""

import math

import pytest
from test_search_resume import KCONFIG, new_folder, score, snapshot_of, tpe_plan

from ksweep.objectives import Constraint, Objective, Objectives
from ksweep.sweep.records import write_summary
from ksweep.sweepers.factory import sweeper_factory
from ksweep.sweepers.search_values import CONSTRAINTS_ATTR
from ksweep.sweepers.study import open_study

OBJECTIVES = Objectives(
    (Objective("val/acc", "max"), Objective("training_time", "min")),
    (Constraint("params", "<=", 3000.0),),
)
DIVERGES_ABOVE = 0.03  # learning rates above this "diverge" in this synthetic sweep
FAILS_BELOW = 2e-4  # and below this every seed "crashes"


def measured(trial) -> dict:
    """A trial's record: accuracy from the learning rate, time and size from the batch size
    (a larger batch trains faster and, here, comes with a larger model)."""
    values = trial.varying
    batch = int(values["CONFIG_BATCH_SIZE"])
    lr = float(values["CONFIG_LEARNING_RATE"])
    record = {
        "config_file": trial.config_name,
        "test_name": trial.test_name,
        "status": "completed",
        "val/acc": score(values),
        "test_acc": score(values),
        "training_time": 100.0 / batch + 0.01 * int(values["CONFIG_SEED"]),
        "params": 50.0 * batch,
        **values,
    }
    if lr > DIVERGES_ABOVE:
        record.update(status="diverged", test_acc=None, **{"val/acc": None})
    elif lr < FAILS_BELOW:
        record.update(status="failed", test_acc=None, **{"val/acc": None, "training_time": None})
    return record


def drive(sweeper, records: list[dict], stop_after: int | None = None) -> None:
    """The run loop's part, sequentially (JOBS=1); stop early to 'kill' it."""
    while (trial := sweeper.ask()) is not None:
        if stop_after is not None and len(records) >= stop_after:
            return
        records.append(measured(trial))
        sweeper.tell(trial, records[-1])


def proposals(records: list[dict]) -> list[tuple]:
    keys = ("config_file", "CONFIG_LEARNING_RATE", "CONFIG_BATCH_SIZE", "CONFIG_SEED")
    return sorted(tuple(r[k] for k in keys) for r in records)


def factory(plan):
    return sweeper_factory(plan, [], KCONFIG, objectives=OBJECTIVES)


def told(folder) -> list:
    study = open_study(folder.study, OBJECTIVES.goals)
    return [t for t in study.trials if t.state.name == "COMPLETE" and "configs" in t.user_attrs]


@pytest.mark.parametrize("method", ["tpe", "nsga2"])
def test_each_objective_is_told_its_seed_mean_and_a_resume_continues_identically(tmp_path, method):
    plan = tpe_plan(tmp_path, samples=9, seed=3)
    plan["search"]["method"] = method
    whole = new_folder(tmp_path / "whole", plan)
    records: list[dict] = []
    drive(factory(plan)(whole, set()), records)
    assert len(records) == 18  # 9 configurations x 2 seeds
    study = open_study(whole.study, ("max", "min"))
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    by_name = {r["config_file"]: r for r in records}
    learned = [
        t
        for t in told(whole)
        if all(by_name[n]["status"] == "completed" for n in t.user_attrs["configs"])
    ]
    assert learned, "every draw diverged or failed; move the thresholds"
    for trial in learned:
        seeds = [by_name[n] for n in trial.user_attrs["configs"]]
        assert trial.values[0] == pytest.approx(sum(r["val/acc"] for r in seeds) / 2)
        assert trial.values[1] == pytest.approx(sum(r["training_time"] for r in seeds) / 2)

    killed = new_folder(tmp_path / "killed", plan)
    part: list[dict] = []
    drive(factory(plan)(killed, set()), part, stop_after=7)  # inside a configuration's seeds
    write_summary(killed, part)
    drive(factory(plan)(killed, {r["config_file"] for r in part}), part)
    assert proposals(part) == proposals(records)
    assert snapshot_of(killed) == snapshot_of(whole)
    assert [t.values for t in told(killed)] == [t.values for t in told(whole)]


def test_a_diverged_or_failed_draw_is_told_the_worst_on_every_objective(tmp_path):
    plan = tpe_plan(tmp_path, samples=12, seed=1)
    folder = new_folder(tmp_path / "a", plan)
    records: list[dict] = []
    drive(factory(plan)(folder, set()), records)
    status = {r["config_file"]: r["status"] for r in records}
    by_name = {r["config_file"]: r for r in records}
    trials = told(folder)
    worst = [t for t in trials if status[t.user_attrs["configs"][0]] in ("diverged", "failed")]
    assert {status[t.user_attrs["configs"][0]] for t in worst} == {"diverged", "failed"}, (
        "the draws never diverged and failed both; move the thresholds"
    )
    for trial in worst:
        # accuracy: the end of its range; training time (unbounded above): the worst of those
        # told so far and its own (a diverged draw took its time; a failed one reports none)
        earlier = [t.values[1] for t in trials if t.number < trial.number]
        own = [by_name[n]["training_time"] for n in trial.user_attrs["configs"]]
        known = [v for v in own if v is not None]
        worst_time = max([*earlier, *([sum(known) / len(known)] if known else [])])
        assert trial.values == [0.0, pytest.approx(worst_time)]


def test_constraints_are_stored_before_the_tell_and_reach_the_sampler(tmp_path):
    plan = tpe_plan(tmp_path, samples=8, seed=2)
    plan["search"]["method"] = "nsga2"
    folder = new_folder(tmp_path / "c", plan)
    records: list[dict] = []
    drive(factory(plan)(folder, set()), records)
    by_name = {r["config_file"]: r for r in records}
    study = open_study(folder.study, ("max", "min"))
    feasible, infeasible = [], []
    for trial in (t for t in study.trials if t.state.name == "COMPLETE"):
        owner = study.trials[trial.user_attrs.get("same_as", trial.number)]  # a repeat: told its
        params = by_name[owner.user_attrs["configs"][0]]["params"]  # earlier twin's numbers
        assert trial.user_attrs[CONSTRAINTS_ATTR] == [params - 3000.0]
        assert list(trial.system_attrs["constraints"]) == [params - 3000.0]  # the sampler's
        (feasible if params <= 3000.0 else infeasible).append(trial.number)
    assert feasible and infeasible, "the draws did not straddle the constraint; move the bound"
    front = {t.number for t in study.best_trials}
    assert front and front <= set(feasible)  # Optuna's own front leaves out what breaks it


def test_a_strict_bound_and_a_missing_number_as_the_sampler_reads_them():
    from ksweep.sweepers.search_values import violation

    assert violation(Constraint("params", "<=", 10.0), 10.0) == 0.0
    assert violation(Constraint("params", "<", 10.0), 10.0) > 0.0
    assert violation(Constraint("final_sparsity", ">=", 0.5), 0.75) == -0.25
    assert violation(Constraint("final_sparsity", ">", 0.5), 0.5) > 0.0
    assert violation(Constraint("params", "<=", 10.0), None) == math.inf
