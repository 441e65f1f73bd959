"""Shared helpers for the engine tests: tiny districts built in code, the sample district, identities.

Test modules import the plain helpers with `from conftest import ...` (pytest puts this folder on
sys.path); the sample district is a session fixture because reading the roster takes half a second.
"""

from __future__ import annotations

import copy
import io
import math
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

from sbb.counts import count_columns
from sbb.district import District, load_district
from sbb.scenario import Scenario
from sbb.weights import WeightTable, load_weights, weights_from_dict

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
SCENARIOS = ROOT / "scenarios"
SAMPLE_WEIGHTS = ROOT / "weights" / "sample_district.toml"
GOLDEN = Path(__file__).resolve().parent / "golden"

# Property tests explore new random cases on a developer's machine; under CI (the CI variable set) they
# run a fixed sequence, so a submission's result does not depend on the draw. A case found locally is
# printed with its reproduce blob.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# The parts that make up formula_amount (a lead's extension adds band_supplement_amount).
FORMULA_PARTS = ["base_amount", "need_amount", "foundation_amount", "small_school_amount", "band_supplement_amount",
                 "extra_amount"]
CONTRACT_COLUMNS = [
    "school_id", "school_name", "enrollment", "weighted_enrollment", "base_amount", "need_amount",
    "foundation_amount", "formula_amount", "hold_harmless_adjustment", "cap_adjustment", "allocation",
    "prior_allocation", "delta", "delta_pct", "per_pupil",
]


# ---------------------------------------------------------------------------------------------------
# Weight tables written in code
# ---------------------------------------------------------------------------------------------------

def weights_doc() -> dict[str, Any]:
    """A plain weight table: every grade 1.0, poverty 0.25, ELL 0.40, sped 0.55/1.10/2.10, base $5,000,
    no foundation, no small-school supplement, no concentration weight."""
    return {
        "title": "test weights",
        "source": "written in the test",
        "base": {"per_weighted_pupil": 5000.0},
        "grade": {"PK-12": 1.0},
        "needs": {
            "poverty": {"column": "frl", "weight": 0.25},
            "ell": {"column": "ell", "weight": 0.40},
            "sped": {"column": "sped", "levels": {"resource": 0.55, "inclusion": 1.10, "self_contained": 2.10}},
        },
        "foundation": {"per_school": 0.0},
    }


def make_weights(doc: dict[str, Any] | None = None, **tables: Any) -> WeightTable:
    """A validated `WeightTable` from `doc` (default `weights_doc()`), top-level tables replaced by `tables`."""
    doc = copy.deepcopy(doc if doc is not None else weights_doc())
    doc.update(tables)
    return weights_from_dict(doc, "test_weights.toml")


def sample_weights() -> WeightTable:
    return load_weights(SAMPLE_WEIGHTS)


def make_scenario(weights: WeightTable, **fields: Any) -> Scenario:
    """A scenario on `weights` with no overrides; `fields` set mode, budget, limits, rounding."""
    return Scenario(title="test scenario", weights=weights, baseline=weights, file="test_scenario.toml", **fields)


# ---------------------------------------------------------------------------------------------------
# Districts written in code
# ---------------------------------------------------------------------------------------------------

def csv_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    """A CSV file's bytes from a header and rows (None -> blank cell)."""
    lines = [",".join(header)]
    lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def schools_csv(schools: list[tuple[str, float | None]]) -> bytes:
    """schools.csv bytes from (school_id, prior_allocation or None for a new school) pairs."""
    return csv_bytes(["school_id", "school_name", "prior_allocation"],
                     [[sid, f"School {sid}", prior] for sid, prior in schools])


def counts_district(weights: WeightTable, schools: list[tuple[str, float | None]],
                    counts: dict[str, dict[str, int]]) -> District:
    """A district loaded through `load_district` from a schools CSV and a counts CSV.

    `counts` maps school_id -> {category: pupils} (categories as in `count_columns`, e.g. 'grade_4',
    'frl', 'sped_resource'); categories not named are 0.
    """
    columns = count_columns(weights)
    rows = [[sid, *[counts.get(sid, {}).get(c, 0) for c in columns]] for sid, _ in schools]
    return load_district(("schools.csv", schools_csv(schools)), weights,
                         counts=("counts.csv", csv_bytes(["school_id", *columns], rows)))


def roster_district(weights: WeightTable, schools: list[tuple[str, float | None]],
                    students: list[dict[str, Any]]) -> District:
    """A district loaded through `load_district` from a schools CSV and a roster CSV
    (each student a dict with school_id, grade and the need columns)."""
    header = ["student_id", "school_id", "grade", *[n.column for n in weights.needs]]
    rows = [[f"P{i:05d}", *[s.get(c, "none" if c == "sped" else "N") for c in header[1:]]]
            for i, s in enumerate(students)]
    return load_district(("schools.csv", schools_csv(schools)), weights,
                         roster=("roster.csv", csv_bytes(header, rows)))


def matrix_district(weights: WeightTable, matrix: np.ndarray, prior: np.ndarray,
                    ids: list[str] | None = None) -> District:
    """A `District` built directly from a schools x categories count matrix and priors (NaN = new)."""
    n = matrix.shape[0]
    ids = ids if ids is not None else [f"S{i:03d}" for i in range(n)]
    schools = pd.DataFrame({"school_id": ids, "school_name": [f"School {i}" for i in ids],
                            "prior_allocation": np.asarray(prior, dtype=float)})
    counts = pd.DataFrame(np.asarray(matrix, dtype=np.int64), index=pd.Index(ids, name="school_id"),
                          columns=count_columns(weights))
    return District(schools, counts, "test")


# ---------------------------------------------------------------------------------------------------
# The shipped sample district
# ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def sample_district() -> District:
    """The sample district read from its roster under the sample weight table."""
    return load_district(SAMPLE / "schools.csv", sample_weights(), roster=SAMPLE / "roster.csv")


def scenario_files() -> list[Path]:
    """The shipped scenarios of the sample district (those naming its weight table); the real-data
    examples (Minnesota ...) run on their own data in tests/test_real_formulas.py."""
    return [p for p in sorted(SCENARIOS.glob("*.toml")) if on_sample_weights(p)]


def on_sample_weights(path: Path) -> bool:
    """Whether the scenario file at `path` names weights/sample_district.toml."""
    import tomllib

    return tomllib.loads(path.read_text(encoding="utf-8")).get("weights", "").endswith("sample_district.toml")


# ---------------------------------------------------------------------------------------------------
# Checks shared by several modules
# ---------------------------------------------------------------------------------------------------

def units(values: Any, scale: int) -> np.ndarray:
    """Dollar amounts as integer units (dollars or cents); fails if an amount is not a whole unit."""
    x = np.asarray(values, dtype=float) * scale
    whole = np.round(x)
    assert np.all(np.abs(x - whole) < 1e-6), f"amounts that are not whole units: {x[np.abs(x - whole) >= 1e-6]}"
    return whole.astype(np.int64)


def check_identities(table: pd.DataFrame, scale: int = 1) -> None:
    """The contract's identities, exactly in integer units:
    allocation = formula_amount + hold_harmless_adjustment + cap_adjustment,
    formula_amount = base_amount + need_amount + foundation_amount + small_school_amount (+ band supplement),
    delta = allocation - prior_allocation (NaN for a new school)."""
    for c in CONTRACT_COLUMNS:
        assert c in table.columns, f"missing contract column {c}"
    u = {c: units(table[c], scale) for c in
         ["allocation", "formula_amount", "hold_harmless_adjustment", "cap_adjustment"]}
    np.testing.assert_array_equal(u["allocation"],
                                  u["formula_amount"] + u["hold_harmless_adjustment"] + u["cap_adjustment"])
    parts = sum(units(table[c], scale) for c in FORMULA_PARTS if c in table.columns)
    np.testing.assert_array_equal(u["formula_amount"], parts)
    assert (u["hold_harmless_adjustment"] >= 0).all() and (u["cap_adjustment"] <= 0).all()
    prior = table["prior_allocation"].to_numpy(dtype=float)
    new = np.isnan(prior)
    delta = table["delta"].to_numpy(dtype=float)
    assert np.isnan(delta[new]).all()
    # a prior may hold cents even when allocations are whole dollars: compare to well under a cent
    np.testing.assert_allclose(delta[~new], u["allocation"][~new] / scale - prior[~new], rtol=0, atol=1e-6)


def assert_problem(err, *, file: str | None = None, row: int | None = None, column: str | None = None,
                   value: str | None = None, expected: str | None = None) -> None:
    """`err` (an InputError) holds a problem matching every given field (`expected`: a substring,
    case-insensitive); on failure, show every problem it does hold."""
    for p in err.problems:
        if file is not None and not str(p.file).endswith(file):
            continue
        if row is not None and p.row != row:
            continue
        if column is not None and p.column != column:
            continue
        if value is not None and p.value != value:
            continue
        if expected is not None and expected.lower() not in p.expected.lower():
            continue
        return
    raise AssertionError(f"no problem with file={file} row={row} column={column} value={value!r} "
                         f"expected~{expected!r}; got:\n{err.message()}")


def frame_bytes(frame: pd.DataFrame, kind: str) -> bytes:
    """A frame written as .xlsx or .parquet bytes."""
    buf = io.BytesIO()
    if kind == "xlsx":
        frame.to_excel(buf, index=False)
    else:
        frame.to_parquet(buf, index=False)
    return buf.getvalue()


def half_up(x) -> int:
    """A number (Fraction, int or float, taken exactly) rounded to the nearest integer, halves up."""
    return math.floor(Fraction(x) + Fraction(1, 2))
