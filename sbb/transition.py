"""A one-year transition toward the formula (scenario `[transition]`), after the hold-harmless limits.

For a school with a prior allocation p and an amount x after the floor and cap:

    x >= p:  p + share_of_gain x (x - p)      (Connecticut FY2025 ECS: 0.565 of the gap)
    x <  p:  p + share_of_loss x (x - p)      (1 = all the way down)

A school without a prior year is on the formula. The map is monotone, so the budget-neutral total
is still a non-decreasing piecewise-linear function of the base; `split_lines` rewrites each school
as two clamped lines plus a constant so the exact solve (`sbb.solve`) needs no change:

    T(L(x)) = l x min(L(x), p) + g x max(L(x), p) + p x (1 - l - g),
    min(L(x), p) = clamp(x, floor, min(cap, p)),  max(L(x), p) = clamp(x, max(floor, p), cap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Transition:
    """Shares (0-1) of the gap to the formula closed this year, for gains and for losses."""

    share_of_gain: float = 1.0
    share_of_loss: float = 1.0


def transition(x: np.ndarray, prior: np.ndarray, t: Transition) -> np.ndarray:
    """Amounts after the transition (dollars); unchanged where there is no prior year."""
    x = np.asarray(x, dtype=float)
    p = np.asarray(prior, dtype=float)
    share = np.where(x >= p, t.share_of_gain, t.share_of_loss)
    with np.errstate(invalid="ignore"):  # an open limit (+-inf) with share 0 stays at p
        moved = np.where(share == 0, p, p + share * (x - p))
    return np.where(np.isnan(p), x, moved)


def inverse(y: np.ndarray, prior: np.ndarray, t: Transition, fallback: np.ndarray) -> np.ndarray:
    """The amount before the transition that it maps to `y`; `fallback` where there is none (no
    prior year, an open limit, or a share of 0 on that side)."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(prior, dtype=float)
    share = np.where(y >= p, t.share_of_gain, t.share_of_loss)
    ok = ~np.isnan(p) & np.isfinite(y) & (share > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        back = p + (y - p) / np.where(ok, share, 1.0)
    return np.where(ok, back, fallback)


def split_lines(slope, offset, floor, cap, prior, t: Transition):
    """(slope, offset, floor, cap, constant) of 2n clamped lines whose total equals the total after
    limits and transition, for every base (see the module docstring)."""
    p = np.asarray(prior, dtype=float)
    floor, cap = np.asarray(floor, dtype=float), np.asarray(cap, dtype=float)
    new = np.isnan(p)
    pp = np.where(new, 0.0, p)
    lo_share = np.where(new, 1.0, t.share_of_loss)  # a new school: its whole line in the first half
    hi_share = np.where(new, 0.0, t.share_of_gain)
    # min(L(x), p) = clamp(x, min(floor, p), min(cap, p)) and max(L(x), p) = clamp(x, max(floor, p),
    # max(cap, p)); a limit rounded past p (a prior in cents, limits in whole dollars) stays uncrossed
    first_floor = np.where(new, floor, np.minimum(floor, pp))
    first_cap = np.where(new, cap, np.minimum(cap, pp))
    second_floor = np.where(new, -np.inf, np.maximum(floor, pp))
    second_cap = np.where(new, np.inf, np.maximum(cap, pp))

    def scaled(share, lo, hi):
        on = share > 0
        with np.errstate(invalid="ignore"):
            return (np.where(on, share * slope, 0.0), np.where(on, share * offset, 0.0),
                np.where(on, share * lo, -np.inf), np.where(on, share * hi, np.inf))

    a = scaled(lo_share, first_floor, first_cap)
    b = scaled(hi_share, second_floor, second_cap)
    constant = float(np.sum(pp * (1.0 - lo_share - hi_share)))
    return (*(np.concatenate([x, y]) for x, y in zip(a, b)), constant)
