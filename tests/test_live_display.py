"""The live block's content, drawn by rich into an 80x24 console held in memory; the
still-improving check; ``ksweep report`` without a display. (The same block on a real
terminal, from a real sweep, is tests/test_live_terminal.py.)"""

from __future__ import annotations

import io

from rich.console import Console

from ksweep.analysis.improving import mean_curve, still_improving
from ksweep.cli import main
from ksweep.launch.events import EpochReported, LoopView, SweepEnded, TrialStarted
from ksweep.monitor.live import LiveDisplay, leading_configuration
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.trials import TrialSpec

VARYING = ["CONFIG_LEARNING_RATE", "CONFIG_SEED"]


def record(name: str, lr: str, seed: int, acc: float | None, status="completed") -> dict:
    return {
        "config_file": name,
        "status": status,
        "val/acc": acc,
        "test_acc": acc,
        "wall_time": 2.0,
        "CONFIG_LEARNING_RATE": lr,
        "CONFIG_SEED": seed,
    }


def console() -> Console:
    return Console(file=io.StringIO(), width=80, height=24, color_system=None)


def test_the_best_is_a_configuration_by_its_seed_mean_not_a_trial():
    records = [record("config_001", "0.1", 0, 98.0), record("config_002", "0.01", 0, 97.0)]
    first = leading_configuration(records, VARYING, "val/acc", "max")
    assert (first.name, first.settings, first.mean, first.seeds) == (
        "config_001",
        "LEARNING_RATE=0.1",
        98.0,
        1,
    )
    # A second seed of config_001 comes in lower: its mean drops, and it is still named
    # as the configuration it is, with two seeds, until the other one's mean is higher.
    records.append(record("config_003", "0.1", 1, 97.0))
    second = leading_configuration(records, VARYING, "val/acc", "max")
    assert (second.name, second.mean, second.seeds) == ("config_001", 97.5, 2)
    records.append(record("config_004", "0.1", 2, 90.0))
    third = leading_configuration(records, VARYING, "val/acc", "max")
    assert (third.name, third.settings, third.mean, third.seeds) == (
        "config_002",
        "LEARNING_RATE=0.01",
        97.0,
        1,
    )


def view(tmp_path, records, running, total=40) -> LoopView:
    epochs = dict.fromkeys(running, 5)
    return LoopView(SweepFolder(tmp_path), total, records, running, len(running) or 1, epochs)


def test_the_block_fits_24_lines_with_30_trials_running(tmp_path):
    out = console()
    display = LiveDisplay(VARYING, ("val/acc", "max"), console=out)
    trials = [
        TrialSpec(f"config_{i:03d}", "", {"CONFIG_LEARNING_RATE": f"0.{i}"}) for i in range(30)
    ]
    running = {t.config_name: None for t in trials}
    done = [record("config_100", "0.5", 0, 91.25)]
    for trial in trials:
        display(TrialStarted(view(tmp_path, done, running), trial, None, "cpu#0", 0))
    display(
        EpochReported(view(tmp_path, done, running), trials[0], None, {"epoch": 3, "val/acc": 88.5})
    )
    out.print(display.block(TrialStarted(view(tmp_path, done, running), trials[0], None, "", 0)))
    lines = out.file.getvalue().splitlines()
    assert len(lines) <= 24
    assert lines[0].startswith("ksweep done 1/40  running 30")
    assert "best val/acc 91.25% (mean of 1 seed) config_100 LEARNING_RATE=0.5" in lines[1]
    assert any("config_000" in line and "3/5" in line and "88.50%" in line for line in lines)
    assert lines[-1].strip().startswith("... and") and "more running" in lines[-1]


def test_the_closing_table_ranks_configurations_and_puts_stopped_ones_after(tmp_path):
    out = console()
    display = LiveDisplay(VARYING, ("val/acc", "max"), console=out)
    records = [
        record("config_001", "0.1", 0, 90.0),
        record("config_002", "0.1", 1, 92.0),
        record("config_003", "0.01", 0, 95.0, status="pruned"),
        record("config_004", "0.001", 0, 93.0),
        record("config_005", "0.3", 0, None, status="failed"),
    ]
    display(SweepEnded(view(tmp_path, records, {}, total=5), "finished", None))
    text = out.file.getvalue()
    rows = [line.split() for line in text.splitlines() if line.strip()[:1].isdigit()]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("1", "config_004", "0.001"),
        ("2", "config_001", "0.1"),
        ("3", "config_003", "0.01"),
    ]
    assert rows[1][3:6] == ["91.00%", "2", "0"] and "stopped" in rows[2]


def test_still_improving_means_the_last_epoch_is_the_best_and_beats_the_one_before():
    assert still_improving([50.0, 60.0, 70.0], "max")
    assert not still_improving([50.0, 70.0, 70.0], "max")  # levelled off
    assert not still_improving([50.0, 80.0, 70.0], "max")  # past its best
    assert still_improving([2.0, 1.5, 1.2], "min")
    assert not still_improving([70.0], "max")
    rows = [[{"val/acc": 10.0}, {"val/acc": 20.0}], [{"val/acc": 30.0}]]
    assert mean_curve(rows, "val/acc") == [20.0]  # as far as every seed reached


def test_report_prints_the_path_where_no_display_exists(tmp_path, monkeypatch, capsys):
    from synthetic_sweep import make_sweep

    one_seed = {"SGD": [60.0], "ADAM": [90.0]}
    sweep = make_sweep(tmp_path / "sweep_20260101_120000", one_seed, spectral=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert main(["report", str(sweep)]) == 0
    out = capsys.readouterr().out
    assert f"ksweep: report: {(sweep / 'report.html').resolve()}" in out
    assert "no display here" in out
    page = (sweep / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<li>Warning: one seed per configuration: no noise estimate" in page


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_live_display_only_on_a_terminal_and_without_v1(monkeypatch):
    from argparse import Namespace

    from ksweep.cli.sweep_commands import live_terminal

    monkeypatch.delenv("V", raising=False)
    monkeypatch.setattr("sys.stdout", io.StringIO())
    assert not live_terminal(Namespace(quiet=False))  # a pipe or a file: plain lines
    monkeypatch.setattr("sys.stdout", Terminal())
    assert live_terminal(Namespace(quiet=False))
    assert not live_terminal(Namespace(quiet=True))
    monkeypatch.setenv("V", "1")
    assert not live_terminal(Namespace(quiet=False))
