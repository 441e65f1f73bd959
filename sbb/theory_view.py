"""Tables behind the theory-of-action view: where the budget goes, schools by band with their
autonomy, and the phase-in path. Pure functions of an `Allocation` (and its district); dollars."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .allocate import Allocation
from .district import District

_PARTS = [
    ("base_amount", "Base (grade-weighted pupils)"),
    ("need_amount", "Need weights"),
    ("foundation_amount", "Foundation per school"),
    ("small_school_amount", "Small-school supplement"),
    ("band_supplement_amount", "Support by performance band"),
    ("hold_harmless_adjustment", "Hold-harmless protection"),
    ("cap_adjustment", "Held back by caps"),
]


def pot_waterfall(a: Allocation) -> pd.DataFrame:
    """Steps from the budget to the schools' allocations: step, amount, start, end, kind.

    Kinds: 'total' bars (budget, shared by formula, allocated to schools), 'central' (managed
    foundation items, negative), 'part' (formula parts and adjustments adding up to the allocation).
    """
    t = a.table
    rows: list[tuple[str, float, str]] = []
    managed = a.scenario.theory.managed_foundation
    if a.budget is not None:
        rows.append(("Budget", a.budget, "total"))
        rows += [(f"Central: {name.replace('_', ' ')}", -amount, "central") for name, amount in managed]
        if managed:
            rows.append(("Shared by formula", a.pot, "total"))
    for column, label in _PARTS:
        value = float(t[column].sum())
        if value != 0:
            rows.append((label, value, "part"))
    rows.append(("Allocated to schools", a.total, "total"))
    out, running = [], 0.0
    for i, (step, amount, kind) in enumerate(rows):
        start, end = (0.0, amount) if kind == "total" else (running, running + amount)
        following = rows[i + 1][2] if i + 1 < len(rows) else None
        # central costs step down from the budget; formula parts build the allocation up from zero
        running = end if (kind != "total" or following == "central") else 0.0
        out.append({"step": step, "amount": amount, "start": start, "end": end, "kind": kind})
    return pd.DataFrame(out, columns=["step", "amount", "start", "end", "kind"])


def schools_by_band(a: Allocation, district: District, column: str | None = None) -> pd.DataFrame:
    """One row per performance band: schools, pupils, allocation, band supplement, discretionary and
    directed dollars and the discretionary share of the allocation (0-1)."""
    spec = a.scenario.theory.autonomy or a.scenario.theory.band_supplement
    column = column or (spec.column if spec else "performance_band")
    if a.scenario.framework is not None:
        from .performance import performance_bands

        bands = performance_bands(district.schools, a.scenario.framework, district.name)
    elif column in district.schools:
        bands = district.schools[column]
    else:
        return pd.DataFrame(columns=["band", "schools", "pupils", "allocation", "band_supplement",
                                     "discretionary", "directed", "discretionary_share"])
    t = a.table
    frame = pd.DataFrame({
        "band": bands.astype("string").fillna("(none)").to_numpy(),
        "schools": 1,
        "pupils": t["enrollment"].to_numpy(),
        "allocation": t["allocation"].to_numpy(),
        "band_supplement": t["band_supplement_amount"].to_numpy(),
        "discretionary": t["discretionary_amount"].to_numpy() if "discretionary_amount" in t else np.nan,
        "directed": t["directed_amount"].to_numpy() if "directed_amount" in t else np.nan,
    })
    out = frame.groupby("band", sort=True).sum(min_count=1).reset_index()
    out["discretionary_share"] = out["discretionary"] / out["allocation"]
    return out


def phase_in_path(a: Allocation) -> pd.DataFrame:
    """Long table of each school's allocation by year, year 0 being the prior year:
    school_id, school_name, year, allocation (NaN in year 0 for a new school)."""
    t = a.table
    years = [c for c in t.columns if c.startswith("allocation_year_")] or ["allocation"]
    wide = t[["school_id", "school_name", "prior_allocation", *years]].rename(
        columns={"prior_allocation": 0, **{c: i + 1 for i, c in enumerate(years)}})
    long = wide.melt(id_vars=["school_id", "school_name"], var_name="year", value_name="allocation")
    long["year"] = long["year"].astype(int)
    return long.sort_values(["school_id", "year"], kind="stable").reset_index(drop=True)
