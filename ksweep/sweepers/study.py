"""The Optuna study of a model-based search: a journal file in the sweep folder, and its sampler.

The study lives in ``<sweep>/study.journal`` (Optuna's ``JournalStorage``
with a file backend): every ask, parameter, attribute and tell is one line
appended and fsynced, so a sweep killed at any moment keeps every operation
that completed. Two things a kill can leave behind are repaired before the
study is opened again, which is safe because ksweep's run lock guarantees no
other process uses the folder:

* a last line cut short (the process died inside a write): that operation
  never happened, and Optuna would refuse the file once another line follows;
* Optuna's lock file, which would otherwise stall the resume for its grace period.

**The sampler's state across a resume.** A sampler built again with the same
seed would start its random stream from the beginning and repeat its first
suggestions (the known failure of seeded, resumed Optuna studies). TPE keeps
no state but that stream and the study's history, so ksweep makes the stream
a function of the history instead: before each ask a fresh sampler is built,
seeded from (search seed, trials told, trials running, tries in this ask).
An uninterrupted sweep and one killed and resumed ask with the same seeds at
the same points of the same history, and so continue identically (trials a
kill left running are failed and their parameters asked again, without the
sampler, so they do not shift the count). NSGA-II keeps its generations and
parent populations in the study's own attributes, so the same holds for it.

**Several objectives.** The study has one direction per objective (maximize
or minimize, from the objective's goal); TPE then models the non-dominated
trials (Optuna's multi-objective TPE) and NSGA-II selects by non-dominated
sorting and crowding distance. Constraints reach either sampler through its
``constraints_func``, which reads the values the search stored on the trial
before telling it (:mod:`ksweep.sweepers.search_values`).
"""

from __future__ import annotations

import contextlib
import json
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import JournalFileBackend

from ksweep.plan.sampling import MODEL_METHODS, NSGA2, TPE

STUDY_NAME = "ksweep"
OBJECTIVES_ATTR = "objectives"  # the study's user attribute: what it was started to optimise
LOCK_SUFFIX = ".lock"  # optuna.storages.journal's lock file: <journal>.lock


def repair_journal(path: Path) -> bool:
    """Cut a last line that a kill left unfinished, and remove a stale lock; True if cut."""
    for leftover in (Path(f"{path}{LOCK_SUFFIX}"), *path.parent.glob(f"{path.name}.lock*.rename")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
    if not path.is_file():
        return False
    data = path.read_bytes()
    if not data or data.endswith(b"\n"):
        return False
    with open(path, "r+b") as handle:
        handle.truncate(data.rfind(b"\n") + 1)
        handle.flush()
        os.fsync(handle.fileno())
    return True


def study_damage(path: Path, ran: set[str]) -> str | None:
    """Why the study in ``path`` cannot be trusted to continue a sweep that ran the configs
    ``ran``, or None. Each study trial records the configs it became (``configs``); a
    journal emptied, cut or edited knows fewer, and resuming from it would propose their
    parameters again and rewrite configs already run. Call it before anything is written."""
    repair_journal(path)
    raw = path.read_bytes() if path.is_file() else b""
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return (
                f"{path}:{number} is not a study record (damaged or edited); the study cannot "
                "be read, so the search cannot continue. Restore the file, or start a new sweep "
                "(the finished trials stay in this folder for make sweep-analyze)"
            )
    known: set[str] = set()
    if raw.strip():
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        storage = JournalStorage(JournalFileBackend(str(path)))
        try:
            study = optuna.load_study(study_name=STUDY_NAME, storage=storage)
        except (KeyError, ValueError) as problem:
            return f"{path} holds no ksweep study ({problem}); restore it or start a new sweep"
        for trial in study.get_trials(deepcopy=False):
            known.update(trial.user_attrs.get("configs") or ())
    unknown = sorted(ran - known)
    if unknown:
        shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        return (
            f"{path} does not know {shown}, which this sweep already proposed (the study was "
            "emptied or cut short); resuming would ask for new parameters under names that "
            "already ran. Restore the file, or start a new sweep (the finished trials stay in "
            "this folder for make sweep-analyze)"
        )
    return None


def open_study(
    path: Path, goals: str | Sequence[str], described: str | None = None
) -> optuna.Study:
    """The study in ``path``, created on first use; ``goals``: max or min, one per objective
    (a single goal: a single-objective study, as every sweep before several objectives had);
    ``described``: the objectives as OBJECTIVES= writes them, kept in the study (the
    :data:`OBJECTIVES_ATTR` attribute) so that a resume given others can say which it needs.

    Raises ValueError when the study already there optimises other directions (a resume
    given other objectives than the sweep was started with)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    repair_journal(path)
    storage = JournalStorage(JournalFileBackend(str(path)))
    wanted = [_direction(g) for g in ([goals] if isinstance(goals, str) else goals)]
    several = len(wanted) > 1
    study = optuna.create_study(
        study_name=STUDY_NAME,
        storage=storage,
        directions=wanted if several else None,
        direction=None if several else wanted[0],
        load_if_exists=True,
    )
    problem = _other_objectives(path, study, wanted, described)
    if problem:
        raise ValueError(problem)
    started = study.user_attrs.get(OBJECTIVES_ATTR)
    if described and started is None:
        study.set_user_attr(OBJECTIVES_ATTR, described)
    return study


def objectives_mismatch(path: Path, goals: Sequence[str], described: str) -> str | None:
    """Why the study in ``path`` cannot go on optimising ``goals`` (None: it can, or there
    is none yet). Reads only: a resume asks it before the sweep records a new run."""
    if not Path(path).is_file():
        return None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(path)))
    try:
        study = optuna.load_study(study_name=STUDY_NAME, storage=storage)
    except KeyError:
        return None
    return _other_objectives(path, study, [_direction(g) for g in goals], described)


def _other_objectives(
    path: Path, study: optuna.Study, wanted: Sequence[str], described: str | None
) -> str | None:
    found = [d.name.lower() for d in study.directions]
    if found == list(wanted):
        return None
    started = study.user_attrs.get(OBJECTIVES_ATTR)
    given = f"OBJECTIVES={started}" if started else "the OBJECTIVES= (or METRIC=/GOAL=)"
    return (
        f"{path} optimises {started or ', '.join(found)}, but this run asks for "
        f"{described or ', '.join(wanted)}; resume with {given} the sweep was started with"
    )


def _direction(goal: str) -> str:
    return "maximize" if goal == "max" else "minimize"


def startup_trials(samples: int) -> int:
    """Random trials before TPE models: Optuna's 10, but at most a third of a small budget
    (so a 12-configuration search still spends most of it on the model)."""
    return max(2, min(10, samples // 3))


def derived_seed(seed: int, *counts: int) -> int:
    """A 32-bit seed that depends on ``seed`` and ``counts`` only."""
    import numpy as np

    return int(np.random.SeedSequence([seed, *counts]).generate_state(1)[0])


def population_size(samples: int) -> int:
    """NSGA-II's generation size: Optuna's 50, but at most a third of a small budget (so a
    12-configuration search breeds three generations after its random first one)."""
    return max(2, min(50, samples // 3))


def sampler(
    method: str,
    seed: int,
    samples: int,
    constraints_func: Callable[[optuna.trial.FrozenTrial], Sequence[float]] | None = None,
) -> optuna.samplers.BaseSampler:
    """A fresh sampler of ``method`` with this ask's seed (see the module docstring);
    ``constraints_func``: a told trial's constraint values, None when there are none."""
    if method not in MODEL_METHODS:
        raise ValueError(
            f"SEARCH={method} is not a model-based sampler ({', '.join(MODEL_METHODS)})"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        if method == NSGA2:
            return optuna.samplers.NSGAIISampler(
                seed=seed,
                population_size=population_size(samples),
                constraints_func=constraints_func,
            )
        assert method == TPE
        return optuna.samplers.TPESampler(
            seed=seed,
            n_startup_trials=startup_trials(samples),
            multivariate=True,  # one joint model of the fixed space, not one per parameter
            constant_liar=True,  # parallel trials: running ones count as bad, so asks spread out
            constraints_func=constraints_func,
        )
