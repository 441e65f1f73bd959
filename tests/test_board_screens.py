"""The board table on projector sizes: every number whole, the shown figures the engine's.

Chromium (Playwright) against one `streamlit run app.py` on the sample district (which has a new
school, S050) at 1280x720, 1366x768, 1920x1080 and 2560x1440, in the working view and in
presentation mode. For each: no visible element's text is cut off (an ellipsis over hidden text,
or text running past the window's right edge), the headline figures equal `sbb.figures` computed
on the same files, and in presentation mode at 1280x720 the cards and one whole chart fit without
scrolling. Screenshots go to out/screens/ (gitignored) for a person to look at.

Skipped (with the reason) only when /usr/bin/chromium is absent.
"""

from __future__ import annotations

import pytest

from conftest import ROOT, SAMPLE, SCENARIOS
from test_browser import CHROMIUM, headless_chromium, running_app

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")

SIZES = [(1280, 720), (1366, 768), (1920, 1080), (2560, 1440)]
SCREENS = ROOT / "out" / "screens"

# Visible elements whose own text is cut: an ellipsis over hidden text, or text past the window's
# right edge (or left of its left edge). Elements inside a collapsed sidebar or scrolling tables
# (their cells are drawn on a canvas) are not looked at.
CUT_TEXT = """() => {
  const out = [];
  const sidebar = document.querySelector('[data-testid="stSidebar"]');
  const sidebarOpen = sidebar && sidebar.getBoundingClientRect().right > 10;
  for (const el of document.querySelectorAll('[data-testid="stMain"] *, [data-testid="stSidebar"] *')) {
    if (!sidebarOpen && sidebar && sidebar.contains(el)) continue;
    if (el.closest('[data-testid="stTooltipContent"], [role="tooltip"]')) continue;
    const r = el.getBoundingClientRect();
    if (el.tagName === 'INPUT' && el.closest('[data-testid="stSelectbox"]') && r.height > 2 && el.value && el.scrollWidth > el.clientWidth + 1 && r.width > 0) {
      out.push({text: el.value.slice(0, 80), cut: true, past: false, right: Math.round(r.right)}); continue;
    }
    if (r.width <= 2 || r.height <= 2) continue;  // nothing to see, or screen-reader-only text
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || st.display === 'none') continue;
    const text = (el.innerText || '').trim();
    if (!text) continue;
    const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
    const clips = st.textOverflow === 'ellipsis' || ((st.overflowX === 'hidden' || st.overflowX === 'clip') &&
                  text.length < 150 && !el.querySelector('canvas, svg, input, textarea, [data-testid="stVegaLiteChart"]'));
    const cut = clips && el.scrollWidth > el.clientWidth + 1;
    const past = own !== '' && (r.right > window.innerWidth + 1 || r.left < -1);
    // text that does not wrap and spills out of its own box (e.g. over the edge of a card)
    const spills = own !== '' && st.display !== 'inline' && st.whiteSpace === 'nowrap' && el.clientWidth > 0 &&
                   el.scrollWidth > el.clientWidth + 1;
    if (cut || past || spills) out.push({text: text.slice(0, 80), cut, past, right: Math.round(r.right), tag: el.tagName,
                              scroll: el.scrollWidth, client: el.clientWidth});
  }
  return out;
}"""



@pytest.fixture(scope="module")
def app_url():
    with running_app() as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    with headless_chromium() as b:
        yield b


@pytest.fixture(scope="module")
def figures():
    from sbb.allocate import allocate
    from sbb.district import load_district
    from sbb.figures import board_figures
    from sbb.scenario import load_scenario

    s = load_scenario(SCENARIOS / "baseline.toml")
    d = load_district(SAMPLE / "schools.csv", s.weights, roster=SAMPLE / "roster.csv")
    return board_figures(allocate(d, s), d)


def _settle(page) -> None:
    """Wait until Streamlit has finished running and the charts are drawn."""
    page.wait_for_function("""() => !document.querySelector('[data-testid="stStatusWidget"]')""", timeout=30_000)
    page.wait_for_timeout(900)


def _open(chromium, url: str, size: tuple[int, int], present: bool):
    page = chromium.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(url)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    if present:
        page.locator('[data-testid="stSidebar"]').get_by_text("Presentation mode").click()
        page.wait_for_selector(".sbb-card", timeout=30_000)
    page.wait_for_selector('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg',
                           timeout=30_000) if present else None
    _settle(page)
    return page


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_working_view_shows_every_number_whole(chromium, app_url, figures, size):
    from sbb.figures import figure_text
    from sbb.report import dollars

    page = _open(chromium, app_url, size, present=False)
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"working_{size[0]}x{size[1]}.png"))
    cut = page.evaluate(CUT_TEXT)
    assert cut == [], cut
    values = {m.locator('[data-testid="stMetricLabel"]').inner_text().strip():
              m.locator('[data-testid="stMetricValue"]').inner_text().strip()
              for m in page.locator('[data-testid="stMetric"]').all()}
    f = figures
    assert values["Total to schools"] == dollars(f.total)
    assert values["Base per weighted pupil"] == dollars(f.base, True)
    assert values["Schools gaining / losing"] == f"{f.gaining} / {f.losing}"
    assert values["Hold-harmless cost"] == dollars(f.hold_harmless_cost)
    assert values["Poorest ÷ least-poor quarter"] == figure_text(f.quartile_ratio, "ratio")
    page.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_presentation_mode_fits_the_projector(chromium, app_url, figures, size):
    page = _open(chromium, app_url, size, present=True)
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"present_{size[0]}x{size[1]}.png"))
    cut = page.evaluate(CUT_TEXT)
    assert cut == [], cut
    # the control panel is folded away
    assert page.locator('[data-testid="stSidebar"]').bounding_box()["x"] + 10 < 0 or \
        page.locator('[data-testid="stSidebar"]').bounding_box()["width"] < 10
    cards = {c.locator(".label").inner_text().strip(): c.locator(".value").inner_text().strip()
             for c in page.locator(".sbb-card").all()}
    f = figures
    assert cards["Schools gaining"] == str(f.gaining) and cards["Schools losing"] == str(f.losing)
    assert cards["Total to schools"] == f"${f.total / 1e6:,.1f}M"
    # the cards and the first whole chart are inside the window without scrolling
    height = size[1]
    last_card = page.locator(".sbb-card").last.bounding_box()
    chart = page.locator('[data-testid="stVegaLiteChart"]').first.bounding_box()
    assert last_card["y"] + last_card["height"] <= height
    assert chart["y"] >= 0 and chart["y"] + chart["height"] <= height, (chart, height)
    # and the charts use the window's height: no empty lower half on a large screen (at 1920x1080 the
    # charts stood 360 px tall and ended at 726 px, two thirds of the way down)
    assert chart["y"] + chart["height"] >= 0.85 * height, (chart, height)
    page.close()


def test_presentation_says_what_changed_and_which_year(chromium, app_url):
    """The phase-in scenario with the English-learner weight changed live, on the smallest projector:
    the change in large type, the year shown, everything whole, cards and a chart inside the window."""
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(app_url)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    page.locator('[data-testid="stSidebar"]').get_by_text("Theory of action: central services").click()
    _settle(page)
    box = page.get_by_label("English learners", exact=True)
    box.fill("0.50")
    box.press("Enter")
    _settle(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("Presentation mode").click()
    page.wait_for_selector(".sbb-card", timeout=30_000)
    _settle(page)
    page.screenshot(path=str(SCREENS / "present_theory_ell050_1280x720.png"))
    changes = page.locator('[data-testid="sbb-changes"]').inner_text()
    assert changes.startswith("English learners: 0.40 → 0.50")  # the weight first, before the budget
    assert "year 1 of 3 of the phase-in shown" in page.locator(".sbb-sub").inner_text()
    cut = page.evaluate(CUT_TEXT)
    assert cut == [], cut
    chart = page.locator('[data-testid="stVegaLiteChart"]').first.bounding_box()
    assert chart["y"] + chart["height"] <= 720
    page.close()


def test_every_tab_shows_its_text_whole_on_the_smallest_projector(chromium, app_url):
    """1280x720, the phase-in scenario (central costs, bands, autonomy): each tab's text whole."""
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    page.goto(app_url)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    page.locator('[data-testid="stSidebar"]').get_by_text("Theory of action: central services").click()
    _settle(page)
    for tab in ("Charts", "Equity", "Why did it change?", "Compare scenarios", "Theory of action"):
        page.get_by_role("tab", name=tab).click()
        _settle(page)
        cut = page.evaluate(CUT_TEXT)
        assert cut == [], (tab, cut)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()
