"""Every output of a sweep folder, written from a synthetic sweep with real trial folders:
results.csv, report.md, plots/, TensorBoard event files, the best defconfig,
and the rule that the per-trial path stays light (no matplotlib, pandas or torch)."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from synthetic_sweep import ACCURACIES, PNG, ROOT, make_sweep

from ksweep.analysis import plotdata, plots
from ksweep.analysis.core import analyze
from ksweep.analysis.report import load_sweep, write_reports
from ksweep.analysis.tensorboard import EVENT_FILE, read_scalars
from ksweep.cli import main


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    folder = make_sweep(tmp_path_factory.mktemp("outputs") / "sweep_20260101_120000", ACCURACIES)
    installed = folder.parent / "project_defconfigs"
    installed.mkdir()
    records, varying, _ = load_sweep(folder)
    write_reports(folder, records, varying, final=True, defconfig_dir=installed)
    return folder


def test_the_text_ranks_configurations_by_their_seed_means(sweep):
    text = (sweep / "sweep_analysis.txt").read_text()
    assert "Config file: config_004" in text
    # The trials' configs hold CONFIG_SWEEP_METRIC="auto" and a validation split: val/acc.
    # 95% CI from the seed variance pooled over the configurations (more degrees of freedom)
    assert "Validation Accuracy: 97.00% +- 1.00 (n=3, 95% CI 94.85% to 99.15%)" in text
    assert "Test Accuracy: 97.00% +- 1.00 (n=3), at the selected point" in text
    assert "config_007 is within noise of the best" in text
    assert "Sweep wall clock: 30.0s (1 run)" in text


def test_results_csv_has_one_row_per_trial(sweep):
    frame = pd.read_csv(sweep / "results.csv")
    assert list(frame["config_file"]) == [f"config_{n:03d}" for n in range(1, 10)]
    assert list(frame["configuration"][:4]) == ["config_001"] * 3 + ["config_004"]
    assert list(frame["rank"][:4]) == [3, 3, 3, 1]
    assert frame.loc[frame["best"], "config_file"].tolist() == [
        "config_004",
        "config_005",
        "config_006",
    ]
    assert frame["within_noise_of_best"].sum() == 3
    assert frame.loc[8, "status"] == "failed" and "diverged" in frame.loc[8, "error"]
    assert {"CONFIG_OPTIMIZER_SELECT", "seed", "test_acc", "val/loss", "wall_time"} <= set(
        frame.columns
    )


def test_report_lists_only_the_varying_symbols_and_links_every_plot(sweep):
    report = (sweep / "report.md").read_text()
    table = [line for line in report.splitlines() if line.startswith("|")]
    assert table[0] == (
        "| rank | configuration | OPTIMIZER_SELECT | val/acc (%) | n | 95% interval "
        "| test_acc at selection (%) | wall time / trial (s) |"
    )
    assert table[2].startswith("| **1** | **config_004** | **ADAM** | **97.00 ± 1.00** | **3** |")
    assert table[3].startswith("| 2 | config_007 ≈ | ADAMW | 96.50 ± 0.71 | 2 |")
    assert "CONFIG_SEED" not in table[0] and "LEARNING_RATE" not in report
    per_seed = [line for line in report.splitlines() if line.startswith("- **Per seed")]
    assert per_seed == [
        "- **Per seed (val/acc):** 0: 97.00%, 1: 98.00%, 2: 96.00% (lowest 96.00%)."
    ]
    assert (
        "- **Selection:** on the validation split (val/acc); test accuracy is reported at the "
        "selected point (the same trials and epoch) and was not used to choose."
    ) in report
    assert "- Sweep wall clock: 30.0s (1 run)" in report
    tensorboard = next(line for line in report.splitlines() if "TensorBoard" in line)
    assert f"tensorboard --logdir {sweep}`" in tensorboard and "HParams lists every trial" in (
        tensorboard
    )
    links = [line.split("](")[1].rstrip(")") for line in report.splitlines() if "![" in line]
    assert sorted(Path(link).name for link in links) == sorted(
        p.name for p in (sweep / "plots").iterdir()
    )
    for link in links:
        assert (sweep / link).read_bytes().startswith(PNG)
    assert f"    make defconfig-{sweep.name}-best" in report  # installed: one command


def test_every_plot_is_drawn(sweep):
    names = sorted(p.name for p in (sweep / "plots").iterdir())
    assert names == [
        "curves.png",
        "marginal_optimizer_select.png",
        "metric.png",
        "metric_vs_time.png",
        "scree.png",
        "scree_normalized.png",
        "wall_time.png",
    ]


def test_tensorboard_event_files_hold_every_epoch_of_every_trial(sweep):
    events = sorted(sweep.glob(f"config_*/{EVENT_FILE}"))
    assert len(events) == 9
    scalars = read_scalars(events[0])
    assert [(step, tag) for step, tag, _ in scalars if tag == "val/acc"] == [
        (1, "val/acc"),
        (2, "val/acc"),
        (3, "val/acc"),
    ]
    assert {tag for _, tag, _ in scalars if not tag.startswith("final/")} == {
        "train/loss",
        "val/loss",
        "val/acc",
        "test_acc",
        "lr",
        "epoch_time",
    }
    assert [v for s, t, v in scalars if t == "test_acc"] == pytest.approx([20.0, 40.0, 60.0])
    assert [(s, v) for s, t, v in scalars if t == "final/test_acc"] == [(3, 60.0)]


def hparams_sessions(sweep: Path) -> dict[str, dict]:
    """Each trial's HParams session as TensorBoard's own reader finds it: run -> hparams,
    with the end status and the final metric tags."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import api_pb2, metadata
    from tensorboard.plugins.hparams.metadata import (
        parse_session_end_info_plugin_data,
        parse_session_start_info_plugin_data,
    )

    sessions = {}
    for path in sorted(sweep.glob(f"config_*/{EVENT_FILE}")):
        events = EventAccumulator(str(path.parent))
        events.Reload()
        content = events.PluginTagToContent(metadata.PLUGIN_NAME)
        start = parse_session_start_info_plugin_data(content[metadata.SESSION_START_INFO_TAG])
        end = parse_session_end_info_plugin_data(content[metadata.SESSION_END_INFO_TAG])
        values = {}
        for name, value in start.hparams.items():
            kind = value.WhichOneof("kind")
            values[name] = getattr(value, kind)
        values["_status"] = api_pb2.Status.Name(end.status)
        values["_metrics"] = sorted(t for t in events.Tags()["scalars"] if t.startswith("final/"))
        sessions[path.parent.name] = values
    return sessions


def test_tensorboards_reader_finds_every_trials_hyperparameters(sweep):
    sessions = hparams_sessions(sweep)
    assert len(sessions) == 9, "the HParams dashboard lists every trial, failed ones too"
    adam = sessions["config_005_optimizer_select-adam_seed-1"]
    assert adam["CONFIG_OPTIMIZER_SELECT"] == "ADAM" and adam["CONFIG_SEED"] == 1.0
    assert adam["configuration"] == "config_004" and adam["status"] == "completed"
    assert adam["_status"] == "STATUS_SUCCESS"
    assert {"final/test_acc", "final/val/acc", "final/val/loss"} <= set(adam["_metrics"])
    failed = sessions["config_009_optimizer_select-adamw_seed-2"]
    assert failed["status"] == "failed" and failed["_status"] == "STATUS_FAILURE"


def test_the_hparams_dashboard_lists_every_trial(sweep):
    """TensorBoard's HParams plugin, answering the dashboard's own request on the sweep folder
    (``tensorboard --logdir <sweep>``), lists one session per trial with its swept values."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import api_pb2, backend_context, list_session_groups

    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(sweep))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(sweep))
    tb = base_plugin.TBContext(logdir=str(sweep), multiplexer=multiplexer, data_provider=provider)
    statuses = [api_pb2.STATUS_UNKNOWN, api_pb2.STATUS_SUCCESS, api_pb2.STATUS_FAILURE]
    request = api_pb2.ListSessionGroupsRequest(
        start_index=0, slice_size=100, allowed_statuses=statuses
    )
    response = list_session_groups.Handler(
        context.RequestContext(), backend_context.Context(tb), "", request
    ).run()
    trials = sorted(p.parent.name for p in sweep.glob(f"config_*/{EVENT_FILE}"))
    assert response.total_size == 9
    assert sorted(group.name for group in response.session_groups) == trials
    by_name = {group.name: group for group in response.session_groups}
    adam = by_name["config_004_optimizer_select-adam_seed-0"]
    assert adam.hparams["CONFIG_OPTIMIZER_SELECT"].string_value == "ADAM"
    metrics = {m.name.tag: m.value for m in adam.metric_values}
    assert metrics["final/test_acc"] == pytest.approx(97.0)


def test_best_defconfig_is_minimal_and_loads(sweep, tmp_path):
    name = f"{sweep.name}-best"
    text = (sweep / "defconfigs" / name).read_text()
    assert (sweep.parent / "project_defconfigs" / name).read_text() == text
    settings = [line for line in text.splitlines() if not line.startswith("#")]
    assert settings == [
        "CONFIG_NUM_EPOCHS=8",
        "CONFIG_BATCH_SIZE=64",
        "CONFIG_OPTIMIZER_SELECT_ADAM=y",
    ], "minimal: the quickstart's own lines and ADAM; no seed 0, no DEVICE override"
    assert text.startswith(f"# Best configuration of {sweep.name} by mean val/acc (max)")
    assert "# selected on the validation split\n" in text
    config = tmp_path / ".config"
    assert main(["defconfig", str(sweep / "defconfigs" / name), "--config", str(config)]) == 0
    assert "CONFIG_OPTIMIZER_SELECT_ADAM=y" in config.read_text()


def test_rerunning_with_another_metric_replaces_every_output(tmp_path):
    folder = make_sweep(tmp_path / "sweep_20260101_130000", ACCURACIES, spectral=False)
    (folder / "plots").mkdir()
    (folder / "plots" / "scree.png").write_bytes(PNG)  # a figure this analysis will not draw
    assert main(["analyze", str(folder), "--metric", "val/loss"]) == 0
    text = (folder / "sweep_analysis.txt").read_text()
    assert "Ranked by: val/loss (Validation Loss), lower is better" in text
    assert not (folder / "plots" / "scree.png").exists()
    report = (folder / "report.md").read_text()
    assert "### Validation Loss per configuration" in report
    # A sweep outside the project keeps its best defconfig to itself: no file in defconfigs/.
    assert f"python -m ksweep defconfig {folder}/defconfigs/{folder.name}-best" in report
    assert not (ROOT / "defconfigs" / f"{folder.name}-best").exists()


def test_the_per_trial_path_imports_neither_matplotlib_nor_pandas_nor_torch(tmp_path):
    folder = make_sweep(tmp_path / "sweep_20260101_140000", ACCURACIES, spectral=False)
    probe = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "import ksweep.launch.runner\n"
        "from ksweep.analysis.report import write_reports, load_sweep\n"
        f"folder = Path({str(folder)!r})\n"
        "records, varying, _ = load_sweep(folder)\n"
        "write_reports(folder, records, varying)\n"
        "heavy = [m for m in ('matplotlib', 'pandas', 'torch') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (folder / "sweep_analysis.txt").is_file()
    assert not (folder / "plots").exists() and not (folder / "report.md").exists()


def test_every_figure_renders_as_a_png(tmp_path):
    """The Agg smoke test: each kind of figure, drawn from plot data, is a real PNG."""
    folder = make_sweep(tmp_path / "sweep_20260101_150000", ACCURACIES, spectral=False)
    records, varying, _ = load_sweep(folder)
    analysis = analyze(records, varying)
    epochs = {
        r["config_file"]: [json.loads(x) for x in (folder / r["test_name"] / "metrics.jsonl")
                           .read_text().splitlines()]
        for r in records
    }  # fmt: skip
    spectra = {r["config_file"]: {"conv1": [3.0, 1.0, 0.2], "fc": [5.0, 0.5]} for r in records}
    figures = plotdata.figures(analysis, epochs, spectra)
    drawn = [
        plots.bar_chart(figures.bars, tmp_path / "png" / "bars.png"),
        plots.bar_chart(figures.wall_time, tmp_path / "png" / "wall.png"),
        plots.scatter_chart(figures.vs_time, tmp_path / "png" / "scatter.png"),
        plots.curve_chart(figures.curves, tmp_path / "png" / "curves.png"),
        plots.marginal_chart(figures.marginals[0], tmp_path / "png" / "marginal.png"),
        plots.scree_chart(figures.scree, tmp_path / "png" / "scree.png"),
        plots.scree_chart(figures.scree_normalized, tmp_path / "png" / "scree_norm.png"),
    ]
    for path in drawn:
        data = path.read_bytes()
        assert data.startswith(PNG), path
        assert len(data) > 15_000, f"{path.name} is suspiciously small ({len(data)} bytes)"
    assert sorted(p.name for p in (tmp_path / "png").iterdir()) == sorted(p.name for p in drawn)


def test_analyze_refuses_a_metric_no_trial_recorded_and_keeps_the_reports(tmp_path, capsys):
    folder = make_sweep(tmp_path / "sweep_20260101_160000", ACCURACIES, False, validation=False)
    assert main(["analyze", str(folder)]) == 0
    capsys.readouterr()
    before = {name: (folder / name).read_bytes() for name in ("sweep_analysis.txt", "report.md")}
    assert (
        b"Selection: on the test set: the trials have no validation split"
        in before["sweep_analysis.txt"]
    )
    assert main(["analyze", str(folder), "--metric", "val/loss"]) == 2
    err = capsys.readouterr().err
    assert "recorded val/loss (it exists only with a validation split, CONFIG_VAL_FRACTION" in err
    assert "nothing was rewritten" in err and "METRIC=test_acc" in err
    assert {name: (folder / name).read_bytes() for name in before} == before
    report = (folder / "report.md").read_text()
    assert report.count("on the test set") == 1, "said once, plainly"
    curves = next(line for line in report.splitlines() if line.startswith("### Training loss"))
    assert curves == "### Training loss and test accuracy of every trial"
