"""A new user's first ten minutes at the command line: every bad file or option gives exit status 2 and
one clear line (never a traceback), one mistake gives one problem, and `--help` explains the command.

Each command runs through `sbb.cli.main` in this process, which is what `python -m sbb` calls.
"""

from __future__ import annotations

import contextlib
import io
import subprocess

import pandas as pd
import pytest

from conftest import ROOT, SAMPLE
from sbb.cli import main
from sbb.problems import InputError, Problem

SCHOOLS = str(SAMPLE / "schools.csv")
COUNTS = str(SAMPLE / "counts.csv")
BASELINE = str(ROOT / "scenarios" / "baseline.toml")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))


def run_all(commands: dict[str, list[str]]) -> dict[str, subprocess.CompletedProcess]:
    """Run `python -m sbb <args>` for each entry through `sbb.cli.main`, in this process (the same code
    `python -m sbb` runs; tests/test_cli.py runs it in subprocesses); name -> exit status and output."""
    out = {}
    for name, args in commands.items():
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                code = main(args)
            except SystemExit as stop:  # argparse: --help, or a missing option
                code = stop.code
        out[name] = subprocess.CompletedProcess(args, code, stdout.getvalue(), stderr.getvalue())
    return out


def one_line_exit_2(r: subprocess.CompletedProcess) -> str:
    """The single stderr line of a refused command (after 'error: ')."""
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and 'File "' not in r.stderr, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    return lines[0][len("error: "):]


# ---------------------------------------------------------------------------------------------------
# Files that are not what their names say, for every file argument of every command
# ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("first")
    files = {
        "csv.xlsx": b"school_id,school_name,prior_allocation\nA,Alpha,100\n",
        "empty.xlsx": b"",
        "png.xlsx": PNG,
        "zip.xlsx": b"PK\x03\x04" + bytes(range(200)),
        "png.csv": PNG,
        "empty.csv": b"",
        "png.parquet": PNG,
        "png.toml": PNG,
        "empty.toml": b"",
    }
    for name, data in files.items():
        (d / name).write_bytes(data)
    (d / "folder.xlsx").mkdir()
    commands = {
        # scenario --from-xlsx on files that are not workbooks
        "from csv": ["scenario", "--from-xlsx", str(d / "csv.xlsx"), "--out", str(d / "s.toml")],
        "from empty": ["scenario", "--from-xlsx", str(d / "empty.xlsx"), "--out", str(d / "s.toml")],
        "from png": ["scenario", "--from-xlsx", str(d / "png.xlsx"), "--out", str(d / "s.toml")],
        "from zip": ["scenario", "--from-xlsx", str(d / "zip.xlsx"), "--out", str(d / "s.toml")],
        "from folder": ["scenario", "--from-xlsx", str(d / "folder.xlsx"), "--out", str(d / "s.toml")],
        "from missing": ["scenario", "--from-xlsx", str(d / "nope.xlsx"), "--out", str(d / "s.toml")],
        "scenario out folder": ["scenario", "--from-xlsx", str(d / "png.xlsx"), "--out", str(d / "no" / "s.toml")],
        # allocate: each input in turn
        "schools png csv": ["allocate", "--schools", str(d / "png.csv"), "--counts", COUNTS, "--scenario", BASELINE],
        "schools png xlsx": ["allocate", "--schools", str(d / "png.xlsx"), "--counts", COUNTS, "--scenario", BASELINE],
        "schools empty xlsx": ["allocate", "--schools", str(d / "empty.xlsx"), "--counts", COUNTS,
                               "--scenario", BASELINE],
        "schools csv xlsx": ["allocate", "--schools", str(d / "csv.xlsx"), "--counts", COUNTS, "--scenario", BASELINE],
        "schools zip xlsx": ["allocate", "--schools", str(d / "zip.xlsx"), "--counts", COUNTS, "--scenario", BASELINE],
        "counts png parquet": ["allocate", "--schools", SCHOOLS, "--counts", str(d / "png.parquet"),
                               "--scenario", BASELINE],
        "roster empty csv": ["allocate", "--schools", SCHOOLS, "--roster", str(d / "empty.csv"),
                             "--scenario", BASELINE],
        "scenario png": ["allocate", "--schools", SCHOOLS, "--counts", COUNTS, "--scenario", str(d / "png.toml")],
        "scenario folder": ["allocate", "--schools", SCHOOLS, "--counts", COUNTS, "--scenario", str(d / "folder.xlsx")],
        "allocate out folder": ["allocate", "--schools", SCHOOLS, "--counts", COUNTS, "--scenario", BASELINE,
                                "--out", str(d / "no" / "a.xlsx")],
        "allocate out is a folder": ["allocate", "--schools", SCHOOLS, "--counts", COUNTS, "--scenario", BASELINE,
                                     "--out", str(d / "folder.xlsx")],
        "suppress csv": ["allocate", "--schools", SCHOOLS, "--counts", COUNTS, "--scenario", BASELINE,
                         "--out", str(d / "a.csv"), "--suppress-below", "400"],
        "suppress no out": ["allocate", "--schools", SCHOOLS, "--counts", COUNTS, "--scenario", BASELINE,
                            "--suppress-below"],
        "suppress zero": ["allocate", "--schools", SCHOOLS, "--counts", COUNTS, "--scenario", BASELINE,
                          "--out", str(d / "a.xlsx"), "--suppress-below", "0"],
    }
    return d, run_all(commands)


@pytest.mark.parametrize("name,expected", [
    ("from csv", "{d}/csv.xlsx: an .xlsx workbook; the file is a text file (a CSV?)"),
    ("from empty", "{d}/empty.xlsx: an .xlsx workbook; the file is empty"),
    ("from png", "{d}/png.xlsx: an .xlsx workbook; the file is a PNG image"),
    ("from zip", "{d}/zip.xlsx: an .xlsx workbook; the file is a zip archive but not a workbook "
                 "(damaged, or another kind of file)"),
    ("from folder", "{d}/folder.xlsx: an .xlsx workbook; this is a folder"),
    ("from missing", "{d}/nope.xlsx: an .xlsx workbook; the file does not exist"),
    ("scenario out folder", "{d}/no/s.toml: an output file in an existing folder; the folder {d}/no does not "
                            "exist (create it first, or write somewhere else)"),
    ("schools png csv", "{d}/png.csv: a readable CSV table; the file is a PNG image"),
    ("schools png xlsx", "{d}/png.xlsx: a readable XLSX table; the file is a PNG image"),
    ("schools empty xlsx", "{d}/empty.xlsx: a readable XLSX table; the file is empty"),
    ("schools csv xlsx", "{d}/csv.xlsx: a readable XLSX table; the file is a text file (a CSV?)"),
    ("counts png parquet", "{d}/png.parquet: a readable PARQUET table; the file is a PNG image"),
    ("roster empty csv", "{d}/empty.csv: a table with a header row; the file is empty"),
    ("scenario png", "{d}/png.toml: a TOML text file; the file is a PNG image"),
    ("allocate out folder", "{d}/no/a.xlsx: an output file in an existing folder; the folder {d}/no does not "
                            "exist (create it first, or write somewhere else)"),
    ("allocate out is a folder", "{d}/folder.xlsx: an output file name ending in .csv or .xlsx; this is a folder"),
    ("suppress csv", "--suppress-below: an Excel workbook to apply to (--out FILE.xlsx): suppression blanks "
                     "figures in the workbook only, and a.csv is a CSV with every school's figures"),
    ("suppress no out", "--suppress-below: an Excel workbook to apply to (--out FILE.xlsx): suppression blanks "
                        "figures in the workbook only, and there is no --out"),
    ("suppress zero", "--suppress-below: value '0': a whole number of pupils, 1 or more"),
])
def test_bad_file_or_option_gives_exit_2_and_one_clear_line(bad_files, name, expected):
    d, runs = bad_files
    assert one_line_exit_2(runs[name]) == expected.format(d=d)
    assert runs[name].stdout == ""  # refused before any work: no summary printed first


@pytest.mark.parametrize("name,starts", [
    ("schools zip xlsx", "a readable XLSX table ("),  # a zip, so the reader's own reason is given
    ("scenario folder", "a readable text file ("),
])
def test_other_unreadable_inputs_give_one_line(bad_files, name, starts):
    d, runs = bad_files
    line = one_line_exit_2(runs[name])
    assert line.split(": ", 1)[1].startswith(starts), line


def test_nothing_is_written_when_refused(bad_files):
    d, _ = bad_files
    assert not (d / "s.toml").exists() and not (d / "a.csv").exists() and not (d / "no").exists()


# ---------------------------------------------------------------------------------------------------
# One mistake, one problem
# ---------------------------------------------------------------------------------------------------

def test_one_duplicated_school_id_is_one_problem(tmp_path):
    """The sample schools file with school 3's id typed as school 2's: one problem, not one per pupil of
    the school that then seems missing. The roster's rows for S003 are counted independently here."""
    schools = pd.read_csv(SAMPLE / "schools.csv", dtype=str, keep_default_na=False)
    assert schools.loc[1:2, "school_id"].tolist() == ["S002", "S003"]
    schools.loc[2, "school_id"] = "S002"
    schools.to_csv(tmp_path / "schools.csv", index=False)
    roster_ids = pd.read_csv(SAMPLE / "roster.csv", usecols=["school_id"], dtype=str)["school_id"]
    s003 = int((roster_ids == "S003").sum())
    assert s003 > 100
    r = run_all({"dup": ["allocate", "--schools", str(tmp_path / "schools.csv"), "--roster",
                         str(SAMPLE / "roster.csv"), "--scenario", BASELINE]})["dup"]
    line = one_line_exit_2(r)
    assert line == (f"{tmp_path / 'schools.csv'}, row 3, column 'school_id': value 'S002': a unique school id; it "
                    f"appears more than once (also row 4). roster.csv has {s003:,} rows with "
                    "school_id 'S003', which the schools file does not list: is one of these rows that school? "
                    "(Those rows are checked again once the ids are fixed.)")


def test_a_repeated_bad_value_is_one_problem_naming_its_rows():
    from sbb.consequences import one_per_mistake

    grade = [Problem("r.csv", row, "grade", "13", "a grade") for row in (2, 5, 9, 11, 12, 20, 31, 40)]
    other = Problem("r.csv", 3, "frl", "maybe", "a flag")
    out = one_per_mistake([grade[0], other, *grade[1:]], "s.csv")
    assert [str(p) for p in out] == [
        "r.csv, row 2, column 'grade': value '13': a grade (also rows 5, 9, 11, 12, 20 and 2 more)",
        "r.csv, row 3, column 'frl': value 'maybe': a flag",
    ]


def test_unknown_school_ids_are_listed_when_the_schools_file_ids_are_fine():
    from sbb.consequences import UNKNOWN_SCHOOL, one_per_mistake

    problems = [Problem("s.csv", 2, "prior_allocation", "x", "a number"),
                Problem("r.csv", 4, "school_id", "Z", UNKNOWN_SCHOOL), Problem("r.csv", 7, "school_id", "Z", UNKNOWN_SCHOOL)]
    assert [str(p) for p in one_per_mistake(problems, "s.csv")] == [
        "s.csv, row 2, column 'prior_allocation': value 'x': a number",
        f"r.csv, row 4, column 'school_id': value 'Z': {UNKNOWN_SCHOOL} (also row 7)",
    ]


# ---------------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------------

def test_grade_band_override_is_reported_under_the_key_written(tmp_path):
    weights = (ROOT / "weights" / "sample_district.toml").as_posix()
    (tmp_path / "s.toml").write_text(f'title = "t"\nweights = "{weights}"\n[overrides]\n"grade.K-3" = -1.0\n')
    r = run_all({"band": ["allocate", "--schools", SCHOOLS, "--counts", COUNTS, "--scenario",
                          str(tmp_path / "s.toml")]})["band"]
    assert one_line_exit_2(r) == f"{tmp_path / 's.toml'}, key 'overrides.grade.K-3': value '-1.0': a number of at least 0"


def test_labels_say_key_for_toml_cell_for_workbooks_column_for_tables():
    assert str(Problem("s.toml", None, "funding.mode", "x", "one of")) == "s.toml, key 'funding.mode': value 'x': one of"
    assert str(Problem("a.xlsx", 7, "Weights!B7", "x", "a number")) == "a.xlsx, row 7, cell 'Weights!B7': value 'x': a number"
    assert str(Problem("r.csv", 2, "grade", "x", "a grade")) == "r.csv, row 2, column 'grade': value 'x': a grade"


def test_problem_counts_are_singular_or_plural():
    one = InputError([Problem("a.csv", None, None, None, "x")])
    two = InputError([Problem("a.csv", None, None, None, "x"), Problem("b.csv", None, None, None, "y")])
    assert one.headline() == "1 problem with the input:"
    assert two.headline() == "2 problems with the input:"
    assert InputError([Problem("a.csv", r, None, None, "x") for r in range(3)]).message(limit=2).endswith(
        "... and 1 more problem")


def test_allocate_help_explains_files_exit_status_and_examples():
    r = run_all({"help": ["allocate", "--help"]})["help"]
    assert r.returncode == 0
    text = r.stdout
    for needed in ("school_id, school_name, prior_allocation", "one row per student: school_id, grade",
                   "exit status:", "  0  the allocation was computed", "  2  bad input or output", "examples:",
                   "python -m sbb allocate --schools sample_data/schools.csv --roster sample_data/roster.csv",
                   "off unless given", "the flag alone means N = 10"):
        assert needed in text, needed
    assert "(default 10)" not in text
    # the examples run as written (the second with counts, to stay quick)
    example = [line.strip() for line in text.splitlines() if "--counts sample_data/counts.csv" in line]
    assert example and example[0].startswith("python -m sbb allocate")


def test_a_schools_file_missing_schools_is_one_problem_per_file(tmp_path):
    """The schools file keeps its first 12 schools; the roster names the other 38 on thousands of
    rows and the counts file on 38: each is one problem naming how many ids and the first five with
    their row counts and first row (counted here with the csv module, header = row 1)."""
    import csv

    lines = (SAMPLE / "schools.csv").read_text().splitlines()
    (tmp_path / "schools.csv").write_text("\n".join(lines[:13]) + "\n")
    kept = {line.split(",")[0] for line in lines[1:13]}
    for name, flag in (("roster.csv", "--roster"), ("counts.csv", "--counts")):
        rows: dict[str, list[int]] = {}
        with open(SAMPLE / name, newline="") as f:
            for n, row in enumerate(csv.DictReader(f), start=2):
                if row["school_id"] not in kept:
                    rows.setdefault(row["school_id"], []).append(n)
        assert len(rows) == 50 - 12
        first = ", ".join(f"'{sid}' (row {r[0]})" if len(r) == 1 else f"'{sid}' ({len(r):,} rows, first row {r[0]})"
                          for sid, r in list(rows.items())[:5])
        r = run_all({name: ["allocate", "--schools", str(tmp_path / "schools.csv"), flag, str(SAMPLE / name),
                            "--scenario", BASELINE]})[name]
        assert one_line_exit_2(r) == (
            f"{SAMPLE / name}, column 'school_id': 38 school ids in {name} are not in schools.csv: {first} and 33 "
            "more. Each row needs a school_id listed in the schools file: is schools.csv missing these schools?")
