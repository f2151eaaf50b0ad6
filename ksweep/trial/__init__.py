"""``import ksweep.trial``: make any training script a ksweep trial (standard library only).

See :mod:`ksweep.trial.client` for the API and :mod:`ksweep.trial.protocol` for the
contract a script in any language can follow.
"""

from ksweep.trial.client import Checkpoint, Trial, TrialConfig
from ksweep.trial.protocol import (
    CONTINUE,
    EXIT_BAD_INPUT,
    EXIT_CRASH,
    EXIT_DIVERGED,
    EXIT_OK,
    EXIT_PAUSED,
    PAUSE,
    STOP,
)

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
