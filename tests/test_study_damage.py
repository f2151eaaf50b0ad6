"""A damaged study (emptied, or a line of garbage) is refused on resume before anything is
written: no config already run is rewritten, no manifest segment opened."""

from __future__ import annotations

from test_search_resume import KCONFIG, drive, new_folder, snapshot_of, tpe_plan

from ksweep.cli import main
from ksweep.sweep.records import write_summary
from ksweep.sweepers.factory import sweeper_factory


def test_a_damaged_study_is_refused_before_anything_is_written(tmp_path, capsys):
    plan = tpe_plan(tmp_path, samples=4)
    folder = new_folder(tmp_path / "sweep", plan)
    part: list[dict] = []
    drive(sweeper_factory(plan, [], KCONFIG)(folder, set()), part, stop_after=3)
    write_summary(folder, part)
    journal = folder.study.read_bytes()
    configs, manifest = snapshot_of(folder), folder.manifest.read_bytes()
    garbage_line = journal.count(b"\n") + 1
    resume = ["--kconfig", KCONFIG, "run", "--resume", str(folder.path), "--quiet"]
    for damage, said in (
        (b"", "does not know config_001"),
        (journal + b"not json at all\n", f"{folder.study}:{garbage_line} is not"),
    ):
        folder.study.write_bytes(damage)
        assert main(resume) == 2
        assert said in capsys.readouterr().err
        assert snapshot_of(folder) == configs and folder.manifest.read_bytes() == manifest
    folder.study.write_bytes(journal)
    from ksweep.sweepers.study import study_damage

    assert study_damage(folder.study, set(configs)) is None  # the intact study is trusted
