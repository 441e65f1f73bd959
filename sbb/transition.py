"""A one-year transition toward the formula (scenario `[transition]`), after the hold-harmless limits.

For a school with a prior allocation p and an amount x after the floor and cap:

    x >= p:  p + share_of_gain x (x - p)      (Connecticut FY2025 ECS: 0.565 of the gap)
    x <  p:  p + share_of_loss x (x - p)      (1 = all the way down)

A school without a prior year is on the formula. The map is monotone, so the budget-neutral total
is still a non-decreasing piecewise-linear function of the base, with one more breakpoint per school
(at its prior amount); `transition_total` lists the breakpoints and the exact solve of `sbb.solve`
finds the base on it:

    T(L(x)) = p + l x (min(L(x), p) - p) + g x (max(L(x), p) - p),
    min(L(x), p) = clamp(x, min(floor, p), min(cap, p)),  max(L(x), p) = clamp(x, max(floor, p), max(cap, p)).
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


def transition_total(slope, offset, floor, cap, prior, t: Transition):
    """The budget-neutral total as a function of the base, T(b) = sum_i V_i(slope_i b + offset_i), as
    a `sbb.solve.Piecewise`, with

        V_i(x) = p + l x (clamp(x, a, c1) - p) + g x (clamp(x, a2, c) - p)
        a = min(floor, p), c1 = min(cap, p), a2 = max(floor, p), c = max(cap, p)

    (l, g: the shares of loss and gain; a new school is clamp(x, floor, cap)). Where the two parts
    meet at the prior there is one breakpoint, not two that tie, so the events are sorted once.
    """
    from .solve import piecewise_from_events

    w = np.asarray(slope, dtype=float)
    f = np.asarray(offset, dtype=float)
    lo, hi = np.asarray(floor, dtype=float), np.asarray(cap, dtype=float)
    p = np.asarray(prior, dtype=float)
    new = np.isnan(p)
    pp = np.where(new, 0.0, p)
    l_share = np.where(new, 1.0, t.share_of_loss)
    g_share = np.where(new, 0.0, t.share_of_gain)
    a = np.where(new, lo, np.minimum(lo, pp))
    c1 = np.where(new, hi, np.minimum(hi, pp))
    a2 = np.where(new, 0.0, np.maximum(lo, pp))
    c = np.where(new, 0.0, np.maximum(hi, pp))
    flat = w <= 0
    sloped = ~flat
    first = sloped & (l_share > 0) & (a < c1)    # the part below the prior moves with x somewhere
    second = sloped & (g_share > 0) & (a2 < c)   # the part above it
    # As b -> -inf the first part sits at a (or, with no floor, on its line: l x (x - p)) and the
    # second at a2; a school without pupils stays at its value at x = f.
    first_line = first & ~np.isfinite(a)
    a_fin = np.where(np.isfinite(a), a, 0.0)
    first_val = np.where(first_line, l_share * (f - pp), np.where(np.isfinite(a), l_share * (a_fin - pp), 0.0))
    at_start = pp + first_val + g_share * (a2 - pp)
    if flat.any():
        x = np.minimum(np.maximum(f, a), c1)
        first_flat = np.where(np.isfinite(x), l_share * (np.where(np.isfinite(x), x, 0.0) - pp), 0.0)
        at_start = np.where(flat, pp + first_flat + g_share * (np.minimum(np.maximum(f, a2), c) - pp), at_start)
    const0 = float(np.sum(at_start))
    slope0 = float(np.sum(np.where(first_line, l_share * w, 0.0)))
    on_line0 = int(np.count_nonzero(first_line))

    merge = first & second & (c1 == a2)          # the usual case: one breakpoint at the prior
    parts = []                                   # (mask, level x, coefficient, +-1 sloping lines)
    parts.append((first & np.isfinite(a), a, l_share, 1.0))
    parts.append((first & ~merge & np.isfinite(c1), c1, -l_share, -1.0))
    parts.append((second & ~merge, a2, g_share, 1.0))
    parts.append((merge, c1, g_share - l_share, 0.0))
    parts.append((second & np.isfinite(c), c, -g_share, -1.0))
    at_list, dc, ds, dn = [], [], [], []
    for mask, level, coef, lines in parts:
        if not mask.any():
            continue
        ws, fs, xs = w[mask], f[mask], level[mask]
        k = coef[mask] if np.ndim(coef) else np.full(len(ws), coef)
        at_list.append((xs - fs) / ws)
        dc.append(k * (fs - xs))
        ds.append(k * ws)
        dn.append(np.full(len(ws), lines))
    if at_list:
        at = np.concatenate(at_list)
        events = np.vstack([np.concatenate(dc), np.concatenate(ds), np.concatenate(dn)])
    else:
        at, events = np.empty(0), np.empty((3, 0))
    return piecewise_from_events(const0, slope0, on_line0, at, events)
