"""Small cases of the funding formula, with the arithmetic written out beside each expected value.

Districts are built in code (a schools CSV plus a roster or counts CSV, read by `load_district`).
Unless a case says otherwise the weights are `conftest.weights_doc()`: every grade 1.00, poverty
0.25, English learners 0.40, special education 0.55 / 1.10 / 2.10, base $5,000, no fixed amounts.
Solved bases are checked against exact `Fraction` arithmetic or `scipy.optimize.brentq` on a total
function written here independently of `sbb.solve`.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import brentq

from conftest import (
    check_identities,
    counts_district,
    make_scenario,
    make_weights,
    roster_district,
    sample_weights,
)
from sbb.allocate import allocate
from sbb.problems import InputError
from sbb.weights import apply_overrides


def row(allocation, school_id: str):
    """One school's row of the allocation table."""
    t = allocation.table
    return t[t["school_id"] == school_id].iloc[0]


def independent_base(weighted, fixed, floor, cap, pot) -> float:
    """The base b with sum_i clip(b * w_i + f_i, floor_i, cap_i) = pot, by bracketing and brentq."""
    w, f = np.asarray(weighted, float), np.asarray(fixed, float)
    lo, hi = np.asarray(floor, float), np.asarray(cap, float)

    def total(b: float) -> float:
        return float(np.sum(np.minimum(np.maximum(b * w + f, lo), hi)) - pot)

    top = 1.0
    while total(top) < 0:
        top *= 2
    return brentq(total, 0.0, top, xtol=1e-12, rtol=1e-15)


# ---------------------------------------------------------------------------------------------------
# The formula's pieces (fixed base: the base per weighted pupil is given)
# ---------------------------------------------------------------------------------------------------

def test_poor_english_learner_in_grade_4_counts_1_65_weighted_pupils():
    """product.md: a poor English learner in grade 4 counts 1.00 + 0.25 + 0.40 = 1.65 weighted pupils."""
    w = make_weights()
    d = roster_district(w, [("A", 10_000)], [{"school_id": "A", "grade": "4", "frl": "Y", "ell": "Y"}])
    a = allocate(d, make_scenario(w, mode="fixed_base"))
    r = row(a, "A")
    assert r.enrollment == 1
    assert r.weighted_enrollment == pytest.approx(1.65, abs=1e-12)   # 1.00 + 0.25 + 0.40
    assert r.base_amount == 5_000                                      # $5,000 x 1.00
    assert r.need_amount == 3_250                                      # $5,000 x (0.25 + 0.40)
    assert r.foundation_amount == 0 and r.small_school_amount == 0
    assert r.formula_amount == 8_250                                   # 5,000 + 3,250
    assert r.allocation == 8_250
    assert r.delta == -1_750                                           # 8,250 - 10,000
    assert r.delta_pct == pytest.approx(-17.5)                         # -1,750 / 10,000
    assert r.per_pupil == 8_250
    assert a.pot is None and a.total == 8_250
    check_identities(a.table)


def test_same_pupil_under_the_shipped_sample_weights():
    """Under weights/sample_district.toml the same lone pupil also triggers the poverty concentration
    weight (1 of 1 poor = 100% >= 75%: +0.05) and the small-school supplement."""
    w = sample_weights()
    d = roster_district(w, [("A", 400_000)], [{"school_id": "A", "grade": "4", "frl": "Y", "ell": "Y"}])
    r = row(allocate(d, make_scenario(w, mode="fixed_base")), "A")
    assert r.weighted_enrollment == pytest.approx(1.70, abs=1e-12)     # 1.00 + 0.25 + 0.40 + 0.05
    assert r.base_amount == 5_200                                      # $5,200 x 1.00
    assert r.need_amount == 3_640                                      # $5,200 x 0.70
    assert r.foundation_amount == 250_000
    assert r.small_school_amount == 149_500                            # 150,000 x (1 - 1/300)
    assert r.formula_amount == 408_340                                 # 5,200 + 3,640 + 250,000 + 149,500
    assert r.delta == 8_340


def test_grade_bands_expand_to_every_grade():
    """Sample bands: PK 1.00, K-3 1.10, 4-5 1.00, 6-8 1.08, 9-12 1.12. One pupil in each grade PK-12:
    1.00 + 4 x 1.10 + 2 x 1.00 + 3 x 1.08 + 4 x 1.12 = 1.00 + 4.40 + 2.00 + 3.24 + 4.48 = 15.12."""
    grades = {"PK": 1.00, "K-3": 1.10, "4-5": 1.00, "6-8": 1.08, "9-12": 1.12}
    w = make_weights(grade=grades)
    assert w.grade == (1.00, 1.10, 1.10, 1.10, 1.10, 1.00, 1.00, 1.08, 1.08, 1.08, 1.12, 1.12, 1.12, 1.12)
    assert w.grade == sample_weights().grade
    spellings = ["Pre-K", "KG", "01", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"]
    d = roster_district(w, [("A", None)], [{"school_id": "A", "grade": g} for g in spellings])
    r = row(allocate(d, make_scenario(w, mode="fixed_base")), "A")
    assert r.enrollment == 14
    assert r.weighted_enrollment == pytest.approx(15.12, abs=1e-12)
    assert r.base_amount == 75_600                                     # $5,000 x 15.12
    assert r.need_amount == 0
    # An override of the band "9-12" sets all four high-school grades: 15.12 + 4 x (1.50 - 1.12) = 16.64
    w2 = apply_overrides(w, {"grade.9-12": 1.50}, "s.toml")
    r2 = row(allocate(d, make_scenario(w2, mode="fixed_base")), "A")
    assert r2.weighted_enrollment == pytest.approx(16.64, abs=1e-12)
    assert r2.base_amount == 83_200                                    # $5,000 x 16.64


def test_level_needs_add_by_service_level():
    """Five grade-4 pupils with sped none, resource, resource, inclusion, self-contained:
    5 x 1.00 + 2 x 0.55 + 1.10 + 2.10 = 5.00 + 1.10 + 1.10 + 2.10 = 9.30 weighted pupils."""
    w = make_weights()
    levels = ["none", "resource", "Resource", "inclusion", "Self-Contained"]
    d = roster_district(w, [("A", None)], [{"school_id": "A", "grade": "4", "sped": lv} for lv in levels])
    assert d.counts.loc["A", ["sped_resource", "sped_inclusion", "sped_self_contained"]].tolist() == [2, 1, 1]
    r = row(allocate(d, make_scenario(w, mode="fixed_base")), "A")
    assert r.weighted_enrollment == pytest.approx(9.30, abs=1e-12)
    assert r.base_amount == 25_000                                     # $5,000 x 5.00
    assert r.need_amount == 21_500                                     # $5,000 x 4.30
    assert r.formula_amount == 46_500


def test_foundation_comes_off_the_pot_before_the_base_is_solved():
    """Foundation $250,000 per school; A 100 pupils, B 300 pupils; pot = priors 1,200,000 + 800,000.
    base = (2,000,000 - 2 x 250,000) / 400 = 3,750. A = 375,000 + 250,000 = 625,000;
    B = 1,125,000 + 250,000 = 1,375,000."""
    w = make_weights(foundation={"per_school": 250_000.0})
    d = counts_district(w, [("A", 1_200_000), ("B", 800_000)], {"A": {"grade_3": 100}, "B": {"grade_3": 300}})
    a = allocate(d, make_scenario(w))
    assert a.base_per_weighted_pupil == pytest.approx(3_750, rel=1e-12)
    assert a.pot == 2_000_000
    assert row(a, "A").foundation_amount == 250_000
    assert row(a, "A").base_amount == 375_000
    assert row(a, "A").allocation == 625_000
    assert row(a, "B").allocation == 1_375_000
    assert a.table["allocation"].sum() == 2_000_000
    check_identities(a.table)


def test_small_school_supplement_tapers_linearly_to_the_threshold():
    """$150,000 below 300 pupils, falling linearly: 150,000 x (1 - pupils / 300), nothing from 300 up.
    0 pupils -> 150,000; 100 -> 100,000; 150 -> 75,000; 299 -> 500; 300 -> 0; 450 -> 0."""
    w = make_weights(small_school={"enrollment_below": 300, "per_school": 150_000.0})
    sizes = {"E": 0, "A": 100, "B": 150, "C": 299, "D": 300, "F": 450}
    d = counts_district(w, [(s, None) for s in sizes], {s: {"grade_5": n} for s, n in sizes.items()})
    a = allocate(d, make_scenario(w, mode="fixed_base"))
    expected = {"E": 150_000, "A": 100_000, "B": 75_000, "C": 500, "D": 0, "F": 0}
    for s, amount in expected.items():
        assert row(a, s).small_school_amount == amount, s
        assert row(a, s).base_amount == 5_000 * sizes[s], s            # $5,000 x pupils x 1.00
    empty = row(a, "E")
    assert empty.enrollment == 0 and empty.weighted_enrollment == 0
    assert np.isnan(empty.per_pupil)
    assert empty.allocation == 150_000
    check_identities(a.table)


def test_concentration_weight_applies_exactly_at_the_threshold():
    """Concentration: +0.05 per poor pupil where the poor share >= 0.75.
    A: 3 of 4 poor = exactly 75%  -> 3 x (0.25 + 0.05) = 0.90 need-weighted pupils -> $4,500
    B: 74 of 100 = 74%             -> 74 x 0.25 = 18.50                              -> $92,500
    C: 75 of 100 = 75%             -> 75 x 0.30 = 22.50                              -> $112,500
    Z: no pupils                   -> nothing (no division by zero)."""
    w = make_weights(concentration={"poverty": {"need": "poverty", "share_at_least": 0.75, "weight": 0.05}})
    d = counts_district(w, [("A", None), ("B", None), ("C", None), ("Z", None)], {
        "A": {"grade_2": 4, "frl": 3}, "B": {"grade_2": 100, "frl": 74}, "C": {"grade_2": 100, "frl": 75}})
    a = allocate(d, make_scenario(w, mode="fixed_base"))
    assert row(a, "A").need_amount == 4_500
    assert row(a, "B").need_amount == 92_500
    assert row(a, "C").need_amount == 112_500
    assert row(a, "Z").need_amount == 0
    assert row(a, "A").weighted_enrollment == pytest.approx(4.90, abs=1e-12)   # 4 + 0.90


def test_concentration_threshold_not_exactly_representable_in_binary():
    """Threshold 0.3 (not a binary fraction) and 3 of 10 poor: 3/10 is the same double as 0.3, so the
    weight applies: 3 x (0.25 + 0.10) = 1.05 need-weighted pupils -> $5,250. 2 of 10 gets 2 x 0.25."""
    w = make_weights(concentration={"poverty": {"need": "poverty", "share_at_least": 0.3, "weight": 0.10}})
    d = counts_district(w, [("A", None), ("B", None)],
                        {"A": {"grade_7": 10, "frl": 3}, "B": {"grade_7": 10, "frl": 2}})
    a = allocate(d, make_scenario(w, mode="fixed_base"))
    assert row(a, "A").need_amount == 5_250
    assert row(a, "B").need_amount == 2_500


def test_fixed_base_rounds_each_school_to_the_dollar_or_cent():
    """Base $1,234.56: 3 pupils -> 3,703.68; 1 pupil -> 1,234.56; 7 pupils -> 8,641.92.
    Dollars (halves up): 3,704 + 1,235 + 8,642 = 13,581. Cents: exact, 13,580.16."""
    w = make_weights(base={"per_weighted_pupil": 1234.56})
    d = counts_district(w, [("A", 3_000), ("B", 1_000), ("C", None)],
                        {"A": {"grade_1": 3}, "B": {"grade_1": 1}, "C": {"grade_1": 7}})
    a = allocate(d, make_scenario(w, mode="fixed_base"))
    assert a.table["allocation"].tolist() == [3_704, 1_235, 8_642]
    assert a.total == 13_581
    assert row(a, "A").delta == 704
    check_identities(a.table)
    c = allocate(d, make_scenario(w, mode="fixed_base", rounding="cents"))
    assert c.table["allocation"].tolist() == [3_703.68, 1_234.56, 8_641.92]
    assert c.total == pytest.approx(13_580.16, abs=1e-9)
    check_identities(c.table, scale=100)


def test_fixed_base_rounds_halves_up():
    """Base $1,000.50 x 1 pupil = 1,000.50 -> $1,001; x 2 pupils = 2,001.00 -> $2,001."""
    w = make_weights(base={"per_weighted_pupil": 1000.5})
    d = counts_district(w, [("A", None), ("B", None)], {"A": {"grade_9": 1}, "B": {"grade_9": 2}})
    a = allocate(d, make_scenario(w, mode="fixed_base"))
    assert a.table["allocation"].tolist() == [1_001, 2_001]


# ---------------------------------------------------------------------------------------------------
# Budget-neutral without limits
# ---------------------------------------------------------------------------------------------------

def test_budget_neutral_base_is_pot_less_fixed_over_weighted_pupils():
    """Foundation $100,000; weighted pupils:
    A: 200 + 0.25 x 120 + 0.40 x 30 + 0.55 x 10             = 200 + 30 + 12 + 5.5          = 247.5
    B: 350 + 0.25 x 100 + 0.40 x 10 + 1.10 x 20 + 2.10 x 5  = 350 + 25 + 4 + 22 + 10.5     = 411.5
    C:  50 + 0.25 x 50                                        =  50 + 12.5                   =  62.5
    W = 721.5; pot = priors 1,500,000 + 2,300,000 + 400,000 = 4,200,000.
    base = (4,200,000 - 300,000) / 721.5 = 2,600,000 / 481 = 5,405.4054...
    exact: A 100,000 + 643,500,000/481 = 1,437,837.84; B 100,000 + 1,069,900,000/481 = 2,324,324.32;
           C 100,000 + 162,500,000/481 = 437,837.84. Rounded down: 4,199,998; the 2 dollars left go to
           the largest remainders (A and C, 0.84 each): 1,437,838 / 2,324,324 / 437,838."""
    w = make_weights(foundation={"per_school": 100_000.0})
    d = counts_district(w, [("A", 1_500_000), ("B", 2_300_000), ("C", 400_000)], {
        "A": {"grade_1": 200, "frl": 120, "ell": 30, "sped_resource": 10},
        "B": {"grade_1": 350, "frl": 100, "ell": 10, "sped_inclusion": 20, "sped_self_contained": 5},
        "C": {"grade_1": 50, "frl": 50}})
    a = allocate(d, make_scenario(w))
    base = Fraction(4_200_000 - 300_000) / Fraction("721.5")
    assert base == Fraction(2_600_000, 481)
    assert a.base_per_weighted_pupil == pytest.approx(float(base), rel=1e-14)
    np.testing.assert_allclose(a.table["weighted_enrollment"], [247.5, 411.5, 62.5], rtol=1e-14)
    assert a.table["allocation"].tolist() == [1_437_838, 2_324_324, 437_838]
    exact = [100_000 + Fraction(x) * base for x in ("247.5", "411.5", "62.5")]
    for got, want in zip(a.table["allocation"], exact):
        assert abs(Fraction(int(got)) - want) < 1
    assert a.total == 4_200_000
    check_identities(a.table)


def test_budget_neutral_ties_go_to_the_school_listed_first():
    """Three identical schools share $1,000,000: 333,333.33 each; 333,333 x 3 = 999,999, the last dollar
    goes to the first listed. In cents $1,000 gives 333.33 x 3 = 999.99 and the last cent to the first."""
    w = make_weights()
    d = counts_district(w, [("A", None), ("B", None), ("C", None)], {s: {"grade_4": 10} for s in "ABC"})
    a = allocate(d, make_scenario(w, budget=1_000_000.0))
    assert a.table["allocation"].tolist() == [333_334, 333_333, 333_333]
    c = allocate(d, make_scenario(w, budget=1_000.0, rounding="cents"))
    assert c.table["allocation"].tolist() == [333.34, 333.33, 333.33]
    assert round(c.total * 100) == 100_000
    check_identities(c.table, scale=100)


def test_budget_neutral_cents_tie_out_to_the_cent():
    """Budget $1,000,000.01 in cents over weights 1, 2, 4 (W = 7): base = 1,000,000.01 / 7 = 142,857.1442...;
    exact 142,857.14 / 285,714.29 / 571,428.58 (each to the nearest cent) add to 1,000,000.01."""
    w = make_weights()
    d = counts_district(w, [("A", None), ("B", None), ("C", None)],
                        {"A": {"grade_4": 1}, "B": {"grade_4": 2}, "C": {"grade_4": 4}})
    a = allocate(d, make_scenario(w, budget=1_000_000.01, rounding="cents"))
    base = Fraction("1000000.01") / 7
    assert a.base_per_weighted_pupil == pytest.approx(float(base), rel=1e-14)
    cents = [round(x * 100) for x in a.table["allocation"]]
    assert sum(cents) == 100_000_001
    for got, pupils in zip(cents, (1, 2, 4)):
        assert abs(Fraction(got) - pupils * base * 100) < 1
    check_identities(a.table, scale=100)


# ---------------------------------------------------------------------------------------------------
# Hold-harmless floor and gains cap
# ---------------------------------------------------------------------------------------------------

def test_floor_binds_and_the_base_is_solved_on_the_rest():
    """A, B: 100 pupils each; priors 600,000 and 400,000; no school loses more than 5%.
    Without limits base = 1,000,000 / 200 = 5,000 and A would get 500,000 < floor 570,000 (600,000 x 0.95).
    A sits on its floor; B takes the rest: 1,000,000 - 570,000 = 430,000 = base x 100 -> base 4,300.
    A: formula 430,000, hold-harmless +140,000, allocation 570,000 (-5%); B: 430,000 (+7.5%)."""
    w = make_weights()
    d = counts_district(w, [("A", 600_000), ("B", 400_000)], {"A": {"grade_6": 100}, "B": {"grade_6": 100}})
    a = allocate(d, make_scenario(w, max_loss_pct=5.0))
    assert a.base_per_weighted_pupil == pytest.approx(4_300, rel=1e-12)
    assert a.base_per_weighted_pupil == pytest.approx(
        independent_base([100, 100], [0, 0], [570_000, 380_000], [np.inf, np.inf], 1_000_000), rel=1e-10)
    ra, rb = row(a, "A"), row(a, "B")
    assert (ra.formula_amount, ra.hold_harmless_adjustment, ra.cap_adjustment, ra.allocation) == (430_000, 140_000, 0, 570_000)
    assert ra.delta_pct == pytest.approx(-5.0)
    assert (rb.formula_amount, rb.hold_harmless_adjustment, rb.allocation) == (430_000, 0, 430_000)
    assert rb.delta_pct == pytest.approx(7.5)
    assert a.hold_harmless_cost == 140_000
    assert a.summary()["schools_at_floor"] == 1
    check_identities(a.table)


def test_cap_binds_and_frees_money_for_the_rest():
    """Priors 400,000 and 600,000; gains capped at 5%: A's cap is 420,000. Without limits each gets
    500,000, so A is capped; B takes 1,000,000 - 420,000 = 580,000 -> base 5,800.
    A: formula 580,000, cap adjustment -160,000, allocation 420,000."""
    w = make_weights()
    d = counts_district(w, [("A", 400_000), ("B", 600_000)], {"A": {"grade_6": 100}, "B": {"grade_6": 100}})
    a = allocate(d, make_scenario(w, max_gain_pct=5.0))
    assert a.base_per_weighted_pupil == pytest.approx(5_800, rel=1e-12)
    ra = row(a, "A")
    assert (ra.formula_amount, ra.hold_harmless_adjustment, ra.cap_adjustment, ra.allocation) == (580_000, 0, -160_000, 420_000)
    assert row(a, "B").allocation == 580_000
    assert a.cap_recovered == 160_000
    check_identities(a.table)


def test_floor_and_cap_together():
    """100 pupils each; 5% floor, 10% cap. A prior 600,000 (floor 570,000), B prior 300,000 (cap 330,000),
    C prior 400,000 (floor 380,000, cap 440,000); pot 1,300,000.
    Try base in [3,800, 4,400] (C between its limits): 570,000 + 330,000 + 100 b = 1,300,000 -> b = 4,000.
    A: formula 400,000, +170,000; B: formula 400,000, -70,000; C: 400,000 on the formula."""
    w = make_weights()
    d = counts_district(w, [("A", 600_000), ("B", 300_000), ("C", 400_000)],
                        {s: {"grade_10": 100} for s in "ABC"})
    a = allocate(d, make_scenario(w, max_loss_pct=5.0, max_gain_pct=10.0))
    assert a.base_per_weighted_pupil == pytest.approx(4_000, rel=1e-12)
    assert a.base_per_weighted_pupil == pytest.approx(independent_base(
        [100] * 3, [0] * 3, [570_000, 285_000, 380_000], [660_000, 330_000, 440_000], 1_300_000), rel=1e-10)
    assert a.table["allocation"].tolist() == [570_000, 330_000, 400_000]
    assert a.table["hold_harmless_adjustment"].tolist() == [170_000, 0, 0]
    assert a.table["cap_adjustment"].tolist() == [0, -70_000, 0]
    assert (a.hold_harmless_cost, a.cap_recovered) == (170_000, 70_000)
    check_identities(a.table)


def test_school_exactly_at_its_floor():
    """A prior 625,000 with a 20% floor: 625,000 x 0.80 = 500,000. B prior 375,000. Pot 1,000,000 over
    100 + 100 pupils: base 5,000, A's formula is 500,000 = its floor exactly: no adjustment."""
    w = make_weights()
    d = counts_district(w, [("A", 625_000), ("B", 375_000)], {"A": {"grade_8": 100}, "B": {"grade_8": 100}})
    a = allocate(d, make_scenario(w, max_loss_pct=20.0))
    assert a.base_per_weighted_pupil == pytest.approx(5_000, rel=1e-12)
    ra = row(a, "A")
    assert (ra.formula_amount, ra.hold_harmless_adjustment, ra.allocation) == (500_000, 0, 500_000)
    assert ra.delta_pct == pytest.approx(-20.0)
    assert a.summary()["schools_at_floor"] == 0
    check_identities(a.table)


def test_school_exactly_at_its_cap():
    """B prior 400,000 with a 25% cap: 400,000 x 1.25 = 500,000; A prior 600,000. Pot 1,000,000, base
    5,000: B's formula 500,000 = its cap exactly: no adjustment."""
    w = make_weights()
    d = counts_district(w, [("A", 600_000), ("B", 400_000)], {"A": {"grade_8": 100}, "B": {"grade_8": 100}})
    a = allocate(d, make_scenario(w, max_gain_pct=25.0))
    assert a.base_per_weighted_pupil == pytest.approx(5_000, rel=1e-12)
    rb = row(a, "B")
    assert (rb.formula_amount, rb.cap_adjustment, rb.allocation) == (500_000, 0, 500_000)
    assert a.summary()["schools_at_cap"] == 0
    check_identities(a.table)


def test_rounding_never_takes_a_school_below_its_floor():
    """Priors 1,000 each, no school loses more than 3.37%: floor 966.30. A has 1 pupil, B 2; pot 2,000.
    A sits on its floor (2,000 / 3 = 666.67 < 966.30) and B gets 1,033.70. Largest remainders alone
    would give B the odd dollar (0.70 > 0.30), but A's floor rounds up: A 967, B 1,033."""
    w = make_weights()
    d = counts_district(w, [("A", 1_000), ("B", 1_000)], {"A": {"grade_3": 1}, "B": {"grade_3": 2}})
    a = allocate(d, make_scenario(w, max_loss_pct=3.37))
    assert a.table["allocation"].tolist() == [967, 1_033]
    check_identities(a.table)


def test_rounding_never_takes_a_school_above_its_cap():
    """Priors 1,000 each, gains capped at 3.37%: cap 1,033.70. A has 2 pupils, B 1; pot 2,000.
    A is capped (2/3 x 2,000 = 1,333.33 > 1,033.70) and B gets 966.30. A rounds down to 1,033 even though
    its remainder is larger; B gets 967."""
    w = make_weights()
    d = counts_district(w, [("A", 1_000), ("B", 1_000)], {"A": {"grade_3": 2}, "B": {"grade_3": 1}})
    a = allocate(d, make_scenario(w, max_gain_pct=3.37))
    assert a.table["allocation"].tolist() == [1_033, 967]
    check_identities(a.table)


def test_zero_limits_freeze_every_school_at_its_prior():
    """0% floor and 0% cap: every school with a prior year keeps exactly its prior allocation."""
    w = make_weights()
    d = counts_district(w, [("A", 123_456), ("B", 654_321)], {"A": {"grade_1": 40}, "B": {"grade_1": 10}})
    a = allocate(d, make_scenario(w, max_loss_pct=0.0, max_gain_pct=0.0))
    assert a.table["allocation"].tolist() == [123_456, 654_321]
    assert (a.table["delta"] == 0).all()
    check_identities(a.table)


# ---------------------------------------------------------------------------------------------------
# Budgets the limits cannot meet
# ---------------------------------------------------------------------------------------------------

def test_every_school_capped_below_the_pot_is_an_error_with_the_shortfall():
    """Priors 400,000 and 500,000, gains capped at 10%: caps 440,000 + 550,000 = 990,000 < budget
    1,000,000: $10,000 cannot be spent."""
    w = make_weights()
    d = counts_district(w, [("A", 400_000), ("B", 500_000)], {"A": {"grade_4": 10}, "B": {"grade_4": 10}})
    with pytest.raises(InputError) as info:
        allocate(d, make_scenario(w, budget=1_000_000.0, max_gain_pct=10.0))
    [p] = info.value.problems
    assert p.file == "test_scenario.toml" and p.column == "funding.budget"
    assert "$10,000 cannot be spent" in p.expected
    assert "$990,000" in p.expected


def test_floors_above_the_pot_are_an_error_with_the_shortfall():
    """Priors 600,000 and 500,000, 5% floor: floors 570,000 + 475,000 = 1,045,000 > budget 1,000,000:
    a shortfall of $45,000."""
    w = make_weights()
    d = counts_district(w, [("A", 600_000), ("B", 500_000)], {"A": {"grade_4": 10}, "B": {"grade_4": 10}})
    with pytest.raises(InputError) as info:
        allocate(d, make_scenario(w, budget=1_000_000.0, max_loss_pct=5.0))
    [p] = info.value.problems
    assert p.file == "test_scenario.toml" and p.column == "funding.budget"
    assert "shortfall of $45,000" in p.expected
    assert "$1,045,000" in p.expected


def test_fixed_amounts_above_the_pot_are_an_error_with_the_shortfall():
    """Foundation 2 x $250,000 = 500,000 > budget 400,000: a shortfall of $100,000."""
    w = make_weights(foundation={"per_school": 250_000.0})
    d = counts_district(w, [("A", 200_000), ("B", 200_000)], {"A": {"grade_4": 10}, "B": {"grade_4": 10}})
    with pytest.raises(InputError) as info:
        allocate(d, make_scenario(w))
    assert "shortfall of $100,000" in info.value.problems[0].expected


def test_floors_that_fit_only_before_rounding_are_an_error_with_the_shortfall():
    """Priors 110 x 4, 3% floor: floors 106.70 each, 426.80 in all, but 107 each in whole dollars = 428.
    A budget of 427 cannot be met in whole dollars: the shortfall is $1 (an InputError, not a crash)."""
    w = make_weights()
    d = counts_district(w, [(s, 110) for s in "ABCD"], {s: {"grade_4": 1} for s in "ABCD"})
    with pytest.raises(InputError) as info:
        allocate(d, make_scenario(w, budget=427.0, max_loss_pct=3.0))
    assert "$1" in info.value.problems[0].expected


def test_caps_that_fit_only_before_rounding_are_an_error_with_the_shortfall():
    """Priors 110 x 4, 3% cap: caps 113.30 each, 453.20 in all, but 113 each in whole dollars = 452.
    A budget of 453 cannot be spent in whole dollars: $1 cannot be spent."""
    w = make_weights()
    d = counts_district(w, [(s, 110) for s in "ABCD"], {s: {"grade_4": 1} for s in "ABCD"})
    with pytest.raises(InputError) as info:
        allocate(d, make_scenario(w, budget=453.0, max_gain_pct=3.0))
    assert "$1" in info.value.problems[0].expected


# ---------------------------------------------------------------------------------------------------
# Districts at the edges
# ---------------------------------------------------------------------------------------------------

def test_one_school_gets_the_whole_pot():
    """One school, 250 pupils, foundation 250,000, prior 1,000,000: base = (1,000,000 - 250,000) / 250
    = 3,000 and the school gets 1,000,000; with a 3% floor and a 5% cap the answer is the same."""
    w = make_weights(foundation={"per_school": 250_000.0})
    d = counts_district(w, [("A", 1_000_000)], {"A": {"grade_11": 250}})
    for limits in ({}, {"max_loss_pct": 3.0, "max_gain_pct": 5.0}):
        a = allocate(d, make_scenario(w, **limits))
        assert a.base_per_weighted_pupil == pytest.approx(3_000, rel=1e-12)
        r = row(a, "A")
        assert (r.base_amount, r.foundation_amount, r.allocation, r.delta) == (750_000, 250_000, 1_000_000, 0)
        check_identities(a.table)


def test_school_with_no_students_gets_its_fixed_amounts():
    """Foundation 100,000; small school 150,000 x (1 - pupils/300). A: 100 pupils, prior 600,000;
    B: no pupils, prior 300,000. Fixed: A 100,000 + 100,000 = 200,000; B 100,000 + 150,000 = 250,000.
    base = (900,000 - 450,000) / 100 = 4,500: A = 450,000 + 200,000 = 650,000; B = 250,000."""
    w = make_weights(foundation={"per_school": 100_000.0},
                     small_school={"enrollment_below": 300, "per_school": 150_000.0})
    d = counts_district(w, [("A", 600_000), ("B", 300_000)], {"A": {"grade_1": 100}})
    a = allocate(d, make_scenario(w))
    assert a.base_per_weighted_pupil == pytest.approx(4_500, rel=1e-12)
    ra, rb = row(a, "A"), row(a, "B")
    assert (ra.base_amount, ra.small_school_amount, ra.allocation) == (450_000, 100_000, 650_000)
    assert (rb.enrollment, rb.weighted_enrollment, rb.base_amount, rb.need_amount) == (0, 0, 0, 0)
    assert (rb.foundation_amount, rb.small_school_amount, rb.allocation, rb.delta) == (100_000, 150_000, 250_000, -50_000)
    assert np.isnan(rb.per_pupil)
    check_identities(a.table)


def test_new_school_has_no_limits():
    """A: prior 500,000; B: new (blank prior); 100 pupils each; 3% floor, 5% cap; pot = 500,000 (the sum
    of the priors there are). A would get 250,000 < floor 485,000, so A sits on its floor and B, having
    no prior year, has no floor or cap: B = 500,000 - 485,000 = 15,000 -> base 150."""
    w = make_weights()
    d = counts_district(w, [("A", 500_000), ("B", None)], {"A": {"grade_2": 100}, "B": {"grade_2": 100}})
    a = allocate(d, make_scenario(w, max_loss_pct=3.0, max_gain_pct=5.0))
    assert a.pot == 500_000
    assert a.base_per_weighted_pupil == pytest.approx(150, rel=1e-12)
    rb = row(a, "B")
    assert (rb.allocation, rb.hold_harmless_adjustment, rb.cap_adjustment) == (15_000, 0, 0)
    assert np.isnan(rb.prior_allocation) and np.isnan(rb.delta) and np.isnan(rb.delta_pct)
    assert row(a, "A").allocation == 485_000
    assert a.summary()["new_schools"] == 1
    check_identities(a.table)


def test_new_school_is_not_capped_in_fixed_base_mode():
    """Fixed base $5,000, 100 pupils each = 500,000. A (prior 400,000, 5% cap) is held to 420,000;
    B (new) gets its formula 500,000."""
    w = make_weights()
    d = counts_district(w, [("A", 400_000), ("B", None)], {"A": {"grade_2": 100}, "B": {"grade_2": 100}})
    a = allocate(d, make_scenario(w, mode="fixed_base", max_gain_pct=5.0))
    assert a.table["allocation"].tolist() == [420_000, 500_000]
    assert a.table["cap_adjustment"].tolist() == [-80_000, 0]
    assert a.total == 920_000
    check_identities(a.table)


def test_delta_is_allocation_less_prior_when_the_prior_has_cents():
    """Prior $1,000.40; fixed base $5,000 x 1 pupil = $5,000; delta = 5,000 - 1,000.40 = 3,999.60
    (product.md: delta = allocation - prior_allocation), delta_pct = 3,999.60 / 1,000.40 = 399.76%."""
    w = make_weights()
    d = counts_district(w, [("A", 1_000.40)], {"A": {"grade_4": 1}})
    r = row(allocate(d, make_scenario(w, mode="fixed_base")), "A")
    assert r.allocation == 5_000 and r.prior_allocation == 1_000.40
    assert r.delta == pytest.approx(3_999.60, abs=1e-9)
    assert r.delta_pct == pytest.approx(3_999.60 / 1_000.40 * 100, rel=1e-12)


def test_weighted_enrollment_is_the_same_from_roster_and_counts():
    """The product example through both input paths: counts grade_4 = 1, frl = 1, ell = 1 equals a
    roster with one poor English learner in grade 4."""
    w = make_weights()
    by_counts = counts_district(w, [("A", None)], {"A": {"grade_4": 1, "frl": 1, "ell": 1}})
    by_roster = roster_district(w, [("A", None)], [{"school_id": "A", "grade": "04", "frl": "yes", "ell": "TRUE"}])
    s = make_scenario(w, mode="fixed_base")
    assert allocate(by_counts, s).table.equals(allocate(by_roster, s).table)


def test_fixed_base_mode_uses_the_weight_tables_base():
    """Changing base.per_weighted_pupil moves fixed-base totals in proportion: 20 pupils x $6,000."""
    w = apply_overrides(make_weights(), {"base.per_weighted_pupil": 6_000.0}, "s.toml")
    d = counts_district(w, [("A", None)], {"A": {"grade_12": 20}})
    assert allocate(d, make_scenario(w, mode="fixed_base")).total == 120_000


def test_scenario_copy_with_new_limits_leaves_the_original_alone():
    """dataclasses.replace gives a new scenario; the first one's result is unchanged."""
    w = make_weights()
    d = counts_district(w, [("A", 600_000), ("B", 400_000)], {"A": {"grade_6": 100}, "B": {"grade_6": 100}})
    s = make_scenario(w)
    before = allocate(d, s).table.copy()
    allocate(d, dataclasses.replace(s, max_loss_pct=5.0))
    assert allocate(d, s).table.equals(before)
