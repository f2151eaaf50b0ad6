"""The configurations a sweep runs, and how their folders are named.

``sweep_configs/`` made by ``sweep-generate`` (and a sweep folder's
``configs/`` snapshot) carries a ``sweep_plan.json`` that says how the user
wrote each varying value (``CONFIG_OPTIMIZER_SELECT=ADAM``). A folder of
hand-made configs has none, and a damaged plan is not trusted; then the
varying values are what differs between the files themselves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ksweep.configfile import ConfigFileError, parse_config_text
from ksweep.sweep.layout import CONFIG_NAME, PLAN_FILE
from ksweep.sweep.tolerant import load_json

SLUG_LIMIT = 80  # characters of varying values in a trial folder's name


@dataclass(frozen=True)
class TrialSpec:
    """One configuration to run: its name, its exact config text and its varying values."""

    config_name: str
    config_text: str
    varying: dict[str, str | None] = field(default_factory=dict)

    @property
    def test_name(self) -> str:
        """The trial folder's name: ``config_003_optimizer_select-adam_learning_rate-0.003``."""
        return f"{self.config_name}_{slug(self.varying)}" if self.varying else self.config_name

    @property
    def values(self) -> dict[str, str]:
        """The config's symbols (unprefixed), as the trainer will read them."""
        return parse_config_text(self.config_text, self.config_name)

    @property
    def num_epochs(self) -> int | None:
        """CONFIG_NUM_EPOCHS, for progress lines; None when the config does not say."""
        text = self.values.get("NUM_EPOCHS")
        return int(text) if text is not None and text.isdigit() else None


def slug(varying: dict[str, str | None], limit: int = SLUG_LIMIT) -> str:
    """A folder-safe summary of the varying values: ``optimizer_select-adam_learning_rate-0.01``.

    Only letters, digits, dots and dashes survive, so a value can never make a
    folder name that escapes the sweep folder or means something to a shell."""
    parts = []
    for name, value in varying.items():
        short = name.removeprefix("CONFIG_").lower()
        shown = "na" if value is None else re.sub(r"[^A-Za-z0-9.]+", "-", value).strip("-.")
        parts.append(f"{short}-{shown.lower()}")
    return "_".join(parts)[:limit].rstrip("_-.")


@dataclass(frozen=True)
class ConfigFolder:
    """What a folder of configs holds: its trials, its plan (if trusted), and notes."""

    trials: list[TrialSpec]
    plan: dict | None
    notes: list[str]


def load_trials(config_dir: str | Path) -> ConfigFolder:
    """The trials in ``config_dir`` in name order, with the generator's plan if it is sound.

    A plan that is damaged or names other configs than the folder holds is set
    aside (with a note saying so), and the varying values are recomputed from
    the configs themselves, which are the truth."""
    config_dir = Path(config_dir)
    paths = sorted(p for p in config_dir.iterdir() if CONFIG_NAME.match(p.name) and p.is_file())
    texts = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in paths}
    notes: list[str] = []
    plan_file = load_json(config_dir / PLAN_FILE, dict)
    plan = plan_file.data
    planned: dict[str, dict] = {}
    if plan is not None:
        try:
            planned = {c["name"]: c["varying"] for c in plan.get("configs", [])}
        except (KeyError, TypeError):
            planned = {}
        if set(planned) != set(texts):
            notes.append(
                f"{plan_file.path} does not list the configs the folder holds; the varying "
                "values were read from the configs themselves"
            )
            plan = None
    elif not plan_file.missing:
        notes.append(f"{plan_file.problem}; the varying values were read from the configs")
    varying = {n: planned[n] for n in texts} if plan is not None else differing_values(texts)
    trials = [TrialSpec(p.name, texts[p.name], varying[p.name]) for p in paths]
    return ConfigFolder(trials, plan, notes)


def differing_values(texts: dict[str, str]) -> dict[str, dict[str, str | None]]:
    """Per config, the symbols whose values are not the same in every config."""
    parsed = {}
    for name, text in texts.items():
        try:
            parsed[name] = parse_config_text(text, name)
        except ConfigFileError:
            parsed[name] = {}
    symbols: list[str] = []
    for values in parsed.values():
        symbols.extend(s for s in values if s not in symbols)
    differing = [s for s in symbols if len({values.get(s) for values in parsed.values()}) > 1]
    return {
        name: {f"CONFIG_{s}": values.get(s) for s in differing} for name, values in parsed.items()
    }
