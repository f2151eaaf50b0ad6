"""A second Ctrl-C while a sweep is stopping: said, not obeyed, so the records get closed.

The first Ctrl-C stops the sweep: the trials are ended, the
manifest's segment closed as ``interrupted``, the summary and analysis
written. A second one arriving during that would raise inside the closing
code, print a traceback and leave the segment ``running``. So from the first
interrupt until the manifest is closed, further ones print a line and are
otherwise ignored (SIGKILL still ends everything; the next resume or analyze
then records the run as killed).
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

STOPPING = "ksweep: already stopping; the trials are being ended and the records written"


def _say_stopping(_signum: int, _frame: Any) -> None:
    print(STOPPING, file=sys.stderr, flush=True)


def shield_from_second_interrupt() -> dict[int, Any] | None:
    """Make SIGINT print :data:`STOPPING`; the previous handler, to restore. (SIGTERM is the
    runner's own to restore; a second one is a request to end, like SIGKILL.)"""
    if threading.current_thread() is not threading.main_thread():
        return None
    return {signal.SIGINT: signal.signal(signal.SIGINT, _say_stopping)}


def lift_shield(previous: dict[int, Any] | None) -> None:
    """Restore the handlers :func:`shield_from_second_interrupt` replaced."""
    for sig, handler in (previous or {}).items():
        signal.signal(sig, handler)
