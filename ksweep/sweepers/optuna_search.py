"""A model-based search: Optuna proposes configurations through its ask-and-tell interface.

One Optuna trial is one *configuration*: the proposed point on every seed of
the range config's ``CONFIG_SEED`` line (seeds stay a replicate axis). Optuna
is told the configuration's seed mean of the ranking metric once all its
seeds have finished (a configuration whose every seed failed is told
FAILED). ``SAMPLES`` counts configurations.

Each proposal is resolved like a grid point (Kconfig, rules, pre-flight,
:mod:`ksweep.plan.proposal`); one that cannot run is told FAILED and asked
again, and one that resolves identically to an earlier configuration is not
run twice (discrete spaces make TPE repeat itself): it is told the earlier
one's value and asked again (each such decision is a line of the sweep's
``decisions.jsonl``). Before a proposal is handed out its configs are
written into the sweep's snapshot and their hashes into the manifest, so a
resume verifies them like any other, and the study records which configs are
whose (the ``configs`` user attribute), written *before* the snapshot.

Resume (the study is the journal file ``study.journal``, see
:mod:`ksweep.sweepers.study`): a trial the kill left running whose seeds had
all finished is told its value now; any other is marked FAILED and its
parameters enqueued, so that it is asked again, with the same config names,
and only its unfinished seeds run. Sequential sweeps (``JOBS=1``) continue
exactly as an uninterrupted run would; parallel ones depend on which trial
ends first, as any parallel search does.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from optuna.trial import TrialState

from ksweep.analysis.metrics import bounds_of
from ksweep.analysis.outcomes import outcome_of
from ksweep.analysis.stats import summarize
from ksweep.diagnostics import InputErrors
from ksweep.plan.materialize import config_entry, config_file_text
from ksweep.plan.proposal import SearchSpace
from ksweep.plan.resolve import TypedEntry
from ksweep.sweep.atomic import append_line, write_json_atomic
from ksweep.sweep.layout import CONFIG_NAME, SweepFolder
from ksweep.sweep.manifest import record_configs
from ksweep.sweep.snapshot import add_to_snapshot
from ksweep.sweep.states import is_completed
from ksweep.sweep.tolerant import load_json
from ksweep.sweep.trials import TrialSpec, load_trials
from ksweep.sweepers.study import derived_seed, open_study, sampler

MAX_TRIES = 100  # proposals in a row that cannot run or repeat an earlier one: the space is spent


def distribution_of(dimension: TypedEntry) -> BaseDistribution:
    """The Optuna distribution of one dimension: its interval, or its values as categories."""
    dist = dimension.distribution
    if dist is not None and dist.numeric:
        assert dist.low is not None and dist.high is not None
        if dist.integer:
            return IntDistribution(int(dist.low), int(dist.high), log=dist.log)
        return FloatDistribution(float(dist.low), float(dist.high), log=dist.log)
    return CategoricalDistribution([s.display for s in dimension.settings])


def body_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class OptunaSweeper:
    """Asks Optuna for configurations while the sweep runs; tells it their seed means."""

    def __init__(
        self,
        folder: SweepFolder,
        space: SearchSpace,
        ranking: tuple[str, str],
        done: Iterable[str] = (),
        kept: Sequence[dict[str, Any]] = (),
    ) -> None:
        search = space.search
        self.kind = str(search["method"])
        self.folder = folder
        self.space = space
        self.metric, goal = ranking
        self.goal = goal
        self.seed = int(search.get("seed") or 0)
        self.samples = int(search["samples"])
        self.seeds_per = max(len(space.seeds), 1)
        self.distributions = {d.display_name: distribution_of(d) for d in space.dimensions}
        self.study = open_study(folder.study, goal)
        self.records: dict[str, dict[str, Any]] = {r["config_file"]: r for r in kept}
        self.done = set(done)
        self.pending: deque[TrialSpec] = deque()
        self.members: dict[int, list[str]] = {}  # study trial number -> its config names
        self.owner: dict[str, int] = {}  # config name -> study trial number
        self.by_body: dict[str, int] = {}  # a config's resolved text (sha256) -> trial number
        self.proposed: dict[str, TrialSpec] = {}
        self.spent = False
        self._recover()

    # --- resume -----------------------------------------------------------------------

    def _recover(self) -> None:
        """Rebuild what the study and the snapshot know; settle trials a kill left running."""
        snapshot = {t.config_name: t for t in load_trials(self.folder.snapshot).trials}
        trials = self.study.get_trials(deepcopy=False)
        asked_again = {t.user_attrs.get("asked_again") for t in trials}
        for trial in trials:
            names = list(trial.user_attrs.get("configs") or [])
            if not names or trial.state == TrialState.WAITING:
                continue  # never proposed anything, or enqueued: the next ask pops it first
            if trial.state == TrialState.FAIL and trial.number in asked_again:
                continue  # a kill's leftover, asked again since
            self._register(trial.number, names, trial.user_attrs.get("config_sha256") or [])
            for name in names:
                if name in snapshot:
                    self.proposed[name] = snapshot[name]
            if trial.state == TrialState.RUNNING:
                if all(name in self.records for name in names):
                    self._tell(trial.number)
                else:
                    self._ask_again(trial)
            else:
                # told already (FAILED: every seed failed); seeds a --rerun-failed resume
                # dropped run again, though Optuna keeps what it was told
                self.pending.extend(
                    snapshot[n] for n in names if n in snapshot and n not in self.done
                )

    def _decided(self, **line: Any) -> None:
        """One line of decisions.jsonl: what the search did with a proposal, and why."""
        append_line(
            self.folder.decisions, json.dumps({"search": self.kind, **line}, sort_keys=True)
        )

    def _ask_again(self, trial: optuna.trial.FrozenTrial) -> None:
        names = list(trial.user_attrs["configs"])
        self._decided(
            study_trial=trial.number,
            decision="asked again",
            why="the sweep was killed before all its seeds finished",
            configs=names,
        )
        hashes = list(trial.user_attrs.get("config_sha256") or [])
        self.study.tell(trial.number, state=TrialState.FAIL)
        self.study.enqueue_trial(
            dict(trial.params),
            user_attrs={"configs": names, "config_sha256": hashes, "asked_again": trial.number},
        )
        for name in names:
            self.owner.pop(name, None)
        self.members.pop(trial.number, None)

    def _register(self, number: int, names: list[str], hashes: list[str]) -> None:
        self.members[number] = names
        for name in names:
            self.owner[name] = number
        for digest in hashes:
            self.by_body[digest] = number

    # --- the Sweeper protocol ---------------------------------------------------------

    def total(self) -> int:
        """SAMPLES configurations on every seed (fewer once the space is spent)."""
        if self.spent:
            return len({n for names in self.members.values() for n in names})
        return self.samples * self.seeds_per

    @property
    def to_run(self) -> int:
        return max(0, self.total() - len(self.done))

    def ask(self) -> TrialSpec | None:
        while True:
            while self.pending:
                trial = self.pending.popleft()
                if trial.config_name not in self.done:
                    return trial
            if self.spent or self._configurations() >= self.samples:
                return None
            self._propose()

    def tell_epoch(self, trial: TrialSpec, row: dict[str, Any]) -> None:
        """The study hears whole configurations only (no pruning here)."""

    def tell(self, trial: TrialSpec, record: dict[str, Any]) -> None:
        self.records[trial.config_name] = record
        self.done.add(trial.config_name)
        number = self.owner.get(trial.config_name)
        if number is not None and all(n in self.records for n in self.members[number]):
            self._tell(number)

    def exhausted(self) -> bool:
        return not self.pending and (self.spent or self._configurations() >= self.samples)

    def trials(self) -> list[TrialSpec]:
        return [self.proposed[name] for name in sorted(self.proposed)]

    # --- asking -----------------------------------------------------------------------

    def _configurations(self) -> int:
        """Distinct configurations proposed so far (asked again after a kill counts once)."""
        return len(self.members)

    def _counts(self) -> tuple[int, int]:
        trials = self.study.get_trials(deepcopy=False)
        told = sum(1 for t in trials if t.state == TrialState.COMPLETE)
        running = sum(1 for t in trials if t.state == TrialState.RUNNING)
        return told, running

    def _propose(self) -> None:
        """Ask until a proposal can run and is new (it fills ``pending``), or give up."""
        for attempt in range(MAX_TRIES):
            told, running = self._counts()
            self.study.sampler = sampler(
                self.kind, derived_seed(self.seed, told, running, attempt), self.samples
            )
            trial = self.study.ask(self.distributions)
            try:
                plan = self.space.resolve(trial.params)
            except InputErrors as problems:
                reason = str(problems.errors[0]) if problems.errors else "cannot run"
                trial.set_user_attr("cannot_run", reason)
                self._decided(study_trial=trial.number, decision="replaced", why=reason)
                self.study.tell(trial, state=TrialState.FAIL)
                continue
            hashes = [body_sha256(c.config_text) for c in plan.configs]
            given = list(trial.user_attrs.get("configs") or [])
            if given and list(trial.user_attrs.get("config_sha256") or []) != hashes:
                given = []  # the tree resolves it differently now: it is a new configuration
            earlier = self.by_body.get(hashes[0])
            if earlier is not None and earlier != trial.number and not given:
                self._tell_duplicate(trial, earlier)
                continue
            names = given or self._new_names(len(plan.configs))
            trial.set_user_attr("configs", names)
            trial.set_user_attr("config_sha256", hashes)
            specs = self._write(plan, names)
            self._register(trial.number, names, hashes)
            if all(name in self.records for name in names):
                self._tell(trial.number)  # asked again after a kill, and every seed had finished
                return
            self.pending.extend(s for s in specs if s.config_name not in self.done)
            return
        self.spent = True

    def _tell_duplicate(self, trial: optuna.Trial, earlier: int) -> None:
        """Told the earlier configuration's value (FAILED while that one still runs)."""
        trial.set_user_attr("same_as", earlier)
        value = self._value_of(earlier)
        self._decided(
            study_trial=trial.number,
            decision="replaced",
            why=f"it resolves identically to study trial {earlier}, which is not run twice",
            told=value,
        )
        if value is None:
            self.study.tell(trial, state=TrialState.FAIL)
        else:
            self.study.tell(trial, value)

    def _value_of(self, number: int) -> float | None:
        for trial in self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            if trial.number == number:
                return trial.value
        return None

    def _new_names(self, count: int) -> list[str]:
        used = [int(n.split("_")[1]) for n in [*self.proposed, *self.owner] if CONFIG_NAME.match(n)]
        for trial in self.study.get_trials(deepcopy=False):
            used.extend(int(n.split("_")[1]) for n in trial.user_attrs.get("configs") or [])
        start = max(used, default=0) + 1
        return [f"config_{start + i:03d}" for i in range(count)]

    def _write(self, plan, names: list[str]) -> list[TrialSpec]:
        """Snapshot, plan listing, manifest hashes: in that order (see ksweep.sweepers.factory)."""
        specs, hashes, entries = [], {}, []
        for config, name in zip(plan.configs, names, strict=True):
            # The file is a function of the proposal alone (not of the study trial's number),
            # so a point asked again after a kill writes byte for byte the config it wrote before.
            named = replace(config, name=name)
            spec = TrialSpec(name, config_file_text(plan, named, None), named.varying)
            hashes[name] = add_to_snapshot(self.folder, spec)
            entries.append(config_entry(named))
            specs.append(spec)
            self.proposed[name] = spec
        listing = load_json(self.folder.plan, dict).data or {}
        listed = [c for c in listing.get("configs", []) if c.get("name") not in hashes]
        write_json_atomic(self.folder.plan, {**listing, "configs": [*listed, *entries]})
        record_configs(self.folder.manifest, hashes)
        return specs

    # --- telling ----------------------------------------------------------------------

    def _tell(self, number: int) -> None:
        names = self.members[number]
        if any(self.records[n].get("status") == "pruned" for n in names):
            self._tell_pruned(number, names)
            return
        values = [self.records[n].get(self.metric) for n in names if is_completed(self.records[n])]
        mean = summarize(values).mean
        if any(outcome_of(self.records[n]) for n in names):
            mean = self._worst()  # diverged or at chance: a result, and the worst one
        if mean is None:
            self.study.tell(number, state=TrialState.FAIL, skip_if_finished=True)
        else:
            self.study.tell(number, mean, skip_if_finished=True)

    def _worst(self) -> float | None:
        """The worst value a configuration can be told: the end of the metric's range (0%
        for an accuracy), else the worst value told so far; None (FAILED) if neither exists.
        A diverged or at-chance draw told as the worst keeps TPE away from its region
        (told FAILED, it was ignored: after lr 0.348 diverged, TPE asked lr 0.352)."""
        low, high = bounds_of(self.metric)
        end = low if self.goal == "max" else high
        if end is not None:
            return end
        told = [
            t.value for t in self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        ]
        told = [v for v in told if v is not None]
        if not told:
            return None
        return min(told) if self.goal == "max" else max(told)

    def _tell_pruned(self, number: int, names: list[str]) -> None:
        """An early-stopping rule stopped the configuration: Optuna hears PRUNED, with the
        seed mean at the epoch it reached as its last intermediate value (what TPE ranks
        pruned trials by)."""
        records = [self.records[n] for n in names]
        values = [r.get(self.metric) for r in records if r.get("status") in ("pruned", "completed")]
        mean = summarize(values).mean
        frozen = self.study.get_trials(deepcopy=False)[number]
        if frozen.state.is_finished():
            return
        if mean is not None:
            step = min(int(r.get("epochs_run") or 0) for r in records)
            optuna.trial.Trial(self.study, frozen._trial_id).report(mean, step)
        self.study.tell(number, state=TrialState.PRUNED, skip_if_finished=True)
