"""Workbooks of the real formulas: live formulas for banded weights, concentration shapes (ROUND for
statutory rounding, MIN for the ramp, MAX for the excess), multipliers, extra amounts, partial
hold-harmless and the transition. LibreOffice recalculates them (one headless call) and the result
equals the engine to the cent; the Minnesota workbook also equals the published revenue column.
"""

from __future__ import annotations

import dataclasses
import subprocess

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from sbb.allocate import allocate
from sbb.district import load_district
from sbb.export import write_workbook
from sbb.scenario import load_scenario
from sbb.weights import apply_overrides
from test_export import as_float, assert_ties_out, sheet_columns
from test_export_libreoffice import RECALC_ALWAYS, SOFFICE, edit_weights

CASES = {
    "minnesota": ("minnesota_fy2022", "minnesota_compensatory_fy2022.toml"),
    "connecticut": ("connecticut_ecs_style", "connecticut_ecs_style_transition.toml"),
    "nyc": ("nyc_fsf_fy2019", "nyc_fsf_fy2019_per_capita.toml"),
}


def run(folder: str, scenario_file: str, **changes):
    s = load_scenario(ROOT / "scenarios" / scenario_file)
    if changes:
        s = dataclasses.replace(s, **changes)
    d = load_district(ROOT / "sample_data" / folder / "schools.csv", s.weights,
                      counts=ROOT / "sample_data" / folder / "counts.csv")
    return allocate(d, s), d


@pytest.fixture(scope="module")
def jobs():
    out = {name: run(*case) for name, case in CASES.items()}
    # the Connecticut towns budget-neutral, a 1% floor on alliance towns only, then the transition
    out["connecticut_neutral"] = run(*CASES["connecticut"], mode="budget_neutral", budget=33_000_000.0,
                                     max_loss_pct=1.0, applies_to="alliance")
    return out


def test_cached_values_equal_the_engine(jobs, tmp_path):
    for name, (a, d) in jobs.items():
        path = tmp_path / f"{name}.xlsx"
        write_workbook(a, d, path)
        assert_ties_out(a.table, sheet_columns(path), cents=a.scenario.rounding == "cents")


@pytest.fixture(scope="module")
def recalculated(jobs, tmp_path_factory):
    if SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    src, out = tmp_path_factory.mktemp("xlsx"), tmp_path_factory.mktemp("recalculated")
    for name, (a, d) in jobs.items():
        write_workbook(a, d, src / f"{name}.xlsx")
    # the Minnesota ramp edited in the workbook: full at 0.70 and weight 0.65
    write_workbook(*jobs["minnesota"], src / "minnesota_edited.xlsx")
    edit_weights(src / "minnesota_edited.xlsx", {"concentration.compensatory.full_at": 0.70,
                                                  "concentration.compensatory.weight": 0.65})
    profile = tmp_path_factory.mktemp("lo-profile")
    (profile / "user").mkdir()
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC_ALWAYS, encoding="utf-8")
    names = [*jobs, "minnesota_edited"]
    done = subprocess.run([SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                           "--convert-to", "xlsx", "--outdir", str(out), *[str(src / f"{n}.xlsx") for n in names]],
                          capture_output=True, text=True, timeout=600)
    missing = [n for n in names if not (out / f"{n}.xlsx").is_file()]
    assert not missing, f"LibreOffice did not convert {missing}: {done.stdout}\n{done.stderr}"
    return {n: out / f"{n}.xlsx" for n in names}


@pytest.mark.parametrize("name", [*CASES, "connecticut_neutral"])
def test_recalculated_workbook_ties_out_to_the_cent(jobs, recalculated, name):
    a, _ = jobs[name]
    assert_ties_out(a.table, sheet_columns(recalculated[name]), cents=a.scenario.rounding == "cents")


def test_recalculated_minnesota_revenue_equals_the_published_column(recalculated):
    published = pd.read_csv(ROOT / "sample_data" / "minnesota_fy2022" / "published_compensatory_revenue_by_site.csv")
    got = as_float(sheet_columns(recalculated["minnesota"])["allocation"])
    np.testing.assert_array_equal(np.rint(got * 100).astype(np.int64),
                                  np.rint(published["revenue_G_x_5728"].to_numpy() * 100).astype(np.int64))
    weighted = as_float(sheet_columns(recalculated["minnesota"])["weighted_enrollment"])
    np.testing.assert_array_equal(np.rint(weighted * 100).astype(np.int64),
                                  np.rint(published["pupil_units_D_x_F_x_0_6"].to_numpy() * 100).astype(np.int64))


def test_edited_ramp_recalculates_like_the_engine(jobs, recalculated):
    a, d = jobs["minnesota"]
    s = a.scenario
    edited = dataclasses.replace(s, weights=apply_overrides(s.weights, {"concentration.compensatory.full_at": 0.70,
                                                                         "concentration.compensatory.weight": 0.65}, "t"))
    expected = allocate(d, edited).table
    assert expected["allocation"].sum() > a.table["allocation"].sum()   # the edit matters
    assert_ties_out(expected, sheet_columns(recalculated["minnesota_edited"]), cents=True)
