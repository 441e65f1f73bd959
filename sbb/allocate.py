"""One scenario applied to one district: per-school allocations that tie out to the dollar.

allocation = formula_amount + hold_harmless_adjustment + cap_adjustment
formula_amount = base_amount + need_amount + foundation_amount + small_school_amount
base_amount = base per weighted pupil x grade-weighted pupils; need_amount = base x need-weighted pupils.

Everything is computed in integer units (dollars, or cents) after an exact solve, so the columns
add up exactly. `base_amount` carries the rounding of the formula amount (at most a unit or two).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import formula as fm
from .counts import count_columns
from .district import District
from .limits import apply_limits, gains_cap, hold_harmless_floor
from .problems import InputError, Problem
from .rounding import round_each, round_to_total
from .scenario import Scenario
from .solve import BudgetInfeasible, solve_base

COLUMNS = [
    "school_id", "school_name", "enrollment", "weighted_enrollment", "base_amount", "need_amount",
    "foundation_amount", "small_school_amount", "formula_amount", "hold_harmless_adjustment",
    "cap_adjustment", "allocation", "prior_allocation", "delta", "delta_pct", "per_pupil",
]


@dataclass(frozen=True)
class Allocation:
    """A scenario's result: the per-school `table` (COLUMNS, dollars) and the district totals."""

    scenario: Scenario
    table: pd.DataFrame
    base_per_weighted_pupil: float
    pot: float | None
    total: float
    hold_harmless_cost: float
    cap_recovered: float
    fixed_parts: dict = field(default_factory=dict, compare=False)

    @property
    def gaining(self) -> int:
        return int((self.table["delta"] > 0).sum())

    @property
    def losing(self) -> int:
        return int((self.table["delta"] < 0).sum())

    @property
    def unchanged(self) -> int:
        return int((self.table["delta"] == 0).sum())

    @property
    def new_schools(self) -> int:
        return int(self.table["prior_allocation"].isna().sum())

    def summary(self) -> dict[str, float | int | str]:
        """Headline numbers: total, base, schools gaining / losing, hold-harmless cost, cap recovery."""
        t = self.table
        losses = t["delta"].where(t["delta"] < 0)
        return {
            "scenario": self.scenario.title,
            "mode": self.scenario.mode,
            "budget": self.pot,
            "total": self.total,
            "base_per_weighted_pupil": self.base_per_weighted_pupil,
            "schools": len(t),
            "gaining": self.gaining,
            "losing": self.losing,
            "unchanged": self.unchanged,
            "new_schools": self.new_schools,
            "hold_harmless_cost": self.hold_harmless_cost,
            "schools_at_floor": int((t["hold_harmless_adjustment"] > 0).sum()),
            "cap_recovered": self.cap_recovered,
            "schools_at_cap": int((t["cap_adjustment"] < 0).sum()),
            "biggest_loss": float(-losses.min()) if losses.notna().any() else 0.0,
            "biggest_loss_pct": float(-t["delta_pct"].where(t["delta"] < 0).min()) if losses.notna().any() else 0.0,
        }


def default_pot(prior: np.ndarray, scale: int) -> int:
    """The default budget in integer units: the sum of prior allocations, rounded to the unit."""
    return int(round(float(np.nansum(prior)) * scale))


def allocate(district: District, scenario: Scenario) -> Allocation:
    """Apply `scenario` to `district` (see the module docstring for the identities that hold).

    Raises `InputError` when the district lacks a column the weights need, or when the
    hold-harmless limits make the budget impossible to spend exactly (with the dollar shortfall).
    """
    w = scenario.weights
    matrix = district.matrix(count_columns(w))
    prior = district.prior
    scale = scenario.scale
    pupils = fm.enrollment(matrix)
    grade_w = fm.grade_weighted(matrix, w)
    need_w = fm.need_weighted(matrix, w)
    weighted = grade_w + need_w
    fixed_parts = {
        "foundation_amount": fm.foundation_amount(len(pupils), w),
        "small_school_amount": fm.small_school_amount(pupils, w),
    }
    fixed = sum(fixed_parts.values())
    floor = hold_harmless_floor(prior, scenario.max_loss_pct)
    cap = gains_cap(prior, scenario.max_gain_pct)

    pot = None
    if scenario.mode == "fixed_base":
        base = w.base_per_weighted_pupil
    else:
        pot_units = round(scenario.budget * scale) if scenario.budget is not None else default_pot(prior, scale)
        pot = pot_units / scale
        try:
            base = solve_base(weighted, fixed, floor, cap, pot)
        except BudgetInfeasible as exc:
            raise InputError([Problem(scenario.file or scenario.title, None, "funding.budget", f"{pot:,.0f}",
                                      str(exc))]) from None
    exact_formula = base * weighted + fixed
    exact = apply_limits(exact_formula, floor, cap)
    if pot is None:
        units = round_each(exact, floor, cap, scale)
    else:
        units = round_to_total(exact, floor, cap, pot_units, scale)

    low, high = exact_formula < floor, exact_formula > cap
    formula_units = np.where(low | high, np.floor(exact_formula * scale + 0.5).astype(np.int64), units)
    part_units = {k: np.floor(v * scale + 0.5).astype(np.int64) for k, v in fixed_parts.items()}
    need_units = np.floor(base * need_w * scale + 0.5).astype(np.int64)
    base_units = formula_units - need_units - sum(part_units.values())
    hh_units = np.where(low, units - formula_units, 0)
    cap_units = np.where(high, units - formula_units, 0)

    money = (lambda u: u) if scale == 1 else (lambda u: u / scale)
    allocation = money(units)
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = allocation - prior
        table = pd.DataFrame({
            "school_id": district.schools["school_id"].to_numpy(),
            "school_name": district.schools["school_name"].to_numpy(),
            "enrollment": pupils,
            "weighted_enrollment": weighted,
            "base_amount": money(base_units),
            "need_amount": money(need_units),
            **{k: money(v) for k, v in part_units.items()},
            "formula_amount": money(formula_units),
            "hold_harmless_adjustment": money(hh_units),
            "cap_adjustment": money(cap_units),
            "allocation": allocation,
            "prior_allocation": prior,
            "delta": delta,
            "delta_pct": np.where(prior > 0, delta / prior * 100.0, np.nan),
            "per_pupil": np.where(pupils > 0, allocation / np.where(pupils > 0, pupils, 1), np.nan),
        }, columns=COLUMNS)
    return Allocation(
        scenario=scenario,
        table=table,
        base_per_weighted_pupil=float(base),
        pot=pot,
        total=float(units.sum()) / scale,
        hold_harmless_cost=float(hh_units.sum()) / scale,
        cap_recovered=float(-cap_units.sum()) / scale,
        fixed_parts=fixed_parts,
    )
