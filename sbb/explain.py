"""Why a school's allocation changed against last year: parts that add up exactly to its change.

Let b0 be the base per weighted pupil of the scenario's *baseline*: the named weight table with no
overrides, the same funding mode and budget, and no hold-harmless limits (in budget-neutral mode the
solved base that shares the same budget; in fixed-base mode the weight table's base). If that
baseline cannot be solved (the budget is below its fixed amounts), b0 is the weight table's base.
For school i with prior-year allocation P, scenario weighted pupils W1 and base b1:

    "Last year's allocation differed from this formula"
                                           = F0 - P        F0 = b0 x W0 + fixed amounts (baseline)
    (with an enrollment change, split in two: "... differed from this formula" = F0c - P on the
     pupils as loaded, and "Enrollment moves" = F0 - F0c, the baseline on the projected pupils less
     the baseline on the pupils as loaded, each baseline solved on its own pupils)
    one part per changed weight            = b0 x (new weight - old weight) x pupils it applies to
    "Concentration weight"                 = b0 x (concentration pupils now - before)  (by difference)
    "Foundation amount", "Small-school supplement", other fixed amounts: new - old (by difference)
    "Base per weighted pupil"              = W1 x (b1 - b0)
    "Hold-harmless floor", "Gains cap"     = the allocation's adjustments
    "Rounding to whole dollars"            = whatever makes the parts add up to the change exactly

The formula is linear in the weights at a fixed base, so the weight parts do not depend on the order
in which the weights changed. The concentration and small-school tables have thresholds (they are
not linear in them), so each is one part computed as a difference. Each part is rounded to the
scenario's unit (dollars, or cents; cents also when a prior allocation has cents) and the rounding
part is computed in whole units, so the parts sum to allocation - prior exactly. A new school (no
prior year) is explained by the pieces of its allocation instead, which sum to the allocation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from . import formula as fm
from .allocate import Allocation, allocate
from .counts import count_columns
from .district import District
from .problems import InputError
from .scenario import Scenario
from .spelling import GRADES
from .weights import WeightTable

PRIOR_PART = "Last year's allocation differed from this formula"
ENROLLMENT_PART = "Enrollment moves"
BASE_PART = "Base per weighted pupil"
FLOOR_PART = "Hold-harmless floor"
CAP_PART = "Gains cap"
ROUNDING_PART = "Rounding to whole dollars"

_NEED_LABELS = {"poverty": "Poverty", "ell": "English learners", "sped": "Special education"}
_FIXED_LABELS = {"foundation_amount": "Foundation amount", "small_school_amount": "Small-school supplement",
                 "band_supplement_amount": "Performance-band supplement"}


def need_label(name: str) -> str:
    """A need's name in finance officers' words: 'ell' -> 'English learners'.

    >>> need_label("ell"), need_label("gifted_talented")
    ('English learners', 'Gifted talented')
    """
    return _NEED_LABELS.get(name, name.replace("_", " ").capitalize())


def level_label(level: str) -> str:
    """A service level for reading: 'self_contained' -> 'self-contained'."""
    return level.replace("_", "-")


def grade_label(first: int, last: int) -> str:
    """Grades `first`..`last` (indices into GRADES) for reading: 'Pre-K', 'Grade 4', 'Grades K-3'."""
    name = ["Pre-K" if g == 0 else GRADES[g] for g in (first, last)]
    if first == last:
        return name[0] if first == 0 else f"Grade {name[0]}"
    return f"Grades {name[0]}-{name[1]}"


def baseline_scenario(scenario: Scenario) -> Scenario:
    """The scenario's reference point: its named weight table, same funding mode and budget, no limits."""
    return replace(scenario, title=f"{scenario.baseline.title or 'Baseline weights'} (no changes)",
                   weights=scenario.baseline, overrides=(), max_loss_pct=None, max_gain_pct=None)


def baseline_without_limits(scenario: Scenario) -> Scenario:
    """`baseline_scenario` with no limit of any kind: no floor or cap, no phase-in (the formula at
    once) and no transition. The handout's "same budget, no limits" column."""
    base = baseline_scenario(scenario)
    return replace(base, transition=None, theory=replace(base.theory, phase_in_years=None))


@dataclass(frozen=True)
class WeightChange:
    """One changed weight: `label`, old and new weight, and the matrix column(s) it multiplies."""

    label: str
    old: float
    new: float
    columns: tuple[int, ...]
    counted: str  # what the pupils are, for the detail text ("pupils in grades K-3")


def weight_changes(before: WeightTable, after: WeightTable) -> list[WeightChange]:
    """The per-pupil weights that differ between two tables of the same shape, in table order.

    Consecutive grades with the same old and new weight are one change (a grade band).

    >>> from sbb.weights import load_weights, apply_overrides
    >>> w = load_weights("weights/sample_district.toml")
    >>> [c.label for c in weight_changes(w, apply_overrides(w, {"grade.K-3": 1.2, "needs.ell.weight": 0.5}, "x"))]
    ['Grades K-3 weight', 'English learners weight']
    """
    out: list[WeightChange] = []
    if before.grade_all:
        if before.grade[0] != after.grade[0]:
            out.append(WeightChange("Grade weight (every grade)", before.grade[0], after.grade[0], (0,), "pupils"))
    g = len(GRADES) if before.grade_all else 0
    while g < len(GRADES):
        old, new = before.grade[g], after.grade[g]
        end = g
        while end + 1 < len(GRADES) and (before.grade[end + 1], after.grade[end + 1]) == (old, new):
            end += 1
        if old != new:
            label = grade_label(g, end)
            out.append(WeightChange(f"{label} weight", old, new, tuple(range(g, end + 1)),
                                    f"pupils in {label.lower() if g else 'Pre-K'}"))
        g = end + 1
    col = 1 if before.grade_all else len(GRADES)
    for cat, other in zip(before.categories(), after.categories()):
        if cat.weight != other.weight:
            column = before.need(cat.need).column
            grades = f" in grades {cat.band}" if cat.band else ""
            if cat.level is None:
                label, counted = f"{need_label(cat.need)} weight", f"pupils flagged '{column}'{grades}"
            else:
                label, counted = (f"{need_label(cat.need)} ({level_label(cat.level)}) weight",
                                  f"pupils at {level_label(cat.level)}{grades}")
            if cat.band:
                label = label.replace(" weight", f", grades {cat.band}, weight")
            out.append(WeightChange(label, cat.weight, other.weight, (col,), counted))
        col += 1
    return out


@dataclass(frozen=True)
class Explanation:
    """Every school's change split into parts (`parts`: schools x parts, in integer `unit`s per dollar).

    `parts` is indexed by school_id with one column per part in reading order; `delta` holds each
    school's allocation - prior in units (NaN for a new school). `details` maps a part to per-school
    text explaining its arithmetic. b0, b1: baseline and scenario base per weighted pupil (dollars).
    """

    parts: pd.DataFrame
    delta: pd.Series
    details: dict[str, list[str]]
    unit: int
    b0: float
    b1: float
    new_school: pd.Series


def _w(x: float) -> str:
    """A weight for reading: two decimals unless it has more ('0.40', '0.125')."""
    return f"{x:.2f}" if round(x, 2) == x else f"{x:g}"


def _pupils(n: float) -> str:
    return f"{n:,.0f} pupil" + ("" if n == 1 else "s")


def _units(x: np.ndarray, unit: int) -> np.ndarray:
    """Dollars to whole units, halves away from zero (NaN stays NaN)."""
    scaled = np.asarray(x, dtype=float) * unit
    return np.where(np.isnan(scaled), np.nan, np.sign(scaled) * np.floor(np.abs(scaled) + 0.5))


def _baseline_allocation(district: District, scenario: Scenario) -> Allocation:
    """The baseline scenario allocated; at the weight table's base when its budget cannot be solved."""
    reference = baseline_scenario(scenario)
    try:
        return allocate(district, reference)
    except InputError:
        return allocate(district, replace(reference, mode="fixed_base", budget=None))


def explain_all(district: District, scenario: Scenario, allocation: Allocation) -> Explanation:
    """Split every school's change against last year into parts (see the module docstring).

    F0 and F1 are the formula amounts (in whole units, as the engine rounds them) of the baseline
    and the scenario; fixed amounts (foundation, small-school, band supplements) are compared column
    by column. With an enrollment change, the counts are the projected ones, as in `allocate`.
    """
    t = allocation.table
    reference = _baseline_allocation(district, scenario)
    t0 = reference.table
    moved = scenario.theory.enrollment_change is not None
    if moved:
        from .enrollment import project

        # the baseline on the pupils as loaded: what this formula gives before anyone moves
        loaded = _baseline_allocation(district, replace(scenario, theory=replace(scenario.theory,
                                                                                  enrollment_change=None)))
        district = project(district, scenario)
    prior = district.prior
    w0, w1 = scenario.baseline, scenario.weights
    matrix = district.matrix(count_columns(w1))
    b0, b1 = reference.base_per_weighted_pupil, allocation.base_per_weighted_pupil
    new = np.isnan(prior)
    has_cents = bool(np.any(~new & (np.mod(np.nan_to_num(prior), 1) != 0)))
    unit = 100 if scenario.rounding == "cents" or has_cents else 1
    money = lambda column, table=t: _units(table[column].to_numpy(dtype=float), unit)  # noqa: E731
    f0, f1 = money("formula_amount", t0), money("formula_amount")

    parts: dict[str, np.ndarray] = {}
    details: dict[str, list[str]] = {}
    # Last year's allocation against this formula (the baseline weights on these pupils), then, with
    # an enrollment change, what the moves add.
    prior_units = np.where(new, np.nan, np.nan_to_num(prior) * unit)
    start = money("formula_amount", loaded.table) if moved else f0
    b_start = loaded.base_per_weighted_pupil if moved else b0
    parts[PRIOR_PART] = start - prior_units
    details[PRIOR_PART] = [
        f"The unchanged weights at the baseline base (${b_start:,.2f}) give ${x / unit:,.0f} for "
        f"{'the pupils as loaded' if moved else 'these pupils'}; last year's allocation was ${p:,.0f}, "
        f"{'the same' if x == p * unit else 'a difference of ' + _money_text((x - p * unit) / unit)}."
        for x, p in zip(start, np.nan_to_num(prior))]
    if moved:
        parts[ENROLLMENT_PART] = f0 - start
        details[ENROLLMENT_PART] = [
            f"The unchanged weights on the projected pupils give ${y / unit:,.0f} (base ${b0:,.2f}) against "
            f"${x / unit:,.0f} before the moves." for x, y in zip(start, f0)]

    mult = t["multiplier"].to_numpy(dtype=float) if "multiplier" in t else 1.0  # a state aid ratio, a cost index
    for change in weight_changes(w0, w1):
        count = matrix[:, list(change.columns)].sum(axis=1)
        label = f"{change.label} {_w(change.old)} → {_w(change.new)}"
        parts[label] = _units(b0 * (change.new - change.old) * count * mult, unit)
        details[label] = [f"({_w(change.new)} - {_w(change.old)}) x {_pupils(n)} ({change.counted}) "
                          f"x ${b0:,.2f} baseline base" for n in count]

    conc0, conc1 = fm.concentration_weighted(matrix, w0), fm.concentration_weighted(matrix, w1)
    if not np.array_equal(conc0, conc1):
        label = "Concentration weight" if len(w1.concentration) == 1 else "Concentration weights"
        parts[label] = _units(b0 * (conc1 - conc0) * mult, unit)
        details[label] = [f"({c1:,.2f} - {c0:,.2f}) concentration-weighted pupils x ${b0:,.2f} baseline base"
                          for c0, c1 in zip(conc0, conc1)]

    for column in _fixed_columns(t):
        a = money(column, t0) if column in t0 else np.zeros(len(t))
        b = money(column)
        if np.array_equal(a, b):
            continue
        label = _fixed_label(column)
        parts[label] = b - a
        details[label] = [f"${y / unit:,.0f} in this scenario - ${x / unit:,.0f} under the baseline weights"
                          for x, y in zip(a, b)]

    weighted1 = t["weighted_enrollment"].to_numpy(dtype=float)
    parts[BASE_PART] = _units(weighted1 * (b1 - b0) * mult, unit)
    details[BASE_PART] = [f"{w:,.2f} weighted pupils x (${b1:,.2f} - ${b0:,.2f})" for w in weighted1]
    phased = (scenario.theory.phase_in_years or 1) > 1
    floor_label = "Hold-harmless floor and phase-in" if phased else FLOOR_PART
    cap_label = "Gains cap and phase-in" if phased else CAP_PART
    moved = " and the phase-in" if phased else ""
    if scenario.transition is not None:
        floor_label, cap_label = "Hold-harmless floor and transition", "Gains cap and transition"
        moved = " and the transition"
    parts[floor_label] = money("hold_harmless_adjustment")
    details[floor_label] = ["Raised above the formula amount by the floor" + moved] * len(t)
    parts[cap_label] = money("cap_adjustment")
    details[cap_label] = ["Held below the formula amount by the cap" + moved] * len(t)

    # Whole units throughout: F1 - F0 less the modelled parts of it. The prior does not enter.
    within = sum(v for k, v in parts.items() if k not in (PRIOR_PART, ENROLLMENT_PART, floor_label, cap_label))
    parts[ROUNDING_PART] = (f1 - f0) - within
    details[ROUNDING_PART] = ["Each part is rounded to the unit; this is what is left over"] * len(t)

    index = pd.Index(t["school_id"].to_numpy(), name="school_id")
    frame = pd.DataFrame(parts, index=index)
    frame.loc[new, :] = np.nan
    delta = pd.Series(money("allocation") - prior_units, index=index, name="delta")
    return Explanation(frame, delta, details, unit, float(b0), float(b1), pd.Series(new, index=index))


def _money_text(x: float) -> str:
    """Signed whole dollars for a sentence: '+$1,234', '-$1,234'."""
    return f"{'-' if x < 0 else '+'}${abs(x):,.0f}"


def _fixed_columns(table: pd.DataFrame) -> list[str]:
    """The fixed-amount columns of an allocation table (foundation, small-school, supplements...)."""
    return [c for c in table.columns
            if c.endswith("_amount") and c not in ("base_amount", "need_amount", "formula_amount",
                                                    "discretionary_amount", "directed_amount")]


def _fixed_label(column: str) -> str:
    return _FIXED_LABELS.get(column, column.removesuffix("_amount").replace("_", " ").capitalize())


def explain_change(district: District, scenario: Scenario, allocation: Allocation,
                   school_id: str, explanation: Explanation | None = None) -> pd.DataFrame:
    """One school's change against last year as parts: columns part, dollars, detail.

    The dollars add up exactly to the school's allocation - prior (`attrs["delta"]`). Parts that are
    zero are left out, except last year's part (PRIOR_PART) and the base part. For a new school (no prior
    year) the parts are the pieces of its allocation and add up to it (`attrs["new_school"]`).
    Pass `explanation` (from `explain_all`) to avoid recomputing it for every school.
    """
    ex = explanation or explain_all(district, scenario, allocation)
    t = allocation.table.set_index("school_id")
    if school_id not in t.index:
        raise KeyError(f"no school with id {school_id!r}")
    row = t.loc[school_id]
    attrs = {"school_id": school_id, "school_name": row["school_name"], "allocation": float(row["allocation"]),
             "prior": float(row["prior_allocation"]), "b0": ex.b0, "b1": ex.b1}
    if bool(ex.new_school[school_id]):
        pieces = [("Grade-weighted pupils x base", "base_amount"), ("Need weights x base", "need_amount")]
        pieces += [(_fixed_label(k), k) for k in _fixed_columns(t.reset_index())]
        pieces += [(FLOOR_PART, "hold_harmless_adjustment"), (CAP_PART, "cap_adjustment")]
        rows = [(label, float(row[col]), "New school: no prior-year allocation") for label, col in pieces
                if col in t.columns and (float(row[col]) != 0 or col in ("base_amount", "need_amount"))]
        out = pd.DataFrame(rows, columns=["part", "dollars", "detail"])
        out.attrs = {**attrs, "new_school": True, "delta": float(row["allocation"])}
        return out
    i = t.index.get_loc(school_id)
    keep_always = {PRIOR_PART, BASE_PART}
    rows = []
    for part in ex.parts.columns:
        units = ex.parts.at[school_id, part]
        if units != 0 or part in keep_always:
            dollars = int(units) if ex.unit == 1 else units / ex.unit
            rows.append((part, dollars, ex.details[part][i]))
    out = pd.DataFrame(rows, columns=["part", "dollars", "detail"])
    delta = ex.delta[school_id]
    out.attrs = {**attrs, "new_school": False, "delta": int(delta) if ex.unit == 1 else delta / ex.unit}
    return out
