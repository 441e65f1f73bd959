"""The app in a real browser: Debian's Chromium driven by Playwright against `streamlit run app.py`
on a loopback port. Change a weight, see the headline, the per-school table and a chart update to
the engine's numbers, take screenshots (to a temporary folder), and find no exception box.

Skipped (with the reason) only when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE, SCENARIOS

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(port: int, *args: str) -> subprocess.Popen:
    """`streamlit run app.py` headless on 127.0.0.1:port (no file watcher: other edits never rerun it)."""
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
    if args:
        command += ["--", *args]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_healthy(port: int, proc: subprocess.Popen, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("streamlit did not start")


@contextmanager
def running_app(*args: str):
    """The app served on a free loopback port (with `args` after `--`), stopped afterwards; yields its URL."""
    port = free_port()
    proc = start_app(port, *args)
    try:
        wait_healthy(port, proc)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def headless_chromium():
    """Debian's Chromium under Playwright, headless, with the flags this machine needs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def server():
    with running_app() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with headless_chromium() as b:
        yield b


def metric_value(page, label: str) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def set_weight(page, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")


def wait_metric(page, label: str, expected: str, timeout: float = 20_000) -> None:
    page.wait_for_function(
        """([label, expected]) => [...document.querySelectorAll('[data-testid="stMetric"]')]
             .some(m => m.innerText.includes(label) &&
                        m.querySelector('[data-testid="stMetricValue"]').innerText.trim() === expected)""",
        arg=[label, expected], timeout=timeout)


def expected(overrides: dict):
    from sbb.allocate import allocate
    from sbb.district import load_district
    from sbb.scenario import load_scenario, with_weights
    from sbb.weights import apply_overrides

    s = load_scenario(SCENARIOS / "baseline.toml")
    d = load_district(SAMPLE / "schools.csv", s.weights, roster=SAMPLE / "roster.csv")
    return allocate(d, with_weights(s, apply_overrides(s.baseline, overrides, "test")))


def no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def test_change_a_weight_in_the_browser(server, browser, tmp_path):
    from sbb.report import dollars

    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(server)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    base = expected({})
    wait_metric(page, "Base per weighted pupil", dollars(base.base_per_weighted_pupil, True))
    grid = page.locator('[data-testid="stDataFrame"] [role="gridcell"]')
    first_id = base.table["school_id"].iloc[0]
    row_text = lambda: grid.filter(has_text=first_id).first.locator("xpath=..").inner_text()  # noqa: E731
    assert f"{base.table['allocation'].iloc[0]:.0f}" in row_text()
    page.screenshot(path=str(tmp_path / "before.png"))

    # English-learner weight 0.40 -> 0.50: the headline and the table show the engine's numbers
    after = expected({"needs.ell.weight": 0.5})
    set_weight(page, "English learners", "0.50")
    wait_metric(page, "Base per weighted pupil", dollars(after.base_per_weighted_pupil, True))
    page.wait_for_function(
        """([id, value]) => [...document.querySelectorAll('[data-testid="stDataFrame"] [role="row"]')]
             .some(r => r.innerText.includes(id) && r.innerText.includes(value))""",
        arg=[first_id, f"{after.table['allocation'].iloc[0]:.0f}"], timeout=20_000)
    assert "Baseline: 0.40" in page.locator('[data-testid="stSidebar"]').inner_text()
    no_exception(page)

    # the charts tab: the delta chart redraws when the poverty weight changes
    page.get_by_role("tab", name="Charts").click()
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.wait_for(timeout=20_000)
    page.wait_for_timeout(800)  # let Vega finish drawing
    before_png = chart.screenshot()
    both = expected({"needs.ell.weight": 0.5, "needs.poverty.weight": 0.35})
    set_weight(page, "Poverty", "0.35")
    wait_metric(page, "Base per weighted pupil", dollars(both.base_per_weighted_pupil, True))
    page.wait_for_timeout(800)
    after_png = chart.screenshot()
    assert before_png != after_png
    page.screenshot(path=str(tmp_path / "charts.png"))
    no_exception(page)

    # presentation mode renders its cards without an exception
    page.get_by_text("Presentation mode").click()
    page.wait_for_selector(".sbb-card", timeout=20_000)
    assert f"{both.losing}" in page.locator(".sbb-card").filter(has_text="Schools losing").inner_text()
    page.screenshot(path=str(tmp_path / "presentation.png"))
    no_exception(page)
    assert (tmp_path / "presentation.png").stat().st_size > 10_000
    page.close()


def test_opens_on_other_files(browser):
    """`streamlit run app.py -- --schools S --counts C --scenario F` opens on those files."""
    from sbb.allocate import allocate
    from sbb.district import load_district
    from sbb.report import dollars
    from sbb.scenario import load_scenario

    scenario = SCENARIOS / "ell_050_hold_harmless.toml"
    with running_app("--schools", str(SAMPLE / "schools.csv"), "--counts", str(SAMPLE / "counts.csv"),
                     "--scenario", str(scenario)) as url:
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(url)
        page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
        s = load_scenario(scenario)
        a = allocate(load_district(SAMPLE / "schools.csv", s.weights, counts=SAMPLE / "counts.csv"), s)
        wait_metric(page, "Hold-harmless cost", dollars(a.hold_harmless_cost))
        assert s.title in page.locator("h1").first.inner_text()
        assert "counts.csv" in page.inner_text("body")
        no_exception(page)
        page.close()
