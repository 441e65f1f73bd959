"""Bad input is refused with every problem at once, each naming file, row, column, value and what was
expected; good input in its usual variants (BOM + CRLF, XLSX, Parquet, the common spellings) loads.

Files are tiny and synthetic, built here. Rows are spreadsheet rows: the header is row 1, the first
data row is row 2 (in a Parquet file, which has no header row, the first record is row 1).
Unless a test says otherwise the weights are `conftest.weights_doc()` (needs frl, ell and sped with
levels resource / inclusion / self_contained).
"""

from __future__ import annotations

import random

import pandas as pd
import pytest

from conftest import (
    GOLDEN,
    SAMPLE,
    SAMPLE_WEIGHTS,
    SCENARIOS,
    assert_problem,
    csv_bytes,
    frame_bytes,
    make_scenario,
    make_weights,
    schools_csv,
)
from sbb.allocate import allocate
from sbb.counts import count_columns
from sbb.district import load_district
from sbb.problems import InputError
from sbb.report import allocation_csv
from sbb.scenario import load_scenario, parse_scenario
from sbb.weights import load_weights

W = make_weights()
ROSTER_HEADER = ["student_id", "school_id", "grade", "frl", "ell", "sped"]
SCHOOLS = schools_csv([("A", 1000), ("B", 2000)])
GOOD_ROSTER = csv_bytes(ROSTER_HEADER, [["1", "A", "K", "Y", "N", "none"], ["2", "B", "3", "N", "Y", "resource"]])
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" \
      + bytes(range(256))


def load(schools=SCHOOLS, roster=None, counts=None, *, names=("schools.csv", "roster.csv", "counts.csv")):
    """load_district on bytes, as an upload would be."""
    return load_district((names[0], schools), W,
                         roster=None if roster is None else (names[1], roster),
                         counts=None if counts is None else (names[2], counts))


def problems_of(**files) -> InputError:
    with pytest.raises(InputError) as info:
        load(**files)
    return info.value


def where(err: InputError) -> set[tuple]:
    """(file, row, column, value) of every problem, to check that nothing more and nothing less is reported."""
    return {(p.file, p.row, p.column, p.value) for p in err.problems}


def roster(*rows: list) -> bytes:
    return csv_bytes(ROSTER_HEADER, [list(r) for r in rows])


# ---------------------------------------------------------------------------------------------------
# Missing columns
# ---------------------------------------------------------------------------------------------------

def test_roster_missing_need_columns_names_each_one():
    err = problems_of(roster=csv_bytes(["student_id", "school_id", "grade", "frl"], [["1", "A", "K", "Y"]]))
    assert where(err) == {("roster.csv", 1, "ell", None), ("roster.csv", 1, "sped", None)}
    assert_problem(err, file="roster.csv", row=1, column="ell", expected="a 'ell' column")
    assert_problem(err, file="roster.csv", row=1, column="sped", expected="found: student_id, school_id, grade, frl")


def test_schools_missing_columns_names_each_one():
    err = problems_of(schools=b"school_id,name\nA,Alpha\n", roster=GOOD_ROSTER)
    assert_problem(err, file="schools.csv", row=1, column="school_name", expected="a 'school_name' column")
    assert_problem(err, file="schools.csv", row=1, column="prior_allocation", expected="found: school_id, name")
    assert {p.column for p in err.problems if p.file == "schools.csv"} == {"school_name", "prior_allocation"}


def test_counts_missing_columns_names_each_one():
    columns = [c for c in count_columns(W) if c not in ("grade_12", "sped_inclusion")]
    err = problems_of(counts=csv_bytes(["school_id", *columns], [["A", *[0] * len(columns)]]))
    assert where(err) == {("counts.csv", 1, "grade_12", None), ("counts.csv", 1, "sped_inclusion", None)}
    assert_problem(err, column="grade_12", expected="pupil counts per school")


def test_headers_are_matched_without_case_or_spaces():
    """' School ID ' is the school_id column (tables.clean_header): no problem."""
    d = load(schools=b" School ID ,School Name,Prior Allocation\nA,Alpha,1000\n",
             roster=b"Student ID,School_ID,GRADE,FRL,ELL,SPED\n1,A,K,Y,N,none\n")
    assert d.counts.loc["A", "grade_K"] == 1 and d.counts.loc["A", "frl"] == 1


# ---------------------------------------------------------------------------------------------------
# Bad values, one kind at a time
# ---------------------------------------------------------------------------------------------------

def test_students_in_unknown_schools():
    err = problems_of(roster=roster(["1", "A", "K", "Y", "N", "none"], ["2", "Z", "K", "Y", "N", "none"],
                                    ["3", " C ", "1", "N", "N", "none"]))
    # two ids the schools file lacks: one problem for the file, naming each id with its row
    assert where(err) == {("roster.csv", None, "school_id", None)}
    assert_problem(err, file="roster.csv", column="school_id",
                   expected="2 school ids in roster.csv are not in schools.csv: 'Z' (row 3), ' C ' (row 4). Each row "
                            "needs a school_id listed in the schools file")
    one = problems_of(roster=roster(["1", "A", "K", "Y", "N", "none"], ["2", "Z", "K", "Y", "N", "none"]))
    assert where(one) == {("roster.csv", 3, "school_id", "Z")}
    assert_problem(one, file="roster.csv", row=3, column="school_id", value="Z", expected="listed in the schools file")


def test_counts_for_unknown_school_and_school_listed_twice():
    cols = count_columns(W)
    zeros = [0] * len(cols)
    err = problems_of(counts=csv_bytes(["school_id", *cols], [["A", *zeros], ["Z", *zeros], ["A", *zeros]]))
    assert_problem(err, file="counts.csv", row=3, column="school_id", value="Z", expected="listed in the schools file")
    assert_problem(err, file="counts.csv", row=4, column="school_id", value="A", expected="each school once")


@pytest.mark.parametrize("grade", ["13", "14th", "X", "Grade Thirteen", "PK3", "K-12"])
def test_grades_out_of_range(grade):
    err = problems_of(roster=roster(["1", "A", "K", "Y", "N", "none"], ["2", "A", grade, "Y", "N", "none"]))
    assert where(err) == {("roster.csv", 3, "grade", grade)}
    assert_problem(err, file="roster.csv", row=3, column="grade", value=grade, expected="a grade: PK (Pre-K), K (KG), 1-12")


def test_blank_grade():
    err = problems_of(roster=roster(["1", "A", None, "Y", "N", "none"]))
    assert_problem(err, file="roster.csv", row=2, column="grade", value="", expected="a grade")


@pytest.mark.parametrize("column,value", [
    pytest.param("grade", "-1", id="grade -1 is not read as grade 1"),
    pytest.param("grade", "1-2", id="grade 1-2 is not read as grade 12"),
    pytest.param("grade", "1.2", id="grade 1.2 is not read as grade 12"),
    pytest.param("grade", "0.5", id="grade 0.5 is not read as grade 5"),
    pytest.param("frl", "-1", id="flag -1 is not read as yes"),
])
def test_punctuated_values_are_not_silently_read_as_other_values(column, value):
    row = {"student_id": "1", "school_id": "A", "grade": "K", "frl": "Y", "ell": "N", "sped": "none"}
    row[column] = value
    err = problems_of(roster=roster(list(row.values())))
    assert_problem(err, file="roster.csv", row=2, column=column, value=value)


def test_duplicate_and_blank_student_ids():
    err = problems_of(roster=roster(["7", "A", "K", "Y", "N", "none"], ["8", "A", "K", "Y", "N", "none"],
                                    ["7", "B", "2", "N", "N", "none"], [None, "B", "2", "N", "N", "none"]))
    # one mistake, one problem: the repeated id is reported at its first row, naming the other
    assert where(err) == {("roster.csv", 2, "student_id", "7"), ("roster.csv", 5, "student_id", "")}
    assert_problem(err, row=2, column="student_id", value="7",
                   expected="a unique student id; it appears more than once (also row 4)")
    assert_problem(err, row=5, column="student_id", value="", expected="a student id; it is blank")


def test_roster_without_student_id_column_is_accepted():
    """student_id is unique *when present* (product.md); a roster may leave it out."""
    d = load(roster=b"school_id,grade,frl,ell,sped\nA,K,Y,N,none\nA,K,Y,N,none\n")
    assert d.counts.loc["A", "grade_K"] == 2


def test_duplicate_and_blank_school_ids():
    schools = csv_bytes(["school_id", "school_name", "prior_allocation"],
                        [["A", "Alpha", 1000], ["B", "Beta", 2000], ["A", "Alpha again", 3000], [None, "Nameless", 10]])
    err = problems_of(schools=schools, roster=GOOD_ROSTER)
    assert_problem(err, file="schools.csv", row=2, column="school_id", value="A",
                   expected="a unique school id; it appears more than once (also row 4)")
    assert_problem(err, file="schools.csv", row=5, column="school_id", value="", expected="a school id; it is blank")


@pytest.mark.parametrize("value", ["", "maybe", "2", "YN", "ja"])
def test_blank_or_unknown_flag_values(value):
    err = problems_of(roster=roster(["1", "A", "K", "Y", "N", "none"], ["2", "A", "K", "Y", value, "none"]))
    assert where(err) == {("roster.csv", 3, "ell", value)}
    assert_problem(err, file="roster.csv", row=3, column="ell", value=value,
                   expected="a yes/no flag: Y/N, yes/no, 1/0 or true/false")


@pytest.mark.parametrize("value", ["", "severe", "resource room", "3"])
def test_blank_or_unknown_sped_levels(value):
    err = problems_of(roster=roster(["1", "A", "K", "Y", "N", value]))
    assert where(err) == {("roster.csv", 2, "sped", value)}
    assert_problem(err, file="roster.csv", row=2, column="sped", value=value,
                   expected="one of: none, resource, inclusion, self_contained")


@pytest.mark.parametrize("value,expected", [
    ("lots", "a number of dollars"),
    ("1,2,3.4.5", "a number of dollars"),
    ("$12k", "a number of dollars"),
    ("-5", "a prior allocation of at least 0 dollars"),
    ("-$1,000.00", "a prior allocation of at least 0 dollars"),
])
def test_non_numeric_or_negative_prior_allocation(value, expected):
    schools = csv_bytes(["school_id", "school_name", "prior_allocation"], [["A", "Alpha", 1000], ["B", "Beta", f'"{value}"']])
    err = problems_of(schools=schools, roster=GOOD_ROSTER)
    assert where(err) == {("schools.csv", 3, "prior_allocation", value)}
    assert_problem(err, file="schools.csv", row=3, column="prior_allocation", value=value, expected=expected)


def test_prior_allocation_as_excel_formats_money_and_blank_for_a_new_school():
    schools = csv_bytes(["school_id", "school_name", "prior_allocation"],
                        [["A", "Alpha", '"$1,234,567.50"'], ["B", "Beta", None], ["C", "Gamma", " 250000 "]])
    d = load(schools=schools, roster=GOOD_ROSTER)
    assert d.prior[0] == 1234567.5 and pd.isna(d.prior[1]) and d.prior[2] == 250000.0


def test_counts_must_be_numbers_non_negative_and_within_enrollment():
    """Fractional counts (FTE, average daily membership) are valid (product.md, "Real formulas")."""
    cols = count_columns(W)
    good = {c: 0 for c in cols}
    rows = [{**good, "grade_K": "x"}, {**good, "grade_1": "2.5"}, {**good, "grade_2": 3, "frl": 4}]
    err = problems_of(counts=csv_bytes(["school_id", *cols], [[sid, *r.values()] for sid, r in zip("AB", rows)]
                                       + [["A", *rows[2].values()]]))
    assert_problem(err, file="counts.csv", row=2, column="grade_K", value="x", expected="a number of pupils, 0 or more")
    assert not [p for p in err.problems if p.row == 3]  # 2.5 pupils (FTE) is a count
    # 4 poor pupils in a school of 3
    assert_problem(err, file="counts.csv", row=4, column="frl", value="4", expected="at most the school's enrollment (3 pupils)")


def test_one_negative_count_is_one_problem():
    cols = count_columns(W)
    err = problems_of(counts=csv_bytes(["school_id", *cols], [["A", -1, *[0] * (len(cols) - 1)]]))
    assert where(err) == {("counts.csv", 2, "grade_PK", "-1")}


# ---------------------------------------------------------------------------------------------------
# Empty and non-tabular files
# ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"\n\n", b"\xef\xbb\xbf"], ids=["zero bytes", "blank lines", "only a BOM"])
def test_empty_roster_file(data):
    err = problems_of(roster=data)
    assert_problem(err, file="roster.csv", row=None, column=None, expected="a table with a header row")


def test_empty_schools_file_and_schools_file_with_only_a_header():
    err = problems_of(schools=b"", roster=GOOD_ROSTER)
    assert_problem(err, file="schools.csv", expected="the file is empty")
    err = problems_of(schools=b"school_id,school_name,prior_allocation\n", roster=GOOD_ROSTER)
    assert_problem(err, file="schools.csv", row=None, column=None, expected="at least one school row")


def test_roster_with_only_a_header_is_refused():
    err = problems_of(roster=csv_bytes(ROSTER_HEADER, []))
    assert_problem(err, file="roster.csv", expected="at least one student")


@pytest.mark.parametrize("name,data,expected", [
    pytest.param("roster.csv", PNG, "a readable CSV table", id="png named csv"),
    pytest.param("roster.xlsx", PNG, "a readable XLSX table", id="png named xlsx"),
    pytest.param("roster.parquet", PNG, "a readable PARQUET table", id="png named parquet"),
    pytest.param("roster.xlsx", GOOD_ROSTER, "a readable XLSX table", id="csv named xlsx"),
    pytest.param("roster.parquet", GOOD_ROSTER, "a readable PARQUET table", id="csv named parquet"),
    pytest.param("roster.png", PNG, "a .csv, .xlsx or .parquet file", id="png"),
    pytest.param("roster", GOOD_ROSTER, "a .csv, .xlsx or .parquet file", id="no suffix"),
])
def test_non_tabular_files(name, data, expected):
    err = problems_of(roster=data, names=("schools.csv", name, "counts.csv"))
    assert_problem(err, file=name, row=None, column=None, expected=expected)


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "parquet"])
def test_random_bytes(suffix):
    data = random.Random(20270101).randbytes(4096)
    err = problems_of(schools=data, roster=GOOD_ROSTER, names=(f"schools.{suffix}", "roster.csv", "counts.csv"))
    assert_problem(err, file=f"schools.{suffix}", row=None, column=None, expected=f"a readable {suffix.upper()} table")


def test_csv_in_utf16_is_refused_with_a_message():
    """(Windows-1252 and Latin-1 files are read: tests/test_encodings.py.)"""
    text = "school_id,school_name,prior_allocation\nA,Ärzteschule,1000\n"
    err = problems_of(schools=text.encode("utf-16"), roster=GOOD_ROSTER)
    assert_problem(err, file="schools.csv", expected="a readable CSV table; the file is text in UTF-16")


def test_missing_file_on_disk(tmp_path):
    with pytest.raises(InputError) as info:
        load_district(tmp_path / "nope.csv", W, roster=tmp_path / "also_nope.csv")
    assert_problem(info.value, file="nope.csv", expected="the file does not exist")


@pytest.mark.parametrize("separator,words", [(";", "semicolons"), ("\t", "tabs"), ("|", "bars")])
def test_a_csv_with_another_separator_gets_one_problem_saying_so(separator, words):
    """Excel writes ';' in regions with a decimal comma: one problem naming the separator, not every
    required column reported missing."""
    roster_text = GOOD_ROSTER.decode().replace(",", separator).encode()
    err = problems_of(roster=roster_text)
    roster_problems = [p for p in err.problems if p.file == "roster.csv"]
    assert len(roster_problems) == 1
    assert_problem(err, file="roster.csv", row=1, expected=f"separated by {words}")
    schools_text = SCHOOLS.decode().replace(",", separator).encode()
    assert_problem(problems_of(schools=schools_text, roster=GOOD_ROSTER), file="schools.csv", row=1,
                   value="school_id school_name prior_allocation" if separator == "\t" else
                   separator.join(["school_id", "school_name", "prior_allocation"]),
                   expected="'CSV UTF-8 (Comma delimited)'")


def test_a_one_column_csv_with_a_comma_free_header_is_read_normally():
    """A one-column file whose header has no tab, ';' or '|' gets the usual missing-column problems."""
    err = problems_of(roster=b"student_id\n1\n")
    assert_problem(err, file="roster.csv", column="school_id", expected="a 'school_id' column")


def test_row_with_more_fields_than_the_header():
    data = b"student_id,school_id,grade,frl,ell,sped\n1,A,K,Y,N,none,EXTRA\n2,A,K,Y,N,none\n"
    err = problems_of(roster=data)
    assert_problem(err, file="roster.csv", row=2)


def test_later_row_with_more_fields_than_the_header():
    data = b"student_id,school_id,grade,frl,ell,sped\n1,A,K,Y,N,none\n2,A,K,Y,N,none,EXTRA\n"
    err = problems_of(roster=data)
    assert_problem(err, file="roster.csv", expected="Expected 6 fields in line 3, saw 7")


# ---------------------------------------------------------------------------------------------------
# Every problem at once
# ---------------------------------------------------------------------------------------------------

def test_several_problems_in_one_roster_are_all_reported():
    err = problems_of(roster=roster(
        ["1", "A", "K", "Y", "N", "none"],       # row 2: fine
        ["2", "Z", "K", "Y", "N", "none"],       # row 3: unknown school
        ["3", "A", "15", "Y", "N", "none"],      # row 4: grade out of range
        ["4", "A", "K", "perhaps", "N", "none"],  # row 5: unknown flag
        ["5", "B", "2", "N", "N", "severe"],     # row 6: unknown level
        ["5", "B", "2", "N", None, "none"],      # row 7: repeated id, blank flag
    ))
    assert where(err) == {
        ("roster.csv", 3, "school_id", "Z"), ("roster.csv", 4, "grade", "15"), ("roster.csv", 5, "frl", "perhaps"),
        ("roster.csv", 6, "sped", "severe"), ("roster.csv", 6, "student_id", "5"), ("roster.csv", 7, "ell", ""),
    }
    assert_problem(err, row=6, column="student_id", value="5", expected="appears more than once (also row 7)")
    rows = [p.row for p in err.problems]
    assert rows == sorted(rows)  # in file order


def test_problems_in_schools_and_roster_are_reported_together():
    schools = csv_bytes(["school_id", "school_name", "prior_allocation"], [["A", "Alpha", -1], ["B", None, 10]])
    err = problems_of(schools=schools, roster=roster(["1", "Q", "K", "Y", "N", "none"]))
    assert_problem(err, file="schools.csv", row=2, column="prior_allocation", value="-1", expected="at least 0")
    assert_problem(err, file="schools.csv", row=3, column="school_name", value="", expected="a school name")
    # the roster is still checked against the school ids that could be read
    assert_problem(err, file="roster.csv", row=2, column="school_id", value="Q", expected="listed in the schools file")


def test_message_lists_every_problem_and_table_has_the_columns():
    err = problems_of(roster=roster(["1", "Z", "K", "Y", "N", "none"], ["2", "A", "K", "Y", "N", "bad"]))
    lines = err.message().splitlines()
    assert lines == ["roster.csv, row 2, column 'school_id': value 'Z': a school_id listed in the schools file",
                     "roster.csv, row 3, column 'sped': value 'bad': one of: none, resource, inclusion, self_contained"]
    assert err.table().columns.tolist() == ["file", "row", "column", "value", "expected"]
    assert len(err.table()) == 2


# ---------------------------------------------------------------------------------------------------
# Good input in its usual variants
# ---------------------------------------------------------------------------------------------------

def test_excel_csv_utf8_with_bom_and_crlf_loads():
    text = "\ufeff" + "\r\n".join(["student_id,school_id,grade,frl,ell,sped", "1,A,K,Y,N,none",
                                   "2,B,3,N,Y,resource", "3,B,3,N,N,none"]) + "\r\n"
    schools = ("\ufeffschool_id,school_name,prior_allocation\r\nA,Alpha,1000\r\nB,Beta,2000\r\n").encode()
    d = load(schools=schools, roster=text.encode("utf-8"))
    plain = load(roster=roster(["1", "A", "K", "Y", "N", "none"], ["2", "B", "3", "N", "Y", "resource"],
                               ["3", "B", "3", "N", "N", "none"]))
    assert d.schools["school_id"].tolist() == ["A", "B"]
    assert d.schools["school_name"].tolist() == ["Alpha", "Beta"]  # no '\r' left on the last column
    pd.testing.assert_frame_equal(d.counts, plain.counts)
    assert d.counts.loc["B", "grade_3"] == 2 and d.counts.loc["B", "sped_resource"] == 1


def test_usual_spellings_of_grades_and_flags():
    rows = [  # grade, frl, ell: the canonical reading in the comment
        ["KG", "Y", "N"],            # K, poor
        ["01", "yes", "no"],         # 1, poor
        ["Pre-K", "1", "0"],         # PK, poor
        ["pk", "TRUE", "FALSE"],     # PK, poor
        ["Kindergarten", "N", "Y"],  # K, English learner
        ["12", "true", "false"],     # 12, poor
        ["9", "no", "yes"],          # 9, English learner
        ["09", "0", "1"],            # 9, English learner
        ["K", "False", "True"],      # K, English learner
    ]
    sped = ["none", "Resource", "self-contained", "Self Contained", "NONE", "inclusion", "none", "none", "none"]
    data = roster(*[[str(i), "A", g, f, e, s] for i, ((g, f, e), s) in enumerate(zip(rows, sped))])
    c = load(roster=data).counts.loc["A"]
    assert (c["grade_PK"], c["grade_K"], c["grade_1"], c["grade_9"], c["grade_12"]) == (2, 3, 1, 2, 1)
    assert c[[f"grade_{g}" for g in ("2", "3", "4", "5", "6", "7", "8", "10", "11")]].sum() == 0
    assert c["frl"] == 5 and c["ell"] == 4
    assert (c["sped_resource"], c["sped_inclusion"], c["sped_self_contained"]) == (1, 1, 2)


def test_counts_file_grade_headers_in_usual_spellings():
    """A counts file may head its grade columns K / KG / 01 instead of grade_K, grade_1."""
    cols = count_columns(W)
    header = ["school_id", *["KG" if c == "grade_K" else "01" if c == "grade_1" else c for c in cols]]
    values = {c: 0 for c in cols} | {"grade_K": 4, "grade_1": 5, "frl": 3}
    d = load(counts=csv_bytes(header, [["A", *values.values()]]))
    assert (d.counts.loc["A", "grade_K"], d.counts.loc["A", "grade_1"], d.counts.loc["A", "frl"]) == (4, 5, 3)
    assert d.counts.loc["B"].sum() == 0  # a school missing from the counts file has no pupils


SMALL_SCHOOLS = pd.DataFrame({"school_id": ["A", "B", "C"], "school_name": ["Alpha", "Beta", "Gamma"],
                              "prior_allocation": [30000.0, 22000.0, None]})
SMALL_ROSTER = pd.DataFrame({
    "student_id": ["s1", "s2", "s3", "s4", "s5", "s6", "s7"],
    "school_id": ["A", "A", "A", "B", "B", "C", "C"],
    "grade": ["K", "1", "4", "9", "12", "PK", "3"],
    "frl": ["Y", "Y", "N", "Y", "N", "N", "Y"],
    "ell": ["N", "Y", "N", "N", "N", "Y", "N"],
    "sped": ["none", "resource", "none", "self_contained", "none", "inclusion", "none"],
})


def _small_allocation(schools_name, schools_data, roster_name, roster_data):
    d = load_district((schools_name, schools_data), W, roster=(roster_name, roster_data))
    return allocate(d, make_scenario(W, max_loss_pct=5.0))


@pytest.mark.parametrize("kind", ["xlsx", "parquet"])
def test_xlsx_and_parquet_inputs_give_the_same_allocation_as_csv(kind):
    as_csv = _small_allocation("schools.csv", SMALL_SCHOOLS.to_csv(index=False).encode(),
                               "roster.csv", SMALL_ROSTER.to_csv(index=False).encode())
    other = _small_allocation(f"schools.{kind}", frame_bytes(SMALL_SCHOOLS, kind),
                              f"roster.{kind}", frame_bytes(SMALL_ROSTER, kind))
    pd.testing.assert_frame_equal(other.table, as_csv.table)
    # weighted pupils by hand: A = 3 + 0.25 x 2 + 0.40 + 0.55 = 4.45; B = 2 + 0.25 + 2.10 = 4.35;
    # C = 2 + 0.25 + 0.40 + 1.10 = 3.75
    assert other.table["weighted_enrollment"].round(6).tolist() == [4.45, 4.35, 3.75]
    assert other.total == 52000.0


@pytest.mark.parametrize("kind", ["xlsx", "parquet"])
def test_typed_cells_in_xlsx_and_parquet(kind):
    """Spreadsheet and Parquet cells carry types: numbers for grades and ids, booleans for flags."""
    typed = pd.DataFrame({"student_id": [1, 2, 3], "school_id": ["A", "B", "B"], "grade": [0, 1, 12],
                          "frl": [True, False, True], "ell": [1, 0, 1], "sped": ["none", "resource", "none"]})
    d = load(roster=frame_bytes(typed, kind), names=("schools.csv", f"roster.{kind}", "counts.csv"))
    # grade 0 is not read as K (a common coding of kindergarten)
    assert d.counts.loc["A", "grade_K"] == 1 and d.counts.loc["B", "grade_1"] == 1 and d.counts.loc["B", "grade_12"] == 1
    assert d.counts["frl"].tolist() == [1, 1] and d.counts["ell"].tolist() == [1, 1]


@pytest.mark.parametrize("kind,first_row", [("xlsx", 2), ("parquet", 1)])
def test_problems_in_xlsx_and_parquet_name_the_row(kind, first_row):
    bad = SMALL_ROSTER.copy()
    bad.loc[2, "sped"] = "severe"
    err = problems_of(schools=SMALL_SCHOOLS.to_csv(index=False).encode(), roster=frame_bytes(bad, kind),
                      names=("schools.csv", f"roster.{kind}", "counts.csv"))
    assert where(err) == {(f"roster.{kind}", first_row + 2, "sped", "severe")}


def test_sample_roster_as_parquet_gives_the_golden_baseline(sample_district):
    """The whole sample district read from Parquet files allocates exactly as from the CSVs."""
    weights = load_weights(SAMPLE_WEIGHTS)
    schools = pd.read_csv(SAMPLE / "schools.csv", dtype=str, keep_default_na=False)
    students = pd.read_csv(SAMPLE / "roster.csv", dtype=str)
    d = load_district(("schools.parquet", frame_bytes(schools, "parquet")), weights,
                      roster=("roster.parquet", frame_bytes(students, "parquet")))
    a = allocate(d, load_scenario(SCENARIOS / "baseline.toml"))
    assert allocation_csv(a) == (GOLDEN / "baseline.csv").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------------
# Weights and scenario TOML
# ---------------------------------------------------------------------------------------------------

SAMPLE_TEXT = SAMPLE_WEIGHTS.read_text(encoding="utf-8")


def weights_file(tmp_path, old: str | None = None, new: str = "", name: str = "w.toml"):
    """The sample weight table with `old` replaced by `new` (the replacement must happen)."""
    text = SAMPLE_TEXT
    if old is not None:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def toml_problems(loader, path) -> InputError:
    with pytest.raises(InputError) as info:
        loader(path)
    return info.value


def test_weights_misspelt_key_says_did_you_mean(tmp_path):
    path = weights_file(tmp_path, "column = \"ell\"                       # English learner flag\nweight = 0.40",
                        "column = \"ell\"\nwieght = 0.40")
    err = toml_problems(load_weights, path)
    assert_problem(err, file="w.toml", row=None, column="needs.ell.wieght",
                   expected="a known key (did you mean 'weight'?); allowed here: column, levels, weight")


def test_weights_unknown_key_names_key_and_file(tmp_path):
    path = weights_file(tmp_path, "[foundation]\n", "[foundation]\ncolour = \"red\"\n")
    err = toml_problems(load_weights, path)
    assert where(err) == {(str(path), None, "foundation.colour", None)}
    assert_problem(err, file="w.toml", column="foundation.colour", expected="allowed here: per_school")


def test_weights_unknown_top_level_table(tmp_path):
    path = weights_file(tmp_path, "[base]", "[bases]")
    err = toml_problems(load_weights, path)
    assert_problem(err, file="w.toml", column="bases", expected="did you mean 'base'?")
    assert_problem(err, file="w.toml", column="base", expected="a required table")


def test_negative_weight(tmp_path):
    path = weights_file(tmp_path, "weight = 0.25", "weight = -0.25")
    err = toml_problems(load_weights, path)
    assert where(err) == {(str(path), None, "needs.poverty.weight", "-0.25")}
    assert_problem(err, file="w.toml", column="needs.poverty.weight", value="-0.25", expected="a number of at least 0")


def test_negative_level_weight_and_non_numeric_base(tmp_path):
    path = weights_file(tmp_path, "inclusion = 1.10", "inclusion = -1.10")
    path.write_text(path.read_text().replace("per_weighted_pupil = 5200.0", "per_weighted_pupil = \"lots\""))
    err = toml_problems(load_weights, path)
    assert_problem(err, file="w.toml", column="needs.sped.levels.inclusion", value="-1.1", expected="at least 0")
    assert_problem(err, file="w.toml", column="base.per_weighted_pupil", value="lots", expected="a number")


def test_missing_grade(tmp_path):
    path = weights_file(tmp_path, '"4-5" = 1.00', '"4" = 1.00')
    err = toml_problems(load_weights, path)
    assert where(err) == {(str(path), None, "grade", None)}
    assert_problem(err, file="w.toml", column="grade", expected="a weight for every grade PK-12; missing: 5")


def test_grade_weighted_twice_and_unknown_grade(tmp_path):
    path = weights_file(tmp_path, '"4-5" = 1.00', '"4-5" = 1.00\n"5" = 1.0\n"13" = 1.2')
    err = toml_problems(load_weights, path)
    assert_problem(err, file="w.toml", column="grade.5", expected="each grade once; grade 5 is already weighted")
    assert_problem(err, file="w.toml", column="grade.13", expected="a grade (PK, K, 1-12) or a band")


def test_invalid_toml_syntax_names_file(tmp_path):
    path = weights_file(tmp_path, "PK = 1.00", "PK = 1.00 =")
    err = toml_problems(load_weights, path)
    assert_problem(err, file="w.toml", column=None, expected="valid TOML")
    assert_problem(err, file="w.toml", expected="line 12")


def test_invalid_toml_syntax_names_the_line_as_row(tmp_path):
    path = weights_file(tmp_path, "PK = 1.00", "PK = 1.00 =")
    err = toml_problems(load_weights, path)
    assert_problem(err, file="w.toml", row=12, expected="valid TOML")


def _scenario(tmp_path, text: str, weights: bool = True):
    if weights:
        weights_file(tmp_path)
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_pointing_at_a_missing_weights_file(tmp_path):
    path = _scenario(tmp_path, 'title = "x"\nweights = "../weights/nowhere.toml"\n', weights=False)
    err = toml_problems(load_scenario, path)
    assert where(err) == {(str(path), None, "weights", "../weights/nowhere.toml")}
    assert_problem(err, file="s.toml", column="weights", value="../weights/nowhere.toml",
                   expected="a weight table file; ")
    assert_problem(err, file="s.toml", expected="nowhere.toml does not exist")


def test_scenario_problems_are_all_reported_at_once(tmp_path):
    path = _scenario(tmp_path, 'title = "x"\nweights = "w.toml"\n[overides]\n"needs.ell.weight" = 0.5\n'
                               '[funding]\nmode = "budget_netural"\n[hold_harmless]\nmax_loss_pct = -3\nmax_gain = 5\n')
    err = toml_problems(load_scenario, path)
    assert where(err) == {(str(path), None, "overides", None), (str(path), None, "funding.mode", "budget_netural"),
                          (str(path), None, "hold_harmless.max_loss_pct", "-3"),
                          (str(path), None, "hold_harmless.max_gain", None)}
    assert_problem(err, column="overides", expected="did you mean 'overrides'?")
    assert_problem(err, column="funding.mode", value="budget_netural", expected="one of 'budget_neutral', 'fixed_base'")
    assert_problem(err, column="hold_harmless.max_loss_pct", value="-3", expected="at least 0")
    assert_problem(err, column="hold_harmless.max_gain", expected="did you mean 'max_gain_pct'?")


def test_scenario_override_of_an_unknown_key(tmp_path):
    path = _scenario(tmp_path, 'title = "x"\nweights = "w.toml"\n[overrides]\n"needs.ell.wieght" = 0.5\n'
                               '"needs.frl.weight" = 0.3\n')
    err = toml_problems(load_scenario, path)
    assert_problem(err, file="s.toml", column="overrides.needs.ell.wieght", expected="'wieght' is not one (known here: column, weight)")
    assert_problem(err, file="s.toml", column="overrides.needs.frl.weight", expected="known here: ell, poverty, sped")


def test_scenario_override_with_a_negative_weight(tmp_path):
    path = _scenario(tmp_path, 'title = "x"\nweights = "w.toml"\n[overrides]\n"needs.ell.weight" = -0.5\n')
    err = toml_problems(load_scenario, path)
    assert where(err) == {(str(path), None, "overrides.needs.ell.weight", "-0.5")}
    assert_problem(err, file="s.toml", expected="a number of at least 0")


def test_scenario_override_bad_key_and_bad_value_reported_together(tmp_path):
    path = _scenario(tmp_path, 'title = "x"\nweights = "w.toml"\n[overrides]\n"needs.ell.wieght" = 0.5\n'
                               '"grade.K" = -1\n')
    err = toml_problems(load_scenario, path)
    assert_problem(err, file="s.toml", column="overrides.needs.ell.wieght")
    assert_problem(err, file="s.toml", column="overrides.grade.K", value="-1", expected="at least 0")


def test_scenario_invalid_syntax_and_uploaded_scenario(tmp_path):
    with pytest.raises(InputError) as info:
        parse_scenario('title = "x"\nweights = "w.toml"\n[funding\n', "upload.toml", tmp_path)
    assert_problem(info.value, file="upload.toml", expected="valid TOML")


def test_bad_weights_file_named_by_a_scenario_reports_the_weights_file(tmp_path):
    weights_file(tmp_path, "weight = 0.25", "weight = -0.25")
    path = tmp_path / "s.toml"
    path.write_text('title = "x"\nweights = "w.toml"\n', encoding="utf-8")
    err = toml_problems(load_scenario, path)
    assert_problem(err, file="w.toml", column="needs.poverty.weight", value="-0.25")

