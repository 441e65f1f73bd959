"""Rounding allocations to whole units (dollars, or cents) without breaking a limit or the total.

Amounts are worked in integer units. A floor rounds up and a cap rounds down, so a rounded amount
never leaves its limits. To hit a pot exactly, every amount is first rounded down (within its
limits) and the units left over go one at a time to the largest remainders (largest-remainder, or
Hamilton, apportionment); ties go to the school listed first, so the result is deterministic.
"""

from __future__ import annotations

import numpy as np

UNITS = {"dollars": 1, "cents": 100}
_EPS = 1e-6  # units; absorbs float noise such as 0.97 x 1,000,000 = 969999.9999999999


def unit_bounds(floor: np.ndarray, cap: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """Floors rounded up and caps rounded down, in integer units (int64; open sides at +-2**62);
    a cap never below its floor."""
    big = float(2 ** 62)
    lo = np.where(np.isfinite(floor), np.ceil(np.asarray(floor) * scale - _EPS), -big)
    hi = np.where(np.isfinite(cap), np.floor(np.asarray(cap) * scale + _EPS), big)
    # A band narrower than one unit (no loss and no gain on a prior of $0.50) rounds to crossed
    # limits; the floor wins, so no school is ever cut below its guarantee.
    hi = np.maximum(hi, lo)
    return lo.astype(np.int64), hi.astype(np.int64)


def whole_unit_limits(floor: np.ndarray, cap: np.ndarray, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """Floors rounded up and caps rounded down to the unit, in dollars (open sides stay infinite).

    >>> [x.tolist() for x in whole_unit_limits(np.array([106.7, -np.inf]), np.array([113.3, np.inf]), 1)]
    [[107.0, -inf], [113.0, inf]]
    """
    return whole_unit_bounds(floor, cap, scale)[:2]


def whole_unit_bounds(floor: np.ndarray, cap: np.ndarray, scale: int):
    """`whole_unit_limits` and `unit_bounds` at once: (floor $, cap $, floor units, cap units)."""
    lo, hi = unit_bounds(floor, cap, scale)
    return (np.where(np.isfinite(floor), lo / scale, -np.inf),
            np.where(np.isfinite(cap), hi / scale, np.inf), lo, hi)


def round_each(amounts: np.ndarray, floor: np.ndarray, cap: np.ndarray, scale: int = 1,
               bounds: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Each amount to the nearest unit (halves up), kept within its rounded limits; integer units.
    `bounds` may pass `unit_bounds(floor, cap, scale)` when it is already at hand."""
    lo, hi = bounds if bounds is not None else unit_bounds(floor, cap, scale)
    nearest = np.floor(np.asarray(amounts, dtype=float) * scale + 0.5 + _EPS).astype(np.int64)
    return np.clip(nearest, lo, hi)


def round_to_total(amounts: np.ndarray, floor: np.ndarray, cap: np.ndarray, total_units: int,
                   scale: int = 1, bounds: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Integer units adding up to `total_units` exactly, each within its limits and within one unit
    of its amount wherever the limits allow (largest-remainder apportionment).

    >>> round_to_total(np.array([1.5, 1.5, 2.0]), np.full(3, -np.inf), np.full(3, np.inf), 5).tolist()
    [2, 1, 2]

    `bounds` may pass `unit_bounds(floor, cap, scale)` when it is already at hand.
    """
    lo, hi = bounds if bounds is not None else unit_bounds(floor, cap, scale)
    exact = np.asarray(amounts, dtype=float) * scale
    units = np.clip(np.floor(exact + _EPS).astype(np.int64), lo, hi)
    left = int(total_units - units.sum())
    while left != 0:
        step = 1 if left > 0 else -1
        room = (units < hi) if step > 0 else (units > lo)
        if not room.any():
            raise ValueError(f"cannot place {abs(left)} unit(s) of rounding within the limits")
        remainder = exact - units
        # most-deserving first: largest remainder when adding, smallest when taking away
        chosen = _first(-remainder * step, np.flatnonzero(room), abs(left))
        units[chosen] += step
        left -= step * len(chosen)
    return units


def _first(key: np.ndarray, candidates: np.ndarray, count: int) -> np.ndarray:
    """The `count` candidates with the smallest `key`, ties to the lower position: the first `count`
    of the candidates sorted by (key, position), found by selection (O(n)) instead of a full sort."""
    if count >= len(candidates):
        return candidates
    keys = key[candidates]
    if np.isnan(keys).any():  # no order to select by: sort as before
        return candidates[np.lexsort((candidates, keys))][:count]
    kth = np.partition(keys, count - 1)[count - 1]
    below = candidates[keys < kth]
    return np.concatenate([below, candidates[keys == kth][: count - len(below)]])
