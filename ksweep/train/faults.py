"""Deliberate failures (CONFIG_DEBUG_FAULT) for testing how sweeps record them.

Each fault imitates a real failure mode as the launcher would see it:
``crash`` an unexpected exception (traceback, exit status 1), ``hang`` a
stuck process (only the launcher's timeout ends it), ``nan`` a numerical
divergence (the trainer's own check reports it, exit status 3), ``orphan``
a run that starts a background process and then finishes normally (the
launcher must end that process with the trial).
"""

from __future__ import annotations

import subprocess
import sys
import time

import torch


class FaultInjector:
    """Fires the configured fault once training reaches the configured epoch."""

    def __init__(self, kind: str, epoch: int) -> None:
        self.kind = kind
        self.epoch = epoch

    def at_epoch_start(self, epoch: int) -> None:
        """Crash, hang or leave a process behind here if that is the fault due at ``epoch``."""
        if epoch != self.epoch or self.kind not in ("crash", "hang", "orphan"):
            return
        print(f"injecting fault: {self.kind} at epoch {epoch}", flush=True)
        if self.kind == "orphan":
            child = subprocess.Popen(
                [sys.executable, "-c", "import time; time.sleep(600)"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # leaves the trial's process group and session too
            )
            print(f"background process {child.pid} started", flush=True)
            return
        if self.kind == "crash":
            raise RuntimeError(f"injected fault: crash at epoch {epoch}")
        while True:  # a hang, faithfully: nothing but the launcher's timeout ends it
            time.sleep(3600)

    def poison(self, loss: torch.Tensor, epoch: int, batch: int) -> torch.Tensor:
        """The loss, made NaN on the first batch of the ``nan`` fault's epoch.

        One NaN backward pass is enough: it turns the gradients, the optimizer
        state and then the weights into NaN, as a real divergence does.
        """
        if self.kind == "nan" and epoch == self.epoch and batch == 0:
            print(f"injecting fault: nan at epoch {epoch}", flush=True)
            return loss * float("nan")
        return loss
