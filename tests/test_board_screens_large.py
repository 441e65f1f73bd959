"""Headline cards with a very large figure stay whole: Minnesota's compensatory revenue, $461,850,014.72
in cents, at 1280x720 to 2560x1440 (the pattern of test_board_screens: Chromium on `streamlit run`)."""

from __future__ import annotations

import pytest

from conftest import ROOT
from test_board_screens import CUT_TEXT, SCREENS, SIZES, _settle, chromium  # noqa: F401 (a fixture)
from test_browser import CHROMIUM, running_app

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")

MN = ROOT / "sample_data" / "minnesota_fy2022"


@pytest.fixture(scope="module")
def mn_url():
    with running_app("--schools", str(MN / "schools.csv"), "--counts", str(MN / "counts.csv"),
                     "--scenario", str(ROOT / "scenarios" / "minnesota_compensatory_fy2022.toml")) as url:
        yield url


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_minnesota_headline_in_cents_is_whole(chromium, mn_url, size):  # noqa: F811
    page = chromium.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(mn_url)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=90_000)
    _settle(page)
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"working_minnesota_{size[0]}x{size[1]}.png"))
    values = {m.locator('[data-testid="stMetricLabel"]').inner_text().strip():
              m.locator('[data-testid="stMetricValue"]').inner_text().strip()
              for m in page.locator('[data-testid="stMetric"]').all()}
    # the published total of the 2,296 sites (Minnesota House Research workbook), to the cent
    assert values["Total to schools"] == "$461,850,014.72"
    cut = page.evaluate(CUT_TEXT)
    assert cut == [], cut
    page.close()
