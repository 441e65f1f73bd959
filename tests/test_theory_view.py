"""The theory-of-action view's tables, checked against hand arithmetic and the allocation itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sbb.allocate import allocate
from sbb.district import load_district
from sbb.scenario import load_scenario
from sbb.theory_view import phase_in_path, pot_waterfall, schools_by_band
from test_theory import district, scenario

ROOT = Path(__file__).resolve().parents[1]


def test_waterfall_small_case():
    # budget 1,000 less transport 200 -> 800 shared; base 20 x 40 pupils = 800 (A 200, B 600)
    a = allocate(district([10, 30], [300, 700]),
                 scenario(funding={"budget": 1000.0}, managed_foundation={"transport": 200.0}))
    w = pot_waterfall(a)
    assert w["step"].tolist() == ["Budget", "Central: transport", "Shared by formula",
                                  "Base (grade-weighted pupils)", "Allocated to schools"]
    assert w["start"].tolist() == [0, 1000, 0, 0, 0]
    assert w["end"].tolist() == [1000, 800, 800, 800, 800]


def test_waterfall_parts_reach_the_allocated_total_on_the_sample():
    s = load_scenario(ROOT / "scenarios" / "theory_of_action.toml")
    d = load_district(ROOT / "sample_data" / "schools.csv", s.weights, counts=ROOT / "sample_data" / "counts.csv")
    a = allocate(d, s)
    w = pot_waterfall(a)
    parts = w[w["kind"] == "part"]
    assert parts["amount"].sum() == a.total  # formula parts + adjustments = allocations
    assert parts["end"].iloc[-1] == a.total
    central = w[w["kind"] == "central"]
    assert -central["amount"].sum() == 4_200_000 + 3_100_000
    bands = schools_by_band(a, d)
    assert bands["schools"].sum() == 50
    assert bands["allocation"].sum() == a.total
    assert np.allclose(bands["discretionary"] + bands["directed"], bands["allocation"])
    # band 1 controls all of its allocation, band 5 35% (rounded per school to the dollar)
    share = dict(zip(bands["band"], bands["discretionary_share"]))
    assert share["1"] == 1.0 and abs(share["5"] - 0.35) < 1e-5


def test_phase_in_path_starts_at_prior_and_follows_the_years():
    a = allocate(district([10, 10], [600, 400]), scenario(funding={"budget": 1000.0}, phase_in={"years": 2}))
    p = phase_in_path(a)
    # from the hand case in test_theory: 600 -> 550 -> 500 and 400 -> 450 -> 500
    assert p[p.school_id == "A"]["allocation"].tolist() == [600, 550, 500]
    assert p[p.school_id == "B"]["allocation"].tolist() == [400, 450, 500]


def test_band_table_leaves_out_autonomy_columns_when_the_scenario_sets_none():
    """The baseline has performance bands and no earned autonomy: its band table has no three columns
    of dashes; the theory-of-action scenario (band 5 controls 35%) keeps them."""
    from sbb.ui.theory import band_table

    for name, autonomy in (("baseline.toml", False), ("theory_of_action.toml", True)):
        s = load_scenario(ROOT / "scenarios" / name)
        d = load_district(ROOT / "sample_data" / "schools.csv", s.weights, counts=ROOT / "sample_data" / "counts.csv")
        a = allocate(d, s)
        t = band_table(schools_by_band(a, d))
        assert ("School controls" in t.columns) is autonomy
        assert t["Schools"].sum() == 50
        assert t["Allocation"].tolist() == [f"${v:,.0f}" for v in schools_by_band(a, d)["allocation"]]
        if autonomy:
            assert t["Share the school controls"].iloc[-1] == "35%"
