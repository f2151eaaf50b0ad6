"""``sweep-refine``: the next round's range config, written from a finished sweep.

The sweep's own records and analysis decide (:mod:`ksweep.analysis.core`,
:func:`ksweep.analysis.report.load_sweep`); :mod:`ksweep.sweepers.refine` turns
the decisions into lines; the file is then generated like any range config,
so what this command writes is known to run: ``make sweep RANGE_CONFIG=OUT``.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal
from pathlib import Path

from ksweep.launch.options import SweepError


def _bounds(tree):
    """symbol name -> (low, high) :class:`~ksweep.sweepers.refine.Bound` pairs from the tree
    (Kconfig ``range`` of ints, under the base) and the schema's float intervals."""
    from ksweep.schema import FLOAT_SYMBOLS
    from ksweep.sweepers.refine import Bound

    def bounds(name: str):
        if name in FLOAT_SYMBOLS:
            b = FLOAT_SYMBOLS[name]
            return Bound(b.low, b.low_open), Bound(b.high, b.high_open)
        info = tree.symbol(name)
        if info is not None and info.type == "int":
            found = tree.int_range(name)
            if found is not None:
                return Bound(Decimal(found[0])), Bound(Decimal(found[1]))
        return None, None

    return bounds


def cmd_refine(args: argparse.Namespace) -> int:
    from ksweep.analysis.core import analyze
    from ksweep.analysis.report import choose_metric, load_sweep
    from ksweep.cli.sweep_commands import _named_or_newest
    from ksweep.diagnostics import InputErrors
    from ksweep.plan.build import GenerateOptions, build_plan
    from ksweep.plan.kconfig import KconfigTree
    from ksweep.plan.ranges import parse_range_text
    from ksweep.plan.sampling import MODEL_METHODS, SAMPLED_METHODS, SearchOptions
    from ksweep.sweep.atomic import write_text_atomic
    from ksweep.sweep.tolerant import load_json
    from ksweep.sweepers.refine import refine_text

    folder = _named_or_newest(args.sweep, args.output_dir, "refine")
    plan = load_json(folder.plan, dict).data
    if not plan or not plan.get("range_config_text"):
        raise SweepError(
            f"{folder.path} keeps no range config (a sweep of a hand-made config folder); "
            "sweep-refine rewrites the range config a sweep was generated from"
        )
    records, varying, notes = load_sweep(folder.path)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    metric, goal = choose_metric(folder.path, records, args.metric, args.goal)
    analysis = analyze(records, varying, metric, goal)
    spec, problems = parse_range_text(plan["range_config_text"], plan.get("range_config") or "?")
    problems.raise_if_errors()
    tree = KconfigTree(args.kconfig)
    base = plan.get("base")
    if base is not None and not Path(base).is_file():
        raise SweepError(f"the sweep's base config {base} is gone; restore it to refine")
    tree.load(base)
    out = Path(args.out or Path("defconfigs") / f"{folder.name}-refine-range")
    search = plan.get("search") or {}
    text, decisions = refine_text(
        analysis, spec, base, out, _bounds(tree), folder.name, search or None
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, text)
    method = search.get("method")
    entries = parse_range_text(text, str(out))[0].entries
    sampled = any(e.sampled for e in entries)
    swept = any(e.swept and e.name != "SEED" for e in entries)
    keep = method if (method in SAMPLED_METHODS and sampled) else None
    keep = method if method in MODEL_METHODS and swept else keep
    options = SearchOptions(keep, search.get("samples") if keep else None, search.get("seed") or 0)
    try:
        next_plan = build_plan(out, tree, options=GenerateOptions(search=options))
    except InputErrors as errors:
        for error in errors.errors:
            print(error, file=sys.stderr)
        print(f"ksweep: {out} was written but does not generate; fix the lines above")
        return 2
    for decision in decisions:
        print(decision.why)
    print(f"ksweep: wrote {out}: {next_plan.count_line()}")
    extra = f" SEARCH={keep} SAMPLES={options.samples} SEARCH_SEED={options.seed}" if keep else ""
    print(f"Next: make sweep RANGE_CONFIG={out}{extra}")
    return 0
