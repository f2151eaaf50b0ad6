"""A diverged draw is a result for the search: TPE is told it as the worst value (0% for an
accuracy), not FAILED, which TPE ignores and would sample next to again."""

from test_search_resume import KCONFIG, new_folder, record, tpe_plan

from ksweep.sweepers.factory import sweeper_factory
from ksweep.sweepers.study import open_study

DIVERGES_ABOVE = 0.02  # learning rates above this "diverge" in this synthetic sweep


def test_a_diverged_draw_is_told_to_tpe_as_the_worst_value(tmp_path):
    plan = tpe_plan(tmp_path, samples=8)
    folder = new_folder(tmp_path / "a", plan)
    sweeper = sweeper_factory(plan, [], KCONFIG)(folder, set())
    diverged = set()
    while (trial := sweeper.ask()) is not None:
        result = record(trial)
        if float(trial.varying["CONFIG_LEARNING_RATE"]) > DIVERGES_ABOVE:
            result.update(status="diverged", test_acc=None, **{"val/acc": None})
            diverged.add(trial.config_name)
        sweeper.tell(trial, result)
    assert diverged, "the sweep drew no learning rate that diverges; widen the range"
    study = open_study(folder.study, "max")
    told = [t for t in study.trials if "configs" in t.user_attrs]
    worst = [t for t in told if set(t.user_attrs["configs"]) & diverged]
    assert worst and all(t.state.name == "COMPLETE" and t.value == 0.0 for t in worst)
    learned = [t for t in told if t not in worst]
    assert learned and all(t.value > 0.0 for t in learned)
