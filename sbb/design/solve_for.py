"""Solve for a target: the value of one setting at which a result reaches a wanted value.

The result is evaluated on a scan of `SCAN` evenly spaced values across the range (the parameter's
default range unless one is given); the first place where it reaches the target is then refined:

* a continuous result (dollars, ratios, equity measures): `scipy.optimize.brentq` on the bracket
  where `result - target` changes sign, then the value on the parameter's lattice (a millionth of a
  weight or percentage point, one dollar of budget) closest to the target. It is met to within the
  change one lattice step of the parameter makes; `Solution.achieved` says exactly what it gives.
* a count of schools (a step function): bisection on the lattice for the smallest value at which the
  count reaches the target (equals it, or passes it when the count jumps over it, which the
  solution's `note` then says); one lattice step less does not reach it.

Between two scan points the result is taken as monotone; a result that turns back between them
may be missed (scan finer with `scan=`). When nothing in the range reaches the target the answer is
`OutOfReach` (an `InputError`) saying the range of results the setting can reach.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from ..figures import KINDS, figure_text
from ..problems import InputError, Problem
from ..report import dollars
from ..scenario import Scenario
from . import batch
from .params import Parameter, linspace, parameter, snap, with_values
from .sweep import check_range
from .target import Evaluator, Outcome, Result, result

SCAN = 41


class OutOfReach(InputError):
    """No value of the setting in its range gives the target."""


@dataclass(frozen=True)
class Solution:
    """The value found for `key`, the scenario with it, and what the result is there."""

    key: str
    value: float
    target: str
    wanted: float
    achieved: float
    scenario: Scenario
    outcome: Outcome
    note: str = ""


# Results that are board figures: written as the figure is everywhere else (`sbb.figures.figure_text`).
FIGURE_OF_RESULT = {"poverty_quartile_ratio": "quartile_ratio", "poor_ratio": "poor_ratio", "poor_gap": "poor_gap",
                    "poverty_slope_per_10pts": "poverty_slope_per_10pts", "gini": "gini", "mcloone": "mcloone",
                    "verstegen": "verstegen", "cv": "cv"}


def show(res: Result, x: float) -> str:
    """A result's value as the rest of the tool writes it: a board figure by its kind
    (`sbb.figures.figure_text`: the quartile ratio '1.200'), the biggest loss in percent to one
    decimal ('16.6%', as the biggest-loss card), other indexes to 4 decimals, money whole dollars
    (`sbb.report.dollars`; the base to the cent), counts whole."""
    if x is None or not math.isfinite(x):
        return "—"
    if res.name in FIGURE_OF_RESULT:
        return figure_text(x, KINDS[FIGURE_OF_RESULT[res.name]])
    if res.name == "biggest_loss_pct":
        return figure_text(x / 100, "pct")
    if res.name in KINDS:  # theil_t, federal_range_ratio, range, restricted_range
        return figure_text(x, KINDS[res.name])
    if res.kind == "count":
        return f"{x:,.0f}"
    if res.kind == "base":
        return dollars(x, True)
    if res.kind == "money":
        return dollars(x)
    return figure_text(x, "index")


def setting_text(kind: str, v: float) -> str:
    """A setting's value as the sidebar writes it, with the decimals it needs up to the lattice (a
    millionth): a weight '0.40' or '0.806023', a limit '3.0%' or '0.097472%', a budget '$256,512,266'."""
    if kind == "budget":
        return dollars(v)
    least = 1 if kind == "limit" else 2
    text = f"{round(v, 6):.6f}"
    whole, frac = text.split(".")
    frac = frac.rstrip("0").ljust(least, "0")
    return f"{whole}.{frac}%" if kind == "limit" else f"{whole}.{frac}"


def show_value(p: Parameter, v: float) -> str:
    """A parameter value as a person reads it (`setting_text` for its kind)."""
    return setting_text(p.kind, v)


def solve_for(evaluator: Evaluator, scenario: Scenario, key: str, target: str, wanted: float,
              lo: float | None = None, hi: float | None = None, scan: int = SCAN) -> Solution:
    """The value of `key` in [lo, hi] at which result `target` reaches `wanted` (module docstring)."""
    res = result(target)
    p = parameter(scenario, key, evaluator.prior_total)
    d_lo, d_hi = p.default_range()
    lo = max(p.lowest, d_lo) if lo is None else lo
    hi = min(p.highest, d_hi) if hi is None else hi
    if lo > hi:
        raise InputError([Problem("--range", None, key, f"{lo:g}:{hi:g}", "FROM no greater than TO")])
    check_range(scenario, p, lo, hi)
    q = p.quantum
    problems: list[str] = []

    def at(v: float) -> tuple[float, Outcome | None]:
        try:
            o = evaluator.outcome(with_values(scenario, {key: v}))
        except InputError as err:
            problems.append(" ".join(x.expected for x in err.problems))
            return math.nan, None
        return res.compute(o), o

    grid = np.unique(linspace(lo, hi, max(2, scan), q))
    ys = _scan(evaluator, scenario, key, res, grid, problems)
    if np.isfinite(ys).any() and not np.isfinite(ys).all():
        grid, ys = _feasible_edges(at, grid, ys, q)  # the scan's gaps end where the setting turns infeasible
    gap = ys - wanted
    finite = np.flatnonzero(np.isfinite(gap))
    if finite.size == 0:
        raise OutOfReach([Problem("--vary", None, key, f"{show_value(p, lo)} to {show_value(p, hi)}",
                                  "a range with at least one feasible value; every value scanned fails: " + problems[0])])
    first_sign = np.sign(gap[finite[0]])
    reached = [i for i in finite if gap[i] == 0 or np.sign(gap[i]) != first_sign]
    if not reached:
        def where(y: float) -> str:  # the values scanned giving y: one, or the stretch from first to last
            at_y = grid[finite[ys[finite] == y]]
            first, last = show_value(p, at_y.min()), show_value(p, at_y.max())
            return f"{key} = {first}" if first == last else f"{key} from {first} to {last}"

        y_lo, y_hi = float(ys[finite].min()), float(ys[finite].max())
        span = (f"{target} stays at {show(res, y_lo)}" if y_lo == y_hi else
                f"{target} runs from {show(res, y_lo)} ({where(y_lo)}) to {show(res, y_hi)} ({where(y_hi)})")
        feasible = ""
        if finite.size < len(grid):
            feasible = (f"; only {show_value(p, grid[finite[0]])} to {show_value(p, grid[finite[-1]])} is feasible"
                        if finite[-1] - finite[0] + 1 == finite.size else "; parts of it are infeasible")
            bad = float(grid[np.flatnonzero(~np.isfinite(ys))[0]])  # the scan's first infeasible value: problems[0]
            feasible += f" (at {show_value(p, bad)}: {problems[0].rstrip('.')})"
        raise OutOfReach([Problem("--target", None, target, show(res, wanted),
                                  f"a target within reach: searched {key} from {show_value(p, lo)} to "
                                  f"{show_value(p, hi)}{feasible}; over it {span}; choose a target in that range "
                                  "or widen it with --range FROM:TO")])
    i = reached[0]
    before = [j for j in finite if j < i]
    if res.steps:
        value = float(grid[i]) if not before else _smallest_reaching(at, float(grid[before[-1]]), float(grid[i]), q,
                                                                    wanted, first_sign)
    elif gap[i] == 0 or not before:
        value = float(grid[i])
    else:
        value = _closest(at, float(grid[before[-1]]), float(grid[i]), q, wanted)
    achieved, outcome = at(value)
    note = ""
    if res.steps and achieved != wanted:
        more = "or fewer" if first_sign > 0 else "or more"
        note = (f"No value gives exactly {show(res, wanted)}: the count jumps past it. This is the smallest value "
                f"at which it is {show(res, wanted)} {more} ({show(res, achieved)}).")
    return Solution(key, value, target, wanted, achieved, with_values(scenario, {key: value}), outcome, note)


def _scan(evaluator: Evaluator, scenario: Scenario, key: str, res: Result, grid: np.ndarray,
          problems: list[str]) -> np.ndarray:
    """The result at every scan value, allocated together through the batch (NaN where infeasible)."""
    found = batch.outcomes(evaluator, [with_values(scenario, {key: float(v)}) for v in grid])
    ys = np.full(len(grid), np.nan)
    for i, o in enumerate(found):
        if isinstance(o, InputError):
            problems.append(" ".join(x.expected for x in o.problems))
        else:
            ys[i] = res.compute(o)
    return ys


def _smallest_reaching(at, a: float, b: float, q: float, wanted: float, first_sign: float) -> float:
    """Bisection on the lattice: the smallest value in (a, b] at which the count reaches `wanted`
    (a does not reach it, b does)."""
    ka, kb = round(a / q), round(b / q)

    def reaches(k: int) -> bool:
        y = at(snap(k * q, q))[0]
        return math.isfinite(y) and (y == wanted or np.sign(y - wanted) != first_sign)

    while kb - ka > 1:
        mid = (ka + kb) // 2
        if reaches(mid):
            kb = mid
        else:
            ka = mid
    return snap(kb * q, q)


def _closest(at, a: float, b: float, q: float, wanted: float) -> float:
    """brentq on the bracket [a, b] (the result minus the target changes sign), then the lattice
    value nearest the root whose result is closest to the target."""

    def gap(v: float) -> float:
        y = at(v)[0]
        if not math.isfinite(y):
            raise _Infeasible
        return y - wanted

    try:
        root = brentq(gap, a, b, xtol=q / 8, rtol=4 * np.finfo(float).eps, maxiter=200)
    except _Infeasible:  # an infeasible stretch inside the bracket: plain bisection on what is feasible
        root = b
    centre = snap(root, q)
    best = None
    for v in (centre - q, centre, centre + q):
        v = snap(v, q)
        if a <= v <= b:
            y = at(v)[0]
            if math.isfinite(y) and (best is None or abs(y - wanted) < best[0]):
                best = (abs(y - wanted), v)
    return best[1] if best is not None else snap(b, q)


def _feasible_edges(at, grid: np.ndarray, ys: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """The scan with the edges of its feasible stretches added: between a scanned value that is
    infeasible and a neighbour that is feasible, bisection on the lattice finds the last feasible
    value (so the results reported as reachable are those at the true ends, not at the scan's)."""
    ok = np.isfinite(ys)
    extra: dict[float, float] = {}
    for i in range(len(grid) - 1):
        if ok[i] == ok[i + 1]:
            continue
        good, bad = (round(grid[i + 1] / q), round(grid[i] / q)) if ok[i + 1] else \
            (round(grid[i] / q), round(grid[i + 1] / q))
        while abs(good - bad) > 1:
            mid = (good + bad) // 2
            if math.isfinite(at(snap(mid * q, q))[0]):
                good = mid
            else:
                bad = mid
        v = snap(good * q, q)
        extra[v] = at(v)[0]
    if not extra:
        return grid, ys
    values = np.concatenate([grid, list(extra)])
    results = np.concatenate([ys, list(extra.values())])
    order = np.argsort(values, kind="stable")
    keep = np.concatenate([[True], np.diff(values[order]) != 0])
    return values[order][keep], results[order][keep]


class _Infeasible(Exception):
    pass
