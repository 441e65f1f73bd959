"""The workbook recalculated by LibreOffice headless equals the engine to the dollar.

One `soffice --convert-to xlsx` call recalculates every workbook of this module at once (a session
fixture, with a private LibreOffice profile); the recalculated files are then read with openpyxl
`data_only=True`. The engine numbers are computed independently of the workbook's formulas, and
one small case is worked by hand.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from conftest import SAMPLE, make_scenario, make_weights, matrix_district, scenario_files
from sbb.allocate import allocate
from sbb.counts import count_columns
from sbb.district import load_district
from sbb.export import build_workbook, write_workbook
from sbb.export.workbook import with_cached_values
from sbb.scenario import load_scenario
from sbb.weights import apply_overrides
from test_export import as_float, assert_ties_out, run_cli, sheet_columns

SOFFICE = shutil.which("soffice") or ("/usr/bin/soffice" if Path("/usr/bin/soffice").exists() else None)
pytestmark = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")

SCENARIOS = {p.stem: p for p in scenario_files()}
DANGEROUS = ["=1+1", "+SUM(1,2)", "-2+3", "@SUM(1)", "=HYPERLINK(\"http://x\",\"click\")"]
# edits made in the fixed-base workbook, and the same edits as an engine scenario
EDITS = {"needs.ell.weight": 0.5, "grade.K": 1.2, "small_school.per_school": 200000.0}
EDIT_LIMITS = {"hold_harmless.max_loss_pct": 2.0, "hold_harmless.max_gain_pct": 6.0}


RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def sample(path: Path):
    s = load_scenario(path)
    d = load_district(SAMPLE / "schools.csv", s.weights, counts=SAMPLE / "counts.csv")
    return allocate(d, s), d


def edit_weights(path: Path, values: dict[str, float]) -> None:
    """Set Weights-sheet cells by their dotted key (column E), as a user would in Excel."""
    book = openpyxl.load_workbook(path)
    ws = book["Weights"]
    rows = {ws.cell(r, 5).value: r for r in range(1, ws.max_row + 1)}
    for key, value in values.items():
        ws.cell(rows[key], 2).value = value
    book.save(path)


def hand_district():
    """Two schools, every grade weight 1.0, poverty 0.25, ELL 0.40, base $5,000, no foundation.
    A: 100 grade-4 pupils, 20 poor, 10 ELL: 100 + 5 + 4 = 109 weighted -> $545,000 (prior $500,000).
    B: 50 grade-9 pupils, all poor: 50 + 12.5 = 62.5 weighted -> $312,500; prior $400,000 with a 5%
    floor -> $380,000, a hold-harmless adjustment of $67,500."""
    w = make_weights()
    cols = count_columns(w)
    m = np.zeros((2, len(cols)), dtype=np.int64)
    m[0, cols.index("grade_4")], m[0, cols.index("frl")], m[0, cols.index("ell")] = 100, 20, 10
    m[1, cols.index("grade_9")], m[1, cols.index("frl")] = 50, 50
    d = matrix_district(w, m, np.array([500000.0, 400000.0]), ids=["A", "B"])
    return d, make_scenario(w, mode="fixed_base", max_loss_pct=5.0)


@pytest.fixture(scope="session")
def recalculated(tmp_path_factory):
    """name -> (allocation, district, path of the LibreOffice-recalculated workbook)."""
    src = tmp_path_factory.mktemp("xlsx")
    out = tmp_path_factory.mktemp("recalculated")
    cases = {}
    for name, path in SCENARIOS.items():
        cases[name] = sample(path)
    fixed, district = cases["fixed_base"]
    other, _ = sample(SCENARIOS["ell_050"])
    base, _ = sample(SCENARIOS["baseline"])
    jobs = {name: (a, d, {}) for name, (a, d) in cases.items()}
    jobs["fixed_base_edited"] = (fixed, district, {"edit": {**EDITS, **EDIT_LIMITS}})
    jobs["compared"] = (base, district, {"compare_to": other})
    jobs["suppressed"] = (base, district, {"suppress_below": 300})
    toa = load_scenario(SCENARIOS["theory_of_action"])
    jobs["cents"] = (allocate(district, dataclasses.replace(toa, rounding="cents")), district, {})
    d, s = hand_district()
    jobs["hand"] = (allocate(d, s), d, {"edit": {"needs.ell.weight": 0.5}})
    w = make_weights()
    m = np.zeros((len(DANGEROUS), len(count_columns(w))), dtype=np.int64)
    m[:, 5] = 40
    inj = matrix_district(w, m, np.full(len(DANGEROUS), 200000.0), ids=[f"X{i}{t}" for i, t in enumerate(DANGEROUS)])
    inj.schools["school_name"] = DANGEROUS
    jobs["injection"] = (allocate(inj, make_scenario(w, mode="fixed_base")), inj, {})
    for name, (a, d, opts) in jobs.items():
        write_workbook(a, d, src / f"{name}.xlsx", compare_to=opts.get("compare_to"),
                       suppress_below=opts.get("suppress_below"))
        if "edit" in opts:
            edit_weights(src / f"{name}.xlsx", opts["edit"])
    # the baseline again with every cached value set to 0: only a real recalculation ties it out
    book = build_workbook(base, district)
    raw = io.BytesIO()
    book.save(raw)
    zeros = {cell: 0 for cell in book._sbb_cached_values}
    (src / "poisoned.xlsx").write_bytes(with_cached_values(raw.getvalue(), [w.title for w in book.worksheets], zeros))
    jobs["poisoned"] = (base, district, {})
    profile = tmp_path_factory.mktemp("lo-profile")
    # LibreOffice keeps the cached results of an .xlsx unless told to recalculate on load
    (profile / "user").mkdir()
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    cmd = [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
           "--convert-to", "xlsx", "--outdir", str(out), *[str(src / f"{n}.xlsx") for n in jobs]]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    missing = [n for n in jobs if not (out / f"{n}.xlsx").is_file()]
    assert not missing, f"LibreOffice did not convert {missing}: {done.stdout}\n{done.stderr}"
    return {name: (a, d, out / f"{name}.xlsx", src / f"{name}.xlsx") for name, (a, d, _) in jobs.items()}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_every_shipped_scenario_ties_out_after_recalculation(recalculated, name):
    a, _, path, _ = recalculated[name]
    got = sheet_columns(path)
    assert_ties_out(a.table, got)
    # the Summary's check line (a SUM over the Allocations sheet) equals the engine's total
    summary = openpyxl.load_workbook(path, data_only=True)["Summary"]
    check = next(r for r in summary.iter_rows(values_only=True) if r[0] == "Check: total of the Allocations sheet")
    assert check[1] == a.total
    if a.pot is not None:
        assert a.total == a.pot


def test_libreoffice_really_recalculates(recalculated):
    """The poisoned workbook's cached results are all 0; after LibreOffice they are the engine's."""
    a, _, path, src = recalculated["poisoned"]
    assert set(as_float(sheet_columns(src)["allocation"])) == {0.0}
    assert_ties_out(a.table, sheet_columns(path))


def test_rounding_in_cents_ties_out_to_the_cent(recalculated):
    """The theory-of-action scenario rounded to cents: ROUND(..., 2) and the cent adjustments."""
    a, _, path, _ = recalculated["cents"]
    assert (a.table["allocation"] % 1 != 0).any()  # there are cents to get right
    assert_ties_out(a.table, sheet_columns(path), cents=True)
    assert abs(sum(as_float(sheet_columns(path)["allocation"])) - a.pot) < 1e-6


def test_edited_weights_recalculate_like_the_engine(recalculated):
    """Fixed base: the ELL and kindergarten weights, the small-school amount and the hold-harmless
    limits edited in the workbook; LibreOffice's numbers equal the engine run with those values."""
    a, d, path, _ = recalculated["fixed_base_edited"]
    s = a.scenario
    weights = apply_overrides(s.weights, EDITS, "test")
    edited = dataclasses.replace(s, weights=weights, max_loss_pct=2.0, max_gain_pct=6.0)
    expected = allocate(d, edited).table
    assert not np.array_equal(expected["allocation"], a.table["allocation"])  # the edits matter
    assert (expected["hold_harmless_adjustment"] > 0).any() and (expected["cap_adjustment"] < 0).any()
    assert_ties_out(expected, sheet_columns(path))


def test_hand_computed_case_after_editing_the_ell_weight(recalculated):
    """hand_district with the ELL weight edited to 0.50 in the workbook:
    A: 100 + 20 x 0.25 + 10 x 0.50 = 110 weighted x $5,000 = $550,000 (prior $500,000: +$50,000, +10%).
    B: unchanged 62.5 x $5,000 = $312,500, lifted to its floor $400,000 x 0.95 = $380,000."""
    _, _, path, _ = recalculated["hand"]
    got = sheet_columns(path)
    assert got["weighted_enrollment"] == [110, 62.5]
    assert got["allocation"] == [550000, 380000]
    assert got["formula_amount"] == [550000, 312500]
    assert got["hold_harmless_adjustment"] == [0, 67500]
    assert got["delta"] == [50000, -20000]
    assert got["delta_pct"] == pytest.approx([0.10, -0.05], abs=1e-12)


def test_formula_injection_names_stay_text_after_recalculation(recalculated):
    _, _, path, _ = recalculated["injection"]
    book = openpyxl.load_workbook(path, data_only=True)
    for sheet in ("Allocations", "Counts", "Comparison"):
        got = sheet_columns(path, sheet)
        assert got["school_name"] == DANGEROUS, sheet
        assert got["school_id"] == [f"X{i}{t}" for i, t in enumerate(DANGEROUS)], sheet
    # and the rest of the row computed normally: 40 pupils x 1.0 x $5,000
    assert sheet_columns(path)["allocation"] == [200000] * len(DANGEROUS)
    assert book["Allocations"]["B3"].data_type == "s"


def test_suppressed_cells_stay_blank_and_the_rest_ties_out(recalculated):
    a, _, path, _ = recalculated["suppressed"]
    got = sheet_columns(path)
    small = a.table["enrollment"].to_numpy() < 300
    assert small.any() and (~small).any()
    for key, values in got.items():
        if key in ("school_id", "school_name"):
            continue
        for v, hide in zip(values, small):
            if hide:
                assert v == ("<300" if key == "enrollment" else None), key
    assert_ties_out(a.table, got, rows=~small)
    comparison = sheet_columns(path, "Comparison")
    assert all(v is None for v, hide in zip(comparison["allocation"], small) if hide)


def test_comparison_sheet_against_prior_year_and_another_scenario(recalculated):
    a, _, path, _ = recalculated["compared"]
    other = sample(SCENARIOS["ell_050"])[0].table["allocation"].to_numpy(dtype=float)
    got = sheet_columns(path, "Comparison")
    now = a.table["allocation"].to_numpy(dtype=float)
    np.testing.assert_array_equal(as_float(got["allocation"]), now)
    np.testing.assert_allclose(as_float(got["delta_vs_prior"]), a.table["delta"].to_numpy(dtype=float),
                               rtol=0, atol=1e-6)
    np.testing.assert_array_equal(as_float(got["other_allocation"]), other)
    np.testing.assert_array_equal(as_float(got["delta_vs_other"]), now - other)


def test_round_trip_workbook_to_scenario_to_engine(recalculated, tmp_path):
    """The recalculated workbooks (as saved by LibreOffice) -> `python -m sbb scenario --from-xlsx`
    -> TOML -> engine: the engine reproduces the workbook's numbers; the edited weights come back as
    overrides and the edited limits as [hold_harmless]."""
    import tomllib

    for name in ("fixed_base_edited", "theory_of_action"):
        a, _, path, _ = recalculated[name]
        toml = tmp_path / f"{name}.toml"
        (r,) = run_cli(["scenario", "--from-xlsx", str(path), "--out", str(toml)])
        assert r.returncode == 0, r.stderr
        doc = tomllib.loads(toml.read_text())
        if name == "fixed_base_edited":
            assert doc["overrides"] == EDITS
            assert doc["hold_harmless"] == {"max_loss_pct": 2.0, "max_gain_pct": 6.0}
        back, _ = sample(toml)
        assert_ties_out(back.table, sheet_columns(path))


def test_totals_rows_and_budget_check_after_recalculation(recalculated):
    """The totals rows, as LibreOffice computes their =SUM formulas, equal the engine's totals summed
    here from its table; the Summary's budget check (budget less central costs less the total) is 0."""
    for name in ("theory_of_action", "hold_harmless_3pct"):
        a, _, path, _ = recalculated[name]
        book = openpyxl.load_workbook(path, data_only=True)
        t = a.table
        n = len(t)
        for sheet, sums in (("Allocations", {"allocation": t["allocation"].sum(), "enrollment": t["enrollment"].sum(),
                                             "hold_harmless_adjustment": t["hold_harmless_adjustment"].sum(),
                                             "formula_amount": t["formula_amount"].sum(),
                                             "prior_allocation": t["prior_allocation"].sum()}),
                            ("Comparison", {"allocation": t["allocation"].sum()}),
                            ("Counts", {"enrollment": t["enrollment"].sum()})):
            ws = book[sheet]
            head = [c.value for c in ws[1]]
            assert ws.cell(3 + n, 2).value == "Total, all schools"
            for key, expected in sums.items():
                assert ws.cell(3 + n, head.index(key) + 1).value == pytest.approx(float(expected), abs=1e-6), (name, sheet, key)
        summary = book["Summary"]
        check = next(r for r in summary.iter_rows(values_only=True)
                     if r[0] == "Check: budget less central costs less the total")
        assert check[1] == pytest.approx(0.0, abs=1e-6)
        assert a.total == float(t["allocation"].sum())
