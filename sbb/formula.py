"""The funding formula as array arithmetic on the schools x categories counts matrix.

allocation before limits = base x (grade-weighted pupils + need-weighted pupils) x multiplier + fixed amounts.
Weights add: a poor English learner in grade 4 counts 1.00 + 0.25 + 0.40 = 1.65 weighted pupils.
A need weighted by grade band has one matrix column per band, so banded weights are still one
matrix-vector product. Concentration weights (`sbb.concentration`) add weighted pupils that depend
on the school's share of counted pupils. All functions take and return arrays with one entry per
school; units are pupils or dollars.
"""

from __future__ import annotations

import numpy as np

from .concentration import concentration_extras
from .spelling import GRADES
from .statutory import round_half_away
from .weights import WeightTable

N_GRADES = len(GRADES)


def grade_width(weights: WeightTable | None) -> int:
    """How many pupil columns open the matrix: 14 grades, or 1 (`enrollment`) under `[grade] all`."""
    return 1 if weights is not None and weights.grade_all else N_GRADES


def enrollment(matrix: np.ndarray, weights: WeightTable | None = None) -> np.ndarray:
    """Pupils per school: the sum of the grade columns (or the one enrollment column)."""
    return matrix[:, :grade_width(weights)].sum(axis=1)


def need_vector(weights: WeightTable) -> np.ndarray:
    """Weighted pupils added per pupil in each need category, aligned with `count_columns`."""
    return np.asarray([c.weight for c in weights.categories()], dtype=float)


def grade_vector(weights: WeightTable) -> np.ndarray:
    """Weight per pupil column: one per grade, or the one `all` weight."""
    return np.asarray(weights.grade[:1] if weights.grade_all else weights.grade, dtype=float)


def grade_weighted(matrix: np.ndarray, weights: WeightTable) -> np.ndarray:
    """Weighted pupils from grade weights alone: sum over grades of pupils x grade weight."""
    return matrix[:, :grade_width(weights)] @ grade_vector(weights)


def need_columns(weights: WeightTable, need_name: str) -> tuple[list[int], list[str | None]]:
    """Matrix positions of a need's columns and the level of each (None for a flag)."""
    start = grade_width(weights)
    cols, levels = [], []
    for j, c in enumerate(weights.categories()):
        if c.need == need_name:
            cols.append(start + j)
            levels.append(c.level)
    if not cols:
        raise KeyError(need_name)
    return cols, levels


def flag_counts(matrix: np.ndarray, weights: WeightTable, need_name: str) -> np.ndarray:
    """Pupils flagged by the need called `need_name` (all its levels and bands), per school."""
    cols, _ = need_columns(weights, need_name)
    return matrix[:, cols].sum(axis=1)


def concentration_weighted(matrix: np.ndarray, weights: WeightTable) -> np.ndarray:
    """Extra weighted pupils from every concentration weight, per school (see `sbb.concentration`)."""
    extra = np.zeros(matrix.shape[0])
    for part in concentration_extras(matrix, weights).values():
        extra += part
    return extra


def need_weighted(matrix: np.ndarray, weights: WeightTable) -> np.ndarray:
    """Weighted pupils added by needs: need counts x need weights, plus concentration weights."""
    return matrix[:, grade_width(weights):] @ need_vector(weights) + concentration_weighted(matrix, weights)


def weighted_pupils(matrix: np.ndarray, weights: WeightTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(grade-weighted, need-weighted, total weighted pupils) per school. With `[rounding]
    weighted_pupils` the total is rounded (half away from zero) and the need part is the total less
    the grade part, so the two still add up."""
    grade_w = grade_weighted(matrix, weights)
    need_w = need_weighted(matrix, weights)
    total = grade_w + need_w
    places = weights.rounding.weighted_pupils
    if places is not None:
        total = round_half_away(total, places)
        need_w = total - grade_w
    return grade_w, need_w, total


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
