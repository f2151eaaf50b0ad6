"""What generation decided, as plain data: the configurations to run and the count in words.

One vocabulary everywhere: a *trial* is one training run; a *configuration*
is the trials that differ only in ``CONFIG_SEED`` (the replicate axis); its
*seeds* are those trials. Generation, the progress lines and the analysis all
count the same way: "4 trials: 2 configurations x 2 seeds".
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ksweep.diagnostics import Diagnostic

SEED_SYMBOL = "CONFIG_SEED"


@dataclass(frozen=True)
class PlannedConfig:
    """One distinct trial to run."""

    name: str
    config_text: str
    varying: dict[str, str | None]
    merged: int = 1  # how many expanded combinations resolved to this config
    warnings: tuple[str, ...] = ()
    origin: str | None = None  # for a search's config: which draw or trial it came from


@dataclass(frozen=True)
class SkippedCombination:
    """A combination that cannot run, and why."""

    varying: dict[str, str | None]
    reason: str


@dataclass
class Plan:
    """Everything generation decided, ready to be written."""

    range_path: str
    range_text: str
    base: str | None
    expanded: int
    configs: list[PlannedConfig]
    skipped: list[SkippedCombination]
    varying_symbols: list[str]
    fixed: dict[str, str]
    notes: list[str] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    search: dict | None = None  # how the configurations were chosen, when not a plain grid
    kconfig_sha256: str | None = None  # the tree it was generated under (checked at run start)

    @property
    def range_sha256(self) -> str:
        return hashlib.sha256(self.range_text.encode()).hexdigest()

    def count_line(self) -> str:
        """'4 trials: 2 configurations x 2 seeds (4 expanded)' and what deduplication did."""
        search = self.search or {}
        if search.get("model"):
            return model_count_text(search)
        merged = sum(c.merged - 1 for c in self.configs)
        details = [f"{self.expanded} expanded"]
        if search:
            draws = search.get("draws") or 0
            crossed = self.expanded // draws if draws else 0
            details = [
                f"{search.get('method')} search, seed {search.get('seed')}: {_count(draws, 'draw')}"
                f" x {_count(crossed, 'grid combination')} = {self.expanded} expanded"
            ]
            details.extend(replaced_parts(search))
        if merged:
            details.append(f"{merged} resolved identically to another and run once")
        if self.skipped:
            details.append(f"{len(self.skipped)} skipped as impossible")
        return f"{trial_count_text([c.varying for c in self.configs])} ({'; '.join(details)})"


def replaced_parts(search: Mapping[str, object]) -> list[str]:
    """'1 draw replaced: it resolved identically to an earlier one', and the impossible ones."""
    parts = []
    for key, why in (
        ("replaced", "it resolved identically to an earlier one"),
        ("impossible", "it could not run"),
    ):
        n = int(search.get(key) or 0)  # type: ignore[call-overload]
        if n:
            they = why if n == 1 else why.replace("it ", "each ")
            parts.append(f"{_count(n, 'draw')} replaced: {they}")
    return parts


def model_count_text(search: Mapping[str, object]) -> str:
    """'up to 24 trials: 8 configurations x 3 seeds, proposed by tpe (seed 0) while the sweep
    runs'."""
    samples = int(search.get("samples") or 0)  # type: ignore[call-overload]
    seeds = len(search.get("seeds") or []) or 1  # type: ignore[arg-type]
    return (
        f"up to {_count(samples * seeds, 'trial')}: {configurations_text(samples, [seeds])}, "
        f"proposed by {search.get('method')} (seed {search.get('seed')}) while the sweep runs"
    )


def seed_groups(varyings: Sequence[Mapping[str, object]]) -> Counter:
    """How many trials each configuration (varying values but the seed) has."""
    return Counter(
        repr(sorted((k, v) for k, v in varying.items() if k != SEED_SYMBOL)) for varying in varyings
    )


def trial_count_text(varyings: Sequence[Mapping[str, object]]) -> str:
    """'6 trials: 3 configurations x 2 seeds' (or '..., 1 to 3 seeds each' when uneven)."""
    trials = len(varyings)
    groups = seed_groups(varyings)
    return f"{_count(trials, 'trial')}: {configurations_text(len(groups), sorted(groups.values()))}"


def configurations_text(configurations: int, seeds_per: Sequence[int]) -> str:
    """'3 configurations x 2 seeds', '1 configuration x 1 seed', '4 configurations, 1 to 3
    seeds each'."""
    if not seeds_per:
        return _count(configurations, "configuration")
    low, high = min(seeds_per), max(seeds_per)
    seeds = _count(low, "seed") if low == high else f"{low} to {high} seeds each"
    joiner = " x " if low == high else ", "
    return f"{_count(configurations, 'configuration')}{joiner}{seeds}"


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
