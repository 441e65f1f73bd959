"""Seeded generator of large synthetic districts, in the file formats of the product contract.

    python benchmarks/generate.py --students 1000000 --schools 1600 --out benchmarks/data/d1m

writes into `--out`:
  schools.csv     school_id, school_name, level, region, prior_allocation, performance_band
  roster.csv      student_id, school_id, grade, frl, ell, sped (one row per student, text values)
  roster.parquet  the same students; flags stored as booleans, the rest as strings
  counts.csv      school_id, grade_PK .. grade_12, frl, ell, sped_resource, sped_inclusion,
                  sped_self_contained (the roster tallied here, independently of the engine)
  manifest.json   the arguments, so `run.py` can tell whether the data is already there

Everything is drawn with numpy's default_rng from `--seed` and built column-wise (no per-student
Python); the same arguments always give byte-identical files. The district is shaped like a large
urban one: elementary (K-5, some with Pre-K), middle (6-8), high (9-12) and K-8 schools of
log-normal sizes, school-level poverty, English-learner and special-education rates, a few small
schools (below the small-school threshold), a few schools with a poverty share above 75% and a few
new schools (blank prior allocation). Prior allocations are the formula at roughly the sample
weights times log-normal noise (sd ~7%), so a 3% floor and a 5% gains cap bind for many schools.

A share `--variants` of values uses other accepted spellings (KG, Pre-K, 01-09, yes/no,
Self-Contained) as merged exports from several student systems do.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

GRADES = ["PK", "K", *(str(g) for g in range(1, 13))]
# Other accepted spellings of each grade (same order as GRADES).
GRADE_VARIANTS = ["Pre-K", "KG", *(f"{g:02d}" for g in range(1, 10)), "10", "11", "12"]
SPED = ["none", "resource", "inclusion", "self_contained"]
SPED_VARIANTS = ["None", "Resource", "Inclusion", "Self-Contained"]
LEVELS = ["elementary", "middle", "high", "k8"]
LEVEL_SHARE = [0.62, 0.18, 0.14, 0.06]
LEVEL_SIZE = [480.0, 750.0, 1300.0, 600.0]  # median pupils per school, before scaling to --students
REGIONS = ["North", "South", "East", "West", "Central"]

# Approximate weights (close to weights/sample_district.toml) used only to make plausible priors.
_GRADE_W = np.array([1.0, 1.1, 1.1, 1.1, 1.1, 1.0, 1.0, 1.08, 1.08, 1.08, 1.12, 1.12, 1.12, 1.12])
_FRL_W, _ELL_W, _SPED_W = 0.25, 0.40, np.array([0.0, 0.55, 1.10, 2.10])
_BASE, _FOUNDATION = 5200.0, 250_000.0


def grade_probabilities(level: int, has_pk: bool) -> np.ndarray:
    """Share of a school's pupils in each of the 14 grades (Pre-K classes are half-size)."""
    p = np.zeros(len(GRADES))
    span = {0: range(1, 7), 1: range(7, 10), 2: range(10, 14), 3: range(1, 10)}[level]
    p[list(span)] = 1.0
    if has_pk and level in (0, 3):
        p[0] = 0.5
    if level == 2:
        p[10:14] = [1.15, 1.0, 0.92, 0.85]  # high-school attrition
    return p / p.sum()


def school_sizes(rng: np.random.Generator, level: np.ndarray, students: int) -> np.ndarray:
    """Pupils per school: log-normal around the level's median, scaled to add up to `students`."""
    raw = np.array(LEVEL_SIZE)[level] * rng.lognormal(0.0, 0.45, len(level))
    raw = np.maximum(raw * students / raw.sum(), 1.0)
    sizes = np.floor(raw).astype(np.int64)
    short = students - int(sizes.sum())
    if short > 0:  # largest remainders get the missing pupils
        sizes[np.argsort(sizes - raw, kind="stable")[:short]] += 1
    while sizes.sum() > students:  # only when the 1-pupil minimum pushed the total over
        sizes[np.argmax(sizes)] -= int(sizes.sum()) - students
    return sizes


def fixed_width_ids(prefix: str, numbers: np.ndarray, digits: int) -> pa.Array:
    """Arrow strings prefix + zero-padded numbers, built with integer arithmetic (no Python loop)."""
    powers = 10 ** np.arange(digits - 1, -1, -1, dtype=np.int64)
    chars = ((numbers[:, None] // powers) % 10 + ord("0")).astype(np.uint8)
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    raw = np.hstack([np.broadcast_to(head, (len(numbers), len(head))), chars])
    width = len(head) + digits
    return pa.array(np.ascontiguousarray(raw).view(f"S{width}").ravel()).cast(pa.string())


def spelled(rng: np.random.Generator, codes: np.ndarray, canonical: list[str], variants: list[str],
            share: float) -> pa.Array:
    """Arrow strings for integer `codes`: canonical spellings, a `share` of them replaced by variants."""
    labels = pa.array(canonical + variants)
    index = codes.astype(np.int64)
    if share > 0:
        index = np.where(rng.random(len(codes)) < share, index + len(canonical), index)
    return pc.take(labels, pa.array(index))


def generate(students: int, schools: int, seed: int = 20270, variants: float = 0.01) -> dict:
    """The district as Arrow tables: {'schools', 'roster', 'roster_typed', 'counts'}."""
    rng = np.random.default_rng(seed)
    level = rng.choice(len(LEVELS), size=schools, p=LEVEL_SHARE)
    has_pk = rng.random(schools) < 0.5
    sizes = school_sizes(rng, level, students)
    # School-level rates: poverty is wide (some schools above 75%), the others narrower.
    frl_rate = rng.beta(1.6, 1.3, schools)
    ell_rate = rng.beta(1.2, 6.0, schools)
    sped_rate = rng.beta(6.0, 40.0, schools)

    school = np.repeat(np.arange(schools, dtype=np.int32), sizes)
    school = school[rng.permutation(students)]  # rosters are rarely sorted by school
    # Grade by inverse CDF on the school's grade profile (one profile per level x Pre-K).
    profile = level * 2 + has_pk
    cdf = np.cumsum([grade_probabilities(lv, pk) for lv in range(4) for pk in (False, True)], axis=1)
    cdf[:, -1] = 1.0
    u = rng.random(students)
    prof = profile[school]
    grade = np.empty(students, dtype=np.int8)
    for p in range(cdf.shape[0]):  # 8 profiles, each a vectorised searchsorted
        mask = prof == p
        grade[mask] = np.searchsorted(cdf[p], u[mask], side="right")
    frl = rng.random(students) < frl_rate[school]
    ell = rng.random(students) < ell_rate[school]
    sped_draw = rng.random(students)
    s = sped_rate[school]
    sped = np.select([sped_draw < s * 0.55, sped_draw < s * 0.85, sped_draw < s], [1, 2, 3], 0).astype(np.int8)
    student_id = fixed_width_ids("P", rng.permutation(students).astype(np.int64) + 10_000_000, 8)

    school_ids = fixed_width_ids("SCH", np.arange(1, schools + 1, dtype=np.int64), max(4, len(str(schools))))
    school_col = pc.take(school_ids, pa.array(school))
    roster = pa.table({
        "student_id": student_id,
        "school_id": school_col,
        "grade": spelled(rng, grade, GRADES, GRADE_VARIANTS, variants),
        "frl": spelled(rng, frl.astype(np.int8), ["N", "Y"], ["no", "yes"], variants),
        "ell": spelled(rng, ell.astype(np.int8), ["N", "Y"], ["no", "yes"], variants),
        "sped": spelled(rng, sped, SPED, SPED_VARIANTS, variants),
    })
    roster_typed = pa.table({
        "student_id": student_id,
        "school_id": school_col,
        "grade": roster["grade"],
        "frl": pa.array(frl),
        "ell": pa.array(ell),
        "sped": roster["sped"],
    })

    grade_counts = np.bincount(school.astype(np.int64) * 14 + grade, minlength=schools * 14).reshape(schools, 14)
    sped_counts = np.bincount(school.astype(np.int64) * 4 + sped, minlength=schools * 4).reshape(schools, 4)
    frl_counts = np.bincount(school, weights=frl, minlength=schools).astype(np.int64)
    ell_counts = np.bincount(school, weights=ell, minlength=schools).astype(np.int64)
    counts = {"school_id": school_ids}
    counts.update({f"grade_{g}": grade_counts[:, i] for i, g in enumerate(GRADES)})
    counts.update({"frl": frl_counts, "ell": ell_counts, "sped_resource": sped_counts[:, 1],
                   "sped_inclusion": sped_counts[:, 2], "sped_self_contained": sped_counts[:, 3]})

    weighted = grade_counts @ _GRADE_W + _FRL_W * frl_counts + _ELL_W * ell_counts + sped_counts @ _SPED_W
    small = 150_000.0 * np.clip(1.0 - sizes / 300.0, 0.0, 1.0)
    prior = np.round((_BASE * weighted + _FOUNDATION + small) * rng.lognormal(0.0, 0.07, schools))
    new = rng.random(schools) < 0.005
    prior_text = pc.if_else(pa.array(new), pa.scalar(""), pa.array(prior.astype(np.int64)).cast(pa.string()))
    names = pc.binary_join_element_wise(
        pc.take(pa.array(["Maple", "Cedar", "Harbor", "Lincoln", "Riverside", "Summit", "Oak", "Valley"]),
                pa.array(rng.integers(0, 8, schools))),
        pc.cast(pa.array(np.arange(1, schools + 1)), pa.string()),
        pc.take(pa.array(["Elementary", "Middle", "High", "K-8 Academy"]), pa.array(level)),
        " ")
    schools_table = pa.table({
        "school_id": school_ids,
        "school_name": names,
        "level": pc.take(pa.array(LEVELS), pa.array(level)),
        "region": pc.take(pa.array(REGIONS), pa.array(rng.integers(0, len(REGIONS), schools))),
        "prior_allocation": prior_text,
        "performance_band": pc.cast(pa.array(rng.integers(1, 6, schools)), pa.string()),
    })
    return {"schools": schools_table, "roster": roster, "roster_typed": roster_typed,
            "counts": pa.table(counts)}


def write_csv(table: pa.Table, path: Path) -> None:
    """Plain CSV as spreadsheets export it: no quotes (no value here holds a comma or a quote)."""
    with open(path, "wb") as f:
        f.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, f, write_options=pacsv.WriteOptions(include_header=False, quoting_style="none"))


def write(district: dict, out: Path, manifest: dict) -> None:
    """Write the four files and the manifest into `out` (created if needed)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("schools", "roster", "counts"):
        write_csv(district[name], out / f"{name}.csv")
    pq.write_table(district["roster_typed"], out / "roster.parquet")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=1_000_000)
    p.add_argument("--schools", type=int, default=1_600)
    p.add_argument("--seed", type=int, default=20270)
    p.add_argument("--variants", type=float, default=0.01, help="share of values in another accepted spelling")
    p.add_argument("--out", type=Path, default=None, help="output folder (default benchmarks/data/<size>)")
    args = p.parse_args(argv)
    out = args.out or Path(__file__).parent / "data" / f"s{args.students}_k{args.schools}"
    start = time.perf_counter()
    district = generate(args.students, args.schools, args.seed, args.variants)
    manifest = {"students": args.students, "schools": args.schools, "seed": args.seed, "variants": args.variants}
    write(district, out, manifest)
    print(f"{out}: {args.students:,} students in {args.schools:,} schools ({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
