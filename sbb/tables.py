"""Reading a user's table (CSV, XLSX or Parquet) into a DataFrame of raw values.

CSV is read as text (Excel's "CSV UTF-8" byte-order mark and CRLF line ends are fine), so that
validators see exactly what the user typed. Headers are matched loosely: surrounding spaces and case
are ignored ("School ID" and "school_id" are the same column). A file that cannot be read as a table
raises `InputError` naming it.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .problems import InputError, Problem

SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")
# Only an empty cell is missing: words such as "None", "NA" or "null" are kept as typed (a sped level
# of "None" is a value, not a blank).
_AS_TYPED = {"keep_default_na": False, "na_values": [""]}


@dataclass(frozen=True)
class Table:
    """A table as read: its display name, its frame and the row number of its first data row."""

    name: str
    frame: pd.DataFrame
    first_row: int = 2  # spreadsheet numbering: header is row 1

    def row(self, index) -> int:
        """The row number a person sees for frame position `index`."""
        return int(index) + self.first_row


def clean_header(name: object) -> str:
    """'  School ID ' -> 'school_id'."""
    return re.sub(r"[\s\-]+", "_", str(name).strip().lstrip("\ufeff")).lower()


def read_table(source: str | Path | bytes, name: str | None = None) -> Table:
    """Read a CSV, XLSX or Parquet table from a path, or from bytes with its file `name`."""
    label = name or str(source)
    suffix = Path(label).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError([Problem(label, None, None, None, "a .csv, .xlsx or .parquet file")])
    data = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        if suffix in (".parquet", ".pq"):
            frame, first = pd.read_parquet(data), 1
        elif suffix in (".xlsx", ".xlsm"):
            frame, first = pd.read_excel(data, dtype=str, engine="openpyxl", **_AS_TYPED), 2
        else:
            frame, first = _read_csv(data), 2
    except FileNotFoundError:
        raise InputError([Problem(label, None, None, None, "the file does not exist")]) from None
    except pd.errors.EmptyDataError:
        raise InputError([Problem(label, None, None, None, "a table with a header row; the file is empty")]) from None
    except Exception as exc:  # every parser failure becomes a message, never a traceback
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError([Problem(label, None, None, None, f"a readable {suffix[1:].upper()} table ({reason})")]) from None
    frame.columns = [clean_header(c) for c in frame.columns]
    problems = []
    if frame.shape[1] == 0:
        problems.append(Problem(label, None, None, None, "a table with a header row; none was found"))
    dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    for c in dupes:
        problems.append(Problem(label, 1, c, None, "each column name once"))
    if problems:
        raise InputError(problems)
    return Table(label, frame, first)


def _read_csv(data) -> pd.DataFrame:
    """CSV as text columns; the byte-order mark Excel writes is dropped."""
    try:
        return pd.read_csv(data, dtype=str, encoding="utf-8-sig", engine="pyarrow", **_AS_TYPED)
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError):
        if hasattr(data, "seek"):
            data.seek(0)
        return pd.read_csv(data, dtype=str, encoding="utf-8-sig", skip_blank_lines=True, **_AS_TYPED)


def require_columns(table: Table, columns: list[str], what: str) -> list[Problem]:
    """Problems for each column of `columns` missing from `table`."""
    have = set(table.frame.columns)
    return [Problem(table.name, 1, c, None, f"a '{c}' column ({what}); found: {', '.join(table.frame.columns)}")
            for c in columns if c not in have]
