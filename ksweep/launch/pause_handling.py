"""The run loop's pauses: trials that wait at an epoch for an early-stopping verdict.

Part of :class:`~ksweep.launch.loop.RunLoop` (a mixin over its state: the
active trials, the free slots, the launcher, the stop rule), kept apart
because pauses have two forms (see :mod:`ksweep.launch.pauses`): a trial
that checkpointed and exited holds no process and is started again from its
checkpoint when the rule lets it go on; a trial that cannot checkpoint waits
in its process, and at most JOBS of those wait at once.
"""

from __future__ import annotations

from dataclasses import replace

from ksweep.launch.checkpoints import clear_handshake, note_stop
from ksweep.launch.events import TrialDecided
from ksweep.launch.judge import stopped_while_paused
from ksweep.launch.local import checkpointed_pause
from ksweep.launch.pauses import CONTINUE, STOP, Active, NoProcess, compatible
from ksweep.launch.slots import Slot


class PauseHandling:
    """Pause bookkeeping of the run loop; every attribute used here is the loop's own."""

    def _may_start_more(self) -> bool:
        """At most JOBS trials wait paused in their processes (those that cannot checkpoint):
        the rule waits rather than start more, unless nothing else runs to end the wait."""
        resident = running = 0
        for active in self.active.values():
            if active.paused_at is None:
                running += 1
            elif active.exited_record is None:
                resident += 1
        if resident < len(self.launcher.slots) or running:
            return resident < len(self.launcher.slots)
        self._warn(
            f"{resident} trials wait paused in their processes (their command cannot "
            "checkpoint); one more was started so the early-stopping rule can decide"
        )
        return True

    # --- pauses for an early-stopping rule -------------------------------------------

    def _note_pause(self, active: Active) -> None:
        """A trial that paused for a verdict gives its slot to another trial meanwhile."""
        epoch = active.handle.paused_at()
        if epoch is None or epoch in active.decided:
            return
        active.pause(epoch)
        self._changes += 1
        self._release(active)

    def _exited_at_pause(self, active: Active) -> bool:
        """A trial that checkpointed at a pause and exited: paused, holding nothing."""
        found = checkpointed_pause(active.folder)
        if found is None:
            return False
        epoch, record = found
        if active.paused_at is None:
            active.pause(epoch)
            self._release(active)
        active.exited_record = record
        active.handle = NoProcess()
        self._changes += 1
        return True

    def _restart(self, active: Active, slot: Slot, epoch: int) -> None:
        """Start a checkpointed trial again in ``slot``; it goes on after ``epoch``."""
        assert active.launch is not None
        clear_handshake(active.folder)
        launch = replace(active.launch, slot=slot)
        active.handle = self.launcher.start(launch)
        active.launch, active.exited_record = launch, None
        active.slot, active.holds_slot = slot, True
        active.decided.add(epoch)
        active.go_on()

    def _judge_pauses(self) -> None:
        """Ask the rule about every paused trial; go on (in a slot like its own) or stop."""
        if self.stop_rule is None or self._judged == self._changes:
            return
        self._judged = self._changes
        for active in sorted(self.active.values(), key=lambda a: a.trial.config_name):
            if active.paused_at is None:
                continue
            epoch = active.paused_at
            action, decision = self.stop_rule.decide(active.trial, epoch, self.view())
            if action == STOP and decision is not None and active.exited_record is not None:
                active.decided.add(epoch)
                active.go_on()
                self.emit(lambda v, a=active, d=decision: TrialDecided(v, a.trial, d))
                outcome = stopped_while_paused(
                    active.exited_record, decision, epoch, active.elapsed()
                )
                note_stop(active.folder, outcome.stopped or {})
                self._finish(active, outcome)
            elif action == STOP and decision is not None:
                active.decided.add(epoch)
                active.stop_requested = True
                active.go_on()
                active.handle.request_stop(decision)
                self.emit(lambda v, a=active, d=decision: TrialDecided(v, a.trial, d))
            elif action == CONTINUE and active.exited_record is not None:
                slot = next((s for s in self.free if s.kind == active.slot.kind), None)
                if slot is not None:  # else it goes on as soon as a slot of its kind is free
                    self.free.remove(slot)
                    self._restart(active, slot, epoch)
            elif action == CONTINUE:
                slot = next((s for s in self.free if compatible(s, active.slot)), None)
                if slot is None:
                    continue  # it goes on as soon as a slot like its own is free
                self.free.remove(slot)
                active.slot, active.holds_slot = slot, True
                active.decided.add(epoch)
                active.go_on()
                active.handle.resume(epoch)
