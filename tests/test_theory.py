"""Theory-of-action features, hand-computed: managed foundation, band supplements, autonomy,
phase-in, enrollment change, performance framework; and properties over random mixes of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sbb.allocate import allocate
from sbb.counts import count_columns
from sbb.district import District
from sbb.performance import Framework, performance_bands
from sbb.problems import InputError
from sbb.scenario import scenario_from_dict
from sbb.spelling import GRADES
from sbb.weights import weights_from_dict

ROOT = Path(__file__).resolve().parents[1]
FLAT = weights_from_dict({"title": "flat", "base": {"per_weighted_pupil": 100.0},
                          "grade": {"PK-12": 1.0}}, "flat.toml")


def district(pupils, prior, bands=None) -> District:
    """Schools A, B, ... with every pupil in grade 1 (weight 1.0), so weighted pupils = pupils."""
    ids = [chr(ord("A") + i) for i in range(len(pupils))]
    schools = pd.DataFrame({"school_id": ids, "school_name": [f"School {i}" for i in ids],
                            "prior_allocation": np.asarray(prior, dtype=float)})
    if bands is not None:
        schools["performance_band"] = pd.array(bands, dtype="string")
    counts = pd.DataFrame(0, index=pd.Index(ids, name="school_id"), columns=count_columns(FLAT))
    counts["grade_1"] = pupils
    return District(schools, counts, "schools.csv")


def scenario(**tables):
    return scenario_from_dict({"title": "t", **tables}, "t.toml", ROOT / "scenarios", baseline=FLAT)


def test_managed_foundation_comes_off_the_top():
    # pot = 1,000 - 150 - 50 = 800; base = 800 / (10 + 30) = 20; A = 20 x 10 = 200, B = 20 x 30 = 600
    s = scenario(funding={"budget": 1000.0}, managed_foundation={"transport": 150.0, "central": 50.0})
    a = allocate(district([10, 30], [300, 700]), s)
    assert a.table["allocation"].tolist() == [200, 600]
    assert (a.budget, a.pot, a.total) == (1000.0, 800.0, 800.0)
    assert a.base_per_weighted_pupil == pytest.approx(20.0)


def test_managed_foundation_larger_than_budget_is_refused():
    s = scenario(funding={"budget": 100.0}, managed_foundation={"transport": 150.0})
    with pytest.raises(InputError, match="central costs within the \\$100 budget"):
        allocate(district([10, 30], [300, 700]), s)


def test_band_supplement_inside_the_budget_neutral_solve():
    # B (band 5, 30 pupils) gets 100 x 30 + 500 = 3,500 fixed. pot 10,000: 40 b + 3,500 = 10,000,
    # b = 162.5; A = 1,625, B = 30 x 162.5 + 3,500 = 8,375
    s = scenario(funding={"budget": 10000.0},
                 supplements={"performance_band": {"per_pupil": {"5": 100.0}, "per_school": {"5": 500.0}}})
    a = allocate(district([10, 30], [5000, 5000], bands=["1", "5"]), s)
    t = a.table
    assert t["band_supplement_amount"].tolist() == [0, 3500]
    assert t["allocation"].tolist() == [1625, 8375]
    assert a.base_per_weighted_pupil == pytest.approx(162.5)


def test_autonomy_splits_each_allocation_by_band():
    # fixed base 100: A = 1,000 (band 1, share 1.0), B = 3,000 (band 5, share 0.35 -> 1,050 discretionary)
    s = scenario(funding={"mode": "fixed_base"},
                 autonomy={"discretionary_share": {"1": 1.0, "5": 0.35}})
    t = allocate(district([10, 30], [1000, 3000], bands=["1", "5"]), s).table
    assert t["discretionary_amount"].tolist() == [1000, 1050]
    assert t["directed_amount"].tolist() == [0, 1950]


def test_autonomy_needs_a_share_for_every_band():
    s = scenario(funding={"mode": "fixed_base"}, autonomy={"discretionary_share": {"1": 1.0}})
    with pytest.raises(InputError) as err:
        allocate(district([10, 30], [1000, 3000], bands=["1", "3"]), s)
    assert "row 3" in str(err.value) and "'3'" in str(err.value) and "default_share" in str(err.value)
    s = scenario(funding={"mode": "fixed_base"}, autonomy={"discretionary_share": {"1": 1.0}, "default_share": 0.5})
    t = allocate(district([10, 30], [1000, 3000], bands=["1", "3"]), s).table
    assert t["discretionary_amount"].tolist() == [1000, 1500]


def test_phase_in_without_limits_moves_half_way_then_arrives():
    # pot 1,000, prior 600 / 400, both schools 10 pupils: the formula is 500 / 500 at b = 50.
    # Year 1 (step 1/2): target = 0.5 x 10 b + 0.5 x prior -> 5b + 300 and 5b + 200; sum 10b + 500 = 1,000,
    # b = 50: 550 / 450. Year 2 (step 1): 500 / 500.
    s = scenario(funding={"budget": 1000.0}, phase_in={"years": 2})
    a = allocate(district([10, 10], [600, 400]), s)
    t = a.table
    assert t["allocation_year_1"].tolist() == [550, 450]
    assert t["allocation_year_2"].tolist() == [500, 500]
    assert t["allocation"].tolist() == [550, 450]
    assert len(a.off_formula()) == 0


def test_phase_in_with_a_floor_each_year_against_the_year_before():
    # Year 1: floors 0.95 x prior = 570 / 380. A's target 5b + 300 sits below 570 at the solution,
    # so A = 570, B = 430 = 5b + 200 -> b = 46 (A's target 530 < 570: the floor binds).
    # Year 2: floors 0.95 x 570 = 541.5 / 0.95 x 430 = 408.5, in whole dollars 542 / 409 (floors round
    # up). A = 542, B = 1,000 - 542 = 458 = 10b -> b = 45.8, above B's floor.
    s = scenario(funding={"budget": 1000.0}, phase_in={"years": 2}, hold_harmless={"max_loss_pct": 5.0})
    a = allocate(district([10, 10], [600, 400]), s)
    t = a.table
    assert t["allocation_year_1"].tolist() == [570, 430]
    assert t["allocation_year_2"].tolist() == [542, 458]
    assert a.years[0].base == pytest.approx(46.0)
    off = a.off_formula()
    assert off["school_id"].tolist() == ["A"]  # B's 458 is its formula amount
    assert a.years[1].base == pytest.approx(45.8)
    assert off["gap"].tolist() == [542 - 458]  # A's formula is 10 x 45.8 = 458


def test_phase_in_year_pots_tie_out_and_floors_hold_with_a_new_school():
    s = scenario(funding={"budget": 3000.0}, phase_in={"years": 3},
                 hold_harmless={"max_loss_pct": 4.0, "max_gain_pct": 6.0})
    a = allocate(district([10, 25, 5], [1100, 1400, np.nan]), s)
    t = a.table
    prev = t["prior_allocation"].to_numpy()
    for y in (1, 2, 3):
        now = t[f"allocation_year_{y}"].to_numpy()
        assert now.sum() == 3000
        has = ~np.isnan(prev)
        assert (now[has] >= np.ceil(prev[has] * 0.96 - 1e-9)).all()
        assert (now[has] <= np.floor(prev[has] * 1.06 + 1e-9)).all()
        prev = now.astype(float)


def test_enrollment_change_splits_delta_into_formula_and_enrollment():
    # fixed base 100 so each part is plain arithmetic. A: 10 pupils, prior 900; growth +20% -> 12 pupils.
    # delta_formula = 100 x 10 - 900 = 100; delta_enrollment = 100 x 12 - 100 x 10 = 200; delta = 300.
    s = scenario(funding={"mode": "fixed_base"}, enrollment_change={"growth_pct": {"A": 20.0}})
    t = allocate(district([10, 30], [900, 3000]), s).table
    assert t["enrollment"].tolist() == [12, 30]
    assert t["delta_formula"].tolist() == [100, 0]
    assert t["delta_enrollment"].tolist() == [200, 0]
    assert (t["delta_formula"] + t["delta_enrollment"] == t["delta"]).all()


def test_enrollment_change_names_unknown_school():
    s = scenario(funding={"mode": "fixed_base"}, enrollment_change={"growth_pct": {"ZZ": 5.0}})
    with pytest.raises(InputError, match="enrollment_change.growth_pct.ZZ"):
        allocate(district([10, 30], [900, 3000]), s)


def test_performance_bands_from_the_composite():
    # composite = 0.5 x achievement + 0.3 x growth + 0.2 x climate
    # X: 45 + 21 + 10 = 76 -> band 2 (>= 65, < 80); Y: 40 + 15 + 10 = 65 -> exactly at the cut: band 2;
    # Z: 10 + 6 + 4 = 20 -> below every cut but 0: band 5
    fw = Framework("f", (("achievement", 0.5), ("growth", 0.3), ("climate", 0.2)),
                   (("1", 80.0), ("2", 65.0), ("3", 50.0), ("4", 35.0), ("5", 0.0)), "f.toml")
    schools = pd.DataFrame({"achievement": ["90", "80", "20"], "growth": ["70", "50", "20"],
                            "climate": ["50", "50", "20"]})
    assert performance_bands(schools, fw).tolist() == ["2", "2", "5"]


def test_performance_framework_reports_non_numeric_metric():
    fw = Framework("f", (("achievement", 1.0),), (("1", 50.0), ("2", 0.0)), "f.toml")
    with pytest.raises(InputError, match="row 3, column 'achievement': value 'n/a'"):
        performance_bands(pd.DataFrame({"achievement": ["60", "n/a"]}), fw, "schools.csv")


def test_managed_foundation_in_whole_units():
    with pytest.raises(InputError, match="managed_foundation.central.*whole dollars"):
        scenario(managed_foundation={"central": 0.5})


def test_unknown_theory_key_is_named():
    with pytest.raises(InputError, match="phase_in.yeers.*did you mean 'years'"):
        scenario(phase_in={"yeers": 3})


def test_shipped_theory_of_action_scenario_ties_out():
    from sbb.district import load_district
    from sbb.scenario import load_scenario

    s = load_scenario(ROOT / "scenarios" / "theory_of_action.toml")
    d = load_district(ROOT / "sample_data" / "schools.csv", s.weights, counts=ROOT / "sample_data" / "counts.csv")
    a = allocate(d, s)
    t = a.table
    # budget 263,812,266 less transportation 4,200,000 and central special education 3,100,000
    assert a.pot == 263_812_266 - 4_200_000 - 3_100_000
    for y in (1, 2, 3):
        assert t[f"allocation_year_{y}"].sum() == a.pot
    assert (t["discretionary_amount"] + t["directed_amount"] == t["allocation"]).all()
    assert (t["formula_amount"] + t["hold_harmless_adjustment"] + t["cap_adjustment"] == t["allocation"]).all()
    band5 = d.schools["performance_band"].eq("5").to_numpy()
    assert (t["band_supplement_amount"][band5] == 300 * t["enrollment"][band5] + 100_000).all()


@settings(max_examples=60, deadline=None)
@given(
    pupils=st.lists(st.integers(0, 400), min_size=1, max_size=8),
    data=st.data(),
    years=st.integers(1, 4),
    loss=st.one_of(st.none(), st.floats(0, 10)),
    gain=st.one_of(st.none(), st.floats(0, 15)),
    managed=st.integers(0, 50_000).map(float),
)
def test_any_mix_ties_out_floors_hold_autonomy_adds_up(pupils, data, years, loss, gain, managed):
    n = len(pupils)
    prior = data.draw(st.lists(st.one_of(st.just(float("nan")), st.integers(50_000, 2_000_000).map(float)),
                               min_size=n, max_size=n))
    bands = data.draw(st.lists(st.sampled_from(["1", "2", "3"]), min_size=n, max_size=n))
    budget = float(data.draw(st.integers(200_000, 5_000_000)))
    s = scenario(
        funding={"budget": budget}, phase_in={"years": years}, managed_foundation={"central": managed},
        hold_harmless={k: v for k, v in (("max_loss_pct", loss), ("max_gain_pct", gain)) if v is not None},
        supplements={"performance_band": {"per_pupil": {"3": 150.0}}},
        autonomy={"discretionary_share": {"1": 1.0, "2": 0.8, "3": 0.5}},
    )
    d = district(pupils, prior, bands)
    try:
        a = allocate(d, s)
    except InputError as err:
        assert "shortfall" in str(err) or "cannot be spent" in str(err)
        return
    t = a.table
    pot = round(budget - managed)
    prev = np.asarray(prior)
    for y in range(1, years + 1):
        now = (t[f"allocation_year_{y}"] if years > 1 else t["allocation"]).to_numpy()
        assert now.sum() == pot
        has = ~np.isnan(prev)
        if loss is not None:
            assert (now[has] >= np.ceil(prev[has] * (100 - loss) / 100 - 1e-6)).all()
        if gain is not None:
            assert (now[has] <= np.floor(prev[has] * (100 + gain) / 100 + 1e-6)).all()
        prev = now.astype(float)
    assert (t["discretionary_amount"] + t["directed_amount"] == t["allocation"]).all()
    assert (t["formula_amount"] + t["hold_harmless_adjustment"] + t["cap_adjustment"] == t["allocation"]).all()


def test_new_school_in_a_phase_in_gets_its_formula_from_year_one():
    # 2-year phase-in, budget 1,000; A: 10 pupils, prior 600; B: 10 pupils, new (no prior).
    # Year 1, step 1/2, rho = 1,000 / 600: A = 1/2 x 10b + 1/2 x rho x 600 = 5b + 500; B has nothing
    # to phase from, so B = 10b. 15b + 500 = 1,000 -> b = 33.33; A = 666.67, B = 333.33; whole
    # dollars 666 + 333 = 999, the last dollar to the larger remainder (A): 667 / 333.
    # Year 2 (on the formula): 20b = 1,000 -> b = 50, A = B = 500.
    s = scenario(funding={"budget": 1000.0}, phase_in={"years": 2})
    a = allocate(district([10, 10], [600, np.nan]), s)
    assert a.years[0].base == pytest.approx(100 / 3)
    assert a.table["allocation_year_1"].tolist() == [667, 333]
    assert a.table["allocation_year_2"].tolist() == [500, 500]
