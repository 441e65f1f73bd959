"""Example districts: which shipped data goes with which shipped scenarios.

Each example folder holds a `district.toml` manifest (the sample district's is `sample_data/district.toml`,
each real example's is in its own folder, e.g. `sample_data/minnesota_fy2022/district.toml`):

    title = "Minnesota compensatory revenue, FY2022"      # the district's name in the app
    source = "Minnesota House Research, FY2022 ..."       # one line: where the data comes from
    schools = "schools.csv"                               # paths relative to the manifest's folder
    counts = "counts.csv"                                 # or roster = "roster.csv" (exactly one)
    scenarios = ["minnesota_compensatory_fy2022.toml"]    # file names in scenarios/ made for this data

Whether a scenario *fits* a district is worked out from the files, not from the manifest: its weight
table can run on the district when every column it reads is in the district's files (`missing_columns`:
the counts file's grade or enrollment and need columns, or the roster's grade and need columns, and the
schools file's multiplier, extra-amount, hold-harmless `applies_to` and performance-metric columns).
The manifests only say which district a scenario was made for, so a scenario that does not fit can
name the district it needs. Pure functions, except `load_examples` and `file_headers`, which read files.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from .counts import ENROLLMENT, GRADE_COLUMNS, _grade_header, count_columns
from .problems import InputError, Problem
from .scenario import Scenario
from .tables import clean_header
from .tomlfiles import Reader, read_toml

MANIFEST = "district.toml"
SAMPLE_KEY = "sample"
KEYS = {"title", "source", "schools", "roster", "counts", "scenarios"}


@dataclass(frozen=True)
class Example:
    """One shipped example district: `key` is its folder's name ('sample' for sample_data itself),
    the files are absolute paths, `scenarios` the file names in scenarios/ made for it."""

    key: str
    title: str
    source: str
    schools: str
    roster: str | None
    counts: str | None
    scenarios: tuple[str, ...]


def parse_manifest(doc: dict, file: str, folder: Path, key: str) -> Example:
    """Validate one manifest (a TOML-shaped dict); raises `InputError` naming every problem."""
    r = Reader(file)
    r.only_keys(doc, KEYS, "")
    title = r.text(doc, "title", "")
    source = r.text(doc, "source", "")
    if source is not None and "\n" in source.strip():
        r.problem("source", source, "one line of text")
    schools = r.text(doc, "schools", "")
    roster = r.text(doc, "roster", "", required=False)
    counts = r.text(doc, "counts", "", required=False)
    if (roster is None) == (counts is None) and ("roster" in doc) == ("counts" in doc):
        r.problem("roster", None, "either roster = \"...\" or counts = \"...\" (exactly one)")
    names = doc.get("scenarios", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n.endswith(".toml") for n in names):
        r.problem("scenarios", names, "a list of scenario file names, e.g. [\"baseline.toml\"]")
        names = []
    paths = {}
    for field, value in (("schools", schools), ("roster", roster), ("counts", counts)):
        if value is not None:
            path = (folder / value).resolve()
            if not path.is_file():
                r.problem(field, value, f"a file in {folder.name or folder}")
            paths[field] = str(path)
    if r.problems:
        raise InputError(r.problems)
    return Example(key, title.strip(), " ".join(source.split()), paths["schools"], paths.get("roster"),
                   paths.get("counts"), tuple(names))


def load_examples(sample_dir: str | Path, problems: list[Problem] | None = None) -> list[Example]:
    """The example districts under `sample_dir`: its own manifest first (the sample district), then
    each sub-folder's in name order. A folder without a manifest is not an example. A bad manifest
    raises `InputError`, or, when a `problems` list is given, is left out and its problems added."""
    root = Path(sample_dir)
    folders = [(SAMPLE_KEY, root)] + [(p.name, p) for p in sorted(root.iterdir()) if p.is_dir()]
    out = []
    for key, folder in folders:
        manifest = folder / MANIFEST
        if manifest.is_file():
            try:
                out.append(parse_manifest(read_toml(manifest), str(manifest), folder, key))
            except InputError as err:
                if problems is None:
                    raise
                problems.extend(err.problems)
    return out


# --------------------------------------------------------------------------------------------------
# Which scenarios fit which data
# --------------------------------------------------------------------------------------------------

def missing_columns(scenario: Scenario, schools: Iterable[str], data: Iterable[str], roster: bool) -> list[str]:
    """The columns `scenario` reads that the district's files do not have ([] = it fits).

    `schools` and `data` are the headers of the schools file and of the roster (`roster` true) or
    counts file, as written; they are compared cleaned, as the readers compare them ('Grade K' reads
    as grade_K in a counts file). Levels and values are not checked here: loading does that."""
    weights = scenario.baseline
    school_cols = {clean_header(c) for c in schools}
    need_school = [c for c in (weights.multiplier, *weights.extra_amounts, scenario.applies_to) if c]
    if scenario.framework is not None:
        need_school += [clean_header(m) for m, _ in scenario.framework.metrics]
    missing = [c for c in need_school if clean_header(c) not in school_cols]
    cols = {clean_header(c) for c in data}
    if roster:
        wanted = ["school_id", "grade", *(n.column for n in weights.needs)]
        return missing + [c for c in wanted if clean_header(c) not in cols]
    cols = {clean_header(_grade_header(c)) for c in data} | cols
    wanted = count_columns(weights)
    if weights.grade_all and ENROLLMENT not in cols and all(clean_header(g) in cols for g in GRADE_COLUMNS):
        wanted = wanted[1:]  # the grade columns are added up into enrollment
    return missing + [c for c in ["school_id", *wanted] if clean_header(c) not in cols]


def fitting(scenarios: Mapping[str, Scenario], schools: Iterable[str], data: Iterable[str],
            roster: bool) -> list[str]:
    """The names of the scenarios that fit the district (in the order given)."""
    schools, data = list(schools), list(data)
    return [name for name, s in scenarios.items() if not missing_columns(s, schools, data, roster)]


def home_of(examples: Iterable[Example]) -> dict[str, Example]:
    """Each scenario file name -> the example district it was made for."""
    return {name: e for e in examples for name in e.scenarios}


def elsewhere_line(left_out: Iterable[str], examples: Iterable[Example]) -> str:
    """One line saying how many shipped scenarios need another district, and which districts
    ('' when none): '4 shipped scenarios need another district: Minnesota ... (1), NYC ... (2).'"""
    home = home_of(examples)
    left_out = list(left_out)
    if not left_out:
        return ""
    by_district: dict[str, int] = {}
    for name in left_out:
        title = home[name].title if name in home else "data with other columns"
        by_district[title] = by_district.get(title, 0) + 1
    n = len(left_out)
    names = "; ".join(f"{t} ({k})" for t, k in by_district.items())
    return f"{n} shipped scenario{'s' if n != 1 else ''} need{'s' if n == 1 else ''} another district: {names}."


# --------------------------------------------------------------------------------------------------
# File headers (the only reading here besides the manifests)
# --------------------------------------------------------------------------------------------------

def file_headers(source: str | Path | tuple[str, bytes]) -> list[str] | None:
    """The column names of a CSV, XLSX or Parquet file (a path or an upload as (name, bytes)),
    reading only its first row; None when they cannot be read (the loader then says why)."""
    name = source[0] if isinstance(source, tuple) else str(source)
    suffix = Path(name).suffix.lower()
    try:
        if suffix == ".csv":
            raw = source[1][:1 << 16] if isinstance(source, tuple) else _head(Path(source))
            raw = raw.split(b"\n", 1)[0]  # the header line (as the reader: UTF-8, else Windows-1252)
            for encoding in ("utf-8-sig", "cp1252", "latin-1"):
                try:
                    text = raw.decode(encoding)
                    break
                except UnicodeDecodeError:
                    continue
            first = next(csv.reader(io.StringIO(text)), [])
            return [c.strip() for c in first]
        if suffix == ".xlsx":
            import openpyxl

            data = io.BytesIO(source[1]) if isinstance(source, tuple) else source
            book = openpyxl.load_workbook(data, read_only=True, data_only=True)
            try:
                row = next(book.worksheets[0].iter_rows(max_row=1, values_only=True), ())
            finally:
                book.close()
            return [str(c).strip() for c in row if c is not None]
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            data = io.BytesIO(source[1]) if isinstance(source, tuple) else source
            return list(pq.read_schema(data).names)
    except Exception:  # noqa: BLE001 - any unreadable file: the loader reports it properly
        return None
    return None


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(1 << 16)


def example_problem(token: str, examples: Iterable[Example]) -> InputError:
    """The one problem of an address naming an example district that is not shipped."""
    keys = ", ".join(e.key for e in examples)
    return InputError([Problem("address", None, "data", token, f"one of the example districts: {keys}")])
