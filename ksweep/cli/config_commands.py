"""The config commands: defconfig, savedefconfig, olddefconfig, menuconfig, data-link."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ksweep.launch.options import SweepError
from ksweep.project import DATA_LINK, DEFCONFIG_DIR


def _tree(args: argparse.Namespace):
    from ksweep.plan.kconfig import KconfigTree

    return KconfigTree(args.kconfig)


def list_defconfigs() -> list[str]:
    folder = Path(DEFCONFIG_DIR)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _defconfig_path(name: str | None, verb: str) -> Path:
    if not name:
        raise SweepError(f"name the defconfig: make {verb}-NAME (see make help for the list)")
    if verb != "defconfig" and ("/" in name or name.startswith(".")):
        raise SweepError(
            f"DEFCONFIG={name!r} is not a name: savedefconfig writes defconfigs/NAME only "
            "(letters, digits, - and _; no folders)"
        )
    path = Path(name) if "/" in name else Path(DEFCONFIG_DIR) / name
    if verb == "defconfig" and not path.is_file():
        available = ", ".join(list_defconfigs()) or "none"
        raise FileNotFoundError(f"{path} does not exist; available defconfigs: {available}")
    return path


def cmd_defconfig(args: argparse.Namespace) -> int:
    """Load a defconfig into .config, with the same checks a sweep gets (no silent drops).

    Dataset files need not be present to load a config: the check that they are
    comes when a sweep is generated from it."""
    from ksweep.plan.build import GenerateOptions, build_plan
    from ksweep.sweep.atomic import write_text_atomic

    path = _defconfig_path(args.name, "defconfig")
    _refuse_range_file(path)
    plan = build_plan(path, _tree(args), options=GenerateOptions(allow_download=True))
    if plan.skipped:
        print(f"{path}: error: {plan.skipped[0].reason}", file=sys.stderr)
        return 2
    for warning in plan.warnings:
        print(warning, file=sys.stderr)
    write_text_atomic(args.config, f"# loaded from {path}\n" + plan.configs[0].config_text)
    print(f"ksweep: {args.config} now holds {path}")
    return 0


def _refuse_range_file(path: Path) -> None:
    """A range file lists several values on a line; loading it would keep the first silently."""
    from ksweep.plan.ranges import parse_range_file

    spec, _ = parse_range_file(path)
    swept = [entry for entry in spec.entries if entry.swept]
    if swept:
        where = swept[0].location
        raise SweepError(
            f"{path} is a range config ({where} sweeps CONFIG_{swept[0].name}), "
            f"not a defconfig; sweep it with `make sweep RANGE_CONFIG={path}`, or load its base "
            "defconfig"
        )


def value_problems(tree, config_path: str | Path) -> list[str]:
    """The checks generate makes, on the minimal form of ``config_path`` (a .config).

    kconfiglib stores any text in a string symbol (LEARNING_RATE="abc"); these are the
    same value checks a sweep's generate applies, so a saved config is one a sweep accepts."""
    import tempfile

    from ksweep.diagnostics import InputErrors
    from ksweep.plan.build import GenerateOptions, build_plan

    tree.load(config_path)
    with tempfile.TemporaryDirectory() as folder:
        minimal = Path(folder) / Path(config_path).name
        minimal.write_text(tree.minimal_text(), encoding="utf-8")
        try:
            plan = build_plan(minimal, tree, options=GenerateOptions(allow_download=True))
        except InputErrors as problems:
            return [
                str(e).replace(str(minimal), f"{config_path} (minimal form)")
                for e in problems.errors
            ]
    return [f"{config_path}: {skip.reason}" for skip in plan.skipped]


def cmd_savedefconfig(args: argparse.Namespace) -> int:
    from ksweep.sweep.atomic import write_text_atomic

    target = _defconfig_path(args.name, "savedefconfig DEFCONFIG=NAME, not")
    if target.exists() and not args.force:
        raise SweepError(
            f"{target} exists; saving would overwrite it. Pick another DEFCONFIG=NAME, or pass "
            "FORCE=1 to replace it"
        )
    if not Path(args.config).is_file():
        raise SweepError(
            f"{args.config} does not exist; create it with `make menuconfig` or "
            "`make defconfig-NAME`"
        )
    tree = _tree(args)
    problems = value_problems(tree, args.config)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(f"ksweep: {target} was not written; fix {args.config} first", file=sys.stderr)
        return 2
    tree.load(args.config)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(target, tree.minimal_text())
    print(f"ksweep: wrote the minimal form of {args.config} to {target}")
    return 0


def cmd_olddefconfig(args: argparse.Namespace) -> int:
    from ksweep.sweep.atomic import write_text_atomic

    tree = _tree(args)
    tree.load(args.config if Path(args.config).is_file() else None)
    for warning in tree.load_warnings():
        print(f"{args.config}: warning: {warning}", file=sys.stderr)
    write_text_atomic(args.config, tree.config_text())
    print(f"ksweep: {args.config} updated with defaults for every new symbol")
    return 0


def cmd_menuconfig(args: argparse.Namespace) -> int:
    """menuconfig, then the generate checks on what it saved (it accepts any string)."""
    tree = _tree(args)
    tree.menuconfig(args.config)
    if not Path(args.config).is_file():
        return 0
    problems = value_problems(_tree(args), args.config)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print(
            f"ksweep: {args.config} was saved with these values, which a sweep refuses; "
            "run make menuconfig again to fix them",
            file=sys.stderr,
        )
        return 2
    return 0


def cmd_list_defconfigs(_args: argparse.Namespace) -> int:
    for name in list_defconfigs():
        kind = "range config" if name.endswith("-range") else "defconfig"
        print(f"  {name:40s} {kind}")
    return 0


def cmd_data_link(args: argparse.Namespace) -> int:
    """Link a local MNIST copy in as data/MNIST/raw, where CONFIG_DATA_DIR's default finds it
    and where torchvision would download it; without such a copy, do nothing."""
    source = Path(args.source)
    if DATA_LINK.exists() or DATA_LINK.is_symlink() or not source.is_dir():
        return 0
    DATA_LINK.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(source.resolve(), DATA_LINK)
    print(f"linked {source} as {DATA_LINK}")
    return 0
