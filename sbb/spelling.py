"""The usual spellings of grades, yes/no flags and service levels, mapped to one canonical form.

Each normaliser works on a whole column at once: it factorises the column, maps each distinct
spelling once, and broadcasts the codes back, so a million-row roster costs a handful of dictionary
look-ups. Values it cannot read become -1 (grades, levels) or missing (flags); the validators turn
those into problems that name the row and the value.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

GRADES: tuple[str, ...] = ("PK", "K", *(str(g) for g in range(1, 13)))
"""Canonical grade codes, in order: PK, K, 1 ... 12."""

_GRADE_WORDS = {
    "PK": 0, "PREK": 0, "PREKINDERGARTEN": 0, "P": 0, "PRESCHOOL": 0,
    "K": 1, "KG": 1, "KN": 1, "KINDER": 1, "KINDERGARTEN": 1, "0": 1, "00": 1,
}
_TRUE = {"1", "Y", "YES", "TRUE", "T"}
_FALSE = {"0", "N", "NO", "FALSE", "F"}
NONE_LEVEL = "none"
_NONE_WORDS = {"NONE", "NO", "N", "0", "FALSE"}


def _key(value: object) -> str:
    """Upper-case text; in words, spaces, dashes, dots and underscores removed ('Pre-K' -> 'PREK').

    Values without a letter keep their punctuation, so '-1', '1-2' and '0.5' stay unreadable rather
    than turning into '1', '12' and '05'; '3.0' (a number written by a spreadsheet) reads as '3'.

    >>> [_key(v) for v in ["Pre-K", "self contained", "-1", "1-2", "0.5", "3.0", 4.0]]
    ['PREK', 'SELFCONTAINED', '-1', '1-2', '0.5', '3', '4']
    """
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    text = re.sub(r"^(\d+)\.0+$", r"\1", str(value).strip())
    if not re.search(r"[A-Za-z]", text):
        return text
    return re.sub(r"[\s\-_.]", "", text).upper()


def grade_code(value: object) -> int:
    """Index into `GRADES` of one spelling of a grade, or -1 when it is not a grade.

    >>> [grade_code(v) for v in ["Pre-K", "KG", "01", 12, "12th", "13", "x"]]
    [0, 1, 2, 13, 13, -1, -1]
    """
    key = _key(value)
    if key in _GRADE_WORDS:
        return _GRADE_WORDS[key]
    key = re.sub(r"^(GRADE|GR|G)", "", key)
    key = re.sub(r"(ST|ND|RD|TH)$", "", key)
    if key.isdigit() and 1 <= int(key) <= 12:
        return int(key) + 1
    if key in _GRADE_WORDS:
        return _GRADE_WORDS[key]
    return -1


def flag_value(value: object) -> bool | None:
    """True/False for one spelling of a yes/no flag, None when it is not one.

    >>> [flag_value(v) for v in ["Y", "no", 1, "TRUE", "1.0", "", "maybe"]]
    [True, False, True, True, True, None, None]
    """
    key = _key(value)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    return None


def level_name(value: object, levels: tuple[str, ...]) -> str | None:
    """Canonical level name ('none' or one of `levels`) for one spelling, None when unknown.

    >>> level_name("Self-Contained", ("resource", "self_contained"))
    'self_contained'
    """
    key = _key(value)
    if key in _NONE_WORDS:
        return NONE_LEVEL
    for level in levels:
        if _key(level) == key:
            return level
    return None


def _codes(column: pd.Series, mapper) -> tuple[np.ndarray, np.ndarray]:
    """Factorise `column` and apply `mapper` to each distinct value: (codes, mapped uniques)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    mapped = np.array([mapper(u) for u in uniques], dtype=object)
    return codes, mapped


def grade_codes(column: pd.Series) -> np.ndarray:
    """Grade index (0 = PK ... 13 = grade 12) for every value; -1 where unreadable or blank."""
    codes, mapped = _codes(column, grade_code)
    table = np.append(mapped.astype(np.int8), np.int8(-1))  # last slot: missing values
    return table[codes]


def flag_codes(column: pd.Series) -> np.ndarray:
    """1 / 0 for every yes/no value; -1 where unreadable or blank (int8)."""
    codes, mapped = _codes(column, flag_value)
    as_int = np.array([-1 if m is None else int(m) for m in mapped] + [-1], dtype=np.int8)
    return as_int[codes]


def level_codes(column: pd.Series, levels: tuple[str, ...]) -> np.ndarray:
    """0 for 'none', i + 1 for `levels[i]`, -1 where unreadable or blank (int8)."""
    order = {NONE_LEVEL: 0, **{lv: i + 1 for i, lv in enumerate(levels)}}
    codes, mapped = _codes(column, lambda v: level_name(v, levels))
    as_int = np.array([-1 if m is None else order[m] for m in mapped] + [-1], dtype=np.int8)
    return as_int[codes]
