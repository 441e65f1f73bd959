"""A district as the engine sees it: the validated schools table and its counts matrix.

Loading reads the schools file and either a student roster (reduced once to counts, then dropped)
or a school-level counts file. Problems in both files are reported together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .consequences import one_per_mistake
from .counts import read_counts, reduce_roster
from .problems import InputError, Problem
from .schools import validate_schools
from .tables import Table, read_table
from .weights import WeightTable


@dataclass(frozen=True)
class District:
    """Schools (school_id, school_name, prior_allocation, further attributes) and their counts
    (one row per school in the same order, one column per grade and need category)."""

    schools: pd.DataFrame
    counts: pd.DataFrame
    name: str = "district"

    @property
    def prior(self) -> np.ndarray:
        """Prior-year allocation per school, dollars (NaN for a new school)."""
        return self.schools["prior_allocation"].to_numpy(dtype=float)

    def matrix(self, columns: list[str]) -> np.ndarray:
        """The counts matrix restricted to `columns`; a missing column is a problem naming it."""
        missing = [c for c in columns if c not in self.counts.columns]
        if missing:
            raise InputError([Problem(self.name, None, c, None,
                                      "a need column named by the weight table; the district's data has none")
                              for c in missing])
        return self.counts[columns].to_numpy()


Source = str | Path | tuple[str, bytes]
Progress = Callable[[float, str], None]


def _table(source: Source, compact: bool = False) -> Table:
    """Read a path or a (file name, bytes) upload; `compact` for a roster (see `sbb.tables`)."""
    options = {"compact": True, "plain": ("student_id",)} if compact else {}
    if isinstance(source, tuple):
        return read_table(source[1], source[0], **options)
    return read_table(source, **options)


def load_district(schools: Source, weights: WeightTable, roster: Source | None = None,
                  counts: Source | None = None, progress: Progress | None = None,
                  applies_to: str | None = None) -> District:
    """Read and validate a district from a schools file plus a roster or a counts file.

    Sources are paths or (file name, bytes) pairs (uploads). Raises `InputError` with every problem
    in every file, one per mistake (`sbb.consequences`). Student rows are reduced to counts here and
    never kept. `progress`, when given,
    is called with the fraction done (0 to 1) and what is being done, before each stage.
    `applies_to` (a scenario's `[hold_harmless] applies_to` column) is checked with the rest.
    """
    if (roster is None) == (counts is None):
        raise InputError([Problem("input", None, None, None, "either a roster or a counts file (one of them)")])
    say = progress or (lambda fraction, text: None)
    from_roster = roster is not None
    problems: list[Problem] = []
    school_frame = None
    say(0.0, f"Reading the schools file {source_name(schools)}")
    try:
        schools_table = _table(schools)
        school_frame = validate_schools(schools_table)
    except InputError as err:
        problems.extend(err.problems)
        school_frame = _readable_ids(schools)
    else:
        if weights.multiplier or weights.extra_amounts or applies_to:  # the formula's schools-file columns
            from .school_inputs import read_school_inputs

            try:
                read_school_inputs(school_frame, schools_table.name, weights.multiplier, weights.extra_amounts,
                                   applies_to)
            except InputError as err:
                problems.extend(err.problems)
    students = roster if from_roster else counts
    say(0.05, f"Reading the {'roster' if from_roster else 'counts file'} {source_name(students)}")
    try:
        table = _table(students, compact=from_roster)
        if school_frame is not None:
            rows = len(table.frame)
            say(0.6, f"Checking and counting {rows:,} students" if from_roster
                else f"Checking the counts of {rows:,} schools")
            count_frame = (reduce_roster if from_roster else read_counts)(table, school_frame, weights)
    except InputError as err:
        problems.extend(err.problems)
    say(1.0, "Done")
    if problems:
        raise InputError(one_per_mistake(problems, _label(schools)))
    name = Path(schools[0] if isinstance(schools, tuple) else schools).stem
    return District(school_frame, count_frame, name)


def _label(source: Source) -> str:
    """The file name problems in `source` carry (as `read_table` names it)."""
    return source[0] if isinstance(source, tuple) else str(source)


def source_name(source: Source) -> str:
    """A source's file name and size for a person: 'roster.csv (29.9 MB)'."""
    if isinstance(source, tuple):
        name, size = source[0], len(source[1])
    else:
        path = Path(source)
        name, size = path.name, (path.stat().st_size if path.exists() else 0)
    return f"{name} ({size / 1e6:,.1f} MB)" if size >= 1e5 else name


def _readable_ids(schools: Source) -> pd.DataFrame | None:
    """School ids from a schools file that failed validation, so the roster can still be checked."""
    try:
        frame = _table(schools).frame
    except InputError:
        return None
    if "school_id" not in frame:
        return None
    ids = frame["school_id"].astype("string").str.strip().dropna().drop_duplicates()
    return pd.DataFrame({"school_id": ids.to_numpy()})
