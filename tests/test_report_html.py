"""report.html: self-contained, and opened in a real headless Chromium started by the test.

The page's inline script marks ``<body data-script="ran">`` when it has run and
records any script error in ``data-script-error``; ``--dump-dom`` returns the DOM
after the scripts, so the test reads both, the tables and the images from it.
Console errors are read from Chromium's own log (``--enable-logging=stderr``).
A screenshot is kept and its path printed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from synthetic_sweep import ACCURACIES, ROOT, make_sweep

from ksweep.analysis.html_report import REPORT_HTML
from ksweep.analysis.report import load_sweep, write_reports

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    folder = make_sweep(tmp_path_factory.mktemp("html") / "sweep_20260101_120000", ACCURACIES)
    records, varying, _ = load_sweep(folder)
    write_reports(folder, records, varying, final=True, defconfig_dir=None)
    return folder


def browser() -> str:
    found = next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)
    if found is None:
        pytest.skip(
            "no Chromium or Chrome on PATH (install Debian's chromium package: "
            "apt-get install chromium; .ci/run does)"
        )
    return found


def run_browser(url: str, *args: str, profile: Path) -> subprocess.CompletedProcess:
    argv = [
        browser(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--hide-scrollbars", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
        "--virtual-time-budget=5000", *args, url,
    ]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=180)


def test_report_html_is_self_contained(sweep):
    page = (sweep / REPORT_HTML).read_text()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "it fetches from a network"
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == len(list((sweep / "plots").glob("*.png")))
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert 'id="ablation"' in page and 'id="parallel"' in page
    assert "Warning (still improving): the best configuration, config_004" in page
    assert "Best: config_004" in page


def test_report_html_loads_in_headless_chromium_without_script_errors(sweep, tmp_path):
    url = (sweep / REPORT_HTML).resolve().as_uri()
    dom = run_browser(url, "--dump-dom", profile=tmp_path / "profile")
    assert dom.returncode == 0, dom.stderr[-2000:]
    body = re.search(r"<body[^>]*>", dom.stdout).group(0)
    assert 'data-script="ran"' in body, "the inline script did not run"
    assert "data-script-error" not in body, body
    console_errors = [
        line
        for line in dom.stderr.splitlines()
        if "CONSOLE" in line and ("Uncaught" in line or "Error" in line)
    ]
    assert not console_errors, console_errors
    table = re.search(r'<table class="sortable" id="ablation">.*?</table>', dom.stdout, re.S)
    assert table is not None
    rows = re.findall(r"<tr[ >]", table.group(0))
    assert len(rows) == 1 + len(ACCURACIES)  # the head, then one row per configuration
    images = re.findall(r'<img src="data:image/png;base64,', dom.stdout)
    assert len(images) == len(list((sweep / "plots").glob("*.png"))) >= 4
    assert "<svg" in dom.stdout and "<polyline" in dom.stdout

    shot = tmp_path / "report.png"
    taken = run_browser(
        url, f"--screenshot={shot}", "--window-size=1200,2400", profile=tmp_path / "profile2"
    )
    assert taken.returncode == 0 and shot.stat().st_size > 10_000, taken.stderr[-2000:]
    kept = Path(os.environ.get("KSWEEP_ARTEFACTS", ROOT / "test_matrix_results" / "artefacts"))
    kept.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, kept / "report_html.png")
    print(f"screenshot of report.html: {kept / 'report_html.png'}")


def test_a_column_click_sorts_the_ablation_table(sweep, tmp_path):
    """``#sort=N`` clicks column N's header as the page loads: the script's own sorting,
    run by the browser, reorders the rows (here: by name, so config_001 comes first)."""
    url = (sweep / REPORT_HTML).resolve().as_uri()
    ranked = run_browser(url, "--dump-dom", profile=tmp_path / "p1").stdout
    by_name = run_browser(url + "#sort=1", "--dump-dom", profile=tmp_path / "p2").stdout

    def first_configuration(dom: str) -> str:
        table = re.search(r'id="ablation">.*?<tbody>(.*?)</tbody>', dom, re.S).group(1)
        return re.findall(r'data-sort="(config_\d+)"', table)[0]

    assert first_configuration(ranked) == "config_004"  # ADAM: the best, ranked first
    assert first_configuration(by_name) == "config_001"  # SGD's first seed, by name
    assert 'aria-sort="ascending"' in by_name
