"""Hold-harmless limits against the prior-year allocation.

Floor: no school receives less than prior x (1 - max_loss_pct / 100).
Cap:   no school receives more than prior x (1 + max_gain_pct / 100).
A school without a prior allocation (NaN: a new school) has neither. A missing percentage means no
limit on that side: the floor is -inf, the cap +inf. Units are dollars.
"""

from __future__ import annotations

import numpy as np


def hold_harmless_floor(prior: np.ndarray, max_loss_pct: float | None) -> np.ndarray:
    """Least each school may receive, in dollars (-inf where there is no floor)."""
    prior = np.asarray(prior, dtype=float)
    if max_loss_pct is None:
        return np.full(prior.shape, -np.inf)
    return np.where(np.isnan(prior), -np.inf, prior * (100.0 - max_loss_pct) / 100.0)


def gains_cap(prior: np.ndarray, max_gain_pct: float | None) -> np.ndarray:
    """Most each school may receive, in dollars (+inf where there is no cap)."""
    prior = np.asarray(prior, dtype=float)
    if max_gain_pct is None:
        return np.full(prior.shape, np.inf)
    return np.where(np.isnan(prior), np.inf, prior * (100.0 + max_gain_pct) / 100.0)


def apply_limits(formula: np.ndarray, floor: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Each formula amount raised to its floor and lowered to its cap."""
    return np.minimum(np.maximum(formula, floor), cap)
