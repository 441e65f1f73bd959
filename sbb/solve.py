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
    has_floor = np.isfinite(floor) & ~flat
    has_cap = np.isfinite(cap) & ~flat
    with np.errstate(divide="ignore", invalid="ignore"):
        leave_floor = np.where(has_floor, (floor - f) / np.where(flat, 1.0, w), -np.inf)
        reach_cap = np.where(has_cap, (cap - f) / np.where(flat, 1.0, w), np.inf)
    # At b = -inf every school with a floor sits on it; schools without one are on the line.
    const0 = (np.sum(np.where(has_floor, floor, 0.0)) + np.sum(np.where(~has_floor & ~flat, f, 0.0))
              + np.sum(np.where(flat, np.minimum(np.maximum(f, floor), cap), 0.0)))
    slope0 = np.sum(np.where(~has_floor & ~flat, w, 0.0))
    # Schools on the line, counted in integers: where none are, the slope is exactly zero (summing
    # +w and -w in floating point can leave 1e-15, which would hide an all-capped district).
    on_line0 = int(np.sum(~has_floor & ~flat))
    at = np.concatenate([leave_floor[has_floor], reach_cap[has_cap]])
    d_const = np.concatenate([(f - floor)[has_floor], (cap - f)[has_cap]])
    d_slope = np.concatenate([w[has_floor], -w[has_cap]])
    d_line = np.concatenate([np.ones(int(has_floor.sum()), np.int64), -np.ones(int(has_cap.sum()), np.int64)])
    order = np.argsort(at, kind="stable")
    at, d_const, d_slope, d_line = at[order], d_const[order], d_slope[order], d_line[order]
    before = at <= 0.0  # events left of b = 0 are already in effect at 0
    const_start = const0 + d_const[before].sum()
    slope_start = slope0 + d_slope[before].sum()
    line_start = on_line0 + int(d_line[before].sum())
    at, d_const, d_slope, d_line = at[~before], d_const[~before], d_slope[~before], d_line[~before]
    knots, starts = np.unique(at, return_index=True)
    seg_const = np.add.reduceat(d_const, starts) if len(at) else np.empty(0)
    seg_slope = np.add.reduceat(d_slope, starts) if len(at) else np.empty(0)
    seg_line = np.add.reduceat(d_line, starts) if len(at) else np.empty(0, np.int64)
    const = const_start + np.concatenate([[0.0], np.cumsum(seg_const)])
    slope = slope_start + np.concatenate([[0.0], np.cumsum(seg_slope)])
    on_line = line_start + np.concatenate([[0], np.cumsum(seg_line)])
    slope = np.where(on_line > 0, np.maximum(slope, 0.0), 0.0)
    return Piecewise(np.concatenate([[0.0], knots]), const, slope)


def solve_base(weighted, fixed, floor, cap, pot: float) -> float:
    """The smallest base b >= 0 (dollars per weighted pupil) with T(b) = pot.

    Raises `BudgetInfeasible` when even b = 0 spends more than the pot (the floors and fixed amounts
    alone exceed it) or when no base spends it (every school is capped).

    >>> solve_base([10, 10], [0, 0], [-np.inf, -np.inf], [np.inf, np.inf], 1000.0)
    50.0
    """
    t = total_function(weighted, fixed, floor, cap)
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
