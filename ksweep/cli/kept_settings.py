"""A resume runs as the sweep ran: its launch settings come back from the manifest.

Each run segment of ``manifest.json`` records its launch settings
(:meth:`LaunchOptions.record`). A resume given none of them would otherwise
fall back to this machine's defaults: a ``JOBS=2`` sweep would continue one
trial at a time (and with another thread count per trial, other numbers), a
``LAUNCHER=ray`` sweep locally. So every setting the resume's command line
leaves at its default takes the recorded value, and one it gives differently
is named as an override; both are said. FAIL_FAST is not carried over: it
stopped the run at a failure, and resuming is how one continues past it
(FAIL_FAST=1 on the resume asks for it again).
"""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from ksweep.launch.options import LaunchOptions

# LaunchOptions field -> the make variable a user knows it by (device and the rule are
# kept elsewhere: the manifest's device_override and the segment's early_stop).
MAKE_NAMES = {
    "jobs": "JOBS",
    "gpus": "GPUS",
    "trials_per_gpu": "TRIALS_PER_GPU",
    "timeout": "TRIAL_TIMEOUT",
    "retries": "RETRIES",
    "backend": "BACKEND",
    "launcher": "LAUNCHER",
    "allow_download": "ALLOW_DOWNLOAD",
}
_DEFAULTS = {f.name: f.default for f in fields(LaunchOptions)}


def _shown(name: str, value: Any) -> str:
    if isinstance(value, bool):
        value = int(value)
    elif isinstance(value, list | tuple):
        value = ",".join(str(v) for v in value)
    return f"{MAKE_NAMES[name]}={value}"


def _as_option(name: str, value: Any) -> Any:
    return tuple(str(v) for v in value) if name == "gpus" and value else value


def kept_launch(
    options: LaunchOptions, recorded: dict[str, Any]
) -> tuple[LaunchOptions, list[str]]:
    """``options`` with every setting left at its default taken from ``recorded`` (the last
    segment's launch settings), and the notes saying what was kept and what overridden."""
    kept, overridden, changes = [], [], {}
    for name in MAKE_NAMES:
        if name not in recorded:
            continue
        before = _as_option(name, recorded[name])
        given = getattr(options, name)
        if given == _DEFAULTS[name]:
            if before != given and before is not None:
                changes[name] = before
                kept.append(_shown(name, before))
        elif given != before:
            overridden.append(
                f"{_shown(name, given)} (the sweep ran with {_shown(name, before)})"
                if before is not None
                else _shown(name, given)
            )
    notes = []
    if kept:
        notes.append(
            f"resuming with this sweep's own settings: {', '.join(kept)}; give one to override it"
        )
    if overridden:
        notes.append(f"this resume overrides: {', '.join(overridden)}")
    return replace(options, **changes), notes


def rule_note(given: dict[str, Any], recorded: dict[str, Any]) -> str | None:
    """The note for an early-stopping setting this resume changes (None when it keeps them)."""
    changed = {k: v for k, v in given.items() if recorded.get(k) != v}
    if not given or not changed:
        return None
    before = ", ".join(f"{k}={v}" for k, v in recorded.items()) or "the trials' own rule"
    now = ", ".join(f"{k}={v}" for k, v in changed.items())
    return (
        f"this resume changes the early-stopping rule: {now} (the sweep ran with {before}); "
        "trials judged before and after the change were judged by different rules"
    )
