"""The budget-neutral solve: the base per weighted pupil at which allocations add up to the pot.

With hold-harmless floors and gains caps the total

    T(b) = sum_i min(max(b * w_i + f_i, floor_i), cap_i)

is continuous, non-decreasing and piecewise linear in the base b (w_i weighted pupils, f_i fixed
dollars). Its breakpoints are where a school leaves its floor, (floor_i - f_i) / w_i, and reaches its
cap, (cap_i - f_i) / w_i. The solve sorts them, accumulates the constant and slope of T between
them, finds the segment that holds the pot, and solves that segment's linear equation: an exact
answer in O(n log n), not an iteration to a tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class BudgetInfeasible(ValueError):
    """The limits leave no base that spends the pot exactly; `shortfall` says by how many dollars."""

    def __init__(self, message: str, shortfall: float):
        super().__init__(message)
        self.shortfall = shortfall


@dataclass(frozen=True)
class Piecewise:
    """T(b) as segments: on [knots[k], knots[k+1]], T(b) = const[k] + slope[k] * b (knots[0] = 0)."""

    knots: np.ndarray
    const: np.ndarray
    slope: np.ndarray

    def total(self, b: float) -> float:
        """T(b), dollars."""
        k = max(int(np.searchsorted(self.knots, b, side="right")) - 1, 0)
        return float(self.const[k] + self.slope[k] * b)


def total_function(weighted: np.ndarray, fixed: np.ndarray, floor: np.ndarray, cap: np.ndarray) -> Piecewise:
    """T(b) for b >= 0 as a `Piecewise` (see the module docstring)."""
    w = np.asarray(weighted, dtype=float)
    f = np.asarray(fixed, dtype=float)
    floor = np.asarray(floor, dtype=float)
    cap = np.asarray(cap, dtype=float)
    flat = w <= 0
    any_flat = bool(flat.any())  # a school without pupils: usually none
    has_floor = np.isfinite(floor) & ~flat if any_flat else np.isfinite(floor)
    has_cap = np.isfinite(cap) & ~flat if any_flat else np.isfinite(cap)
    line = ~has_floor & ~flat if any_flat else ~has_floor
    # At b = -inf every school with a floor sits on it; schools without one are on the line.
    flat_total = np.sum(np.where(flat, np.minimum(np.maximum(f, floor), cap), 0.0)) if any_flat else 0.0
    const0 = np.sum(np.where(has_floor, floor, 0.0)) + np.sum(np.where(line, f, 0.0)) + flat_total
    slope0 = np.sum(np.where(line, w, 0.0))
    # Schools on the line, counted in integers: where none are, the slope is exactly zero (summing
    # +w and -w in floating point can leave 1e-15, which would hide an all-capped district).
    on_line0 = int(np.count_nonzero(line))
    w_floor, f_floor, w_cap, f_cap = w[has_floor], f[has_floor], w[has_cap], f[has_cap]
    floors, caps = floor[has_floor], cap[has_cap]
    n_floor = len(floors)
    # One event per limit: where a school leaves its floor (+1 on the line) or reaches its cap (-1).
    at = np.concatenate([(floors - f_floor) / w_floor, (caps - f_cap) / w_cap])
    events = np.empty((3, len(at)))  # rows: change of T's constant, of its slope, of schools on the line
    events[0, :n_floor], events[0, n_floor:] = f_floor - floors, caps - f_cap
    events[1, :n_floor], events[1, n_floor:] = w_floor, -w_cap
    events[2, :n_floor], events[2, n_floor:] = 1.0, -1.0
    return piecewise_from_events(const0, slope0, on_line0, at, events)


def piecewise_from_events(const0: float, slope0: float, on_line0: int, at: np.ndarray,
                          events: np.ndarray) -> Piecewise:
    """T(b) for b >= 0 from its value as b -> -inf (const0 + slope0 x b, with `on_line0` lines
    sloping) and its events: at breakpoint at[j], T's constant changes by events[0, j], its slope by
    events[1, j] and the count of sloping lines by events[2, j]."""
    if len(at) == 0:
        sums, knots = np.empty((3, 0)), np.empty(0)
        const_start, slope_start, line_start = const0 + 0.0, slope0 + 0.0, on_line0
    else:
        knots, sums, before = _knot_sums(at, events)
        if before is not None:  # events at or left of b = 0 are already in effect at 0
            const_start = const0 + before[0].sum()
            slope_start = slope0 + before[1].sum()
            line_start = on_line0 + int(before[2].sum())
        else:  # (adding the empty sums, exactly as in the other branch)
            const_start, slope_start, line_start = const0 + 0.0, slope0 + 0.0, on_line0
    # T's constant, slope and count of sloping lines on each segment: the running sums of the
    # per-knot changes (one row at a time: numpy's cumsum along the rows of a 3 x n array is slow)
    const, slope, on_line = (_running(start, row) for start, row in
                             zip((const_start, slope_start, line_start), sums))
    slope = np.where(on_line > 0, np.maximum(slope, 0.0), 0.0)  # on_line: whole numbers, exact
    return Piecewise(np.concatenate([[0.0], knots]), const, slope)


def _running(start: float, changes: np.ndarray) -> np.ndarray:
    """start, then start plus each running sum of `changes` (one more value than changes)."""
    out = np.empty(len(changes) + 1)
    out[0] = 0.0
    np.cumsum(changes, out=out[1:])
    out += start
    return out


def _knot_sums(at: np.ndarray, events: np.ndarray):
    """The distinct breakpoints above 0 in ascending order, the events summed per breakpoint (three
    rows of one value per knot) and the events at or below 0 (3 x m, in stable order; None when there are none).

    One sort: equal breakpoints are merged by their rank (`np.bincount` adds each knot's events in
    their original order, which is the order a stable sort would put them in), so ties cost no
    second, stable sort; the result does not depend on how the sort orders ties.

    >>> knots, sums, before = _knot_sums(np.array([2.0, 1.0, 2.0, -1.0]), np.array([[1.0, 2.0, 4.0, 8.0]] * 3))
    >>> knots.tolist(), sums[0].tolist(), before[0].tolist()
    ([1.0, 2.0], [2.0, 5.0], [8.0])
    """
    order = np.argsort(at)
    ranked = at[order]
    if np.isnan(ranked[-1]):  # NaN sorts last; keep the general stable path for it
        order, ranked, _ = _stable_order(at)
        events = np.take(events, order, axis=1)
        cut = int(np.searchsorted(ranked, 0.0, side="right"))
        before = events[:, :cut] if cut else None
        ranked, events = ranked[cut:], events[:, cut:]
        if len(ranked) == 0:
            return np.empty(0), np.empty((3, 0)), before
        starts = np.flatnonzero(np.concatenate([[True], ranked[1:] != ranked[:-1]]))
        return ranked[starts], np.add.reduceat(events, starts, axis=1), before
    cut = int(np.searchsorted(ranked, 0.0, side="right"))
    before = None
    if cut:
        left = np.flatnonzero(at <= 0.0)
        left = left[np.argsort(at[left], kind="stable")]
        before = events[:, left]
    change = ranked[1:] != ranked[:-1]
    if not change.all():  # some breakpoints tie: one knot per distinct value
        rank = np.empty(len(at), dtype=np.intp)
        rank[order] = np.concatenate([[0], np.cumsum(change)])
        starts = np.flatnonzero(np.concatenate([[True], change]))
        n = len(starts)
        first = int(np.searchsorted(ranked[starts], 0.0, side="right"))
        sums = [np.bincount(rank, weights=events[r], minlength=n)[first:] for r in range(3)]
        return ranked[starts][first:], sums, before
    sums = np.take(events, order[cut:], axis=1)
    return ranked[cut:], sums, before


def _stable_order(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """The stable ascending order of `values` (ties keep their positions), the sorted values and
    whether any two are equal. When no two values are equal every sort gives this order, so the
    faster unstable sort is used and checked.

    >>> order, ranked, tied = _stable_order(np.array([3.0, 1.0, 2.0, 1.0]))
    >>> order.tolist(), ranked.tolist(), tied
    ([1, 3, 2, 0], [1.0, 1.0, 2.0, 3.0], True)
    """
    order = np.argsort(values)
    ranked = values[order]
    nan = bool(np.isnan(ranked).any())
    tied = nan or bool((ranked[1:] == ranked[:-1]).any())
    if tied:
        order = np.argsort(values, kind="stable")
        ranked = values[order]
    return order, ranked, tied


def solve_base(weighted, fixed, floor, cap, pot: float) -> float:
    """The smallest base b >= 0 (dollars per weighted pupil) with T(b) = pot.

    Raises `BudgetInfeasible` when even b = 0 spends more than the pot (the floors and fixed amounts
    alone exceed it) or when no base spends it (every school is capped).

    >>> solve_base([10, 10], [0, 0], [-np.inf, -np.inf], [np.inf, np.inf], 1000.0)
    50.0
    """
    return solve_total(total_function(weighted, fixed, floor, cap), pot)


def solve_total(t: Piecewise, pot: float) -> float:
    """The smallest base b >= 0 with t(b) = pot (see `solve_base`, which raises the same errors)."""
    at_knots = t.const + t.slope * t.knots
    if pot < at_knots[0]:
        raise BudgetInfeasible(
            f"The hold-harmless floors and fixed school amounts alone need ${at_knots[0]:,.0f}, "
            f"more than the ${pot:,.0f} budget: a shortfall of ${at_knots[0] - pot:,.0f}. "
            "Raise the budget or loosen the floor (max_loss_pct).", at_knots[0] - pot)
    if t.slope[-1] <= 0 and pot > at_knots[-1]:
        raise BudgetInfeasible(
            f"Every school reaches its gains cap at ${at_knots[-1]:,.0f} in all, less than the "
            f"${pot:,.0f} budget: ${pot - at_knots[-1]:,.0f} cannot be spent. "
            "Lower the budget or raise the cap (max_gain_pct).", pot - at_knots[-1])
    k = int(np.searchsorted(at_knots, pot, side="left"))
    if k < len(at_knots) and at_knots[k] == pot:
        return float(t.knots[k])
    k -= 1  # pot lies inside segment k, where the slope is positive
    return float((pot - t.const[k]) / t.slope[k])
