"""What the page shows, as plain data: headline numbers, the per-school table, the equity table.

All money is in dollars. Equity comparisons with last year use only schools that had a prior-year
allocation (a new school has none), and measure both years on this year's pupils.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..allocate import Allocation
from ..district import District
from ..equity import equity_report, lorenz_points, poverty_scatter, quartile_bars, vertical_metrics
from ..report import dollars
from ..scenario import Scenario
from ..weights import FlagNeed, WeightTable


def signed(x: float | None, cents: bool = False) -> str:
    """'+$1,234' / '-$1,234' / '$0'; an em dash for a missing value.

    >>> signed(1234.4), signed(-50), signed(0)
    ('+$1,234', '-$50', '$0')
    """
    if x is None or pd.isna(x):
        return "—"
    text = dollars(abs(x), cents)
    return text if round(x, 2 if cents else 0) == 0 else ("+" if x > 0 else "-") + text


def poverty_column(weights: WeightTable) -> str | None:
    """The roster column that marks poor pupils: the need named 'poverty', else a flag named 'frl'."""
    for need in weights.needs:
        if isinstance(need, FlagNeed) and need.name == "poverty":
            return need.column
    for need in weights.needs:
        if isinstance(need, FlagNeed) and need.column == "frl":
            return need.column
    return None


def scenario_district(district: District, scenario: Scenario) -> District:
    """The district whose pupils the allocation is for (projected, with an enrollment change)."""
    if scenario.theory.enrollment_change is None:
        return district
    from ..enrollment import project

    return project(district, scenario)


def poor_pupils(district: District, scenario: Scenario) -> np.ndarray | None:
    """Poor pupils per school for the allocation's pupils; None when the weights have no poverty flag."""
    column = poverty_column(scenario.weights)
    if column is None or column not in district.counts:
        return None
    return scenario_district(district, scenario).counts[column].to_numpy(dtype=float)


@dataclass(frozen=True)
class Headline:
    """The few numbers that matter (dollars; ratio unit-free; None when not available)."""

    total: float
    prior_total: float
    base: float
    gaining: int
    losing: int
    schools: int
    new_schools: int
    biggest_loss: float
    biggest_loss_pct: float
    biggest_loser: str | None
    hold_harmless_cost: float
    schools_at_floor: int
    quartile_ratio: float | None
    quartile_ratio_prior: float | None
    quartile_ratio_same_schools: float | None


def _quartile_ratio(dollars_per_school, pupils, poor) -> float | None:
    with np.errstate(divide="ignore", invalid="ignore"):
        per_pupil = np.where(pupils > 0, dollars_per_school / np.where(pupils > 0, pupils, 1), np.nan)
    try:
        ratio = vertical_metrics(per_pupil, pupils, poor)["quartile_ratio"]
    except ValueError:
        return None
    return float(ratio) if np.isfinite(ratio) else None


def headline(allocation: Allocation, district: District) -> Headline:
    """Headline numbers of an allocation. The equity ratio is the poorest quarter of pupils' dollars
    per pupil over the least poor quarter's; last year's is on the schools that had a prior year, and
    so is `quartile_ratio_same_schools` (this scenario on those schools, for a like-for-like change)."""
    t = allocation.table
    s = allocation.summary()
    pupils = t["enrollment"].to_numpy(dtype=float)
    alloc = t["allocation"].to_numpy(dtype=float)
    prior = t["prior_allocation"].to_numpy(dtype=float)
    poor = poor_pupils(district, allocation.scenario)
    ratio = ratio_prior = ratio_same = None
    if poor is not None:
        ratio = _quartile_ratio(alloc, pupils, poor)
        had = ~np.isnan(prior)
        if had.any():
            ratio_prior = _quartile_ratio(prior[had], pupils[had], poor[had])
            ratio_same = _quartile_ratio(alloc[had], pupils[had], poor[had])
    losers = t["delta"].where(t["delta"] < 0)
    loser = t.loc[losers.idxmin(), "school_name"] if losers.notna().any() else None
    return Headline(
        total=float(allocation.total), prior_total=float(np.nansum(prior)), base=float(allocation.base_per_weighted_pupil),
        gaining=int(s["gaining"]), losing=int(s["losing"]), schools=int(s["schools"]),
        new_schools=int(s["new_schools"]), biggest_loss=float(s["biggest_loss"]),
        biggest_loss_pct=float(s["biggest_loss_pct"]), biggest_loser=loser,
        hold_harmless_cost=float(s["hold_harmless_cost"]), schools_at_floor=int(s["schools_at_floor"]),
        quartile_ratio=ratio, quartile_ratio_prior=ratio_prior, quartile_ratio_same_schools=ratio_same,
    )


# --------------------------------------------------------------------------------------------------
# The per-school table
# --------------------------------------------------------------------------------------------------

SCHOOL_COLUMNS = {
    "school_id": "School ID",
    "school_name": "School",
    "enrollment": "Pupils",
    "weighted_enrollment": "Weighted pupils",
    "allocation": "Allocation",
    "prior_allocation": "Last year",
    "delta": "Change",
    "delta_pct": "Change %",
    "per_pupil": "Per pupil",
    "hold_harmless_adjustment": "Hold-harmless added",
    "cap_adjustment": "Gains cap removed",
    "formula_amount": "Formula amount",
    "base_amount": "Base amount",
    "need_amount": "Need amount",
    "foundation_amount": "Foundation",
    "small_school_amount": "Small-school supplement",
    "band_supplement_amount": "Band support",
    "discretionary_amount": "School-controlled",
    "directed_amount": "Centrally directed",
    "delta_formula": "Change from the formula",
    "delta_enrollment": "Change from enrollment moves",
}
MONEY = {"allocation", "prior_allocation", "delta", "hold_harmless_adjustment", "cap_adjustment", "formula_amount",
         "base_amount", "need_amount", "foundation_amount", "small_school_amount", "band_supplement_amount",
         "discretionary_amount", "directed_amount", "delta_formula", "delta_enrollment", "per_pupil"}


MAIN_COLUMNS = ["school_id", "school_name", "enrollment", "allocation", "prior_allocation", "delta", "delta_pct",
                "per_pupil", "hold_harmless_adjustment", "cap_adjustment"]


def school_table(allocation: Allocation, search: str = "", every_column: bool = True) -> pd.DataFrame:
    """The per-school table for reading: the main columns first, then the phase-in years, and (with
    `every_column`) every other column of the allocation (formula parts...), labels in plain words.

    `search` keeps schools whose id or name contains it (case-insensitive).
    """
    t = allocation.table
    if search.strip():
        needle = search.strip().lower()
        keep = (t["school_name"].astype(str).str.lower().str.contains(needle, regex=False)
                | t["school_id"].astype(str).str.lower().str.contains(needle, regex=False))
        t = t[keep]
    first = MAIN_COLUMNS
    rest = [c for c in t.columns if c not in first and (every_column or c.startswith("allocation_year_"))]
    out = t[first + rest].copy()
    if "weighted_enrollment" in out:
        out["weighted_enrollment"] = out["weighted_enrollment"].round(2)
    return out.rename(columns=lambda c: SCHOOL_COLUMNS.get(c, _year_label(c)))


def _year_label(column: str) -> str:
    if column.startswith("allocation_year_"):
        return f"Year {column.rsplit('_', 1)[1]}"
    return column.replace("_", " ").capitalize()


def money_columns(table: pd.DataFrame) -> list[str]:
    """Display labels of the money columns of a `school_table`."""
    labels = {SCHOOL_COLUMNS[c] for c in MONEY}
    return [c for c in table.columns if c in labels or c.startswith("Year ")]


# --------------------------------------------------------------------------------------------------
# Equity
# --------------------------------------------------------------------------------------------------

_FORMATS = {
    "mean": "money", "median": "money", "min": "money", "max": "money", "range": "money", "p5": "money",
    "p95": "money", "restricted_range": "money", "poor_mean": "money", "nonpoor_mean": "money",
    "high_poverty_quartile_mean": "money", "low_poverty_quartile_mean": "money",
    "poor_gap": "signed", "poverty_slope_per_10pts": "signed",
    "federal_range_ratio": "pct", "cv": "pct", "atkinson": "pct", "mcloone": "pct",
    "verstegen": "ratio", "poor_ratio": "ratio", "quartile_ratio": "ratio",
}
MARKS = {"better": "▲ better", "worse": "▼ worse", "same": "= same", "—": ""}


def _fmt(measure: str, v: float) -> str:
    if v is None or not np.isfinite(v):
        return "—"
    kind = _FORMATS.get(measure, "index")
    if kind == "money":
        return dollars(v)
    if kind == "signed":
        return signed(v)
    if kind == "pct":
        return f"{v:.1%}"
    if kind == "ratio":
        return f"{v:.3f}"
    return f"{v:.4f}"


@dataclass(frozen=True)
class EquityData:
    """Equity views of one allocation against last year (same schools on both sides)."""

    report: pd.DataFrame          # equity_report output
    table: pd.DataFrame           # for display: basis, Measure, Last year, Scenario, Change, Reading
    scatter: pd.DataFrame         # school_name, poverty_share, per_pupil, pupils
    trend: dict                   # intercept, slope (dollars per unit share)
    lorenz: pd.DataFrame          # label, pupil_share, dollar_share
    quartiles: pd.DataFrame       # label, quartile, mean_per_pupil, poverty_share
    left_out: int                 # new schools left out of the comparison


def equity_data(allocation: Allocation, district: District) -> EquityData | None:
    """Equity report and chart data of the scenario against last year; None without a poverty flag
    or when a school with pupils has no money (the measures take logarithms and ratios)."""
    t = allocation.table
    poor = poor_pupils(district, allocation.scenario)
    if poor is None:
        return None
    prior = t["prior_allocation"].to_numpy(dtype=float)
    had = ~np.isnan(prior)
    pupils = t["enrollment"].to_numpy(dtype=float)
    weighted = t["weighted_enrollment"].to_numpy(dtype=float)
    now = t["allocation"].to_numpy(dtype=float)
    names = t["school_name"].astype(str).to_numpy()
    try:
        report = equity_report({"Last year": prior[had], "Scenario": now[had]}, pupils[had], weighted[had], poor[had])
        with np.errstate(divide="ignore", invalid="ignore"):
            pp_now = pd.Series(np.where(pupils > 0, now / np.where(pupils > 0, pupils, 1), np.nan), index=names)
            pp_prior = np.where(pupils > 0, prior / np.where(pupils > 0, pupils, 1), np.nan)
        scatter, trend = poverty_scatter(pp_now, pupils, poor)
        lorenz = pd.concat([
            lorenz_points(pp_prior[had], pupils[had]).assign(label="Last year"),
            lorenz_points(pp_now.to_numpy()[had], pupils[had]).assign(label="Scenario"),
        ], ignore_index=True)
        quarters = pd.concat([
            quartile_bars(pp_prior[had], pupils[had], poor[had]).assign(label="Last year"),
            quartile_bars(pp_now.to_numpy()[had], pupils[had], poor[had]).assign(label="Scenario"),
        ], ignore_index=True)
    except ValueError:
        return None
    scatter = scatter.rename_axis("school_name").reset_index()
    change = "Scenario change vs Last year"
    table = pd.DataFrame({
        "Basis": report["basis"],
        "Measure": report["label"],
        "Last year": [_fmt(m, v) for m, v in zip(report["measure"], report["Last year"])],
        "Scenario": [_fmt(m, v) for m, v in zip(report["measure"], report["Scenario"])],
        "Change": report[change].map(MARKS).fillna(""),
        "Better when": report["better_when"].replace({"—": ""}),
        "Reading": report["reading"],
    })
    return EquityData(report, table, scatter, trend, lorenz, quarters, int((~had).sum()))
