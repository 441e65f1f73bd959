"""The workbook as an auditor reads it: the allocation on the first printed page, totals rows, every
sheet's header naming the district, scenario, date and version, the Provenance sheet (input files
with their SHA-256, computed here with hashlib), no absolute path anywhere, formulas that say what
they compute. (LibreOffice's recalculation of the totals is in test_export_libreoffice.py.)"""

from __future__ import annotations

import hashlib
import io
import re
import tomllib
import zipfile

import openpyxl
import pytest

from conftest import ROOT, SAMPLE
from test_export import keys, run_cli, sample

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def cli_out(tmp_path_factory):
    """A workbook written once by the CLI from absolute paths (the case that used to leak them)."""
    out = tmp_path_factory.mktemp("cli") / "w.xlsx"
    (r,) = run_cli(["allocate", "--schools", str(SAMPLE / "schools.csv"), "--counts", str(SAMPLE / "counts.csv"),
                    "--scenario", str(ROOT / "scenarios" / "ell_050.toml"), "--out", str(out)])
    assert r.returncode == 0, r.stderr
    return out


def test_no_absolute_path_anywhere_and_readback_still_works(cli_out, tmp_path):
    out = cli_out
    with zipfile.ZipFile(out) as z:
        text = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    # Each folder with its trailing separator: "/work" alone would match the zip's own "/workbook.xml".
    for folder in {str(ROOT), str(ROOT.parent), str(out.parent), "/work", "/home", "/tmp"}:
        assert folder.rstrip("/") + "/" not in text, folder
    toml = tmp_path / "back.toml"
    (r,) = run_cli(["scenario", "--from-xlsx", str(out), "--out", str(toml)])
    assert r.returncode == 0, r.stderr
    doc = tomllib.loads(toml.read_text())
    assert doc["overrides"] == {"needs.ell.weight": 0.5}
    assert (tmp_path / doc["weights"]).resolve() == (ROOT / "weights" / "sample_district.toml").resolve()


def test_provenance_lists_every_input_with_its_sha256(cli_out):
    book = openpyxl.load_workbook(cli_out)
    ws = book["Provenance"]
    rows = {r[0]: r[1:] for r in ws.iter_rows(values_only=True) if r[0]}
    assert rows["Schools file"][:3] == ("schools.csv", (SAMPLE / "schools.csv").stat().st_size,
                                        sha256(SAMPLE / "schools.csv"))
    assert rows["Counts file"][:3] == ("counts.csv", (SAMPLE / "counts.csv").stat().st_size,
                                       sha256(SAMPLE / "counts.csv"))
    assert rows["Scenario file"][2] == sha256(ROOT / "scenarios" / "ell_050.toml")
    assert rows["Weight table file"][2] == sha256(ROOT / "weights" / "sample_district.toml")
    assert rows["Tool version"][0] == f"sbb {VERSION}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", rows["Exported (UTC)"][0])
    assert rows["Weight table source"][0].startswith("Synthetic weights for the shipped sample district.")
    assert rows["English learners weight"] == ("needs.ell.weight", "0.40", "0.50")


def test_every_sheet_header_names_district_scenario_date_and_version(cli_out):
    book = openpyxl.load_workbook(cli_out)
    title = tomllib.loads((ROOT / "scenarios" / "ell_050.toml").read_text())["title"]
    for ws in book.worksheets:
        if ws.sheet_state == "hidden":
            continue
        assert ws.oddHeader.left.text == f"Sample district  |  {title}", ws.title
        assert re.fullmatch(rf"Exported \d{{4}}-\d\d-\d\d  \|  sbb {re.escape(VERSION)}", ws.oddHeader.right.text)
        assert ws.oddFooter.center.text == "&A  page &P of &N"


def test_allocation_first_totals_rows_and_readable_formulas():
    a, d = sample("hold_harmless_3pct")
    from sbb.export import build_workbook

    book = build_workbook(a, d)
    ws = book["Allocations"]
    head = keys(ws)
    # the allocation, last year and the change are the first columns after the school: first printed page
    assert head[:6] == ["school_id", "school_name", "allocation", "prior_allocation", "delta", "delta_pct"]
    assert ws.row_dimensions[1].hidden and ws.cell(2, 3).value == "Allocation"
    assert not any("_" in str(c.value) for c in ws[2] if c.value)  # no snake_case heading a person reads
    n = len(a.table)
    total = 3 + n
    col = {k: openpyxl.utils.get_column_letter(j + 1) for j, k in enumerate(head)}
    assert ws.cell(total, 2).value == "Total, all schools"
    assert ws[f"{col['allocation']}{total}"].value == f"=SUM({col['allocation']}3:{col['allocation']}{total - 1})"
    for sheet, key in (("Counts", "enrollment"), ("Comparison", "allocation")):
        other = book[sheet]
        letter = openpyxl.utils.get_column_letter(keys(other).index(key) + 1)
        assert other[f"{letter}{total}"].value == f"=SUM({letter}3:{letter}{total - 1})", sheet
    # Base amount: base x grade-weighted pupils, rounded, plus the visible rounding column (no plug);
    # Formula amount: the formula rounded, never the allocation column
    base = ws[f"{col['base_amount']}3"].value
    assert base == f"=ROUND(base_per_weighted_pupil*{col['grade_weighted']}3,0)+{col['formula_rounding']}3"
    formula = ws[f"{col['formula_amount']}3"].value
    assert formula.startswith(f"=ROUND({col['formula_exact']}3,0)+IF(AND(")
    assert f"{col['allocation']}3" not in formula
    # every rounding guard is explained on its heading
    assert "0.000001" in ws[f"{col['floor_limit']}2"].comment.text
    # no formula of nothing anywhere, and the budget is used by a formula (the Summary's check line)
    cells = [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert not any(isinstance(v, str) and "ROUND(0," in v for v in cells)
    assert any(isinstance(v, str) and v.startswith("=budget-") for v in cells)


def test_counts_headings_are_words_not_codes():
    a, d = sample("baseline")
    from sbb.export import build_workbook

    ws = build_workbook(a, d)["Counts"]
    labels = [c.value for c in ws[2]]
    assert {"Pre-K", "Grade K", "Grade 12", "Poverty", "English learners", "Special education: self-contained"} \
        <= set(labels)
    assert not {"frl", "ell", "grade_K"} & set(labels)
    weights = build_workbook(a, d)["Weights"]
    names = [c.value for c in weights["A"] if isinstance(c.value, str)]
    assert "Need weight: English learners" in names and not any("(ell)" in x for x in names)


def test_workbook_bytes_from_the_app_carry_sources_as_names_only():
    a, d = sample("baseline")
    from sbb.export import workbook_bytes

    data = workbook_bytes(a, d, district_name="Springfield", sources={"schools": ("my schools.csv", b"a,b\n")})
    ws = openpyxl.load_workbook(io.BytesIO(data))["Provenance"]
    rows = {r[0]: r[1:] for r in ws.iter_rows(values_only=True) if r[0]}
    assert rows["District"][0] == "Springfield"
    assert rows["Schools file"][:3] == ("my schools.csv", 4, hashlib.sha256(b"a,b\n").hexdigest())


def test_readback_from_another_working_directory(cli_out, tmp_path, monkeypatch):
    """Exported from the project folder, read back from elsewhere: the scenario's weight table is
    still found (the stored folder is relative, looked for from the project's folder too)."""
    from sbb.export import scenario_toml_from_workbook

    monkeypatch.chdir(tmp_path)
    text = scenario_toml_from_workbook(cli_out, tmp_path / "back.toml")
    doc = tomllib.loads(text)
    assert (tmp_path / doc["weights"]).resolve() == (ROOT / "weights" / "sample_district.toml").resolve()
