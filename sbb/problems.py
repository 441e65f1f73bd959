"""Problems found in user input, collected so that every one is reported at once.

A `Problem` names the file, row, column and value and says what was expected. Row numbers are the
ones a person sees in a spreadsheet: the header is row 1, the first data row is row 2. Code that
finds bad input raises `InputError` with the full list; the CLI prints it and exits 2, the app
shows it as a table and keeps the previous data.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Iterable

import pandas as pd


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input: where it is and what was expected instead."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    expected: str

    @property
    def label(self) -> str:
        """What `column` names: a 'key' of a TOML file, a 'cell' of a workbook ('Weights!B7') or a
        'column' of a table."""
        if self.file.lower().endswith(".toml"):
            return "key"
        if self.column is not None and re.fullmatch(r"[^!]+![A-Z]*\d*", self.column):
            return "cell"
        return "column"

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"{self.label} '{self.column}'")
        shown = "" if self.value is None else f": value {self.value!r}"
        return f"{', '.join(where)}{shown}: {self.expected}"


class InputError(ValueError):
    """Bad input: carries every `Problem` found, never a partial result."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        super().__init__(self.message())

    def message(self, limit: int = 50) -> str:
        """All problems as lines of text (at most `limit`, then a count of the rest)."""
        lines = [str(p) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"... and {plural(len(self.problems) - limit, 'more problem')}")
        return "\n".join(lines)

    def headline(self) -> str:
        """'1 problem with the input:' / '3 problems with the input:'."""
        return f"{plural(len(self.problems), 'problem')} with the input:"

    def table(self) -> pd.DataFrame:
        """The problems as a table with columns file, row, column, value, expected."""
        return pd.DataFrame(
            [asdict(p) for p in self.problems], columns=["file", "row", "column", "value", "expected"]
        )


def raise_if(problems: list[Problem]) -> None:
    """Raise `InputError` when `problems` is not empty."""
    if problems:
        raise InputError(problems)


def shown(value: object, width: int = 60) -> str:
    """A value as the user typed it, shortened for a message."""
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def plural(count: int, noun: str) -> str:
    """'1 problem', '2 problems', '1 more problem': the count and its noun, singular for exactly one.

    >>> [plural(1, "problem"), plural(0, "problem"), plural(2, "more problem")]
    ['1 problem', '0 problems', '2 more problems']
    """
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"
