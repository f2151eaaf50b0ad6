"""``make sweep-compare A=DIR B=DIR``: the same configurations of two sweeps side by side.

Configurations are matched by the values of every symbol that varies in
either sweep (a symbol fixed in one sweep is read from its trials'
config.txt), seeds pooled. For each match the change B - A is given with
its 95% interval (Welch), and called a change beyond noise only when that
interval excludes zero; with one seed on either side there is no noise
estimate and the text says so.

A change means something only if everything else was the same, so the
settings *fixed* in each sweep (the same in all its trials, read from the
configs/ snapshot or the trials' config.txt) are compared too: any that
differ are listed, and the comparison is then said not to be like for like.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ksweep.analysis.core import Analysis
from ksweep.analysis.labels import settings_text
from ksweep.analysis.stats import SEED_SYMBOL, Group, welch_difference
from ksweep.analysis.words import mean_text
from ksweep.configfile import ConfigFileError, parse_config_text
from ksweep.sweep.layout import SweepFolder
from ksweep.sweep.records import typed_value
from ksweep.sweep.tolerant import read_text
from ksweep.sweep.trialfiles import config_values

_CHOICE_MEMBER = re.compile(r"^(.+_SELECT)_([A-Z0-9_]+)$")
UNSET = "(not set)"


@dataclass(frozen=True)
class Match:
    key: dict[str, Any]
    a: Group | None
    b: Group | None
    change: float | None  # b - a, in stored units
    half_width: float | None  # 95% interval of the change; None without seeds on both sides
    verdict: str


def _settings(sweep_dir: Path, group: Group, symbols: list[str]) -> dict[str, Any]:
    values = dict(group.settings)
    missing = [s for s in symbols if s not in values]
    if missing:
        folder = SweepFolder(sweep_dir)
        config = _config_of(folder, group.representative())
        if config is None:
            config = config_values(folder.trial_of(group.representative()))
        for symbol in missing:
            values[symbol] = typed_value(config.get(symbol.removeprefix("CONFIG_")))
    return {s: values.get(s) for s in symbols}


def _judge(a: Group | None, b: Group | None, goal: str) -> tuple[float | None, float | None, str]:
    if a is None or b is None:
        return None, None, f"only in {'B' if a is None else 'A'}"
    if a.metric.mean is None or b.metric.mean is None:
        side = (
            "A and B"
            if a.metric.mean is None and b.metric.mean is None
            else ("A" if a.metric.mean is None else "B")
        )
        missing = [g for g in (a, b) if g.metric.mean is None]
        word = "not recorded" if all(g.unrecorded for g in missing) else "failed"
        return None, None, f"{word} in {side}"
    change, half = welch_difference(a.metric, b.metric)
    if half is None:
        return change, None, "no noise estimate (one seed)" if change else "no change"
    if abs(change) <= half:
        return change, half, "within noise"
    better = (change > 0) == (goal == "max")
    return change, half, "B better beyond noise" if better else "B worse beyond noise"


def match(a_dir: Path, a: Analysis, b_dir: Path, b: Analysis) -> list[Match]:
    """Every configuration of A and B, matched where their symbol values agree."""
    symbols = list(dict.fromkeys(a.symbols + b.symbols))
    keyed_a = {repr(list(_settings(a_dir, g, symbols).values())): g for g in a.groups}
    keyed_b = {repr(list(_settings(b_dir, g, symbols).values())): g for g in b.groups}
    out = []
    for key in list(keyed_a) + [k for k in keyed_b if k not in keyed_a]:
        ga, gb = keyed_a.get(key), keyed_b.get(key)
        source = ga or gb
        assert source is not None
        settings = _settings(a_dir if ga else b_dir, source, symbols)
        change, half, verdict = _judge(ga, gb, a.goal)
        out.append(Match(settings, ga, gb, change, half, verdict))
    return out


def _config_of(folder: SweepFolder, record: dict) -> dict[str, str] | None:
    """A trial's config as values, with each ``X_SELECT_Y=y`` choice folded into
    ``X_SELECT=Y`` (the name a sweep varies it by): the snapshot, else its config.txt."""
    snapshot = folder.snapshot / str(record.get("config_file"))
    trial = folder.trial_of(record)
    for path in (snapshot, trial.config if trial is not None else None):
        if path is None or not path.is_file():
            continue
        try:
            raw = parse_config_text(read_text(path), str(path))
        except ConfigFileError:
            continue
        values: dict[str, str] = {}
        for name, value in raw.items():
            member = _CHOICE_MEMBER.match(name)
            if member and value in ("y", "n"):
                if value == "y":
                    values[member.group(1)] = member.group(2)
                continue
            values[name] = value
        return values
    return None


def fixed_settings(sweep_dir: Path, analysis: Analysis) -> dict[str, str] | None:
    """The settings every trial of a sweep shares (the varying ones, the seed and the
    analysis' own SWEEP_* left out); None when no trial's config can be read."""
    folder = SweepFolder(sweep_dir)
    configs = [c for r in analysis.records if (c := _config_of(folder, r)) is not None]
    if not configs:
        return None
    skip = {s.removeprefix("CONFIG_") for s in analysis.varying_symbols} | {
        SEED_SYMBOL.removeprefix("CONFIG_")
    }
    names = sorted({k for c in configs for k in c} - skip)
    fixed = {}
    for name in names:
        values = {c.get(name, UNSET) for c in configs}
        if len(values) == 1 and not name.startswith("SWEEP_"):
            fixed[name] = values.pop()
    return fixed


def fixed_differences(a_dir: Path, a: Analysis, b_dir: Path, b: Analysis) -> list[str] | None:
    """``CONFIG_VAL_FRACTION: A 0.1, B 0`` for each setting fixed in both sweeps that
    differs; None when either sweep's configs cannot be read."""
    fixed_a, fixed_b = fixed_settings(a_dir, a), fixed_settings(b_dir, b)
    if fixed_a is None or fixed_b is None:
        return None
    varying = {s.removeprefix("CONFIG_") for s in a.varying_symbols + b.varying_symbols}
    out = []
    for name in sorted(set(fixed_a) | set(fixed_b)):
        if name in varying:
            continue
        va, vb = fixed_a.get(name, UNSET), fixed_b.get(name, UNSET)
        if va != vb:
            out.append(f"CONFIG_{name}: A {va}, B {vb}")
    return out


def like_for_like_lines(a_dir: Path, a: Analysis, b_dir: Path, b: Analysis) -> list[str]:
    differences = fixed_differences(a_dir, a, b_dir, b)
    if differences is None:
        return ["Fixed settings not compared: no configs/ snapshot or config.txt to read."]
    if not differences:
        return ["Like for like: A and B share every fixed setting."]
    count = len(differences)
    return [
        f"NOT like for like: {count} fixed setting{'s differ' if count != 1 else ' differs'} "
        "between A and B, so a change below may come from "
        f"{'them' if count != 1 else 'it'} rather than from the configuration:",
        *(f"  {line}" for line in differences),
    ]


def compare_text(a_dir: Path, a: Analysis, b_dir: Path, b: Analysis) -> str:
    metric = a.metric
    matches = match(a_dir, a, b_dir, b)
    rows = [("configuration", "A", "B", f"change B - A ({metric.name})", "verdict")]
    for m in matches:
        if m.change is None:
            change = ""
        elif m.half_width is None:
            change = f"{m.change * metric.scale:+.{metric.decimals}f}"
        else:
            change = (
                f"{m.change * metric.scale:+.{metric.decimals}f} +- {metric.spread(m.half_width)}"
            )
        rows.append(
            (
                settings_text(m.key, short=True, sep=", ") or "(the one configuration)",
                _side(a, m.a),
                _side(b, m.b),
                change,
                m.verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        f"Sweep comparison by {metric.name} ({metric.label}), {metric.direction(a.goal)}; "
        "change beyond noise = its 95% interval (Welch) excludes 0",
        f"A: {a_dir}  ({len(a.records)} trials, {len(a.groups)} configurations)",
        f"B: {b_dir}  ({len(b.records)} trials, {len(b.groups)} configurations)",
        *like_for_like_lines(a_dir, a, b_dir, b),
        "",
    ]
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    both = [m for m in matches if m.a is not None and m.b is not None]
    beyond = [m for m in both if "beyond noise" in m.verdict]
    better = [m for m in beyond if "better" in m.verdict]
    lines += [
        "",
        f"{len(both)} configurations in both sweeps; {len(beyond)} changed beyond noise "
        f"({len(better)} better in B, {len(beyond) - len(better)} worse).",
    ]
    if both and not any(m.half_width is not None for m in both):
        lines.append(
            "One seed per configuration on at least one side: no noise estimate; "
            "add CONFIG_SEED=0|1|2 to both sweeps."
        )
    return "\n".join(lines) + "\n"


def _side(analysis: Analysis, group: Group | None) -> str:
    if group is None:
        return "-"
    if group.metric.mean is None:
        if group.unrecorded:
            return "not recorded"
        return f"failed ({len(group.not_counted)} of {len(group.records)})"
    return f"{mean_text(analysis.metric, group.metric)} [{group.name}]"
