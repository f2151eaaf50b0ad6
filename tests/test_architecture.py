"""The layering the design promises, checked on the code itself.

Planning, the sweep folder, the monitor and the analysis never import torch;
launch never imports the analysis or the monitor; the subpackages import
each other without cycles; no module is over 400 lines.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ksweep"
SUBPACKAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())


def imports_of(path: Path) -> set[str]:
    """Every ksweep module a file imports, at any depth (lazy imports count too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ksweep"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("ksweep"))
    return found


def subpackage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in SUBPACKAGES else None


def package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in SUBPACKAGES}
    for name in SUBPACKAGES:
        for path in (PACKAGE / name).rglob("*.py"):
            for module in imports_of(path):
                target = subpackage_of(module)
                if target and target != name:
                    graph[name].add(target)
    return graph


def test_launch_never_imports_the_analysis_or_the_monitor():
    assert not package_graph()["launch"] & {"analysis", "monitor", "cli"}


def test_there_are_no_cycles_between_subpackages():
    graph = package_graph()
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[node] = "done"

    for name in SUBPACKAGES:
        if name not in state:
            visit(name, [name])
    assert cycles == [], f"import cycles between subpackages: {cycles}"


def test_only_the_kconfig_module_imports_kconfiglib_and_only_plots_import_matplotlib():
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(ROOT).as_posix()
        if "import kconfiglib" in text or "from menuconfig" in text:
            assert relative == "ksweep/plan/kconfig.py", relative
        if "import matplotlib" in text:
            assert relative.startswith("ksweep/analysis/") and "plot" in path.name, relative


@pytest.mark.parametrize(
    "modules",
    [
        "ksweep.plan.build, ksweep.plan.materialize, ksweep.plan.preflight",
        "ksweep.sweep.layout, ksweep.sweep.records, ksweep.sweep.manifest",
        "ksweep.monitor.status, ksweep.monitor.observers, ksweep.monitor.estimate",
        "ksweep.analysis.report, ksweep.analysis.text, ksweep.analysis.tables",
        "ksweep.launch.runner, ksweep.launch.loop, ksweep.sweepers.fixed, ksweep.cli",
    ],
)
def test_the_parent_side_never_imports_torch(modules):
    code = f"import sys, {modules}; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_no_module_is_over_400_lines():
    long = {
        path.relative_to(ROOT).as_posix(): n
        for path in [*PACKAGE.rglob("*.py"), *(ROOT / "models").glob("*.py")]
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


# What the trial protocol's files are called: only the client and the sweep side may spell them.
PROTOCOL_FILES = ("STOP_REQUEST", "PAUSED_FILE", "RESUME_FILE", "EPOCHS_FILE", "FINAL_METRICS")


def test_ksweeps_trainer_is_a_trial_like_any_other():
    """The trainer talks to a sweep only through the public client (ksweep.trial): it never
    imports the launcher, the sweepers or the monitor, nor names a protocol file itself."""
    for path in (PACKAGE / "train").rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        for module in imports_of(path):
            assert subpackage_of(module) not in {"launch", "sweepers", "monitor", "cli"}, (
                f"{relative} imports {module}"
            )
            assert not module.startswith("ksweep.trial.") or module == "ksweep.trial", (
                f"{relative} imports {module}: use the package's public names"
            )
        text = path.read_text(encoding="utf-8")
        assert not [name for name in PROTOCOL_FILES if name in text], relative
    uses = imports_of(PACKAGE / "train" / "trainer.py") | imports_of(
        PACKAGE / "train" / "__main__.py"
    )
    assert "ksweep.trial" in uses


def test_launch_and_the_run_loop_never_import_the_trainer():
    for path in (PACKAGE / "launch").rglob("*.py"):
        assert not [m for m in imports_of(path) if m.startswith("ksweep.train")], path.name


def test_the_trial_client_needs_only_the_standard_library():
    code = (
        "import sys, ksweep.trial; heavy = {'torch', 'numpy', 'kconfiglib', 'pandas'}; "
        "assert not heavy & set(sys.modules), heavy & set(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
