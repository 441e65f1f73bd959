"""One mistake, one problem: the problems a district's files produce, without those that only follow
from another.

Two rules, applied to the full list before it is shown:

* The same bad value in the same column of the same file, refused for the same reason, is one
  mistake however many rows repeat it (a school id the schools file lacks, on every row of that
  school's 371 students). It is reported once, at its first row, with the other rows counted
  ("also rows 5, 9, 12, 15, 20 and 366 more").
* When the schools file's own school ids are wrong (a repeated or blank id), rows of the roster or
  counts file naming an id the schools file lacks most likely follow from it (the repeated id was
  meant to be the missing one). They are not listed on their own; the school-id problem says which
  ids they name and how many rows, so nothing is hidden.
* Otherwise, when a roster or counts file names several school ids the schools file lacks (a
  schools file missing schools), that is one problem per file: how many ids, the first few with
  their row counts and first row ("48 school ids in roster.csv are not in schools.csv: 'S003'
  (643 rows, first row 2), ...").
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from .problems import Problem

UNKNOWN_SCHOOL = "a school_id listed in the schools file"
"""What a roster or counts row with a school id the schools file lacks is expected to hold."""


def one_per_mistake(problems: list[Problem], schools_file: str) -> list[Problem]:
    """`problems` with repeats folded into their first row and unknown school ids folded into the
    schools file's own school-id problem (see the module docstring); order otherwise kept."""
    id_problems = any(p.file == schools_file and p.column == "school_id" for p in problems)
    unknown = [p for p in problems if p.expected == UNKNOWN_SCHOOL]
    if not unknown:
        return _fold_repeats(problems)
    if not id_problems:
        return _fold_repeats(_unknown_per_file(problems, schools_file))
    out = _fold_repeats([p for p in problems if p.expected != UNKNOWN_SCHOOL])
    first = next(i for i, p in enumerate(out) if p.file == schools_file and p.column == "school_id")
    out[first] = replace(out[first], expected=out[first].expected + _unknown_note(unknown))
    return out


def _unknown_note(unknown: list[Problem]) -> str:
    """'. roster.csv has 371 rows with school_id 'S003', which the schools file does not list: ...'."""
    per_id: dict[str, int] = {}
    for p in unknown:
        per_id[p.value or ""] = per_id.get(p.value or "", 0) + 1
    ids = ", ".join(repr(v) for v in list(per_id)[:3]) + (f" and {len(per_id) - 3} more" if len(per_id) > 3 else "")
    rows = len(unknown)
    files = ", ".join(dict.fromkeys(Path(p.file).name for p in unknown))  # the name; its folder is noise here
    return (f". {files} has {rows:,} row{'s' if rows != 1 else ''} with school_id {ids}, which the schools file "
            "does not list: is one of these rows that school? (Those rows are checked again once the ids are fixed.)")


def _unknown_per_file(problems: list[Problem], schools_file: str, shown: int = 5) -> list[Problem]:
    """Each file's unknown-school-id problems as one, where it names more than one id (in the place
    of the first); a single id is left to `_fold_repeats` (its first row and the others counted)."""
    by_file: dict[str, dict[str, list[int | None]]] = {}
    for p in problems:
        if p.expected == UNKNOWN_SCHOOL and p.row is not None:  # rows of a table, not keys of a TOML file
            by_file.setdefault(p.file, {}).setdefault(p.value or "", []).append(p.row)
    out: list[Problem] = []
    done: set[str] = set()
    for p in problems:
        ids = by_file.get(p.file) if p.expected == UNKNOWN_SCHOOL and p.row is not None else None
        if ids is None or len(ids) == 1:
            out.append(p)
            continue
        if p.file in done:
            continue
        done.add(p.file)
        listed = ", ".join(f"{sid!r} (row {rows[0]})" if len(rows) == 1 else
                           f"{sid!r} ({len(rows):,} rows, first row {rows[0]})" for sid, rows in list(ids.items())[:shown])
        more = f" and {len(ids) - shown:,} more" if len(ids) > shown else ""
        name, schools = Path(p.file).name, Path(schools_file).name
        out.append(Problem(p.file, None, "school_id", None,
                           f"{len(ids):,} school ids in {name} are not in {schools}: {listed}{more}. Each row "
                           f"needs {UNKNOWN_SCHOOL}: is {schools} missing these schools?"))
    return out


def _fold_repeats(problems: list[Problem]) -> list[Problem]:
    """One problem per (file, column, value, expected), at its first row, naming the other rows."""
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        key = (p.file, p.column, p.value, p.expected) if p.row is not None else (id(p),)
        groups.setdefault(key, []).append(p)
    out = []
    for group in groups.values():
        first = group[0]
        if len(group) > 1:
            rows = [p.row for p in group[1:]]
            listed = ", ".join(str(r) for r in rows[:5])
            more = f" and {len(rows) - 5:,} more" if len(rows) > 5 else ""
            word = "row" if len(rows) == 1 else "rows"
            first = replace(first, expected=f"{first.expected} (also {word} {listed}{more})")
        out.append(first)
    return out
