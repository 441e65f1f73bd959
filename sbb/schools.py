"""The schools table: one row per school with its id, name and prior-year allocation.

Validated declaratively with pandera (every failure collected at once). A blank
`prior_allocation` marks a new school: it has no prior year, so no hold-harmless limits apply.
Money may be written as Excel formats it ("$1,234,567.00").

The rules are written once, in `CHECKS`; `schema()` turns them into the pandera schema. A table
that passes every rule when they are evaluated directly (one vectorised pass) needs no schema run,
so the command line does not import pandera for clean input; otherwise the schema lists every
failure.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from .problems import InputError, Problem, shown
from .tables import Table, require_columns

REQUIRED = ["school_id", "school_name", "prior_allocation"]


def money(column: pd.Series) -> pd.Series:
    """Dollars from text such as '1,234,567.00', '$250000' or '250000'; NaN where blank or unreadable."""
    text = column.astype("string").str.strip().str.replace(r"[$,\s]", "", regex=True)
    return pd.to_numeric(text.replace("", pd.NA), errors="coerce").astype(float)


def _blank(column: pd.Series) -> pd.Series:
    return column.isna() | (column.astype("string").str.strip() == "")


# column -> (rule: Series -> bool Series, True where the value is fine; message when it is not;
#            whether the rule also sees missing values)
CHECKS = {
    "school_id": [(lambda s: ~_blank(s), "a school id; it is blank", True)],
    "school_name": [(lambda s: ~_blank(s), "a school name; it is blank", True)],
    "prior_allocation": [
        (lambda s: _blank(s) | money(s).notna(), "a number of dollars (blank for a new school)", False),
        (lambda s: ~(money(s) < 0).fillna(False), "a prior allocation of at least 0 dollars", False),
    ],
}
UNIQUE = "school_id"


@lru_cache(maxsize=1)
def schema():
    """`CHECKS` as a pandera schema (school ids also unique), for lazy validation of raw text."""
    import pandera.pandas as pa

    def column(name):
        checks = [pa.Check(rule, ignore_na=not sees_na, error=message) for rule, message, sees_na in CHECKS[name]]
        extra = {"unique": True, "report_duplicates": "all"} if name == UNIQUE else {}
        return pa.Column(object, nullable=True, coerce=False, checks=checks, **extra)

    return pa.DataFrameSchema({name: column(name) for name in CHECKS}, strict=False)


def _passes(raw: pd.DataFrame) -> bool:
    """True when every rule holds on every row and no school id repeats (then the schema passes)."""
    if raw[UNIQUE].duplicated().any():
        return False
    return all(bool(rule(raw[name]).all()) for name, rules in CHECKS.items() for rule, _, _ in rules)


_MESSAGES = {"field_uniqueness": "a unique school id; it appears more than once"}


def pandera_problems(table: Table, err, raw: pd.DataFrame) -> list[Problem]:
    """Turn pandera's failure cases into problems with spreadsheet row numbers and raw values."""
    problems = []
    cases = err.failure_cases
    for case in cases.itertuples(index=False):
        idx, column = case.index, case.column
        if idx is None or (isinstance(idx, float) and np.isnan(idx)):
            continue
        value = raw[column].iloc[int(idx)] if column in raw else case.failure_case
        value = "" if pd.isna(value) else shown(value)
        problems.append(Problem(table.name, table.row(idx), column, value, _MESSAGES.get(case.check, case.check)))
    return sorted(problems, key=lambda p: (p.row or 0, p.column or ""))


def validate_schools(table: Table) -> pd.DataFrame:
    """Schools as school_id (str), school_name (str), prior_allocation (float dollars, NaN = new school)
    plus every further column as text. Raises `InputError` with every problem."""
    problems = require_columns(table, REQUIRED, "one row per school")
    frame = table.frame
    if not problems and frame.empty:
        problems.append(Problem(table.name, None, None, None, "at least one school row"))
    if problems:
        raise InputError(problems)
    raw = frame.astype(object)
    if not _passes(raw):
        import pandera.pandas as pa

        try:
            schema().validate(raw, lazy=True)
        except pa.errors.SchemaErrors as err:
            raise InputError(pandera_problems(table, err, raw)) from None
    out = frame.copy()
    out["school_id"] = frame["school_id"].astype(str).str.strip()
    out["school_name"] = frame["school_name"].astype(str).str.strip()
    out["prior_allocation"] = money(frame["prior_allocation"])
    for column in out.columns.difference(REQUIRED):
        out[column] = out[column].astype("string").str.strip()
    return out.reset_index(drop=True)
