"""Checkpoints as the run loop sees them: a trial folder to go on in, or to clean up.

A trial that follows the protocol's checkpoints (:mod:`ksweep.protocol`)
can stop existing between two epochs: at a pause (its memory freed while the
rule waits for its peers) or because the sweep was killed. Either way its
folder keeps ``checkpoint/`` and the epochs up to it, and the next start of
the same configuration goes on from there instead of from epoch 1.
"""

from __future__ import annotations

import shutil

from ksweep.sweep.layout import TrialFolder
from ksweep.trial.client import checkpoint_epoch


def resumable(folder: TrialFolder, config_text: str) -> int | None:
    """The checkpoint epoch a new start of this trial may go on from: only a folder of the
    very same config (a folder of another run of the name is never reused)."""
    try:
        same = folder.config.read_text(encoding="utf-8") == config_text
    except (OSError, UnicodeDecodeError):
        return None
    return checkpoint_epoch(folder.checkpoints) if same else None


def clear_handshake(folder: TrialFolder) -> None:
    """Remove the pause/stop files of the previous process before the trial starts again."""
    for path in (folder.paused, folder.resumed, folder.stop_request, folder.final_metrics):
        path.unlink(missing_ok=True)


def discard(folder: TrialFolder, keep: bool) -> None:
    """A finished trial's checkpoints go (KEEP_CHECKPOINTS=1 keeps them)."""
    if not keep:
        shutil.rmtree(folder.checkpoints, ignore_errors=True)


def note_stop(folder: TrialFolder, stopped: dict) -> None:
    """The trial's log ends the way a trial stopped while running ends it."""
    reason = stopped.get("reason")
    line = f"stopped at epoch {stopped.get('epoch')}: {stopped.get('state', 'pruned')}"
    with open(folder.log, "a", encoding="utf-8") as log:
        log.write(line + (f" ({reason})" if reason else "") + "\n")
