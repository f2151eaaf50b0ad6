"""The sweeper interface: defined where the run loop that drives it lives.

Sweepers implement :class:`ksweep.launch.base.Sweeper` (propose trials, hear
their epochs and results); it is re-exported here for the sweepers' own use.
"""

from ksweep.launch.base import Sweeper

__all__ = ["Sweeper"]
