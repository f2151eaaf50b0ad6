"""Writing a :class:`~ksweep.plan.Plan` into ``sweep_configs/``.

The new folder is built beside the old one and swapped in with renames, so
a reader sees either the previous sweep's complete set or the new one, and
no ``config_*`` file of an older sweep survives to be run by mistake. Files
in the folder that ksweep did not generate are carried over untouched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ksweep import __version__
from ksweep.plan.planned import Plan, PlannedConfig
from ksweep.sweep.atomic import write_json_atomic, write_text_atomic
from ksweep.sweep.layout import COMBINATIONS_FILE, CONFIG_NAME, PLAN_FILE
from ksweep.sweep.locks import folder_lock


def _generated(name: str) -> bool:
    return bool(CONFIG_NAME.match(name)) or name in (COMBINATIONS_FILE, PLAN_FILE)


def format_varying(varying: dict[str, str | None]) -> str:
    return " ".join(
        f"{name}={'n/a' if value is None else value}" for name, value in varying.items()
    )


def config_header(plan: Plan, config: PlannedConfig, position: int | None) -> str:
    """The comment lines a config file starts with; ``position`` None: a search's proposal,
    numbered by its name alone (the total is not known while the search runs)."""
    where = f" ({position} of {len(plan.configs)})" if position is not None else ""
    lines = [f"# ksweep {config.name}{where}, generated from {plan.range_path}"]
    if plan.base:
        lines.append(f"# base: {plan.base}")
    if plan.search:
        origin = f", {config.origin}" if config.origin else ""
        lines.append(
            f"# search: {plan.search.get('method')} (seed {plan.search.get('seed')}){origin}"
        )
    if config.varying:
        lines.append(f"# varying: {format_varying(config.varying)}")
    return "\n".join(lines) + "\n"


def config_file_text(plan: Plan, config: PlannedConfig, position: int | None) -> str:
    """A config file as generated: the header naming its varying values, then the config."""
    return config_header(plan, config, position) + config.config_text


def space_text(dimension: dict) -> str:
    """``loguniform(0.00001,0.1)`` or ``SGD|ADAM`` for one dimension of a search space."""
    if "choices" in dimension:
        return "|".join(dimension["choices"])
    return f"{dimension['form']}({dimension['low']},{dimension['high']})"


def combinations_summary(plan: Plan) -> str:
    """The human-readable listing of every configuration (the guide's combinations_summary)."""
    out = [f"Sweep configurations generated from {plan.range_path}"]
    if plan.base:
        out.append(f"Base config: {plan.base}")
    out.append(f"Total: {plan.count_line()}")
    out.append("")
    search = plan.search or {}
    if search.get("model"):
        out.append(f"Search space ({search['method']} proposes configurations as results come in):")
        for dimension in search.get("space", []):
            out.append(f"  {dimension['symbol']}: {space_text(dimension)}")
        out.append("")
    if plan.varying_symbols and plan.configs:
        out.append("Varying parameters:")
        for name in plan.varying_symbols:
            seen: list[str] = []
            for config in plan.configs:
                value = config.varying.get(name)
                shown = "n/a" if value is None else value
                if shown not in seen:
                    seen.append(shown)
            out.append(f"  {name}: {', '.join(seen)}")
        out.append("")
    if plan.fixed:
        out.append("Fixed parameters:")
        out.extend(f"  {name}={value}" for name, value in plan.fixed.items())
        out.append("")
    for note in plan.notes:
        out.append(f"Note: {note}")
    if plan.notes:
        out.append("")
    for config in plan.configs:
        merged = f"  (from {config.merged} identical combinations)" if config.merged > 1 else ""
        out.append(f"{config.name}:{merged}")
        for name in plan.varying_symbols:
            value = config.varying.get(name)
            out.append(f"  {name}={'n/a' if value is None else value}")
        for warning in config.warnings:
            out.append(f"  warning: {warning}")
    if plan.skipped:
        out.append("")
        out.append(f"Skipped combinations ({len(plan.skipped)}):")
        for skipped in plan.skipped:
            out.append(f"  {format_varying(skipped.varying)}")
            out.append(f"    reason: {skipped.reason}")
    return "\n".join(out) + "\n"


def plan_record(plan: Plan) -> dict:
    """The machine-readable plan the runner reads (sweep_plan.json)."""
    return {
        "ksweep_version": __version__,
        "range_config": plan.range_path,
        "range_config_sha256": plan.range_sha256,
        "range_config_text": plan.range_text,
        "base": plan.base,
        "expanded": plan.expanded,
        "varying_symbols": plan.varying_symbols,
        "fixed": plan.fixed,
        "notes": plan.notes,
        "search": plan.search,
        "kconfig_sha256": plan.kconfig_sha256,
        "configs": [config_entry(c) for c in plan.configs],
        "skipped": [{"varying": s.varying, "reason": s.reason} for s in plan.skipped],
    }


def config_entry(config: PlannedConfig) -> dict:
    """One configuration as sweep_plan.json lists it."""
    entry = {
        "name": config.name,
        "varying": config.varying,
        "merged": config.merged,
        "warnings": list(config.warnings),
    }
    if config.origin:
        entry["origin"] = config.origin
    return entry


def materialize(plan: Plan, out_dir: str | Path) -> Path:
    """Write the plan's configs into ``out_dir``, replacing an earlier generation whole."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
    try:
        for position, config in enumerate(plan.configs, start=1):
            write_text_atomic(staging / config.name, config_file_text(plan, config, position))
        write_text_atomic(staging / COMBINATIONS_FILE, combinations_summary(plan))
        write_json_atomic(staging / PLAN_FILE, plan_record(plan))
        with folder_lock(out_dir):
            if out_dir.exists():
                for item in out_dir.iterdir():
                    if not _generated(item.name):
                        os.replace(item, staging / item.name)
                retired = out_dir.with_name(f".{out_dir.name}.old-{os.getpid()}")
                os.replace(out_dir, retired)
                os.replace(staging, out_dir)
                shutil.rmtree(retired, ignore_errors=True)
            else:
                os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return out_dir
