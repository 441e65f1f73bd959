"""The command line as a user runs it: `python -m sbb allocate ...` in a subprocess.

Every shipped scenario on the sample district exits 0, prints the summary and writes the CSV that
the golden files hold; bad input exits 2 with every problem on stderr and never a traceback. The
subprocesses of each group run side by side to keep the suite fast.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import openpyxl
import pandas as pd
import pytest

from conftest import CONTRACT_COLUMNS, GOLDEN, ROOT, SAMPLE, check_identities, csv_bytes, scenario_files

SCHOOLS = str(SAMPLE / "schools.csv")
ROSTER = str(SAMPLE / "roster.csv")
BASELINE = str(ROOT / "scenarios" / "baseline.toml")


def run_all(commands: dict[str, list[str]]) -> dict[str, subprocess.CompletedProcess]:
    """Run `python -m sbb <args>` for every entry, as many at a time as there are CPUs;
    name -> finished process (text output)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}

    def one(args: list[str]) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "sbb", *args], cwd=ROOT, env=env, text=True,
                              capture_output=True, timeout=120)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {name: pool.submit(one, args) for name, args in commands.items()}
        return {name: f.result() for name, f in futures.items()}


def no_traceback(result: subprocess.CompletedProcess) -> None:
    for stream in (result.stdout, result.stderr):
        assert "Traceback" not in stream and 'File "' not in stream, stream


# ---------------------------------------------------------------------------------------------------
# Every shipped scenario
# ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scenario_runs(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli")
    commands = {p.stem: ["allocate", "--schools", SCHOOLS, "--roster", ROSTER, "--scenario", str(p),
                         "--out", str(out / f"{p.stem}.csv")] for p in scenario_files()}
    return out, run_all(commands)


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_every_shipped_scenario_runs(path, scenario_runs):
    out, runs = scenario_runs
    result = runs[path.stem]
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    no_traceback(result)
    written = out / f"{path.stem}.csv"
    assert written.read_bytes() == (GOLDEN / f"{path.stem}.csv").read_bytes()
    table = pd.read_csv(written, dtype={"school_id": str})
    assert table.columns[: len(CONTRACT_COLUMNS) + 2].tolist() == [
        *CONTRACT_COLUMNS[:7], "small_school_amount", "band_supplement_amount", *CONTRACT_COLUMNS[7:]]
    check_identities(table)
    assert len(table) == 50


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_summary_on_stdout(path, scenario_runs):
    """The summary's numbers are the golden summary's, formatted as dollars by hand here."""
    out, runs = scenario_runs
    lines = runs[path.stem].stdout.splitlines()
    s = json.loads((GOLDEN / f"{path.stem}.summary.json").read_text())
    assert lines[0] == s["scenario"] and set(lines[1]) == {"-"}
    value = dict(re.match(r"^\s+(\S.*?)\s{2,}(.*)$", line).groups() for line in lines[2:-1])
    assert value["total allocated"] == f"${s['total']:,.0f}"
    assert value["base per weighted pupil"] == f"${s['base_per_weighted_pupil']:,.2f}"
    assert value["schools"] == (f"50 ({s['gaining']} gaining, {s['losing']} losing, "
                                f"{s['unchanged']} unchanged, 1 new)")
    assert value["hold-harmless cost"].startswith(f"${s['hold_harmless_cost']:,.0f} (")
    cap = "held back from gainers" if "phase-in" in s["scenario"] else "gains cap recovered"
    assert value[cap].startswith(f"${s['cap_recovered']:,.0f} (")
    if s["mode"] == "budget_neutral":
        assert value["budget"] == f"${s['budget']:,.0f}"
    assert lines[-1] == f"  written to {out / f'{path.stem}.csv'}"


# ---------------------------------------------------------------------------------------------------
# Bad input, bad output paths
# ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bad_runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "schools.csv").write_bytes(csv_bytes(["school_id", "school_name", "prior_allocation"],
                                              [["A", "Alpha", "lots"], ["A", "Alpha again", "-5"], ["B", "Beta", 100]]))
    (d / "roster.csv").write_bytes(csv_bytes(["student_id", "school_id", "grade", "frl", "ell", "sped"],
                                             [["1", "A", "13", "Y", "N", "none"], ["2", "Z", "K", "maybe", "N", "severe"],
                                              ["2", "B", "K", "N", "", "none"]]))
    (d / "picture.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (d / "empty.csv").write_bytes(b"")
    (d / "bad.toml").write_text('title = "x"\nweights = "nowhere.toml"\n[funding]\nmode = "budget_netural"\n')
    base = ["allocate", "--schools", SCHOOLS, "--roster", ROSTER, "--scenario", BASELINE]
    commands = {
        "bad files": ["allocate", "--schools", str(d / "schools.csv"), "--roster", str(d / "roster.csv"),
                      "--scenario", BASELINE, "--out", str(d / "never.csv")],
        "not a table": ["allocate", "--schools", str(d / "empty.csv"), "--roster", str(d / "picture.csv"),
                        "--scenario", BASELINE],
        "bad scenario": ["allocate", "--schools", SCHOOLS, "--roster", ROSTER, "--scenario", str(d / "bad.toml")],
        "unwritable": [*base, "--out", str(d / "no_such_folder" / "a.csv")],
        "suffix": [*base, "--out", str(d / "a.txt")],
    }
    return d, run_all(commands)


def test_bad_files_exit_2_with_every_problem_on_stderr(bad_runs):
    d, runs = bad_runs
    r = runs["bad files"]
    assert r.returncode == 2 and r.stdout == ""
    no_traceback(r)
    schools, roster = d / "schools.csv", d / "roster.csv"
    expected = [
        f"{schools}, row 2, column 'prior_allocation': value 'lots': a number of dollars (blank for a new school)",
        # one mistake, one problem: the repeated id once, and the roster's row of the school the
        # schools file then lacks ('Z') folded into it
        f"{schools}, row 2, column 'school_id': value 'A': a unique school id; it appears more than once "
        f"(also row 3). {roster.name} has 1 row with school_id 'Z', which the schools file does not list: is one of "
        "these rows that school? (Those rows are checked again once the ids are fixed.)",
        f"{schools}, row 3, column 'prior_allocation': value '-5': a prior allocation of at least 0 dollars",
        f"{roster}, row 2, column 'grade': value '13': a grade: PK (Pre-K), K (KG), 1-12 (01-12)",
        f"{roster}, row 3, column 'frl': value 'maybe': a yes/no flag: Y/N, yes/no, 1/0 or true/false",
        f"{roster}, row 3, column 'sped': value 'severe': one of: none, resource, inclusion, self_contained",
        f"{roster}, row 3, column 'student_id': value '2': a unique student id; it appears more than once (also row 4)",
        f"{roster}, row 4, column 'ell': value '': a yes/no flag: Y/N, yes/no, 1/0 or true/false",
    ]
    lines = r.stderr.splitlines()
    assert lines[0] == f"error: {len(expected)} problems with the input:"
    assert sorted(lines[1:]) == sorted(expected)
    assert not (d / "never.csv").exists()


@pytest.mark.parametrize("name,expected", [
    ("not a table", "picture.csv: a readable CSV table; the file is a PNG image"),
    ("not a table", "empty.csv: a table with a header row; the file is empty"),
    ("bad scenario", "key 'funding.mode': value 'budget_netural': one of 'budget_neutral', 'fixed_base'"),
    ("bad scenario", "key 'weights': value 'nowhere.toml': a weight table file;"),
    ("unwritable", "a.csv: an output file in an existing folder; the folder "),
    ("suffix", "a.txt: an output file ending in .csv or .xlsx"),
])
def test_bad_input_and_output_exit_2_with_a_message(bad_runs, name, expected):
    r = bad_runs[1][name]
    assert r.returncode == 2
    no_traceback(r)
    assert r.stderr.startswith("error: ") and expected in r.stderr, r.stderr


def test_missing_output_folder_is_refused_before_any_work(bad_runs):
    """--out into a folder that does not exist: one line naming that folder, and no summary printed first."""
    d, runs = bad_runs
    r = runs["unwritable"]
    assert r.stdout == ""
    assert r.stderr == (f"error: {d / 'no_such_folder' / 'a.csv'}: an output file in an existing folder; the folder "
                        f"{d / 'no_such_folder'} does not exist (create it first, or write somewhere else)\n")


def test_xlsx_output(tmp_path):
    """--out FILE.xlsx writes an Excel workbook (its contents are tested with sbb.export)."""
    r = run_all({"xlsx": ["allocate", "--schools", SCHOOLS, "--counts", str(SAMPLE / "counts.csv"),
                          "--scenario", BASELINE, "--out", str(tmp_path / "a.xlsx")]})["xlsx"]
    no_traceback(r)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == f"  written to {tmp_path / 'a.xlsx'}"
    book = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert len(book.sheetnames) >= 1


def test_allocate_into_a_closed_pipe_writes_the_file_without_a_traceback(tmp_path):
    """`python -m sbb allocate ... --out x.csv | head -3`: the reader closes the pipe before the summary is
    printed. The allocation file is still written (50 schools + a header line) and stderr has no traceback."""
    import os
    import subprocess
    import sys

    from conftest import ROOT, SAMPLE

    out = tmp_path / "x.csv"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.Popen([sys.executable, "-m", "sbb", "allocate", "--schools", str(SAMPLE / "schools.csv"),
                          "--counts", str(SAMPLE / "counts.csv"), "--scenario", str(ROOT / "scenarios" / "baseline.toml"),
                          "--out", str(out)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # like `head` having read what it wanted, before anything was printed
    err = p.stderr.read().decode()
    p.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1 + 50


def test_statements_count_their_pages_in_words(tmp_path):
    """'--school S001 --school S001' writes S001's page once: the summary page + 1 statement = 2 pages
    (pdfinfo), and the message says '1 school statement', not '2 school statement(s)'."""
    import shutil

    from conftest import ROOT, SAMPLE
    from test_export import run_cli

    out = tmp_path / "s.pdf"
    (p,) = run_cli(["statements", "--schools", str(SAMPLE / "schools.csv"), "--counts", str(SAMPLE / "counts.csv"),
                    "--scenario", str(ROOT / "scenarios" / "baseline.toml"), "--out", str(out),
                    "--school", "S001", "--school", "S001"])
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"1 school statement and a summary page written to {out}\n"
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
        assert re.search(r"^Pages:\s+2$", info, re.M), info
