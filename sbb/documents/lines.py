"""A school's statement as lines a principal can check with a calculator.

Each line is pupils x weight = weighted pupils, times the base per weighted pupil = dollars:

    grade lines   one per run of consecutive grades with the same weight (named by the grades the
                  school has in it)
    need lines    one per yes/no need and per service level (pupils carrying it x its weight)
    other line    weighted pupils the school-level weights add (concentration), when there are any:
                  the engine's weighted pupils less the lines above
    fixed lines   foundation, small-school supplement, support by band (the engine's dollars)
    rounding      the formula amount less everything above

The lines use the base rounded to the cent (what the page prints), each line rounded to the cent,
half away from zero, so a reader multiplying the printed numbers gets the printed dollars. The
formula amount is the engine's (the exact base, whole dollars or cents that add up to the budget);
the rounding line is the difference, so the lines add up to the formula amount exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from ..allocate import Allocation
from ..counts import count_columns
from ..district import District
from .. import formula as fm
from ..explain import grade_label, need_label
from ..export.formulas import count_labels
from ..spelling import GRADES

CENT = Decimal("0.01")
FIXED = (("foundation_amount", "Foundation (every school)"),
         ("small_school_amount", "Small-school supplement"),
         ("band_supplement_amount", "Support by performance band"),
         ("extra_amount", "Extra amounts (schools file)"))


@dataclass(frozen=True)
class Line:
    """One line of a statement. `pupils`, `weight` and `weighted` are None on dollar-only lines;
    `dollars` is exact to the cent (a Decimal)."""

    label: str
    kind: str  # "grade", "need", "other", "fixed", "rounding"
    pupils: float | None
    weight: float | None
    weighted: float | None
    dollars: Decimal


@dataclass(frozen=True)
class Statement:
    """One school's statement: its lines (adding up to `formula_amount`) and the figures after them.
    Money in dollars; `delta_pct` in percent; None where a school has no prior year."""

    school_id: str
    school_name: str
    pupils: float
    weighted: float
    base_exact: float
    base_shown: Decimal
    lines: tuple[Line, ...]
    formula_amount: float
    hold_harmless: float
    cap: float
    allocation: float
    prior: float | None
    delta: float | None
    delta_pct: float | None
    per_pupil: float | None
    extra: tuple[tuple[str, float], ...] = ()  # school-controlled / directed, years of a phase-in

    @property
    def lines_total(self) -> Decimal:
        return sum((line.dollars for line in self.lines), Decimal(0))


def _dec(x: float) -> Decimal:
    return Decimal(repr(float(x)))


def _cents(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def _grade_groups(grade: tuple[float, ...]) -> list[tuple[int, int, float]]:
    """(first, last, weight) runs of consecutive grades with the same weight."""
    runs: list[tuple[int, int, float]] = []
    for g, w in enumerate(grade):
        if runs and runs[-1][2] == w and runs[-1][1] == g - 1:
            runs[-1] = (runs[-1][0], g, w)
        else:
            runs.append((g, g, w))
    return runs


def _nan(x) -> float | None:
    return None if x is None or x != x else float(x)


def statements(allocation: Allocation, district: District, school_ids: list[str] | None = None) -> list[Statement]:
    """Every school's statement (or those in `school_ids`, in that order), in the table's order.

    The counts are the district's (the projected ones for an enrollment-change scenario, as the
    allocation used them). Raises KeyError naming an unknown school id.
    """
    s, t = allocation.scenario, allocation.table
    w = s.weights
    if s.theory.enrollment_change is not None:
        from ..enrollment import project

        district = project(district, s)
    matrix = district.matrix(count_columns(w)).astype(float)
    base_shown = _cents(_dec(allocation.base_per_weighted_pupil))
    # one weight for every grade ([grade] all): one line over the enrollment column
    runs = [(0, 0, w.grade[0])] if w.grade_all else _grade_groups(w.grade)
    # the engine's weight of each need column (aligned with count_columns), named for a reader
    n_grades = fm.grade_width(w)
    labels = count_labels(w)
    need_cols = [(labels.get(c, c.replace("_", " ")), float(x))
                 for c, x in zip(count_columns(w)[n_grades:], fm.need_vector(w))]
    if school_ids is None:
        rows = range(len(t))
    else:
        where = {sid: i for i, sid in enumerate(t["school_id"])}
        unknown = [sid for sid in school_ids if sid not in where]
        if unknown:
            raise KeyError(", ".join(unknown))
        rows = [where[sid] for sid in school_ids]
    cols = {c: t[c].to_numpy() for c in t.columns if c != "school_name" and c != "school_id"}
    ids, names = t["school_id"].tolist(), t["school_name"].tolist()
    years = [c for c in t.columns if c.startswith("allocation_year_")]
    out = []
    for i in rows:
        counts = matrix[i]
        lines: list[Line] = []
        listed = 0.0
        for first, last, weight in runs:
            pupils = float(counts[first:last + 1].sum())
            if pupils == 0:
                continue
            weighted = pupils * weight
            listed += weighted
            present = np.flatnonzero(counts[first:last + 1]) + first  # name only the grades it has
            label = "All grades" if w.grade_all else grade_label(int(present[0]), int(present[-1]))
            lines.append(Line(label, "grade", pupils, weight, weighted,
                              _cents(_dec(pupils) * _dec(weight) * base_shown)))
        for j, (label, weight) in enumerate(need_cols):
            pupils = float(counts[n_grades + j])
            if pupils == 0 or weight == 0:
                continue
            weighted = pupils * weight
            listed += weighted
            lines.append(Line(label, "need", pupils, weight, weighted,
                              _cents(_dec(pupils) * _dec(weight) * base_shown)))
        other = float(cols["weighted_enrollment"][i]) - listed
        if abs(other) > 1e-6:
            other = round(other, 6)
            label = "Concentration weight" if len(w.concentration) == 1 else "School-level weights"
            if len(w.concentration) == 1:
                c = w.concentration[0]
                rule = (f"ramp, full at {c.full_at:.0%} of pupils" if c.shape == "ramp" else
                        f"pupils above {c.share_at_least:.0%}" if c.shape == "excess" else
                        f"{c.share_at_least:.0%}+ of pupils")
                label = f"{need_label(c.need)} concentration ({rule})"
            lines.append(Line(label, "other", None, None, other, _cents(_dec(other) * base_shown)))
        if "multiplier" in cols and float(cols["multiplier"][i]) != 1.0:
            # a state aid ratio or cost index scales the pupil lines (not the fixed amounts)
            m = float(cols["multiplier"][i])
            subtotal = sum((ln.dollars for ln in lines), Decimal(0))
            lines.append(Line(f"Multiplier {m:g} ({w.multiplier}) on the lines above", "multiplier", None, m, None,
                              _cents(subtotal * (_dec(m) - 1))))
        for key, label in FIXED:
            if key not in cols:
                continue
            amount = float(cols[key][i])
            if amount:
                lines.append(Line(label, "fixed", None, None, None, _cents(_dec(amount))))
        formula = float(cols["formula_amount"][i])
        rounding = _cents(_dec(formula)) - sum((ln.dollars for ln in lines), Decimal(0))
        if rounding:
            lines.append(Line("Rounding", "rounding", None, None, None, rounding))
        extra: list[tuple[str, float]] = []
        if "discretionary_amount" in cols:
            extra += [("School-controlled", float(cols["discretionary_amount"][i])),
                      ("Centrally directed", float(cols["directed_amount"][i]))]
        extra += [(f"Phase-in year {c.rsplit('_', 1)[1]}", float(cols[c][i])) for c in years]
        pupils = float(cols["enrollment"][i])
        out.append(Statement(
            school_id=str(ids[i]), school_name=str(names[i]), pupils=pupils,
            weighted=float(cols["weighted_enrollment"][i]), base_exact=allocation.base_per_weighted_pupil,
            base_shown=base_shown, lines=tuple(lines), formula_amount=formula,
            hold_harmless=float(cols["hold_harmless_adjustment"][i]), cap=float(cols["cap_adjustment"][i]),
            allocation=float(cols["allocation"][i]), prior=_nan(cols["prior_allocation"][i]),
            delta=_nan(cols["delta"][i]), delta_pct=_nan(cols["delta_pct"][i]),
            per_pupil=_nan(cols["per_pupil"][i]), extra=tuple(extra)))
    return out


def rounding_note(statement: Statement) -> str:
    """What the rounding line is, in a sentence."""
    return (f"Each line uses the base shown, {statement.base_shown:,} per weighted pupil, and is rounded to the "
            f"cent. The formula amount uses the exact base (${statement.base_exact:,.6f}) and is rounded so that "
            "all schools add up to the budget exactly; the rounding line is the difference.")
