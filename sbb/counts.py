"""Counts per school and category: the roster reduced once, or a school-level counts file.

Categories are grades (`grade_PK` ... `grade_12`, or one `enrollment` column when the weight table
weights every grade alike with `[grade] all`), yes/no needs (the roster column's name, e.g. `frl`,
counting flagged pupils), need levels (`<column>_<level>`, e.g. `sped_resource`) and, for a need
weighted by grade band, one column per band (`ell_K-5`, `sped_resource_9-12`: pupils in the band's
grades). Counts in a counts file may be fractional (FTE, average daily membership). Every scenario is
then arithmetic on this schools x categories matrix; no student row is kept.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from .problems import InputError, Problem, shown
from .schools import pandera_problems
from .spelling import GRADES, flag_codes, grade_code, grade_codes, level_codes
from .tables import Table, clean_header, require_columns
from .weights import FlagNeed, LevelNeed, WeightTable

GRADE_COLUMNS = [f"grade_{g}" for g in GRADES]
ENROLLMENT = "enrollment"


def grade_columns(weights: WeightTable) -> list[str]:
    """The pupil columns that open the matrix: one per grade, or `enrollment` for `[grade] all`."""
    return [ENROLLMENT] if weights.grade_all else list(GRADE_COLUMNS)


def count_columns(weights: WeightTable) -> list[str]:
    """Category names in matrix order: grades (or enrollment), then each need's flag or levels
    (one per grade band where the weight is banded)."""
    return grade_columns(weights) + [c.column for c in weights.categories()]


def _code_schema(codes: dict[str, str]):
    """Every code must be >= 0; the message says what was expected in that column (a pandera schema)."""
    import pandera.pandas as pa

    return pa.DataFrameSchema(
        {c: pa.Column(checks=pa.Check.ge(0, error=msg)) for c, msg in codes.items()}
    )


def reduce_roster(table: Table, schools: pd.DataFrame, weights: WeightTable) -> pd.DataFrame:
    """Counts per school (rows in `schools` order, indexed by school_id) and category, from a roster.

    Raises `InputError` listing every bad row: unknown school, unreadable grade, flag or level,
    duplicate or blank student id. Each column is factorised first, so spellings are read and
    school ids looked up once per distinct value, then broadcast to the rows as integer codes.
    """
    frame = table.frame
    needs = [n.column for n in weights.needs]
    problems = require_columns(table, ["school_id", "grade", *needs], "one row per student")
    if not problems and len(frame) == 0:
        problems = [Problem(table.name, None, None, None, "at least one student row; the file has only a header")]
    if problems:
        raise InputError(problems)
    ids = pd.Index(schools["school_id"])
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The student-id check (mostly a sort of millions of integers, outside the GIL) runs on a
        # second core while the other columns are read.
        id_check = pool.submit(_student_id_problems, table)
        school, codes, problems = _row_codes(table, ids, weights)
        problems += id_check.result()
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    return _tally(school, codes, weights, ids)


def _row_codes(table: Table, ids: pd.Index, weights: WeightTable):
    """Each row's position in `ids` (its school) and grade / need codes (-1 where unreadable), and a
    problem for every unreadable value."""
    frame = table.frame
    school = school_codes(frame["school_id"], ids)
    codes = {"school_id": school, "grade": grade_codes(frame["grade"])}
    expected = {"school_id": "a school_id listed in the schools file",
                "grade": "a grade: PK (Pre-K), K (KG), 1-12 (01-12)"}
    for need in weights.needs:
        if isinstance(need, FlagNeed):
            codes[need.column] = flag_codes(frame[need.column])
            expected[need.column] = "a yes/no flag: Y/N, yes/no, 1/0 or true/false"
        else:
            codes[need.column] = level_codes(frame[need.column], need.levels)
            expected[need.column] = "one of: none, " + ", ".join(need.levels)
    problems = []
    if any(bool((c < 0).any()) for c in codes.values()):
        # The schema states the rule (every code >= 0) and lists every failing row and column; it
        # runs only when a code is bad, so a clean roster does not pay for pandera.
        import pandera.pandas as pa

        code_frame = pd.DataFrame(codes, index=frame.index)
        try:
            _code_schema(expected).validate(code_frame, lazy=True)
        except pa.errors.SchemaErrors as err:
            problems += pandera_problems(table, err, frame)
    return school, codes, problems


def school_codes(column: pd.Series, ids: pd.Index) -> np.ndarray:
    """Position in `ids` of each row's school id (surrounding spaces ignored); -1 where unknown or blank.

    Each distinct value is stripped and looked up once.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    where = ids.get_indexer(pd.Series(uniques).astype("string").str.strip())
    return np.append(where, -1).astype(np.int32)[codes]  # last slot: missing values


def _student_id_problems(table: Table) -> list[Problem]:
    """Blank or repeated student ids, when the roster has a student_id column."""
    if "student_id" not in table.frame:
        return []
    if _surely_distinct(table.frame["student_id"]):  # the usual case: no row lists to build
        return []
    ids = table.frame["student_id"].astype("string").str.strip()
    bad = ids.isna() | (ids == "")
    dup = ids.duplicated(keep=False) & ~bad
    out = [Problem(table.name, table.row(i), "student_id", "", "a student id; it is blank")
           for i in np.flatnonzero(bad.to_numpy())]
    out += [Problem(table.name, table.row(i), "student_id", shown(ids.iloc[i]),
                    "a unique student id; it appears more than once") for i in np.flatnonzero(dup.to_numpy())]
    return out


def _surely_distinct(ids: pd.Series) -> bool:
    """True when every id is present, not blank and different from every other id once surrounding
    spaces are ignored; False means "maybe not" (the caller then checks row by row).

    Student ids are usually fixed-width codes such as P00012345. When every id has the same number
    of bytes and starts and ends with a visible ASCII character (so stripping changes nothing), each
    id's bytes are read as 64-bit words and folded into one number (exactly the id when it has at
    most 8 bytes). Equal ids give equal numbers, so distinct numbers (one sort of integers) prove
    distinct ids.

    >>> [_surely_distinct(pd.Series(v, dtype="string")) for v in (["P000000001", "P000000002"],
    ...  ["P000000001", "P000000001"], ["A1", "B2", "A1"], ["A1", "B22"], [" A1", "A1 "])]
    [True, False, False, False, False]
    """
    import pyarrow as pa

    try:
        arr = pa.array(ids.array)
    except (TypeError, ValueError, pa.ArrowException):
        return False
    arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    n = len(arr)
    if n == 0 or arr.null_count or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return False
    _, offsets, data = arr.buffers()
    offsets = np.frombuffer(offsets, np.int64 if pa.types.is_large_string(arr.type) else np.int32)
    offsets = offsets[arr.offset: arr.offset + n + 1]
    width = int(offsets[1] - offsets[0])
    if width == 0 or not (np.diff(offsets) == width).all():
        return False
    text = np.frombuffer(data, np.uint8)[offsets[0]: offsets[-1]].reshape(n, width)
    ends = text[:, [0, -1]]
    if ((ends < 0x21) | (ends > 0x7E)).any():  # a space or a non-ASCII character at either end
        return False
    padded = np.zeros((n, -(-width // 8) * 8), np.uint8)
    padded[:, :width] = text
    words = padded.view(np.uint64)
    key = words[:, 0].copy()
    for j in range(1, words.shape[1]):  # wrap-around arithmetic: a fold, not an exact key
        key *= np.uint64(0x9E3779B97F4A7C15)
        key += words[:, j]
    key.sort()
    return not (key[1:] == key[:-1]).any()


def _tally(school: np.ndarray, codes: dict[str, np.ndarray], weights: WeightTable, ids: pd.Index) -> pd.DataFrame:
    """bincount the validated codes into the schools x categories matrix."""
    n = len(ids)
    school = school.astype(np.int64)
    grade = codes["grade"]
    by_grade = np.bincount(school * len(GRADES) + grade, minlength=n * len(GRADES)).reshape(n, -1)
    blocks = [by_grade.sum(axis=1)[:, None] if weights.grade_all else by_grade]
    for need in weights.needs:
        c = codes[need.column]
        if isinstance(need, FlagNeed):  # codes are 0 / 1: count the flagged rows' schools
            if need.bands:
                blocks.append(_band_tally(school[c == 1], grade[c == 1], need.bands, n))
            else:
                blocks.append(np.bincount(school[c == 1], minlength=n)[:, None])
            continue
        k = len(need.levels) + 1
        if not any(need.bands):
            blocks.append(np.bincount(school * k + c, minlength=n * k).reshape(n, k)[:, 1:])
            continue
        for i in range(len(need.levels)):
            at = c == i + 1
            bands = need.level_bands(i)
            blocks.append(_band_tally(school[at], grade[at], bands, n) if bands
                          else np.bincount(school[at], minlength=n)[:, None])
    matrix = np.hstack(blocks).astype(np.int64)
    return pd.DataFrame(matrix, index=pd.Index(ids, name="school_id"), columns=count_columns(weights))


def _band_tally(school: np.ndarray, grade: np.ndarray, bands, n: int) -> np.ndarray:
    """Pupils per school (rows) and grade band (columns); pupils in grades outside every band drop out."""
    from .weights import grade_span

    band_of = np.full(len(GRADES), -1, dtype=np.int64)
    for j, (band, _) in enumerate(bands):
        band_of[grade_span(band)] = j
    b = band_of[grade]
    keep = b >= 0
    k = len(bands)
    return np.bincount(school[keep] * k + b[keep], minlength=n * k).reshape(n, k)


def read_counts(table: Table, schools: pd.DataFrame, weights: WeightTable) -> pd.DataFrame:
    """Counts from a school-level counts file: school_id plus one column per grade and need category.

    Grade columns may be written `grade_K`, `K` or `KG`; under `[grade] all` one `enrollment` column
    (or the grade columns, added up). Counts may be fractional (FTE). Schools missing from the file
    have no pupils. A need's counts (all its levels and bands) may not exceed the school's enrollment.
    """
    frame = table.frame.rename(columns=_grade_header)
    wanted = count_columns(weights)
    # headers are compared cleaned ('ell_K-5' reads as 'ell_k_5'); use the canonical names
    frame = frame.rename(columns={clean_header(c): c for c in wanted if clean_header(c) != c})
    if weights.grade_all and ENROLLMENT not in frame and all(c in frame for c in GRADE_COLUMNS):
        frame = frame.assign(**{ENROLLMENT: _summed(frame[GRADE_COLUMNS])})
    problems = require_columns(Table(table.name, frame, table.first_row), ["school_id", *wanted],
                               "pupil counts per school")
    if problems:
        raise InputError(problems)
    ids = pd.Index(schools["school_id"])
    sid = frame["school_id"].astype("string").str.strip()
    where = ids.get_indexer(sid)
    for i in np.flatnonzero(where < 0):
        problems.append(Problem(table.name, table.row(i), "school_id", shown(sid.iloc[i]),
                                "a school_id listed in the schools file"))
    for i in np.flatnonzero(sid.duplicated().to_numpy()):
        problems.append(Problem(table.name, table.row(i), "school_id", shown(sid.iloc[i]), "each school once"))
    values = {}
    unreadable = np.zeros(len(frame), dtype=bool)  # a row with a refused count is not checked further
    for c in wanted:
        number = pd.to_numeric(frame[c].astype("string").str.strip().str.replace(",", ""), errors="coerce")
        bad = number.isna() | (number < 0)
        unreadable |= bad.to_numpy()
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(table.name, table.row(i), c, shown(frame[c].iloc[i]),
                                    "a number of pupils, 0 or more (fractions such as FTE are fine)"))
        values[c] = number.fillna(0).to_numpy(dtype=float)
    matrix = np.column_stack([values[c] for c in wanted])
    whole = bool((matrix % 1 == 0).all())
    n_grades = len(grade_columns(weights))
    enrolled = matrix[:, :n_grades].sum(axis=1)
    col = n_grades
    for need in weights.needs:
        width = sum(1 for c in weights.categories() if c.need == need.name)
        total = matrix[:, col: col + width].sum(axis=1)
        over = (total > enrolled + 1e-9) & ~unreadable
        for i in np.flatnonzero(over):
            problems.append(Problem(table.name, table.row(i), need.column, f"{total[i]:g}",
                                    f"at most the school's enrollment ({enrolled[i]:g} pupils)"))
        col += width
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    out = np.zeros((len(ids), len(wanted)), dtype=np.int64 if whole else float)
    out[where] = matrix
    return pd.DataFrame(out, index=pd.Index(ids, name="school_id"), columns=wanted)


def _summed(grades: pd.DataFrame) -> pd.Series:
    """Grade columns added up (as text, so the checks below read it like any count)."""
    numbers = grades.apply(lambda c: pd.to_numeric(c.astype("string").str.strip().str.replace(",", ""), errors="coerce"))
    return numbers.sum(axis=1, min_count=grades.shape[1]).astype("string")


def _grade_header(name: str) -> str:
    """'K', 'KG', 'grade_01' -> 'grade_K', 'grade_1'; other headers unchanged."""
    bare = name[len("grade_"):] if name.startswith("grade_") else name
    g = grade_code(bare) if bare and bare not in ("0", "00", "p") else -1
    if name.startswith("grade_") or bare.upper() in ("PK", "K", "KG", "PREK", "PRE_K") or bare.isdigit():
        if g >= 0:
            return f"grade_{GRADES[g]}"
    return name
