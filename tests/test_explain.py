"""sbb.explain: why a school's allocation changed, in parts that add up exactly to allocation - prior.

Small districts with the arithmetic written out (weights from `conftest.weights_doc()`: every grade
1.00, poverty 0.25, English learners 0.40, sped 0.55 / 1.10 / 2.10, base $5,000, no fixed amounts),
then a property over every shipped scenario on the sample district.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import counts_district, make_weights, scenario_files
from sbb.allocate import allocate
from sbb.explain import (
    BASE_PART,
    CAP_PART,
    ENROLLMENT_PART,
    PRIOR_PART,
    FLOOR_PART,
    ROUNDING_PART,
    explain_all,
    explain_change,
)
from sbb.scenario import load_scenario, scenario_from_dict

ELL_PART = "English learners weight 0.40 → 0.50"


def scenario(w0, overrides=None, **sections):
    """A scenario against weight table `w0` (its baseline) with `overrides` and TOML sections."""
    doc = {"title": "test", **({"overrides": overrides} if overrides else {}), **sections}
    return scenario_from_dict(doc, "s.toml", Path("."), baseline=w0)


def parts(district, s, school_id):
    """{part: dollars} for one school, and the delta it explains."""
    a = allocate(district, s)
    table = explain_change(district, s, a, school_id)
    return dict(zip(table["part"], table["dollars"])), table.attrs["delta"], a


def test_weight_change_in_a_budget_neutral_district():
    """ELL weight 0.40 -> 0.50 with the same budget.
    A: 10 pupils, no ELL, prior $52,000.  B: 10 pupils, all ELL, prior $68,000.  Pot $120,000.
    Baseline: W0 = 10 and 10 + 0.4 x 10 = 14 -> b0 = 120,000 / 24 = $5,000; F0 = $50,000 and $70,000.
    Scenario: W1 = 10 and 15 -> b1 = 120,000 / 25 = $4,800; F1 = $48,000 and $72,000.
    A: enrollment 50,000 - 52,000 = -2,000; base 10 x (4,800 - 5,000) = -2,000; total -4,000.
    B: enrollment 70,000 - 68,000 = +2,000; ELL weight 5,000 x 0.10 x 10 = +5,000;
       base 15 x -200 = -3,000; total +4,000 = 72,000 - 68,000."""
    w0 = make_weights()
    d = counts_district(w0, [("A", 52_000), ("B", 68_000)],
                        {"A": {"grade_3": 10}, "B": {"grade_3": 10, "ell": 10}})
    s = scenario(w0, {"needs.ell.weight": 0.5})
    a_parts, a_delta, alloc = parts(d, s, "A")
    b_parts, b_delta, _ = parts(d, s, "B")
    assert alloc.table["allocation"].tolist() == [48_000, 72_000]
    # A's ELL part is zero (no English learners) and is left out; enrollment and base are always shown
    assert a_parts == {PRIOR_PART: -2_000, BASE_PART: -2_000} and a_delta == -4_000
    assert b_parts == {PRIOR_PART: 2_000, ELL_PART: 5_000, BASE_PART: -3_000} and b_delta == 4_000


def test_base_and_foundation_change_in_fixed_base_mode():
    """Fixed base; the scenario raises the base $5,000 -> $5,500 and the foundation $1,000 -> $2,000.
    A: 10 pupils, prior $51,000.  B: 20 pupils, 4 poor (W = 20 + 0.25 x 4 = 21), prior $100,000.
    Baseline: F0 = 5,000 x 10 + 1,000 = $51,000 and 5,000 x 21 + 1,000 = $106,000.
    Scenario: F1 = 5,500 x 10 + 2,000 = $57,000 and 5,500 x 21 + 2,000 = $117,500.
    A: enrollment 0; foundation +1,000; base 10 x 500 = +5,000; total +6,000.
    B: enrollment 106,000 - 100,000 = +6,000; foundation +1,000; base 21 x 500 = +10,500; total +17,500."""
    w0 = make_weights(foundation={"per_school": 1000.0})
    d = counts_district(w0, [("A", 51_000), ("B", 100_000)],
                        {"A": {"grade_5": 10}, "B": {"grade_9": 20, "frl": 4}})
    s = scenario(w0, {"base.per_weighted_pupil": 5500.0, "foundation.per_school": 2000.0},
                 funding={"mode": "fixed_base"})
    a_parts, a_delta, alloc = parts(d, s, "A")
    b_parts, b_delta, _ = parts(d, s, "B")
    assert alloc.table["allocation"].tolist() == [57_000, 117_500]
    assert a_parts == {PRIOR_PART: 0, "Foundation amount": 1_000, BASE_PART: 5_000} and a_delta == 6_000
    assert b_parts == {PRIOR_PART: 6_000, "Foundation amount": 1_000, BASE_PART: 10_500} and b_delta == 17_500


def test_floor_and_cap_binding():
    """ELL weight 0.40 -> 1.00, no school loses more than 3% or gains more than 5%.
    A: 10 pupils, no ELL, prior $50,000.  B: 10 pupils, all ELL, prior $66,000.  C: 10 pupils, 5 ELL,
    prior $64,000.  Pot $180,000.
    Baseline: W0 = 10, 14, 12 (36) -> b0 = $5,000; F0 = $50,000, $70,000, $60,000.
    Scenario: W1 = 10, 20, 15. Floors 48,500 / 64,020 / 62,080; caps 52,500 / 69,300 / 67,200.
    A at its floor, B at its cap, C on the formula: 48,500 + 69,300 + 15 b1 = 180,000 -> b1 = 62,200 / 15
    = $4,146.67, C = $62,200. F1: A 10 x 4,146.67 = 41,466.67 -> $41,467; B 82,933.33 -> $82,933.
    A: enrollment 0; base 10 x (4,146.67 - 5,000) = -8,533; floor 48,500 - 41,467 = +7,033; = -1,500.
    B: enrollment +4,000; ELL 5,000 x 0.60 x 10 = +30,000; base 20 x -853.33 = -17,067;
       cap 69,300 - 82,933 = -13,633; = +3,300.
    C: enrollment -4,000; ELL 5,000 x 0.60 x 5 = +15,000; base 15 x -853.33 = -12,800; = -1,800."""
    w0 = make_weights()
    d = counts_district(w0, [("A", 50_000), ("B", 66_000), ("C", 64_000)],
                        {"A": {"grade_1": 10}, "B": {"grade_1": 10, "ell": 10}, "C": {"grade_1": 10, "ell": 5}})
    s = scenario(w0, {"needs.ell.weight": 1.0}, hold_harmless={"max_loss_pct": 3.0, "max_gain_pct": 5.0})
    a = allocate(d, s)
    assert a.table["allocation"].tolist() == [48_500, 69_300, 62_200]
    assert a.base_per_weighted_pupil == pytest.approx(62_200 / 15, abs=1e-9)
    ell = "English learners weight 0.40 → 1.00"
    got = {sid: dict(zip(t["part"], t["dollars"])) for sid in "ABC" for t in [explain_change(d, s, a, sid)]}
    assert got["A"] == {PRIOR_PART: 0, BASE_PART: -8_533, FLOOR_PART: 7_033}
    assert got["B"] == {PRIOR_PART: 4_000, ell: 30_000, BASE_PART: -17_067, CAP_PART: -13_633}
    assert got["C"] == {PRIOR_PART: -4_000, ell: 15_000, BASE_PART: -12_800}
    ex = explain_all(d, s, a)
    assert ex.b0 == pytest.approx(5_000, abs=1e-9) and ex.unit == 1
    # every part of every school in whole dollars, the rounding part zero here
    assert (ex.parts[ROUNDING_PART] == 0).all()
    assert ex.parts.sum(axis=1).tolist() == [-1_500, 3_300, -1_800] == ex.delta.tolist()


def test_new_school_is_explained_by_the_pieces_of_its_allocation():
    """Budget $150,000; ELL 0.40 -> 0.50. A: 10 pupils, prior $52,000. B: 10 pupils all ELL, prior
    $68,000. C: new (no prior), 6 pupils, no needs.
    Baseline: W0 = 10, 14, 6 (30) -> b0 = $5,000; F0 = 50,000, 70,000, 30,000.
    Scenario: W1 = 10, 15, 6 (31) -> b1 = 150,000 / 31 = $4,838.71; exact 48,387.10, 72,580.65,
    29,032.26: rounded down 149,999, the last dollar to B (largest remainder) -> 48,387, 72,581, 29,032.
    C: base amount 6 x 4,838.71 = $29,032, need amount 0; they add up to C's allocation.
    A: enrollment -2,000, base 10 x -161.29 = -1,613: = 48,387 - 52,000 = -3,613.
    B: enrollment +2,000, ELL +5,000, base 15 x -161.29 = -2,419: = 72,581 - 68,000 = +4,581."""
    w0 = make_weights()
    d = counts_district(w0, [("A", 52_000), ("B", 68_000), ("C", None)],
                        {"A": {"grade_2": 10}, "B": {"grade_2": 10, "ell": 10}, "C": {"grade_2": 6}})
    s = scenario(w0, {"needs.ell.weight": 0.5}, funding={"budget": 150_000.0})
    a = allocate(d, s)
    assert a.table["allocation"].tolist() == [48_387, 72_581, 29_032]
    c = explain_change(d, s, a, "C")
    assert c.attrs["new_school"] is True and c.attrs["delta"] == 29_032
    assert dict(zip(c["part"], c["dollars"])) == {"Grade-weighted pupils x base": 29_032, "Need weights x base": 0}
    a_parts = dict(zip(*[explain_change(d, s, a, "A")[k] for k in ("part", "dollars")]))
    b_parts = dict(zip(*[explain_change(d, s, a, "B")[k] for k in ("part", "dollars")]))
    assert a_parts == {PRIOR_PART: -2_000, BASE_PART: -1_613}
    assert b_parts == {PRIOR_PART: 2_000, ELL_PART: 5_000, BASE_PART: -2_419}
    ex = explain_all(d, s, a)
    assert bool(ex.new_school["C"]) and ex.parts.loc["C"].isna().all() and np.isnan(ex.delta["C"])


def test_rounding_part_takes_up_what_the_rounded_parts_leave():
    """Budget $100,000; ELL 0.40 -> 0.50. A: 3 pupils, 1 ELL, prior $40,000. B: 4 pupils, prior $60,000.
    Baseline: W0 = 3.4, 4 (7.4) -> b0 = $13,513.5135; exact 45,945.95 and 54,054.05 round down to
    99,999, the last dollar to A (largest remainder) -> F0 = 45,946 and 54,054.
    Scenario: W1 = 3.5, 4 (7.5) -> b1 = $13,333.3333; 46,666.67 and 53,333.33 -> 99,999, A gets the
    last dollar -> 46,667 and 53,333.
    A: enrollment 45,946 - 40,000 = 5,946; ELL 13,513.51 x 0.10 x 1 = 1,351.35 -> 1,351;
       base 3.5 x (13,333.33 - 13,513.51) = -630.63 -> -631;
       rounding (46,667 - 45,946) - (1,351 - 631) = 721 - 720 = +1; total 6,667 = 46,667 - 40,000.
    B: enrollment -5,946; base 4 x -180.18 = -720.72 -> -721; rounding (53,333 - 54,054) + 721 = 0."""
    w0 = make_weights()
    d = counts_district(w0, [("A", 40_000), ("B", 60_000)],
                        {"A": {"grade_6": 3, "ell": 1}, "B": {"grade_6": 4}})
    s = scenario(w0, {"needs.ell.weight": 0.5})
    a_parts, a_delta, alloc = parts(d, s, "A")
    b_parts, b_delta, _ = parts(d, s, "B")
    assert alloc.table["allocation"].tolist() == [46_667, 53_333]
    assert a_parts == {PRIOR_PART: 5_946, ELL_PART: 1_351, BASE_PART: -631, ROUNDING_PART: 1}
    assert a_delta == 6_667
    assert b_parts == {PRIOR_PART: -5_946, BASE_PART: -721} and b_delta == -6_667


def test_grade_band_change_is_one_part_with_its_pupils():
    """Grades K-3 1.00 -> 1.20 in fixed base ($5,000): A has 4 pupils in K and 6 in grade 3, 5 in grade 4.
    Part: 5,000 x 0.20 x (4 + 6) = $10,000; grade 4 is outside the band.
    F0 = 5,000 x 15 = 75,000 = prior, so the enrollment part is 0 and the delta is the band part."""
    w0 = make_weights()
    d = counts_district(w0, [("A", 75_000)], {"A": {"grade_K": 4, "grade_3": 6, "grade_4": 5}})
    s = scenario(w0, {"grade.K-3": 1.2}, funding={"mode": "fixed_base"})
    got, delta, _ = parts(d, s, "A")
    assert got == {PRIOR_PART: 0, "Grades K-3 weight 1.00 → 1.20": 10_000, BASE_PART: 0}
    assert delta == 10_000
    detail = explain_change(d, s, allocate(d, s), "A").set_index("part").loc["Grades K-3 weight 1.00 → 1.20", "detail"]
    assert "10 pupils" in detail and "$5,000.00" in detail


def test_unknown_school_is_a_key_error():
    w0 = make_weights()
    d = counts_district(w0, [("A", 1_000)], {"A": {"grade_1": 1}})
    s = scenario(w0)
    with pytest.raises(KeyError, match="ZZ"):
        explain_change(d, s, allocate(d, s), "ZZ")


# ---------------------------------------------------------------------------------------------------
# Property over every shipped scenario on the sample district
# ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_parts_add_up_exactly_to_the_change_for_every_school(path, sample_district):
    s = load_scenario(path)
    a = allocate(sample_district, s)
    ex = explain_all(sample_district, s, a)
    t = a.table.set_index("school_id")
    unit = ex.unit
    assert set(ex.parts.index) == set(t.index)
    for sid in t.index:
        table = explain_change(sample_district, s, a, sid, explanation=ex)
        units = np.round(table["dollars"].to_numpy(dtype=float) * unit).astype(np.int64)
        assert np.all(np.abs(table["dollars"].to_numpy(dtype=float) * unit - units) < 1e-6), sid  # whole units
        allocation_units = round(float(t.at[sid, "allocation"]) * unit)
        if np.isnan(t.at[sid, "prior_allocation"]):
            assert units.sum() == allocation_units, sid  # a new school: the pieces of its allocation
            continue
        prior_units = round(float(t.at[sid, "prior_allocation"]) * unit)
        assert units.sum() == allocation_units - prior_units, sid
        assert table.attrs["delta"] * unit == allocation_units - prior_units
        # the whole table agrees with the one-school view
        assert int(ex.parts.loc[sid].sum()) == allocation_units - prior_units


def test_baseline_scenario_is_explained_by_enrollment_alone(sample_district):
    """baseline.toml changes no weight and sets no limit: its own baseline, so b1 = b0 and every
    school's change is the enrollment-and-need-mix part."""
    s = load_scenario(scenario_files()[0])
    assert Path(s.file).stem == "baseline"
    a = allocate(sample_district, s)
    ex = explain_all(sample_district, s, a)
    old = ex.parts.dropna()
    assert (old.drop(columns=[PRIOR_PART]) == 0).all().all()
    assert old[PRIOR_PART].tolist() == ex.delta.dropna().tolist()


def test_last_years_allocation_and_enrollment_moves_are_parts_of_their_own():
    """Fixed base $5,000, every grade 1.00; school A grows 10% (10 -> 11 pupils), B does not move.
    A: prior $48,000 (not this formula: 10 x 5,000 = $50,000).
       Last year's allocation differed from this formula: 50,000 - 48,000 = +2,000
       Enrollment moves: 11 x 5,000 - 50,000 = +5,000; total 55,000 - 48,000 = +7,000.
    B: prior $100,000 = 20 x 5,000: nothing differs, nothing moves; change 0."""
    w0 = make_weights()
    d = counts_district(w0, [("A", 48_000), ("B", 100_000)], {"A": {"grade_3": 10}, "B": {"grade_3": 20}})
    s = scenario(w0, funding={"mode": "fixed_base"}, enrollment_change={"growth_pct": {"A": 10.0}})
    a_parts, a_delta, alloc = parts(d, s, "A")
    b_parts, b_delta, _ = parts(d, s, "B")
    assert alloc.table["allocation"].tolist() == [55_000, 100_000]
    assert a_parts == {PRIOR_PART: 2_000, ENROLLMENT_PART: 5_000, BASE_PART: 0} and a_delta == 7_000
    assert b_parts == {PRIOR_PART: 0, BASE_PART: 0} and b_delta == 0
    detail = explain_change(d, s, alloc, "A").set_index("part").at[PRIOR_PART, "detail"]
    assert "last year's allocation was $48,000, a difference of +$2,000" in detail
