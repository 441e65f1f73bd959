"""Weight tables (`weights/*.toml`): grade weights, need weights, base and fixed school amounts.

A weight table is read strictly: every unknown key, negative weight, missing grade or malformed
value is a `Problem` naming the dotted key and the file. The validated table is a frozen
`WeightTable`; `to_dict` gives its canonical form (grade bands expanded to single grades), which
is what scenario overrides change before the table is validated again.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from .problems import InputError, Problem, raise_if
from .spelling import GRADES, grade_code
from .tables import clean_header
from .tomlfiles import Reader, read_toml

TOP_KEYS = {"title", "source", "base", "grade", "needs", "foundation", "small_school", "concentration",
            "multiplier", "extra_amounts", "rounding", "equity"}
SHAPES = ("step", "ramp", "excess")
ROUNDING_KEYS = ("share", "factor", "counted", "weighted_pupils", "formula")

Bands = tuple[tuple[str, float], ...]
"""A need weight that varies by grade band: (canonical band key, weight) pairs, bands disjoint."""


@dataclass(frozen=True)
class FlagNeed:
    """A yes/no need: each flagged pupil adds `weight` weighted pupils, or, when `bands` is set, the
    weight of the grade band the pupil is in (pupils in grades outside every band add 0)."""

    name: str
    column: str
    weight: float
    bands: Bands = ()


@dataclass(frozen=True)
class LevelNeed:
    """A need with service levels: a pupil at `levels[i]` adds `weights[i]` weighted pupils."""

    name: str
    column: str
    levels: tuple[str, ...]
    weights: tuple[float, ...]
    bands: tuple[Bands, ...] = ()  # per level: () for one weight, else its weight by grade band

    def level_bands(self, i: int) -> Bands:
        """Level i's weight by grade band (() when one weight covers every grade)."""
        return self.bands[i] if self.bands else ()


@dataclass(frozen=True)
class SmallSchool:
    """Dollars for small schools: `per_school` at zero pupils, tapering linearly to 0 at `enrollment_below`."""

    enrollment_below: float
    per_school: float


@dataclass(frozen=True)
class Concentration:
    """A school-level weight driven by the share of counted pupils (see `sbb.concentration`).

    counted = pupils flagged by `need` (or, for a need with levels, the sum over levels of pupils x
    `count[level]`, 1 each by default); share = counted / enrollment. By `shape`:
    step: extra = weight x counted where share >= share_at_least; ramp: extra = weight x counted x
    min(1, share / full_at); excess: extra = weight x max(0, counted - share_at_least x enrollment).
    """

    name: str
    need: str
    share_at_least: float
    weight: float
    shape: str = "step"
    full_at: float | None = None
    count: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Rounding:
    """Statutory rounding, in decimals (None: not rounded), half away from zero as Excel's ROUND."""

    share: int | None = None
    factor: int | None = None
    counted: int | None = None
    weighted_pupils: int | None = None
    formula: int | None = None

    def any(self) -> bool:
        return any(getattr(self, k) is not None for k in ROUNDING_KEYS)


@dataclass(frozen=True)
class Category:
    """One column of the counts matrix after the grades: a need flag or level, maybe for one band.

    `key` is the dotted key of its weight ('needs.ell.weight', 'needs.ell.weight.K-5',
    'needs.sped.levels.resource.9-12'); `grades` the grade indices a band covers (None: all)."""

    column: str
    key: str
    weight: float
    need: str
    level: str | None = None
    band: str | None = None
    grades: tuple[int, ...] | None = None


@dataclass(frozen=True)
class WeightTable:
    """A validated weight table. `grade` holds one weight per grade in `GRADES` order."""

    title: str
    source: str
    base_per_weighted_pupil: float
    grade: tuple[float, ...]
    needs: tuple[FlagNeed | LevelNeed, ...]
    foundation_per_school: float
    small_school: SmallSchool | None = None
    concentration: tuple[Concentration, ...] = ()
    file: str = ""
    grade_all: bool = False
    multiplier: str | None = None
    extra_amounts: tuple[str, ...] = ()
    rounding: Rounding = Rounding()
    poverty_need: str | None = None       # [equity] poverty_need: the need that counts poor pupils
    poverty_levels: tuple[str, ...] = ()  # [equity] levels: its levels that count (all when empty)

    def need(self, name: str) -> FlagNeed | LevelNeed:
        """The need called `name`."""
        return next(n for n in self.needs if n.name == name)

    def to_dict(self) -> dict[str, Any]:
        """Canonical TOML-shaped dict: single grades, every need and optional table spelled out."""
        needs: dict[str, Any] = {}
        for n in self.needs:
            if isinstance(n, FlagNeed):
                needs[n.name] = {"column": n.column, "weight": dict(n.bands) if n.bands else n.weight}
            else:
                needs[n.name] = {"column": n.column, "levels": {
                    lv: dict(n.level_bands(i)) if n.level_bands(i) else n.weights[i]
                    for i, lv in enumerate(n.levels)}}
        out: dict[str, Any] = {
            "title": self.title,
            **({"source": self.source} if self.source else {}),
            "base": {"per_weighted_pupil": self.base_per_weighted_pupil},
            "grade": {"all": self.grade[0]} if self.grade_all else dict(zip(GRADES, self.grade)),
            "needs": needs,
            "foundation": {"per_school": self.foundation_per_school},
        }
        if self.small_school is not None:
            out["small_school"] = {
                "enrollment_below": self.small_school.enrollment_below,
                "per_school": self.small_school.per_school,
            }
        if self.concentration:
            out["concentration"] = {c.name: _concentration_dict(c) for c in self.concentration}
        if self.multiplier:
            out["multiplier"] = {"column": self.multiplier}
        if self.extra_amounts:
            out["extra_amounts"] = {"columns": list(self.extra_amounts)}
        if self.rounding.any():
            out["rounding"] = {k: getattr(self.rounding, k) for k in ROUNDING_KEYS
                               if getattr(self.rounding, k) is not None}
        if self.poverty_need is not None:
            out["equity"] = {"poverty_need": self.poverty_need,
                             **({"levels": list(self.poverty_levels)} if self.poverty_levels else {})}
        return out

    @cached_property
    def _categories(self) -> tuple[Category, ...]:
        return tuple(self._build_categories())

    def categories(self) -> list[Category]:
        """The need columns of the counts matrix, in order: each flag (or its bands), then each level
        (or its bands), need by need."""
        return list(self._categories)

    def _build_categories(self) -> list[Category]:
        out: list[Category] = []
        for n in self.needs:
            if isinstance(n, FlagNeed):
                parts = [(None, n.weight, n.bands, f"needs.{n.name}.weight")]
                stem = n.column
            else:
                parts = [(lv, n.weights[i], n.level_bands(i), f"needs.{n.name}.levels.{lv}")
                         for i, lv in enumerate(n.levels)]
                stem = None
            for level, weight, bands, key in parts:
                column = stem if level is None else f"{n.column}_{level}"
                if not bands:
                    out.append(Category(column, key, weight, n.name, level))
                    continue
                for band, w in bands:
                    out.append(Category(f"{column}_{band}", f"{key}.{band}", w, n.name, level, band,
                                        tuple(grade_span(band) or ())))
        return out

    def banded(self, need: str) -> bool:
        """Whether the need called `need` has a weight that varies by grade band."""
        n = self.need(need)
        return bool(n.bands) if isinstance(n, FlagNeed) else any(n.bands)


def _concentration_dict(c: Concentration) -> dict[str, Any]:
    out: dict[str, Any] = {"need": c.need}
    if c.count:
        out["count"] = dict(c.count)
    if c.shape != "step":
        out["shape"] = c.shape
    if c.shape == "ramp":
        out["full_at"] = c.full_at
    else:
        out["share_at_least"] = c.share_at_least
    out["weight"] = c.weight
    return out


def band_key(span: list[int]) -> str:
    """Canonical name of a grade band: 'K-5', '9-12', or one grade 'K'."""
    return GRADES[span[0]] if len(span) == 1 else f"{GRADES[span[0]]}-{GRADES[span[-1]]}"


def load_weights(path: str | Path) -> WeightTable:
    """Read and validate the weight table at `path`; raises `InputError` listing every problem."""
    return weights_from_dict(read_toml(path), str(path))


def grade_span(key: str) -> list[int] | None:
    """Grade indices named by a grade key: one grade ('K', '01') or a band ('K-2', '9-12')."""
    single = grade_code(key)
    if single >= 0:
        return [single]
    parts = key.split("-")
    for cut in range(1, len(parts)):
        lo, hi = grade_code("-".join(parts[:cut])), grade_code("-".join(parts[cut:]))
        if lo >= 0 and hi >= lo:
            return list(range(lo, hi + 1))
    return None


def _grades(r: Reader, table: dict) -> tuple[tuple[float, ...], bool]:
    """Grade weights from single grades and bands, every grade exactly once; or `all = w` for one
    weight for every grade. Returns (weights in `GRADES` order, whether `all` was used)."""
    if "all" in table:
        if len(table) > 1:
            r.problem("grade.all", None, "'all' alone: one weight for every grade, no single grades or bands beside it")
        value = r.number(table, "all", "grade")
        return tuple([value or 0.0] * len(GRADES)), True
    weights: list[float | None] = [None] * len(GRADES)
    for key in table:
        span = grade_span(str(key))
        if span is None:
            r.problem(f"grade.{key}", None, "a grade (PK, K, 1-12) or a band such as 'K-2' (or 'all' alone)")
            continue
        value = r.number(table, key, "grade")
        for g in span:
            if weights[g] is not None:
                r.problem(f"grade.{key}", None, f"each grade once; grade {GRADES[g]} is already weighted")
            weights[g] = value if value is not None else 0.0
    missing = [GRADES[g] for g, w in enumerate(weights) if w is None]
    if missing and table is not None:
        r.problem("grade", None, "a weight for every grade PK-12; missing: " + ", ".join(missing))
    return tuple(0.0 if w is None else w for w in weights), False


def _weight(r: Reader, parent: dict, key: str, prefix: str) -> tuple[float, Bands]:
    """A need weight: a number, or {band = number} with bands spelled as in [grade] and disjoint.
    Returns (the number, or 0.0 when banded; the bands, canonical and in grade order)."""
    value = parent.get(key)
    if not isinstance(value, dict):
        return r.number(parent, key, prefix) or 0.0, ()
    full = f"{prefix}.{key}"
    if not value:
        r.problem(full, None, "a number, or at least one grade band with its weight, e.g. { \"K-5\" = 0.40 }")
        return 0.0, ()
    seen: dict[int, str] = {}
    bands: list[tuple[int, str, float]] = []
    for band in value:
        span = grade_span(str(band))
        if span is None:
            r.problem(f"{full}.{band}", None, "a grade band such as 'K-5' or '9-12' (or one grade)")
            continue
        overlap = sorted({seen[g] for g in span if g in seen})
        if overlap:
            r.problem(f"{full}.{band}", None,
                      f"grade bands that do not overlap; it shares grades with band '{overlap[0]}'")
            continue
        for g in span:
            seen[g] = str(band)
        w = r.number(value, band, full)
        bands.append((span[0], band_key(span), w or 0.0))
    return 0.0, tuple((k, w) for _, k, w in sorted(bands))


def _needs(r: Reader, table: dict) -> tuple[FlagNeed | LevelNeed, ...]:
    """Need weights: each need has a roster column and either a flag weight or level weights, each
    a number or a table of weights by grade band."""
    needs: list[FlagNeed | LevelNeed] = []
    columns: dict[str, str] = {}
    for name, spec in table.items():
        prefix = f"needs.{name}"
        if not isinstance(spec, dict):
            r.problem(prefix, spec, "a table with 'column' and 'weight' or 'levels'")
            continue
        r.only_keys(spec, {"column", "weight", "levels"}, prefix)
        column = r.text(spec, "column", prefix, default=name)
        if column in columns:
            r.problem(f"{prefix}.column", column, f"a column not already used by need '{columns[column]}'")
        columns[column] = name
        if ("weight" in spec) == ("levels" in spec):
            r.problem(prefix, None, "exactly one of 'weight' (a yes/no flag) or 'levels' (service levels)")
            continue
        if "weight" in spec:
            weight, bands = _weight(r, spec, "weight", prefix)
            needs.append(FlagNeed(name, column, weight, bands))
            continue
        levels = r.table(spec, "levels", prefix)
        if not levels:
            r.problem(f"{prefix}.levels", None, "at least one level with its weight")
        bad = [lv for lv in levels if str(lv).lower() in ("none", "")]
        for lv in bad:
            r.problem(f"{prefix}.levels.{lv}", None, "a level other than 'none' (pupils at 'none' add nothing)")
        names = tuple(str(lv) for lv in levels if lv not in bad)
        parsed = [_weight(r, levels, lv, f"{prefix}.levels") for lv in names]
        level_bands = tuple(b for _, b in parsed)
        needs.append(LevelNeed(name, column, names, tuple(w for w, _ in parsed),
                               level_bands if any(level_bands) else ()))
    return tuple(needs)


_SHAPE_KEYS = {"step": "share_at_least", "ramp": "full_at", "excess": "share_at_least"}


def _concentration(r: Reader, table: dict, needs: tuple) -> tuple[Concentration, ...]:
    """Concentration weights, each driven by a need (a flag, or a need with levels) not banded."""
    by_name = {n.name: n for n in needs}
    usable = sorted(n.name for n in needs if not (n.bands if isinstance(n, FlagNeed) else any(n.bands)))
    out = []
    for name, spec in table.items():
        prefix = f"concentration.{name}"
        if not isinstance(spec, dict):
            r.problem(prefix, spec, "a table with 'need', 'shape', 'share_at_least' or 'full_at', and 'weight'")
            continue
        r.only_keys(spec, {"need", "count", "shape", "full_at", "share_at_least", "weight"}, prefix)
        need = r.text(spec, "need", prefix, default=name)
        target = by_name.get(need or "")
        if need not in usable:
            why = " (its weight varies by grade band)" if target is not None else ""
            r.problem(f"{prefix}.need", need, f"the name of a need whose weight does not vary by band{why}: "
                      + ", ".join(usable))
        shape = r.text(spec, "shape", prefix, required=False, default="step", choices=SHAPES) or "step"
        wanted = _SHAPE_KEYS[shape]
        for other in {"share_at_least", "full_at"} - {wanted}:
            if other in spec:
                r.problem(f"{prefix}.{other}", spec[other], f"no '{other}' with shape '{shape}' (it uses '{wanted}')")
        share = full_at = None
        if wanted == "full_at":
            full_at = r.number(spec, "full_at", prefix, maximum=1.0)
            if full_at is not None and full_at <= 0:
                r.problem(f"{prefix}.full_at", full_at, "a share above 0 and at most 1")
        else:
            share = r.number(spec, "share_at_least", prefix, maximum=1.0)
        weight = r.number(spec, "weight", prefix)
        count: list[tuple[str, float]] = []
        if "count" in spec:
            table_ = r.table(spec, "count", prefix)
            if isinstance(target, FlagNeed):
                r.problem(f"{prefix}.count", None, "no 'count' for a yes/no need (each flagged pupil counts 1)")
            elif isinstance(target, LevelNeed):
                for lv in table_:
                    if str(lv) not in target.levels:
                        r.problem(f"{prefix}.count.{lv}", None, "a level of need '" + target.name + "': "
                                  + ", ".join(target.levels))
                        continue
                    c = r.number(table_, lv, f"{prefix}.count")
                    if c is not None:
                        count.append((str(lv), c))
        out.append(Concentration(name, need or name, share or 0.0, weight or 0.0, shape,
                                 full_at if full_at else (1.0 if shape == "ramp" else None), tuple(count)))
    return tuple(out)


def _rounding(r: Reader, table: dict) -> Rounding:
    """Decimals for statutory rounding: whole numbers 0-10."""
    r.only_keys(table, set(ROUNDING_KEYS), "rounding")
    values: dict[str, int] = {}
    for key in ROUNDING_KEYS:
        if key not in table:
            continue
        v = table[key]
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 10:
            r.problem(f"rounding.{key}", v, "a whole number of decimals from 0 to 10")
        else:
            values[key] = v
    return Rounding(**values)


def _equity(r: Reader, table: dict, needs: tuple) -> tuple[str | None, tuple[str, ...]]:
    """[equity] poverty_need (a need's name) and levels (some of its levels; a need with levels only):
    which pupils the equity measures count as poor."""
    r.only_keys(table, {"poverty_need", "levels"}, "equity")
    if not table:
        return None, ()
    name = r.text(table, "poverty_need", "equity")
    by_name = {n.name: n for n in needs}
    need = by_name.get(name or "")
    if name is not None and need is None:
        r.problem("equity.poverty_need", name, "the name of a need: " + (", ".join(sorted(by_name)) or "none defined"))
    levels: list[str] = []
    if "levels" in table:
        value = table["levels"]
        if isinstance(need, FlagNeed):
            r.problem("equity.levels", value, f"no 'levels' for the yes/no need '{need.name}' (its flag counts)")
        elif not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            r.problem("equity.levels", value, "a list of levels of the poverty need, e.g. [\"free\", \"reduced\"]")
        elif isinstance(need, LevelNeed):
            for v in value:
                if v not in need.levels:
                    r.problem("equity.levels", v, f"a level of need '{need.name}': " + ", ".join(need.levels))
                elif v not in levels:
                    levels.append(v)
    return (name if need is not None else None), tuple(levels)


def _school_columns(r: Reader, doc: dict) -> tuple[str | None, tuple[str, ...]]:
    """[multiplier] column and [extra_amounts] columns: schools-file column names."""
    mult = r.table(doc, "multiplier", "")
    r.only_keys(mult, {"column"}, "multiplier")
    column = r.text(mult, "column", "multiplier") if mult or "multiplier" in doc else None
    extra = r.table(doc, "extra_amounts", "")
    r.only_keys(extra, {"columns"}, "extra_amounts")
    columns: list[str] = []
    if "extra_amounts" in doc:
        value = extra.get("columns")
        if not isinstance(value, list) or not value or not all(isinstance(c, str) and c.strip() for c in value):
            r.problem("extra_amounts.columns", value, "a list of schools-file column names, e.g. [\"magnet\", \"bonus\"]")
        else:
            columns = [clean_header(c) for c in value]
            for c in sorted({c for c in columns if columns.count(c) > 1}):
                r.problem("extra_amounts.columns", c, "each column once")
    return (clean_header(column) if column else None), tuple(dict.fromkeys(columns))


def weights_from_dict(doc: dict[str, Any], file: str) -> WeightTable:
    """Validate a TOML-shaped dict as a weight table; raises `InputError` listing every problem."""
    r = Reader(file)
    r.only_keys(doc, TOP_KEYS, "")
    base = r.table(doc, "base", "", required=True)
    r.only_keys(base, {"per_weighted_pupil"}, "base")
    grade_table = r.table(doc, "grade", "", required=True)
    needs_table = r.table(doc, "needs", "")
    foundation = r.table(doc, "foundation", "")
    r.only_keys(foundation, {"per_school"}, "foundation")
    small = r.table(doc, "small_school", "")
    r.only_keys(small, {"enrollment_below", "per_school"}, "small_school")
    needs = _needs(r, needs_table)
    grades, grade_all = _grades(r, grade_table) if "grade" in doc else (tuple([0.0] * len(GRADES)), False)
    multiplier, extra_amounts = _school_columns(r, doc)
    poverty_need, poverty_levels = _equity(r, r.table(doc, "equity", ""), needs)
    table = WeightTable(
        title=r.text(doc, "title", "", default="") or "",
        source=r.text(doc, "source", "", required=False, default="") or "",
        base_per_weighted_pupil=r.number(base, "per_weighted_pupil", "base", default=0.0) or 0.0,
        grade=grades,
        needs=needs,
        foundation_per_school=r.number(foundation, "per_school", "foundation", required=False, default=0.0) or 0.0,
        small_school=SmallSchool(
            r.number(small, "enrollment_below", "small_school", default=0.0) or 0.0,
            r.number(small, "per_school", "small_school", default=0.0) or 0.0,
        ) if small else None,
        concentration=_concentration(r, r.table(doc, "concentration", ""), needs),
        file=file,
        grade_all=grade_all,
        multiplier=multiplier,
        extra_amounts=extra_amounts,
        rounding=_rounding(r, r.table(doc, "rounding", "")),
        poverty_need=poverty_need,
        poverty_levels=poverty_levels,
    )
    raise_if(r.problems)
    return table


def apply_overrides(table: WeightTable, overrides: dict[str, Any], file: str) -> WeightTable:
    """`table` with each dotted key of `overrides` replaced, validated whole.

    Keys name a value of the canonical table ('needs.ell.weight', 'grade.K', 'base.per_weighted_pupil');
    a grade band ('grade.9-12') sets every grade in it. A key that names nothing is a problem.
    """
    doc = table.to_dict()
    problems: list[Problem] = []
    written: dict[str, str] = {}  # canonical key ('grade.K') -> the band key the scenario wrote ('grade.K-3')
    for dotted, value in overrides.items():
        path = str(dotted).split(".")
        if path[0] == "grade" and len(path) == 2 and grade_span(path[1]) and "all" not in doc["grade"]:
            for g in grade_span(path[1]) or []:
                doc["grade"][GRADES[g]] = value
                written[f"grade.{GRADES[g]}"] = str(dotted)
            continue
        node: Any = doc
        for depth, part in enumerate(path):
            last = depth == len(path) - 1
            if not isinstance(node, dict) or part not in node or (not last and not isinstance(node[part], dict)):
                known = sorted(node) if isinstance(node, dict) else []
                problems.append(Problem(file, None, f"overrides.{dotted}", None,
                                        f"a key of the weight table; '{part}' is not one"
                                        + (f" (known here: {', '.join(known)})" if known else "")))
                break
            if last:
                node[part] = copy.deepcopy(value)
            else:
                node = node[part]
    try:  # validate the known keys' values even when some keys are unknown: report all at once
        result = weights_from_dict(doc, table.file)
    except InputError as err:  # re-attribute to the scenario that made the change
        # a band's value is reported once, under the key as written, not once per grade of the band
        moved = (Problem(file, p.row, f"overrides.{written.get(p.column, p.column)}" if p.column else None,
                         p.value, p.expected) for p in err.problems)
        problems += list(dict.fromkeys(moved))
    raise_if(problems)
    return result
