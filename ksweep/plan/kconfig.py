"""The one place that talks to kconfiglib.

Everything else sees the Kconfig tree through :class:`KconfigTree`, which
answers plain questions (what type is this symbol, which choice is it in,
what did Kconfig make of these assignments) with plain data. That keeps the
checks in :mod:`ksweep.resolve` testable as functions and lets us swap or
upgrade kconfiglib in one file.

kconfiglib drops bad assignments quietly (an out-of-range int, a symbol
hidden by ``depends on``); :meth:`KconfigTree.resolve` therefore reports,
for every assigned symbol, the value Kconfig actually kept, so the caller
can compare.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import kconfiglib

from ksweep.project import PROJECT_ROOT

_TYPE_NAMES = {
    kconfiglib.BOOL: "bool",
    kconfiglib.TRISTATE: "tristate",
    kconfiglib.STRING: "string",
    kconfiglib.INT: "int",
    kconfiglib.HEX: "hex",
}


@dataclass(frozen=True)
class SymbolInfo:
    """What the checks need to know about one Kconfig symbol."""

    name: str
    type: str
    choice: str | None
    prompt: str
    definition: str


@dataclass(frozen=True)
class AssignedResult:
    """What Kconfig kept of one assignment."""

    name: str
    requested: str
    value: str
    visible: bool
    depends_on: str
    int_range: tuple[int, int] | None


@dataclass(frozen=True)
class Resolution:
    """A fully resolved configuration: its .config text and the fate of each assignment."""

    config_text: str
    values: dict[str, str]
    assigned: tuple[AssignedResult, ...]


KSWEEP_ROOT_ENV = "KSWEEP_ROOT"


class KconfigTree:
    """A loaded Kconfig tree; reusable for many resolutions."""

    def __init__(self, kconfig_path: str | Path = "Kconfig"):
        self.path = Path(kconfig_path)
        root = self.path.resolve().parent
        previous = os.getcwd()
        # Fragments are 'source'd relative to the tree's own folder, wherever we run from; a
        # project's own tree reaches ksweep's sweep menu as "$(KSWEEP_ROOT)/ksweep/Kconfig.sweep".
        os.environ.setdefault(KSWEEP_ROOT_ENV, str(PROJECT_ROOT))
        os.chdir(root)
        try:
            self._kconf = kconfiglib.Kconfig(self.path.name, warn_to_stderr=False)
        finally:
            os.chdir(previous)
        self._root = root

    def digest(self) -> str:
        """SHA-256 over every file of the tree, so a sweep can tell when the tree changed."""
        hashed = hashlib.sha256()
        for name in sorted(self._kconf.kconfig_filenames):
            path = self._root / name
            hashed.update(name.encode())
            hashed.update(path.read_bytes() if path.is_file() else b"")
        return hashed.hexdigest()

    # --- questions about symbols -------------------------------------------------

    def symbol_names(self) -> list[str]:
        return [sym.name for sym in self._kconf.unique_defined_syms]

    def choice_names(self) -> list[str]:
        return list(self._kconf.named_choices)

    def symbol(self, name: str) -> SymbolInfo | None:
        sym = self._kconf.syms.get(name)
        if sym is None or not sym.nodes:
            return None
        node = sym.nodes[0]
        return SymbolInfo(
            name=name,
            type=_TYPE_NAMES.get(sym.type, "unknown"),
            choice=sym.choice.name if sym.choice is not None else None,
            prompt=node.prompt[0] if node.prompt else "",
            definition=f"{node.filename}:{node.linenr}",
        )

    def choice_members(self, choice: str) -> list[str]:
        return [sym.name for sym in self._kconf.named_choices[choice].syms]

    def int_range(self, name: str) -> tuple[int, int] | None:
        """The Kconfig ``range`` active for an int symbol under the current values."""
        sym = self._kconf.syms[name]
        for low, high, condition in sym.ranges:
            if kconfiglib.expr_value(condition):
                base = 16 if sym.type == kconfiglib.HEX else 10
                return int(low.str_value, base), int(high.str_value, base)
        return None

    # --- resolution --------------------------------------------------------------

    def load(self, config_path: str | Path | None) -> None:
        """Start from ``config_path`` (a defconfig or .config) or, if None, from the defaults."""
        if config_path is None:
            self._kconf.unset_values()
        else:
            self._kconf.load_config(str(Path(config_path).resolve()), replace=True)

    def resolve(self, base: str | Path | None, assignments: list[tuple[str, str]]) -> Resolution:
        """Apply ``(symbol, value)`` pairs on top of ``base`` and report what Kconfig kept."""
        self.load(base)
        for name, value in assignments:
            sym = self._kconf.syms[name]
            sym.set_value(value)  # bools take "y"/"n"; selecting a choice member picks it
        assigned = []
        for name, value in assignments:
            sym = self._kconf.syms[name]
            assigned.append(
                AssignedResult(
                    name=name,
                    requested=value,
                    value=sym.str_value,
                    visible=bool(sym.visibility),
                    depends_on=kconfiglib.expr_str(sym.direct_dep),
                    int_range=self.int_range(name)
                    if sym.type in (kconfiglib.INT, kconfiglib.HEX)
                    else None,
                )
            )
        text = self.config_text()
        values = {
            sym.name: sym.str_value
            for sym in self._kconf.unique_defined_syms
            if sym.visibility or sym.choice is not None
        }
        return Resolution(text, values, tuple(assigned))

    def config_text(self, header: str = "") -> str:
        """The full .config text of the current values, as kconfiglib writes it."""
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "config"
            self._kconf.write_config(str(target), header=header, save_old=False)
            return target.read_text(encoding="utf-8")

    def minimal_text(self, header: str = "") -> str:
        """The savedefconfig form of the current values: only what differs from defaults."""
        with tempfile.TemporaryDirectory() as folder:
            target = Path(folder) / "defconfig"
            self._kconf.write_min_config(str(target), header=header)
            return target.read_text(encoding="utf-8")

    def resolved_text(self, config_text: str) -> str:
        """What the tree makes of a full config today (to see whether a tree change moved it)."""
        with tempfile.TemporaryDirectory() as folder:
            source = Path(folder) / "config"
            source.write_text(config_text, encoding="utf-8")
            self.load(source)
        return self.config_text()

    def menuconfig(self, config_path: str | Path) -> None:
        """kconfiglib's menuconfig on ``config_path`` (KCONFIG_CONFIG), in this terminal."""
        from menuconfig import menuconfig

        os.environ["KCONFIG_CONFIG"] = str(Path(config_path).resolve())
        previous = os.getcwd()
        os.chdir(self._root)
        try:
            menuconfig(self._kconf)
        finally:
            os.chdir(previous)

    def load_warnings(self) -> list[str]:
        """Warnings kconfiglib collected (e.g. unknown symbols in a loaded file), then cleared."""
        warnings = list(self._kconf.warnings)
        self._kconf.warnings.clear()
        return warnings
