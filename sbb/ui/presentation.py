"""What the page shows, as plain data: headline numbers, the per-school table, the equity table.

All money is in dollars. Every number comes from `sbb.figures` (this year: every school; last year:
the schools that had an allocation, on this year's pupils); this module only shapes it for the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..allocate import Allocation
from ..district import District
from ..equity import lorenz_points, poverty_scatter, quartile_bars
from ..figures import (KINDS, LAST_YEAR, THIS_YEAR, Figures, board_figures, change_text, figure_text,  # noqa: F401
                       poor_pupils, poverty_column, scenario_district, signed)


Headline = Figures  # the headline numbers are `sbb.figures.Figures`


def headline(allocation: Allocation, district: District) -> Figures:
    """The figures of an allocation (`sbb.figures.board_figures`: each defined once, with its schools)."""
    return board_figures(allocation, district)


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

MARKS = {"better": "▲ better", "worse": "▼ worse", "same": "= same", "—": ""}


@dataclass(frozen=True)
class EquityData:
    """Equity views of one allocation against last year (`sbb.figures` rule: this year every school,
    last year the schools that had an allocation)."""

    report: pd.DataFrame          # sbb.figures equity report
    table: pd.DataFrame           # for display: Basis, key, Measure, Last year, This scenario, Change, ...
    scatter: pd.DataFrame         # school_name, poverty_share, per_pupil, pupils
    trend: dict                   # intercept, slope (dollars per unit share)
    lorenz: pd.DataFrame          # label, pupil_share, dollar_share
    quartiles: pd.DataFrame       # label, quartile, mean_per_pupil, poverty_share
    left_out: int                 # new schools: in this year's figures, not in last year's


def equity_data(allocation: Allocation, district: District, figures: Figures | None = None) -> EquityData | None:
    """Equity report and chart data of the scenario against last year; None without a poverty flag
    or when a school with pupils has no money (the measures take logarithms and ratios)."""
    f = figures if figures is not None else board_figures(allocation, district)
    if f.equity is None:
        return None
    t = allocation.table
    poor = poor_pupils(district, allocation.scenario)
    prior = t["prior_allocation"].to_numpy(dtype=float)
    had = ~np.isnan(prior)
    pupils = t["enrollment"].to_numpy(dtype=float)
    now = t["allocation"].to_numpy(dtype=float)
    names = t["school_name"].astype(str).to_numpy()
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            pp_now = pd.Series(np.where(pupils > 0, now / np.where(pupils > 0, pupils, 1), np.nan), index=names)
            pp_prior = np.where(pupils > 0, prior / np.where(pupils > 0, pupils, 1), np.nan)
        scatter, trend = poverty_scatter(pp_now, pupils, poor)
        lorenz = pd.concat([
            lorenz_points(pp_prior[had], pupils[had]).assign(label="Last year"),
            lorenz_points(pp_now.to_numpy(), pupils).assign(label="Scenario"),
        ], ignore_index=True)
        quarters = pd.concat([
            quartile_bars(pp_prior[had], pupils[had], poor[had]).assign(label="Last year"),
            quartile_bars(pp_now.to_numpy(), pupils, poor).assign(label="Scenario"),
        ], ignore_index=True)
    except ValueError:
        return None
    scatter = scatter.rename_axis("school_name").reset_index()
    report = f.equity
    kinds = [KINDS.get(m, "index") for m in report["measure"]]
    table = pd.DataFrame({
        "Basis": report["basis"],
        "key": report["measure"],
        "Measure": report["label"],
        "Last year": [figure_text(v, k) for v, k in zip(report[LAST_YEAR], kinds)],
        "This scenario": [figure_text(v, k) for v, k in zip(report[THIS_YEAR], kinds)],
        "Change": [change_text(v, w, k) for v, w, k in zip(report[THIS_YEAR], report[LAST_YEAR], kinds)],
        "Better or worse": report[f"{THIS_YEAR} change vs {LAST_YEAR}"].map(MARKS).fillna(""),
        "Reading": report["reading"],
    })
    return EquityData(report, table, scatter, trend, lorenz, quarters, int((~had).sum()))
