"""Statutory rounding: half away from zero, as Excel's ROUND and as statutes write it.

Python's `round` and numpy's `round` send halves to the even neighbour (0.125 -> 0.12); statutes
and Excel send them away from zero (0.125 -> 0.13). A binary double also cannot hold most decimal
halves exactly: 0.2741 / 0.8 is 0.342625 on paper but 0.34262499999999996 in floating point. So a
value within a relative 1e-12 of a half (far below any real difference between amounts computed
from counts and weights of a few decimals, far above floating-point noise of a few operations) is
treated as the half it stands for, like Excel's rounding to 15 significant digits.
"""

from __future__ import annotations

import numpy as np

_REL = 1e-12


def round_half_away(x, decimals: int | None) -> np.ndarray:
    """`x` (array-like) rounded to `decimals` places, halves away from zero; unchanged when None.

    >>> round_half_away([0.125, -0.125, 2.5, 0.2741 / 0.8 * 10, 1.005], 2).tolist()
    [0.13, -0.13, 2.5, 3.43, 1.01]
    >>> round_half_away([0.342625, 2.5, 3.5, -2.5], 0).tolist()
    [0.0, 3.0, 4.0, -3.0]
    """
    x = np.asarray(x, dtype=float)
    if decimals is None:
        return x
    scale = 10.0 ** decimals
    y = np.abs(x) * scale
    whole = np.floor(y)
    tol = _REL * np.maximum(y, 1.0)
    up = (y - whole) >= 0.5 - tol
    # an exact integer over an exact power of ten: the double nearest the decimal result
    return np.copysign((whole + up) / scale, x)
