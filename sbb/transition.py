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
    if t.share_of_gain > 0 and t.share_of_loss > 0 and not np.isnan(p).any():
        return p + share * (x - p)  # the usual case: the same numbers as below, fewer passes
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
    usual = _three_breakpoints(w, f, lo, hi, p, t)
    if usual is not None:
        return piecewise_from_events(*usual)
    new = np.isnan(p)
    if new.any():
        pp = np.where(new, 0.0, p)
        l_share = np.where(new, 1.0, t.share_of_loss)
        g_share = np.where(new, 0.0, t.share_of_gain)
        a = np.where(new, lo, np.minimum(lo, pp))
        c1 = np.where(new, hi, np.minimum(hi, pp))
        a2 = np.where(new, 0.0, np.maximum(lo, pp))
        c = np.where(new, 0.0, np.maximum(hi, pp))
    else:  # every school has a prior year (the usual case): the shares are the scenario's
        pp, l_share, g_share = p, float(t.share_of_loss), float(t.share_of_gain)
        a, c1, a2, c = np.minimum(lo, p), np.minimum(hi, p), np.maximum(lo, p), np.maximum(hi, p)
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

    # Up to four breakpoints per school, one row each: where the first part leaves a (+l), where it
    # reaches c1 (-l), where the second part leaves a2 (+g) and where it reaches c (-g). Where the two
    # parts meet at the prior (c1 == a2, the usual case) rows 1 and 2 are one breakpoint (g - l, no
    # change in the count of sloping lines), not two that tie.
    merge = first & second & (c1 == a2)
    n = len(w)
    levels, coef, lines = np.empty((4, n)), np.empty((4, n)), np.empty((4, n))
    levels[0], levels[1], levels[2], levels[3] = a, c1, a2, c
    coef[0], coef[1], coef[3] = l_share, -l_share, -g_share
    coef[2] = np.where(merge, g_share - l_share, g_share)
    lines[0], lines[1], lines[3] = 1.0, -1.0, -1.0
    lines[2] = np.where(merge, 0.0, 1.0)
    present = np.empty((4, n), dtype=bool)
    np.logical_and(first, np.isfinite(a), out=present[0])
    np.logical_and(first & ~merge, np.isfinite(c1), out=present[1])
    present[2] = second
    np.logical_and(second, np.isfinite(c), out=present[3])
    where = np.flatnonzero(present)              # row-major: row r, school i at r x n + i
    school = where % n if n else where
    xs, k, n_lines = levels.take(where), coef.take(where), lines.take(where)
    ws, fs = w.take(school), f.take(school)
    at = (xs - fs) / ws
    events = np.empty((3, len(at)))
    np.multiply(k, fs - xs, out=events[0])
    np.multiply(k, ws, out=events[1])
    events[2] = n_lines
    return piecewise_from_events(const0, slope0, on_line0, at, events)


def _three_breakpoints(w, f, lo, hi, p, t: Transition):
    """`transition_total`'s events in the usual case, in fewer passes: both shares above 0, every
    school with a prior year and, where it has pupils, a finite floor below its prior below a
    finite cap. Each such school then has three breakpoints: it leaves its floor (+l), passes its
    prior (g - l) and reaches its cap (-g); a school without pupils adds its constant value. The
    events, their order and the sums are those of the general code (which applies otherwise:
    returns None), so the numbers are the same bit for bit.
    """
    l_share, g_share = float(t.share_of_loss), float(t.share_of_gain)
    if l_share <= 0 or g_share <= 0:
        return None
    flat = w <= 0
    any_flat = bool(flat.any())
    with np.errstate(invalid="ignore"):
        inside = (lo < p) & (p < hi) & np.isfinite(lo) & np.isfinite(hi)  # False where p is NaN
    if any_flat:
        if np.isnan(p).any() or not (inside | flat).all():
            return None
    elif not inside.all():
        return None
    a, a2 = np.minimum(lo, p), np.maximum(lo, p)
    at_start = p + l_share * (a - p) + g_share * (a2 - p)
    if any_flat:  # a school without pupils stays at its value at x = f
        c1, c = np.minimum(hi, p), np.maximum(hi, p)
        x = np.minimum(np.maximum(f, a), c1)
        first_flat = np.where(np.isfinite(x), l_share * (np.where(np.isfinite(x), x, 0.0) - p), 0.0)
        at_start = np.where(flat, p + first_flat + g_share * (np.minimum(np.maximum(f, a2), c) - p), at_start)
        keep = np.flatnonzero(~flat)
        w, f, lo, hi, p = w[keep], f[keep], lo[keep], hi[keep], p[keep]
    m = len(w)
    at, events = np.empty(3 * m), np.empty((3, 3 * m))
    for j, (level, coef, lines) in enumerate(((lo, l_share, 1.0), (p, g_share - l_share, 0.0),
                                               (hi, -g_share, -1.0))):
        part = slice(j * m, (j + 1) * m)
        np.divide(level - f, w, out=at[part])
        np.multiply(coef, f - level, out=events[0, part])
        np.multiply(coef, w, out=events[1, part])
        events[2, part] = lines
    return float(np.sum(at_start)), 0.0, 0, at, events
