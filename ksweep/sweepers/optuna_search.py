"""A model-based search: Optuna proposes configurations through its ask-and-tell interface.

One Optuna trial is one *configuration*: the proposed point on every seed of
the range config's ``CONFIG_SEED`` line (seeds stay a replicate axis). Optuna
is told the configuration's seed mean of each objective once all its seeds
have finished: one value for a single metric, one per objective for
``OBJECTIVES=`` (a multi-objective study); what a diverged, at-chance or
failed configuration is told, and how constraints reach the sampler, is
:mod:`ksweep.sweepers.search_values`'s rule. ``SAMPLES`` counts
configurations; ``SEARCH=tpe`` or ``nsga2`` picks the sampler.

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

from ksweep.analysis.stats import summarize
from ksweep.diagnostics import InputErrors
from ksweep.launch.options import SweepError
from ksweep.objectives import Objectives, single
from ksweep.plan.materialize import config_entry, config_file_text
from ksweep.plan.proposal import SearchSpace
from ksweep.plan.resolve import TypedEntry
from ksweep.sweep.atomic import append_line, write_json_atomic
from ksweep.sweep.layout import CONFIG_NAME, SweepFolder
from ksweep.sweep.manifest import record_configs
from ksweep.sweep.snapshot import add_to_snapshot
from ksweep.sweep.tolerant import load_json
from ksweep.sweep.trials import TrialSpec, load_trials
from ksweep.sweepers.search_values import (
    CONSTRAINTS_ATTR,
    constraint_values,
    constraints_reader,
    told_values,
)
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
    """Asks Optuna for configurations while the sweep runs; tells it their seed means.

    ``objectives``: what the study optimises (default: ``ranking``'s one metric); with
    several, a multi-objective study, told one seed mean per objective."""

    def __init__(
        self,
        folder: SweepFolder,
        space: SearchSpace,
        ranking: tuple[str, str],
        done: Iterable[str] = (),
        kept: Sequence[dict[str, Any]] = (),
        objectives: Objectives | None = None,
    ) -> None:
        search = space.search
        self.kind = str(search["method"])
        self.folder = folder
        self.space = space
        self.objectives = objectives or single(*ranking)
        self.metric, self.goal = self.objectives.ranking
        self.seed = int(search.get("seed") or 0)
        self.samples = int(search["samples"])
        self.seeds_per = max(len(space.seeds), 1)
        self.distributions = {d.display_name: distribution_of(d) for d in space.dimensions}
        try:
            self.study = open_study(folder.study, self.objectives.goals, self.objectives.text())
        except ValueError as problem:
            raise SweepError(str(problem)) from None
        self.constraints_func = (
            constraints_reader(len(self.objectives.constraints))
            if self.objectives.constraints
            else None
        )
        # Tells go through the sampler's after_trial (constraints are stored there), so the
        # study has the sweep's sampler before the resume below tells anything.
        self.study.sampler = sampler(self.kind, self.seed, self.samples, self.constraints_func)
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
                # told already (its values, or the worst when every seed failed); seeds a
                # --rerun-failed resume dropped run again, though Optuna keeps what it was told
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
                self.kind,
                derived_seed(self.seed, told, running, attempt),
                self.samples,
                self.constraints_func,
            )
            trial = self.study.ask(self.distributions)
            self._carry_generation(trial)
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

    def _carry_generation(self, trial: optuna.Trial) -> None:
        """A point asked again after a kill keeps the NSGA-II generation it was asked in.
        Its parameters are all given, so the sampler never sees it and would leave it in no
        generation: the populations, and every later proposal, would then differ from the
        uninterrupted sweep's."""
        original = trial.user_attrs.get("asked_again")
        if original is None:
            return
        frozen = self.study.get_trials(deepcopy=False)[original]
        for key, value in frozen.system_attrs.items():
            if key.endswith(":generation"):  # optuna.samplers._ga's per-sampler generation key
                self.study._storage.set_trial_system_attr(trial._trial_id, key, value)

    def _tell_duplicate(self, trial: optuna.Trial, earlier: int) -> None:
        """Told the earlier configuration's values and constraints (FAILED while that one
        still runs)."""
        trial.set_user_attr("same_as", earlier)
        found = self._told(earlier)
        values = None if found is None else found.values
        self._decided(
            study_trial=trial.number,
            decision="replaced",
            why=f"it resolves identically to study trial {earlier}, which is not run twice",
            told=values if values is None or self.objectives.several else values[0],
        )
        if found is None or values is None:
            self.study.tell(trial, state=TrialState.FAIL)
            return
        if CONSTRAINTS_ATTR in found.user_attrs:
            trial.set_user_attr(CONSTRAINTS_ATTR, found.user_attrs[CONSTRAINTS_ATTR])
        self.study.tell(trial, values)

    def _told(self, number: int) -> optuna.trial.FrozenTrial | None:
        for trial in self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
            if trial.number == number:
                return trial
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
        records = [self.records[n] for n in names]
        frozen = self.study.get_trials(deepcopy=False)[number]
        if frozen.state.is_finished():
            return
        if self.objectives.constraints:  # stored before the tell: the sampler reads them then
            values = constraint_values(records, self.objectives)
            self.study._storage.set_trial_user_attr(frozen._trial_id, CONSTRAINTS_ATTR, values)
        if any(r.get("status") == "pruned" for r in records):
            self._tell_pruned(frozen, records)
            return
        told = told_values(records, self.objectives, self._told_on)
        if told is None:
            self.study.tell(number, state=TrialState.FAIL, skip_if_finished=True)
        else:
            self.study.tell(number, told, skip_if_finished=True)

    def _told_on(self, index: int) -> list[float]:
        """The values objective ``index`` was told so far (completed study trials)."""
        trials = self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        return [t.values[index] for t in trials if t.values is not None]

    def _tell_pruned(self, frozen: optuna.trial.FrozenTrial, records: list[dict]) -> None:
        """An early-stopping rule stopped the configuration: Optuna hears PRUNED. With one
        objective, the seed mean at the epoch it reached is its last intermediate value (what
        TPE ranks pruned trials by); a multi-objective study takes no intermediate values
        (Optuna's rule), so TPE ranks it after every told configuration and NSGA-II leaves it
        out of its populations."""
        values = [r.get(self.metric) for r in records if r.get("status") in ("pruned", "completed")]
        mean = summarize(values).mean
        if mean is not None and not self.objectives.several:
            step = min(int(r.get("epochs_run") or 0) for r in records)
            optuna.trial.Trial(self.study, frozen._trial_id).report(mean, step)
        self.study.tell(frozen.number, state=TrialState.PRUNED, skip_if_finished=True)
