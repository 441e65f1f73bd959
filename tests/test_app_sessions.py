"""Working sessions in the app (Streamlit AppTest): the address opens and follows the settings,
undo and redo, named versions compared side by side; expected numbers from the engine directly."""

from __future__ import annotations

from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, SAMPLE, SCENARIOS
from sbb.allocate import allocate
from sbb.district import load_district
from sbb.report import dollars
from sbb.scenario import load_scenario, with_weights
from sbb.weights import apply_overrides

TIMEOUT = 60


@pytest.fixture(scope="module")
def district():
    s = load_scenario(SCENARIOS / "baseline.toml")
    return load_district(SAMPLE / "schools.csv", s.weights, roster=SAMPLE / "roster.csv")


def engine(district, name="baseline.toml", overrides=None, **fields):
    s = load_scenario(SCENARIOS / name)
    if overrides:
        s = with_weights(s, apply_overrides(s.weights, overrides, "test"))
    return allocate(district, replace(s, **fields) if fields else s)


def opened(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def scenario_picker(at: AppTest):
    """The scenario widget (a select box, or radio buttons in another layout)."""
    for kind in ("selectbox", "radio"):
        found = [w for w in at.get(kind) if getattr(w, "key", None) == "pick"]
        if found:
            return found[0]
    raise AssertionError("no scenario picker")


def metric(at: AppTest, label: str) -> str:
    return [m.value for m in at.metric if m.label == label][0]


def params(at: AppTest) -> dict[str, str]:
    return {k: v for k, v in at.query_params.items()}


def test_the_address_follows_each_edit_and_opens_it_again(district):
    at = opened({})
    assert params(at) == {}                                    # the starting point: a plain address
    at.number_input(key="ctl:needs.ell.weight").set_value(0.5).run()
    at.segmented_control(key="group").set_value("limits").run()
    at.toggle(key="ctl:floor_on").set_value(True).run()
    at.number_input(key="ctl:max_loss_pct").set_value(2.0).run()
    assert params(at) == {"scenario": "baseline.toml", "data": "sample", "needs.ell.weight": "0.5",
                          "floor_on": "on", "max_loss_pct": "2"}
    # a new session (a reload, or another browser) on that address: the same scenario and numbers
    again = opened(params(at))
    want = engine(district, overrides={"needs.ell.weight": 0.5}, max_loss_pct=2.0)
    assert metric(again, "Base per weighted pupil") == dollars(want.base_per_weighted_pupil, True)
    assert metric(again, "Hold-harmless cost") == dollars(want.hold_harmless_cost)
    assert again.number_input(key="ctl:needs.ell.weight").value == 0.5
    assert not again.error and not again.warning
    assert params(again) == params(at)


def test_the_address_names_another_scenario(district):
    at = opened({"scenario": "ell_050_hold_harmless.toml", "data": "sample", "needs.poverty.weight": "0.3"})
    want = engine(district, "ell_050_hold_harmless.toml", {"needs.poverty.weight": 0.3})
    assert scenario_picker(at).value == "ell_050_hold_harmless.toml"
    assert metric(at, "Base per weighted pupil") == dollars(want.base_per_weighted_pupil, True)
    assert metric(at, "Hold-harmless cost") == dollars(want.hold_harmless_cost)


@pytest.mark.parametrize("bad", [
    {"scenario": "baseline.toml", "needs.ell.weight": "99"},
    {"scenario": "baseline.toml", "needs.ell.wieght": "0.5"},
    {"scenario": "baseline.toml", "max_loss_pct": "**3**<script>"},
    {"scenario": "gone.toml"},
])
def test_a_bad_address_opens_the_baseline_with_one_message(district, bad):
    at = opened(bad)
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "could not be used" in errors[0], errors
    if "script" in str(bad):                                   # quoted as text, never run as markup
        assert "\\<script\\>" in errors[0] and "\\*\\*3" in errors[0]
    base = engine(district)
    assert metric(at, "Base per weighted pupil") == dollars(base.base_per_weighted_pupil, True)
    assert at.number_input(key="ctl:needs.ell.weight").value == 0.40
    assert params(at) == {}                                    # the bad address is replaced
    at.run()
    assert not at.error                                        # and said once


def test_an_address_made_on_an_upload_says_so(district):
    at = opened({"scenario": "baseline.toml", "data": "upload-0123456789ab", "needs.ell.weight": "0.45"})
    assert any("does not have" in w.value for w in at.warning)
    want = engine(district, overrides={"needs.ell.weight": 0.45})
    assert metric(at, "Base per weighted pupil") == dollars(want.base_per_weighted_pupil, True)


def test_undo_and_redo_round_trip(district):
    at = opened({})
    base = engine(district)
    at.number_input(key="ctl:needs.ell.weight").set_value(0.5).run()
    at.number_input(key="ctl:needs.poverty.weight").set_value(0.35).run()
    both = engine(district, overrides={"needs.ell.weight": 0.5, "needs.poverty.weight": 0.35})
    one = engine(district, overrides={"needs.ell.weight": 0.5})
    assert metric(at, "Base per weighted pupil") == dollars(both.base_per_weighted_pupil, True)
    at.button(key="undo").click().run()
    assert at.number_input(key="ctl:needs.poverty.weight").value == 0.25
    assert metric(at, "Base per weighted pupil") == dollars(one.base_per_weighted_pupil, True)
    assert params(at).get("needs.poverty.weight") is None        # the address follows the undo
    at.button(key="undo").click().run()
    assert metric(at, "Base per weighted pupil") == dollars(base.base_per_weighted_pupil, True)
    assert at.button(key="undo").disabled
    at.button(key="redo").click().run()
    at.button(key="redo").click().run()
    assert metric(at, "Base per weighted pupil") == dollars(both.base_per_weighted_pupil, True)
    assert at.button(key="redo").disabled
    edits = [t.value for t in at.text if "Opened" in t.value][0]
    assert edits.splitlines() == ["▸ Poverty: 0.25 → 0.35", "  English learners: 0.40 → 0.50", "  Opened"]
    # undo a scenario pick too
    scenario_picker(at).set_value("poverty_030.toml").run()
    at.button(key="undo").click().run()
    assert scenario_picker(at).value == "baseline.toml"
    assert metric(at, "Base per weighted pupil") == dollars(both.base_per_weighted_pupil, True)


def save(at: AppTest, name: str, note: str = "") -> None:
    at.text_input(key="version_name").set_value(name)
    at.text_area(key="version_note").set_value(note)
    at.button(key="save_version").click().run()
    assert not at.exception


def test_two_versions_compare_side_by_side(district):
    at = opened({})
    at.number_input(key="ctl:needs.ell.weight").set_value(0.5).run()
    save(at, "Trustee Lee's proposal", "ELL 0.50 <b>bold</b> **starred**")
    at.number_input(key="ctl:needs.poverty.weight").set_value(0.35).run()
    save(at, "Poverty 0.35")
    lee = engine(district, overrides={"needs.ell.weight": 0.5})
    pov = engine(district, overrides={"needs.ell.weight": 0.5, "needs.poverty.weight": 0.35})
    at.session_state["tab"] = "Compare scenarios"
    at.run()
    at.multiselect(key="compare").set_value(["version:Trustee Lee's proposal", "version:Poverty 0.35"]).run()
    assert not at.exception
    totals = [d.value for d in [*at.dataframe, *at.table] if "Base per weighted pupil" in d.value.index][0]
    assert list(totals.columns) == ["Trustee Lee's proposal", "Poverty 0.35"]
    assert totals.loc["Base per weighted pupil"].tolist() == [dollars(lee.base_per_weighted_pupil, True),
                                                              dollars(pov.base_per_weighted_pupil, True)]
    # the per-school grid: short numbered headers (a grid header cannot wrap a long title), the whole
    # titles in the caption, each column the engine's change per school
    grid = [d.value for d in at.dataframe if "School ID" in d.value.columns][0]
    assert list(grid.columns) == ["School ID", "School", "Last year", "Change 1", "Change 2"]
    for column, a in (("Change 1", lee), ("Change 2", pov)):
        want = a.table.set_index("school_id")["delta"]
        got = grid.set_index("School ID")[column]
        assert got.dropna().to_dict() == want.dropna().to_dict()
    assert any(c.value.startswith("Change 1: Trustee Lee's proposal · Change 2: Poverty 0.35.") for c in at.caption)
    # the note is shown as text, markup and all
    assert "Trustee Lee's proposal: ELL 0.50 <b>bold</b> **starred**" in [t.value for t in at.text]
    # a reload (a new session on this address) keeps both versions, note included
    again = opened(params(at))
    kept = again.session_state["versions"]
    assert [(v.name, v.note) for v in kept] == [("Trustee Lee's proposal", "ELL 0.50 <b>bold</b> **starred**"),
                                                ("Poverty 0.35", "")]
    assert dict(kept[1].scenario.overrides) == {"needs.ell.weight": 0.5, "needs.poverty.weight": 0.35}
    # open the first version again: its settings come back
    at.selectbox(key="version_pick").set_value("Trustee Lee's proposal").run()
    at.button(key="open_version").click().run()
    assert at.number_input(key="ctl:needs.poverty.weight").value == 0.25
    assert metric(at, "Base per weighted pupil") == dollars(lee.base_per_weighted_pupil, True)


def test_bad_version_names_are_refused_and_the_typing_is_kept():
    at = opened({})
    save(at, "   ", "a note I typed")
    assert [t.value for t in at.text] == ["Give the version a name."]
    assert at.text_area(key="version_note").value == "a note I typed"
    save(at, "x" * 61, "a note I typed")
    assert "at most 60 characters; this one has 61" in at.text[0].value
    save(at, "Fine", "")
    save(at, "fine", "")
    assert "already a version" in at.text[0].value
    table = [d.value for d in at.dataframe if "Note" in d.value.columns][0]
    assert list(table["Name"]) == ["Fine"]


def test_sessions_do_not_share_versions_or_edits():
    a, b = opened({}), opened({})
    a.number_input(key="ctl:needs.ell.weight").set_value(0.6).run()
    save(a, "Only in A")
    b.run()
    assert b.number_input(key="ctl:needs.ell.weight").value == 0.40
    assert not [d for d in b.dataframe if "Note" in d.value.columns]
    assert "versions" not in b.session_state or b.session_state["versions"] == []


def test_command_line_files_are_named_in_the_address(monkeypatch, district):
    monkeypatch.setattr("sys.argv", ["app.py", "--schools", str(SAMPLE / "schools.csv"),
                                     "--counts", str(SAMPLE / "counts.csv")])
    at = opened({})
    at.number_input(key="ctl:needs.ell.weight").set_value(0.5).run()
    token = params(at)["data"]
    assert token.startswith("files-") and len(token) == len("files-") + 12
    again = opened(params(at))                       # the same server's files: nothing to say
    assert not again.warning and not again.error
    # an address made on the sample opened on this server: its settings, on these files, and a note
    other = opened({"scenario": "baseline.toml", "data": "sample", "needs.ell.weight": "0.5"})
    assert any("other district data" in w.value for w in other.warning)
    want = engine(district, overrides={"needs.ell.weight": 0.5})  # counts.csv is the roster reduced
    assert metric(other, "Base per weighted pupil") == dollars(want.base_per_weighted_pupil, True)
