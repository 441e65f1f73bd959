"""Concentration weights: extra weighted pupils driven by a school's share of counted pupils.

For each `[concentration.NAME]` of a weight table, per school:

    counted = pupils flagged by the need (a need with levels: sum of pupils x count[level], 1 each
              by default)                                   rounded to `rounding.counted` decimals
    share   = counted / enrollment (0 for an empty school)  rounded to `rounding.share`
    step:   extra = weight x counted            where share >= share_at_least, else 0
    ramp:   factor = min(1, share / full_at)                rounded to `rounding.factor`
            extra  = weight x counted x factor
    excess: above  = max(0, counted - share_at_least x enrollment)   rounded to `rounding.counted`
            extra  = weight x above
    extra rounded to `rounding.weighted_pupils`

Roundings are half away from zero (`sbb.statutory`); a rounding left unset is not applied. The
extras do not depend on the base, so each school's formula amount stays base x s + f.
Example (Minnesota compensatory revenue, ramp): 135 free and 54 reduced-price pupils of 591
count 135 + 0.5 x 54 = 162; share 162 / 591 = 0.2741; factor 0.2741 / 0.80 = 0.3426;
extra 0.60 x 162 x 0.3426 = 33.30 weighted pupils.
"""

from __future__ import annotations

import numpy as np

from .statutory import round_half_away
from .weights import Concentration, WeightTable


def counted_pupils(matrix: np.ndarray, weights: WeightTable, c: Concentration) -> np.ndarray:
    """The pupils a concentration counts, per school (before any rounding)."""
    from .formula import need_columns

    cols, levels = need_columns(weights, c.need)
    factors = dict(c.count)
    per = np.asarray([1.0 if lv is None else factors.get(lv, 1.0) for lv in levels])
    return matrix[:, cols] @ per


def concentration_parts(matrix: np.ndarray, weights: WeightTable, c: Concentration) -> dict[str, np.ndarray]:
    """Every step of one concentration, per school: counted, share, factor (ramp), above (excess), extra."""
    from .formula import enrollment

    rnd = weights.rounding
    pupils = np.asarray(enrollment(matrix, weights), dtype=float)
    counted = round_half_away(counted_pupils(matrix, weights, c), rnd.counted)
    has = pupils > 0
    share = round_half_away(np.divide(counted, pupils, out=np.zeros(len(pupils)), where=has), rnd.share)
    out = {"counted": counted, "share": share}
    if c.shape == "ramp":
        factor = round_half_away(np.minimum(1.0, share / c.full_at), rnd.factor)
        out["factor"] = factor
        extra = c.weight * counted * factor
    elif c.shape == "excess":
        above = round_half_away(np.maximum(0.0, counted - c.share_at_least * pupils), rnd.counted)
        out["above"] = above
        extra = c.weight * above
    else:
        extra = np.where(has & (share >= c.share_at_least), c.weight * counted, 0.0)
    out["extra"] = round_half_away(np.where(has, extra, 0.0), rnd.weighted_pupils)
    return out


def concentration_extras(matrix: np.ndarray, weights: WeightTable) -> dict[str, np.ndarray]:
    """Extra weighted pupils per school, by concentration name."""
    return {c.name: concentration_parts(matrix, weights, c)["extra"] for c in weights.concentration}
