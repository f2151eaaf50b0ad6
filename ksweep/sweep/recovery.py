"""A trial's status.json that does not read: salvage its record, or say that it is lost.

The record in ``status.json`` is the truth the summary is rebuilt from. One
byte that is not UTF-8 (a stray write, a bad sector) made the whole file
unreadable, so a damaged summary and a damaged status together dropped a
finished trial silently and a resume trained it again. Bytes that are not
UTF-8 can only sit inside JSON strings (a log tail, an error), so reading the
file with them replaced recovers the record with its numbers intact; a file
still unreadable after that is named, so nobody mistakes the trial for
one that never ran.
"""

from __future__ import annotations

import json
from typing import Any

from ksweep.sweep.layout import SweepFolder, TrialFolder
from ksweep.sweep.tolerant import load_json


def salvaged_status(folder: TrialFolder) -> dict[str, Any]:
    """status.json read with undecodable bytes replaced (U+FFFD); {} when even that fails."""
    try:
        raw = folder.status.read_bytes()
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def status_notes(folder: SweepFolder, recovered: set[str]) -> list[str]:
    """One sentence per trial whose status.json is damaged: salvaged, or lost and named.
    ``recovered``: the test names whose record the rebuilt summary holds."""
    notes = []
    for trial in folder.trial_folders():
        loaded = load_json(trial.status, dict)
        if loaded.ok or loaded.missing:
            continue
        if trial.name in recovered:
            notes.append(f"{loaded.problem}; its record was read with the bad bytes replaced")
        else:
            notes.append(
                f"{loaded.problem}; no record of {trial.name} survives in it or the summary, so "
                "it counts as not finished (a resume runs it again)"
            )
    return notes
