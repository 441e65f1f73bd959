"""One scenario applied to one district: per-school allocations that tie out to the dollar.

allocation     = formula_amount + hold_harmless_adjustment + cap_adjustment
formula_amount = base_amount + need_amount + foundation_amount + small_school_amount + band_supplement_amount
                 (+ extra_amount: schools-file dollars, when the weight table names [extra_amounts])
base_amount    = base per weighted pupil x grade-weighted pupils (x multiplier); need_amount = base x
                 need-weighted pupils (x multiplier).
In fixed-base mode a weight table's `[rounding] formula` rounds the formula amount (statutory
rounding); in budget-neutral mode the base is solved on the unrounded line and the allocations
are rounded to the pot as usual. A `[transition]` moves each school part of the way from its prior
allocation to its amount after the limits.

The pot shared by formula is the budget less the managed foundation (central costs off the top).
Hold-harmless limits are measured against the year before. With a phase-in over N years, year y
moves each school 1/(N - y + 1) of the way from last year's amount to the formula (then limits
apply), so the final year is the formula wherever the limits allow. `hold_harmless_adjustment` is
what lifts a school above its formula amount (floor or phase-in protection); `cap_adjustment` is
what is held back from a school below its formula amount (gains cap or phase-in).

Everything is computed in integer units (dollars, or cents) after an exact solve, so the columns
add up exactly. `base_amount` carries the rounding of the formula amount (a unit or two).
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
from .rounding import round_each, round_to_total, whole_unit_bounds
from .scenario import Scenario
from .school_inputs import SchoolInputs, read_school_inputs
from .solve import BudgetInfeasible, solve_base, solve_total
from .statutory import round_half_away
from .theory import band_supplement_amount, discretionary_shares
from .transition import Transition, inverse, transition_total
from .transition import transition as transition_map

COLUMNS = [
    "school_id", "school_name", "enrollment", "weighted_enrollment", "base_amount", "need_amount",
    "foundation_amount", "small_school_amount", "band_supplement_amount", "formula_amount",
    "hold_harmless_adjustment", "cap_adjustment", "allocation", "prior_allocation", "delta", "delta_pct",
    "per_pupil",
]


@dataclass(frozen=True)
class YearResult:
    """One settled year: its base per weighted pupil and allocation units."""

    year: int
    base: float
    units: np.ndarray = field(repr=False)
    formula_units: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class Allocation:
    """A scenario's result: the per-school `table` (dollars) and the district totals.

    `budget` is the whole budget, `pot` what the formula shares after the managed foundation
    (both None in fixed-base mode); `years` holds every year of a phase-in (one year otherwise).
    """

    scenario: Scenario
    table: pd.DataFrame
    base_per_weighted_pupil: float
    pot: float | None
    total: float
    hold_harmless_cost: float
    cap_recovered: float
    budget: float | None = None
    years: tuple[YearResult, ...] = field(default=(), repr=False)

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

    def off_formula(self) -> pd.DataFrame:
        """Schools whose final-year allocation differs from their formula amount (limits bind):
        school_id, school_name, final allocation, formula amount, gap (dollars)."""
        last = self.years[-1]
        scale = self.scenario.scale
        gap = (last.units - last.formula_units) / scale
        keep = gap != 0
        return pd.DataFrame({
            "school_id": self.table["school_id"][keep].to_numpy(),
            "school_name": self.table["school_name"][keep].to_numpy(),
            "allocation": last.units[keep] / scale,
            "formula_amount": last.formula_units[keep] / scale,
            "gap": gap[keep],
        })

    def summary(self) -> dict[str, object]:
        """Headline numbers: budget, total, base, schools gaining / losing, hold-harmless cost, cap recovery."""
        t = self.table
        losses = t["delta"].where(t["delta"] < 0)
        managed = self.scenario.theory.managed_foundation
        return {
            "scenario": self.scenario.title,
            "mode": self.scenario.mode,
            "budget": self.budget,
            "managed_foundation": dict(managed),
            "pot": self.pot,
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
            "phase_in_years": len(self.years),
            "off_formula_final_year": int(np.count_nonzero(self.years[-1].units != self.years[-1].formula_units))
            if self.years else 0,
        }


def default_pot(prior: np.ndarray, scale: int) -> int:
    """The default budget in integer units: the sum of prior allocations, rounded to the unit."""
    return int(round(float(np.nansum(prior)) * scale))


def _settle(weighted, fixed, prev, step, floor, cap, scale, pot_units, base, bounds,
            transition: Transition | None = None, formula_places: int | None = None) -> tuple[float, np.ndarray]:
    """Base and integer allocation units for one year.

    Each school's target is step x (base x weighted + fixed) + (1 - step) x rho x prev, kept within
    [floor, cap]; step is 1 for a school on the formula (and wherever prev is NaN). rho scales last
    year's amounts to this year's pot (1 in fixed-base mode), so a budget change is shared in
    proportion to last year's amounts rather than through the formula alone. With `pot_units` the
    base is solved so the units add up to the pot; otherwise `base` is used. The limits come already
    in whole units (floors rounded up, caps down; `bounds` are the same as integer units), so a pot
    the rounded limits cannot meet is reported as infeasible with its shortfall rather than failing
    later in the rounding. A `transition` then moves each school part of the way from `prev` to
    that amount (`sbb.transition`). In fixed-base mode `formula_places` rounds the formula amount
    (statutory rounding, half away from zero) before the limits.
    """
    rho = 1.0
    if pot_units is not None and step < 1.0 and np.nansum(prev) > 0:
        rho = (pot_units / scale) / float(np.nansum(prev))
    if step == 1.0:  # on the formula: nothing is kept from last year
        slope, offset = weighted, fixed
    else:
        # a school with no prior year (new) has nothing to phase from: it is on the formula at once
        step = np.where(np.isnan(prev), 1.0, step)
        keep = np.where(np.isnan(prev), 0.0, (1.0 - step) * rho * np.nan_to_num(prev))
        slope, offset = step * weighted, step * fixed + keep
    if transition is not None:
        # The limits after the transition, in whole units (floors up, caps down), and the limits
        # before it that map onto them, so the solve meets limits the rounding can keep.
        lo, hi = transition_map(floor, prev, transition), transition_map(cap, prev, transition)
        lo, hi, *bounds = whole_unit_bounds(lo, hi, scale)
        bounds = tuple(bounds)
        floor = inverse(lo, prev, transition, floor)
        cap = np.maximum(inverse(hi, prev, transition, cap), floor)
        if pot_units is not None:
            base = solve_total(transition_total(slope, offset, floor, cap, prev, transition), pot_units / scale)
        line = base * slope + offset
        if pot_units is None:
            line = round_half_away(line, formula_places)
        exact = transition_map(apply_limits(line, floor, cap), prev, transition)
        if pot_units is not None:
            return base, round_to_total(exact, lo, hi, pot_units, scale, bounds)
        return float(base), round_each(exact, lo, hi, scale, bounds)
    if pot_units is not None:
        base = solve_base(slope, offset, floor, cap, pot_units / scale)
        exact = apply_limits(base * slope + offset, floor, cap)
        return base, round_to_total(exact, floor, cap, pot_units, scale, bounds)
    exact = apply_limits(round_half_away(base * slope + offset, formula_places), floor, cap)
    return float(base), round_each(exact, floor, cap, scale, bounds)


def school_bands(district: District, scenario: Scenario, column: str) -> pd.Series:
    """Performance band per school: computed by the scenario's framework, or read from `column`."""
    if scenario.framework is not None:
        from .performance import performance_bands

        return performance_bands(district.schools, scenario.framework, district.name)
    if column not in district.schools:
        raise InputError([Problem(district.name, 1, column, None,
                                  f"a '{column}' column in the schools file (scenario {scenario.file or scenario.title} uses it)")])
    return district.schools[column].astype("string").str.strip()


def _pot_units(prior: np.ndarray, scenario: Scenario) -> tuple[int, int]:
    """(whole budget, pot for the formula) in integer units; the managed foundation comes off the top."""
    scale = scenario.scale
    budget = round(scenario.budget * scale) if scenario.budget is not None else default_pot(prior, scale)
    pot = budget - round(scenario.theory.managed_total * scale)
    if pot < 0:
        raise InputError([Problem(scenario.file or scenario.title, None, "managed_foundation",
                                  f"{scenario.theory.managed_total:,.0f}",
                                  f"central costs within the ${budget / scale:,.0f} budget")])
    return budget, pot


def allocate(district: District, scenario: Scenario) -> Allocation:
    """Apply `scenario` to `district` (see the module docstring for the identities that hold).

    With an enrollment change, the allocation is for the projected enrollment and the table gains
    `delta_formula` (this year's pupils under the scenario, less prior) and `delta_enrollment` (the
    rest of the delta: what moved with the pupils). Raises `InputError` for missing data or an
    impossible budget (with the dollar shortfall).
    """
    change = scenario.theory.enrollment_change
    if change is None:
        return _allocate(district, scenario)
    from .enrollment import project

    current = _allocate(district, scenario)
    projected = _allocate(project(district, scenario), scenario)
    t = projected.table
    t["delta_formula"] = current.table["allocation"].to_numpy() - t["prior_allocation"].to_numpy()
    t["delta_enrollment"] = t["allocation"].to_numpy() - current.table["allocation"].to_numpy()
    return projected


@dataclass(frozen=True)
class Units:
    """The numbers of one scenario on one district's counts, before any table is built.

    Arrays have one entry per school: `pupils`, `weighted` (weighted pupils), `need_weighted` (the
    part added by needs), `fixed_parts` (dollars by kind: foundation, small school, band supplement).
    `budget_units` and `pot_units` are integer units (None in fixed-base mode); `years` holds each
    settled year (allocation units and formula units per school).
    """

    pupils: np.ndarray
    weighted: np.ndarray
    need_weighted: np.ndarray
    fixed_parts: dict[str, np.ndarray]
    budget_units: int | None
    pot_units: int | None
    years: tuple[YearResult, ...]
    multiplier: np.ndarray | None = None


def allocation_units(matrix: np.ndarray, prior: np.ndarray, scenario: Scenario,
                     bands: pd.Series | None = None, school: SchoolInputs | None = None) -> Units:
    """The numeric core of `allocate`: counts in (schools x `count_columns(scenario.weights)`), prior
    allocations in dollars (NaN for a new school), integer allocation units out.

    Weighted enrollment, fixed amounts, hold-harmless limits, the exact budget-neutral solve and the
    rounding to whole units, year by year for a phase-in. `bands` (performance band per school) is
    needed only when the scenario has a band supplement; `school` (`read_school_inputs`) only when
    the weight table has a multiplier or extra amounts or the scenario limits hold-harmless to some
    schools. Each school's formula amount is base x s + f with s = weighted pupils x multiplier and
    f its fixed and extra dollars. This is what a slider move recomputes; `allocate` builds the
    table from it. Raises `InputError` for an impossible budget.
    """
    w, theory, scale = scenario.weights, scenario.theory, scenario.scale
    prior = np.asarray(prior, dtype=float)
    school = school or SchoolInputs()
    pupils = fm.enrollment(matrix, w)
    _, need_w, weighted = fm.weighted_pupils(matrix, w)
    slope = weighted if school.multiplier is None else weighted * school.multiplier
    fixed_parts = {
        "foundation_amount": fm.foundation_amount(len(pupils), w),
        "small_school_amount": fm.small_school_amount(pupils, w),
        "band_supplement_amount": band_supplement_amount(bands, pupils, theory.band_supplement),
    }
    if school.extra:
        fixed_parts["extra_amount"] = school.extra_total
    fixed = sum(fixed_parts.values())

    budget_units = pot_units = None
    if scenario.mode == "budget_neutral":
        budget_units, pot_units = _pot_units(prior, scenario)
    places = w.rounding.formula if scenario.mode == "fixed_base" else None
    n_years = theory.phase_in_years or 1
    years: list[YearResult] = []
    prev = prior
    limited = school.limited
    for year in range(1, n_years + 1):
        step = 1.0 / (n_years - year + 1)
        floor = hold_harmless_floor(prev, scenario.max_loss_pct)
        cap = gains_cap(prev, scenario.max_gain_pct)
        if limited is not None:
            floor, cap = np.where(limited, floor, -np.inf), np.where(limited, cap, np.inf)
        floor, cap, *bounds = whole_unit_bounds(floor, cap, scale)
        try:
            base, units = _settle(slope, fixed, prev, step, floor, cap, scale, pot_units,
                                  w.base_per_weighted_pupil, tuple(bounds), scenario.transition, places)
        except BudgetInfeasible as exc:
            when = f" (phase-in year {year})" if n_years > 1 else ""
            raise InputError([Problem(scenario.file or scenario.title, None, "funding.budget",
                                      f"{pot_units / scale:,.0f}", str(exc) + when)]) from None
        exact_formula = round_half_away(base * slope + fixed, places)
        on_formula = (np.isnan(prev) | (step == 1.0)) & (exact_formula >= floor) & (exact_formula <= cap)
        t = scenario.transition
        if t is not None:
            gain, loss = exact_formula > prev, exact_formula < prev
            on_formula &= np.isnan(prev) | ~((gain & (t.share_of_gain < 1)) | (loss & (t.share_of_loss < 1)))
        formula_units = np.where(on_formula, units, np.floor(exact_formula * scale + 0.5).astype(np.int64))
        years.append(YearResult(year, base, units, formula_units))
        prev = units / scale
    return Units(pupils, weighted, need_w, fixed_parts, budget_units, pot_units, tuple(years),
                 school.multiplier)


def _allocate(district: District, scenario: Scenario) -> Allocation:
    w, theory, scale = scenario.weights, scenario.theory, scenario.scale
    bands: dict[str, pd.Series] = {}  # each band column read once, the supplement's first
    for spec in (theory.band_supplement, theory.autonomy):
        if spec is not None and spec.column not in bands:
            bands[spec.column] = school_bands(district, scenario, spec.column)
    school = district_school_inputs(district, scenario)
    core = allocation_units(district.matrix(count_columns(w)), district.prior, scenario,
                            bands[theory.band_supplement.column] if theory.band_supplement is not None else None,
                            school)
    years, pot_units, budget_units = core.years, core.pot_units, core.budget_units
    first = years[0]
    base, units, formula_units = first.base, first.units, first.formula_units
    need_dollars = base * core.need_weighted * (1.0 if core.multiplier is None else core.multiplier)
    table = _table(district, scenario, core.pupils, core.weighted, need_dollars, core.fixed_parts,
                   units, formula_units)
    if core.multiplier is not None:
        table.insert(table.columns.get_loc("weighted_enrollment") + 1, "multiplier", core.multiplier)
    if len(years) > 1:
        for y in years:
            table[f"allocation_year_{y.year}"] = _money(y.units, scale)
    if theory.autonomy is not None:
        shares = discretionary_shares(bands[theory.autonomy.column], theory.autonomy)
        missing = np.flatnonzero(np.isnan(shares))
        if len(missing):
            raise InputError([Problem(district.name, int(i) + 2, theory.autonomy.column,
                                      str(district.schools[theory.autonomy.column].iloc[i])
                                      if theory.autonomy.column in district.schools else None,
                                      "a band listed in [autonomy] discretionary_share (or set default_share)")
                              for i in missing])
        discretionary = np.floor(units * shares + 0.5).astype(np.int64)
        table["discretionary_amount"] = _money(discretionary, scale)
        table["directed_amount"] = _money(units - discretionary, scale)
    diff = units - formula_units
    return Allocation(
        scenario=scenario,
        table=table,
        base_per_weighted_pupil=float(base),
        pot=None if pot_units is None else pot_units / scale,
        total=float(units.sum()) / scale,
        hold_harmless_cost=float(np.maximum(diff, 0).sum()) / scale,
        cap_recovered=float(-np.minimum(diff, 0).sum()) / scale,
        budget=None if budget_units is None else budget_units / scale,
        years=tuple(years),
    )


def district_school_inputs(district: District, scenario: Scenario) -> SchoolInputs | None:
    """The schools-file inputs the scenario's formula uses (None when it uses none)."""
    w = scenario.weights
    if not (w.multiplier or w.extra_amounts or scenario.applies_to):
        return None
    return read_school_inputs(district.schools, district.name, w.multiplier, w.extra_amounts, scenario.applies_to)


def _money(units: np.ndarray, scale: int) -> np.ndarray:
    """Integer units as dollars: int64 for whole dollars, float for cents."""
    return units if scale == 1 else units / scale


def _table(district, scenario, pupils, weighted, exact_need, fixed_parts, units, formula_units) -> pd.DataFrame:
    """The per-school table of one year in the contract's columns."""
    scale = scenario.scale
    prior = district.prior
    part_units = {k: np.floor(v * scale + 0.5).astype(np.int64) for k, v in fixed_parts.items()}
    need_units = np.floor(exact_need * scale + 0.5).astype(np.int64)
    base_units = formula_units - need_units - sum(part_units.values())
    diff = units - formula_units
    allocation = _money(units, scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        # allocation - prior, worked in cents so it is exact to the cent (NaN for a new school)
        delta = (units * (100 // scale) - np.floor(prior * 100 + 0.5)) / 100
        return pd.DataFrame({
            "school_id": district.schools["school_id"].array,  # the text as stored: no conversion
            "school_name": district.schools["school_name"].array,
            "enrollment": pupils,
            "weighted_enrollment": weighted,
            "base_amount": _money(base_units, scale),
            "need_amount": _money(need_units, scale),
            **{k: _money(v, scale) for k, v in part_units.items() if k in COLUMNS},
            "formula_amount": _money(formula_units, scale),
            "hold_harmless_adjustment": _money(np.maximum(diff, 0), scale),
            "cap_adjustment": _money(np.minimum(diff, 0), scale),
            "allocation": allocation,
            "prior_allocation": prior,
            "delta": delta,
            "delta_pct": np.where(prior > 0, delta / prior * 100.0, np.nan),
            "per_pupil": np.where(pupils > 0, allocation / np.where(pupils > 0, pupils, 1), np.nan),
        }, columns=COLUMNS).pipe(_with_extra, part_units, scale)


def _with_extra(table: pd.DataFrame, part_units: dict, scale: int) -> pd.DataFrame:
    """The `extra_amount` column (schools-file dollars), after the other fixed amounts, when used."""
    if "extra_amount" in part_units:
        table.insert(table.columns.get_loc("formula_amount"), "extra_amount", _money(part_units["extra_amount"], scale))
    return table
