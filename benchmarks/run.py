"""Speed and scale of the engine, measured against a floor, in one command.

    python benchmarks/run.py                  # every stage; generates the data when missing
    python benchmarks/run.py --readme         # also rewrite the results table in benchmarks/README.md
    python benchmarks/run.py --quick          # 1M students only, fewer repetitions

Every file-to-allocation stage runs as its own child process, so its wall time is what a user
waits for and its peak memory is the child's peak resident set (`os.wait4` rusage, ru_maxrss).
The floor for a roster is a child that does nothing but import pandas and read the same file with
pandas (`pd.read_csv` with the default C engine; the pyarrow engine is shown too; `pd.read_parquet`
for Parquet). Both sides pay the interpreter start and the pandas import, so the ratio compares
whole commands. The same stages are also timed inside a child after its imports ("in-process"),
which is the stricter ratio: the engine's work against the read alone.

Scenario recompute times `sbb.allocate.allocation_units` (the numeric core: weighted enrollment,
fixed amounts, hold-harmless limits, exact budget-neutral solve, rounding to whole dollars) on a
district's counts matrix already in memory, and `allocate()` (the core plus the per-school table).
The naive way is a per-student Python loop, and a row-wise `DataFrame.apply`, over a slice of the
1M roster, scaled linearly to the whole roster. Fast stages are repeated and the median is shown.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SCENARIO = ROOT / "scenarios" / "hold_harmless_3pct.toml"
SAMPLE = ROOT / "sample_data"
SIZES = {"1M": (1_000_000, 1_600), "5.5M": (5_500_000, 9_000)}
MB = 1024 * 1024
RESULTS_BEGIN = "<!-- results:begin -->"
RESULTS_END = "<!-- results:end -->"
if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))


# ---------------------------------------------------------------- child processes

def child(argv: list[str]) -> None:
    """Run one measured job inside this (child) process and print its internal timing as JSON.

    Imports happen before the clock starts, so `seconds` is the work alone.
    """
    job, *args = argv
    if job == "read_csv":
        import pandas as pd

        start = time.perf_counter()
        frame = pd.read_csv(args[0], engine=args[1]) if len(args) > 1 else pd.read_csv(args[0])
    elif job == "read_parquet":
        import pandas as pd

        start = time.perf_counter()
        frame = pd.read_parquet(args[0])
    elif job == "cli":
        import contextlib

        from sbb.cli import main

        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            status = main(["allocate", "--schools", args[0], "--roster", args[1], "--scenario", args[2],
                           "--out", args[3]])
        if status:
            raise SystemExit(status)
        frame = None
    else:
        raise SystemExit(f"unknown child job {job}")
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "rows": None if frame is None else len(frame)}))


def measure(cmd: list[str]) -> dict:
    """Run `cmd` as a child process: wall seconds, CPU seconds, peak resident MB, its stdout."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, problem = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{problem}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024,
            "stdout": text}


def py(*args: str) -> list[str]:
    return [sys.executable, *args]


def inner(result: dict) -> float:
    """The in-process seconds a child job printed (last line of its stdout)."""
    return json.loads(result["stdout"].strip().splitlines()[-1])["seconds"]


# ---------------------------------------------------------------- data

def ensure_data(label: str) -> Path:
    """The generated district of size `label`, generated first when missing or different."""
    students, schools = SIZES[label]
    folder = DATA / f"s{students}_k{schools}"
    manifest = folder / "manifest.json"
    wanted = {"students": students, "schools": schools}
    have = json.loads(manifest.read_text()) if manifest.exists() else {}
    files = ["schools.csv", "roster.csv", "roster.parquet", "counts.csv"]
    if any(have.get(k) != v for k, v in wanted.items()) or not all((folder / f).exists() for f in files):
        print(f"generating {folder} ...", flush=True)
        subprocess.run(py(str(HERE / "generate.py"), "--students", str(students), "--schools", str(schools),
                          "--out", str(folder)), check=True, cwd=ROOT)
    return folder


# ---------------------------------------------------------------- stages

def file_stages(label: str, folder: Path, repeat: int, out_dir: Path) -> list[dict]:
    """CLI allocation from the CSV and the Parquet roster against the pandas read of the same file."""
    schools, scenario = str(folder / "schools.csv"), str(SCENARIO)
    rows = []
    for fmt in ("csv", "parquet"):
        roster = str(folder / f"roster.{fmt}")
        out = str(out_dir / f"allocation_{label}_{fmt}.csv")
        jobs = {
            "cli": py("-m", "sbb", "allocate", "--schools", schools, "--roster", roster, "--scenario", scenario,
                      "--out", out),
            "cli_inner": py(__file__, "--child", "cli", schools, roster, scenario, out),
        }
        if fmt == "csv":
            jobs["floor"] = py(__file__, "--child", "read_csv", roster)
            jobs["floor_pyarrow"] = py(__file__, "--child", "read_csv", roster, "pyarrow")
        else:
            jobs["floor"] = py(__file__, "--child", "read_parquet", roster)
        runs: dict[str, list[dict]] = {k: [] for k in jobs}
        for _ in range(repeat):  # interleaved, so a busy moment hits every job alike
            for name, cmd in jobs.items():
                runs[name].append(measure(cmd))
        med = {name: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "peak_mb")}
               for name, rs in runs.items()}
        for name in jobs:
            if name != "cli":
                med[name]["inner"] = statistics.median(inner(r) for r in runs[name])
        row = {
            "stage": f"CLI allocation, {label} roster ({fmt.upper()}), {SIZES[label][1]:,} schools",
            "label": label, "format": fmt, "repeat": repeat,
            "seconds": med["cli"]["wall"], "cpu": med["cli"]["cpu"], "peak_mb": med["cli"]["peak_mb"],
            "floor_name": "pandas.read_csv (C engine)" if fmt == "csv" else "pandas.read_parquet",
            "floor_seconds": med["floor"]["wall"], "floor_peak_mb": med["floor"]["peak_mb"],
            "inner_seconds": med["cli_inner"]["inner"], "floor_inner_seconds": med["floor"]["inner"],
        }
        row["ratio"] = row["seconds"] / row["floor_seconds"]
        row["inner_ratio"] = row["inner_seconds"] / row["floor_inner_seconds"]
        if fmt == "csv":
            row["pyarrow_seconds"] = med["floor_pyarrow"]["wall"]
            row["pyarrow_inner_seconds"] = med["floor_pyarrow"]["inner"]
            row["pyarrow_peak_mb"] = med["floor_pyarrow"]["peak_mb"]
            row["pyarrow_ratio"] = row["seconds"] / row["pyarrow_seconds"]
        row["goal"] = "<= 2x the read" + ("; peak < 2.5 GB" if label == "5.5M" else "")
        row["met"] = row["ratio"] <= 2.0 and (label != "5.5M" or row["peak_mb"] < 2.5 * 1024)
        rows.append(row)
        print(f"  {row['stage']}: {row['seconds']:.2f} s vs {row['floor_seconds']:.2f} s "
              f"({row['ratio']:.2f}x), in-process {row['inner_seconds']:.2f} s vs {row['floor_inner_seconds']:.2f} s "
              f"({row['inner_ratio']:.2f}x), peak {row['peak_mb']:.0f} MB", flush=True)
    return rows


def recompute_stage(label: str, folder: Path) -> dict:
    """Scenario recompute on the counts in memory: the numeric core and the full allocate()."""
    import numpy as np

    from sbb.counts import count_columns
    from sbb.district import load_district
    from sbb.scenario import load_scenario

    allocate_module = importlib.import_module("sbb.allocate")  # the package re-exports allocate()
    scenario = load_scenario(SCENARIO)
    district = load_district(folder / "schools.csv", scenario.weights, counts=folder / "counts.csv")
    matrix = district.matrix(count_columns(scenario.weights))
    prior = district.prior

    def core():
        return allocate_module.allocation_units(matrix, prior, scenario)

    def full():
        return allocate_module.allocate(district, scenario)

    def median_ms(fn, number):
        fn()
        return statistics.median(timeit.repeat(fn, number=number, repeat=15)) / number * 1000

    units = core()
    result = full()
    assert np.array_equal(units.years[0].units, result.years[0].units)
    assert int(units.years[0].units.sum()) == units.pot_units  # the pot, to the dollar
    summary = result.summary()
    core_ms, full_ms = median_ms(core, 50), median_ms(full, 20)
    limit = 1.0 if label == "1M" else 5.0
    row = {
        "stage": f"Scenario recompute, {len(prior):,} schools (exact solve, 3% floor, 5% cap)",
        "label": label, "seconds": core_ms / 1000, "allocate_seconds": full_ms / 1000,
        "at_floor": summary["schools_at_floor"], "at_cap": summary["schools_at_cap"],
        "goal": f"< {limit:g} ms", "met": core_ms < limit,
    }
    print(f"  {row['stage']}: core {core_ms:.3f} ms, allocate() {full_ms:.2f} ms "
          f"({row['at_floor']} schools at the floor, {row['at_cap']} at the cap)", flush=True)
    return row


def real_formula_stages() -> list[dict]:
    """Scenario recompute under the real-formula keys, on Minnesota's 2,296 school sites
    (sample_data/minnesota_fy2022): the published formula (ramp concentration, statutory rounding,
    fixed base), the same budget-neutral with a 3% floor, a 5% cap and a 50% transition, and that
    district tiled four times (9,184 sites, priors varied by site)."""
    import dataclasses

    import numpy as np
    import pandas as pd

    from sbb.counts import count_columns
    from sbb.district import District, load_district
    from sbb.scenario import load_scenario
    from sbb.transition import Transition

    allocate_module = importlib.import_module("sbb.allocate")
    folder = ROOT / "sample_data" / "minnesota_fy2022"
    published = load_scenario(ROOT / "scenarios" / "minnesota_compensatory_fy2022.toml")
    district = load_district(folder / "schools.csv", published.weights, counts=folder / "counts.csv")
    neutral = dataclasses.replace(published, mode="budget_neutral", rounding="dollars", max_loss_pct=3.0,
                                  max_gain_pct=5.0, transition=Transition(0.5, 1.0))
    rng = np.random.default_rng(7)
    tiles = 4
    schools = pd.concat([district.schools.assign(school_id=district.schools["school_id"] + f"-{k}")
                         for k in range(tiles)], ignore_index=True)
    schools["prior_allocation"] = np.round(schools["prior_allocation"].to_numpy() * rng.uniform(0.85, 1.15, len(schools)))
    counts = pd.concat([district.counts] * tiles, ignore_index=True)
    counts.index = pd.Index(schools["school_id"], name="school_id")
    big = District(schools, counts, "minnesota x4")
    rows = []
    for label, d, s, limit in (("published formula (fixed base, statutory rounding)", district, published, 1.0),
                               ("budget-neutral, 3% floor, 5% cap, 50% transition", district, neutral, 1.0),
                               ("budget-neutral, 3% floor, 5% cap, 50% transition", big, neutral, 5.0)):
        matrix = d.matrix(count_columns(s.weights))
        prior = d.prior

        def core():
            return allocate_module.allocation_units(matrix, prior, s)

        core()
        ms = statistics.median(timeit.repeat(core, number=50, repeat=15)) / 50 * 1000
        full = allocate_module.allocate(d, s)
        if s.mode == "budget_neutral":
            assert int(core().years[0].units.sum()) == core().pot_units  # the pot, to the dollar
        summary = full.summary()
        row = {"stage": f"Real-formula recompute, {len(prior):,} Minnesota sites: {label}", "label": "real",
               "seconds": ms / 1000, "allocate_seconds": statistics.median(timeit.repeat(
                   lambda: allocate_module.allocate(d, s), number=5, repeat=5)) / 5,
               "at_floor": summary["schools_at_floor"], "at_cap": summary["schools_at_cap"],
               "goal": f"< {limit:g} ms", "met": ms < limit}
        print(f"  {row['stage']}: core {ms:.3f} ms", flush=True)
        rows.append(row)
    return rows


def naive_stage(folder: Path, engine_seconds: float, slice_rows: int, apply_rows: int) -> list[dict]:
    """Weighted enrollment per school the naive way, on the first rows of the 1M CSV roster.

    The loop reads each row with the csv module, reads its spellings one at a time with the engine's
    own scalar readers (so the answer is the same) and adds up the weights in a dict. It is timed on
    `slice_rows` rows and scaled linearly to the whole roster; its result on the slice is checked
    against the engine's weighted enrollment for the same rows.
    """
    import numpy as np
    import pandas as pd

    from sbb import formula as fm
    from sbb.counts import count_columns
    from sbb.district import load_district
    from sbb.spelling import flag_value, grade_code, level_name
    from sbb.weights import FlagNeed
    from sbb.scenario import load_scenario

    scenario = load_scenario(SCENARIO)
    w = scenario.weights
    total_rows = SIZES["1M"][0]
    roster = folder / "roster.csv"
    with open(roster, encoding="utf-8-sig") as f:
        head = [next(f) for _ in range(slice_rows + 1)]
    text = "".join(head)

    def loop() -> dict[str, float]:
        weighted: dict[str, float] = {}
        for row in csv.DictReader(io.StringIO(text)):
            g = grade_code(row["grade"])
            x = w.grade[g]
            for need in w.needs:
                if isinstance(need, FlagNeed):
                    if flag_value(row[need.column]):
                        x += need.weight
                else:
                    level = level_name(row[need.column], need.levels)
                    if level in need.levels:
                        x += need.weights[need.levels.index(level)]
            school = row["school_id"].strip()
            weighted[school] = weighted.get(school, 0.0) + x
        return weighted

    start = time.perf_counter()
    by_school = loop()
    loop_seconds = time.perf_counter() - start

    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).iloc[:apply_rows]

    def one(row) -> float:
        x = w.grade[grade_code(row["grade"])]
        for need in w.needs:
            if isinstance(need, FlagNeed):
                x += need.weight if flag_value(row[need.column]) else 0.0
            else:
                level = level_name(row[need.column], need.levels)
                x += need.weights[need.levels.index(level)] if level in need.levels else 0.0
        return x

    start = time.perf_counter()
    per_row = frame.apply(one, axis=1)
    per_row.groupby(frame["school_id"].str.strip()).sum()
    apply_seconds = time.perf_counter() - start

    # The same rows through the engine (concentration weights set aside: they need whole schools).
    district = load_district(folder / "schools.csv", w, roster=("slice.csv", text.encode()))
    matrix = district.matrix(count_columns(w))
    engine = fm.grade_weighted(matrix, w) + fm.need_weighted(matrix, w) - fm.concentration_weighted(matrix, w)
    ids = district.schools["school_id"].tolist()
    naive = np.array([by_school.get(s, 0.0) for s in ids])
    assert np.allclose(naive, engine, rtol=0, atol=1e-6), "naive loop and engine disagree"

    scale_loop, scale_apply = total_rows / slice_rows, total_rows / apply_rows
    rows = [
        {"stage": f"Naive: per-student Python loop, 1M roster (timed on {slice_rows:,} rows, x{scale_loop:g})",
         "seconds": loop_seconds * scale_loop, "floor_seconds": engine_seconds,
         "ratio": loop_seconds * scale_loop / engine_seconds, "goal": "(comparison)", "met": None},
        {"stage": f"Naive: row-wise DataFrame.apply, 1M roster (timed on {apply_rows:,} rows, x{scale_apply:g})",
         "seconds": apply_seconds * scale_apply, "floor_seconds": engine_seconds,
         "ratio": apply_seconds * scale_apply / engine_seconds, "goal": "(comparison)", "met": None},
    ]
    for r in rows:
        print(f"  {r['stage']}: {r['seconds']:.1f} s, {r['ratio']:.0f}x the engine's {engine_seconds:.2f} s", flush=True)
    return rows


def sample_stage(repeat: int, out_dir: Path) -> dict:
    """The shipped sample district (schools.csv + roster.csv, baseline scenario) from the command line."""
    schools, roster = str(SAMPLE / "schools.csv"), str(SAMPLE / "roster.csv")
    scenario, out = str(ROOT / "scenarios" / "baseline.toml"), str(out_dir / "sample.csv")
    jobs = {"cli": py("-m", "sbb", "allocate", "--schools", schools, "--roster", roster, "--scenario", scenario,
                      "--out", out),
            "floor": py(__file__, "--child", "read_csv", roster),
            "cli_inner": py(__file__, "--child", "cli", schools, roster, scenario, out)}
    runs: dict[str, list[dict]] = {k: [] for k in jobs}
    for _ in range(repeat):
        for name, cmd in jobs.items():
            runs[name].append(measure(cmd))
    wall = {k: statistics.median(r["wall"] for r in v) for k, v in runs.items()}
    row = {"stage": "CLI allocation, sample district (35,111 students, baseline)",
           "seconds": wall["cli"], "peak_mb": statistics.median(r["peak_mb"] for r in runs["cli"]),
           "floor_name": "pandas.read_csv (C engine)", "floor_seconds": wall["floor"],
           "floor_peak_mb": statistics.median(r["peak_mb"] for r in runs["floor"]),
           "ratio": wall["cli"] / wall["floor"],
           "inner_seconds": statistics.median(inner(r) for r in runs["cli_inner"]),
           "floor_inner_seconds": statistics.median(inner(r) for r in runs["floor"]),
           "goal": "(for the record)", "met": None}
    row["inner_ratio"] = row["inner_seconds"] / row["floor_inner_seconds"]
    print(f"  {row['stage']}: {row['seconds']:.2f} s vs {row['floor_seconds']:.2f} s ({row['ratio']:.2f}x), "
          f"in-process {row['inner_seconds'] * 1000:.0f} ms vs {row['floor_inner_seconds'] * 1000:.0f} ms", flush=True)
    return row


# ---------------------------------------------------------------- report

def fmt_time(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1000:.3f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def table(rows: list[dict], machine: dict) -> str:
    """The results as a Markdown table plus a line about the machine."""
    out = ["| Stage | Time | Peak MB | Floor | Ratio | In-process (after imports) | Goal | Met? |",
           "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        peak = f"{r['peak_mb']:.0f}" if r.get("peak_mb") is not None else ""
        floor, ratio, inner_text = "", "", ""
        if "floor_name" in r:
            floor = f"{r['floor_name']}: {fmt_time(r['floor_seconds'])}, {r['floor_peak_mb']:.0f} MB"
            if "pyarrow_seconds" in r:
                floor += f"; pyarrow engine: {fmt_time(r['pyarrow_seconds'])} ({r['pyarrow_ratio']:.2f}x)"
            ratio = f"{r['ratio']:.2f}x"
            inner_text = (f"{fmt_time(r['inner_seconds'])} vs {fmt_time(r['floor_inner_seconds'])}: "
                          f"{r['inner_ratio']:.2f}x")
        elif "allocate_seconds" in r:
            floor = f"full `allocate()` with its table: {fmt_time(r['allocate_seconds'])}"
            inner_text = f"{r['at_floor']} schools at the floor, {r['at_cap']} at the cap"
        elif r.get("floor_seconds"):
            floor = f"engine, whole 1M pipeline in-process: {fmt_time(r['floor_seconds'])}"
            ratio = f"{r['ratio']:.0f}x slower"
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        out.append(f"| {r['stage']} | {fmt_time(r['seconds'])} | {peak} | {floor} | {ratio} | {inner_text} | "
                   f"{r['goal']} | {met} |")
    out.append("")
    out.append(f"Machine: {machine['cpus']} cores, Python {machine['python']}, pandas {machine['pandas']}, "
               f"pyarrow {machine['pyarrow']}, numpy {machine['numpy']}; load average {machine['load_before']} "
               f"before and {machine['load_after']} after the run (other jobs shared the machine). "
               f"Times are medians of {machine['repeat']} interleaved runs for the 1M and sample stages, "
               f"{machine['repeat_big']} for 5.5M; the recompute is the median of 15 x 50 calls.")
    return "\n".join(out)


def write_readme(text: str) -> None:
    readme = HERE / "README.md"
    doc = readme.read_text()
    start, end = doc.index(RESULTS_BEGIN) + len(RESULTS_BEGIN), doc.index(RESULTS_END)
    readme.write_text(doc[:start] + "\n" + text + "\n" + doc[end:])
    print(f"results written to {readme}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(argv[1:])
        return 0
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="1M students only, 2 repetitions")
    p.add_argument("--repeat", type=int, default=5, help="repetitions of the 1M and sample stages (median)")
    p.add_argument("--repeat-big", type=int, default=3, help="repetitions of the 5.5M stages (median)")
    p.add_argument("--readme", action="store_true", help="rewrite the results table in benchmarks/README.md")
    p.add_argument("--json", type=Path, default=DATA / "results.json", help="also write the results here")
    args = p.parse_args(argv)
    if args.quick:
        args.repeat, args.repeat_big = 2, 0
    sizes = ["1M"] if args.quick else ["1M", "5.5M"]
    import numpy
    import pandas
    import pyarrow

    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "pandas": pandas.__version__,
               "pyarrow": pyarrow.__version__, "numpy": numpy.__version__,
               "load_before": " / ".join(f"{x:.1f}" for x in os.getloadavg()),
               "repeat": args.repeat, "repeat_big": args.repeat_big}
    folders = {label: ensure_data(label) for label in sizes}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(tmp)
        for label in sizes:
            print(f"{label} students: files", flush=True)
            rows += file_stages(label, folders[label], args.repeat if label == "1M" else args.repeat_big, out_dir)
        print("recompute", flush=True)
        for label in sizes:
            rows.append(recompute_stage(label, folders[label]))
        rows += real_formula_stages()
        print("naive", flush=True)
        engine = next(r["inner_seconds"] for r in rows if r.get("label") == "1M" and r.get("format") == "csv")
        rows += naive_stage(folders["1M"], engine, slice_rows=100_000, apply_rows=20_000)
        print("sample district", flush=True)
        rows.append(sample_stage(args.repeat, out_dir))
    machine["load_after"] = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    text = table(rows, machine)
    print()
    print(text)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": machine, "rows": rows}, indent=2) + "\n")
    if args.readme:
        write_readme(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
