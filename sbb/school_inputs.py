"""Per-school inputs of a real formula read from the schools file: a multiplier, extra dollars and
whether hold-harmless applies.

- `[multiplier] column` (weight table): a number >= 0 per school (a state aid ratio, a cost index)
  multiplying base x weighted pupils; fixed amounts are not multiplied.
- `[extra_amounts] columns` (weight table): dollars per school added to the formula amount (a blank
  cell is $0; money may be written '$1,250.00').
- `[hold_harmless] applies_to` (scenario): a yes/no column; the floor and cap apply only where yes.

Every bad or missing value is a problem naming the schools file, row, column and value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .problems import InputError, Problem, shown
from .schools import money
from .spelling import flag_codes


@dataclass(frozen=True)
class SchoolInputs:
    """Arrays with one entry per school (None where the formula does not use them)."""

    multiplier: np.ndarray | None = None
    extra: dict[str, np.ndarray] | None = None
    limited: np.ndarray | None = None  # bool: hold-harmless applies to this school

    @property
    def extra_total(self) -> np.ndarray | None:
        """Extra dollars per school, all columns added."""
        if not self.extra:
            return None
        return sum(self.extra.values())


def _column(schools: pd.DataFrame, name: str, file: str, why: str, problems: list[Problem]) -> pd.Series | None:
    if name not in schools.columns:
        problems.append(Problem(file, 1, name, None, f"a '{name}' column in the schools file ({why}); "
                                f"found: {', '.join(map(str, schools.columns))}"))
        return None
    return schools[name]


def read_school_inputs(schools: pd.DataFrame, file: str, multiplier: str | None = None,
                       extra_columns: tuple[str, ...] = (), applies_to: str | None = None) -> SchoolInputs:
    """The multiplier, extra amounts and hold-harmless flag per school; raises `InputError` with
    every problem (rows numbered as in the schools file: header row 1)."""
    problems: list[Problem] = []
    mult = extra = limited = None
    if multiplier:
        col = _column(schools, multiplier, file, "the weight table's [multiplier] names it", problems)
        if col is not None:
            text = col.astype("string").str.strip()
            values = pd.to_numeric(text.str.replace(",", ""), errors="coerce").astype(float)
            for i in np.flatnonzero((values.isna() | (values < 0)).to_numpy()):
                problems.append(Problem(file, int(i) + 2, multiplier, shown("" if pd.isna(text.iloc[i]) else text.iloc[i]),
                                        "a multiplier: a number, 0 or more"))
            mult = values.fillna(0.0).to_numpy()
    if extra_columns:
        extra = {}
        for name in extra_columns:
            col = _column(schools, name, file, "the weight table's [extra_amounts] names it", problems)
            if col is None:
                continue
            text = col.astype("string").str.strip()
            blank = text.isna() | (text == "")
            values = money(col)
            for i in np.flatnonzero((~blank & values.isna()).to_numpy()):
                problems.append(Problem(file, int(i) + 2, name, shown(text.iloc[i]),
                                        "an amount of dollars (blank for none)"))
            extra[name] = values.fillna(0.0).to_numpy()
    if applies_to:
        col = _column(schools, applies_to, file, "the scenario's [hold_harmless] applies_to names it", problems)
        if col is not None:
            codes = flag_codes(col)
            for i in np.flatnonzero(codes < 0):
                v = col.iloc[i]
                problems.append(Problem(file, int(i) + 2, applies_to, "" if pd.isna(v) else shown(v),
                                        "yes or no: whether hold-harmless applies (Y/N, yes/no, 1/0, true/false)"))
            limited = codes == 1
    if problems:
        raise InputError(problems)
    return SchoolInputs(mult, extra, limited)
