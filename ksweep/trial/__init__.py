"""``import ksweep.trial``: make any training script a ksweep trial (standard library only).

See :mod:`ksweep.trial.client` for the API and :mod:`ksweep.protocol` for the
contract a script in any language can follow.
"""

from ksweep.protocol import (
    CONTINUE,
    EXIT_BAD_INPUT,
    EXIT_CRASH,
    EXIT_DIVERGED,
    EXIT_OK,
    EXIT_PAUSED,
    PAUSE,
    STOP,
)
from ksweep.trial.client import Checkpoint, Trial, TrialConfig

__all__ = [
    "CONTINUE",
    "EXIT_BAD_INPUT",
    "EXIT_CRASH",
    "EXIT_DIVERGED",
    "EXIT_OK",
    "EXIT_PAUSED",
    "PAUSE",
    "STOP",
    "Checkpoint",
    "Trial",
    "TrialConfig",
]
