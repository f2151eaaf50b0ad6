"""Pre-flight at generate time: what would fail in every trial is refused before anything runs.

Each case goes through the guide's generator script in a fresh interpreter
that must not import torch, and checks the exit status, the exact
``file:line`` of the message, and that the config folder was not touched.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep_helpers import ROOT, run_script_without_torch

QUICKSTART = ROOT / "defconfigs" / "quickstart"


def generate(tmp_path: Path, text: str, *extra: str):
    range_file = tmp_path / "case-range"
    range_file.write_text(text)
    out = tmp_path / "configs"
    out.mkdir(exist_ok=True)
    (out / "keep.txt").write_text("untouched")
    result = run_script_without_torch(
        "scripts/generate_config_combinations.py", str(range_file), str(out), *extra
    )
    return result, range_file, out


def assert_refused(result, out: Path) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "nothing was written" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


ERRORS = [
    pytest.param(
        "CONFIG_DATA_SUBSET=100\nCONFIG_BATCH_SIZE=64|128\n",
        3,
        "CONFIG_BATCH_SIZE must not exceed the 100 training images of this run (digits, "
        "CONFIG_DATA_SUBSET=100, CONFIG_VAL_FRACTION=0.1), found 128; fix: lower the batch size",
        id="batch-larger-than-the-training-set",
    ),
    pytest.param(
        "CONFIG_VAL_FRACTION=0.5\nCONFIG_BATCH_SIZE=800\n",
        3,
        "CONFIG_BATCH_SIZE must not exceed the 718 training images of this run",
        id="batch-against-what-the-validation-split-leaves",
    ),
    # Missing dataset files are a warning at generate time and an error when a run starts:
    # tests/test_before_run.py::test_missing_data_warns_at_generate_and_refuses_the_run.
    pytest.param(
        'CONFIG_DATASET_SELECT_MNIST=y\nCONFIG_DATA_DIR="../../../etc"\n',
        3,
        'CONFIG_DATA_DIR="../../../etc" resolves to /etc, outside the project',
        id="data-dir-escapes-the-project",
    ),
    pytest.param(
        'CONFIG_DATA_DIR="' + "x" * 2000 + '"\n',
        2,
        "CONFIG_DATA_DIR is 2000 characters long, more than the 1024 a value may have",
        id="overlong-value",
    ),
    pytest.param(
        'CONFIG_DATA_DIR="data/' + "y" * 300 + '"\n',
        2,
        "CONFIG_DATA_DIR holds a folder name longer than 255 bytes",
        id="overlong-folder-name",
    ),
]


@pytest.mark.parametrize(("body", "line", "message"), ERRORS)
def test_a_problem_every_trial_would_hit_is_an_error_at_its_line(tmp_path, body, line, message):
    empty = tmp_path / "no-data-here"
    empty.mkdir()
    text = f"# ksweep: base={QUICKSTART}\n" + body.replace("{empty}", str(empty))
    result, range_file, out = generate(tmp_path, text)
    assert f"{range_file}:{line}: error: {message.replace('{empty}', str(empty))}" in (
        result.stderr
    ), result.stderr
    assert_refused(result, out)


def test_identical_findings_of_several_configurations_are_reported_once(tmp_path):
    text = f"# ksweep: base={QUICKSTART}\nCONFIG_DATA_SUBSET=100\nCONFIG_BATCH_SIZE=200\n"
    text += "CONFIG_SEED=0|1|2\n"
    result, range_file, out = generate(tmp_path, text)
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"{range_file}:3: error: CONFIG_BATCH_SIZE must not exceed")
    assert errors[0].endswith("(3 configurations: config_001, config_002, config_003)")
    assert_refused(result, out)


def test_allowing_downloads_accepts_missing_files_that_can_be_fetched(tmp_path):
    empty = tmp_path / "no-data-here"
    empty.mkdir()
    text = f"# ksweep: base={QUICKSTART}\nCONFIG_DATASET_SELECT_MNIST=y\n"
    text += f'CONFIG_DATA_DIR="{empty}"\n'
    result, _, out = generate(tmp_path, text, "--allow-download")
    assert result.returncode == 0, result.stderr
    assert (out / "config_001").is_file()


def test_a_pruning_schedule_that_never_prunes_is_a_warning_with_the_numbers(tmp_path):
    text = (
        f"# ksweep: base={QUICKSTART}\nCONFIG_OPTIMIZER_SELECT_ADAMWPRUNE=y\n"
        'CONFIG_PRUNING_METHOD="state"\nCONFIG_TARGET_SPARSITY=0.7\n'
        "CONFIG_PRUNING_WARMUP=7800|11700  # the guide's epoch 20 or 30\n"
        "CONFIG_PRUNING_RAMP_END_EPOCH=70\n"
    )
    result, range_file, out = generate(tmp_path, text)
    assert result.returncode == 0, result.stderr
    assert (
        f"{range_file}:5: warning: CONFIG_PRUNING_WARMUP=7800 steps is not before the end of "
        "training (168 steps = 8 epochs x 21), so no weight is ever pruned: final sparsity will "
        "be 0 against CONFIG_TARGET_SPARSITY=0.7" in result.stderr
    ), result.stderr
    assert f"{range_file}:6: warning: CONFIG_PRUNING_RAMP_END_EPOCH=70 is after the last" in (
        result.stderr
    )
    assert (out / "config_002").is_file()  # warnings weaken a sweep; they do not stop it
    assert "warning: CONFIG_PRUNING_WARMUP=7800" in (out / "combinations_summary.txt").read_text()


def test_a_problem_of_the_base_points_at_the_base_line(tmp_path):
    base = tmp_path / "mybase"
    base.write_text(QUICKSTART.read_text() + "CONFIG_DATA_SUBSET=50\n")
    lines = base.read_text().splitlines()
    batch_line = 1 + next(i for i, line in enumerate(lines) if line.startswith("CONFIG_BATCH"))
    text = f"# ksweep: base={base}\nCONFIG_SEED=0|1\n"
    result, _, out = generate(tmp_path, text)
    assert f"{base}:{batch_line}: error: CONFIG_BATCH_SIZE must not exceed the 50" in (
        result.stderr
    ), result.stderr
    assert_refused(result, out)


def test_an_empty_range_file_is_an_error(tmp_path):
    result, range_file, out = generate(tmp_path, "# nothing but a comment\n\n")
    assert f"{range_file}: error: the range config sets no CONFIG_ symbol" in result.stderr
    assert_refused(result, out)
