"""``make sweep-audit-stop``: replay an early-stopping rule on a finished sweep."""

from __future__ import annotations

import argparse
from pathlib import Path

from ksweep.launch.options import SweepError
from ksweep.sweep.layout import newest_sweep


def cmd_audit_stop(args: argparse.Namespace) -> int:
    from ksweep.sweepers.audit_report import AuditError, audit_text
    from ksweep.sweepers.early_stop import rule_settings

    sweep = Path(args.sweep) if args.sweep else newest_sweep(Path(args.output_dir))
    if sweep is None:
        raise SweepError(f"no sweep under {args.output_dir}/ to audit; name one with SWEEP=DIR")
    overrides = {
        "rule": args.early_stop or "asha",
        "grace": args.es_grace,
        "factor": args.es_factor,
        "warmup": args.es_warmup,
        "min_configs": args.es_min_configs,
        "k": args.es_topk_epochs,
        "keep": args.es_topk_keep,
    }
    settings = rule_settings({}, overrides)
    problems = settings.check()
    if settings.rule == "none":
        problems.append("name the rule to audit: EARLY_STOP=asha, median or topk")
    if problems:
        raise SweepError("EARLY_STOP: " + "; ".join(problems))
    try:
        print(audit_text(sweep, settings, args.metric, args.goal), end="")
    except AuditError as problem:
        raise SweepError(str(problem)) from None
    return 0
