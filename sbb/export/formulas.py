"""Spreadsheet formulas that restate the engine's arithmetic for one school row.

Each function returns the text of an Excel formula (starting with '=') for one row of the
Allocations sheet. Cells are named by `Cells`, which maps a column key to its letter on its sheet;
parameters are defined names on the Weights sheet (see `sbb.export.workbook.parameter_rows`).
The rules mirror `sbb.allocate`, `sbb.limits` and `sbb.rounding`:

    weighted_enrollment = grade-weighted pupils + need-weighted pupils (+ concentration weights)
    formula_exact       = base x weighted_enrollment + foundation + small-school + band supplement
    floor_limit         = prior x (100 - max_loss_pct) / 100, rounded UP to the unit
    cap_limit           = prior x (100 + max_gain_pct) / 100, rounded DOWN to the unit (never below the floor)
    within_limits       = target kept within [floor_limit, cap_limit]   (target = formula_exact, or the
                          phase-in step of year 1)
    allocation          = ROUND(within_limits) + rounding_adjustment    (a value: the engine's rounding
                          to the pot by largest remainders)
    formula_amount      = ROUND(formula_exact), plus rounding_adjustment where the school is on its formula
    formula_rounding    = formula_amount - ROUND(base x grade-weighted) - need - foundation - small - band
    base_amount         = ROUND(base x grade-weighted) + formula_rounding
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..spelling import GRADES
from ..weights import WeightTable

EPS = "0.000001"  # units; the engine's allowance for float noise when rounding limits


def defined_name(*parts: str) -> str:
    """A workbook-level name from parts: letters, digits and underscores ('w_needs_sped_resource').

    >>> defined_name("w", "needs", "sped", "self-contained")
    'w_needs_sped_self_contained'
    """
    return "_".join(re.sub(r"\W+", "_", str(p)).strip("_") for p in parts if str(p) != "")


def count_labels(weights: WeightTable) -> dict[str, str]:
    """A person's heading for each count column: 'grade_K' -> 'Grade K', 'ell' -> 'English learners',
    'sped_self_contained' -> 'Special education: self-contained'."""
    from ..explain import level_label, need_label

    out = {f"grade_{g}": ("Pre-K" if g == "PK" else f"Grade {g}") for g in GRADES}
    out["enrollment"] = "Pupils"
    for cat in weights.categories():
        label = need_label(cat.need) + (f": {level_label(cat.level)}" if cat.level else "")
        out[cat.column] = label + (f", grades {cat.band}" if cat.band else "")
    return out


def grade_name(grade: str) -> str:
    return defined_name("w", "grade", grade)


def _need(name: str) -> str:
    from ..explain import need_label

    return need_label(name)


def need_names(weights: WeightTable) -> list[tuple[str, str, str, float, str]]:
    """(defined name, dotted key, count column, weight, label) for every need weight, in count-column
    order (one per grade band where a weight varies by band)."""
    out = []
    for cat in weights.categories():
        parts = [p for p in (cat.level, cat.band) if p]
        label = f"Need weight: {_need(cat.need)}"
        if cat.level:
            label += f", {cat.level.replace('_', '-')}"
        if cat.band:
            label += f", grades {cat.band}"
        out.append((defined_name("w", "needs", cat.need, *parts), cat.key, cat.column, cat.weight, label))
    return out


@dataclass(frozen=True)
class Cells:
    """Column letters: `alloc` on the Allocations sheet, `counts` on the Counts sheet (same row order)."""

    alloc: dict[str, str]
    counts: dict[str, str]
    counts_sheet: str = "Counts"

    def a(self, key: str, row: int) -> str:
        return f"{self.alloc[key]}{row}"

    def c(self, key: str, row: int) -> str:
        return f"'{self.counts_sheet}'!{self.counts[key]}{row}" if " " in self.counts_sheet else \
            f"{self.counts_sheet}!{self.counts[key]}{row}"


def rnd(expr: str, scale: int) -> str:
    """Round to the unit: whole dollars (scale 1) or cents (scale 100)."""
    return f"ROUND({expr},{0 if scale == 1 else 2})"


def grade_weighted(cells: Cells, row: int, weights: WeightTable | None = None) -> str:
    if weights is not None and weights.grade_all:
        return f"={cells.c('enrollment', row)}*{grade_name('all')}"
    return "=" + "+".join(f"{cells.c('grade_' + g, row)}*{grade_name(g)}" for g in GRADES)


def need_weighted(cells: Cells, row: int, weights: WeightTable) -> str:
    from .real_terms import concentration_term

    terms = [f"{cells.c(col, row)}*{name}" for name, _, col, _, _ in need_names(weights)]
    terms += [concentration_term(cells, row, weights, conc) for conc in weights.concentration]
    return "=" + ("+".join(terms) if terms else "0")


def small_school_exact(cells: Cells, row: int, weights: WeightTable) -> str:
    """Dollars (unrounded): per_school x (1 - pupils / threshold), kept within 0..per_school."""
    if weights.small_school is None:
        return "0"
    enrol = cells.c("enrollment", row)
    return (f"IF(small_school_enrollment_below>0,small_school_per_school*"
            f"MAX(0,MIN(1,1-{enrol}/small_school_enrollment_below)),0)")


def band_supplement_exact(cells: Cells, row: int, band_column: str | None) -> str:
    """Dollars (unrounded): per-pupil rate of the school's band x pupils + per-school amount."""
    if band_column is None:
        return "0"
    band = cells.c("band:" + band_column, row)
    enrol = cells.c("enrollment", row)
    return (f"IFERROR(VLOOKUP({band},band_table,2,0),0)*{enrol}"
            f"+IFERROR(VLOOKUP({band},band_table,3,0),0)")


def floor_limit(cells: Cells, row: int, scale: int, not_applied: str = "") -> str:
    prior = cells.a("prior_allocation", row)
    return (f'=IF(OR({prior}="",max_loss_pct=""{not_applied}),"",'
            f"ROUNDUP({prior}*(100-max_loss_pct)/100*{scale}-{EPS},0)/{scale})")


def cap_limit(cells: Cells, row: int, scale: int, not_applied: str = "") -> str:
    prior, floor = cells.a("prior_allocation", row), cells.a("floor_limit", row)
    down = f"ROUNDDOWN({prior}*(100+max_gain_pct)/100*{scale}+{EPS},0)/{scale}"
    return f'=IF(OR({prior}="",max_gain_pct=""{not_applied}),"",IF({floor}="",{down},MAX({down},{floor})))'


def phase_in_target(cells: Cells, row: int) -> str:
    """Year 1 of a phase-in: step x formula + (1 - step) x prior scaled to this year's pot; the
    formula itself for a new school (no prior year to phase from, as in the engine)."""
    prior, exact = cells.a("prior_allocation", row), cells.a("formula_exact", row)
    return (f'=IF({prior}="",{exact},'
            f"phase_in_step*{exact}+(1-phase_in_step)*phase_in_prior_scale*{prior})")


def within_limits(cells: Cells, row: int, target_key: str) -> str:
    t, lo, hi = cells.a(target_key, row), cells.a("floor_limit", row), cells.a("cap_limit", row)
    raised = f'IF({lo}="",{t},MAX({t},{lo}))'
    return f'=IF({hi}="",{raised},MIN({hi},{raised}))'


def formula_amount(cells: Cells, row: int, scale: int, phase_in: bool, transition: bool = False) -> str:
    """The formula rounded to the unit; for a school on its formula (within its limits, not phasing
    in, not moved by a transition) plus the engine's rounding to the pot, so that schools on their
    formula add up exactly."""
    prior, exact = cells.a("prior_allocation", row), cells.a("formula_exact", row)
    lo, hi = cells.a("floor_limit", row), cells.a("cap_limit", row)
    on = f'OR({lo}="",{exact}>={lo}),OR({hi}="",{exact}<={hi})'
    if phase_in:
        on = f'OR({prior}="",phase_in_step=1),' + on
    if transition:
        from .real_terms import transition_keeps

        on += "," + transition_keeps(cells, row)
    return f"={rnd(exact, scale)}+IF(AND({on}),{cells.a('rounding_adjustment', row)},0)"


def discretionary(cells: Cells, row: int, scale: int, band_column: str, default: float | None) -> str:
    share = f"VLOOKUP({cells.c('band:' + band_column, row)},band_table,4,0)"
    if default is not None:
        share = f"IFERROR({share},autonomy_default_share)"
    return "=" + rnd(f"{cells.a('allocation', row)}*{share}", scale)
