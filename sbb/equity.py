"""Equity measures of a school allocation, with pupils as the unit.

Conventions (see the "Equity metrics: the conventions" section of the product notes):

* Every measure over schools is weighted by the school's pupils: enrollment for dollars per pupil,
  weighted enrollment for dollars per weighted pupil. A school with 12 pupils counts as 12
  observations of its per-pupil value. Schools with zero pupils carry no weight and are ignored
  (their per-pupil value may be NaN).
* Percentiles are percentiles of pupils: the lower inverse of the pupil-weighted distribution,
  ``P_q`` = the smallest value ``v`` such that the share of pupils with value ``<= v`` is ``>= q``
  (numpy's ``method="inverted_cdf"`` on the data expanded to one row per pupil).
* Population measures: no small-sample correction anywhere (the SD divides by total pupils).
* Dollar amounts are in the units given (dollars per pupil or per weighted pupil); ratios and
  indices are unit-free.

Errors are raised as ``ValueError`` with the 0-based positions of the offending schools:
empty input, arrays of different lengths, NaN/infinite values in a school with pupils, negative or
non-finite pupils, zero total pupils, poor pupils outside ``0 .. pupils``. ``equity_metrics`` needs
every school with pupils to have a strictly positive value (Theil T, MLD and Atkinson take
logarithms, and the ratio measures divide by the mean, P5 and median) and raises rather than
returning a partial set of measures; ``equity_report`` instead accepts a school with pupils and $0
(a categorical program such as Minnesota's compensatory revenue skips low-poverty sites) and leaves
just those measures NaN. The vertical functions accept any finite values; a vertical
measure that is undefined for the data (no poor pupils, no non-poor pupils, every school at the
same poverty share, a zero denominator) is returned as NaN.

Directions used by ``equity_report`` ("better when"): lower is better for range, restricted range,
federal range ratio, CV, Gini, Theil T, MLD and Atkinson; higher is better for McLoone (1 = the
bottom half is at the median); lower is better for Verstegen (1 = the top half is at the median);
higher is better for the vertical comparisons (poor/non-poor gap and ratio, poverty slope,
quartile ratio), i.e. more money going to poor students. Levels (mean, median, min, max, P5, P95
and the group means) have no direction.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

__all__ = [
    "equity_metrics",
    "vertical_metrics",
    "lorenz_points",
    "poverty_scatter",
    "quartile_bars",
    "equity_report",
]

# Relative slack when comparing cumulative pupil counts with q x total pupils, so that float
# rounding in sums of fractional (weighted) enrollments cannot move a percentile to the next school.
_CUM_TOL = 1e-10


# --------------------------------------------------------------------------------------------------
# Input checking
# --------------------------------------------------------------------------------------------------


def _positions(mask: np.ndarray, limit: int = 10) -> str:
    """The 0-based positions where `mask` is true, as text (at most `limit`, then a count)."""
    where = np.flatnonzero(mask)
    shown = ", ".join(str(i) for i in where[:limit])
    if where.size > limit:
        shown += f" and {where.size - limit} more"
    return shown


def _as_1d(name: str, data) -> np.ndarray:
    try:
        arr = np.asarray(data, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numbers: {exc}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional list of schools, got shape {arr.shape}")
    return arr


def _clean(values, pupils, *, require: str = "finite"):
    """Check inputs and drop zero-pupil schools.

    Returns ``(x, w, keep)``: values and pupils of the schools with pupils > 0, and the boolean mask
    of those schools in the input. `require` is "finite", "nonnegative" or "positive" and applies to
    the values of schools with pupils.
    """
    x = _as_1d("values", values)
    w = _as_1d("pupils", pupils)
    if x.size == 0 or w.size == 0:
        raise ValueError("no schools: values and pupils are empty")
    if x.size != w.size:
        raise ValueError(f"values has {x.size} schools but pupils has {w.size}")
    bad = ~np.isfinite(w)
    if bad.any():
        raise ValueError(f"pupils must be finite numbers; not at positions {_positions(bad)}")
    bad = w < 0
    if bad.any():
        raise ValueError(f"pupils must not be negative; negative at positions {_positions(bad)}")
    keep = w > 0
    if not keep.any():
        raise ValueError("total pupils is zero: there is no pupil to weight the measures by")
    bad = keep & ~np.isfinite(x)
    if bad.any():
        raise ValueError(
            "values must be finite for every school with pupils; "
            f"missing or infinite at positions {_positions(bad)}"
        )
    if require == "positive":
        bad = keep & (x <= 0)
        if bad.any():
            raise ValueError(
                "Theil T, MLD and Atkinson (logarithms) and the ratio measures need positive "
                f"per-pupil dollars; zero or negative at positions {_positions(bad)}"
            )
    elif require == "nonnegative":
        bad = keep & (x < 0)
        if bad.any():
            raise ValueError(
                f"values must not be negative; negative at positions {_positions(bad)}"
            )
    return x[keep], w[keep], keep


def _clean_with_poor(values, pupils, poor):
    """`_clean` plus the poor-pupil counts; returns ``(x, w, p, keep)`` for schools with pupils.

    Poor counts must be finite for schools with pupils (a zero-pupil school may have NaN) and
    ``0 <= poor <= pupils`` wherever they are given.
    """
    x, w, keep = _clean(values, pupils)
    pupils_all = _as_1d("pupils", pupils)
    pr = _as_1d("poor", poor)
    if pr.size != keep.size:
        raise ValueError(f"poor has {pr.size} schools but pupils has {keep.size}")
    bad = keep & ~np.isfinite(pr)
    if bad.any():
        raise ValueError(f"poor must be finite numbers; not at positions {_positions(bad)}")
    bad = pr < 0
    if bad.any():
        raise ValueError(f"poor must not be negative; negative at positions {_positions(bad)}")
    bad = pr > pupils_all
    if bad.any():
        raise ValueError(f"poor pupils exceed pupils at positions {_positions(bad)}")
    return x, w, pr[keep], keep


# --------------------------------------------------------------------------------------------------
# Weighted building blocks (inputs already clean: w > 0, x finite)
# --------------------------------------------------------------------------------------------------


def _weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    """Pupil-weighted mean; exactly the common value when every value is equal."""
    lo, hi = x.min(), x.max()
    if lo == hi:
        return float(lo)
    return float(np.clip(np.dot(w, x) / w.sum(), lo, hi))


def _lower_quantile(xs: np.ndarray, cw: np.ndarray, q: float) -> float:
    """Lower inverse of the weighted distribution: xs sorted, cw the cumulative weights."""
    total = cw[-1]
    i = np.searchsorted(cw, q * total - _CUM_TOL * total, side="left")
    return float(xs[min(int(i), xs.size - 1)])


def _wls_line(s: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Weighted least-squares line x = a + b s; NaN for both when s does not vary."""
    W = w.sum()
    s_bar = np.dot(w, s) / W
    x_bar = np.dot(w, x) / W
    ds = s - s_bar
    sxx = np.dot(w, ds * ds)
    if not sxx > 0:
        return float("nan"), float("nan")
    slope = np.dot(w, ds * (x - x_bar)) / sxx
    return float(x_bar - slope * s_bar), float(slope)


def _poverty_quartiles(x: np.ndarray, w: np.ndarray, p: np.ndarray):
    """Quartiles of pupils ordered by school poverty share (quartile 1 = lowest poverty).

    Schools with the same poverty share are pooled first (so ties have no arbitrary order); a
    school or pooled group straddling a quartile boundary is split fractionally, its pupils
    counting in each quartile in proportion. Returns per-quartile arrays (pupils, mean per-pupil
    dollars, poverty share), each of length 4.
    """
    share = p / w
    levels, group = np.unique(share, return_inverse=True)
    gw = np.bincount(group, weights=w)
    gd = np.bincount(group, weights=w * x)
    g_mean = gd / gw
    hi_edge = np.cumsum(gw)
    lo_edge = np.concatenate(([0.0], hi_edge[:-1]))
    bounds = hi_edge[-1] * np.arange(5) / 4.0
    top = np.minimum(hi_edge[:, None], bounds[None, 1:])
    bottom = np.maximum(lo_edge[:, None], bounds[None, :-1])
    overlap = np.clip(top - bottom, 0.0, None)  # pupils of group g in quartile k
    q_pupils = overlap.sum(axis=0)
    q_mean = (overlap * g_mean[:, None]).sum(axis=0) / q_pupils
    q_share = (overlap * levels[:, None]).sum(axis=0) / q_pupils
    return q_pupils, q_mean, q_share


# --------------------------------------------------------------------------------------------------
# Public measures
# --------------------------------------------------------------------------------------------------


def equity_metrics(values, pupils, *, atkinson_epsilon: float = 1.0) -> dict[str, float]:
    """Horizontal equity measures of per-pupil dollars, weighted by pupils.

    `values` are dollars per pupil (or per weighted pupil) for each school and `pupils` the pupil
    counts used as weights (enrollment, or weighted enrollment). With ``W`` = total pupils,
    ``mu`` = sum(w x) / W and ``r = x / mu``:

    * ``mean`` = mu; ``median``, ``p5``, ``p95`` = lower-inverse pupil percentiles (dollars);
    * ``min``, ``max``, ``range`` = max - min over schools with pupils (dollars);
    * ``restricted_range`` = P95 - P5 (dollars); ``federal_range_ratio`` = (P95 - P5) / P5;
    * ``cv`` = sqrt(sum w (x - mu)^2 / W) / mu (population SD);
    * ``mcloone`` = dollars of the lowest-funded half of pupils / (median x W / 2), taking the
      needed fraction of the median school's pupils so that exactly W / 2 pupils count (<= 1);
    * ``verstegen`` = dollars of the highest-funded half of pupils / (median x W / 2) (>= 1);
    * ``gini`` = sum_i sum_j w_i w_j |x_i - x_j| / (2 W^2 mu), computed in O(n log n);
    * ``theil_t`` = sum w r ln r / W; ``mld`` (Theil L) = -sum w ln r / W;
    * ``atkinson`` = 1 - (sum w r^(1-e) / W)^(1/(1-e)), and 1 - exp(-mld) at e = 1.

    Every school with pupils must have a positive value (ValueError otherwise, naming positions).

    The public McLoone worked example: 38 pupils, half = 19, median 45; the bottom half is the 12
    pupils at 24 plus 7 of the 8 pupils at 45, i.e. (288 + 315) / (45 x 19):

    >>> m = equity_metrics([1000, 200, 100, 60, 45, 24], [2, 4, 6, 6, 8, 12])
    >>> m["median"], round(m["mcloone"], 4)
    (45.0, 0.7053)
    """
    return _horizontal(values, pupils, atkinson_epsilon, "positive")


def _horizontal(values, pupils, atkinson_epsilon: float, require: str) -> dict[str, float]:
    """`equity_metrics`; with require="nonnegative" a school with pupils may have $0, and each
    measure that then divides by zero or takes the logarithm of zero is NaN (the others are as
    defined: mean, percentiles, range, and CV and Gini while the mean is positive)."""
    eps = float(atkinson_epsilon)
    if not (np.isfinite(eps) and eps >= 0):
        raise ValueError(f"atkinson_epsilon must be a finite number >= 0, got {atkinson_epsilon!r}")
    x, w, _ = _clean(values, pupils, require=require)
    if require != "positive" and not (x > 0).all():
        return _horizontal_with_zeros(x, w)

    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cw = np.cumsum(ws)
    W = cw[-1]
    half = W / 2.0

    mu = _weighted_mean(xs, ws)
    median = _lower_quantile(xs, cw, 0.5)
    p5 = _lower_quantile(xs, cw, 0.05)
    p95 = _lower_quantile(xs, cw, 0.95)
    lo, hi = float(xs[0]), float(xs[-1])

    r = xs / mu
    cv = float(np.sqrt(np.dot(ws, (r - 1.0) ** 2) / W))

    # Pupils of each school that fall in the lowest-funded half (the median school split).
    prev = cw - ws
    bottom_w = np.clip(np.minimum(cw, half) - prev, 0.0, None)
    rel = xs / median
    bottom = float(np.dot(bottom_w, rel))
    top = float(np.dot(ws - bottom_w, rel))
    mcloone = bottom / half
    verstegen = top / half

    # Gini from the gaps between consecutive sorted values: each gap separates cw[k] pupils
    # below from W - cw[k] pupils above.
    gaps = np.diff(xs)
    gini = float(np.dot(gaps, cw[:-1] * (W - cw[:-1])) / (W * W * mu))

    log_r = np.log(r)
    # Both are >= 0 mathematically; clip float dust from values that are equal up to rounding.
    theil_t = max(0.0, float(np.dot(ws, r * log_r) / W))
    mld = max(0.0, float(-np.dot(ws, log_r) / W))
    if eps == 1.0:
        atkinson = float(-np.expm1(-mld))
    else:
        atkinson = max(0.0, float(1.0 - (np.dot(ws, r ** (1.0 - eps)) / W) ** (1.0 / (1.0 - eps))))

    result = {
        "mean": mu,
        "median": median,
        "min": lo,
        "max": hi,
        "range": hi - lo,
        "p5": p5,
        "p95": p95,
        "restricted_range": p95 - p5,
        "federal_range_ratio": (p95 - p5) / p5,
        "cv": cv,
        "mcloone": mcloone,
        "verstegen": verstegen,
        "gini": gini,
        "theil_t": theil_t,
        "mld": mld,
        "atkinson": atkinson,
    }
    return {k: float(v) for k, v in result.items()}


def _horizontal_with_zeros(x: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """The horizontal measures when some school with pupils has $0 (values >= 0, cleaned): the
    logarithmic ones (Theil T, MLD, Atkinson) are NaN, the ratios to P5 or the median NaN where
    those are 0, the rest as in `equity_metrics`."""
    nan = float("nan")
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cw = np.cumsum(ws)
    W = cw[-1]
    half = W / 2.0
    mu = _weighted_mean(xs, ws)
    median = _lower_quantile(xs, cw, 0.5)
    p5, p95 = _lower_quantile(xs, cw, 0.05), _lower_quantile(xs, cw, 0.95)
    lo, hi = float(xs[0]), float(xs[-1])
    cv = gini = nan
    if mu > 0:
        r = xs / mu
        cv = float(np.sqrt(np.dot(ws, (r - 1.0) ** 2) / W))
        gini = float(np.dot(np.diff(xs), cw[:-1] * (W - cw[:-1])) / (W * W * mu))
    mcloone = verstegen = nan
    if median > 0:
        bottom_w = np.clip(np.minimum(cw, half) - (cw - ws), 0.0, None)
        rel = xs / median
        mcloone, verstegen = float(np.dot(bottom_w, rel)) / half, float(np.dot(ws - bottom_w, rel)) / half
    result = {"mean": mu, "median": median, "min": lo, "max": hi, "range": hi - lo, "p5": p5, "p95": p95,
              "restricted_range": p95 - p5, "federal_range_ratio": (p95 - p5) / p5 if p5 > 0 else nan,
              "cv": cv, "mcloone": mcloone, "verstegen": verstegen, "gini": gini,
              "theil_t": nan, "mld": nan, "atkinson": nan}
    return {k: float(v) for k, v in result.items()}


def vertical_metrics(values, pupils, poor) -> dict[str, float]:
    """How per-pupil dollars follow poverty (vertical equity), weighted by pupils.

    `values` are dollars per pupil per school, `pupils` enrollment and `poor` the number of poor
    pupils (``0 <= poor <= pupils``); poverty share ``s = poor / pupils``.

    * ``poor_mean`` = sum(poor x) / sum(poor); ``nonpoor_mean`` = sum((pupils - poor) x) /
      sum(pupils - poor) (dollars per pupil); ``poor_gap`` = poor_mean - nonpoor_mean (dollars);
      ``poor_ratio`` = poor_mean / nonpoor_mean;
    * ``poverty_slope_per_10pts`` = 0.10 x the enrollment-weighted least-squares slope of x on s
      (dollars per pupil per 10 percentage points of poverty);
    * ``high_poverty_quartile_mean`` / ``low_poverty_quartile_mean``: mean dollars per pupil of the
      highest- / lowest-poverty quarter of pupils (schools ordered by s, a school straddling a
      quarter boundary split fractionally, schools with equal s pooled); ``quartile_ratio`` =
      high / low.

    Undefined measures are NaN (no poor or no non-poor pupils, no variation in s, zero denominator).

    >>> v = vertical_metrics([12000, 10000], [100, 100], [80, 20])
    >>> v["poor_mean"], v["nonpoor_mean"], round(v["poverty_slope_per_10pts"], 2)
    (11600.0, 10400.0, 333.33)
    """
    x, w, p, _ = _clean_with_poor(values, pupils, poor)
    nonpoor = w - p
    n_poor, n_nonpoor = p.sum(), nonpoor.sum()
    poor_mean = float(np.dot(p, x) / n_poor) if n_poor > 0 else float("nan")
    nonpoor_mean = float(np.dot(nonpoor, x) / n_nonpoor) if n_nonpoor > 0 else float("nan")
    _, slope = _wls_line(p / w, x, w)
    _, q_mean, _ = _poverty_quartiles(x, w, p)
    low, high = float(q_mean[0]), float(q_mean[3])
    result = {
        "poor_mean": poor_mean,
        "nonpoor_mean": nonpoor_mean,
        "poor_gap": poor_mean - nonpoor_mean,
        "poor_ratio": _ratio(poor_mean, nonpoor_mean),
        "poverty_slope_per_10pts": 0.10 * slope,
        "high_poverty_quartile_mean": high,
        "low_poverty_quartile_mean": low,
        "quartile_ratio": _ratio(high, low),
    }
    return {k: float(v) for k, v in result.items()}


def _ratio(a: float, b: float) -> float:
    return a / b if b != 0 and np.isfinite(b) else float("nan")


def lorenz_points(values, pupils) -> pd.DataFrame:
    """Points of the pupil-weighted Lorenz curve of per-pupil dollars.

    Schools are sorted by per-pupil value (lowest first); row k holds the cumulative share of
    pupils (``pupil_share``) and of dollars (``dollar_share`` = cumulative sum of pupils x value
    over the total) of the first k schools. The first row is (0, 0) and the last (1, 1); there is
    one row per school with pupils, plus the origin. Values must be non-negative with a positive
    total.

    >>> lorenz_points([30, 10], [1, 1]).round(2).values.tolist()
    [[0.0, 0.0], [0.5, 0.25], [1.0, 1.0]]
    """
    x, w, _ = _clean(values, pupils, require="nonnegative")
    order = np.argsort(x, kind="stable")
    cw = np.cumsum(w[order])
    cd = np.cumsum(w[order] * x[order])
    if not cd[-1] > 0:
        raise ValueError("total dollars is zero: the Lorenz curve is undefined")
    return pd.DataFrame(
        {
            "pupil_share": np.concatenate(([0.0], cw / cw[-1])),
            "dollar_share": np.concatenate(([0.0], cd / cd[-1])),
        }
    )


def poverty_scatter(values, pupils, poor) -> tuple[pd.DataFrame, dict]:
    """Per-school poverty share vs per-pupil dollars, and the enrollment-weighted trend line.

    Returns a DataFrame with one row per school with pupils (indexed by the input's index when
    `values` is a pandas Series, else by 0-based position), columns ``poverty_share`` (0..1),
    ``per_pupil`` (dollars) and ``pupils``; and a dict with the weighted least-squares line
    ``per_pupil = intercept + slope x poverty_share`` (``slope`` in dollars per unit share, i.e.
    per 100 points; NaN for both when every school has the same share).
    """
    x, w, p, keep = _clean_with_poor(values, pupils, poor)
    index = values.index[keep] if isinstance(values, pd.Series) else np.flatnonzero(keep)
    share = p / w
    intercept, slope = _wls_line(share, x, w)
    frame = pd.DataFrame({"poverty_share": share, "per_pupil": x, "pupils": w}, index=index)
    return frame, {"intercept": intercept, "slope": slope}


def quartile_bars(values, pupils, poor) -> pd.DataFrame:
    """Mean per-pupil dollars by poverty quartile of pupils.

    Four rows, ``quartile`` 1 (lowest poverty) .. 4 (highest), with ``mean_per_pupil`` (dollars),
    ``pupils`` (a quarter of all pupils; fractional when a school straddles a boundary) and
    ``poverty_share`` (pupil-weighted poverty share of the quartile, 0..1). Schools are ordered by
    poverty share, schools with equal share pooled, and a school straddling a boundary split.
    """
    x, w, p, _ = _clean_with_poor(values, pupils, poor)
    q_pupils, q_mean, q_share = _poverty_quartiles(x, w, p)
    return pd.DataFrame(
        {
            "quartile": np.arange(1, 5),
            "mean_per_pupil": q_mean,
            "pupils": q_pupils,
            "poverty_share": q_share,
        }
    )


# --------------------------------------------------------------------------------------------------
# Board report
# --------------------------------------------------------------------------------------------------

_HORIZONTAL = [
    # key, label, better_when
    ("mean", "Average funding", "—"),
    ("median", "Median funding", "—"),
    ("min", "Lowest school", "—"),
    ("max", "Highest school", "—"),
    ("range", "Range (highest minus lowest)", "lower"),
    ("p5", "5th percentile", "—"),
    ("p95", "95th percentile", "—"),
    ("restricted_range", "Restricted range (95th minus 5th percentile)", "lower"),
    ("federal_range_ratio", "Federal range ratio", "lower"),
    ("cv", "Coefficient of variation", "lower"),
    ("mcloone", "McLoone index", "higher"),
    ("verstegen", "Verstegen index", "lower"),
    ("gini", "Gini coefficient", "lower"),
    ("theil_t", "Theil index", "lower"),
    ("mld", "Mean log deviation", "lower"),
    ("atkinson", "Atkinson index", "lower"),
]

_VERTICAL = [
    ("poor_mean", "Average funding of poor students", "—"),
    ("nonpoor_mean", "Average funding of non-poor students", "—"),
    ("poor_gap", "Poor minus non-poor funding", "higher"),
    ("poor_ratio", "Poor to non-poor funding ratio", "higher"),
    ("poverty_slope_per_10pts", "Funding change per 10 points of poverty", "higher"),
    ("high_poverty_quartile_mean", "Highest-poverty quarter: average funding", "—"),
    ("low_poverty_quartile_mean", "Lowest-poverty quarter: average funding", "—"),
    ("quartile_ratio", "Highest- to lowest-poverty quarter ratio", "higher"),
]


# How a value is written in a reading: (format of the value in the sentence, format of a value in
# brackets). Dollar gaps are written as an amount plus "more"/"less", so the bracket is signed.
_FORMATS = {
    "money": (lambda v: f"${v:,.0f}", lambda v: f"${v:,.0f}"),
    "gap": (lambda v: f"${abs(v):,.0f}", lambda v: f"{'-' if v < 0 else '+'}${abs(v):,.0f}"),
    "pct0": (lambda v: f"{v:.0%}", lambda v: f"{v:.0%}"),
    "pct1": (lambda v: f"{v:.1%}", lambda v: f"{v:.1%}"),
    # ratios to 3 decimals and shares to 1, as the page's tables and cards write them
    # (`sbb.figures.figure_text`): "1.144 times", not "1.14 times" beside a table reading 1.144
    "times": (lambda v: f"{v:.3f}", lambda v: f"{v:.3f}"),
    "index": (lambda v: f"{v:.4f}", lambda v: f"{v:.4f}"),
}

# One sentence template per measure: (format, template). In the template {v} is the formatted
# value, {more} "more"/"less" by its sign, {u} "per pupil"/"per weighted pupil" and {s} the
# students counted ("students"/"weighted students"; {S} capitalised).
_READINGS = {
    "mean": ("money", "The average funding is {v} {u}."),
    "median": ("money", "Half of {s} are in schools funded at or below {v} {u}."),
    "min": ("money", "The lowest-funded school gets {v} {u}."),
    "max": ("money", "The highest-funded school gets {v} {u}."),
    "range": (
        "money",
        "The highest-funded school gets {v} more {u} than the lowest-funded school.",
    ),
    "p5": ("money", "5% of {s} are in schools funded at or below {v} {u}."),
    "p95": ("money", "5% of {s} are in schools funded above {v} {u}."),
    "restricted_range": (
        "money",
        "Leaving out the top and bottom 5% of {s}, funding differs by at most {v} {u}.",
    ),
    "federal_range_ratio": (
        "pct1",
        "{S} at the 95th percentile get {v} more {u} than those at the 5th percentile.",
    ),
    "cv": ("pct1", "Funding {u} typically differs from the average by about {v}."),
    "mcloone": (
        "pct1",
        "The lower-funded half of {s} gets {v} of what it would take to bring them all up to the "
        "median.",
    ),
    "verstegen": (
        "times",
        "The better-funded half of {s} gets {v} times what it would get at the median.",
    ),
    "gini": (
        "index",
        "Funding inequality is {v} on a scale from 0 (all {s} funded equally) to 1 (all money in "
        "one school).",
    ),
    "theil_t": (
        "index",
        "The Theil index is {v} (0 = equal funding); it is most sensitive to gaps among the "
        "best-funded schools.",
    ),
    "mld": (
        "index",
        "The mean log deviation is {v} (0 = equal funding); it is most sensitive to gaps among "
        "the least-funded schools.",
    ),
    "atkinson": (
        "pct1",
        "Spreading {v} less money equally would be as good as the current spread.",
    ),
    "poor_mean": ("money", "Students from poor families get {v} {u} on average."),
    "nonpoor_mean": ("money", "Students not from poor families get {v} {u} on average."),
    "poor_gap": ("gap", "Poor students get {v} {more} {u} than non-poor students."),
    "poor_ratio": ("times", "Poor students get {v} times the funding {u} of non-poor students."),
    "poverty_slope_per_10pts": (
        "gap",
        "Each 10 points more poverty in a school comes with {v} {more} {u}.",
    ),
    "high_poverty_quartile_mean": ("money", "The poorest quarter of students gets {v} {u}."),
    "low_poverty_quartile_mean": ("money", "The least poor quarter of students gets {v} {u}."),
    "quartile_ratio": (
        "times",
        "The poorest quarter of students gets {v} times the funding {u} of the least poor quarter.",
    ),
}


def _per_pupil(dollars, pupils) -> np.ndarray:
    """Dollars per pupil; NaN where there are no pupils (those schools carry no weight)."""
    d = _as_1d("allocation", dollars)
    w = _as_1d("enrollment", pupils)
    if d.size != w.size:
        raise ValueError(f"allocation has {d.size} schools but enrollment has {w.size}")
    out = np.full(d.shape, np.nan)
    np.divide(d, w, out=out, where=w > 0)
    return out


def _per_allocation(value, names: list, what: str) -> dict:
    """`value` for each allocation: a mapping keyed like the allocations, or one value shared by all."""
    if not isinstance(value, Mapping):
        return {k: value for k in names}
    if set(value) != set(names):
        raise ValueError(f"{what} keys must match allocations keys: "
                         f"{sorted(map(str, value))} vs {sorted(map(str, names))}")
    return {k: value[k] for k in names}


def equity_report(
    allocations: Mapping[str, object],
    enrollment,
    weighted_enrollment,
    poor,
    *,
    atkinson_epsilon: float = 1.0,
) -> pd.DataFrame:
    """Board table of equity measures for several allocations side by side.

    `allocations` maps a column name to per-school dollars (e.g. {"Prior year": ..., "Scenario A":
    ...}); `enrollment` and `poor` are per-school counts; `weighted_enrollment` is one array or a
    dict with the same keys as `allocations`. Each allocation is turned into dollars per pupil
    (weights = enrollment) and dollars per weighted pupil (weights = weighted enrollment).
    `enrollment` and `poor` may also be dicts with the same keys, when the allocations cover different
    schools (a school with zero pupils in one allocation is left out of it, e.g. a new school from
    last year's).

    One row per (basis, measure): basis "per pupil" has every `equity_metrics` and
    `vertical_metrics` measure, basis "per weighted pupil" the horizontal ones only. Columns:
    ``basis``, ``measure`` (machine key), ``label``, one value column per allocation,
    ``better_when`` ("lower", "higher" or "—" for levels), for each allocation after the first a
    ``<name> change vs <first>`` column ("better", "worse", "same" — equal within a relative
    1e-9 — or "—" when the measure has no direction or a value is NaN), and ``reading``: one
    plain sentence about the last allocation, with the first allocation's value in brackets
    when there are two or more.
    """
    names = list(allocations)
    if not names:
        raise ValueError("allocations is empty: give at least one allocation to report on")
    weighted = _per_allocation(weighted_enrollment, names, "weighted_enrollment")
    pupils_of = _per_allocation(enrollment, names, "enrollment")
    poor_of = {k: poor[k] for k in names} if isinstance(poor, Mapping) else {k: poor for k in names}
    first, last = names[0], names[-1]
    change_cols = [f"{n} change vs {first}" for n in names[1:]]
    reserved = {"basis", "measure", "label", "better_when", "reading", *change_cols}
    clash = [k for k in names if k in reserved]
    if clash:
        raise ValueError(f"allocation names clash with report columns: {clash}")

    results: dict[str, list[tuple[str, dict[str, float]]]] = {
        "per pupil": [],
        "per weighted pupil": [],
    }
    for name in names:
        pupils = pupils_of[name]
        pp = _per_pupil(allocations[name], pupils)
        pw = _per_pupil(allocations[name], weighted[name])
        # A school with pupils and $0 (a categorical program that skips it) leaves the measures
        # that need positive dollars blank (NaN) rather than the whole report
        per_pupil = _horizontal(pp, pupils, atkinson_epsilon, "nonnegative")
        per_pupil.update(vertical_metrics(pp, pupils, poor_of[name]))
        results["per pupil"].append((name, per_pupil))
        results["per weighted pupil"].append(
            (name, _horizontal(pw, weighted[name], atkinson_epsilon, "nonnegative"))
        )

    rows = []
    for basis, specs, who in (
        ("per pupil", _HORIZONTAL + _VERTICAL, "students"),
        ("per weighted pupil", _HORIZONTAL, "weighted students"),
    ):
        by_name = dict(results[basis])
        for key, label, better in specs:
            row = {"basis": basis, "measure": key, "label": label}
            vals = [by_name[n][key] for n in names]
            row.update(zip(names, vals))
            row["better_when"] = better
            for n, v in zip(names[1:], vals[1:]):
                row[f"{n} change vs {first}"] = _change(vals[0], v, better)
            row["reading"] = _reading(key, basis, who, vals, first)
            rows.append(row)
    columns = ["basis", "measure", "label", *names, "better_when", *change_cols, "reading"]
    return pd.DataFrame(rows, columns=list(dict.fromkeys(columns)))


def _change(before: float, after: float, better: str) -> str:
    if better == "—" or not (np.isfinite(before) and np.isfinite(after)):
        return "—"
    if abs(after - before) <= 1e-9 * max(1.0, abs(before), abs(after)):
        return "same"
    up = after > before
    return "better" if up == (better == "higher") else "worse"


def _reading(key: str, basis: str, who: str, vals: list[float], first: str) -> str:
    """The sentence for the last value, with the first allocation's value in brackets."""
    v = vals[-1]
    if not np.isfinite(v):
        return "Cannot be computed for this data (for example, no poor or no non-poor students)."
    fmt, template = _READINGS[key]
    in_text, in_brackets = _FORMATS[fmt]
    text = template.format(
        v=in_text(v), more="more" if v >= 0 else "less", u=basis, s=who, S=who.capitalize()
    )
    if len(vals) > 1:
        before = in_brackets(vals[0]) if np.isfinite(vals[0]) else "not available"
        text = f"{text[:-1]} ({first}: {before})."
    return text
