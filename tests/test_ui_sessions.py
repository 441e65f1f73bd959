"""Working sessions without Streamlit: the address (settings <-> query parameters), undo and redo,
named versions (names, notes, the TOML and the workbook they download as)."""

from __future__ import annotations

import io
import tomllib

import pytest

from conftest import SCENARIOS
from sbb.scenario import load_scenario, parse_scenario
from sbb.ui import address, versions
from sbb.ui.controls import scenario_from_settings, settings_from_scenario
from sbb.ui.history import History, describe

PRIOR = 250_000_000.0  # a stand-in for last year's total (dollars); only the budget box reads it


@pytest.fixture(scope="module")
def scenarios():
    return {name: load_scenario(SCENARIOS / name) for name in
            ("baseline.toml", "ell_050_hold_harmless.toml", "theory_of_action.toml")}


def own(s):
    return settings_from_scenario(s, PRIOR)


def open_(params, scenarios, data="sample"):
    return address.decode({k: v if isinstance(v, list) else [v] for k, v in params.items()}, scenarios, own, data)


# --------------------------------------------------------------------------------------------------
# The address
# --------------------------------------------------------------------------------------------------

def test_address_lists_only_what_differs_from_the_picked_scenario(scenarios):
    s = scenarios["baseline.toml"]
    settings = own(s) | {"needs.ell.weight": 0.5, "floor_on": True, "max_loss_pct": 2.5, "budget": 245_000_000.0}
    assert address.encode("baseline.toml", settings, own(s), "sample") == {
        "scenario": "baseline.toml", "data": "sample", "budget": "245000000", "floor_on": "on",
        "max_loss_pct": "2.5", "needs.ell.weight": "0.5"}
    assert address.encode("baseline.toml", own(s), own(s), "sample") == {"scenario": "baseline.toml", "data": "sample"}


def test_address_round_trips_to_the_same_scenario(scenarios):
    s = scenarios["ell_050_hold_harmless.toml"]
    settings = own(s) | {"needs.poverty.weight": 0.3, "cap_on": True, "max_gain_pct": 4.0,
                         "grade.K": 1.2, "grade.1": 1.2, "grade.2": 1.2, "grade.3": 1.2, "mode": "fixed_base",
                         "base.per_weighted_pupil": 5123.45, "rounding": "cents"}
    params = address.encode("ell_050_hold_harmless.toml", settings, own(s), "sample")
    opened = open_(params, scenarios)
    assert not opened.problems and opened.note == ""
    assert opened.pick == "ell_050_hold_harmless.toml" and opened.settings == settings
    made = scenario_from_settings(s, opened.settings)
    # the file's own ELL 0.50 and 3% floor, plus the edits: poverty 0.30, K-3 at 1.20, base $5,123.45
    assert dict(made.overrides) == {"needs.ell.weight": 0.5, "needs.poverty.weight": 0.3, "grade.K-3": 1.2,
                                    "base.per_weighted_pupil": 5123.45}
    assert (made.max_loss_pct, made.max_gain_pct, made.mode, made.rounding) == (3.0, 4.0, "fixed_base", "cents")


def test_address_of_a_scenario_with_central_costs_and_bands(scenarios):
    s = scenarios["theory_of_action.toml"]
    item = s.theory.managed_foundation[0][0]
    band = s.theory.band_supplement.per_pupil[-1][0]
    settings = own(s) | {f"managed.{item}": 1_000_000.0, f"band_pp.{band}": 410.0, "phase_in_years": 2}
    opened = open_(address.encode("theory_of_action.toml", settings, own(s), "sample"), scenarios)
    assert opened.settings == settings
    made = scenario_from_settings(s, opened.settings)
    assert dict(made.theory.managed_foundation)[item] == 1_000_000.0 and made.theory.phase_in_years == 2
    assert dict(made.theory.band_supplement.per_pupil)[band] == 410.0


@pytest.mark.parametrize("params, said", [
    ({"scenario": "baseline.toml", "needs.ell.wieght": "0.5"}, "'needs.ell.wieght' is not a setting"),
    ({"scenario": "baseline.toml", "needs.ell.weight": "25"}, "is above 20, the most it can be"),
    ({"scenario": "baseline.toml", "needs.ell.weight": "-0.1"}, "is below 0, the least it can be"),
    ({"scenario": "baseline.toml", "max_loss_pct": "150"}, "'max_loss_pct' = 150 is above 100"),
    ({"scenario": "baseline.toml", "needs.ell.weight": "abc"}, "'abc' is not a number"),
    ({"scenario": "baseline.toml", "needs.ell.weight": "nan"}, "is not a number"),
    ({"scenario": "baseline.toml", "budget": "1e999"}, "is not a finite number"),
    ({"scenario": "baseline.toml", "floor_on": "maybe"}, "is not on or off"),
    ({"scenario": "baseline.toml", "mode": "everything"}, "is not one of budget_neutral, fixed_base"),
    ({"scenario": "baseline.toml", "phase_in_years": "0"}, "is below 1"),
    ({"scenario": "baseline.toml", "phase_in_years": "2.5"}, "is not a whole number"),
    ({"scenario": "baseline.toml", "needs.ell.weight": ["0.5", "0.6"]}, "'needs.ell.weight' is given 2 times"),
    ({"scenario": "nope.toml"}, "scenario 'nope.toml' is not one this session has"),
    ({"scenario": "mine.toml (uploaded)"}, "an uploaded scenario stays in the session that loaded it"),
    ({"needs.ell.weight": "0.5"}, "it names no scenario"),
    # a managed-foundation key exists only on a scenario that has central costs
    ({"scenario": "baseline.toml", "managed.transportation": "5"}, "'managed.transportation' is not a setting"),
])
def test_a_bad_address_is_refused_whole_with_the_reason(scenarios, params, said):
    opened = open_(params, scenarios)
    assert opened.settings is None and opened.pick is None
    assert said in opened.message(), opened.message()
    assert opened.message().endswith("so it opened on the starting scenario.")


def test_every_problem_is_listed_and_nothing_is_applied(scenarios):
    opened = open_({"scenario": "baseline.toml", "needs.ell.weight": "0.5", "x": "1", "max_loss_pct": "101"},
                   scenarios)
    assert len(opened.problems) == 2 and opened.settings is None


def test_a_share_is_checked_in_percent_and_kept_as_a_fraction():
    c = address.Control("concentration.x.share_at_least", "", "", "share")
    assert address.parse_value(c, "0.6") == (0.6, None)
    assert "is above 1" in address.parse_value(c, "1.5")[1]


def test_no_parameters_or_only_other_parts_parameters_open_as_usual(scenarios):
    assert open_({}, scenarios).empty
    assert open_({"present": "1"}, scenarios).empty


def test_an_address_made_on_an_upload_says_so_and_keeps_the_settings(scenarios):
    token = address.data_token("upload", ("upload:schools.csv:ab", "upload:roster.csv:cd"))
    opened = open_({"scenario": "baseline.toml", "data": token, "needs.ell.weight": "0.45"}, scenarios)
    assert opened.settings["needs.ell.weight"] == 0.45
    assert "uploaded district files that this session does not have" in opened.note
    # the same data: nothing to say
    assert open_({"scenario": "baseline.toml", "data": "sample"}, scenarios).note == ""
    assert "other district data" in open_({"scenario": "baseline.toml", "data": "files-0123456789ab"}, scenarios).note


def test_data_tokens_tell_districts_apart_without_showing_them():
    a = address.data_token("upload", ("upload:roster.csv:" + "a" * 64,))
    b = address.data_token("upload", ("upload:roster.csv:" + "b" * 64,))
    assert a != b and a.startswith("upload-") and len(a) == len("upload-") + 12
    assert "roster" not in a


def test_plain_text_for_markdown():
    assert address.plain("**x** [a](b) :smile: <i>") == r"\*\*x\*\* \[a\]\(b\) \:smile\: \<i\>"


# --------------------------------------------------------------------------------------------------
# Undo and redo
# --------------------------------------------------------------------------------------------------

def test_undo_redo_round_trip_and_a_new_edit_drops_the_undone():
    h = History()
    assert h.record("b.toml", {"w": 0.4}, "Opened")
    assert not h.record("b.toml", {"w": 0.4}, "again")          # no change, no step
    h.record("b.toml", {"w": 0.5}, "w: 0.4 → 0.5")
    h.record("b.toml", {"w": 0.6}, "w: 0.5 → 0.6")
    assert h.undo().settings == {"w": 0.5}
    assert h.undo().settings == {"w": 0.4}
    assert h.undo() is None and not h.can_undo()
    assert h.redo().settings == {"w": 0.5}
    assert h.recent() == [("undone", "w: 0.5 → 0.6"), ("now", "w: 0.4 → 0.5"), ("", "Opened")]
    h.record("other.toml", {"w": 0.5}, "Scenario: other")      # a new edit after an undo
    assert not h.can_redo() and [s.label for s in h.steps] == ["Opened", "w: 0.4 → 0.5", "Scenario: other"]
    assert h.undo().pick == "b.toml"


def test_history_keeps_a_copy_and_at_most_the_limit():
    h = History(limit=3)
    settings = {"w": 0}
    for i in range(5):
        settings["w"] = i
        h.record("b", settings, f"{i}")
    assert [s.settings["w"] for s in h.steps] == [2, 3, 4]    # copies, the oldest two dropped
    assert h.at == 2 and h.undo().settings == {"w": 3}


def test_recent_window_follows_the_current_step():
    h = History()
    for i in range(20):
        h.record("b", {"w": i}, str(i))
    for _ in range(10):
        h.undo()
    window = h.recent(4)
    assert len(window) == 4 and ("now", "9") in window


def test_describe_an_edit():
    labels = {"grade.K": "Grade weights", "grade.1": "Grade weights", "w": "Poverty"}
    assert describe({"grade.K": 1, "grade.1": 1, "w": 0}, {"grade.K": 2, "grade.1": 2, "w": 0}, labels) == "Grade weights"
    assert describe({"a": 1, "b": 1, "c": 1, "d": 1}, {"a": 2, "b": 2, "c": 2, "d": 2}, {}) == "4 settings"
    assert describe({"a": 1}, {"a": 1}, {}) == "no change"


# --------------------------------------------------------------------------------------------------
# Named versions
# --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, said", [
    ("", "Give the version a name."),
    ("   ", "Give the version a name."),
    ("x" * 61, "at most 60 characters; this one has 61"),
    ("two\nlines", "control characters"),
    ("lee", "There is already a version called “lee”"),
])
def test_a_bad_version_name_is_refused(name, said):
    assert said in versions.check_name(name, ["Lee"])


def test_a_name_of_exactly_sixty_characters_and_a_long_note():
    assert versions.check_name("x" * 60) is None
    assert versions.check_note("n" * 1000) is None
    assert "at most 1000 characters; this one has 1001" in versions.check_note("n" * 1001)


def test_a_version_downloads_as_toml_with_its_note(scenarios):
    s = scenarios["baseline.toml"]
    settings = own(s) | {"needs.ell.weight": 0.5, "floor_on": True, "max_loss_pct": 2.0}
    note = 'ELL 0.50, 2% floor <script>alert("x")</script> **bold** "quoted"\nsecond line'
    v = versions.make_version("  Trustee Lee's proposal ", note, "baseline.toml", settings,
                              scenario_from_settings(s, settings))
    assert v.name == "Trustee Lee's proposal" and v.key == "version:Trustee Lee's proposal"
    text = versions.version_toml(v)
    doc = tomllib.loads(text)
    assert doc["title"] == "Trustee Lee's proposal" and doc["description"] == note   # the note, verbatim
    back = parse_scenario(text, "lee.toml", SCENARIOS)
    assert dict(back.overrides) == {"needs.ell.weight": 0.5} and back.max_loss_pct == 2.0
    assert back.description == note


def test_versions_list_limits(scenarios):
    s = scenarios["baseline.toml"]
    kept = []
    for i in range(versions.MOST):
        kept = versions.add(kept, versions.make_version(f"v{i}", "", "baseline.toml", own(s), s))
    with pytest.raises(ValueError, match="at most 20 versions"):
        versions.add(kept, versions.make_version("one more", "", "baseline.toml", own(s), s))
    assert versions.find(kept, "version:v3").name == "v3"
    assert [v.name for v in versions.remove(kept, "v0")][:1] == ["v1"]
    with pytest.raises(ValueError, match="already a version"):
        versions.make_version("V1", "", "baseline.toml", own(s), s, [v.name for v in kept])


def test_the_note_is_on_the_workbooks_summary_sheet(scenarios, sample_district):
    pytest.importorskip("sbb.export")
    from openpyxl import load_workbook

    from sbb.allocate import allocate
    from sbb.export import workbook_bytes

    s = scenarios["baseline.toml"]
    note = "=HYPERLINK(\"http://x\") <b>not markup</b>"
    v = versions.make_version("Lee", note, "baseline.toml", own(s), s)
    wb = load_workbook(io.BytesIO(workbook_bytes(allocate(sample_district, v.scenario), sample_district)))
    summary = wb["Summary"]
    assert summary["A1"].value == "Lee"
    assert summary["A2"].value == note and summary["A2"].data_type == "s"   # text, never a formula


# --------------------------------------------------------------------------------------------------
# Versions in the address
# --------------------------------------------------------------------------------------------------

def test_versions_travel_in_the_address(scenarios):
    base, ell = scenarios["baseline.toml"], scenarios["ell_050_hold_harmless.toml"]
    lee = own(base) | {"needs.ell.weight": 0.5, "floor_on": True, "max_loss_pct": 2.0}
    kim = own(ell) | {"needs.poverty.weight": 0.3}
    note = "ELL 0.50, 2% floor <b>markup</b> «ünïcode»\nsecond line"
    packed = address.encode_versions([("Trustee Lee", note, "baseline.toml", lee, own(base)),
                                      ("Kim", "", "ell_050_hold_harmless.toml", kim, own(ell))])
    assert set(packed) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")  # URL-safe
    opened = open_({"scenario": "baseline.toml", "versions": packed}, scenarios)
    assert not opened.problems
    got = {v.name: v for v in opened.versions}
    assert list(got) == ["Trustee Lee", "Kim"]
    assert got["Trustee Lee"].note == note and got["Trustee Lee"].settings == lee
    assert got["Kim"].pick == "ell_050_hold_harmless.toml" and got["Kim"].settings == kim
    # the scenario each makes: Kim keeps the file's ELL 0.50 and 3% floor and adds poverty 0.30
    assert dict(got["Kim"].scenario.overrides) == {"needs.ell.weight": 0.5, "needs.poverty.weight": 0.3}
    assert got["Kim"].scenario.max_loss_pct == 3.0 and got["Trustee Lee"].scenario.max_loss_pct == 2.0


def _pack(doc) -> str:
    import base64
    import json
    import zlib

    return base64.urlsafe_b64encode(zlib.compress(json.dumps(doc).encode())).decode().rstrip("=")


@pytest.mark.parametrize("packed, said", [
    ("not base64 at all!", "the saved versions in it cannot be read"),
    (_pack({"n": "x"}), "the saved versions in it cannot be read"),
    (_pack([{"n": "", "t": "", "s": "baseline.toml", "d": {}}]), "Give the version a name."),
    (_pack([{"n": "A", "t": "", "s": "gone.toml", "d": {}}]), "which this session does not have"),
    (_pack([{"n": "A", "t": "", "s": "baseline.toml", "d": {"needs.ell.weight": "40"}}]), "is above 20"),
    (_pack([{"n": "A", "t": "", "s": "baseline.toml", "d": {}}] * 2), "There is already a version called"),
    (_pack([{"n": f"v{i}", "t": "", "s": "baseline.toml", "d": {}} for i in range(21)]), "at most 20 are kept"),
    # a small parameter that inflates past the limit is refused without inflating it all
    (_pack([{"n": "A", "t": " " * 300_000, "s": "baseline.toml", "d": {}}]), "more than 200,000 bytes"),
])
def test_bad_versions_in_the_address_refuse_it_whole(scenarios, packed, said):
    opened = open_({"scenario": "baseline.toml", "needs.ell.weight": "0.5", "versions": packed}, scenarios)
    assert opened.settings is None and not opened.versions
    assert said in opened.message(), opened.message()


def test_the_address_accepts_what_the_number_boxes_accept(scenarios):
    """Every number box `render_control` draws has the bounds the address is checked against
    (`controls.RANGES`), so an address can never hold a value a box would refuse."""
    from sbb.ui.controls import RANGES, controls_for, render_control

    class Where:  # stands in for a Streamlit container: records each number box's bounds
        def __init__(self):
            self.seen = {}

        def number_input(self, label, key, help=None, **spec):
            self.seen[key] = (spec.get("min_value"), spec.get("max_value"))
            return None

        def __getattr__(self, name):  # toggles, choices, text boxes, captions: not checked here
            return lambda *a, **k: None

    s = scenarios["theory_of_action.toml"]
    settings = own(s)
    where, kinds = Where(), {}
    for c in controls_for(s, per_grade=True):
        render_control(c, settings, settings, {}, where)
        kinds[f"ctl:{c.key}"] = c.kind
    assert len(where.seen) >= 20
    for key, bounds in where.seen.items():
        assert bounds == RANGES[kinds[key]], key
