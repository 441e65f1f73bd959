"""The real-formula keys of product.md ("Real formulas"), each on a case small enough to work by
hand (the arithmetic is written beside each expected value), plus a property: with multipliers,
banded weights, extra amounts, partial hold-harmless and a transition, the budget-neutral total
still ties out exactly and every limit holds.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import (check_identities, counts_district, csv_bytes, make_scenario, make_weights, roster_district,
                      schools_csv, weights_doc)
from sbb.allocate import allocate
from sbb.counts import count_columns
from sbb.district import District, load_district
from sbb.statutory import round_half_away
from sbb.transition import Transition
from sbb.weights import weights_from_dict


def row(a, sid):
    t = a.table.set_index("school_id")
    return t.loc[sid]


# ---------------------------------------------------------------------------------------------------
# Need weights by grade band
# ---------------------------------------------------------------------------------------------------

def banded_weights():
    doc = weights_doc()
    doc["base"] = {"per_weighted_pupil": 1000.0}
    doc["needs"] = {
        "ell": {"column": "ell", "weight": {"K-5": 0.40, "6-8": 0.50, "9-12": 0.50}},
        "sped": {"column": "sped", "levels": {"resource": {"K-8": 0.56, "9-12": 0.68}, "inclusion": 1.20}},
    }
    return make_weights(doc)


STUDENTS = [  # weighted pupils of each, grade weight 1.0 for all
    {"school_id": "A", "grade": "3", "ell": "Y"},                          # 1 + 0.40 = 1.40
    {"school_id": "A", "grade": "7", "ell": "Y"},                          # 1 + 0.50 = 1.50
    {"school_id": "A", "grade": "PK", "ell": "Y"},                         # PK in no band: 1.00
    {"school_id": "A", "grade": "10", "sped": "resource"},                 # 1 + 0.68 = 1.68
    {"school_id": "A", "grade": "2", "ell": "Y", "sped": "resource"},      # 1 + 0.40 + 0.56 = 1.96
    {"school_id": "A", "grade": "11", "sped": "inclusion"},                # 1 + 1.20 = 2.20
]


def test_banded_need_weights_from_a_roster():
    w = banded_weights()
    assert count_columns(w)[14:] == ["ell_K-5", "ell_6-8", "ell_9-12", "sped_resource_K-8", "sped_resource_9-12",
                                     "sped_inclusion"]
    d = roster_district(w, [("A", 10_000.0)], STUDENTS)
    assert d.counts.loc["A", ["ell_K-5", "ell_6-8", "ell_9-12", "sped_resource_K-8", "sped_resource_9-12",
                              "sped_inclusion"]].tolist() == [2, 1, 0, 1, 1, 1]
    a = allocate(d, make_scenario(w, mode="fixed_base"))
    r = row(a, "A")
    assert r.weighted_enrollment == pytest.approx(9.74)   # 1.40 + 1.50 + 1.00 + 1.68 + 1.96 + 2.20
    assert r.base_amount == 6_000                          # 6 pupils x 1.00 x $1,000
    assert r.need_amount == 3_740                          # (0.40 + 0.50 + 0.68 + 0.40 + 0.56 + 1.20) x $1,000
    assert r.allocation == 9_740
    check_identities(a.table)


def test_banded_counts_file_headers_as_written_and_the_same_result():
    w = banded_weights()
    header = ["school_id", "grade_PK", "grade_2", "grade_3", "grade_7", "grade_10", "grade_11",
              "ell_K-5", "ell_6-8", "ell_9-12", "sped_resource_K-8", "sped_resource_9-12", "sped_inclusion"]
    # the other grade columns are needed too: give them as zeros
    others = [f"grade_{g}" for g in ("K", "1", "4", "5", "6", "8", "9", "12")]
    data = csv_bytes(header + others, [["A", 1, 1, 1, 1, 1, 1, 2, 1, 0, 1, 1, 1] + [0] * len(others)])
    d = load_district(("schools.csv", schools_csv([("A", 10_000.0)])), w, counts=("counts.csv", data))
    assert allocate(d, make_scenario(w, mode="fixed_base")).table["allocation"].tolist() == [9_740]


def test_banded_weight_override_changes_one_band():
    from sbb.weights import apply_overrides

    w = apply_overrides(banded_weights(), {"needs.ell.weight.6-8": 0.90}, "s.toml")
    d = roster_district(w, [("A", 10_000.0)], STUDENTS)
    # the grade-7 English learner now adds 0.90 instead of 0.50: 9,740 + 400
    assert allocate(d, make_scenario(w, mode="fixed_base")).table["allocation"].tolist() == [10_140]


# ---------------------------------------------------------------------------------------------------
# One weight for every grade; fractional counts
# ---------------------------------------------------------------------------------------------------

def test_grade_all_with_an_enrollment_column_and_fractional_counts():
    doc = weights_doc()
    doc["grade"] = {"all": 1.2}
    doc["base"] = {"per_weighted_pupil": 1000.0}
    doc["needs"] = {"poverty": {"column": "frl", "weight": 0.25}}
    w = make_weights(doc)
    assert count_columns(w) == ["enrollment", "frl"]
    data = csv_bytes(["school_id", "enrollment", "frl"], [["A", "100.5", "40.25"], ["B", "10", "0"]])
    d = load_district(("schools.csv", schools_csv([("A", 1.0), ("B", 1.0)])), w, counts=("counts.csv", data))
    a = allocate(d, make_scenario(w, mode="fixed_base", rounding="cents"))
    # A: 100.5 x 1.2 + 40.25 x 0.25 = 120.6 + 10.0625 = 130.6625 weighted pupils -> $130,662.50
    assert row(a, "A").allocation == pytest.approx(130_662.50, abs=1e-9)
    assert row(a, "B").allocation == pytest.approx(12_000.00, abs=1e-9)   # 10 x 1.2 x $1,000


def test_grade_all_from_a_roster_counts_every_pupil():
    doc = weights_doc()
    doc["grade"] = {"all": 1.2}
    doc["base"] = {"per_weighted_pupil": 1000.0}
    w = make_weights(doc)
    d = roster_district(w, [("A", 1.0)], [{"school_id": "A", "grade": g} for g in ("PK", "5", "12")])
    assert d.counts.loc["A", "enrollment"] == 3
    assert allocate(d, make_scenario(w, mode="fixed_base")).table["allocation"].tolist() == [3_600]  # 3 x 1.2 x 1000


# ---------------------------------------------------------------------------------------------------
# Concentration shapes
# ---------------------------------------------------------------------------------------------------

def lunch_weights(**rounding):
    doc = {
        "title": "ramp", "base": {"per_weighted_pupil": 1000.0}, "grade": {"all": 0.0},
        "needs": {"lunch": {"column": "lunch", "levels": {"free": 0.0, "reduced": 0.0}}},
        "concentration": {"comp": {"need": "lunch", "count": {"free": 1.0, "reduced": 0.5}, "shape": "ramp",
                                   "full_at": 0.80, "weight": 0.60}},
    }
    if rounding:
        doc["rounding"] = rounding
    return weights_from_dict(doc, "ramp.toml")


def test_ramp_concentration_by_hand():
    w = lunch_weights()
    d = counts_district(w, [("A", 1.0), ("B", 1.0), ("C", 1.0)], {
        "A": {"enrollment": 100, "lunch_free": 30, "lunch_reduced": 20},
        "B": {"enrollment": 100, "lunch_free": 90},
        "C": {"enrollment": 0},
    })
    a = allocate(d, make_scenario(w, mode="fixed_base"))
    # A: counted 30 + 0.5 x 20 = 40; share 0.40; factor 0.40 / 0.80 = 0.5; 0.60 x 40 x 0.5 = 12 -> $12,000
    # B: counted 90; share 0.90; factor min(1, 1.125) = 1; 0.60 x 90 = 54 -> $54,000; C: no pupils -> $0
    assert a.table["allocation"].tolist() == [12_000, 54_000, 0]


def test_ramp_with_statutory_rounding_half_away_from_zero():
    w = lunch_weights(share=4, factor=4, weighted_pupils=2, formula=2)
    d = counts_district(w, [("A", 1.0)], {"A": {"enrollment": 591, "lunch_free": 135, "lunch_reduced": 54}})
    a = allocate(d, make_scenario(w, mode="fixed_base", rounding="cents"))
    # counted 135 + 27 = 162; share 162/591 = 0.274111... -> 0.2741; factor 0.2741/0.8 = 0.342625 -> 0.3426
    # pupils 0.6 x 162 x 0.3426 = 33.30 (33.3007...); $1,000 x 33.30 = $33,300.00
    assert row(a, "A").allocation == pytest.approx(33_300.00, abs=1e-9)
    assert row(a, "A").weighted_enrollment == pytest.approx(33.30, abs=1e-12)


def test_excess_with_counted_and_pupil_rounding():
    doc = {
        "title": "excess", "base": {"per_weighted_pupil": 1000.0}, "grade": {"all": 1.0},
        "needs": {"low": {"column": "low", "weight": 0.0}},
        "concentration": {"c": {"need": "low", "shape": "excess", "share_at_least": 0.60, "weight": 0.15}},
        "rounding": {"counted": 0, "weighted_pupils": 1},
    }
    w = weights_from_dict(doc, "excess.toml")
    d = counts_district(w, [("A", 1.0), ("B", 1.0)], {"A": {"enrollment": 101, "low": 70},
                                                      "B": {"enrollment": 10.5, "low": 9.5}})
    a = allocate(d, make_scenario(w, mode="fixed_base", rounding="cents"))
    # A: above = 70 - 0.60 x 101 = 9.4 -> 9 (counted, 0 decimals); 0.15 x 9 = 1.35 -> 1.4 (1 decimal)
    #    weighted 101 + 1.4 = 102.4 -> $102,400
    # B: counted 9.5 -> 10 (half away from zero); above 10 - 6.3 = 3.7 -> 4; 0.15 x 4 = 0.6;
    #    weighted 10.5 + 0.6 = 11.1 -> $11,100
    assert a.table["allocation"].tolist() == pytest.approx([102_400.0, 11_100.0], abs=1e-9)


def test_grade_all_counts_file_with_grade_columns_adds_them_up():
    doc = weights_doc()
    doc["grade"] = {"all": 2.0}
    doc["base"] = {"per_weighted_pupil": 10.0}
    doc["needs"] = {}
    w = make_weights(doc)
    from sbb.spelling import GRADES

    header = ["school_id", *[f"grade_{g}" for g in GRADES]]
    data = csv_bytes(header, [["A", *range(len(GRADES))]])   # 0 + 1 + ... + 13 = 91 pupils
    d = load_district(("schools.csv", schools_csv([("A", 1.0)])), w, counts=("counts.csv", data))
    assert allocate(d, make_scenario(w, mode="fixed_base")).table["allocation"].tolist() == [1_820]  # 91 x 2 x 10


def test_budget_neutral_summary_says_how_statutory_rounding_was_applied():
    from sbb.report import summary_lines

    w = lunch_weights(share=4, factor=4, weighted_pupils=2, formula=2)
    d = counts_district(w, [("A", 40_000.0), ("B", 60_000.0)], {
        "A": {"enrollment": 100, "lunch_free": 30, "lunch_reduced": 20},   # 12 pupil units (see above)
        "B": {"enrollment": 100, "lunch_free": 90},                        # 54 pupil units
    })
    a = allocate(d, make_scenario(w))
    # pot 100,000 over 66 units: base 1,515.15...; A 18,181.82 -> 18,182, B 81,818.18 -> 81,818
    assert a.table["allocation"].tolist() == [18_182, 81_818]
    text = "\n".join(summary_lines(a))
    assert "solved on the unrounded dollar line" in text


def test_step_concentration_on_levels_counts_the_levels():
    doc = {
        "title": "step", "base": {"per_weighted_pupil": 100.0}, "grade": {"all": 1.0},
        "needs": {"lunch": {"column": "lunch", "levels": {"free": 0.0, "reduced": 0.0}}},
        "concentration": {"c": {"need": "lunch", "count": {"reduced": 0.5}, "share_at_least": 0.5, "weight": 1.0}},
    }
    w = weights_from_dict(doc, "step.toml")
    d = counts_district(w, [("A", 1.0), ("B", 1.0)], {
        "A": {"enrollment": 10, "lunch_free": 4, "lunch_reduced": 2},   # counted 4 + 1 = 5, share 0.5: applies
        "B": {"enrollment": 10, "lunch_free": 4, "lunch_reduced": 1},   # counted 4.5, share 0.45: does not
    })
    a = allocate(d, make_scenario(w, mode="fixed_base"))
    # A: (10 + 1.0 x 5) x $100 = $1,500; B: 10 x $100 = $1,000
    assert a.table["allocation"].tolist() == [1_500, 1_000]


# ---------------------------------------------------------------------------------------------------
# Multiplier, extra amounts, partial hold-harmless, transition
# ---------------------------------------------------------------------------------------------------

def district_with(w, schools: pd.DataFrame, counts: dict[str, dict[str, float]]) -> District:
    cols = count_columns(w)
    rows = [[sid, *[counts.get(sid, {}).get(c, 0) for c in cols]] for sid in schools["school_id"]]
    data = schools.to_csv(index=False).encode()
    return load_district(("schools.csv", data), w, counts=("counts.csv", csv_bytes(["school_id", *cols], rows)))


def flat_weights(**tables):
    doc = {"title": "flat", "base": {"per_weighted_pupil": 100.0}, "grade": {"all": 1.0}, **tables}
    return weights_from_dict(doc, "flat.toml")


def test_multiplier_scales_base_times_pupils_not_fixed_amounts():
    w = flat_weights(multiplier={"column": "aid_ratio"}, extra_amounts={"columns": ["magnet", "bonus"]},
                     foundation={"per_school": 50.0})
    schools = pd.DataFrame({"school_id": ["A", "B"], "school_name": ["A", "B"], "prior_allocation": [1, 1],
                            "aid_ratio": ["0.5", "1.25"], "magnet": ["$1,000.00", ""], "bonus": ["7", "3"]})
    d = district_with(w, schools, {"A": {"enrollment": 10}, "B": {"enrollment": 10}})
    a = allocate(d, make_scenario(w, mode="fixed_base"))
    # A: 100 x 10 x 0.5 + 50 + 1,000 + 7 = 1,557; B: 100 x 10 x 1.25 + 50 + 0 + 3 = 1,303
    assert a.table["allocation"].tolist() == [1_557, 1_303]
    assert a.table["extra_amount"].tolist() == [1_007, 3]
    assert a.table["multiplier"].tolist() == [0.5, 1.25]
    check_identities(a.table)


def test_hold_harmless_applies_only_where_the_column_says_yes():
    w = flat_weights()
    schools = pd.DataFrame({"school_id": ["A", "B"], "school_name": ["A", "B"], "prior_allocation": [1000, 1000],
                            "alliance": ["Yes", "no"]})
    d = district_with(w, schools, {"A": {"enrollment": 9}, "B": {"enrollment": 9}})
    a = allocate(d, make_scenario(w, mode="fixed_base", max_loss_pct=5.0, applies_to="alliance"))
    # both formulas are 9 x 100 = 900; A is held to 1,000 x 0.95 = 950, B is not protected
    assert a.table["allocation"].tolist() == [950, 900]


def test_transition_budget_neutral_by_hand():
    w = flat_weights()
    schools = pd.DataFrame({"school_id": ["A", "B"], "school_name": ["A", "B"], "prior_allocation": [1000, 3000]})
    d = district_with(w, schools, {"A": {"enrollment": 10}, "B": {"enrollment": 10}})
    a = allocate(d, make_scenario(w, transition=Transition(0.5, 0.25)))
    # pot 4,000: A gains 1000 + 0.5 (10b - 1000), B loses 3000 + 0.25 (10b - 3000); the sum is 4,000 when
    # 5b - 500 + 2.5b - 750 = 0, b = 166.666...; A = 1,333.33..., B = 2,666.66... -> 1,333 + 2,667
    # (the left-over dollar to the larger remainder)
    assert a.base_per_weighted_pupil == pytest.approx(1250 / 7.5, rel=1e-12)
    assert a.table["allocation"].tolist() == [1_333, 2_667]
    assert a.table["formula_amount"].tolist() == [1_667, 1_667]   # 10 x 166.67, rounded
    check_identities(a.table)


def test_connecticut_style_example_matches_the_hand_figures():
    from sbb.scenario import load_scenario
    from conftest import ROOT

    folder = ROOT / "sample_data" / "connecticut_ecs_style"
    s = load_scenario(ROOT / "scenarios" / "connecticut_ecs_style_transition.toml")
    d = load_district(folder / "schools.csv", s.weights, counts=folder / "counts.csv")
    t = allocate(d, s).table.set_index("school_id")
    # README table: need students 1,250 / 430 / 2,595; formula 11,525 x need x aid ratio (+ magnet)
    assert t["weighted_enrollment"].tolist() == pytest.approx([1250, 430, 2595], abs=1e-9)
    assert t["formula_amount"].tolist() == pytest.approx([7_203_125.00, 991_150.00, 23_975_900.00], abs=1e-9)
    # T1: 7,000,000 + 0.565 x 203,125 = 7,114,765.625 -> 7,114,765.63; T2, T3 above formula keep their prior
    assert t["allocation"].tolist() == pytest.approx([7_114_765.63, 1_000_000.00, 25_000_000.00], abs=1e-9)


# ---------------------------------------------------------------------------------------------------
# Statutory rounding against exact decimal arithmetic
# ---------------------------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 10_000), st.integers(0, 6))
def test_round_half_away_matches_decimal_on_quotients(num, den, places):
    from fractions import Fraction

    exact = Fraction(num, 2 * den)           # counts in halves over an enrollment, like a share
    scaled = exact * 10 ** places
    whole = math.floor(scaled)
    expected = (whole + (1 if scaled - whole >= Fraction(1, 2) else 0)) / Fraction(10 ** places)
    assert round_half_away(num / (2 * den), places) == float(expected)


# ---------------------------------------------------------------------------------------------------
# Property: exact budget-neutral tie-out with every new key at once
# ---------------------------------------------------------------------------------------------------

@st.composite
def real_cases(draw):
    n = draw(st.integers(1, 6))
    ell = {"K-5": draw(st.floats(0, 1).map(lambda x: round(x, 2))), "6-12": draw(st.floats(0, 1).map(lambda x: round(x, 2)))}
    doc = {"title": "random", "base": {"per_weighted_pupil": 1000.0}, "grade": {"PK-12": 1.0},
           "needs": {"ell": {"column": "ell", "weight": ell}},
           "multiplier": {"column": "m"}, "extra_amounts": {"columns": ["x"]}}
    w = weights_from_dict(doc, "random.toml")
    cols = count_columns(w)
    counts, prior, mult, extra, yes = {}, [], [], [], []
    for i in range(n):
        grades = draw(st.lists(st.integers(0, 40), min_size=14, max_size=14))
        k5 = draw(st.integers(0, sum(grades[1:7])))
        up = draw(st.integers(0, sum(grades[7:])))
        counts[f"S{i}"] = dict(zip(cols, [*grades, k5, up]))
        prior.append(math.nan if draw(st.integers(0, 5)) == 0
                     else draw(st.integers(0, 600_000)) + draw(st.sampled_from([0, 0, 37, 50, 99])) / 100)
        mult.append(draw(st.sampled_from([0.0, 0.35, 0.5, 1.0, 1.25])))
        extra.append(float(draw(st.integers(0, 20_000))))
        yes.append(draw(st.sampled_from(["yes", "no"])))
    schools = pd.DataFrame({"school_id": list(counts), "school_name": list(counts), "prior_allocation": prior,
                            "m": mult, "x": extra, "hh": yes})
    t = Transition(draw(st.sampled_from([0.0, 0.3, 0.565, 1.0])), draw(st.sampled_from([0.0, 0.5, 1.0])))
    loss = draw(st.one_of(st.none(), st.sampled_from([0.0, 3.0, 10.0])))
    gain = draw(st.one_of(st.none(), st.sampled_from([0.0, 5.0, 20.0])))
    budget = float(round(np.nansum(prior) * draw(st.floats(0.8, 1.3)))) if draw(st.booleans()) else None
    return w, schools, counts, t, loss, gain, budget, draw(st.sampled_from(["dollars", "cents"]))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(real_cases())
def test_budget_neutral_ties_out_with_multipliers_bands_extras_and_transitions(case):
    from sbb.problems import InputError

    w, schools, counts, t, loss, gain, budget, rounding = case
    d = district_with(w, schools, counts)
    s = make_scenario(w, transition=t, max_loss_pct=loss, max_gain_pct=gain, applies_to="hh", budget=budget,
                      rounding=rounding)
    try:
        a = allocate(d, s)
    except InputError as err:
        assert "budget" in err.message() or "cap" in err.message()   # infeasible: said plainly
        return
    scale = 100 if rounding == "cents" else 1
    alloc = np.rint(a.table["allocation"].to_numpy(dtype=float) * scale).astype(np.int64)
    prior = schools["prior_allocation"].to_numpy(dtype=float)
    pot = round((budget if budget is not None else np.nansum(prior)) * scale)
    assert int(alloc.sum()) == pot                                   # ties out exactly
    # independent model: each school's amount T(clamp(b s + f)), s = pupils x weights x multiplier
    b = a.base_per_weighted_pupil
    weighted = np.array([sum(v for k, v in counts[i].items() if k.startswith("grade_"))
                         + w.categories()[0].weight * counts[i]["ell_K-5"]
                         + w.categories()[1].weight * counts[i]["ell_6-12"] for i in counts])
    line = b * weighted * schools["m"].to_numpy(dtype=float) + schools["x"].to_numpy(dtype=float)
    limited = (schools["hh"] == "yes").to_numpy() & ~np.isnan(prior)
    floor = np.where(limited & (loss is not None), np.ceil(prior * (100 - (loss or 0)) / 100 * scale - 1e-6) / scale, -np.inf)
    cap = np.where(limited & (gain is not None), np.floor(prior * (100 + (gain or 0)) / 100 * scale + 1e-6) / scale, np.inf)
    x = np.minimum(np.maximum(line, floor), np.maximum(cap, floor))
    share = np.where(x >= prior, t.share_of_gain, t.share_of_loss)
    target = np.where(np.isnan(prior), x, prior + share * (x - prior))
    assert np.all(np.abs(alloc / scale - target) <= 1.0 / scale + 1e-6)   # within one unit of the exact amount
    # the floor holds after the transition: never below T(floor). A share of loss of 0 is a floor of
    # its own: T keeps a school with a prior year at its prior however low the formula goes.
    keeps_prior = ~np.isnan(prior) & (t.share_of_loss == 0)
    with np.errstate(invalid="ignore"):
        t_floor = np.where(np.isfinite(floor), prior + np.where(floor >= prior, t.share_of_gain, t.share_of_loss)
                           * np.where(np.isfinite(floor), floor - prior, 0.0), -np.inf)
    t_floor = np.where(keeps_prior, np.maximum(t_floor, prior), t_floor)
    lowest = np.ceil(t_floor * scale - 1e-6)                              # floors round up to the unit
    assert np.all(alloc >= lowest)
    # and the cap: never above T(cap), rounded down, except where the floor is above it (the floor wins)
    with np.errstate(invalid="ignore"):
        t_cap = np.where(np.isfinite(cap), prior + np.where(cap >= prior, t.share_of_gain, t.share_of_loss)
                         * np.where(np.isfinite(cap), cap - prior, 0.0), np.inf)
    assert np.all(alloc <= np.maximum(np.floor(t_cap * scale + 1e-6), lowest))
    check_identities(a.table, scale)


def test_transition_total_equals_the_sum_of_every_school_at_any_base():
    """The breakpoint list the solve uses, against the direct sum of T(clamp(b w + f, floor, cap)) over
    schools, on random schools (new ones, no limits, limits on either side of the prior, no pupils)."""
    from sbb.limits import apply_limits
    from sbb.transition import transition, transition_total

    rng = np.random.default_rng(12)
    for _ in range(400):
        n = int(rng.integers(1, 8))
        w = rng.choice([0, 0.5, 1, 2, 3.7], n)
        f = rng.choice([0, 100, 250.5], n)
        p = rng.choice([np.nan, 200, 500, 1000.37, 3000], n)
        lo = np.where(rng.random(n) < 0.5, -np.inf, p * rng.choice([0.9, 1.0, 1.02], n))
        hi = np.where(rng.random(n) < 0.5, np.inf, p * rng.choice([1.0, 1.1, 0.98], n))
        lo = np.where(np.isnan(lo), np.where(rng.random(n) < 0.3, 50.0, -np.inf), lo)
        hi = np.maximum(np.where(np.isnan(hi), np.inf, hi), lo)
        t = Transition(float(rng.choice([0, 0.3, 0.565, 1.0])), float(rng.choice([0, 0.5, 1.0])))
        total = transition_total(w, f, lo, hi, p, t)
        for b in [0.0, *rng.uniform(0, 3000, 10)]:
            direct = float(np.sum(transition(apply_limits(b * w + f, lo, hi), p, t)))
            assert total.total(b) == pytest.approx(direct, rel=1e-9, abs=1e-6)
