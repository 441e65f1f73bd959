"""Tests for sbb.equity.

Every expected value is computed independently of the code under test: by hand (arithmetic in the
comment beside it), by textbook formulas in plain numpy on the data expanded to one row per pupil
(the Gini by the rank formula, which the code does not use; the Theil index by its definition), or by
a property the measure must have.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sbb.equity import (
    equity_metrics,
    equity_report,
    lorenz_points,
    poverty_scatter,
    quartile_bars,
    vertical_metrics,
)

# --------------------------------------------------------------------------------------------------
# Shared small data sets
# --------------------------------------------------------------------------------------------------

# The public McLoone worked example.
MC_VALUES = [1000, 200, 100, 60, 45, 24]
MC_PUPILS = [2, 4, 6, 6, 8, 12]

# Three schools: values 10, 20, 30 with 1, 2, 1 pupils (W = 4, mean = (10 + 40 + 30) / 4 = 20).
THREE_VALUES = [10.0, 20.0, 30.0]
THREE_PUPILS = [1, 2, 1]

# Four schools for the poverty quartiles, given out of order (C, A, D, B):
#   A: 1 pupil, 0 poor (share 0),     $100     pupils 0-1 in poverty order
#   B: 3 pupils, 1 poor (share 1/3),  $120     pupils 1-4
#   C: 3 pupils, 2 poor (share 2/3),  $150     pupils 4-7
#   D: 1 pupil, 1 poor (share 1),     $170     pupils 7-8
# W = 8, a quarter = 2 pupils: Q1 = 1 of A + 1 of B, Q2 = 2 of B, Q3 = 2 of C, Q4 = 1 of C + D.
QUART_VALUES = [150.0, 100.0, 170.0, 120.0]
QUART_PUPILS = [3, 1, 1, 3]
QUART_POOR = [2, 0, 1, 1]


# --------------------------------------------------------------------------------------------------
# Hand-computed values
# --------------------------------------------------------------------------------------------------


def test_mcloone_public_worked_example():
    m = equity_metrics(MC_VALUES, MC_PUPILS)
    # 38 pupils, half = 19. Sorted: 24 x 12 (cum 12), 45 x 8 (cum 20) -> median 45.
    assert m["median"] == 45.0
    # Bottom half: 12 x 24 + 7 x 45 = 288 + 315 = 603; McLoone = 603 / (45 x 19) = 603 / 855.
    assert round(m["mcloone"], 4) == 0.7053
    assert m["mcloone"] == pytest.approx(603 / 855, rel=1e-12)


def test_verstegen_on_mcloone_example():
    m = equity_metrics(MC_VALUES, MC_PUPILS)
    # Total dollars = 2x1000 + 4x200 + 6x100 + 6x60 + 8x45 + 12x24
    #               = 2000 + 800 + 600 + 360 + 360 + 288 = 4408.
    # Top half = 1 x 45 (the 8th pupil at 45) + 360 + 600 + 800 + 2000 = 3805 = 4408 - 603.
    # Verstegen = 3805 / (45 x 19) = 3805 / 855 = 4.450292...
    assert m["verstegen"] == pytest.approx(3805 / 855, rel=1e-12)
    assert round(m["verstegen"], 4) == 4.4503


def test_range_and_lower_inverse_percentiles():
    # 20 pupils: $100 x 1, $200 x 18, $300 x 1. Cumulative shares 0.05, 0.95, 1.00.
    m = equity_metrics([300.0, 100.0, 200.0], [1, 1, 18])
    assert m["min"] == 100.0
    assert m["max"] == 300.0
    assert m["range"] == 200.0  # 300 - 100
    assert m["p5"] == 100.0  # share <= 100 is 0.05 >= 0.05 exactly: the lower inverse stops here
    assert m["p95"] == 200.0  # share <= 200 is 0.95 >= 0.95 exactly
    assert m["median"] == 200.0
    assert m["restricted_range"] == 100.0  # 200 - 100
    assert m["federal_range_ratio"] == pytest.approx(1.0)  # (200 - 100) / 100


def test_median_is_lower_inverse_not_midpoint():
    # Two pupils, $10 and $20: share <= 10 is 0.5 >= 0.5, so the median is 10 (not 15).
    m = equity_metrics([20.0, 10.0], [1, 1])
    assert m["median"] == 10.0
    # P5 = 10 (0.5 >= 0.05); P95 = 20 (0.5 < 0.95 <= 1).
    assert (m["p5"], m["p95"]) == (10.0, 20.0)


def test_mean_and_cv_hand_computed():
    m = equity_metrics(THREE_VALUES, THREE_PUPILS)
    assert m["mean"] == pytest.approx(20.0)  # (10 + 2 x 20 + 30) / 4
    # Population variance = (1 x 10^2 + 2 x 0 + 1 x 10^2) / 4 = 50; SD = sqrt(50) = 7.0711.
    # CV = 7.0711 / 20 = 0.35355.
    assert m["cv"] == pytest.approx(math.sqrt(50) / 20, rel=1e-12)


def test_gini_hand_computed():
    m = equity_metrics(THREE_VALUES, THREE_PUPILS)
    # Unordered pairs of pupils: (10,20) 1x2x10 = 20, (10,30) 1x1x20 = 20, (20,30) 2x1x10 = 20.
    # Sum over ordered pairs = 120; G = 120 / (2 x 4^2 x 20) = 120 / 640 = 0.1875.
    assert m["gini"] == pytest.approx(0.1875, rel=1e-12)


def test_gini_two_schools():
    # $1 x 1 pupil, $3 x 1 pupil: mean 2, ordered pairs sum = 2 x 2 = 4; G = 4 / (2 x 4 x 2) = 0.25.
    assert equity_metrics([1.0, 3.0], [1, 1])["gini"] == pytest.approx(0.25, rel=1e-12)


def test_theil_mld_atkinson_hand_computed():
    m = equity_metrics(THREE_VALUES, THREE_PUPILS)
    # r = x / mean = 0.5, 1, 1.5 with weights 1, 2, 1 (W = 4).
    # Theil T = (0.5 ln 0.5 + 0 + 1.5 ln 1.5) / 4 = (-0.346574 + 0.608198) / 4 = 0.065406.
    assert m["theil_t"] == pytest.approx((0.5 * math.log(0.5) + 1.5 * math.log(1.5)) / 4, rel=1e-12)
    assert m["theil_t"] == pytest.approx(0.065406, abs=1e-6)
    # MLD = (ln 2 + 0 + ln(2/3)) / 4 = (0.693147 - 0.405465) / 4 = 0.071921.
    assert m["mld"] == pytest.approx((math.log(2) + math.log(2 / 3)) / 4, rel=1e-12)
    assert m["mld"] == pytest.approx(0.071921, abs=1e-6)
    # Atkinson(1) = 1 - geometric mean / mean; geometric mean = (10 x 20 x 20 x 30)^(1/4)
    # = 120000^(1/4) = 18.6121; 1 - 18.6121 / 20 = 0.069395.
    assert m["atkinson"] == pytest.approx(1 - 120000 ** 0.25 / 20, rel=1e-12)


def test_atkinson_other_epsilons():
    # epsilon = 2: 1 - harmonic mean / mean. Harmonic mean = 4 / (1/10 + 2/20 + 1/30)
    # = 4 / (7/30) = 120/7 = 17.142857; 1 - (120/7) / 20 = 1 - 6/7 = 1/7.
    m2 = equity_metrics(THREE_VALUES, THREE_PUPILS, atkinson_epsilon=2)
    assert m2["atkinson"] == pytest.approx(1 / 7, rel=1e-12)
    # epsilon = 0.5: 1 - ((sqrt 10 + 2 sqrt 20 + sqrt 30) / 4)^2 / 20.
    m_half = equity_metrics(THREE_VALUES, THREE_PUPILS, atkinson_epsilon=0.5)
    expected = 1 - ((math.sqrt(10) + 2 * math.sqrt(20) + math.sqrt(30)) / 4) ** 2 / 20
    assert m_half["atkinson"] == pytest.approx(expected, rel=1e-12)
    # epsilon = 0: no inequality aversion, always 0.
    m0 = equity_metrics(THREE_VALUES, THREE_PUPILS, atkinson_epsilon=0)
    assert m0["atkinson"] == pytest.approx(0.0, abs=1e-15)


def test_poor_nonpoor_gap_and_ratio():
    # School 1: $12,000, 100 pupils, 80 poor; school 2: $10,000, 100 pupils, 20 poor.
    v = vertical_metrics([12000.0, 10000.0], [100, 100], [80, 20])
    # Poor mean = (80 x 12000 + 20 x 10000) / 100 = 11,600.
    assert v["poor_mean"] == pytest.approx(11600.0)
    # Non-poor mean = (20 x 12000 + 80 x 10000) / 100 = 10,400.
    assert v["nonpoor_mean"] == pytest.approx(10400.0)
    assert v["poor_gap"] == pytest.approx(1200.0)  # 11600 - 10400
    assert v["poor_ratio"] == pytest.approx(11600 / 10400)  # 1.11538
    # Slope through two points: (12000 - 10000) / (0.8 - 0.2) = 3333.33 per unit; x 0.1 = 333.33.
    assert v["poverty_slope_per_10pts"] == pytest.approx(2000 / 0.6 * 0.1)


def test_weighted_poverty_slope_hand_computed():
    # Pupils 4, 8, 4 (weights 1:2:1), poor 0, 2, 4 -> shares 0, 0.25, 1; dollars 100, 150, 160.
    # Weighted mean share = (0 + 2 x 0.25 + 1) / 4 = 0.375; weighted mean $ = (100 + 300 + 160) / 4
    # = 140. Deviations: ds = -0.375, -0.125, 0.625; dx = -40, 10, 20.
    # Sxy = 1 x 15 + 2 x (-1.25) + 1 x 12.5 = 25; Sxx = 0.140625 + 2 x 0.015625 + 0.390625 = 0.5625.
    # Slope = 25 / 0.5625 = 44.444 per unit share -> 4.4444 per 10 points.
    # Intercept = 140 - 44.444 x 0.375 = 123.333. (The unweighted slope would be 49.23.)
    values, pupils, poor = [100.0, 150.0, 160.0], [4, 8, 4], [0, 2, 4]
    v = vertical_metrics(values, pupils, poor)
    assert v["poverty_slope_per_10pts"] == pytest.approx(25 / 0.5625 * 0.1, rel=1e-12)
    frame, line = poverty_scatter(values, pupils, poor)
    assert line["slope"] == pytest.approx(25 / 0.5625, rel=1e-12)
    assert line["intercept"] == pytest.approx(140 - 25 / 0.5625 * 0.375, rel=1e-12)
    assert frame["poverty_share"].tolist() == pytest.approx([0.0, 0.25, 1.0])
    assert frame["per_pupil"].tolist() == values
    assert frame["pupils"].tolist() == [4, 8, 4]


def test_quartile_ratio_with_straddling_schools():
    v = vertical_metrics(QUART_VALUES, QUART_PUPILS, QUART_POOR)
    # Q1 = 1 pupil of A ($100) + 1 of B ($120) -> 110; Q4 = 1 of C ($150) + D ($170) -> 160.
    assert v["low_poverty_quartile_mean"] == pytest.approx(110.0)
    assert v["high_poverty_quartile_mean"] == pytest.approx(160.0)
    assert v["quartile_ratio"] == pytest.approx(160 / 110)  # 1.4545


def test_quartile_bars_with_straddling_schools():
    bars = quartile_bars(QUART_VALUES, QUART_PUPILS, QUART_POOR)
    assert bars["quartile"].tolist() == [1, 2, 3, 4]
    # Means: Q1 (100 + 120) / 2, Q2 = B, Q3 = C, Q4 (150 + 170) / 2.
    assert bars["mean_per_pupil"].tolist() == pytest.approx([110.0, 120.0, 150.0, 160.0])
    assert bars["pupils"].tolist() == pytest.approx([2.0, 2.0, 2.0, 2.0])  # 8 pupils / 4
    # Shares: Q1 (0 + 1/3) / 2 = 1/6, Q2 1/3, Q3 2/3, Q4 (2/3 + 1) / 2 = 5/6.
    assert bars["poverty_share"].tolist() == pytest.approx([1 / 6, 1 / 3, 2 / 3, 5 / 6])


def test_quartiles_pool_schools_with_equal_poverty_share():
    # A: share 0, 1 pupil, $100; B and C: share 0.5, 2 pupils each, $200 and $300; D: share 1,
    # 3 pupils, $400. W = 8, quarter = 2. B and C are tied, so they are pooled (mean $250) over
    # pupils 1-5 whatever their order. Q1 = 1 of A + 1 of the pool = (100 + 250) / 2 = 175.
    # Q4 = 2 of D = 400. Ratio 400 / 175 = 2.2857.
    for order in ([0, 1, 2, 3], [0, 2, 1, 3], [3, 2, 1, 0]):
        values = np.array([100.0, 200.0, 300.0, 400.0])[order]
        pupils = np.array([1, 2, 2, 3])[order]
        poor = np.array([0, 1, 1, 3])[order]
        v = vertical_metrics(values, pupils, poor)
        assert v["low_poverty_quartile_mean"] == pytest.approx(175.0)
        assert v["quartile_ratio"] == pytest.approx(400 / 175)


def test_lorenz_points_hand_computed():
    # $30 x 1 pupil and $10 x 3 pupils: sorted 10 first. Total dollars 30 + 30 = 60.
    # Points: (0, 0), (3/4, 30/60), (1, 1).
    pts = lorenz_points([30.0, 10.0], [1, 3])
    assert list(pts.columns) == ["pupil_share", "dollar_share"]
    assert pts["pupil_share"].tolist() == pytest.approx([0.0, 0.75, 1.0])
    assert pts["dollar_share"].tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert pts.iloc[-1].tolist() == [1.0, 1.0]


def test_lorenz_area_gives_gini():
    # Independent check: Gini = 1 - 2 x area under the Lorenz curve (trapezoids), on the example.
    pts = lorenz_points(MC_VALUES, MC_PUPILS)
    p, d = pts["pupil_share"].to_numpy(), pts["dollar_share"].to_numpy()
    area = np.sum(np.diff(p) * (d[1:] + d[:-1]) / 2)
    assert equity_metrics(MC_VALUES, MC_PUPILS)["gini"] == pytest.approx(1 - 2 * area, rel=1e-12)


def test_poverty_scatter_keeps_series_index_and_drops_empty_schools():
    values = pd.Series([100.0, np.nan, 300.0], index=["a", "b", "c"])
    frame, line = poverty_scatter(values, [10, 0, 10], [2, 0, 8])
    assert frame.index.tolist() == ["a", "c"]
    # Two points (0.2, 100), (0.8, 300): slope = 200 / 0.6 = 333.33; intercept = 100 - 333.33 x 0.2.
    assert line["slope"] == pytest.approx(200 / 0.6)
    assert line["intercept"] == pytest.approx(100 - 200 / 0.6 * 0.2)


# --------------------------------------------------------------------------------------------------
# Agreement with textbook formulas on data expanded to one row per pupil
# --------------------------------------------------------------------------------------------------


def rank_gini(x: np.ndarray) -> float:
    """Gini of equally weighted values by the rank formula G = sum_i (2i - n - 1) x_(i) / (n^2 mean),
    with x_(1) <= ... <= x_(n): the standard rank form of the mean-difference definition (the code
    uses pupil-weighted gaps between sorted schools instead)."""
    xs = np.sort(x)
    n = xs.size
    i = np.arange(1, n + 1)
    return float(np.dot(2 * i - n - 1, xs) / (n * n * xs.mean()))


def definition_theil(x: np.ndarray) -> float:
    """Theil T of equally weighted values by its definition: mean of (x / mean) ln(x / mean)."""
    r = x / x.mean()
    return float(np.mean(r * np.log(r)))


def test_rank_gini_and_theil_on_hand_computed_values():
    """The two reference formulas themselves, on values worked by hand."""
    x = np.array([1.0, 2.0, 3.0, 4.0])
    # Gini of 1, 2, 3, 4: ordered pairs |xi - xj| sum to 2 x (1+2+3+1+2+1) = 20; mean 2.5;
    # G = 20 / (2 x 4^2 x 2.5) = 20 / 80 = 0.25. Rank formula: (-3x1 - 1x2 + 1x3 + 3x4) / (16 x 2.5) = 10 / 40.
    assert rank_gini(x) == pytest.approx(0.25, rel=1e-12)
    # Theil T: r = 0.4, 0.8, 1.2, 1.6; (0.4 ln 0.4 + 0.8 ln 0.8 + 1.2 ln 1.2 + 1.6 ln 1.6) / 4
    #        = (-0.366516 - 0.178515 + 0.218786 + 0.752005) / 4 = 0.425760 / 4 = 0.106440.
    assert definition_theil(x) == pytest.approx(0.106440, abs=1e-6)
    m = equity_metrics([4.0, 1.0, 3.0, 2.0], [1, 1, 1, 1])
    assert m["gini"] == pytest.approx(0.25, rel=1e-12)
    assert m["theil_t"] == pytest.approx(0.106440, abs=1e-6)
    # One pupil holding everything among n has Gini (n - 1) / n: 0, 0, 0, 12 -> 3/4.
    # (rank: (-3x0 - 1x0 + 1x0 + 3x12) / (16 x 3) = 36 / 48)
    assert rank_gini(np.array([0.0, 0.0, 0.0, 12.0])) == pytest.approx(0.75, rel=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_agrees_with_textbook_formulas_on_expanded_data(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    values = rng.uniform(4000, 16000, n).round(2)
    if n > 3:  # some ties
        values[1] = values[0]
    pupils = rng.integers(1, 25, n)
    x = np.repeat(values, pupils)  # one row per pupil

    m = equity_metrics(values, pupils)
    assert m["gini"] == pytest.approx(rank_gini(x), rel=1e-9, abs=1e-12)
    assert m["theil_t"] == pytest.approx(definition_theil(x), rel=1e-9, abs=1e-12)
    assert m["mean"] == pytest.approx(np.mean(x), rel=1e-12)
    assert m["cv"] == pytest.approx(np.std(x, ddof=0) / np.mean(x), rel=1e-9, abs=1e-12)
    assert m["mld"] == pytest.approx(np.mean(np.log(np.mean(x) / x)), rel=1e-9, abs=1e-12)
    geometric = np.exp(np.mean(np.log(x)))
    assert m["atkinson"] == pytest.approx(1 - geometric / np.mean(x), rel=1e-9, abs=1e-12)
    for key, q in (("p5", 5), ("median", 50), ("p95", 95)):
        assert m[key] == np.percentile(x, q, method="inverted_cdf")
    assert (m["min"], m["max"]) == (x.min(), x.max())

    # McLoone / Verstegen on the expanded data: the first W/2 pupils in order (half a pupil when W
    # is odd, that pupil being the median one).
    xs = np.sort(x)
    half = x.size / 2
    k = int(np.floor(half))
    bottom = xs[:k].sum() + (half - k) * (xs[k] if k < xs.size else 0.0)
    med = np.percentile(x, 50, method="inverted_cdf")
    assert m["mcloone"] == pytest.approx(bottom / (med * half), rel=1e-9)
    assert m["verstegen"] == pytest.approx((x.sum() - bottom) / (med * half), rel=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_vertical_agrees_with_expanded_data(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(2, 30))
    values = rng.uniform(4000, 16000, n)
    pupils = rng.integers(1, 20, n)
    poor = rng.integers(0, pupils + 1)
    # One row per pupil with a 0/1 poor flag and the school's poverty share.
    x = np.repeat(values, pupils)
    flag = np.concatenate([np.r_[np.ones(p), np.zeros(t - p)] for p, t in zip(poor, pupils)])
    share = np.repeat(poor / pupils, pupils)

    v = vertical_metrics(values, pupils, poor)
    if flag.any():
        assert v["poor_mean"] == pytest.approx(x[flag == 1].mean(), rel=1e-12)
    if (flag == 0).any():
        assert v["nonpoor_mean"] == pytest.approx(x[flag == 0].mean(), rel=1e-12)
    if np.ptp(share) > 0:
        slope = np.polyfit(share, x, 1)[0]  # ordinary least squares on pupils = weighted on schools
        assert v["poverty_slope_per_10pts"] == pytest.approx(0.1 * slope, rel=1e-7)
    # Quartiles of pupils: pupils ordered by share, within a share the pooled mean applies, so
    # replace each pupil's dollars by the mean of its share level, then split 4 ways (fractionally).
    levels, inv = np.unique(share, return_inverse=True)
    level_mean = np.bincount(inv, weights=x) / np.bincount(inv)
    y = level_mean[inv][np.argsort(share, kind="stable")]
    W = y.size
    edges = np.arange(W + 1)

    def quarter_mean(a, b):
        cover = np.clip(np.minimum(edges[1:], b) - np.maximum(edges[:-1], a), 0, None)
        return np.dot(cover, y) / cover.sum()

    assert v["low_poverty_quartile_mean"] == pytest.approx(quarter_mean(0, W / 4), rel=1e-9)
    assert v["high_poverty_quartile_mean"] == pytest.approx(quarter_mean(3 * W / 4, W), rel=1e-9)


@given(
    st.lists(
        st.tuples(st.floats(1.0, 1e5), st.floats(0.01, 500.0)),
        min_size=1,
        max_size=30,
    )
)
@settings(max_examples=100, deadline=None)
def test_gini_matches_quadratic_formula_with_fractional_weights(schools):
    x = np.array([s[0] for s in schools])
    w = np.array([s[1] for s in schools])
    mu = np.dot(w, x) / w.sum()
    brute = np.sum(np.outer(w, w) * np.abs(x[:, None] - x[None, :])) / (2 * w.sum() ** 2 * mu)
    assert equity_metrics(x, w)["gini"] == pytest.approx(brute, rel=1e-9, abs=1e-12)


# --------------------------------------------------------------------------------------------------
# Hypothesis properties
# --------------------------------------------------------------------------------------------------

school = st.tuples(
    st.floats(1.0, 1e5, allow_nan=False),  # dollars per pupil
    st.integers(1, 60),  # pupils
)
schools = st.lists(school, min_size=1, max_size=25)

SCALE_FREE = [
    "cv", "gini", "theil_t", "mld", "atkinson", "mcloone", "verstegen", "federal_range_ratio",
]


def _arrays(data):
    return np.array([d[0] for d in data]), np.array([d[1] for d in data], dtype=float)


@given(schools, st.floats(0.01, 100.0))
@settings(max_examples=150, deadline=None)
def test_scale_invariance(data, c):
    x, w = _arrays(data)
    a = equity_metrics(x, w)
    b = equity_metrics(x * c, w)
    for key in SCALE_FREE:
        assert b[key] == pytest.approx(a[key], rel=1e-8, abs=1e-10), key
    for key in ["mean", "median", "p5", "p95", "range"]:
        assert b[key] == pytest.approx(c * a[key], rel=1e-9, abs=1e-9), key


@given(
    st.lists(
        st.tuples(st.floats(1.0, 1e5), st.integers(1, 30), st.floats(0, 1)),
        min_size=1,
        max_size=20,
    ),
    st.data(),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_splitting_a_school_in_two_identical_halves_changes_nothing(data, draw):
    x = np.array([d[0] for d in data])
    w = np.array([2.0 * d[1] for d in data])  # even pupil counts 2k
    p = np.array([np.floor(d[2] * d[1]) * 2 for d in data])  # even poor counts <= pupils
    i = draw.draw(st.integers(0, len(data) - 1))
    # School i becomes two schools with k pupils each (one stays in place, a copy goes last).
    x2, w2, p2 = np.append(x, x[i]), np.append(w, w[i] / 2), np.append(p, p[i] / 2)
    w2[i] /= 2
    p2[i] /= 2
    a, b = equity_metrics(x, w), equity_metrics(x2, w2)
    for key in a:
        assert b[key] == pytest.approx(a[key], rel=1e-9, abs=1e-10), key
    va, vb = vertical_metrics(x, w, p), vertical_metrics(x2, w2, p2)
    for key in va:
        if np.isnan(va[key]):
            assert np.isnan(vb[key]), key
        else:
            assert vb[key] == pytest.approx(va[key], rel=1e-9, abs=1e-7), key


@given(st.floats(0.01, 1e6), st.lists(st.integers(1, 100), min_size=1, max_size=30))
@settings(max_examples=100, deadline=None)
def test_equal_values_have_zero_inequality(value, pupils):
    m = equity_metrics([value] * len(pupils), pupils)
    assert m["gini"] == 0.0
    assert m["cv"] == 0.0
    assert m["theil_t"] == 0.0
    assert m["mld"] == 0.0
    assert m["atkinson"] == 0.0
    assert m["range"] == 0.0
    assert m["mcloone"] == pytest.approx(1.0, rel=1e-12)
    assert m["verstegen"] == pytest.approx(1.0, rel=1e-12)


@given(schools)
@settings(max_examples=150, deadline=None)
def test_mcloone_at_most_one_at_most_verstegen(data):
    x, w = _arrays(data)
    m = equity_metrics(x, w)
    assert m["mcloone"] <= 1.0 + 1e-12
    assert m["verstegen"] >= 1.0 - 1e-12
    assert 0.0 <= m["gini"] < 1.0
    assert m["p5"] <= m["median"] <= m["p95"]
    assert m["min"] <= m["mean"] <= m["max"]


# --------------------------------------------------------------------------------------------------
# Edge cases
# --------------------------------------------------------------------------------------------------


def test_empty_input_raises():
    with pytest.raises(ValueError, match="no schools"):
        equity_metrics([], [])
    with pytest.raises(ValueError, match="no schools"):
        vertical_metrics([], [], [])


def test_one_school():
    m = equity_metrics([9000.0], [250])
    assert m["mean"] == m["median"] == m["min"] == m["max"] == m["p5"] == m["p95"] == 9000.0
    zero = ["range", "restricted_range", "federal_range_ratio", "cv", "gini", "theil_t", "mld"]
    for key in zero + ["atkinson"]:
        assert m[key] == 0.0, key
    assert m["mcloone"] == pytest.approx(1.0)
    assert m["verstegen"] == pytest.approx(1.0)


def test_all_schools_equal_ratios_are_one():
    m = equity_metrics([7000.0] * 4, [10, 20, 30, 41])
    assert (m["gini"], m["cv"], m["theil_t"]) == (0.0, 0.0, 0.0)
    assert m["mcloone"] == pytest.approx(1.0)
    assert m["verstegen"] == pytest.approx(1.0)
    v = vertical_metrics([7000.0] * 4, [10, 20, 30, 41], [1, 10, 20, 40])
    assert v["poor_ratio"] == pytest.approx(1.0)
    assert v["quartile_ratio"] == pytest.approx(1.0)
    assert v["poor_gap"] == pytest.approx(0.0, abs=1e-9)
    assert v["poverty_slope_per_10pts"] == pytest.approx(0.0, abs=1e-9)


def test_zero_pupil_schools_are_ignored():
    # A zero-pupil school may have NaN dollars, or any value: it carries no weight.
    base = equity_metrics([100.0, 200.0], [1, 1])
    with_nan = equity_metrics([np.nan, 100.0, 200.0], [0, 1, 1])
    with_extreme = equity_metrics([100.0, 1e9, 200.0, -5.0], [1, 0, 1, 0])
    assert with_nan == base
    assert with_extreme == base
    assert base["max"] == 200.0 and base["min"] == 100.0
    v = vertical_metrics([np.nan, 100.0, 200.0], [0, 10, 10], [0, 2, 8])
    assert v == vertical_metrics([100.0, 200.0], [10, 10], [2, 8])
    assert len(lorenz_points([np.nan, 100.0, 200.0], [0, 1, 1])) == 3  # origin + 2 schools


def test_nan_value_in_school_with_pupils_names_position():
    with pytest.raises(ValueError, match=r"positions 2\b"):
        equity_metrics([100.0, 200.0, np.nan], [1, 1, 1])
    with pytest.raises(ValueError, match=r"positions 0, 1"):
        vertical_metrics([np.nan, np.inf, 3.0], [1, 1, 1], [0, 0, 0])


def test_non_positive_dollars_raise_for_log_measures():
    with pytest.raises(ValueError, match=r"Theil T, MLD and Atkinson.*positions 1, 3"):
        equity_metrics([100.0, 0.0, 50.0, -2.0], [1, 1, 1, 1])
    # The vertical measures have no logarithms and accept zero dollars.
    v = vertical_metrics([0.0, 10.0], [1, 1], [1, 0])
    assert v["poor_gap"] == pytest.approx(-10.0)  # 0 - 10


def test_negative_or_missing_pupils_raise():
    with pytest.raises(ValueError, match=r"negative at positions 1"):
        equity_metrics([1.0, 2.0], [3, -1])
    with pytest.raises(ValueError, match=r"pupils must be finite"):
        equity_metrics([1.0, 2.0], [3, np.nan])


def test_zero_total_pupils_raises():
    with pytest.raises(ValueError, match="total pupils is zero"):
        equity_metrics([1.0, 2.0], [0, 0])


def test_poor_out_of_range_raises():
    with pytest.raises(ValueError, match=r"exceed pupils at positions 1"):
        vertical_metrics([1.0, 2.0], [10, 10], [5, 11])
    with pytest.raises(ValueError, match=r"poor must not be negative"):
        vertical_metrics([1.0, 2.0], [10, 10], [-1, 2])
    with pytest.raises(ValueError, match=r"poor"):
        quartile_bars([1.0, 2.0], [10, 10], [5, 11])
    with pytest.raises(ValueError, match=r"exceed pupils at positions 0"):
        vertical_metrics([np.nan, 2.0], [0, 10], [3, 5])  # poor in a school with no pupils
    with pytest.raises(ValueError, match=r"poor must be finite numbers; not at positions 1"):
        vertical_metrics([1.0, 2.0], [10, 10], [5, np.nan])


def test_length_mismatch_and_bad_epsilon_raise():
    with pytest.raises(ValueError, match="3 schools but pupils has 2"):
        equity_metrics([1.0, 2.0, 3.0], [1, 1])
    with pytest.raises(ValueError, match="atkinson_epsilon"):
        equity_metrics([1.0, 2.0], [1, 1], atkinson_epsilon=-1)


def test_undefined_vertical_measures_are_nan():
    # No poor pupils at all: poor mean, gap and ratio are undefined; every school at share 0 means
    # no slope either. Quartile means still exist.
    v = vertical_metrics([1.0, 2.0], [10, 10], [0, 0])
    assert np.isnan(v["poor_mean"]) and np.isnan(v["poor_gap"]) and np.isnan(v["poor_ratio"])
    assert np.isnan(v["poverty_slope_per_10pts"])
    assert v["nonpoor_mean"] == pytest.approx(1.5)
    _, line = poverty_scatter([1.0, 2.0], [10, 10], [0, 0])
    assert np.isnan(line["slope"]) and np.isnan(line["intercept"])


def test_lorenz_rejects_negative_and_zero_total():
    with pytest.raises(ValueError, match="negative at positions 0"):
        lorenz_points([-1.0, 2.0], [1, 1])
    with pytest.raises(ValueError, match="total dollars is zero"):
        lorenz_points([0.0, 0.0], [1, 1])


# --------------------------------------------------------------------------------------------------
# The board report
# --------------------------------------------------------------------------------------------------

ENROLLMENT = np.array([100, 200, 300, 400])
POOR = np.array([10, 60, 150, 320])  # shares 0.1, 0.3, 0.5, 0.8
WEIGHTED = ENROLLMENT + 0.5 * POOR


def _report():
    allocations = {
        "Prior year": ENROLLMENT * np.array([11000.0, 10000.0, 9500.0, 9000.0]),
        "Scenario A": ENROLLMENT * 10000.0,  # equal per pupil
        "Scenario B": WEIGHTED * 9000.0,  # equal per weighted pupil, more to poor schools
    }
    return allocations, equity_report(allocations, ENROLLMENT, WEIGHTED, POOR)


def test_report_layout():
    _, r = _report()
    assert list(r.columns) == [
        "basis",
        "measure",
        "label",
        "Prior year",
        "Scenario A",
        "Scenario B",
        "better_when",
        "Scenario A change vs Prior year",
        "Scenario B change vs Prior year",
        "reading",
    ]
    per_pupil = r[r.basis == "per pupil"]
    per_weighted = r[r.basis == "per weighted pupil"]
    assert len(per_pupil) == 16 + 8
    assert len(per_weighted) == 16
    assert "quartile_ratio" in set(per_pupil.measure)
    assert "quartile_ratio" not in set(per_weighted.measure)
    labels = r.set_index(["basis", "measure"])["label"]
    assert labels.loc[("per pupil", "cv")] == "Coefficient of variation"
    assert r["reading"].str.len().gt(20).all()


def test_report_values_match_identities():
    allocations, r = _report()
    t = r.set_index(["basis", "measure"])
    for name, dollars in allocations.items():
        # Pupil-weighted mean of dollars per pupil = total dollars / total pupils.
        assert t.loc[("per pupil", "mean"), name] == pytest.approx(dollars.sum() / ENROLLMENT.sum())
        per_weighted = dollars.sum() / WEIGHTED.sum()
        assert t.loc[("per weighted pupil", "mean"), name] == pytest.approx(per_weighted)
    # Scenario A is equal per pupil; Scenario B equal per weighted pupil.
    assert t.loc[("per pupil", "gini"), "Scenario A"] == 0.0
    assert t.loc[("per weighted pupil", "cv"), "Scenario B"] == pytest.approx(0.0, abs=1e-12)
    # Scenario B per pupil = 9000 x (1 + 0.5 share): poor students get more, slope 4500/unit share.
    assert t.loc[("per pupil", "poverty_slope_per_10pts"), "Scenario B"] == pytest.approx(450.0)


def test_report_directions_and_markers():
    _, r = _report()
    t = r.set_index(["basis", "measure"])
    expected = {
        "range": "lower",
        "restricted_range": "lower",
        "federal_range_ratio": "lower",
        "cv": "lower",
        "gini": "lower",
        "theil_t": "lower",
        "mld": "lower",
        "atkinson": "lower",
        "mcloone": "higher",
        "verstegen": "lower",
        "poor_gap": "higher",
        "poor_ratio": "higher",
        "poverty_slope_per_10pts": "higher",
        "quartile_ratio": "higher",
        "mean": "—",
        "median": "—",
    }
    for key, direction in expected.items():
        assert t.loc[("per pupil", key), "better_when"] == direction, key
    a = "Scenario A change vs Prior year"
    b = "Scenario B change vs Prior year"
    # Prior year per pupil: 11000, 10000, 9500, 9000 (unequal); Scenario A: all 10000 (equal).
    assert t.loc[("per pupil", "cv"), a] == "better"
    assert t.loc[("per pupil", "mcloone"), a] == "better"
    # Prior year gives less to poorer schools (slope < 0); A has slope 0; B has slope > 0.
    assert t.loc[("per pupil", "poverty_slope_per_10pts"), a] == "better"
    assert t.loc[("per pupil", "quartile_ratio"), b] == "better"
    # Per weighted pupil, Scenario B is perfectly equal: lower Gini than Prior year.
    assert t.loc[("per weighted pupil", "gini"), b] == "better"
    assert t.loc[("per pupil", "mean"), a] == "—"
    # Per pupil Scenario B is less equal than Scenario A; make a report comparing them directly.
    allocations, _ = _report()
    r2 = equity_report(
        {
            "A": allocations["Scenario A"],
            "B": allocations["Scenario B"],
            "A again": allocations["Scenario A"],
        },
        ENROLLMENT,
        WEIGHTED,
        POOR,
    )
    t2 = r2.set_index(["basis", "measure"])
    assert t2.loc[("per pupil", "gini"), "B change vs A"] == "worse"
    assert t2.loc[("per pupil", "verstegen"), "B change vs A"] == "worse"
    assert t2.loc[("per pupil", "gini"), "A again change vs A"] == "same"


def test_report_reading_for_quartile_ratio():
    # Four schools of 10 pupils, poverty shares 0, 0.2, 0.5, 0.9, so each school is one quartile.
    # The poorest school gets $118 per pupil, the rest $100: Q4 / Q1 = 118 / 100 = 1.18.
    enrollment = np.array([10, 10, 10, 10])
    poor = np.array([0, 2, 5, 9])
    allocations = {
        "Prior year": enrollment * 100.0,
        "Scenario": enrollment * np.array([100, 100, 100, 118.0]),
    }
    r = equity_report(allocations, enrollment, enrollment, poor).set_index(["basis", "measure"])
    assert r.loc[("per pupil", "quartile_ratio"), "Scenario"] == pytest.approx(1.18)
    reading = r.loc[("per pupil", "quartile_ratio"), "reading"]
    assert reading.startswith(
        "The poorest quarter of students gets 1.180 times the funding per pupil"
        " of the least poor quarter"
    )
    assert "(Prior year: 1.000)" in reading  # 3 decimals, as the table beside it writes the ratio


def test_report_weighted_enrollment_by_scenario_and_errors():
    allocations = {"X": ENROLLMENT * 10000.0, "Y": ENROLLMENT * 10000.0}
    r = equity_report(allocations, ENROLLMENT, {"X": ENROLLMENT, "Y": WEIGHTED}, POOR)
    t = r.set_index(["basis", "measure"])
    assert t.loc[("per weighted pupil", "mean"), "X"] == pytest.approx(10000.0)
    expected = ENROLLMENT.sum() * 1e4 / WEIGHTED.sum()
    assert t.loc[("per weighted pupil", "mean"), "Y"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="keys must match"):
        equity_report(allocations, ENROLLMENT, {"X": ENROLLMENT}, POOR)
    with pytest.raises(ValueError, match="allocations is empty"):
        equity_report({}, ENROLLMENT, WEIGHTED, POOR)


def test_report_ignores_zero_enrollment_school():
    enrollment = np.array([100, 0, 100])
    allocations = {"Only": np.array([1e6, 5e5, 1e6])}  # the empty school's money has no pupils
    r = equity_report(allocations, enrollment, enrollment, np.array([10, 0, 50]))
    t = r.set_index(["basis", "measure"])
    assert t.loc[("per pupil", "mean"), "Only"] == pytest.approx(10000.0)
    assert t.loc[("per pupil", "range"), "Only"] == 0.0
    assert list(r.columns) == ["basis", "measure", "label", "Only", "better_when", "reading"]


def test_report_readings_write_figures_as_the_table_does():
    """Four schools of 10 pupils at $100, $100, $100 and $118 per pupil (poverty 0, 20, 50, 90%): the
    quartile ratio 118 / 100 reads '1.180 times' and the 5th-95th gap, (118 - 100) / 100 = 18%, reads
    '18.0% more' (one decimal, as the table and the cards write a share), not '18% more'."""
    enrollment = np.array([10, 10, 10, 10])
    poor = np.array([0, 2, 5, 9])
    allocations = {"Prior year": enrollment * 100.0, "Scenario": enrollment * np.array([100, 100, 100, 118.0])}
    r = equity_report(allocations, enrollment, enrollment, poor).set_index(["basis", "measure"])
    assert r.loc[("per pupil", "federal_range_ratio"), "Scenario"] == pytest.approx(0.18)
    assert "get 18.0% more per pupil" in r.loc[("per pupil", "federal_range_ratio"), "reading"]
    assert "gets 1.180 times" in r.loc[("per pupil", "quartile_ratio"), "reading"]
