"""Uploads and loading for the app, without Streamlit's page: nothing is replaced on a bad upload."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import SAMPLE, SCENARIOS
from sbb.problems import InputError
from sbb.scenario import load_scenario
from sbb.ui.state import DataSource, accept_upload, parse_args, read_district, source_key

WEIGHTS = load_scenario(SCENARIOS / "baseline.toml").baseline
CURRENT = DataSource(str(SAMPLE / "schools.csv"), roster=str(SAMPLE / "roster.csv"))


def test_a_bad_roster_is_refused_with_every_problem():
    bad = b"student_id,school_id,grade,frl,ell,sped\n1,S001,4,1,0,none\n2,ZZZ,4,1,0,none\n3,S001,13,maybe,0,none\n"
    result = accept_upload(CURRENT, WEIGHTS, None, ("r.csv", bad), None)
    assert result.source is None and result.district is None
    table = result.error.table()
    found = {(row.row, row.column, str(row.value)) for row in table.itertuples()}
    # roster line 3 (data row 2) names an unknown school; line 4 has a bad grade and a bad flag
    assert any(col == "school_id" and val == "ZZZ" for _, col, val in found)
    assert any(col == "grade" and val == "13" for _, col, val in found)
    assert any(col == "frl" and val == "maybe" for _, col, val in found)
    assert set(table["file"]) == {"r.csv"}


def test_a_good_counts_upload_gives_the_sample_counts(sample_district):
    result = accept_upload(CURRENT, WEIGHTS, ("schools.csv", (SAMPLE / "schools.csv").read_bytes()), None,
                           ("counts.csv", (SAMPLE / "counts.csv").read_bytes()))
    assert result.error is None
    assert result.source.counts[0] == "counts.csv" and result.source.roster is None
    # counts.csv is the sample roster reduced: same numbers as reading the roster
    pd.testing.assert_frame_equal(result.district.counts.astype("int64"), sample_district.counts.astype("int64"))


def test_roster_and_counts_together_or_nothing_are_refused():
    both = accept_upload(CURRENT, WEIGHTS, None, ("r.csv", b"x"), ("c.csv", b"y"))
    assert both.error is not None and "not both" in both.error.message()
    assert accept_upload(CURRENT, WEIGHTS, None, None, None).error is not None


def test_a_schools_file_alone_keeps_the_current_roster():
    seen = []
    accept_upload(CURRENT, WEIGHTS, ("s.csv", b"school_id\n"), None, None,
                  loader=lambda source, weights: seen.append(source) or "district")
    assert seen[0].roster == CURRENT.roster and seen[0].schools == ("s.csv", b"school_id\n")


def test_the_cache_key_follows_file_content():
    a = DataSource(("s.csv", b"1"), counts=("c.csv", b"2"))
    assert source_key(a, WEIGHTS) == source_key(DataSource(("s.csv", b"1"), counts=("c.csv", b"2")), WEIGHTS)
    assert source_key(a, WEIGHTS) != source_key(DataSource(("s.csv", b"1"), counts=("c.csv", b"3")), WEIGHTS)


def test_command_line_arguments():
    start = parse_args(["--schools", "a.csv", "--roster", "r.parquet", "--scenario", "x.toml"])
    assert (start.source.schools, start.source.roster, start.source.counts, start.scenario) == \
           ("a.csv", "r.parquet", None, "x.toml")
    assert parse_args([]).source == DataSource(str(SAMPLE / "schools.csv"), roster=str(SAMPLE / "roster.csv"))


def test_read_district_reads_the_sample(sample_district):
    d = read_district(CURRENT, WEIGHTS)
    assert list(d.schools["school_id"]) == list(sample_district.schools["school_id"])


def test_reading_reports_each_stage_in_order_and_ends_done(sample_district):
    seen = []
    district = read_district(CURRENT, WEIGHTS, progress=lambda done, text: seen.append((done, text)))
    fractions = [done for done, _ in seen]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    texts = " | ".join(text for _, text in seen)
    # the sample roster has 35,111 rows; each file is named with its size when it is large
    assert "schools.csv" in texts and "roster.csv (" in texts and "35,111 students" in texts
    pd.testing.assert_frame_equal(district.counts, sample_district.counts)  # progress changes nothing


def test_a_bad_roster_still_finishes_its_progress():
    seen = []
    bad = b"student_id,school_id,grade,frl,ell,sped\n1,NOPE,4,1,0,none\n"
    source = DataSource(CURRENT.schools, roster=("r.csv", bad))
    try:
        read_district(source, WEIGHTS, progress=lambda done, text: seen.append(done))
    except InputError as err:
        assert "NOPE" in err.message()
    else:
        raise AssertionError("an unknown school was accepted")
    assert seen[-1] == 1.0


def test_an_upload_saved_by_excel_on_windows_keeps_its_accents():
    """A schools file in Windows-1252 ("CSV (Comma delimited)"), uploaded with the sample counts."""
    schools = pd.read_csv(SAMPLE / "schools.csv", dtype=str, keep_default_na=False)
    schools.loc[0, "school_name"] = "École Saint-Jérôme – Annexe"
    data = schools.to_csv(index=False).encode("cp1252")
    result = accept_upload(CURRENT, WEIGHTS, ("schools.csv", data), None,
                           ("counts.csv", (SAMPLE / "counts.csv").read_bytes()))
    assert result.error is None
    assert result.district.schools.loc[0, "school_name"] == "École Saint-Jérôme – Annexe"


def test_an_upload_with_one_duplicated_school_id_shows_one_problem():
    schools = pd.read_csv(SAMPLE / "schools.csv", dtype=str, keep_default_na=False)
    schools.loc[2, "school_id"] = schools.loc[1, "school_id"]  # S003 typed as S002
    data = schools.to_csv(index=False).encode()
    result = accept_upload(CURRENT, WEIGHTS, ("schools.csv", data), None, None)  # keeps the sample roster
    assert result.district is None
    assert len(result.error.problems) == 1
    problem = result.error.problems[0]
    assert (problem.file, problem.row, problem.column, problem.value) == ("schools.csv", 3, "school_id", "S002")
    assert "(also row 4)" in problem.expected and "school_id 'S003'" in problem.expected


def test_an_uploaded_scenario_in_windows_1252_or_with_a_byte_order_mark_is_read():
    from sbb.ui.state import read_scenario_upload

    text = (SCENARIOS / "baseline.toml").read_text(encoding="utf-8")
    text = text.replace(text.splitlines()[0], 'title = "Scénario – élèves"', 1)
    for data in (text.encode("cp1252"), b"\xef\xbb\xbf" + text.encode("utf-8")):
        assert read_scenario_upload("s.toml", data, SCENARIOS).title == "Scénario – élèves"
    with pytest.raises(InputError) as info:
        read_scenario_upload("s.toml", b"\x89PNG\r\n\x1a\n\x00\x00", SCENARIOS)
    assert str(info.value.problems[0]) == "s.toml: a TOML text file; the file is a PNG image"
