"""The live display on a real terminal: a real sweep of 20 trials in an 80x24 tmux pane.

tmux gives the sweep a real pseudo-terminal of a known size; ``capture-pane`` reads
what a person would see. While the sweep runs the screen holds one header, never an
echoed epoch line; at the end the scrollback holds a short story, not one line per
epoch, and the ranked table.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RANGE = "tests/cases/live/twenty-range"
WIDTH, HEIGHT = 80, 24
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


class Pane:
    """One detached tmux session on a private server, so no other tmux is touched."""

    def __init__(self, name: str) -> None:
        self.server = ["tmux", "-L", f"ksweep-test-{os.getpid()}-{name}"]
        self.target = name

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            [*self.server, *args], capture_output=True, text=True, check=True, timeout=30
        ).stdout

    def start(self, argv: list[str]) -> None:
        size = ["-x", str(WIDTH), "-y", str(HEIGHT)]
        self.tmux("new-session", "-d", "-s", self.target, *size, "sleep", "600")
        self.tmux("set-option", "-t", self.target, "remain-on-exit", "on")
        self.tmux("respawn-pane", "-k", "-t", self.target, *argv)

    def screen(self) -> list[str]:
        return self.tmux("capture-pane", "-p", "-t", self.target).splitlines()

    def history(self) -> list[str]:
        text = self.tmux("capture-pane", "-p", "-S", "-", "-t", self.target)
        return [line for line in text.splitlines()]

    def dead(self) -> bool:
        return self.tmux("display-message", "-p", "-t", self.target, "#{pane_dead}").strip() == "1"

    def status(self) -> str:
        return self.tmux("display-message", "-p", "-t", self.target, "#{pane_dead_status}")

    def close(self) -> None:
        subprocess.run([*self.server, "kill-server"], capture_output=True, timeout=30)


def run_in_pane(tmp_path: Path, jobs: int) -> tuple[list[list[str]], list[str], str]:
    """Run the 20-trial sweep at ``jobs`` in a fresh pane; the screens seen while it ran,
    the whole scrollback at the end and the exit status."""
    env = [
        f"PYTHON={sys.executable}",
        f"PYTHONPATH={ROOT}",
        f"PATH={os.environ.get('PATH', '')}",
        "TERM=xterm-256color",
        f"HOME={os.environ.get('HOME', '/tmp')}",
    ]
    make = [
        "make", "-s", "-C", str(ROOT), "sweep", f"RANGE_CONFIG={RANGE}",
        f"CONFIG_DIR={tmp_path / 'configs'}", f"OUTPUT_DIR={tmp_path / 'results'}",
        "DEVICE=cpu", f"JOBS={jobs}",
    ]  # fmt: skip
    pane = Pane(f"jobs{jobs}")
    screens: list[list[str]] = []
    try:
        pane.start(["env", "-i", *env, *make])
        deadline = time.monotonic() + 600
        while not pane.dead() and time.monotonic() < deadline:
            screens.append(pane.screen())
            time.sleep(0.3)
        return screens, pane.history(), pane.status().strip()
    finally:
        pane.close()


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_live_display_fits_an_80x24_terminal_for_20_trials(tmp_path, jobs):
    screens, history, status = run_in_pane(tmp_path, jobs)
    kept = Path(os.environ.get("KSWEEP_ARTEFACTS", tmp_path)) / f"live-jobs{jobs}.txt"
    kept.parent.mkdir(parents=True, exist_ok=True)
    live = [s for s in screens if any(line.startswith("ksweep done") for line in s)]
    middle = live[len(live) // 2] if live else []
    kept.write_text("\n".join(["# while running:", *middle, "# at the end:", *history]) + "\n")
    print(f"a screen while it ran, and the scrollback at the end: {kept}")
    assert status == "0", "\n".join(history)

    assert live, "no screen showed the live header:\n" + "\n".join(history)
    for screen in live:
        assert len(screen) <= HEIGHT
        assert sum(line.startswith("ksweep done") for line in screen) == 1, "\n".join(screen)
        assert not any(line.lstrip().startswith("epoch 1/2 |") for line in screen)
        header = next(i for i, line in enumerate(screen) if line.startswith("ksweep done"))
        assert screen[header + 1].startswith("best ")
        assert screen[header + 2].split()[:2] == ["trial", "epoch"]
        rows = [line for line in screen[header + 3 :] if line.strip()]
        assert len(rows) <= jobs and all(line.startswith("config_") for line in rows), screen
    running = [line for s in live for line in s if line.startswith("config_")]
    assert any("/2" in line for line in running), "no running trial showed epoch/total"

    # The scrollback tells the sweep in a screenful or two, not one line per epoch.
    assert not any(line.startswith("ksweep done") for line in history), "block left behind"
    assert not any("epoch 2/2 |" in line for line in history)
    assert any(line.strip().startswith("Configurations ranked by") for line in history)
    assert sum(line.lstrip().startswith("1 ") for line in history) >= 1
    assert len([line for line in history if line.strip()]) < 3 * HEIGHT
