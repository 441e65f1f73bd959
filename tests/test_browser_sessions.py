"""Working sessions in a real browser (Playwright, Debian's Chromium, `streamlit run app.py` on a
loopback port): an edit survives a reload, the address opened in a second browser context shows the
same scenario and numbers, undo/redo round-trips, two named versions compare side by side, and a
second concurrent session never sees the first one's upload. Expected numbers come from the engine.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from conftest import SAMPLE
from test_browser import CHROMIUM, browser, no_exception, server, set_weight, wait_metric  # noqa: F401
from test_browser import expected as engine

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is not installed")
BASE = "Base per weighted pupil"


def money(a) -> str:
    from sbb.report import dollars

    return dollars(a.base_per_weighted_pupil, True)


def open_page(context, url: str):
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    return page


def wait_address(page, key: str, value: str | None) -> None:
    """Until the page's address has `key=value` (or no `key` when value is None)."""
    def has() -> bool:
        got = parse_qs(urlparse(page.url).query).get(key)
        return got == [value] if value is not None else got is None
    for _ in range(100):
        if has():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"address {page.url} has no {key}={value}")


def click(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def test_reload_second_context_and_undo_redo(server, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = open_page(context, server)
    base, ell = engine({}), engine({"needs.ell.weight": 0.5})
    both = engine({"needs.ell.weight": 0.5, "needs.poverty.weight": 0.35})
    wait_metric(page, BASE, money(base))
    set_weight(page, "English learners", "0.50")
    wait_metric(page, BASE, money(ell))
    set_weight(page, "Poverty", "0.35")
    wait_metric(page, BASE, money(both))
    wait_address(page, "needs.poverty.weight", "0.35")
    url = page.url

    # a reload keeps every edit
    page.reload()
    wait_metric(page, BASE, money(both), timeout=60_000)
    expect(page.get_by_label("English learners", exact=True)).to_have_value("0.50")
    expect(page.get_by_label("Poverty", exact=True)).to_have_value("0.35")

    # the address in another browser context: the same scenario and numbers
    other = browser.new_context(viewport={"width": 1600, "height": 1000})
    page2 = open_page(other, url)
    wait_metric(page2, BASE, money(both), timeout=60_000)
    wait_metric(page2, "Hold-harmless cost", "$0")
    assert page2.locator("h1").first.inner_text().strip() == page.locator("h1").first.inner_text().strip()
    expect(page2.get_by_label("Poverty", exact=True)).to_have_value("0.35")
    no_exception(page2)
    other.close()

    # undo twice, redo twice (a reload started a new history: edit again first)
    set_weight(page, "Poverty", "0.25")
    wait_metric(page, BASE, money(ell))
    click(page, "Undo")
    wait_metric(page, BASE, money(both))
    wait_address(page, "needs.poverty.weight", "0.35")
    click(page, "Redo")
    wait_metric(page, BASE, money(ell))
    wait_address(page, "needs.poverty.weight", None)
    expect(page.get_by_label("Poverty", exact=True)).to_have_value("0.25")
    # the browser's Back button goes to the address before the last edit, and its numbers
    page.go_back()
    wait_metric(page, BASE, money(both))
    expect(page.get_by_label("Poverty", exact=True)).to_have_value("0.35")
    no_exception(page)
    context.close()


def test_two_versions_side_by_side(server, browser, tmp_path):  # noqa: F811
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = open_page(context, server)
    lee = engine({"needs.ell.weight": 0.5})
    pov = engine({"needs.ell.weight": 0.5, "needs.poverty.weight": 0.35})
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Versions", exact=True).click()
    for name, note, weights in (("Trustee Lee", "ELL 0.50 <b>not bold</b>", {"English learners": "0.50"}),
                                ("Poverty 0.35", "", {"Poverty": "0.35"})):
        for label, value in weights.items():
            set_weight(page, label, value)
        wait_metric(page, BASE, money(lee if name == "Trustee Lee" else pov))
        page.get_by_label("Version name").fill(name)
        page.get_by_label("Note").fill(note)
        click(page, "Save as version")
        page.wait_for_function("() => document.body.innerText.includes('Saved. Compare versions')", timeout=20_000)
    page.get_by_role("tab", name="Compare scenarios").click()
    # the totals, one column per version: the engine's base per weighted pupil under each
    # (the totals are a grid or a plain table, depending on the layout)
    rows = '[data-testid="stMain"] [data-testid="stDataFrame"] [role="row"], [data-testid="stMain"] [data-testid="stTable"] tr'
    page.wait_for_function(
        """([rows, a, b]) => [...document.querySelectorAll(rows)]
             .some(r => r.textContent.includes('Base per weighted pupil') && r.textContent.includes(a)
                        && r.textContent.includes(b) && r.textContent.indexOf(a) < r.textContent.lastIndexOf(b))""",
        arg=[rows, money(lee), money(pov)], timeout=30_000)
    heads = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"] [role="columnheader"], '
                         '[data-testid="stMain"] [data-testid="stTable"] th').all_text_contents()
    heads = [h.strip() for h in heads]
    assert "Trustee Lee" in heads and "Poverty 0.35" in heads
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "Trustee Lee: ELL 0.50 <b>not bold</b>" in body      # the note as text
    page.screenshot(path=str(tmp_path / "versions.png"), full_page=True)
    no_exception(page)
    # a reload keeps the versions (they travel in the address)
    page.reload()
    page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
    page.locator('[data-testid="stSidebar"]').get_by_text("Versions", exact=True).click()
    rows = page.locator('[data-testid="stSidebar"] [data-testid="stDataFrame"] [role="row"]')
    rows.filter(has_text="Trustee Lee").first.wait_for(state="attached", timeout=30_000)
    assert rows.filter(has_text="Poverty 0.35").count() == 1
    context.close()


def test_a_second_session_never_sees_the_first_ones_upload(server, browser, tmp_path):  # noqa: F811
    schools = (SAMPLE / "schools.csv").read_text().splitlines()
    header, first = schools[0].split(","), schools[1].split(",")
    first[header.index("school_name")] = "Zebra Upload Academy"
    (tmp_path / "schools.csv").write_text("\n".join([schools[0], ",".join(first), *schools[2:]]) + "\n")
    a_ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    b_ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    a, b = open_page(a_ctx, server), open_page(b_ctx, server)     # two sessions at once
    set_weight(a, "English learners", "0.55")                      # an edit in A, then A's upload
    wait_metric(a, BASE, money(engine({"needs.ell.weight": 0.55})))
    a.locator('[data-testid="stSidebar"]').get_by_text("District data").click()
    a.locator('[data-testid="stFileUploader"]').filter(has_text="Schools file").locator(
        'input[type="file"]').set_input_files(str(tmp_path / "schools.csv"))
    a.locator('[data-testid="stFileUploader"]').filter(has_text="school counts").locator(
        'input[type="file"]').set_input_files(str(SAMPLE / "counts.csv"))
    click(a, "Check and load")
    a.wait_for_function("() => document.body.innerText.includes('counts, uploaded')", timeout=30_000)
    a.wait_for_function("""() => [...document.querySelectorAll('[data-testid="stDataFrame"] [role="row"]')]
                             .some(r => r.innerText.includes('Zebra Upload Academy'))""", timeout=30_000)
    wait_address(a, "scenario", "baseline.toml")
    assert parse_qs(urlparse(a.url).query)["data"][0].startswith("upload-")
    # B, running all along and redrawn after an edit, still has the sample and never the upload
    set_weight(b, "English learners", "0.45")
    wait_metric(b, BASE, money(engine({"needs.ell.weight": 0.45})))
    text = b.locator('[data-testid="stMain"]').inner_text()
    assert "uploaded" not in text and "roster.csv" in text
    assert b.locator('[data-testid="stDataFrame"] [role="row"]').filter(has_text="S001").count() >= 1
    assert b.locator('[data-testid="stDataFrame"] [role="row"]').filter(has_text="Zebra Upload Academy").count() == 0
    # A's address opened in B's browser: A's settings on B's data (the sample), saying the upload is not here
    b.goto(a.url)
    b.wait_for_function("() => document.body.innerText.includes('this session does not have')", timeout=30_000)
    b.wait_for_selector('[data-testid="stDataFrame"] [role="row"]:has-text("S001")', state="attached", timeout=30_000)
    assert b.locator('[data-testid="stDataFrame"] [role="row"]').filter(has_text="Zebra Upload Academy").count() == 0
    wait_metric(b, BASE, money(engine({"needs.ell.weight": 0.55})))
    no_exception(a)
    no_exception(b)
    a_ctx.close()
    b_ctx.close()


def test_a_bad_address_opens_the_baseline_with_one_message(server, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = open_page(context, server + "?scenario=baseline.toml&needs.ell.weight=99&needs.poverty.weight=%5Ba%5D(http://e)")
    wait_metric(page, BASE, money(engine({})))
    alerts = page.locator('[data-testid="stAlert"]')
    expect(alerts).to_have_count(1)
    assert "'needs.ell.weight' = 99 is above 20" in alerts.inner_text()
    assert "'[a](http://e)' is not a number" in alerts.inner_text()
    assert alerts.locator("a").count() == 0                      # the quoted address is text, not a link
    wait_address(page, "scenario", None)                         # the bad address is replaced
    no_exception(page)
    context.close()
