"""Golden outputs: every shipped scenario on the sample district, byte for byte, plus a few golden
numbers recomputed here without sbb (tomllib, pandas groupby, exact fractions).

When a golden test fails, the engine, the sample data or a scenario has changed what it allocates.
If (and only if) that change is intended, run `python tests/regenerate_golden.py` and review the diff.
"""

from __future__ import annotations

import difflib
import json
import math
import tomllib
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from conftest import GOLDEN, SAMPLE, SAMPLE_WEIGHTS, check_identities, sample_weights, scenario_files
from regenerate_golden import summary_json
from sbb.allocate import allocate
from sbb.district import load_district
from sbb.report import allocation_csv
from sbb.scenario import load_scenario

REGENERATE = ("Run `python tests/regenerate_golden.py` ONLY if this change is intended (a deliberate change "
              "to the engine, the sample data or a scenario), then review the diff before committing.")
GRADE_ORDER = ["PK", "K", *(str(g) for g in range(1, 13))]


def _diff(name: str, old: str, new: str) -> str:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), f"golden/{name}", "engine now",
                                      lineterm="", n=0))
    shown = "\n".join(lines[:30]) + ("\n..." if len(lines) > 30 else "")
    return f"{name} differs from the golden file.\n{REGENERATE}\n{shown}"


@pytest.fixture(scope="module")
def allocations(sample_district):
    """Every shipped scenario allocated once on the sample district (read from its roster)."""
    return {p.stem: allocate(sample_district, load_scenario(p)) for p in scenario_files()}


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_allocation_csv_matches_golden_file(path, allocations):
    golden = GOLDEN / f"{path.stem}.csv"
    assert golden.exists(), f"no golden file for scenario {path.name}. {REGENERATE}"
    now = allocation_csv(allocations[path.stem])
    old = golden.read_bytes().decode("utf-8")
    assert now.encode("utf-8") == golden.read_bytes(), _diff(golden.name, old, now)


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_summary_matches_golden_file(path, allocations):
    golden = GOLDEN / f"{path.stem}.summary.json"
    assert golden.exists(), f"no golden summary for scenario {path.name}. {REGENERATE}"
    now = summary_json(allocations[path.stem])
    old = golden.read_text(encoding="utf-8")
    assert now == old, _diff(golden.name, old, now)


def test_every_golden_file_belongs_to_a_shipped_scenario():
    expected = {f"{p.stem}{ext}" for p in scenario_files() for ext in (".csv", ".summary.json")}
    present = {p.name for p in GOLDEN.iterdir() if p.is_file()}
    assert present == expected, f"missing: {sorted(expected - present)}, stale: {sorted(present - expected)}. {REGENERATE}"


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_golden_files_keep_the_contract(path):
    """Read back as a user would: contract columns, the identities in whole dollars, one row per
    school of schools.csv, and the summary's numbers equal to the CSV's sums."""
    table = pd.read_csv(GOLDEN / f"{path.stem}.csv", dtype={"school_id": str})
    summary = json.loads((GOLDEN / f"{path.stem}.summary.json").read_text())
    check_identities(table, scale=1)
    schools = pd.read_csv(SAMPLE / "schools.csv", dtype=str)
    assert table["school_id"].tolist() == schools["school_id"].tolist()
    assert summary["total"] == table["allocation"].sum()
    assert summary["hold_harmless_cost"] == table["hold_harmless_adjustment"].sum()
    assert summary["cap_recovered"] == -table["cap_adjustment"].sum()
    assert summary["gaining"] == (table["delta"] > 0).sum()
    assert summary["losing"] == (table["delta"] < 0).sum()
    assert summary["new_schools"] == table["prior_allocation"].isna().sum() == 1  # S050 opened this year
    if summary["mode"] == "budget_neutral":
        assert summary["total"] == summary["pot"]


# ---------------------------------------------------------------------------------------------------
# Golden numbers recomputed without sbb
# ---------------------------------------------------------------------------------------------------

def _exact(x) -> Fraction:
    """A TOML number as the decimal the file shows (0.1 -> 1/10, not the nearest binary float)."""
    return Fraction(str(x))


def _grade_weights(table: dict) -> dict[str, Fraction]:
    """Grade weights by single grade from a [grade] table with single grades or bands like 'K-3'."""
    out: dict[str, Fraction] = {}
    for key, value in table.items():
        lo, _, hi = key.partition("-")
        span = GRADE_ORDER[GRADE_ORDER.index(lo): GRADE_ORDER.index(hi or lo) + 1]
        for g in span:
            assert g not in out
            out[g] = _exact(value)
    assert sorted(out, key=GRADE_ORDER.index) == GRADE_ORDER
    return out


def _independent_formula_amounts() -> tuple[pd.DataFrame, dict[str, Fraction]]:
    """Per school of schools.csv: pupils and the exact formula amount at the weight table's base,
    computed from roster.csv with a pandas groupby and from the TOML read with tomllib.

    formula = base x (sum of grade weights + 0.25 x FRL + 0.40 x ELL + sped level weights
              + 0.05 x FRL where FRL share >= 0.75) + $250,000 + $150,000 x (1 - pupils / 300) below 300.
    """
    with open(SAMPLE_WEIGHTS, "rb") as f:
        w = tomllib.load(f)
    grade_w = _grade_weights(w["grade"])
    schools = pd.read_csv(SAMPLE / "schools.csv", dtype=str, keep_default_na=False)
    roster = pd.read_csv(SAMPLE / "roster.csv", dtype=str, keep_default_na=False)
    # the sample roster spells grades PK, K, 1..12, flags Y/N and sped as level names
    assert set(roster["grade"]) <= set(GRADE_ORDER) and set(roster["frl"]) | set(roster["ell"]) <= {"Y", "N"}
    g = roster.groupby("school_id")
    pupils = g.size()
    grade_counts = roster.groupby(["school_id", "grade"]).size()
    frl = g["frl"].apply(lambda s: int((s == "Y").sum()))
    ell = g["ell"].apply(lambda s: int((s == "Y").sum()))
    sped = roster.groupby(["school_id", "sped"]).size()
    needs = w["needs"]
    assert needs["poverty"]["column"] == "frl" and needs["ell"]["column"] == "ell" and needs["sped"]["column"] == "sped"
    conc = w["concentration"]["poverty"]
    assert conc["need"] == "poverty"
    base = _exact(w["base"]["per_weighted_pupil"])
    rows = []
    for sid in schools["school_id"]:
        n = int(pupils.get(sid, 0))
        weighted = sum((grade_w[gr] * int(grade_counts.get((sid, gr), 0)) for gr in GRADE_ORDER), Fraction(0))
        f, e = int(frl.get(sid, 0)), int(ell.get(sid, 0))
        weighted += _exact(needs["poverty"]["weight"]) * f + _exact(needs["ell"]["weight"]) * e
        for level, lw in needs["sped"]["levels"].items():
            weighted += _exact(lw) * int(sped.get((sid, level), 0))
        if n > 0 and Fraction(f, n) >= _exact(conc["share_at_least"]):
            weighted += _exact(conc["weight"]) * f
        fixed = _exact(w["foundation"]["per_school"])
        below = _exact(w["small_school"]["enrollment_below"])
        if n < below:
            fixed += _exact(w["small_school"]["per_school"]) * (1 - n / below)
        rows.append((sid, n, weighted, base * weighted + fixed))
    frame = pd.DataFrame(rows, columns=["school_id", "pupils", "weighted", "formula"])
    return frame, {"base": base}


def _half_up(x: Fraction) -> int:
    return math.floor(x + Fraction(1, 2))


def test_fixed_base_golden_total_equals_an_independent_computation():
    """fixed_base.toml: each school gets base x weighted pupils + fixed amounts, rounded to the dollar
    (halves up); the total is the sum of the rounded amounts."""
    mine, _ = _independent_formula_amounts()
    golden = pd.read_csv(GOLDEN / "fixed_base.csv", dtype={"school_id": str})
    summary = json.loads((GOLDEN / "fixed_base.summary.json").read_text())
    expected = [_half_up(x) for x in mine["formula"]]
    assert golden["school_id"].tolist() == mine["school_id"].tolist()
    assert golden["enrollment"].tolist() == mine["pupils"].tolist()
    np.testing.assert_allclose(golden["weighted_enrollment"], [float(x) for x in mine["weighted"]], rtol=0, atol=5e-5)
    assert golden["allocation"].tolist() == expected
    assert summary["total"] == sum(expected)
    assert summary["base_per_weighted_pupil"] == 5200.0


def test_baseline_golden_base_equals_pot_less_fixed_over_weighted_pupils():
    """baseline.toml (budget-neutral, no limits): pot = sum of prior allocations (the new school's
    blank counts 0); base = (pot - fixed amounts) / weighted pupils; each school within a dollar of
    base x weighted + fixed (rounding to whole dollars so the total is the pot exactly)."""
    mine, _ = _independent_formula_amounts()
    schools = pd.read_csv(SAMPLE / "schools.csv", dtype=str, keep_default_na=False)
    pot = sum(int(p) for p in schools["prior_allocation"] if p != "")
    base5200 = Fraction(5200)
    fixed = [f - base5200 * w for f, w in zip(mine["formula"], mine["weighted"])]
    base = (pot - sum(fixed)) / sum(mine["weighted"])
    golden = pd.read_csv(GOLDEN / "baseline.csv", dtype={"school_id": str})
    summary = json.loads((GOLDEN / "baseline.summary.json").read_text())
    assert summary["pot"] == summary["total"] == golden["allocation"].sum() == pot
    assert summary["base_per_weighted_pupil"] == pytest.approx(float(base), abs=1e-6)
    exact = np.array([float(base * w + f) for w, f in zip(mine["weighted"], fixed)])
    assert np.all(np.abs(golden["allocation"].to_numpy() - exact) < 1.0)


def test_hold_harmless_golden_respects_floor_and_cap_in_whole_dollars():
    """hold_harmless_3pct.toml: every school with a prior gets at least ceil(0.97 x prior) and at most
    floor(1.05 x prior); the new school S050 has no limits."""
    golden = pd.read_csv(GOLDEN / "hold_harmless_3pct.csv", dtype={"school_id": str})
    schools = pd.read_csv(SAMPLE / "schools.csv", dtype=str, keep_default_na=False)
    for sid, prior, alloc in zip(schools["school_id"], schools["prior_allocation"], golden["allocation"]):
        if prior == "":
            continue
        p = int(prior)
        assert math.ceil(Fraction(97, 100) * p) <= alloc <= math.floor(Fraction(105, 100) * p), sid
    # the limits bind somewhere, or this scenario would test nothing
    assert (golden["hold_harmless_adjustment"] > 0).any() and (golden["cap_adjustment"] < 0).any()


def test_sample_counts_file_is_the_roster_grouped():
    """counts.csv holds exactly the pandas groupby of roster.csv (so the next test compares like with like)."""
    roster = pd.read_csv(SAMPLE / "roster.csv", dtype=str, keep_default_na=False)
    counts = pd.read_csv(SAMPLE / "counts.csv", dtype={"school_id": str}).set_index("school_id")
    grades = roster.groupby(["school_id", "grade"]).size().unstack(fill_value=0)
    for gr in GRADE_ORDER:
        got = grades[gr] if gr in grades else pd.Series(0, index=grades.index)
        assert counts.loc[grades.index, f"grade_{gr}"].tolist() == got.tolist(), gr
    assert counts.loc[grades.index, "frl"].tolist() == roster.groupby("school_id")["frl"].apply(lambda s: (s == "Y").sum()).tolist()
    assert counts.loc[grades.index, "sped_self_contained"].tolist() == (
        roster.assign(x=roster["sped"] == "self_contained").groupby("school_id")["x"].sum().tolist())
    # schools without a single pupil appear in counts.csv with zeros (or not at all)
    absent = counts.index.difference(grades.index)
    assert (counts.loc[absent].to_numpy() == 0).all()


@pytest.fixture(scope="module")
def sample_counts_district():
    return load_district(SAMPLE / "schools.csv", sample_weights(), counts=SAMPLE / "counts.csv")


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_counts_file_gives_the_same_allocation_as_the_roster(path, sample_counts_district, allocations):
    via_counts = allocate(sample_counts_district, load_scenario(path))
    assert allocation_csv(via_counts) == allocation_csv(allocations[path.stem])


def test_golden_files_are_plain_utf8_with_lf_line_ends():
    for p in GOLDEN.iterdir():
        data = p.read_bytes()
        assert b"\r" not in data and not data.startswith(b"\xef\xbb\xbf") and data.endswith(b"\n"), p.name
        data.decode("utf-8")
