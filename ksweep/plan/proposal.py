"""A model-based search's space, rebuilt from its plan, and its proposals resolved into configs.

A search that proposes configurations while the sweep runs (``SEARCH=tpe``)
must resolve each proposal exactly as generation resolves a grid point:
through Kconfig (every requested value re-read), the rules and pre-flight. So
the space is rebuilt from the range config's *text* as the plan recorded it
(not from the file, which may have changed since), on the base the plan
names, which must still be the same file (its hash is in the plan): a resumed
search then continues in the very space it started in.

A proposal is one value per dimension (the sampled lines and the other swept
lines); its configurations are that point on every ``CONFIG_SEED`` of the
range config, since seeds stay a replicate axis.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ksweep.diagnostics import Diagnostics, Location
from ksweep.plan.build import GenerateOptions, checked, resolve_all
from ksweep.plan.distributions import render_significant
from ksweep.plan.kconfig import KconfigTree
from ksweep.plan.planned import SEED_SYMBOL, Plan
from ksweep.plan.ranges import RangeSpec, parse_range_text
from ksweep.plan.resolve import Setting, TypedEntry, type_entries


class SpaceChanged(Exception):
    """The search cannot continue in the space it started in; the message says why."""


@dataclass
class SearchSpace:
    """The dimensions of a model-based search and how a point becomes configurations."""

    spec: RangeSpec
    tree: KconfigTree
    base: str | None
    typed: list[TypedEntry]
    options: GenerateOptions
    search: dict

    @classmethod
    def from_plan(
        cls, plan: Mapping, tree: KconfigTree, options: GenerateOptions | None = None
    ) -> SearchSpace:
        """The space of the sweep whose ``sweep_plan.json`` is ``plan``."""
        search = dict(plan.get("search") or {})
        base = plan.get("base")
        if base is not None:
            path = Path(base)
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
            if digest != search.get("base_sha256"):
                raise SpaceChanged(
                    f"the base config {base} is missing or changed since this search started, "
                    "so its proposals would not resolve as before; restore it, or start a new "
                    "sweep"
                )
        spec, diagnostics = parse_range_text(
            plan.get("range_config_text") or "", plan.get("range_config") or "range config"
        )
        if base is not None:
            tree.load(base)
        typed, problems = type_entries(spec, tree)
        diagnostics.items.extend(problems.items)
        if diagnostics.errors:
            raise SpaceChanged(
                "the range config this search started from no longer checks against the Kconfig "
                "tree: " + "; ".join(str(e) for e in diagnostics.errors[:3])
            )
        return cls(spec, tree, base, typed, options or GenerateOptions(), search)

    @property
    def dimensions(self) -> list[TypedEntry]:
        """What a proposal chooses: every swept line but the seeds, in file order."""
        return [t for t in self.typed if t.swept and t.display_name != SEED_SYMBOL]

    @property
    def seeds(self) -> list[Setting]:
        """The seeds each proposal runs on (none: the base's seed)."""
        entry = next((t for t in self.typed if t.display_name == SEED_SYMBOL and t.swept), None)
        return list(entry.settings) if entry is not None else []

    def setting(self, dimension: TypedEntry, value: object) -> Setting:
        """The setting of ``value`` as a sampler gave it (a float, an int or a choice's text)."""
        dist = dimension.distribution
        if dist is not None and dist.numeric:
            assert dist.low is not None and dist.high is not None
            if dist.integer:
                return dimension.drawn(str(int(value)))  # type: ignore[call-overload]
            return dimension.drawn(render_significant(float(value), dist.low, dist.high))  # type: ignore[arg-type]
        for setting in dimension.settings:
            if setting.display == value:
                return setting
        raise ValueError(f"{dimension.display_name}: {value!r} is not one of its values")

    def resolve(self, point: Mapping[str, object]) -> Plan:
        """The configurations of ``point`` ({display name: value}), resolved and checked.

        :class:`~ksweep.diagnostics.InputErrors` when Kconfig, a rule or pre-flight
        refuses them: the proposal cannot run."""
        chosen = {d.display_name: self.setting(d, point[d.display_name]) for d in self.dimensions}
        seeds = self.seeds or [None]
        combinations = []
        for seed in seeds:
            combo = []
            for item in self.typed:
                if item.display_name in chosen:
                    combo.append(chosen[item.display_name])
                elif item.display_name == SEED_SYMBOL and seed is not None:
                    combo.append(seed)
                else:
                    combo.append(item.settings[0])
            combinations.append(tuple(combo))
        diagnostics = Diagnostics()
        plan = resolve_all(
            self.spec, self.tree, self.base, self.typed, combinations, diagnostics, proposal=True
        )
        if plan.skipped:  # some seeds could run and others not: the point as a whole cannot
            diagnostics.error(Location(self.spec.path, 0), plan.skipped[0].reason)
            diagnostics.raise_if_errors()
        plan = checked(plan, self.spec, self.options)
        return replace(plan, search=self.search)
