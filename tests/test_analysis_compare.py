"""sweep-compare: two sweeps matched configuration by configuration, judged against noise,
and told apart when their fixed settings differ."""

from synthetic_sweep import ACCURACIES, make_sweep

from ksweep.cli import main


def test_sweep_compare_matches_configurations_and_judges_the_change(tmp_path, capsys):
    a = make_sweep(tmp_path / "a", ACCURACIES, spectral=False)
    b = make_sweep(
        tmp_path / "b",
        {"SGD": [80.0, 81.0, 82.0], "ADAM": [97.5, 97.0, 96.5], "ADAMW": [None, None, None]},
        spectral=False,
    )
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    sgd = next(line for line in out.splitlines() if line.startswith("OPTIMIZER_SELECT=SGD"))
    adam = next(line for line in out.splitlines() if line.startswith("OPTIMIZER_SELECT=ADAM "))
    adamw = next(line for line in out.splitlines() if line.startswith("OPTIMIZER_SELECT=ADAMW"))
    assert "+19.00 +- 4.16" in sgd and sgd.endswith("B better beyond noise")
    assert "-0.00" in adam or "+0.00" in adam
    assert adam.endswith("within noise")
    assert adamw.endswith("failed in B")
    assert "3 configurations in both sweeps; 1 changed beyond noise (1 better in B, 0 worse)" in out
    assert main(["compare", str(a), str(tmp_path / "nope")]) == 2


def test_sweep_compare_says_when_a_fixed_setting_differs(tmp_path, capsys):
    a = make_sweep(tmp_path / "a", ACCURACIES, spectral=False)
    b = make_sweep(
        tmp_path / "b",
        ACCURACIES,
        spectral=False,
        config_lines=('CONFIG_VAL_FRACTION="0"', "CONFIG_NUM_EPOCHS=4"),
        validation=False,
    )
    assert main(["compare", str(a), str(b), "--metric", "test_acc"]) == 0
    out = capsys.readouterr().out
    assert (
        "NOT like for like: 2 fixed settings differ between A and B, so a change below may "
        "come from them rather than from the configuration:\n"
        "  CONFIG_NUM_EPOCHS: A 8, B 4\n"
        "  CONFIG_VAL_FRACTION: A 0.1, B 0\n"
    ) in out
    assert main(["compare", str(a), str(a)]) == 0
    assert "Like for like: A and B share every fixed setting." in capsys.readouterr().out
    # val/acc exists in A only: B's side is "not recorded", never "failed"
    assert main(["compare", str(a), str(b), "--metric", "val/acc"]) == 0
    adam = next(
        line
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("OPTIMIZER_SELECT=ADAM ")
    )
    assert adam.endswith("not recorded in B") and "failed" not in adam
