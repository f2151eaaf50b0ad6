"""Where config values may point: paths stay where the user meant, and values stay sane.

A relative ``CONFIG_DATA_DIR`` is taken from the project (the folder the
sweep is generated in) and must stay inside it, or inside a data root the
user named (``DATA_ROOT=DIR``), with every symlink on the way followed:
``"../../../etc"``, or ``data/x`` where some folder on the way links to
``/etc``, would otherwise send a
trial's dataset download, run as whoever runs the sweep, into ``/etc``.
Writing anywhere else takes an explicit absolute path. Values that no file
system accepts (a 100 kB string, a 300-character folder name) are refused
here instead of failing in every trial.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ksweep.schema import TEXT_SYMBOLS
from ksweep.train.problems import Problem

MAX_VALUE_CHARS = 1024  # longer string values are refused
MAX_NAME_BYTES = 255  # the longest file or folder name Linux file systems accept


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def path_problem(
    symbol: str, value: str, project: Path, data_roots: Sequence[Path] = ()
) -> Problem | None:
    """Why ``value`` may not be ``CONFIG_<symbol>``'s path, or None if it may."""
    components = [c for c in value.split("/") if c]
    if any(len(c.encode("utf-8")) > MAX_NAME_BYTES for c in components):
        return Problem(
            f"CONFIG_{symbol} holds a folder name longer than {MAX_NAME_BYTES} bytes, which no "
            "Linux file system accepts; fix: shorten it",
            (symbol,),
        )
    if not value or os.path.isabs(value):
        return None  # empty: the trainer's own check names it; absolute: meant as written
    # realpath follows a symlink at every level (data/ok/link -> /etc counts as /etc), and
    # the roots are resolved the same way, so a link cannot carry a download outside them.
    resolved = os.path.realpath(os.path.join(os.path.abspath(project), value))
    roots = [os.path.realpath(project)]
    roots += [os.path.realpath(root) for root in data_roots]
    if any(_inside(resolved, root) for root in roots):
        return None
    named = f" and the data roots {', '.join(roots[1:])}" if roots[1:] else ""
    return Problem(
        f'CONFIG_{symbol}="{value}" resolves to {resolved}, outside the project '
        f"({roots[0]}){named}; a relative path must stay inside them; fix: a path inside the "
        "project (make data-link links a local MNIST copy into data/), an absolute path, or "
        f"DATA_ROOT={resolved}",
        (symbol,),
    )


def value_problems(
    values: Mapping[str, str], project: Path, data_roots: Sequence[Path] = ()
) -> list[Problem]:
    """Overlong string values, and path symbols pointing outside the project."""
    problems = []
    for symbol, value in values.items():
        if len(value) > MAX_VALUE_CHARS:
            problems.append(
                Problem(
                    f"CONFIG_{symbol} is {len(value)} characters long, more than the "
                    f"{MAX_VALUE_CHARS} a value may have; fix: shorten it",
                    (symbol,),
                )
            )
        elif symbol in TEXT_SYMBOLS and (found := path_problem(symbol, value, project, data_roots)):
            problems.append(found)
    return problems
