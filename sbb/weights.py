"""Weight tables (`weights/*.toml`): grade weights, need weights, base and fixed school amounts.

A weight table is read strictly: every unknown key, negative weight, missing grade or malformed
value is a `Problem` naming the dotted key and the file. The validated table is a frozen
`WeightTable`; `to_dict` gives its canonical form (grade bands expanded to single grades), which
is what scenario overrides change before the table is validated again.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .problems import InputError, Problem, raise_if
from .spelling import GRADES, grade_code
from .tomlfiles import Reader, read_toml

TOP_KEYS = {"title", "source", "base", "grade", "needs", "foundation", "small_school", "concentration"}


@dataclass(frozen=True)
class FlagNeed:
    """A yes/no need: each flagged pupil adds `weight` weighted pupils."""

    name: str
    column: str
    weight: float


@dataclass(frozen=True)
class LevelNeed:
    """A need with service levels: a pupil at `levels[i]` adds `weights[i]` weighted pupils."""

    name: str
    column: str
    levels: tuple[str, ...]
    weights: tuple[float, ...]


@dataclass(frozen=True)
class SmallSchool:
    """Dollars for small schools: `per_school` at zero pupils, tapering linearly to 0 at `enrollment_below`."""

    enrollment_below: float
    per_school: float


@dataclass(frozen=True)
class Concentration:
    """Extra `weight` per pupil flagged by `need`, in schools where the flagged share is >= `share_at_least`."""

    name: str
    need: str
    share_at_least: float
    weight: float


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

    def need(self, name: str) -> FlagNeed | LevelNeed:
        """The need called `name`."""
        return next(n for n in self.needs if n.name == name)

    def to_dict(self) -> dict[str, Any]:
        """Canonical TOML-shaped dict: single grades, every need and optional table spelled out."""
        needs: dict[str, Any] = {}
        for n in self.needs:
            if isinstance(n, FlagNeed):
                needs[n.name] = {"column": n.column, "weight": n.weight}
            else:
                needs[n.name] = {"column": n.column, "levels": dict(zip(n.levels, n.weights))}
        out: dict[str, Any] = {
            "title": self.title,
            **({"source": self.source} if self.source else {}),
            "base": {"per_weighted_pupil": self.base_per_weighted_pupil},
            "grade": dict(zip(GRADES, self.grade)),
            "needs": needs,
            "foundation": {"per_school": self.foundation_per_school},
        }
        if self.small_school is not None:
            out["small_school"] = {
                "enrollment_below": self.small_school.enrollment_below,
                "per_school": self.small_school.per_school,
            }
        if self.concentration:
            out["concentration"] = {
                c.name: {"need": c.need, "share_at_least": c.share_at_least, "weight": c.weight}
                for c in self.concentration
            }
        return out


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


def _grades(r: Reader, table: dict) -> tuple[float, ...]:
    """Grade weights from single grades and bands; every grade exactly once."""
    weights: list[float | None] = [None] * len(GRADES)
    for key in table:
        span = grade_span(str(key))
        if span is None:
            r.problem(f"grade.{key}", None, "a grade (PK, K, 1-12) or a band such as 'K-2'")
            continue
        value = r.number(table, key, "grade")
        for g in span:
            if weights[g] is not None:
                r.problem(f"grade.{key}", None, f"each grade once; grade {GRADES[g]} is already weighted")
            weights[g] = value if value is not None else 0.0
    missing = [GRADES[g] for g, w in enumerate(weights) if w is None]
    if missing and table is not None:
        r.problem("grade", None, "a weight for every grade PK-12; missing: " + ", ".join(missing))
    return tuple(0.0 if w is None else w for w in weights)


def _needs(r: Reader, table: dict) -> tuple[FlagNeed | LevelNeed, ...]:
    """Need weights: each need has a roster column and either a flag weight or level weights."""
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
            needs.append(FlagNeed(name, column, r.number(spec, "weight", prefix) or 0.0))
            continue
        levels = r.table(spec, "levels", prefix)
        if not levels:
            r.problem(f"{prefix}.levels", None, "at least one level with its weight")
        bad = [lv for lv in levels if str(lv).lower() in ("none", "")]
        for lv in bad:
            r.problem(f"{prefix}.levels.{lv}", None, "a level other than 'none' (pupils at 'none' add nothing)")
        names = tuple(str(lv) for lv in levels if lv not in bad)
        values = tuple(r.number(levels, lv, f"{prefix}.levels") or 0.0 for lv in names)
        needs.append(LevelNeed(name, column, names, values))
    return tuple(needs)


def _concentration(r: Reader, table: dict, needs: tuple) -> tuple[Concentration, ...]:
    """Concentration weights, each tied to a yes/no need."""
    flags = {n.name for n in needs if isinstance(n, FlagNeed)}
    out = []
    for name, spec in table.items():
        prefix = f"concentration.{name}"
        if not isinstance(spec, dict):
            r.problem(prefix, spec, "a table with 'need', 'share_at_least' and 'weight'")
            continue
        r.only_keys(spec, {"need", "share_at_least", "weight"}, prefix)
        need = r.text(spec, "need", prefix, default=name)
        if need not in flags:
            r.problem(f"{prefix}.need", need, "the name of a yes/no need: " + ", ".join(sorted(flags)))
        share = r.number(spec, "share_at_least", prefix, maximum=1.0)
        weight = r.number(spec, "weight", prefix)
        out.append(Concentration(name, need or name, share or 0.0, weight or 0.0))
    return tuple(out)


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
    table = WeightTable(
        title=r.text(doc, "title", "", default="") or "",
        source=r.text(doc, "source", "", required=False, default="") or "",
        base_per_weighted_pupil=r.number(base, "per_weighted_pupil", "base", default=0.0) or 0.0,
        grade=_grades(r, grade_table) if "grade" in doc else tuple([0.0] * len(GRADES)),
        needs=needs,
        foundation_per_school=r.number(foundation, "per_school", "foundation", required=False, default=0.0) or 0.0,
        small_school=SmallSchool(
            r.number(small, "enrollment_below", "small_school", default=0.0) or 0.0,
            r.number(small, "per_school", "small_school", default=0.0) or 0.0,
        ) if small else None,
        concentration=_concentration(r, r.table(doc, "concentration", ""), needs),
        file=file,
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
        if path[0] == "grade" and len(path) == 2 and grade_span(path[1]):
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
