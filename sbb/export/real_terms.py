"""Spreadsheet formulas for the real-formula keys (product.md, "Real formulas").

Each function returns formula text for one Allocations row, restating `sbb.concentration`,
`sbb.statutory` and `sbb.transition` in Excel: ROUND (half away from zero, like the statute) for
statutory rounding, MIN for the ramp, MAX for the excess, and the transition as
prior + share x (amount - prior). Schools-file inputs (multiplier, extra amounts, whether
hold-harmless applies) are columns on the Counts sheet, keyed 'school:<column>'.
"""

from __future__ import annotations

from ..weights import Concentration, WeightTable
from .formulas import Cells, defined_name


def conc_name(c: Concentration, part: str) -> str:
    return defined_name("conc", c.name, part)


def _round(expr: str, places: int | None) -> str:
    return expr if places is None else f"ROUND({expr},{places})"


def counted(cells: Cells, row: int, weights: WeightTable, c: Concentration) -> str:
    """Pupils the concentration counts: the flag, or each level x its count (a named cell when the
    weight table gives it, else 1)."""
    given = dict(c.count)
    terms = []
    for cat in weights.categories():
        if cat.need != c.need:
            continue
        cell = cells.c(cat.column, row)
        if cat.level is not None and cat.level in given:
            terms.append(f"{cell}*{conc_name(c, 'count_' + cat.level)}")
        else:
            terms.append(cell)
    return _round("(" + "+".join(terms) + ")", weights.rounding.counted)


def concentration_term(cells: Cells, row: int, weights: WeightTable, c: Concentration) -> str:
    """Extra weighted pupils of one concentration (see `sbb.concentration` for the rule)."""
    r = weights.rounding
    enrol = cells.c("enrollment", row)
    n = counted(cells, row, weights, c)
    share = _round(f"{n}/{enrol}", r.share)
    w = conc_name(c, "weight")
    if c.shape == "ramp":
        factor = _round(f"MIN(1,{share}/{conc_name(c, 'full_at')})", r.factor)
        extra = f"{w}*{n}*{factor}"
    elif c.shape == "excess":
        extra = f"{w}*" + _round(f"MAX(0,{n}-{conc_name(c, 'share_at_least')}*{enrol})", r.counted)
    else:
        extra = f"IF({share}>={conc_name(c, 'share_at_least')},{w}*{n},0)"
    return f"IF({enrol}>0,{_round(extra, r.weighted_pupils)},0)"


def multiplier(cells: Cells, row: int, weights: WeightTable) -> str:
    return cells.c("school:" + weights.multiplier, row) if weights.multiplier else "1"


def extra_exact(cells: Cells, row: int, weights: WeightTable) -> str:
    return "+".join(f"N({cells.c('school:' + col, row)})" for col in weights.extra_amounts) or "0"


def applies(cells: Cells, row: int, column: str | None) -> str:
    """A condition that is true where hold-harmless does NOT apply (the schools column says no)."""
    return f',{cells.c("school:" + column, row)}<>"yes"' if column else ""


def after_transition(cells: Cells, row: int) -> str:
    prior, x = cells.a("prior_allocation", row), cells.a("within_limits", row)
    return (f'=IF({prior}="",{x},{prior}+IF({x}>={prior},transition_share_of_gain,'
            f"transition_share_of_loss)*({x}-{prior}))")


def transition_keeps(cells: Cells, row: int) -> str:
    """A condition: the transition leaves the formula amount where it is."""
    prior, exact = cells.a("prior_allocation", row), cells.a("formula_exact", row)
    return (f'OR({prior}="",{exact}={prior},AND({exact}>{prior},transition_share_of_gain=1),'
            f"AND({exact}<{prior},transition_share_of_loss=1))")
