"""Reading a user's table (CSV, XLSX or Parquet) into a DataFrame of raw values.

CSV is read as text (Excel's "CSV UTF-8" byte-order mark and CRLF line ends are fine), so that
validators see exactly what the user typed; a CSV that is not UTF-8 is read as Windows-1252 (Excel's
"CSV (Comma delimited)" on Windows) when it can be, see `sbb.text_encoding`. Headers are matched loosely: surrounding spaces and case
are ignored ("School ID" and "school_id" are the same column). A file that cannot be read as a table
raises `InputError` naming it.

A large table (a student roster) can be read `compact`: its text columns are dictionary-encoded as
they are read (pandas categoricals: each distinct spelling stored once, one small integer code per
row), except the columns named in `plain` (such as student ids, where every value is distinct). The
values are the same as in a plain read; only their storage differs.
"""

from __future__ import annotations

import csv
import io
import os
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from .filekind import misnamed
from .problems import InputError, Problem, shown
from .text_encoding import utf8_text

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


def read_table(source: str | Path | bytes, name: str | None = None, *, compact: bool = False,
               plain: tuple[str, ...] = ()) -> Table:
    """Read a CSV, XLSX or Parquet table from a path, or from bytes with its file `name`.

    With `compact`, CSV and Parquet text columns come back as categoricals, except the columns whose
    cleaned header is in `plain` (see the module docstring).
    """
    label = name or str(source)
    suffix = Path(label).suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError([Problem(label, None, None, None, "a .csv, .xlsx or .parquet file")])
    data = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        if suffix in (".parquet", ".pq"):
            frame, first = (_read_parquet_compact(data, plain) if compact else pd.read_parquet(data)), 1
        elif suffix in (".xlsx", ".xlsm"):
            frame, first = pd.read_excel(data, dtype=str, engine="openpyxl", **_AS_TYPED), 2
        else:
            frame, first = _read_csv_text(data, label, compact, plain), 2
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError([Problem(label, None, None, None, "the file does not exist")]) from None
    except pd.errors.EmptyDataError:
        raise InputError([Problem(label, None, None, None, "a table with a header row; the file is empty")]) from None
    except Exception as exc:  # every parser failure becomes a message, never a traceback
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        line = re.search(r"fields in line (\d+), saw", reason)  # pandas' and our own wording
        expected = f"a readable {suffix[1:].upper()} table"
        found = misnamed(source, suffix)
        raise InputError([Problem(label, int(line.group(1)) if line else None, None, None,
                                  f"{expected}; {found}" if found else f"{expected} ({reason})")]) from None
    if suffix in (".csv", ".txt"):
        _refuse_other_separators(label, frame)
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


_SEPARATORS = {"\t": "tabs", ";": "semicolons ';'", "|": "bars '|'"}


def _refuse_other_separators(label: str, frame: pd.DataFrame) -> None:
    """A CSV read as one column whose header holds tabs, semicolons or bars was written with another
    separator (Excel writes semicolons in regions where the decimal mark is a comma): one clear
    problem instead of every required column reported missing."""
    if frame.shape[1] != 1:
        return
    header = str(frame.columns[0])
    for separator, words in _SEPARATORS.items():
        if separator in header:
            raise InputError([Problem(label, 1, None, shown(header.replace("\t", " "), 80), (
                f"a comma-separated table; its columns are separated by {words}. Save it as "
                "'CSV UTF-8 (Comma delimited)' or as .xlsx"))])


def _read_csv_text(data, label: str, compact: bool, plain: tuple[str, ...]) -> pd.DataFrame:
    """A CSV read as UTF-8 (the usual case, at full speed); a file that is not UTF-8 is decoded from
    Windows-1252 or refused with its row by `sbb.text_encoding.utf8_text`, then read the same way."""
    try:
        frame = _read_csv_compact(data, plain) if compact else None
        return _read_csv(data) if frame is None else frame
    except UnicodeDecodeError:
        data = utf8_text(data, label)
        frame = _read_csv_compact(data, plain) if compact else None
        return _read_csv(data) if frame is None else frame


class RowTooLong(ValueError):
    """A data row with more fields than the header; `line` is its line number in the file."""

    def __init__(self, expected: int, line: int, saw: int):
        super().__init__(f"Expected {expected} fields in line {line}, saw {saw}")
        self.line = line


def _read_csv(data) -> pd.DataFrame:
    """CSV as text columns; the byte-order mark Excel writes is dropped.

    Every data row must have at most as many fields as the header. (pandas would otherwise take the
    extra leading fields of a long first row as an index and shift every column.)
    """
    try:
        return pd.read_csv(data, dtype=str, encoding="utf-8-sig", engine="pyarrow", **_AS_TYPED)
    except (UnicodeDecodeError, ValueError, pd.errors.ParserError):
        if hasattr(data, "seek"):
            data.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            try:
                return pd.read_csv(data, dtype=str, encoding="utf-8-sig", skip_blank_lines=True,
                                   index_col=False, **_AS_TYPED)
            except pd.errors.ParserWarning:  # a row longer than the header: find and name it
                if hasattr(data, "seek"):
                    data.seek(0)
                raise _first_long_row(data) from None


def _first_long_row(data) -> RowTooLong | ValueError:
    """The first row with more fields than the header (only read when pandas reports one)."""
    raw = data.read() if hasattr(data, "read") else Path(data).read_bytes()
    lines = csv.reader(io.StringIO(raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw))
    header = next(lines, [])
    for row in lines:
        if len(row) > len(header):
            return RowTooLong(len(header), lines.line_num, len(row))
    return ValueError("a row has more fields than the header")


def _read_csv_compact(data, plain: tuple[str, ...]) -> pd.DataFrame | None:
    """CSV read by pyarrow as text, then dictionary-encoded column by column; None when the file needs
    the general reader (unreadable by pyarrow, blank or repeated headers), which then reports it."""
    import pyarrow.csv as pacsv

    options = pacsv.ConvertOptions(default_column_type=pa.string(), null_values=[""], strings_can_be_null=True)
    try:
        table = pacsv.read_csv(data, convert_options=options)
    except Exception:  # noqa: BLE001 - the general reader reads it or names the problem
        table = None
    if hasattr(data, "seek"):
        data.seek(0)
    names = [] if table is None else table.column_names
    if table is None or "" in names or len(set(names)) < len(names):
        return None
    return _compact_frame(table, plain)


def _read_parquet_compact(data, plain: tuple[str, ...]) -> pd.DataFrame:
    """Parquet with its text columns read straight into dictionaries (Parquet stores them that way)."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(data)
    except Exception:  # noqa: BLE001 - the general reader names the problem
        schema = []
    if hasattr(data, "seek"):
        data.seek(0)
    text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]
    return pd.read_parquet(data, read_dictionary=[c for c in text if clean_header(c) not in plain])


def _compact_frame(table: pa.Table, plain: tuple[str, ...]) -> pd.DataFrame:
    """An Arrow table as a DataFrame: text columns as categoricals, except `plain` ones (pandas text).

    The columns are converted on all cores at once (Arrow's dictionary encoding releases the GIL);
    each column's values are the same as converting it alone.
    """
    def convert(name: str) -> pd.Series:
        column = table.column(name)
        if (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)) and clean_header(name) not in plain:
            column = column.dictionary_encode()
        return column.to_pandas()

    with ThreadPoolExecutor(max_workers=max(1, min(os.cpu_count() or 1, table.num_columns))) as pool:
        columns = dict(zip(table.column_names, pool.map(convert, table.column_names)))
    return pd.DataFrame(columns, copy=False)


def require_columns(table: Table, columns: list[str], what: str) -> list[Problem]:
    """Problems for each column of `columns` missing from `table`."""
    have = set(table.frame.columns)
    return [Problem(table.name, 1, c, None, f"a '{c}' column ({what}); found: {', '.join(table.frame.columns)}")
            for c in columns if c not in have]
