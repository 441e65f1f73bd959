"""The District picker in a real browser (Chromium, Playwright; the server fixture of test_browser):
a link to the Minnesota example opens on its published total, and picking the sample district
brings the sample's numbers back. Skipped when /usr/bin/chromium is absent."""

from __future__ import annotations

import pytest

from conftest import SAMPLE, SCENARIOS
from sbb.allocate import allocate
from sbb.district import load_district
from sbb.report import dollars
from sbb.scenario import load_scenario
from test_browser import CHROMIUM, browser, server  # noqa: F401  (pytest fixtures)

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")


def headline(page) -> str:
    box = page.locator('[data-testid="stMetric"]').filter(has_text="Total to schools")
    return box.locator('[data-testid="stMetricValue"]').inner_text().strip()


def test_a_link_to_an_example_district_and_back_to_the_sample(server, browser):  # noqa: F811
    s = load_scenario(SCENARIOS / "baseline.toml")
    sample_total = dollars(allocate(load_district(SAMPLE / "schools.csv", s.weights,
                                                  roster=SAMPLE / "roster.csv"), s).total)
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.goto(server + "?data=example-minnesota_fy2022")
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    page.wait_for_function("() => document.body.innerText.includes('$461,850,014.72')", timeout=30_000)
    assert headline(page) == "$461,850,014.72"  # the published FY2022 total
    page.locator('[data-testid="stSidebar"]').get_by_text("Sample district", exact=True).click()
    page.wait_for_function(f"() => document.body.innerText.includes({sample_total!r})", timeout=30_000)
    assert headline(page) == sample_total
    assert "data=example" not in page.url
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()
