"""The live progress line names the same leader the closing "Best:" line will."""

from __future__ import annotations

from ksweep.analysis.core import analyze
from ksweep.monitor.progress import leader, view


def record(name: str, acc: float | None, wall: float, lr: str, seed: int = 0) -> dict:
    status = "completed" if acc is not None else "failed"
    return {
        "config_file": name,
        "status": status,
        "test_acc": acc,
        "wall_time": wall,
        "CONFIG_LEARNING_RATE": lr,
        "CONFIG_SEED": seed,
    }


def closing_best(records: list[dict]) -> str | None:
    varying = sorted({k for r in records for k in r if k.startswith("CONFIG_")})
    best = analyze(records, varying).ranking.best
    return best.name if best else None


TEST = ("test_acc", "max")  # the ranking every sweep here is given


def test_an_exact_tie_goes_to_the_faster_configuration_as_in_the_closing_line() -> None:
    records = [
        record("config_001", 97.5, 12.0, "0.1"),
        record("config_002", 97.5, 9.0, "0.01"),  # same accuracy, faster: ranked first
        record("config_003", 96.0, 5.0, "0.001"),
    ]
    assert leader(records, *TEST) == ("config_002", 97.5)
    assert closing_best(records) == "config_002"


def test_seeds_are_averaged_into_their_configuration() -> None:
    records = [
        record("config_001", 99.0, 10.0, "0.1", seed=0),
        record("config_002", 95.0, 10.0, "0.1", seed=1),  # config_001's second seed
        record("config_003", 98.0, 10.0, "0.01", seed=0),
        record("config_004", 98.0, 10.0, "0.01", seed=1),
    ]
    # The single best trial is config_001 (99.0), but its configuration averages 97.0.
    assert leader(records, *TEST) == ("config_003", 98.0)
    assert closing_best(records) == "config_003"


def test_failed_trials_never_lead_and_the_line_says_so_when_none_completed() -> None:
    failed = [record("config_001", None, 3.0, "0.1")]
    assert leader(failed, *TEST) == (None, None)
    assert view(2, failed, running=1, concurrency=2, ranking=TEST).line().endswith("best -")
    records = [*failed, record("config_002", 80.0, 4.0, "0.01")]
    line = view(2, records, running=0, concurrency=2, ranking=TEST).line()
    assert line.endswith("best 80.00% config_002 (mean of 1 seed)")
    assert "done 1/2" in line and "failed 1" in line


def test_before_any_trial_finishes_running_trials_project_the_eta() -> None:
    assert view(4, [], running=2, concurrency=2, ranking=TEST).eta_seconds is None
    projected = view(4, [], running=2, concurrency=2, projected=[100.0, 140.0], ranking=TEST)
    assert projected.eta_seconds == 240.0  # 4 trials of 120 s, two at a time
    finished = [record("config_001", 90.0, 30.0, "0.1")]
    assert (
        view(4, finished, 1, 2, projected=[500.0], ranking=TEST).eta_seconds == 45.0
    )  # measured wins


def test_the_leader_is_ranked_by_the_sweeps_own_metric_and_goal() -> None:
    records = [
        {**record("config_001", 97.0, 5.0, "0.1"), "val/loss": 0.30, "last3_test_acc": 96.0},
        {**record("config_002", 96.0, 5.0, "0.01"), "val/loss": 0.20, "last3_test_acc": 96.5},
    ]
    assert leader(records, *TEST) == ("config_001", 97.0)
    assert leader(records, "val/loss", "min") == ("config_002", 0.20)
    line = view(2, records, 0, 1, ranking=("last3_test_acc", "max")).line()
    assert line.endswith("best last3_test_acc 96.50% config_002 (mean of 1 seed)")
    assert (
        view(2, records, 0, 1, ranking=("val/loss", "min"))
        .line()
        .endswith("best val/loss 0.2000 config_002 (mean of 1 seed)")
    )


def test_the_plain_line_names_the_configuration_and_its_seed_count() -> None:
    records = [
        record("config_001", 97.0, 5.0, "0.1", seed=0),
        record("config_002", 95.0, 5.0, "0.1", seed=1),  # config_001's second seed
        record("config_003", 95.5, 5.0, "0.01"),
    ]
    line = view(3, records, running=0, concurrency=1, ranking=TEST).line()
    assert line.endswith("best 96.00% config_001 (mean of 2 seeds)")
