"""The Streamlit app driven headless with `streamlit.testing.v1.AppTest` on the sample district.

Expected numbers come from the engine called directly on the same files (or, for the total, from
the schools file read with pandas), never from the page itself.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, SAMPLE, SCENARIOS
from sbb.allocate import allocate
from sbb.district import load_district
from sbb.report import dollars
from sbb.scenario import load_scenario, with_weights
from sbb.ui.controls import scenario_from_settings
from sbb.ui.page import saved_toml
from sbb.weights import apply_overrides

TIMEOUT = 60  # seconds per run; a run takes well under a second after the first


@pytest.fixture(scope="module")
def district():
    s = load_scenario(SCENARIOS / "baseline.toml")
    return load_district(SAMPLE / "schools.csv", s.weights, roster=SAMPLE / "roster.csv")


@pytest.fixture()
def app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric labelled {label!r}"
    return values[0]


def school_frame(at: AppTest) -> pd.DataFrame:
    frames = [d.value for d in at.dataframe if "Allocation" in d.value.columns and "School ID" in d.value.columns]
    assert frames, "no per-school table"
    return frames[0]


def test_opens_on_the_sample_district(app):
    # Budget-neutral baseline shares last year's total: the sum of prior_allocation in schools.csv.
    prior_total = pd.read_csv(SAMPLE / "schools.csv")["prior_allocation"].sum()
    assert metric(app, "Total to schools") == f"${prior_total:,.0f}"
    table = school_frame(app)
    assert len(table) == len(pd.read_csv(SAMPLE / "schools.csv"))
    assert table["Allocation"].sum() == prior_total
    # every control group is there, with the need weights a finance officer changes most
    labels = {n.label for n in app.number_input}
    assert {"Poverty", "English learners", "Special education: resource"} <= labels
    app.segmented_control(key="group").set_value("amounts").run()
    assert "Foundation per school ($)" in {n.label for n in app.text_input}  # dollars typed with separators
    assert len(app.get("progress")) == 0  # the reading progress bar is gone once the district is read


def test_changing_a_weight_shows_the_engines_numbers(app, district):
    app.number_input(key="ctl:needs.ell.weight").set_value(0.50).run()
    assert not app.exception
    s = load_scenario(SCENARIOS / "baseline.toml")
    expected = allocate(district, with_weights(s, apply_overrides(s.baseline, {"needs.ell.weight": 0.5}, "test")))
    assert metric(app, "Base per weighted pupil") == dollars(expected.base_per_weighted_pupil, True)
    assert metric(app, "Total to schools") == dollars(expected.total)
    table = school_frame(app)
    by_id = expected.table.set_index("school_id")
    assert np.array_equal(table.set_index("School ID")["Allocation"].to_numpy(),
                          by_id.loc[table["School ID"], "allocation"].to_numpy())
    # the baseline value is shown beside the changed control
    assert "Baseline: 0.40" in [c.value for c in app.sidebar.caption]
    # and the reset puts the baseline numbers back
    base = allocate(district, s)
    [b for b in app.sidebar.button if b.label == "Reset"][0].click().run()
    assert metric(app, "Base per weighted pupil") == dollars(base.base_per_weighted_pupil, True)


def test_hold_harmless_floor_from_the_sidebar(app, district):
    app.segmented_control(key="group").set_value("limits").run()
    app.toggle(key="ctl:floor_on").set_value(True).run()
    app.number_input(key="ctl:max_loss_pct").set_value(3.0).run()
    assert not app.exception
    s = replace(load_scenario(SCENARIOS / "baseline.toml"), max_loss_pct=3.0)
    expected = allocate(district, s)
    assert metric(app, "Hold-harmless cost") == dollars(expected.hold_harmless_cost)
    table = school_frame(app)
    # no school with a prior year loses more than 3%, shown to the cent of a percent
    assert (table["Change %"].dropna() >= -3.0).all()


def test_presentation_mode_shows_the_few_numbers(app, district):
    app.toggle(key="present").set_value(True).run()
    assert not app.exception
    html = " ".join(m.value for m in app.markdown)
    expected = allocate(district, load_scenario(SCENARIOS / "baseline.toml"))
    assert "sbb-cards" in html
    assert f"${expected.total / 1e6:,.1f}M" in html
    assert f'<div class="label">Schools losing</div><div class="value">{expected.losing}</div>' in html
    assert not app.dataframe  # no tables in presentation mode
    app.toggle(key="present").set_value(False).run()
    assert school_frame(app) is not None


@pytest.mark.parametrize("tab", ["Charts", "Equity", "Why did it change?", "Compare scenarios", "Theory of action"])
def test_every_tab_renders(app, tab):
    app.session_state["tab"] = tab
    app.run()
    assert not app.exception, app.exception


def test_theory_scenario_and_why_tab(app, district):
    app.radio(key="pick").set_value("theory_of_action.toml").run()
    assert not app.exception
    s = load_scenario(SCENARIOS / "theory_of_action.toml")
    expected = allocate(district, s)
    assert metric(app, "Base per weighted pupil") == dollars(expected.base_per_weighted_pupil, True)
    app.session_state["tab"] = "Theory of action"
    app.run()
    assert not app.exception
    bands = [d.value for d in app.dataframe if "Band" in d.value.columns]
    assert bands and bands[0]["Schools"].sum() == len(expected.table)
    app.session_state["tab"] = "Why did it change?"
    app.run()
    parts = [t.value for t in app.table if "Dollars" in t.value.columns][0]
    # the first school offered is the biggest loser; its parts are listed with signed dollars
    worst = expected.table.sort_values("delta", kind="stable").iloc[0]
    assert app.selectbox(key="explain_school").value == worst["school_id"]
    assert len(parts) >= 2
    # the parts shown add up to the change shown, to the dollar
    shown = parts["Dollars"].str.replace(r"[$,+]", "", regex=True).astype(float).sum()
    assert shown == worst["allocation"] - worst["prior_allocation"]


def test_bad_upload_shows_every_problem_and_keeps_data_and_settings(app):
    app.number_input(key="ctl:needs.ell.weight").set_value(0.50).run()
    before = (metric(app, "Total to schools"), metric(app, "Base per weighted pupil"))
    bad = ("student_id,school_id,grade,frl,ell,sped\n"
           "1,S001,4,1,0,none\n"
           "2,NOPE,4,1,0,none\n"     # unknown school
           "3,S001,Q,1,0,none\n")    # not a grade
    app.file_uploader(key="up_roster").set_value(("bad_roster.csv", bad.encode(), "text/csv"))
    [b for b in app.button if b.label == "Check and load"][0].click().run()
    assert not app.exception
    assert any("nothing was replaced" in e.value for e in app.error)
    # every problem is written out whole, with its value, and no server path and no "None"
    text = " ".join(m.value for m in app.markdown)
    assert "(value NOPE)" in text and "(value Q)" in text
    assert "None" not in text and str(SAMPLE) not in text
    assert (metric(app, "Total to schools"), metric(app, "Base per weighted pupil")) == before
    assert app.number_input(key="ctl:needs.ell.weight").value == 0.50


def test_good_upload_of_counts_replaces_the_data(app, district):
    schools = (SAMPLE / "schools.csv").read_bytes()
    counts = (SAMPLE / "counts.csv").read_bytes()
    app.file_uploader(key="up_schools").set_value(("schools.csv", schools, "text/csv"))
    app.file_uploader(key="up_counts").set_value(("counts.csv", counts, "text/csv"))
    [b for b in app.button if b.label == "Check and load"][0].click().run()
    assert not app.exception
    assert "counts, uploaded" in app.caption[0].value
    expected = allocate(district, load_scenario(SCENARIOS / "baseline.toml"))  # counts.csv = roster reduced
    assert metric(app, "Base per weighted pupil") == dollars(expected.base_per_weighted_pupil, True)


def test_saved_scenario_reloads_to_the_same_numbers(app):
    app.number_input(key="ctl:needs.ell.weight").set_value(0.55).run()
    app.segmented_control(key="group").set_value("limits").run()
    app.toggle(key="ctl:floor_on").set_value(True).run()
    app.number_input(key="ctl:max_loss_pct").set_value(2.5).run()
    before = school_frame(app)["Allocation"].to_numpy()
    base_before = metric(app, "Base per weighted pupil")
    scenario = scenario_from_settings(app.session_state["start"], app.session_state["settings"])
    text = saved_toml(scenario, "ELL 0.55 with a 2.5% floor")   # the text the download button serves
    assert '"needs.ell.weight" = 0.55' in text and "max_loss_pct = 2.5" in text
    # start again from the baseline, then load the saved file
    [b for b in app.sidebar.button if b.label == "Reset"][0].click().run()
    assert metric(app, "Base per weighted pupil") != base_before
    app.file_uploader(key="scenario_file").set_value(("saved.toml", text.encode(), "application/toml")).run()
    assert not app.exception
    assert app.title[0].value == "ELL 0.55 with a 2.5% floor"
    assert metric(app, "Base per weighted pupil") == base_before
    assert np.array_equal(school_frame(app)["Allocation"].to_numpy(), before)


def test_bad_scenario_upload_changes_nothing(app):
    before = metric(app, "Base per weighted pupil")
    text = 'title = "bad"\nweights = "../weights/sample_district.toml"\n[overrides]\n"needs.ell.wieght" = 0.5\n'
    app.file_uploader(key="scenario_file").set_value(("bad.toml", text.encode(), "application/toml")).run()
    assert not app.exception
    assert any("nothing was changed" in e.value for e in app.error)
    assert metric(app, "Base per weighted pupil") == before


def test_excel_download_is_offered_when_the_export_module_exists(app, district):
    pytest.importorskip("sbb.export")
    from sbb.ui.page import _workbook_function

    assert "Excel workbook" in [b.label for b in app.get("download_button")]
    data = _workbook_function()(allocate(district, load_scenario(SCENARIOS / "baseline.toml")), district)
    assert data[:2] == b"PK"  # an .xlsx is a zip archive


def test_missing_files_on_the_command_line_are_reported_not_raised(monkeypatch, tmp_path):
    monkeypatch.setattr("sys.argv", ["app.py", "--schools", str(tmp_path / "nope.csv"),
                                     "--counts", str(SAMPLE / "counts.csv")])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    assert any("nothing was loaded" in e.value for e in at.error)
    text = " ".join(m.value for m in at.markdown)
    assert "nope.csv" in text and str(tmp_path) not in text  # the file named, not the server's folders


def test_other_files_and_scenario_from_the_command_line(monkeypatch, district):
    scenario = SCENARIOS / "hold_harmless_3pct.toml"
    monkeypatch.setattr("sys.argv", ["app.py", "--schools", str(SAMPLE / "schools.csv"),
                                     "--counts", str(SAMPLE / "counts.csv"), "--scenario", str(scenario)])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    expected = allocate(district, load_scenario(scenario))
    assert at.title[0].value == expected.scenario.title
    assert metric(at, "Hold-harmless cost") == dollars(expected.hold_harmless_cost)
    assert "counts.csv" in at.caption[0].value


def test_a_scenario_whose_weights_do_not_fit_the_data_is_refused(app, tmp_path):
    # the sample weights plus a need column ('gifted') that the sample roster does not have
    weights = (ROOT / "weights" / "sample_district.toml").read_text()
    (tmp_path / "w.toml").write_text(weights + '\n[needs.gifted]\ncolumn = "gifted"\nweight = 0.1\n')
    text = f'title = "Gifted weight"\nweights = "{(tmp_path / "w.toml").as_posix()}"\n'
    before = metric(app, "Base per weighted pupil")
    app.file_uploader(key="scenario_file").set_value(("gifted.toml", text.encode(), "application/toml")).run()
    assert not app.exception
    assert any("does not fit the loaded data" in e.value for e in app.error)
    assert app.title[0].value == load_scenario(SCENARIOS / "baseline.toml").title
    assert metric(app, "Base per weighted pupil") == before


def test_baseline_button_goes_back_to_the_baseline_scenario(app, district):
    app.radio(key="pick").set_value("ell_050_hold_harmless.toml").run()
    assert app.title[0].value == load_scenario(SCENARIOS / "ell_050_hold_harmless.toml").title
    [b for b in app.sidebar.button if b.label == "Baseline"][0].click().run()
    assert not app.exception
    base = allocate(district, load_scenario(SCENARIOS / "baseline.toml"))
    assert app.title[0].value == base.scenario.title
    assert metric(app, "Base per weighted pupil") == dollars(base.base_per_weighted_pupil, True)
    assert app.number_input(key="ctl:needs.ell.weight").value == 0.40


def test_fixed_base_mode_from_the_sidebar(app, district):
    app.segmented_control(key="group").set_value("funding").run()
    app.segmented_control(key="ctl:mode").set_value("fixed_base").run()
    app.number_input(key="ctl:base.per_weighted_pupil").set_value(5100.0).run()
    assert not app.exception
    s = load_scenario(SCENARIOS / "baseline.toml")
    expected = allocate(district, with_weights(s, apply_overrides(s.baseline, {"base.per_weighted_pupil": 5100.0},
                                                                  "test"), mode="fixed_base"))
    assert metric(app, "Base per weighted pupil") == "$5,100.00"
    assert metric(app, "Total to schools") == dollars(expected.total)


def test_budget_is_typed_with_thousands_separators(app, district):
    """The budget box shows 256,512,266 (last year's total, from schools.csv by hand: the prior
    allocations add up to $256,512,266); typing 250,000,000 shares that; a typing slip keeps it."""
    app.segmented_control(key="group").set_value("funding").run()
    app.toggle(key="ctl:budget_custom").set_value(True).run()
    box = app.text_input(key="ctl:budget")
    assert box.value == "256,512,266"
    box.set_value("$250,000,000").run()
    s = replace(load_scenario(SCENARIOS / "baseline.toml"), budget=250_000_000.0)
    assert metric(app, "Total to schools") == "$250,000,000"
    assert metric(app, "Base per weighted pupil") == dollars(allocate(district, s).base_per_weighted_pupil, True)
    app.text_input(key="ctl:budget").set_value("25O,000").run()  # a letter O for a zero
    assert not app.exception
    assert any("'25O,000' is not an amount in dollars" in e.value and "still using $250,000,000" in e.value
               for e in app.error)
    assert metric(app, "Total to schools") == "$250,000,000"


def test_settings_that_cannot_be_allocated_are_said_whole_without_server_paths(app):
    """A 3% floor on last year's $256,512,266 needs at least 97% of it (about $248.8M) for the 49
    schools with a prior year; a $100,000,000 budget cannot pay that. The page says so in a whole
    sentence naming 'your settings', with the amount, and no folder of the server."""
    app.segmented_control(key="group").set_value("limits").run()
    app.toggle(key="ctl:floor_on").set_value(True).run()
    app.number_input(key="ctl:max_loss_pct").set_value(3.0).run()
    app.segmented_control(key="group").set_value("funding").run()
    app.toggle(key="ctl:budget_custom").set_value(True).run()
    app.text_input(key="ctl:budget").set_value("100,000,000").run()
    assert not app.exception
    assert any("cannot be allocated" in e.value for e in app.error)
    text = " ".join(m.value for m in app.markdown)
    assert "your settings" in text and "100,000,000" in text
    assert str(ROOT) not in text and "None" not in text and ".toml" not in text and "max\\_loss" not in text


def test_pdf_downloads_are_offered(app):
    """The Schools tab offers every school's statement and the board handout; "Why did it change?"
    offers the statement of the school picked there."""
    labels = [b.label for b in app.get("download_button")]
    assert "All school statements (PDF)" in labels and "Board handout (PDF)" in labels
    app.session_state["tab"] = "Why did it change?"
    app.run()
    assert not app.exception, app.exception
    assert "This school's statement (PDF)" in [b.label for b in app.get("download_button")]


def test_district_name_for_the_documents():
    from sbb.ui.documents import district_name
    from sbb.ui.state import DataSource

    assert district_name({"source": DataSource(str(SAMPLE / "schools.csv"), counts="c.csv")}) == "Sample district"
    assert district_name({"source": DataSource(("springfield_schools.csv", b""), counts="c.csv")}) == "Springfield schools"
    assert district_name({}) == "District"
