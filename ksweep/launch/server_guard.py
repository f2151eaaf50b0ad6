"""Imported first by the fork server, and only there: the server dies with its runner.

The fork server spends its first seconds importing torch (its preload list)
before it starts watching the pipe that tells it its runner is gone. A
runner killed during those seconds would leave it importing on, alone. So the
first module it preloads asks Linux to end it together with the runner, like
every trial process is.
"""

from ksweep.launch.child import die_with_parent

die_with_parent()
