"""Ranking a sweep's records and writing ``sweep_analysis.txt`` in the guide's layout.

Pure functions on summary records. Only completed trials are ranked: a
failed trial has no accuracy, and ranking it at 0% (as the tool this one
replaces did) hides failures instead of reporting them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

RULE = "=" * 60
SUBRULE = "-" * 40
TOP_N = 10


def ranked(records: Sequence[dict[str, Any]], metric: str = "test_acc") -> list[dict[str, Any]]:
    """Completed records, best first: higher metric, then shorter training, then name."""
    completed = [r for r in records if r.get("status") == "completed" and r.get(metric) is not None]
    return sorted(
        completed,
        key=lambda r: (-r[metric], r.get("training_time") or 0.0, r.get("config_file") or ""),
    )


def _percent(value: Any) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def _sparsity(value: Any) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _seconds(value: Any) -> str:
    return "n/a" if value is None else f"{value:.1f}s"


def _shown(value: Any) -> str:
    return "n/a" if value is None else str(value)


def analysis_text(records: Sequence[dict[str, Any]], varying_symbols: Sequence[str]) -> str:
    """The full ``sweep_analysis.txt``."""
    best_first = ranked(records)
    failed = [r for r in records if r.get("status") != "completed"]
    out = ["Hyperparameter Sweep Analysis", RULE, ""]
    out.append(f"Total configurations tested: {len(records)}")
    out.append(f"Completed: {len(best_first)} | Failed: {len(failed)}")
    out.append("")
    out.append("BEST CONFIGURATION:")
    out.append(SUBRULE)
    if best_first:
        best = best_first[0]
        out.append(f"Config file: {best['config_file']}")
        out.append(f"Test Accuracy: {_percent(best.get('test_acc'))}")
        out.append(f"Final Sparsity: {_sparsity(best.get('final_sparsity'))}")
        out.append(f"Training Time: {_seconds(best.get('training_time'))}")
        ties = [r["config_file"] for r in best_first[1:] if r["test_acc"] == best["test_acc"]]
        if ties:
            out.append(f"Tied at the same accuracy: {', '.join(ties)}")
        out.append("")
        out.append("Hyperparameters:")
        if varying_symbols:
            out.extend(f"  {name}={_shown(best.get(name))}" for name in varying_symbols)
        else:
            out.append("  (no parameter varies in this sweep)")
    else:
        out.append(
            f"None: no configuration completed ({len(failed)} of {len(records)} failed); "
            "see FAILED TESTS below."
        )
    out.append("")
    out.append(RULE)
    out.append(f"TOP {TOP_N} CONFIGURATIONS:")
    out.append(SUBRULE)
    out.append("")
    for place, record in enumerate(best_first[:TOP_N], start=1):
        out.append(f"{place}. {record['config_file']}")
        out.append(
            f"   Test Acc: {_percent(record.get('test_acc'))} | "
            f"Sparsity: {_sparsity(record.get('final_sparsity'))} | "
            f"Time: {_seconds(record.get('training_time'))}"
        )
        if varying_symbols:
            out.append("   " + " ".join(f"{n}={_shown(record.get(n))}" for n in varying_symbols))
    if not best_first:
        out.append("(none completed)")
    out.append("")
    out.append(RULE)
    out.append("FAILED TESTS:")
    out.append(SUBRULE)
    if failed:
        out.append(f"{len(failed)} of {len(records)} configurations failed:")
        out.append("")
        for record in failed:
            out.append(f"{record['config_file']} [{record.get('status')}]: {record.get('error')}")
            out.append(f"   log: {record.get('log')}")
    else:
        out.append("None.")
    return "\n".join(out) + "\n"
