"""Speed of designing a formula on the 1,600-school / 1M-student district, against one allocation.

    python benchmarks/design.py            # print the figures
    python benchmarks/design.py --readme   # also write them into benchmarks/README.md

Stages (the district comes from `benchmarks/generate.py`, made first when missing; the scenario is
`scenarios/hold_harmless_3pct.toml`, a 3% floor and a 5% cap, so the exact solve has work to do):

* `python -m sbb allocate --roster roster.csv ... --out allocation.csv` as a child process, and
  `python -m sbb sweep --roster roster.csv ... --vary needs.ell.weight=0.2:0.8:41
  --vary needs.poverty.weight=0.1:0.5:41 --out sweep.csv` (1,681 budget-neutral allocations): wall
  times, medians of `--repeat` interleaved runs, and their ratio (goal: at most 3x).
* The app's heatmap: a 21 x 21 sweep in-process on the counts already in memory (what the Design
  tab computes when "Draw the map" is pressed; goal under 1 s), and a solve-for.
* A check that sweep rows equal `allocate()` at sampled grid points, column by column.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from run import SCENARIO, ensure_data, measure, py  # noqa: E402  (benchmarks/run.py)

BEGIN, END = "<!-- design:begin -->", "<!-- design:end -->"
GRID = ["--vary", "needs.ell.weight=0.2:0.8:41", "--vary", "needs.poverty.weight=0.1:0.5:41"]


def cli_stage(folder: Path, repeat: int, out: Path) -> dict:
    data = ["--schools", str(folder / "schools.csv"), "--roster", str(folder / "roster.csv"),
            "--scenario", str(SCENARIO)]
    alloc, sweep = [], []
    for _ in range(repeat):  # interleaved, so both see the same machine load
        alloc.append(measure(py("-m", "sbb", "allocate", *data, "--out", str(out / "allocation.csv")))["wall"])
        sweep.append(measure(py("-m", "sbb", "sweep", *data, *GRID, "--out", str(out / "sweep.csv")))["wall"])
    a, s = statistics.median(alloc), statistics.median(sweep)
    return {"allocate": a, "sweep": s, "ratio": s / a, "runs": repeat}


def app_stage(folder: Path, repeat: int) -> dict:
    from sbb.design.solve_for import solve_for
    from sbb.design.sweep import axes_for, sweep
    from sbb.design.target import Evaluator
    from sbb.district import load_district
    from sbb.scenario import load_scenario

    scenario = load_scenario(SCENARIO)
    district = load_district(folder / "schools.csv", scenario.weights, counts=folder / "counts.csv")
    heat, solve = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        ev = Evaluator(district, scenario)  # as the tab does on each press
        axes = axes_for(scenario, ["needs.ell.weight=0.2:0.8:21", "needs.poverty.weight=0.1:0.5:21"], ev.prior_total)
        frame = sweep(ev, scenario, axes, ["poverty_quartile_ratio"])
        heat.append(time.perf_counter() - start)
        start = time.perf_counter()
        sol = solve_for(Evaluator(district, scenario), scenario, "needs.poverty.weight", "poverty_quartile_ratio", 1.15)
        solve.append(time.perf_counter() - start)
    return {"heatmap": statistics.median(heat), "solve": statistics.median(solve), "points": len(frame),
            "solve_value": sol.value, "runs": repeat, "core": ev.core}


def apptest_stage(folder: Path, repeat: int) -> float:
    """The Design tab's "Draw the map" press, 21 x 21 at 1,600 schools, as a whole app rerun under
    Streamlit's AppTest (the sweep, the rest of the page and the chart's spec; not the browser's
    drawing): median seconds."""
    from streamlit.testing.v1 import AppTest

    argv = sys.argv
    sys.argv = ["app.py", "--schools", str(folder / "schools.csv"), "--counts", str(folder / "counts.csv"),
                "--scenario", str(SCENARIO)]
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()
        at.session_state["tab"] = "Design"
        at.run()
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            at.button(key="design_map_go").click().run()
            times.append(time.perf_counter() - start)
            assert not at.exception and len(at.session_state["design_map"][1]) == 441
    finally:
        sys.argv = argv
    return statistics.median(times)


def check_stage(folder: Path, out: Path) -> int:
    """Sweep rows at sampled points equal allocate() (every column); returns the points checked."""
    from sbb.allocate import allocate
    from sbb.design.params import with_values
    from sbb.design.target import RESULTS, outcome_of, poverty_counts
    from sbb.district import load_district
    from sbb.scenario import load_scenario

    scenario = load_scenario(SCENARIO)
    district = load_district(folder / "schools.csv", scenario.weights, counts=folder / "counts.csv")
    rows = list(csv.DictReader(io.StringIO((out / "sweep.csv").read_text())))
    poor = poverty_counts(district, scenario)
    checked = 0
    for row in rows[:: max(1, len(rows) // 12)]:
        values = {"needs.ell.weight": float(row["needs.ell.weight"]),
                  "needs.poverty.weight": float(row["needs.poverty.weight"])}
        o = outcome_of(allocate(district, with_values(scenario, values)), poor)
        for name in ["base_per_weighted_pupil", "total", "schools_gaining", "schools_losing", "biggest_loss",
                     "hold_harmless_cost", "poverty_quartile_ratio", "gini"]:
            mine = RESULTS[name].compute(o)
            written = float(row[name])
            if RESULTS[name].kind in ("money", "count"):  # to the cent (the file rounds to cents)
                same = written == round(mine, 2)
            else:  # the batch adds and sorts in another order than allocate(): 12 significant digits
                same = abs(written - mine) <= 1e-12 * abs(mine)
            if not same:
                raise SystemExit(f"sweep row {values} {name}: written {written!r}, allocate() gives {mine!r}")
        checked += 1
    return checked


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--readme", action="store_true")
    args = p.parse_args(argv)
    folder = ensure_data("1M")
    out = HERE / "data" / "design"
    out.mkdir(parents=True, exist_ok=True)
    cli = cli_stage(folder, args.repeat, out)
    print(f"allocate {cli['allocate']:.2f} s, 41 x 41 sweep {cli['sweep']:.2f} s: {cli['ratio']:.2f}x", flush=True)
    app = app_stage(folder, max(3, args.repeat))
    print(f"21 x 21 heatmap in-process {app['heatmap'] * 1000:.0f} ms, solve-for {app['solve'] * 1000:.0f} ms", flush=True)
    rerun = apptest_stage(folder, max(3, args.repeat))
    print(f"Draw the map, whole app rerun (AppTest) {rerun * 1000:.0f} ms", flush=True)
    checked = check_stage(folder, out)
    print(f"{checked} sampled sweep rows equal allocate() in every column (money and counts exactly, "
          "the base and the ratios to 12 significant digits)", flush=True)
    with open("/proc/loadavg") as f:
        load = " / ".join(f.read().split()[:3])
    text = "\n".join([
        "| Stage | Time | Against | Ratio | Goal | Met? |",
        "|---|---|---|---|---|---|",
        f"| `sweep`, 41 x 41 = 1,681 allocations, 1M roster (CSV), 1,600 schools | {cli['sweep']:.2f} s | "
        f"one `allocate` of the same files: {cli['allocate']:.2f} s | {cli['ratio']:.2f}x | <= 3x | "
        f"{'yes' if cli['ratio'] <= 3 else '**no**'} |",
        f"| Design tab heatmap, 21 x 21 = 441 allocations, 1,600 schools (counts in memory) | "
        f"{app['heatmap'] * 1000:.0f} ms |  |  | < 1 s | {'yes' if app['heatmap'] < 1 else '**no**'} |",
        f"| The same press of \"Draw the map\" as a whole app rerun (Streamlit AppTest: sweep, page, chart spec) | "
        f"{rerun * 1000:.0f} ms |  |  | < 1 s | {'yes' if rerun < 1 else '**no**'} |",
        f"| `solve-for` poverty weight for a poverty quartile ratio of 1.15, 1,600 schools (in memory) | "
        f"{app['solve'] * 1000:.0f} ms |  |  | (for the record) |  |",
        "",
        f"Medians of {cli['runs']} interleaved runs (CLI) and {app['runs']} (in memory); {checked} sampled sweep "
        f"rows were checked against `allocate()` at the same values, column by column: dollars and counts "
        f"equal, the base and the two ratios to 12 significant digits. Load average after "
        f"the run: {load} (2 cores shared with other jobs).",
    ])
    print(text)
    if args.readme:
        readme = HERE / "README.md"
        doc = readme.read_text()
        start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
        readme.write_text(doc[:start] + "\n" + text + "\n" + doc[end:])
        print(f"written to {readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
