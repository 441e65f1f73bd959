"""Comparing two allocations school by school, through one function with fixed output columns.

`compare(after, before)` sets a scenario against another scenario, or against the prior year when
`before` is None. Columns: school_id, school_name, enrollment, before, after, delta, delta_pct,
per_pupil_before, per_pupil_after, per_pupil_delta. delta = after - before (dollars); delta_pct is
percent of before; a school with no `before` (a new school against the prior year) has NaN deltas.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .allocate import Allocation

COLUMNS = ["school_id", "school_name", "enrollment", "before", "after", "delta", "delta_pct",
           "per_pupil_before", "per_pupil_after", "per_pupil_delta"]


@dataclass(frozen=True)
class Comparison:
    """Per-school comparison (`table`, COLUMNS) with the labels of both sides."""

    table: pd.DataFrame
    before_label: str
    after_label: str

    def counts(self) -> dict[str, int]:
        """Schools gaining, losing, unchanged, and without a comparison (no `before`)."""
        d = self.table["delta"]
        return {"gaining": int((d > 0).sum()), "losing": int((d < 0).sum()),
                "unchanged": int((d == 0).sum()), "not_compared": int(d.isna().sum())}

    def totals(self) -> dict[str, float]:
        """District totals of both sides and their difference (dollars, NaN-free sums)."""
        t = self.table
        return {"before": float(t["before"].sum()), "after": float(t["after"].sum()),
                "delta": float(t["after"].sum() - t["before"].sum())}


def compare(after: Allocation, before: Allocation | None = None) -> Comparison:
    """Compare `after` with `before` (another scenario on the same district) or with the prior year."""
    a = after.table
    if before is None:
        prior, label = a["prior_allocation"].to_numpy(dtype=float), "Prior year"
    else:
        b = before.table
        if not np.array_equal(b["school_id"].to_numpy(), a["school_id"].to_numpy()):
            raise ValueError("both allocations must cover the same schools in the same order")
        prior, label = b["allocation"].to_numpy(dtype=float), before.scenario.title
    now = a["allocation"].to_numpy(dtype=float)
    pupils = a["enrollment"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        pp_before = np.where(pupils > 0, prior / pupils, np.nan)
        pp_after = np.where(pupils > 0, now / pupils, np.nan)
        table = pd.DataFrame({
            "school_id": a["school_id"].to_numpy(),
            "school_name": a["school_name"].to_numpy(),
            "enrollment": pupils,
            "before": prior,
            "after": now,
            "delta": now - prior,
            "delta_pct": np.where(prior > 0, (now - prior) / prior * 100.0, np.nan),
            "per_pupil_before": pp_before,
            "per_pupil_after": pp_after,
            "per_pupil_delta": pp_after - pp_before,
        }, columns=COLUMNS)
    return Comparison(table, label, after.scenario.title)
