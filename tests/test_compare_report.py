"""sbb.compare and sbb.report on a three-school district worked by hand.

Weights `conftest.weights_doc()` with the English-learner weight raised 0.40 -> 0.50; budget $150,000.
A: 10 pupils in grade 2, prior $52,000.  B: 10 pupils in grade 2, all English learners, prior $68,000.
C: a new school (no prior), 6 pupils in grade 2.
Weighted pupils 10, 15, 6 (31): base = 150,000 / 31 = $4,838.709677; exact amounts 48,387.10,
72,580.65, 29,032.26 round down to 149,999 and the last dollar goes to B (largest remainder):
allocations $48,387, $72,581, $29,032.
Without the change (ELL 0.40): weighted 10, 14, 6 (30), base $5,000, allocations $50,000, $70,000, $30,000.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import counts_district, make_weights
from sbb.allocate import allocate
from sbb.compare import compare
from sbb.report import allocation_csv, allocation_frame, dollars, summary_lines
from sbb.scenario import scenario_from_dict

W0 = make_weights()


@pytest.fixture(scope="module")
def district():
    return counts_district(W0, [("A", 52_000), ("B", 68_000), ("C", None)],
                           {"A": {"grade_2": 10}, "B": {"grade_2": 10, "ell": 10}, "C": {"grade_2": 6}})


@pytest.fixture(scope="module")
def after(district):
    s = scenario_from_dict({"title": "ELL 0.50", "overrides": {"needs.ell.weight": 0.5},
                            "funding": {"budget": 150_000.0}}, "s.toml", Path("."), baseline=W0)
    return allocate(district, s)


@pytest.fixture(scope="module")
def before(district):
    s = scenario_from_dict({"title": "Weights as adopted", "funding": {"budget": 150_000.0}}, "b.toml", Path("."),
                           baseline=W0)
    return allocate(district, s)


def test_allocations_of_the_worked_example(after, before):
    assert after.table["allocation"].tolist() == [48_387, 72_581, 29_032]
    assert before.table["allocation"].tolist() == [50_000, 70_000, 30_000]


# ---------------------------------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------------------------------

def test_compare_with_prior_year_has_fixed_columns_and_hand_values(after):
    c = compare(after)
    assert c.table.columns.tolist() == ["school_id", "school_name", "enrollment", "before", "after", "delta",
                                        "delta_pct", "per_pupil_before", "per_pupil_after", "per_pupil_delta"]
    assert (c.before_label, c.after_label) == ("Prior year", "ELL 0.50")
    t = c.table.set_index("school_id")
    # A: 48,387 - 52,000 = -3,613 = -6.948077% of 52,000; per pupil 5,200.00 -> 4,838.70 (-361.30)
    assert t.loc["A", ["before", "after", "delta"]].tolist() == [52_000, 48_387, -3_613]
    assert t.loc["A", "delta_pct"] == pytest.approx(-3_613 / 52_000 * 100, abs=1e-12)
    assert t.loc["A", ["per_pupil_before", "per_pupil_after"]].tolist() == pytest.approx([5_200.0, 4_838.7])
    assert t.loc["A", "per_pupil_delta"] == pytest.approx(-361.3)
    # B: 72,581 - 68,000 = +4,581 = +6.736765%
    assert t.loc["B", "delta"] == 4_581 and t.loc["B", "delta_pct"] == pytest.approx(458_100 / 68_000)
    # C is new: no before, so no delta
    assert t.loc["C", "after"] == 29_032
    assert t.loc["C", ["before", "delta", "delta_pct", "per_pupil_before", "per_pupil_delta"]].isna().all()
    assert t.loc["C", "per_pupil_after"] == pytest.approx(29_032 / 6)
    assert c.counts() == {"gaining": 1, "losing": 1, "unchanged": 0, "not_compared": 1}
    # last year's schools had 120,000; this year's 150,000 (the new school included)
    assert c.totals() == {"before": 120_000.0, "after": 150_000.0, "delta": 30_000.0}


def test_compare_two_scenarios(after, before):
    c = compare(after, before)
    assert (c.before_label, c.after_label) == ("Weights as adopted", "ELL 0.50")
    # A: 48,387 - 50,000 = -1,613; B: 72,581 - 70,000 = +2,581; C: 29,032 - 30,000 = -968
    assert c.table["delta"].tolist() == [-1_613, 2_581, -968]
    assert c.table["delta_pct"].tolist() == pytest.approx([-3.226, 2_581 / 700, -968 / 300])
    assert c.counts() == {"gaining": 1, "losing": 2, "unchanged": 0, "not_compared": 0}
    assert c.totals() == {"before": 150_000.0, "after": 150_000.0, "delta": 0.0}


def test_compare_a_scenario_with_itself_changes_nothing(after):
    c = compare(after, after)
    assert c.counts() == {"gaining": 0, "losing": 0, "unchanged": 3, "not_compared": 0}
    assert (c.table["delta"] == 0).all() and (c.table["per_pupil_delta"] == 0).all()


def test_compare_refuses_different_schools(after, district):
    other = counts_district(W0, [("A", 52_000), ("X", 68_000), ("C", None)],
                            {"A": {"grade_2": 10}, "X": {"grade_2": 10}, "C": {"grade_2": 6}})
    with pytest.raises(ValueError, match="same schools"):
        compare(after, allocate(other, after.scenario))


def test_compare_school_with_no_pupils_has_no_per_pupil_amount():
    """A school with no pupils keeps its fixed amounts; per pupil is undefined (NaN), not infinite.
    Foundation $1,000 per school, fixed base $5,000: E gets $1,000; F with 2 pupils 2 x 5,000 + 1,000."""
    w = make_weights(foundation={"per_school": 1000.0})
    d = counts_district(w, [("E", 900), ("F", 11_000)], {"F": {"grade_1": 2}})
    s = scenario_from_dict({"title": "t", "funding": {"mode": "fixed_base"}}, "s.toml", Path("."), baseline=w)
    c = compare(allocate(d, s)).table.set_index("school_id")
    assert c.loc["E", ["before", "after", "delta"]].tolist() == [900, 1_000, 100]
    assert c.loc["E", ["per_pupil_before", "per_pupil_after", "per_pupil_delta"]].isna().all()
    assert c.loc["F", "per_pupil_after"] == 5_500


# ---------------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("amount,cents,text", [
    (1_234_567, False, "$1,234,567"),
    (-1_234, False, "-$1,234"),
    (0, False, "$0"),
    (999.4, False, "$999"),
    (1_234.5, True, "$1,234.50"),
    (-0.05, True, "-$0.05"),
    (4_838.709677, True, "$4,838.71"),
    (None, False, "—"),
    (float("nan"), True, "—"),
    # halves away from zero, as Excel's ROUND: 2.5 -> 3 and 3.5 -> 4 (Python's format gives 2 and 4)
    (2.5, False, "$3"),
    (3.5, False, "$4"),
    (-2.5, False, "-$3"),
    (1_234_567.5, False, "$1,234,568"),
    (0.125, True, "$0.13"),   # 0.125 is exact in binary; format(0.125, '.2f') gives '0.12'
    (2.675, True, "$2.68"),   # as written: the binary value is 2.67499999..., Excel shows 2.68
])
def test_dollars(amount, cents, text):
    assert dollars(amount, cents) == text


def test_dollars_never_prints_negative_zero():
    assert dollars(-0.4) == "$0" and dollars(-0.001, True) == "$0.00"


def test_summary_lines_hand_checked(after):
    # biggest loss: A, 52,000 - 48,387 = 3,613 = 6.948% -> "6.9%"
    assert summary_lines(after) == [
        "ELL 0.50",
        "--------",
        "  mode                     budget-neutral",
        "  budget                   $150,000",
        "  total allocated          $150,000",
        "  base per weighted pupil  $4,838.71",
        "  schools                  3 (1 gaining, 1 losing, 0 unchanged, 1 new)",
        "  hold-harmless cost       $0 (0 schools at the floor)",
        "  gains cap recovered      $0 (0 schools at the cap)",
        "  biggest loss             $3,613 (6.9%, School A)",
    ]


def test_summary_lines_fixed_base_has_no_budget_line(district):
    s = scenario_from_dict({"title": "Fixed", "funding": {"mode": "fixed_base"},
                            "hold_harmless": {"max_loss_pct": 1.0}}, "s.toml", Path("."), baseline=W0)
    lines = summary_lines(allocate(district, s))
    # fixed base $5,000: 50,000 (A, prior 52,000: floor 51,480 -> +1,480), 70,000, 30,000
    assert "  mode                     fixed base" in lines
    assert not any(line.strip().startswith("budget") for line in lines)
    assert "  total allocated          $151,480" in lines
    assert "  hold-harmless cost       $1,480 (1 school at the floor)" in lines
    assert "  biggest loss             $520 (1.0%, School A)" in lines


def test_allocation_csv_hand_checked(after):
    """Money exact (whole dollars as integers), pupils and percentages rounded for reading, the new
    school's prior, delta and delta % blank.
    B: need amount = 4,838.709677 x 0.50 x 10 = 24,193.55 -> 24,194; base amount carries the rest,
    72,581 - 24,194 = 48,387; delta % 4,581 / 68,000 = 6.73676 -> 6.7368; per pupil 7,258.10.
    C: per pupil 29,032 / 6 = 4,838.667 -> 4838.67."""
    text = allocation_csv(after)
    assert text.splitlines() == [
        "school_id,school_name,enrollment,weighted_enrollment,base_amount,need_amount,foundation_amount,"
        "small_school_amount,band_supplement_amount,formula_amount,hold_harmless_adjustment,cap_adjustment,"
        "allocation,prior_allocation,delta,delta_pct,per_pupil",
        "A,School A,10,10.0,48387,0,0,0,0,48387,0,0,48387,52000,-3613,-6.9481,4838.7",
        "B,School B,10,15.0,48387,24194,0,0,0,72581,0,0,72581,68000,4581,6.7368,7258.1",
        "C,School C,6,6.0,29032,0,0,0,0,29032,0,0,29032,,,,4838.67",
    ]
    assert text.endswith("\n") and "\r" not in text
    back = pd.read_csv(io.StringIO(text))
    assert back["allocation"].sum() == 150_000


def test_allocation_frame_leaves_the_allocation_table_alone(after):
    before = after.table.copy()
    frame = allocation_frame(after)
    pd.testing.assert_frame_equal(after.table, before)
    assert str(frame["prior_allocation"].dtype) == "Int64" and str(frame["delta"].dtype) == "Int64"


def test_allocation_csv_keeps_cents_in_a_prior(district):
    """A prior with cents stays exact: prior 52,000.25 -> delta 48,387 - 52,000.25 = -3,613.25."""
    d = counts_district(W0, [("A", 52_000.25), ("B", 68_000)], {"A": {"grade_2": 10}, "B": {"grade_2": 10, "ell": 10}})
    s = scenario_from_dict({"title": "t", "overrides": {"needs.ell.weight": 0.5}, "funding": {"budget": 120_000.0}},
                           "s.toml", Path("."), baseline=W0)
    row = allocation_csv(allocate(d, s)).splitlines()[1].split(",")
    # W = 10, 15: base 4,800; A = 48,000
    assert row[12:15] == ["48000", "52000.25", "-4000.25"]
    assert np.isclose(float(row[15]), -4000.25 / 52000.25 * 100, atol=5e-5)
