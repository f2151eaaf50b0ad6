"""What generating promised, checked again when a run starts, before any trial.

Generating is a plan: it may be made on a machine without the dataset (the
guide's CIFAR-10 example on a fresh clone), so missing dataset files are a
warning then, and an error here, when the run would start training. The
Kconfig tree may also change between ``sweep-generate`` and ``sweep-run``:
the plan records the tree's hash, and a run under another tree first checks
that every config still resolves identically (the same check a resume makes).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ksweep.diagnostics import Refusal
from ksweep.plan.kconfig import KconfigTree
from ksweep.plan.preflight import Checked, Locator, preflight
from ksweep.plan.ranges import RangeSpec
from ksweep.sweep.trials import TrialSpec

PLAN_TREE_HASH = "kconfig_sha256"  # the plan's record of the tree it was generated under


def data_warnings(configs: Sequence[Checked], project: Path, data_roots=()) -> list[str]:
    """Generate time: what a run would refuse for lack of dataset files, as warnings."""
    strict = preflight(
        configs,
        Locator(RangeSpec("the generated configs", "", ()), None),
        allow_download=False,
        project=project,
        data_roots=data_roots,
    )
    return [
        f"warning: {d.message} (a run refuses to start until the files are there)"
        for d in strict.diagnostics.errors
    ]


def check_before_run(
    trials: Sequence[TrialSpec],
    plan: dict | None,
    tree: KconfigTree | None,
    allow_download: bool,
    project: Path,
) -> list[str]:
    """Notes to print; Refusal naming every problem when the configs cannot run as planned."""
    if not trials:
        return []
    notes: list[str] = []
    generated_under = (plan or {}).get(PLAN_TREE_HASH)
    if tree is not None and generated_under and tree.digest() != generated_under:
        from ksweep.plan.revalidate import listed, revalidate

        problems = revalidate(trials, tree, allow_download, project)
        if problems:
            raise Refusal(
                "the Kconfig tree changed since these configs were generated, and they no "
                f"longer hold: {listed(problems)}. Generate them again (make sweep-generate)"
            )
        notes.append(
            "the Kconfig tree changed since these configs were generated; all of them still "
            "resolve identically and pass pre-flight, so the run records today's tree"
        )
        return notes
    result = preflight(
        (Checked(t.config_name, t.config_text) for t in trials),
        Locator(RangeSpec("the sweep's configs", "", ()), None),
        allow_download=allow_download,
        project=project,
    )
    errors = [d.message for d in result.diagnostics.errors]
    if errors:
        raise Refusal(
            "no trial was started: " + "; ".join(errors[:6]) + ("; ..." if len(errors) > 6 else "")
        )
    return notes
