"""``make sweep-audit-stop``: replay an early-stopping rule on a finished sweep."""

from __future__ import annotations

import argparse
from pathlib import Path

from ksweep.cli.parser import stop_flags
from ksweep.launch.options import SweepError
from ksweep.sweep.layout import newest_sweep


def cmd_audit_stop(args: argparse.Namespace) -> int:
    from ksweep.sweepers.audit_report import AuditError, audit_text
    from ksweep.sweepers.early_stop import rule_settings

    sweep = Path(args.sweep) if args.sweep else newest_sweep(Path(args.output_dir))
    if sweep is None:
        raise SweepError(f"no sweep under {args.output_dir}/ to audit; name one with SWEEP=DIR")
    settings = rule_settings({}, {"rule": "asha", **stop_flags(args)})
    problems = settings.check()
    if settings.rule == "none":
        problems.append("name the rule to audit: EARLY_STOP=asha, median or topk")
    if problems:
        raise SweepError("EARLY_STOP: " + "; ".join(problems))
    try:
        asked = (args.metric, args.goal, args.objectives, args.constraints)
        print(audit_text(sweep, settings, *asked), end="")
    except AuditError as problem:
        raise SweepError(str(problem)) from None
    return 0
