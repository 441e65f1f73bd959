"""The Excel workbook as written by openpyxl, without recalculating it (see test_export_libreoffice.py
for the recalculated numbers): parameters as named cells, live formulas, text that stays text, no
student rows, suppression of small schools, reading an edited workbook back as a scenario, the CLI."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import replace

import numpy as np
import openpyxl
import pytest

from conftest import (ROOT, SAMPLE, SAMPLE_WEIGHTS, make_scenario, make_weights, matrix_district, roster_district,
                      scenario_files)
from sbb.allocate import allocate
from sbb.counts import count_columns
from sbb.district import load_district
from sbb.export import build_workbook, scenario_toml_from_workbook, workbook_bytes, write_workbook
from sbb.problems import InputError
from sbb.scenario import load_scenario, parse_scenario

SCEN = ROOT / "scenarios"
DANGEROUS = ["=1+1", "+SUM(1,2)", "-2+3", "@SUM(1)", "=HYPERLINK(\"http://x\",\"click\")"]


def sample(name: str):
    """(allocation, district) of a shipped scenario on the sample district's counts file."""
    s = load_scenario(SCEN / f"{name}.toml")
    d = load_district(SAMPLE / "schools.csv", s.weights, counts=SAMPLE / "counts.csv")
    return allocate(d, s), d


def cell_of(book, name: str):
    """The cell a workbook-level defined name points at."""
    ((sheet, ref),) = list(book.defined_names[name].destinations)
    return book[sheet][ref.replace("$", "")]


def weights_row(book, key: str) -> int:
    ws = book["Weights"]
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 5).value == key)


def keys(ws) -> list:
    """The column keys of a table sheet (row 1, hidden; row 2 holds the labels a person reads)."""
    return [c.value for c in ws[1]]


def sheet_columns(path: Path, sheet: str = "Allocations") -> dict[str, list]:
    """Column key (row 1) -> values of the school rows (from row 3 down to the totals row, whose
    school_id is blank), as stored or as LibreOffice computed them."""
    ws = openpyxl.load_workbook(path, data_only=True)[sheet]
    head = next(ws.iter_rows(min_row=1, max_row=1, values_only=True))
    rows = []
    for r in ws.iter_rows(min_row=3, values_only=True):
        if r[0] in (None, ""):
            break
        rows.append(r)
    return {key: [r[j] for r in rows] for j, key in enumerate(head) if key}


def as_float(values) -> np.ndarray:
    return np.array([np.nan if v in (None, "") else v for v in values], dtype=float)


MONEY = ["base_amount", "need_amount", "foundation_amount", "small_school_amount", "band_supplement_amount",
         "formula_amount", "hold_harmless_adjustment", "cap_adjustment", "allocation", "prior_allocation",
         "discretionary_amount", "directed_amount", "delta_formula", "delta_enrollment"]


def assert_ties_out(table, got: dict[str, list], rows=None, cents: bool = False) -> None:
    """Every engine column on the sheet equals the engine: money exactly (whole dollars), delta to
    well under a cent, pupils and ratios to float precision."""
    rows = np.ones(len(table), dtype=bool) if rows is None else rows
    assert got["school_id"] == list(table["school_id"])
    assert got["school_name"] == list(table["school_name"])
    for col in table.columns:
        if col not in got or col in ("school_id", "school_name"):
            continue
        engine = table[col].to_numpy(dtype=float)[rows]
        sheet = as_float([v for v, keep in zip(got[col], rows) if keep])
        if col == "delta_pct":
            engine = engine / 100.0  # the sheet holds a fraction shown as a percentage
        if col in MONEY and cents:  # amounts in cents: sums of floats, equal to well under a cent
            np.testing.assert_allclose(sheet, engine, rtol=0, atol=1e-6, err_msg=col)
        elif col in MONEY:
            np.testing.assert_array_equal(sheet, engine, err_msg=col)
        elif col == "delta":
            np.testing.assert_allclose(sheet, engine, rtol=0, atol=1e-6, err_msg=col)
        else:
            np.testing.assert_allclose(sheet, engine, rtol=1e-12, atol=1e-9, err_msg=col)


@pytest.fixture(scope="module")
def fixed_base():
    a, d = sample("fixed_base")
    return a, d, openpyxl.load_workbook(io.BytesIO(workbook_bytes(a, d)))


@pytest.mark.parametrize("name", sorted(p.stem for p in scenario_files()))
def test_cached_values_equal_the_engine(name, tmp_path):
    """The values stored with the formulas (what a reader that does not calculate shows) are the
    engine's, for every shipped scenario; LibreOffice's own recalculation is tested separately."""
    a, d = sample(name)
    write_workbook(a, d, tmp_path / "w.xlsx")
    assert_ties_out(a.table, sheet_columns(tmp_path / "w.xlsx"))
    summary = openpyxl.load_workbook(tmp_path / "w.xlsx", data_only=True)["Summary"]
    check = next(r for r in summary.iter_rows(values_only=True) if r[0] == "Check: total of the Allocations sheet")
    assert check[1] == a.total


def test_parameters_are_named_cells_holding_the_weight_table(fixed_base):
    """Each parameter is a defined name on the Weights sheet whose value is the one in
    weights/sample_district.toml (read here with tomllib, not through sbb)."""
    _, _, book = fixed_base
    doc = tomllib.loads(SAMPLE_WEIGHTS.read_text())
    expected = {
        "base_per_weighted_pupil": doc["base"]["per_weighted_pupil"],          # 5200
        "w_grade_PK": doc["grade"]["PK"], "w_grade_K": doc["grade"]["K-3"], "w_grade_3": doc["grade"]["K-3"],
        "w_grade_5": doc["grade"]["4-5"], "w_grade_7": doc["grade"]["6-8"], "w_grade_12": doc["grade"]["9-12"],
        "w_needs_poverty": doc["needs"]["poverty"]["weight"], "w_needs_ell": doc["needs"]["ell"]["weight"],
        "w_needs_sped_self_contained": doc["needs"]["sped"]["levels"]["self_contained"],
        "foundation_per_school": doc["foundation"]["per_school"],
        "small_school_enrollment_below": doc["small_school"]["enrollment_below"],
        "small_school_per_school": doc["small_school"]["per_school"],
        "conc_poverty_share_at_least": doc["concentration"]["poverty"]["share_at_least"],
        "conc_poverty_weight": doc["concentration"]["poverty"]["weight"],
    }
    for name, value in expected.items():
        cell = cell_of(book, name)
        assert cell.parent.title == "Weights" and cell.value == pytest.approx(value, abs=0), name
    # the fixed-base scenario has no hold-harmless limits: the named cells are blank
    assert cell_of(book, "max_loss_pct").value is None and cell_of(book, "max_gain_pct").value is None


def test_budget_neutral_base_is_the_solved_value_and_says_so():
    a, d = sample("ell_050")
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(a, d)))
    cell = cell_of(book, "base_per_weighted_pupil")
    assert cell.value == a.base_per_weighted_pupil
    assert book["Weights"].cell(cell.row, 6).value == "solved"
    assert "does NOT re-solve the base" in book["Weights"]["A2"].value


def test_derived_columns_are_live_formulas(fixed_base):
    a, _, book = fixed_base
    ws = book["Allocations"]
    keys_ = keys(ws)
    live = ["enrollment", "weighted_enrollment", "base_amount", "need_amount", "foundation_amount",
            "small_school_amount", "formula_amount", "hold_harmless_adjustment", "cap_adjustment", "allocation",
            "delta", "delta_pct", "per_pupil", "floor_limit", "cap_limit"]
    for key in live:
        j = keys_.index(key) + 1
        for r in range(3, 3 + len(a.table)):
            assert str(ws.cell(r, j).value).startswith("="), (key, r)
    # the named parameters are what the formulas use
    j = keys_.index("need_weighted") + 1
    assert "w_needs_ell" in ws.cell(3, j).value and "conc_poverty_weight" in ws.cell(3, j).value
    # the rounding adjustment is a value: zero in fixed-base mode (every amount rounds on its own)
    j = keys_.index("rounding_adjustment") + 1
    assert [ws.cell(r, j).value for r in range(3, 3 + len(a.table))] == [0] * len(a.table)
    # headers frozen, filters on, print titles set
    assert ws.freeze_panes == "C3" and ws.auto_filter.ref.startswith("A2:")
    assert ws.print_title_rows == "$1:$2"


def test_rounding_adjustment_is_small_in_budget_neutral_mode():
    """Largest-remainder rounding moves an amount by at most one unit from its nearest dollar."""
    a, d = sample("hold_harmless_3pct")
    ws = openpyxl.load_workbook(io.BytesIO(workbook_bytes(a, d)))["Allocations"]
    j = keys(ws).index("rounding_adjustment") + 1
    values = [ws.cell(r, j).value for r in range(3, 3 + len(a.table))]
    assert set(values) <= {-1, 0, 1}


def injection_district():
    w = make_weights()
    matrix = np.zeros((len(DANGEROUS), len(count_columns(w))), dtype=np.int64)
    matrix[:, 5] = 40  # 40 pupils in grade 4 each
    d = matrix_district(w, matrix, np.full(len(DANGEROUS), 200000.0), ids=[f"X{i}{s}" for i, s in enumerate(DANGEROUS)])
    d.schools["school_name"] = DANGEROUS
    return d, make_scenario(w, mode="fixed_base")


def test_formula_injection_names_are_written_as_text():
    d, s = injection_district()
    data = workbook_bytes(allocate(d, s), d)
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in ("Allocations", "Counts", "Comparison"):
        ws = book[sheet]
        for i, text in enumerate(DANGEROUS):
            name = ws.cell(3 + i, 2)
            assert name.value == text and name.data_type == "s", (sheet, text)
            assert ws.cell(3 + i, 1).value == f"X{i}{text}" and ws.cell(3 + i, 1).data_type == "s"
    # in the file itself no formula element carries a school's name
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    formulas = re.findall(r"<f>(.*?)</f>", xml)
    assert formulas and not any("HYPERLINK" in f or "1+1" in f or "SUM(1" in f for f in formulas)
    # id and name, as inline text, on Allocations, Counts, Comparison; the name on the Change chart sheet
    assert xml.count("HYPERLINK") == 7


def test_no_student_rows_are_written():
    """A district read from a roster: the workbook holds school-level counts, never a student id."""
    w = make_weights()
    students = [{"school_id": "A", "grade": "4", "frl": "Y"} for _ in range(7)]
    students += [{"school_id": "B", "grade": "9", "ell": "Y"} for _ in range(5)]
    d = roster_district(w, [("A", 100000.0), ("B", 90000.0)], students)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(allocate(d, make_scenario(w)), d)))
    for ws in book.worksheets:
        for row in ws.iter_rows(values_only=True):
            assert not any(isinstance(v, str) and v.startswith("P0") for v in row), (ws.title, row)
    counts = book["Counts"]
    head = keys(counts)
    assert counts.max_row == 2 + 2 + 1  # two header rows, one row per school, the totals row
    assert counts.cell(3, head.index("frl") + 1).value == 7 and counts.cell(4, head.index("ell") + 1).value == 5
    frl = counts.cell(3, head.index("frl") + 1).column_letter
    assert counts.cell(5, head.index("frl") + 1).value == f"=SUM({frl}3:{frl}4)"  # the totals row


def test_suppression_blanks_small_schools():
    """suppress_below=300: schools with fewer than 300 pupils (counted here from counts.csv) keep only
    their id and name; every other school keeps its formulas."""
    a, d = sample("baseline")
    import pandas as pd

    counts = pd.read_csv(SAMPLE / "counts.csv", dtype={"school_id": str}).set_index("school_id")
    pupils = counts[[c for c in counts.columns if c.startswith("grade_")]].sum(axis=1)
    small = set(pupils[pupils < 300].index)
    assert small  # the sample district has a few
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(a, d, suppress_below=300)))
    for sheet in ("Allocations", "Counts", "Comparison"):
        ws = book[sheet]
        e = keys(ws).index("enrollment")
        for row in ws.iter_rows(min_row=3, values_only=True):
            if row[0] in small:
                assert row[e] == "<300" and all(v is None for j, v in enumerate(row) if j > 1 and j != e), \
                    (sheet, row[0])
            else:  # a school's formulas, or (blank id) the totals row's sums
                assert str(row[e]).startswith("="), (sheet, row[0])
    notes = [c.value for c in book["Summary"]["A"] if isinstance(c.value, str)]
    plural = "school" if len(small) == 1 else "schools"  # in words, not "school(s)"
    assert any(f"{len(small)} {plural} with fewer than 300 pupils" in n for n in notes)


def test_theory_of_action_sheets():
    a, d = sample("theory_of_action")
    book = build_workbook(a, d)
    assert {"Pot waterfall", "By band", "Phase-in"} <= set(book.sheetnames)
    steps = [r[0] for r in book["Pot waterfall"].iter_rows(min_row=3, values_only=True) if r[0]]
    assert steps[:3] == ["Budget", "Central: transportation", "Central: central special education"]
    phase = book["Phase-in"]
    assert keys(phase)[:6] == ["school_id", "school_name", "prior_allocation",
                                               "allocation_year_1", "allocation_year_2", "allocation_year_3"]
    assert "band_table" in book.defined_names
    # the baseline scenario uses none of it
    b, d2 = sample("baseline")
    assert "Pot waterfall" not in build_workbook(b, d2).sheetnames


def test_change_chart_and_formats(fixed_base):
    a, d, _ = fixed_base
    book = build_workbook(a, d)
    (chart,) = book["Change chart"]._charts
    assert chart.type == "bar"
    # gains and losses are two series in two colour-blind-safe colours (blue, vermillion)
    gains, losses = chart.series
    assert gains.val.numRef.f == f"'Change chart'!$B$3:$B${2 + len(a.table)}"
    assert losses.val.numRef.f == f"'Change chart'!$C$3:$C${2 + len(a.table)}"
    colour = lambda series: str(getattr(series.graphicalProperties.solidFill.srgbClr, "val",  # noqa: E731
                                        series.graphicalProperties.solidFill.srgbClr))
    assert (colour(gains), colour(losses)) == ("0072B2", "D55E00")
    sheet = book["Change chart"]
    delta = dict(zip(a.table["school_name"], a.table["delta"]))
    for r in range(3, 3 + len(a.table)):
        name, gain, loss = (sheet.cell(r, j).value for j in (1, 2, 3))
        assert "Comparison!" in gain and ">0" in gain and "<0" in loss
        assert name in delta
    ws = book["Allocations"]
    j = keys(ws).index("allocation") + 1
    assert ws.cell(3, j).number_format.startswith('"$"#,##0')
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage


def test_workbook_bytes_is_an_xlsx_file(fixed_base, tmp_path):
    a, d, _ = fixed_base
    data = workbook_bytes(a, d)
    write_workbook(a, d, tmp_path / "x.xlsx")
    assert data[:2] == b"PK" and zipfile.is_zipfile(tmp_path / "x.xlsx")


# ---------------------------------------------------------------------------------------------------
# Reading back
# ---------------------------------------------------------------------------------------------------

def test_readback_unedited_gives_the_same_scenario(tmp_path):
    for name in ("theory_of_action", "ell_050_hold_harmless", "enrollment_shift"):
        a, d = sample(name)
        path = tmp_path / f"{name}.xlsx"
        write_workbook(a, d, path)
        out = tmp_path / "sub" / f"{name}.toml"
        out.parent.mkdir(exist_ok=True)
        text = scenario_toml_from_workbook(path, out)
        back = parse_scenario(text, str(out), out.parent)
        original = load_scenario(SCEN / f"{name}.toml")
        assert back.weights.to_dict() == original.weights.to_dict()
        assert dict(back.overrides) == dict(original.overrides)
        assert (back.mode, back.budget, back.max_loss_pct, back.max_gain_pct) == \
               (original.mode, original.budget, original.max_loss_pct, original.max_gain_pct)
        # relative paths now start from the TOML's folder and still name the same files
        assert replace(back.theory, framework=None) == replace(original.theory, framework=None)
        if original.theory.framework:
            assert (out.parent / back.theory.framework).resolve() == (SCEN / original.theory.framework).resolve()
            assert (back.framework.metrics, back.framework.bands) == (original.framework.metrics, original.framework.bands)
        assert (out.parent / back.weights_ref).resolve() == SAMPLE_WEIGHTS.resolve()


def test_readback_turns_edited_cells_into_overrides(tmp_path):
    a, d = sample("ell_050")  # overrides needs.ell.weight = 0.50
    path = tmp_path / "e.xlsx"
    write_workbook(a, d, path)
    book = openpyxl.load_workbook(path)
    ws = book["Weights"]
    ws.cell(weights_row(book, "needs.poverty.weight"), 2).value = 0.3
    ws.cell(weights_row(book, "grade.K"), 2).value = 1.2
    ws.cell(weights_row(book, "hold_harmless.max_loss_pct"), 2).value = 2
    ws.cell(weights_row(book, "solved.base_per_weighted_pupil"), 2).value = 1  # solved: not read back
    book.save(path)
    doc = tomllib.loads(scenario_toml_from_workbook(path, tmp_path / "e.toml"))
    assert doc["overrides"] == {"needs.ell.weight": 0.5, "needs.poverty.weight": 0.3, "grade.K": 1.2}
    assert doc["hold_harmless"] == {"max_loss_pct": 2.0}
    assert doc["funding"] == {"mode": "budget_neutral"}


def test_readback_names_a_bad_cell(tmp_path):
    a, d = sample("baseline")
    path = tmp_path / "bad.xlsx"
    write_workbook(a, d, path)
    book = openpyxl.load_workbook(path)
    row = weights_row(book, "needs.ell.weight")
    book["Weights"].cell(row, 2).value = "forty"
    book["Weights"].cell(weights_row(book, "foundation.per_school"), 2).value = None
    book.save(path)
    with pytest.raises(InputError) as err:
        scenario_toml_from_workbook(path, tmp_path / "bad.toml")
    columns = {p.column: p for p in err.value.problems}
    assert columns[f"Weights!B{row}"].value == "forty"
    assert "needs.ell.weight" in columns[f"Weights!B{row}"].expected
    assert any("foundation.per_school" in p.expected for p in err.value.problems)


def test_readback_refuses_a_workbook_it_did_not_write(tmp_path):
    path = tmp_path / "other.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(InputError) as err:
        scenario_toml_from_workbook(path, tmp_path / "o.toml")
    assert "hidden _sbb sheet" in err.value.problems[0].expected


def run_cli(*commands: list[str]) -> list[subprocess.CompletedProcess]:
    """Run `python -m sbb <args>` for each command side by side; the finished processes in order."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    procs = [subprocess.Popen([sys.executable, "-m", "sbb", *args], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for args in commands]
    done = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(p.args, p.returncode, out, err))
    return done


def test_cli_scenario_from_xlsx_and_suppress_option(tmp_path):
    xlsx, toml = tmp_path / "w.xlsx", tmp_path / "w.toml"
    common = ["--schools", str(SAMPLE / "schools.csv"), "--counts", str(SAMPLE / "counts.csv")]
    r, bad, csv = run_cli(
        ["allocate", *common, "--scenario", str(SCEN / "poverty_030.toml"), "--out", str(xlsx), "--suppress-below"],
        ["scenario", "--from-xlsx", str(tmp_path / "missing.xlsx"), "--out", str(toml)],
        ["allocate", *common, "--scenario", str(SCEN / "baseline.toml"), "--out", str(tmp_path / "a.csv"),
         "--suppress-below", "5"])
    assert r.returncode == 0, r.stderr
    notes = [c.value for c in openpyxl.load_workbook(xlsx)["Summary"]["A"] if isinstance(c.value, str)]
    assert any("fewer than 10 pupils" in n for n in notes)  # the option's default is 10
    assert bad.returncode == 2 and "does not exist" in bad.stderr and "Traceback" not in bad.stderr
    assert csv.returncode == 2 and "--suppress-below" in csv.stderr and "Traceback" not in csv.stderr
    (back,) = run_cli(["scenario", "--from-xlsx", str(xlsx), "--out", str(toml)])
    assert back.returncode == 0 and back.stdout.strip() == f"scenario written to {toml}", back.stderr
    assert tomllib.loads(toml.read_text())["overrides"] == {"needs.poverty.weight": 0.3}


def test_money_reads_minus_dollar_without_red(fixed_base):
    """Every money cell of every sheet: a negative shows as "-$32,357" (minus, then the dollar sign) with no
    colour code such as [Red], so the sign, not a colour, says it is a loss."""
    a, d, _ = fixed_base
    book = build_workbook(a, d)
    money = 0
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                fmt = c.number_format or ""
                if '"$"' not in fmt:
                    continue
                money += 1
                assert "[" not in fmt, (ws.title, c.coordinate, fmt)  # no [Red] or any other colour
                sections = fmt.split(";")
                # one section: Excel and LibreOffice put the minus in front ("-$1.00"); two: it is spelt out
                assert len(sections) == 1 or sections[1] == "-" + sections[0].lstrip("+"), (ws.title, c.coordinate, fmt)
    assert money > len(a.table)  # at least the allocation column of every school was looked at


def test_summary_equity_reads_as_the_app_writes_it(tmp_path):
    """The Summary sheet's equity lines, as LibreOffice-free text: each cell's format is the one the app's
    figure_text uses for that measure (the 5th-95th percentile gap a percent, 26.9%, not 0.269; the
    extra per poor pupil signed '+$327')."""
    a, d = sample("hold_harmless_3pct")
    ws = build_workbook(a, d)["Summary"]
    rows = {ws.cell(r, 1).value: ws.cell(r, 2) for r in range(1, ws.max_row + 1)}
    gap = rows["Gap from 5th to 95th percentile pupil"]
    assert gap.number_format == "0.0%" and 0 < gap.value < 1
    assert rows["Poorest ÷ least-poor quarter"].number_format == "0.000"
    assert rows["Extra per poor pupil (vs non-poor)"].number_format == '+"$"#,##0;-"$"#,##0;"$"0'
    assert rows["Gini coefficient"].number_format == "0.0000"
    assert rows["Average dollars per pupil"].number_format == '"$"#,##0;-"$"#,##0'


def test_biggest_loss_note_writes_the_percent_as_every_other_view():
    """hold_harmless_3pct: the school losing the most dollars loses 2.9% of last year (one decimal,
    as the app's card, the CLI and the handout), computed here from its delta and prior allocation;
    the biggest loss in percent is a 0.0% cell."""
    a, d = sample("hold_harmless_3pct")
    t = a.table
    worst = t["delta"].idxmin()
    pct = -t.loc[worst, "delta"] / t.loc[worst, "prior_allocation"] * 100
    ws = build_workbook(a, d)["Summary"]
    rows = {r[0].value: r for r in ws.iter_rows() if isinstance(r[0].value, str)}
    assert rows["Biggest loss"][2].value == f"{pct:.1f}% of its prior year, {t.loc[worst, 'school_name']}"
    assert rows["Biggest loss in percent"][1].number_format == "0.0%"
