"""The launchers' planning, without starting an engine: the registry the CLI and make help
read, SLURM_* options into sbatch arguments, Ray slots fitted to the cluster's nodes."""

from __future__ import annotations

import pytest

from ksweep.cli.makevars import VARIABLES, help_text
from ksweep.launch.options import LaunchOptions, SweepError
from ksweep.launch.ray_launcher import data_needs, fit_to_nodes
from ksweep.launch.registry import LAUNCHER_NAMES
from ksweep.launch.slots import Slot
from ksweep.launch.slurm import SlurmSettings


def test_every_launcher_is_a_choice_of_the_cli_and_of_make_help():
    assert LAUNCHER_NAMES == ("local", "ray", "slurm")
    assert "local|ray|slurm" in help_text()
    LaunchOptions(launcher="slurm").check()
    with pytest.raises(SweepError, match="LAUNCHER=pbs is not one of local, ray, slurm"):
        LaunchOptions(launcher="pbs").check()


def test_slurm_options_become_sbatch_arguments_without_a_shell():
    options = LaunchOptions(
        launcher="slurm",
        slurm=(("partition", "cpu"), ("time", "1:00:00"), ("cpus", "4"), ("mem", "8G"),
               ("extra", "--gres=gpu:1 --comment='a b'")),
    )  # fmt: skip
    assert SlurmSettings.of(options).sbatch_options() == [
        "--cpus-per-task", "4", "--partition", "cpu", "--time", "1:00:00", "--mem", "8G",
        "--gres=gpu:1", "--comment=a b",
    ]  # fmt: skip
    assert VARIABLES["SLURM_EXTRA"].args("--qos=short") == ["--slurm-extra=--qos=short"]
    with pytest.raises(SweepError, match="SLURM_CPUS=0"):
        SlurmSettings.of(LaunchOptions(slurm=(("cpus", "0"),)))


def node(name: str, cpus: int) -> dict:
    return {"NodeName": name, "Alive": True, "Resources": {"CPU": float(cpus)}}


def cpu_slots(count: int, threads: int) -> list[Slot]:
    return [Slot(f"cpu#{i}", "cpu", {"KSWEEP_THREADS": str(threads)}) for i in range(count)]


def test_ray_slots_get_no_more_threads_than_the_largest_node_has_cpus():
    fitted = fit_to_nodes(cpu_slots(1, 6), [node("head", 2), node("second", 4)])
    assert fitted[0].env["KSWEEP_THREADS"] == "4"


def test_more_ray_slots_than_the_nodes_can_host_is_refused_with_the_fix():
    with pytest.raises(SweepError) as refused:
        fit_to_nodes(cpu_slots(4, 2), [node("head", 2), node("second", 3)])
    text = str(refused.value)
    assert "head: 2 CPUs, second: 3 CPUs" in text and "not JOBS=4; fix: JOBS=2" in text


def test_a_relative_data_dir_is_the_drivers_own_and_bundled_digits_need_none(tmp_path):
    mnist = 'CONFIG_DATASET_SELECT_MNIST=y\nCONFIG_DATA_DIR="data"\n'
    assert data_needs(mnist, str(tmp_path)) == ("MNIST", str(tmp_path / "data"))
    assert data_needs("CONFIG_DATASET_SELECT_DIGITS=y\n", str(tmp_path)) is None
