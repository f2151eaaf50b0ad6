"""``make sweep-report``: report.html of a sweep, opened in a browser where a person can see one.

The page is written by the analysis (``make sweep-analyze`` and the end of every
sweep); a sweep analysed before report.html existed gets its analysis written
once here. A browser is started only when a display exists (an X or Wayland
session, or macOS): on a server or over plain ssh a text browser would take
over the terminal, so the path is printed instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import webbrowser
from pathlib import Path

from ksweep.cli.analysis_commands import _analysed_folder


def display_available() -> bool:
    """Whether a graphical browser could show a page to the person at this terminal."""
    graphical = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    return bool(graphical) or sys.platform == "darwin"


def cmd_report(args: argparse.Namespace) -> int:
    """Print report.html's path; open it with a browser where a display exists."""
    from ksweep.analysis.html_report import REPORT_HTML
    from ksweep.analysis.report import load_sweep, write_reports

    folder = _analysed_folder(args.sweep, args.output_dir)
    page = folder.report.with_name(REPORT_HTML)
    if not page.is_file():
        records, varying, notes = load_sweep(folder.path)
        for note in notes:
            print(f"note: {note}", file=sys.stderr)
        write_reports(folder.path, records, varying, final=True)
    page = Path(page).resolve()
    if display_available() and webbrowser.open(page.as_uri()):
        print(f"ksweep: report opened in a browser: {page}")
    else:
        print(f"ksweep: report: {page}\n  (no display here: open it in a browser)")
    return 0
