"""Money follows the child: a district's counts projected to next year's enrollment.

A scenario's `[enrollment_change]` either scales every count of a school by (1 + pct / 100)
(`growth_pct` by school_id, `default_pct` for the rest; counts rounded to whole pupils, halves up)
or reads a projected counts file (same format as a counts file, path relative to the scenario).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from .counts import read_counts
from .district import District
from .problems import InputError, Problem
from .scenario import Scenario
from .tables import read_table


def growth_factors(district: District, scenario: Scenario) -> np.ndarray:
    """1 + pct / 100 per school; an unknown school_id in growth_pct is a problem."""
    change = scenario.theory.enrollment_change
    ids = pd.Index(district.schools["school_id"])
    factor = np.full(len(ids), 1.0 + change.default_pct / 100.0)
    problems = []
    for school, pct in change.growth_pct:
        at = ids.get_indexer([school])[0]
        if at < 0:
            problems.append(Problem(scenario.file or scenario.title, None, f"enrollment_change.growth_pct.{school}",
                                    school, "a school_id listed in the schools file"))
        else:
            factor[at] = 1.0 + pct / 100.0
    if problems:
        raise InputError(problems)
    return factor


def project(district: District, scenario: Scenario) -> District:
    """The district with its counts replaced by the projected enrollment (schools unchanged)."""
    change = scenario.theory.enrollment_change
    if change.counts:
        table = read_table(Path(scenario.base_dir) / change.counts)
        counts = read_counts(table, district.schools, scenario.weights)
        missing = [c for c in district.counts.columns if c not in counts.columns]
        for c in missing:  # columns the weights do not use are carried over unchanged
            counts[c] = district.counts[c].to_numpy()
        return replace(district, counts=counts[district.counts.columns])
    factor = growth_factors(district, scenario)
    scaled = np.floor(district.counts.to_numpy() * factor[:, None] + 0.5).astype(np.int64)
    return replace(district, counts=pd.DataFrame(scaled, index=district.counts.index,
                                                 columns=district.counts.columns))
