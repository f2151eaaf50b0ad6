"""Reading a fully resolved ``.config`` file without the Kconfig tree.

The trainer and the runner only ever see resolved configs (every symbol
written out by kconfiglib), so they need no Kconfig evaluation, just the
``.config`` line format: ``CONFIG_X=value``, ``CONFIG_X="text"`` and
``# CONFIG_X is not set``.
"""

from __future__ import annotations

import re
from pathlib import Path

_ASSIGNMENT = re.compile(r"^CONFIG_([A-Za-z0-9_]+)=(.*)$")
_NOT_SET = re.compile(r"^# CONFIG_([A-Za-z0-9_]+) is not set\s*$")


class ConfigFileError(ValueError):
    """A line of a .config file that is not in .config syntax."""


def unquote(text: str) -> str:
    """The string a .config double-quoted value denotes (``\\"`` and ``\\\\`` escapes)."""
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        return text
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def quote(text: str) -> str:
    """The .config spelling of a string value."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_config_text(text: str, source: str = "<config>") -> dict[str, str]:
    """Symbol name (without ``CONFIG_``) -> value text, strings unquoted, unset bools as ``n``."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        unset = _NOT_SET.match(line)
        if unset:
            values[unset.group(1)] = "n"
            continue
        if line.startswith("#"):
            continue
        assignment = _ASSIGNMENT.match(line)
        if not assignment:
            raise ConfigFileError(
                f"{source}:{number}: error: expected CONFIG_NAME=value, found {line!r}"
            )
        values[assignment.group(1)] = unquote(assignment.group(2).strip())
    return values


def read_config(path: str | Path) -> dict[str, str]:
    """Parse the resolved config file at ``path``."""
    path = Path(path)
    return parse_config_text(path.read_text(encoding="utf-8"), str(path))


def set_config_value(text: str, name: str, value_line: str) -> str:
    """``text`` with symbol ``name``'s line replaced by ``value_line`` (appended if absent)."""
    pattern = re.compile(rf"^(CONFIG_{name}=.*|# CONFIG_{name} is not set)$", re.MULTILINE)
    if pattern.search(text):
        return pattern.sub(lambda _: value_line, text, count=1)
    return text.rstrip("\n") + "\n" + value_line + "\n"
