"""Example districts: the manifests, which scenarios fit which data (from the files' headers), and the
app's District picker (Streamlit AppTest): Minnesota's published total, back to the sample, the address."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, SAMPLE, SCENARIOS
from sbb.allocate import allocate
from sbb.district import load_district
from sbb.examples import (elsewhere_line, file_headers, fitting, load_examples, missing_columns, parse_manifest)
from sbb.problems import InputError
from sbb.report import dollars
from sbb.scenario import load_scenario

SAMPLE_SCENARIOS = {"baseline.toml", "ell_050.toml", "ell_050_hold_harmless.toml", "enrollment_shift.toml",
                    "fixed_base.toml", "hold_harmless_3pct.toml", "poverty_030.toml", "theory_of_action.toml"}
MINNESOTA_TOTAL = "$461,850,014.72"  # published: MN House Research, FY2022 compensatory revenue, all sites


@pytest.fixture(scope="module")
def shipped():
    return {p.name: load_scenario(p) for p in sorted(SCENARIOS.glob("*.toml"))}


@pytest.fixture(scope="module")
def examples():
    return {e.key: e for e in load_examples(SAMPLE)}


def fits(example, scenarios):
    data = example.roster or example.counts
    return set(fitting(scenarios, file_headers(example.schools), file_headers(data), example.roster is not None))


def test_every_shipped_scenario_fits_exactly_the_district_it_was_made_for(shipped, examples):
    assert list(examples) == ["sample", "connecticut_ecs_style", "minnesota_fy2022", "nyc_fsf_fy2019"]
    # each shipped scenario is named by exactly one manifest
    named = [n for e in examples.values() for n in e.scenarios]
    assert sorted(named) == sorted(shipped)
    assert set(examples["sample"].scenarios) == SAMPLE_SCENARIOS
    # computed from the files' headers: the sample's 8, and each real example only its own
    assert fits(examples["sample"], shipped) == SAMPLE_SCENARIOS
    assert fits(examples["minnesota_fy2022"], shipped) == {"minnesota_compensatory_fy2022.toml"}
    assert fits(examples["nyc_fsf_fy2019"], shipped) == {"nyc_fsf_fy2019.toml", "nyc_fsf_fy2019_per_capita.toml"}
    assert fits(examples["connecticut_ecs_style"], shipped) == {"connecticut_ecs_style_transition.toml"}


def test_missing_columns_names_what_the_weight_table_reads(shipped):
    mn = shipped["minnesota_compensatory_fy2022.toml"]
    # the sample roster has grade and frl/ell/sped, no lunch column
    assert missing_columns(mn, ["school_id", "prior_allocation"], ["student_id", "school_id", "grade", "frl"],
                           roster=True) == ["lunch"]
    # counts: MN reads enrollment and lunch_free / lunch_reduced; grade columns written 'K', '1'.. add up
    grades = ["PK", "K", *map(str, range(1, 13))]
    assert missing_columns(mn, ["school_id"], ["school_id", *grades, "Lunch Free", "lunch_reduced"], False) == []
    assert missing_columns(mn, ["school_id"], ["school_id", "enrollment", "lunch_free"], False) == ["lunch_reduced"]
    # Connecticut's multiplier and magnet bonus are schools-file columns ([multiplier], [extra_amounts])
    ct = shipped["connecticut_ecs_style_transition.toml"]
    assert missing_columns(ct, ["school_id"], ["school_id", "enrollment", "low_income", "ell"], False) == ["aid_ratio", "magnet"]
    # the theory of action reads the performance metrics from the schools file
    assert "achievement" in missing_columns(shipped["theory_of_action.toml"], ["school_id"],
                                            ["school_id", "grade", "frl", "ell", "sped"], True)


def test_the_line_names_the_other_districts(examples):
    line = elsewhere_line(["minnesota_compensatory_fy2022.toml", "nyc_fsf_fy2019.toml",
                           "nyc_fsf_fy2019_per_capita.toml", "connecticut_ecs_style_transition.toml"],
                          examples.values())
    assert line == ("4 shipped scenarios need another district: Minnesota compensatory revenue FY2022 (1); "
                    "NYC Fair Student Funding FY2019 (2); Connecticut ECS-style transition (1).")
    assert elsewhere_line([], examples.values()) == ""


def test_a_bad_manifest_names_every_problem(tmp_path: Path):
    (tmp_path / "schools.csv").write_text("school_id\n")
    doc = {"title": "X", "source": "two\nlines", "schools": "schools.csv", "roster": "r.csv", "counts": "c.csv",
           "scenario": []}
    with pytest.raises(InputError) as err:
        parse_manifest(doc, "district.toml", tmp_path, "x")
    columns = [p.column for p in err.value.problems]
    assert "scenario" in columns and "source" in columns and "roster" in columns and "counts" in columns
    ok = parse_manifest({"title": "X", "source": "one", "schools": "schools.csv", "counts": "schools.csv"},
                        "district.toml", tmp_path, "x")
    assert ok.roster is None and ok.counts == str((tmp_path / "schools.csv").resolve()) and ok.scenarios == ()


# --------------------------------------------------------------------------------------------------
# The app
# --------------------------------------------------------------------------------------------------

def app(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def radio(at: AppTest, key: str):
    return [w for w in at.radio if w.key == key][0]


def total(at: AppTest) -> str:
    return [m.value for m in at.metric if m.label == "Total to schools"][0]


@pytest.fixture(scope="module")
def sample_total():
    s = load_scenario(SCENARIOS / "baseline.toml")
    district = load_district(SAMPLE / "schools.csv", s.weights, roster=SAMPLE / "roster.csv")
    return dollars(allocate(district, s).total)


def test_switch_to_minnesota_and_back(sample_total):
    at = app()
    assert radio(at, "district_pick").value == "sample"
    assert set(radio(at, "pick").options) == {load_scenario(SCENARIOS / n).title for n in SAMPLE_SCENARIOS}
    assert any("4 shipped scenarios need another district" in c.value for c in at.caption)
    assert total(at) == sample_total
    radio(at, "district_pick").set_value("minnesota_fy2022").run()
    assert not at.exception, at.exception
    assert total(at) == MINNESOTA_TOTAL
    assert radio(at, "pick").options == ["Minnesota compensatory revenue FY2022, as published"]
    assert at.query_params["data"] == ["example-minnesota_fy2022"] or at.query_params["data"] == \
        "example-minnesota_fy2022"
    radio(at, "district_pick").set_value("sample").run()
    assert not at.exception, at.exception
    assert total(at) == sample_total
    assert radio(at, "pick").value == "baseline.toml"


def test_an_example_address_opens_that_example_and_a_bad_one_says_so(sample_total):
    at = app({"data": "example-minnesota_fy2022", "scenario": "minnesota_compensatory_fy2022.toml"})
    assert radio(at, "district_pick").value == "minnesota_fy2022"
    assert total(at) == MINNESOTA_TOTAL
    assert not at.error
    only = app({"data": "example-nyc_fsf_fy2019"})  # no scenario named: the example's first one, no message
    assert radio(only, "district_pick").value == "nyc_fsf_fy2019" and not only.error
    assert radio(only, "pick").value == "nyc_fsf_fy2019.toml"
    bad = app({"data": "example-atlantis", "scenario": "baseline.toml"})
    assert radio(bad, "district_pick").value == "sample"
    assert total(bad) == sample_total
    assert len(bad.error) == 1 and "atlantis" in bad.error[0].value and "sample district" in bad.error[0].value


def test_settings_survive_a_visit_to_another_district_and_the_address_round_trips(sample_total):
    at = app()
    at.number_input(key="ctl:needs.ell.weight").set_value(0.5).run()
    edited = total(at)  # budget-neutral: the total stays last year's, the schools' shares move
    radio(at, "district_pick").set_value("minnesota_fy2022").run()
    address = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert address["data"] == "example-minnesota_fy2022"
    again = app(address)                     # a reload, or a colleague opening the link
    assert radio(again, "district_pick").value == "minnesota_fy2022" and total(again) == MINNESOTA_TOTAL
    radio(at, "district_pick").set_value("sample").run()
    assert not at.exception, at.exception
    assert at.number_input(key="ctl:needs.ell.weight").value == 0.5
    assert total(at) == edited


def test_uploaded_files_are_their_own_district_and_keep_their_scenario():
    """Files for another formula are uploaded on the sample: the scenario that fits them opens, they
    become 'Your files', and a visit to an example and back finds them and their settings."""
    ct = SAMPLE / "connecticut_ecs_style"
    at = app()
    at.file_uploader(key="up_schools").set_value(("towns.csv", (ct / "schools.csv").read_bytes(), "text/csv"))
    at.file_uploader(key="up_counts").set_value(("town_counts.csv", (ct / "counts.csv").read_bytes(), "text/csv"))
    [b for b in at.button if b.label == "Check and load"][0].click().run()
    assert not at.exception, at.exception
    assert radio(at, "district_pick").value == "own"
    assert radio(at, "pick").value == "connecticut_ecs_style_transition.toml"
    # README's hand computation: 7,114,765.63 + 1,000,000.00 + 25,000,000.00
    assert total(at) == "$33,114,765.63"
    radio(at, "district_pick").set_value("sample").run()
    assert radio(at, "pick").value == "baseline.toml"
    radio(at, "district_pick").set_value("own").run()
    assert not at.exception, at.exception
    assert radio(at, "pick").value == "connecticut_ecs_style_transition.toml"
    assert total(at) == "$33,114,765.63"


def test_undo_stays_within_a_district():
    at = app()
    at.number_input(key="ctl:needs.ell.weight").set_value(0.5).run()
    radio(at, "district_pick").set_value("minnesota_fy2022").run()
    undo = [b for b in at.sidebar.button if b.label.endswith("Undo")][0]
    assert undo.disabled  # nothing to undo on Minnesota yet (the ELL edit was made on the sample)
    radio(at, "district_pick").set_value("sample").run()
    [b for b in at.sidebar.button if b.label.endswith("Undo")][0].click().run()
    assert not at.exception, at.exception
    assert at.number_input(key="ctl:needs.ell.weight").value == 0.4  # weights/sample_district.toml


def test_command_line_files_of_an_example_open_that_example(monkeypatch):
    monkeypatch.chdir(ROOT)
    mn = "sample_data/minnesota_fy2022/"  # as typed in the repository's folder
    monkeypatch.setattr("sys.argv", ["app.py", "--schools", mn + "schools.csv", "--counts", mn + "counts.csv",
                                     "--scenario", "scenarios/minnesota_compensatory_fy2022.toml"])
    at = app()
    assert radio(at, "district_pick").value == "minnesota_fy2022"
    assert total(at) == MINNESOTA_TOTAL


def test_a_scenario_made_for_other_data_goes_back_to_one_that_fits(monkeypatch, sample_total):
    monkeypatch.setattr("sys.argv", ["app.py", "--scenario", str(SCENARIOS / "minnesota_compensatory_fy2022.toml")])
    at = app()
    assert any("does not fit the loaded data" in e.value for e in at.error)
    assert radio(at, "pick").value == "baseline.toml" and total(at) == sample_total


@pytest.mark.parametrize("key, expected", [
    # sample_data/connecticut_ecs_style/README.md: 7,114,765.63 + 1,000,000.00 + 25,000,000.00
    ("connecticut_ecs_style", "$33,114,765.63"),
    # Q243, printed weights (sample_data/nyc_fsf_fy2019/README.md): foundation 225,000
    # + 416 x 1.03 x 4,084.80 = 1,750,255.10 + academic intervention 248,355.84
    ("nyc_fsf_fy2019", "$2,223,610.94"),
])
def test_each_example_opens_on_its_own_scenario(key, expected):
    at = app()
    radio(at, "district_pick").set_value(key).run()
    assert not at.exception, at.exception
    assert not at.error
    assert total(at) == expected


def test_a_bad_manifest_is_left_out_when_asked(tmp_path: Path):
    (tmp_path / "schools.csv").write_text("school_id\n")
    (tmp_path / "district.toml").write_text('title = "Root"\nsource = "s"\nschools = "schools.csv"\n'
                                            'counts = "schools.csv"\n')
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "district.toml").write_text('title = "Bad"\nsource = "s"\nschools = "nope.csv"\n')
    problems: list = []
    assert [e.key for e in load_examples(tmp_path, problems)] == ["sample"]
    assert {p.column for p in problems} == {"schools", "roster"}  # no such file; neither roster nor counts
    with pytest.raises(InputError):
        load_examples(tmp_path)


def test_file_headers_reads_only_the_first_row_of_each_kind():
    import io

    import pandas as pd

    frame = pd.DataFrame({"school_id": ["S1"], "enrollment": [2]})
    parquet, xlsx = io.BytesIO(), io.BytesIO()
    frame.to_parquet(parquet)
    frame.to_excel(xlsx, index=False)
    assert file_headers(("c.parquet", parquet.getvalue())) == ["school_id", "enrollment"]
    assert file_headers(("c.xlsx", xlsx.getvalue())) == ["school_id", "enrollment"]
    # Excel's Windows-1252 CSV, with CRLF line ends
    assert file_headers(("c.csv", "School ID,Élèves\r\nS1,2\r\n".encode("cp1252"))) == ["School ID", "Élèves"]
    assert file_headers(("c.xlsx", b"not a workbook")) is None  # the loader says why


def test_documents_name_an_example_district_by_its_title(examples):
    from sbb.ui.districts import source_of
    from sbb.ui.documents import district_name

    assert district_name({"source": source_of(examples["minnesota_fy2022"])}) == \
        "Minnesota compensatory revenue FY2022"  # sample_data/minnesota_fy2022/district.toml
    assert district_name({"source": source_of(examples["sample"])}) == "Sample district"
