"""Finding what to run in a config folder: the configs, their varying values, their names.

``sweep_configs/`` made by ``sweep-generate`` carries a ``sweep_plan.json``
that says how the user wrote each varying value (``CONFIG_OPTIMIZER_SELECT=
ADAM``). A folder of hand-made configs has none; then the varying values
are what differs between the files themselves.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ksweep.configfile import parse_config_text

_CONFIG_NAME = re.compile(r"^config_\d+$")
PLAN_FILE = "sweep_plan.json"


@dataclass(frozen=True)
class TrialSpec:
    """One configuration to run."""

    config_name: str
    config_path: Path
    config_text: str
    varying: dict[str, str | None]

    @property
    def test_name(self) -> str:
        return f"{self.config_name}_{slug(self.varying)}" if self.varying else self.config_name

    @property
    def num_epochs(self) -> int | None:
        """CONFIG_NUM_EPOCHS, for progress lines; None when the config does not say."""
        text = parse_config_text(self.config_text).get("NUM_EPOCHS")
        return int(text) if text is not None and text.isdigit() else None


def slug(varying: dict[str, str | None], limit: int = 80) -> str:
    """A folder-safe summary of the varying values: ``optimizer_select-adam_learning_rate-0.01``."""
    parts = []
    for name, value in varying.items():
        short = name.removeprefix("CONFIG_").lower()
        shown = "na" if value is None else re.sub(r"[^A-Za-z0-9.]+", "-", value).strip("-")
        parts.append(f"{short}-{shown.lower()}")
    return "_".join(parts)[:limit].rstrip("_-")


def load_trials(config_dir: str | Path) -> tuple[list[TrialSpec], dict | None]:
    """The trials in ``config_dir`` in name order, and the generator's plan if there is one."""
    config_dir = Path(config_dir)
    paths = sorted(p for p in config_dir.iterdir() if _CONFIG_NAME.match(p.name))
    texts = {p.name: p.read_text(encoding="utf-8") for p in paths}
    plan = None
    plan_path = config_dir / PLAN_FILE
    if plan_path.is_file():
        plan = json.loads(plan_path.read_text(encoding="utf-8"))
        planned = {c["name"]: c["varying"] for c in plan.get("configs", [])}
        if set(planned) != set(texts):
            plan = None
    if plan is not None:
        varying = {name: planned[name] for name in texts}
    else:
        varying = differing_values(texts)
    trials = [TrialSpec(p.name, p, texts[p.name], varying[p.name]) for p in paths]
    return trials, plan


def differing_values(texts: dict[str, str]) -> dict[str, dict[str, str | None]]:
    """Per config, the symbols whose values are not the same in every config."""
    parsed = {name: parse_config_text(text, name) for name, text in texts.items()}
    symbols: list[str] = []
    for values in parsed.values():
        symbols.extend(s for s in values if s not in symbols)
    differing = [s for s in symbols if len({values.get(s) for values in parsed.values()}) > 1]
    return {
        name: {f"CONFIG_{s}": values.get(s) for s in differing} for name, values in parsed.items()
    }
