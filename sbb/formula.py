"""The funding formula as array arithmetic on the schools x categories counts matrix.

allocation before limits = base x (grade-weighted pupils + need-weighted pupils) + fixed amounts.
Weights add: a poor English learner in grade 4 counts 1.00 + 0.25 + 0.40 = 1.65 weighted pupils.
All functions take and return arrays with one entry per school; units are pupils or dollars.
"""

from __future__ import annotations

import numpy as np

from .spelling import GRADES
from .weights import FlagNeed, WeightTable

N_GRADES = len(GRADES)


def enrollment(matrix: np.ndarray) -> np.ndarray:
    """Pupils per school: the sum of the grade columns."""
    return matrix[:, :N_GRADES].sum(axis=1)


def need_vector(weights: WeightTable) -> np.ndarray:
    """Weighted pupils added per pupil in each need category, aligned with `count_columns`."""
    parts: list[float] = []
    for need in weights.needs:
        parts.extend([need.weight] if isinstance(need, FlagNeed) else need.weights)
    return np.asarray(parts, dtype=float)


def grade_weighted(matrix: np.ndarray, weights: WeightTable) -> np.ndarray:
    """Weighted pupils from grade weights alone: sum over grades of pupils x grade weight."""
    return matrix[:, :N_GRADES] @ np.asarray(weights.grade, dtype=float)


def flag_counts(matrix: np.ndarray, weights: WeightTable, need_name: str) -> np.ndarray:
    """Pupils flagged by the yes/no need called `need_name`, per school."""
    col = N_GRADES
    for need in weights.needs:
        if need.name == need_name:
            return matrix[:, col]
        col += 1 if isinstance(need, FlagNeed) else len(need.weights)
    raise KeyError(need_name)


def concentration_weighted(matrix: np.ndarray, weights: WeightTable) -> np.ndarray:
    """Extra weighted pupils from concentration weights: weight x flagged pupils, in schools whose
    flagged share of enrollment is at least the threshold (0-1)."""
    pupils = enrollment(matrix)
    extra = np.zeros(matrix.shape[0])
    for c in weights.concentration:
        flagged = flag_counts(matrix, weights, c.need)
        share = np.divide(flagged, pupils, out=np.zeros(len(pupils)), where=pupils > 0)
        extra += np.where((pupils > 0) & (share >= c.share_at_least), c.weight * flagged, 0.0)
    return extra


def need_weighted(matrix: np.ndarray, weights: WeightTable) -> np.ndarray:
    """Weighted pupils added by needs: need counts x need weights, plus concentration weights."""
    return matrix[:, N_GRADES:] @ need_vector(weights) + concentration_weighted(matrix, weights)


def foundation_amount(n_schools: int, weights: WeightTable) -> np.ndarray:
    """Fixed dollars every school receives."""
    return np.full(n_schools, weights.foundation_per_school)


def small_school_amount(pupils: np.ndarray, weights: WeightTable) -> np.ndarray:
    """Dollars for small schools: per_school x (1 - pupils / threshold) below the threshold, else 0."""
    small = weights.small_school
    if small is None or small.enrollment_below <= 0:
        return np.zeros(len(pupils))
    taper = 1.0 - np.asarray(pupils, dtype=float) / small.enrollment_below
    return small.per_school * np.clip(taper, 0.0, 1.0)
