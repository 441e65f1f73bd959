"""Many scenarios at once: the budget-neutral solve, the rounding and the equity ratios batched over
the scenario axis (a sweep's points are the columns of schools x points arrays).

Each point's weighted pupils `s` and fixed dollars `f` come from the engine's own functions
(`sbb.formula`), so a point's formula line `b x s + f` is exactly the one `allocate()` builds. Then,
for a block of points at once:

* the solve: each point's total T(b) = sum_i min(max(b s_i + f_i, floor_i), cap_i) is piecewise
  linear with knots where a school leaves its floor or reaches its cap. The knots of every point are
  sorted together (one sort along the schools axis), a vectorised binary search finds the first knot
  where T reaches the pot, and the linear piece before it is solved exactly (the schools on the line
  at its midpoint give the slope): the same smallest base b >= 0 with T(b) = pot that
  `sbb.solve.solve_base` finds, up to floating-point rounding in the last digits.
* the rounding: as `sbb.rounding.round_to_total`: every amount rounded down within its whole-unit
  limits, the leftover units to the largest remainders (ties to the school listed first).
* the poverty quartile ratio and the Gini coefficient of dollars per pupil, by the rules of
  `sbb.equity` (`vertical_metrics`, `equity_metrics`); the quarters of pupils depend only on pupils
  and poverty, so each quarter's mean is one fixed row of weights times the dollars per pupil.

Points the batch cannot take (fixed-base mode, a phase-in, anything but a plain formula line:
`target.plain_formula`) go one by one through the ordinary route. Tests check the batch against `allocate()` point by point.
"""

from __future__ import annotations

import numpy as np

from .. import formula as fm
from ..allocate import _pot_units, school_bands
from ..counts import count_columns
from ..limits import gains_cap, hold_harmless_floor
from ..problems import InputError, Problem
from ..rounding import _EPS, whole_unit_bounds
from ..scenario import Scenario
from ..theory import band_supplement_amount
from .target import Evaluator, Outcome, plain_formula

BLOCK = 192  # points per block: keeps the schools x points arrays small (1,600 x 192 doubles = 2.5 MB)


def batchable(s: Scenario) -> bool:
    """Whether a scenario can go through the batch: budget-neutral, one year, a plain formula line."""
    return s.mode == "budget_neutral" and (s.theory.phase_in_years or 1) == 1 and plain_formula(s)


def outcomes(ev: Evaluator, scenarios: list[Scenario]) -> list[Outcome | InputError]:
    """The outcome of each scenario (or the `InputError` an impossible budget raises), in order."""
    out: list[Outcome | InputError | None] = [None] * len(scenarios)
    fast = [i for i, s in enumerate(scenarios) if batchable(s)] if ev.core else []
    for i in fast:  # the evaluator checks its core route against allocate() on the first feasible point
        try:
            ev.outcome(scenarios[i])
        except InputError:
            continue
        break
    if not ev.core:
        fast = []
    for i in set(range(len(scenarios))) - set(fast):
        try:
            out[i] = ev.outcome(scenarios[i])
        except InputError as err:
            out[i] = err
    for start in range(0, len(fast), BLOCK):
        idx = fast[start:start + BLOCK]
        for i, o in zip(idx, _block(ev, [scenarios[i] for i in idx])):
            out[i] = o
        if start == 0 and not _agrees(ev, [(scenarios[i], out[i]) for i in idx]):
            return [_one(ev, s) for s in scenarios]  # never seen: the ordinary route for every point
        ev.batched += len(idx)
    return out  # type: ignore[return-value]


def _agrees(ev: Evaluator, pairs: list[tuple[Scenario, Outcome | InputError]]) -> bool:
    """The batch's first feasible point against the evaluator's ordinary route: same units."""
    for s, o in pairs:
        if isinstance(o, Outcome):
            ref = ev.outcome(s)
            return bool(np.array_equal(ref.units, o.units) and np.array_equal(ref.formula_units, o.formula_units))
    return True


def _line(ev: Evaluator, s: Scenario) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pupils, weighted pupils and fixed dollars per school, as `allocation_units` builds them
    (the same functions on the same counts; the parts a sweep does not change are kept between points)."""
    w = s.weights
    columns = tuple(count_columns(w))
    matrix = ev._matrices.get(columns)
    if matrix is None:
        matrix = ev._matrices[columns] = ev.district.matrix(list(columns))
    memo = ev._memo
    pupils = memo.get(("pupils", columns))
    if pupils is None:
        pupils = memo[("pupils", columns)] = fm.enrollment(matrix)
    grade = memo.get(("grade", columns, w.grade))
    if grade is None:
        grade = memo[("grade", columns, w.grade)] = fm.grade_weighted(matrix, w)
    weighted = grade + fm.need_weighted(matrix, w)
    band = s.theory.band_supplement
    key = ("fixed", columns, w.foundation_per_school, w.small_school, band)
    fixed = memo.get(key)
    if fixed is None:
        bands = school_bands(ev.district, s, band.column) if band is not None else None
        fixed = memo[key] = sum([fm.foundation_amount(len(pupils), w), fm.small_school_amount(pupils, w),
                                 band_supplement_amount(bands, pupils, band)])
    return pupils, weighted, fixed


def _block(ev: Evaluator, scenarios: list[Scenario]) -> list[Outcome | InputError]:
    """One block of points; arrays are points x schools (each point's schools contiguous)."""
    scale = scenarios[0].scale
    if not all(s.scale == scale for s in scenarios):  # never in a sweep (rounding is not a parameter)
        return [_one(ev, s) for s in scenarios]
    n, m = len(ev.prior), len(scenarios)
    S, F = np.empty((m, n)), np.empty((m, n))
    FL, CP, LO, HI = np.empty((m, n)), np.empty((m, n)), np.empty((m, n), np.int64), np.empty((m, n), np.int64)
    pots = np.empty(m, np.int64)
    limits: dict[tuple, tuple] = {}
    pupils = None
    for j, s in enumerate(scenarios):
        pupils, S[j], F[j] = _line(ev, s)
        key = (s.max_loss_pct, s.max_gain_pct)
        if key not in limits:
            limits[key] = whole_unit_bounds(hold_harmless_floor(ev.prior, s.max_loss_pct),
                                            gains_cap(ev.prior, s.max_gain_pct), scale)
        FL[j], CP[j], LO[j], HI[j] = limits[key]
        pot_key = ("pot", s.budget, s.scale, s.theory.managed_total)
        if pot_key not in ev._memo:
            ev._memo[pot_key] = _pot_units(ev.prior, s)[1]
        pots[j] = ev._memo[pot_key]
    base, problem = solve_bases(S, F, FL, CP, pots / scale)
    ok = np.flatnonzero(problem == "")
    results: list[Outcome | InputError] = [
        InputError([Problem(s.file or s.title, None, "funding.budget", f"{pots[j] / scale:,.0f}", problem[j])])
        for j, s in enumerate(scenarios)]
    if ok.size == 0:
        return results
    if ok.size < m:
        S, F, FL, CP, LO, HI = S[ok], F[ok], FL[ok], CP[ok], LO[ok], HI[ok]
    b = base[ok][:, None]
    formula = b * S + F
    exact = np.minimum(np.maximum(formula, FL), CP)
    units = round_to_totals(exact, LO, HI, pots[ok], scale)
    on = (formula >= FL) & (formula <= CP)
    rounded = np.floor(formula * scale + 0.5).astype(np.int64)
    formula_units = rounded + on * (units - rounded)
    pupils = np.asarray(pupils, dtype=float)
    per_pupil = units / scale / (pupils + (pupils <= 0))  # schools without pupils are left out below
    ratio = None
    if ev.poor is not None:  # (elementwise, not a BLAS product: its threads stall on a busy machine)
        weights, mine = _quartiles(ev, pupils), per_pupil[:, pupils > 0]
        ratio = np.stack([(mine * weights[0]).sum(axis=1), np.zeros(ok.size), np.zeros(ok.size),
                          (mine * weights[3]).sum(axis=1)])
    gini = ginis(per_pupil, pupils)
    for k, j in enumerate(ok):
        o = Outcome(float(base[j]), units[k], formula_units[k], scale, ev.prior, pupils, ev.poor)
        o._memo["measure:gini"] = float(gini[k])
        if ratio is not None:
            low, high = ratio[0, k], ratio[3, k]
            o._memo["measure:quartile_ratio"] = float(high / low) if low != 0 and np.isfinite(low) else float("nan")
        results[j] = o
    return results


def _quartiles(ev: Evaluator, pupils: np.ndarray) -> np.ndarray:
    """The 4 x schools-with-pupils matrix whose product with dollars per pupil gives the mean of each
    poverty quarter of pupils (`quartile_matrix`), worked out once per district."""
    if "quartiles" not in ev._memo:
        ev._memo["quartiles"] = quartile_matrix(pupils, ev.poor)
    return ev._memo["quartiles"]


def _one(ev: Evaluator, s: Scenario) -> Outcome | InputError:
    try:
        return ev.outcome(s)
    except InputError as err:
        return err


def solve_bases(S, F, FL, CP, pots) -> tuple[np.ndarray, np.ndarray]:
    """For each row j (a point; columns are schools), the smallest base b >= 0 with
    sum_i min(max(b S_ji + F_ji, FL_ji), CP_ji) = pots[j] (dollars); and a message per row ('' when
    solved) saying why there is none, in the words of `sbb.solve.solve_base`."""
    m, n = S.shape
    rows = np.arange(m)
    line = S > 0
    # Where a school leaves its floor and reaches its cap. A school without pupils (S = 0) or without
    # a limit gives a knot that marks nothing (at 0, at +inf, or anywhere): T is evaluated directly at
    # every knot, so an extra knot only splits a linear piece in two. (Masks cost ten times the
    # arithmetic here, hence the arithmetic.)
    safe = S + ~line
    with np.errstate(invalid="ignore"):
        kf = np.maximum((FL - F) / safe, 0.0)
        kc = np.maximum((CP - F) / safe, 0.0)
    knots = np.sort(np.concatenate([np.zeros((m, 1)), kf, kc], axis=1), axis=1)
    last = np.isfinite(knots).sum(axis=1) - 1  # index of the last finite knot (>= 0: the zero)

    def total(b: np.ndarray) -> np.ndarray:
        return np.minimum(np.maximum(b[:, None] * S + F, FL), CP).sum(axis=1)

    t0 = total(np.zeros(m))
    t_last = total(knots[rows, last])
    lo, hi = np.zeros(m, np.int64), last.copy()
    while np.any(lo < hi):
        mid = (lo + hi) // 2
        ge = total(knots[rows, mid]) >= pots
        hi, lo = np.where(ge, mid, hi), np.where(ge, lo, mid + 1)
    k = lo
    beyond = t_last < pots  # the pot lies past the last knot
    left = np.where(beyond, knots[rows, last], knots[rows, np.maximum(k - 1, 0)])
    right = np.where(beyond, knots[rows, last] * 2 + 1.0, knots[rows, k])
    v = ((left + right) / 2)[:, None] * S + F
    on = line & (v > FL) & (v < CP)
    slope = (S * on).sum(axis=1)
    const = (F * on).sum(axis=1) + (np.minimum(np.maximum(v, FL), CP) * ~on).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        solved = (pots - const) / slope
    at_knot = ~beyond & (total(knots[rows, k]) == pots)
    base = np.where(at_knot, knots[rows, k], solved)
    problem = np.full(m, "", dtype=object)
    short = t0 > pots
    for j in np.flatnonzero(short):
        problem[j] = (f"The hold-harmless floors and fixed school amounts alone need ${t0[j]:,.0f}, "
                      f"more than the ${pots[j]:,.0f} budget: a shortfall of ${t0[j] - pots[j]:,.0f}. "
                      "Raise the budget or loosen the floor (max_loss_pct).")
    capped = ~short & beyond & (slope <= 0)
    for j in np.flatnonzero(capped):
        problem[j] = (f"Every school reaches its gains cap at ${t_last[j]:,.0f} in all, less than the "
                      f"${pots[j]:,.0f} budget: ${pots[j] - t_last[j]:,.0f} cannot be spent. "
                      "Lower the budget or raise the cap (max_gain_pct).")
    return np.where(short | capped, np.nan, base), problem


def round_to_totals(exact: np.ndarray, lo: np.ndarray, hi: np.ndarray, totals: np.ndarray, scale: int) -> np.ndarray:
    """Row by row, `sbb.rounding.round_to_total`: integer units within [lo, hi] adding up to
    `totals`, each rounded down first and the leftover units to the largest remainders (taken back
    from the smallest), ties to the school listed first."""
    x = exact * scale
    units = np.clip(np.floor(x + _EPS).astype(np.int64), lo, hi)
    left = totals - units.sum(axis=1)
    rank = np.arange(units.shape[1])[None, :]
    while np.any(left != 0):
        step = np.sign(left)[:, None]
        room = ((units < hi) & (step > 0)) | ((units > lo) & (step < 0))
        rooms = room.sum(axis=1)
        if np.any((rooms == 0) & (left != 0)):
            raise ValueError("cannot place the rounding within the limits")
        key = -(x - units) * step + ~room * 1e300  # schools without room sort last, never chosen
        order = np.argsort(key, axis=1, kind="stable")
        chosen = np.zeros_like(room)
        np.put_along_axis(chosen, order, rank < np.minimum(np.abs(left), rooms)[:, None], axis=1)
        units += chosen * step
        left -= chosen.sum(axis=1) * step[:, 0]
    return units


def ginis(values: np.ndarray, pupils: np.ndarray) -> np.ndarray:
    """Row by row, `equity_metrics`' Gini of per-pupil dollars weighted by pupils (schools without
    pupils left out): the gaps between sorted values, each times the pupils below and above it, over
    W^2 x the mean (equal values add nothing, so their order does not matter). NaN where
    `equity_metrics` refuses the row (a school with pupils and no dollars)."""
    keep = pupils > 0
    x, w = values[:, keep], pupils[keep]
    refused = ~(x > 0).all(axis=1)  # equity_metrics refuses a school with pupils and no dollars
    order = np.argsort(x, axis=1)
    xs, ws = np.take_along_axis(x, order, axis=1), w[order]
    cw = np.cumsum(ws, axis=1)
    W = cw[:, -1]
    mu = np.clip((ws * xs).sum(axis=1) / W, xs[:, 0], xs[:, -1])
    below = cw[:, :-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        gini = (np.diff(xs, axis=1) * below * (W[:, None] - below)).sum(axis=1) / (W * W * mu)
    return np.where(refused, np.nan, gini)


def quartile_matrix(pupils: np.ndarray, poor: np.ndarray) -> np.ndarray:
    """A (4 x schools with pupils): row k times per-pupil dollars is the mean of poverty quarter k+1
    of pupils as `vertical_metrics` takes it (schools ordered by poverty share, equal shares pooled,
    a school or pool straddling a quarter boundary split in proportion). Each quarter's mean is
    sum over pools of overlap x pool mean / quarter pupils, and a pool's mean is its pupils'
    weighted mean, so the weights on schools do not depend on the dollars."""
    keep = pupils > 0
    w, p = pupils[keep], poor[keep]
    levels, group = np.unique(p / w, return_inverse=True)
    gw = np.bincount(group, weights=w)
    hi_edge = np.cumsum(gw)
    lo_edge = np.concatenate(([0.0], hi_edge[:-1]))
    bounds = hi_edge[-1] * np.arange(5) / 4.0
    overlap = np.clip(np.minimum(hi_edge[:, None], bounds[None, 1:]) - np.maximum(lo_edge[:, None], bounds[None, :-1]),
                      0.0, None)
    per_school = overlap[group] * (w / gw[group])[:, None]  # schools x 4
    return (per_school / overlap.sum(axis=0)[None, :]).T
