"""Command line for designing a formula: `solve-for`, `sweep` and `optimise` (also spelled `optimize`).

    python -m sbb solve-for --schools S --counts C --scenario F --vary needs.ell.weight
        --target poverty_quartile_ratio=1.2 [--range 0:2] [--out new.toml]
    python -m sbb sweep --schools S --counts C --scenario F --vary needs.ell.weight=0.3:0.7:41
        [--vary needs.poverty.weight=0.2:0.4:41] [--also mcloone] --out sweep.csv
    python -m sbb optimise --schools S --counts C --scenario F --vary needs.ell.weight=0.3:0.8
        --vary needs.poverty.weight=0.2:0.5 --maximise poverty_quartile_ratio
        --subject-to "biggest_loss_pct <= 3" --subject-to "needs.ell.weight >= needs.poverty.weight"
        [--seed 0] [--out proposal.toml]

Bad requests exit 2 with the problem on stderr (the shared handler in `sbb.cli`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

from ..district import load_district
from ..output_path import output_problems
from ..problems import InputError, Problem, raise_if
from ..scenario import Scenario, load_scenario, scenario_to_toml
from .optimise import optimise, parse_condition
from .params import parameter, values_text
from .solve_for import show, show_value, solve_for
from .sweep import axes_for, parse_grid, parse_range, sweep, sweep_csv
from .target import RESULTS, Evaluator, result


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--schools", required=True, help="schools table (CSV, XLSX or Parquet)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--roster", help="student roster, one row per student")
    src.add_argument("--counts", help="school-level counts instead of a roster")
    p.add_argument("--scenario", required=True, help="scenario TOML file")


SOLVE_HELP = """Find the value of one setting at which a result reaches a target, print it with what it
gives, and (with --out) write the scenario with that value.

KEY is a numeric weight-table key as in a scenario's [overrides] (needs.ell.weight, grade.K-3,
foundation.per_school, ...), funding.budget, hold_harmless.max_loss_pct or hold_harmless.max_gain_pct.
NAME is one of: {results}.
A count of schools gives the smallest value at which the count reaches the target."""
SWEEP_HELP = """Allocate every combination of one or two settings over a grid (STEPS values from FROM to TO
inclusive), each with the exact budget-neutral solve, and write one CSV row per combination: the
values, base_per_weighted_pupil, total, schools_gaining, schools_losing, biggest_loss,
hold_harmless_cost, poverty_quartile_ratio, gini, then feasible and problem (a point where the limits
cannot spend the budget is marked, not fatal). At most 1,000,000 combinations."""
OPTIMISE_HELP = """Choose one or more settings within their ranges to make one result as large (--maximise) or
as small (--minimise) as possible, subject to conditions; the proposal is checked with the ordinary
engine and printed beside the current scenario. A condition compares a result, a varied setting or a
number with <= or >=. The same seed gives the same proposal."""
EXIT = """exit status: 0 done; 2 bad input or an answer out of reach (one line per problem on stderr)."""
EXAMPLES = {
    "solve-for": "example:\n  python -m sbb solve-for --schools sample_data/schools.csv --roster sample_data/roster.csv \\\n"
                 "      --scenario scenarios/baseline.toml --vary needs.ell.weight \\\n"
                 "      --target poverty_quartile_ratio=1.2 --out ell_for_1_2.toml",
    "sweep": "example:\n  python -m sbb sweep --schools sample_data/schools.csv --counts sample_data/counts.csv \\\n"
             "      --scenario scenarios/hold_harmless_3pct.toml --vary needs.ell.weight=0.3:0.7:41 \\\n"
             "      --vary needs.poverty.weight=0.2:0.4:41 --out sweep.csv",
    "optimise": "example:\n  python -m sbb optimise --schools sample_data/schools.csv --counts sample_data/counts.csv \\\n"
                "      --scenario scenarios/hold_harmless_3pct.toml --vary needs.ell.weight=0.2:1.0 \\\n"
                "      --vary needs.poverty.weight=0.1:0.6 --maximise poverty_quartile_ratio \\\n"
                "      --subject-to \"hold_harmless_cost <= 6500000\" \\\n"
                "      --subject-to \"needs.ell.weight >= needs.poverty.weight\" --out proposal.toml",
}


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register the three commands on the `python -m sbb` sub-parsers."""
    raw = argparse.RawDescriptionHelpFormatter
    s = sub.add_parser("solve-for", help="find the value of one setting at which a result reaches a target",
                       description=SOLVE_HELP.format(results=", ".join(RESULTS)), formatter_class=raw,
                       epilog=f"{EXIT}\n\n{EXAMPLES['solve-for']}")
    _data_args(s)
    s.add_argument("--vary", required=True, metavar="KEY", help="the setting to solve for, e.g. needs.ell.weight")
    s.add_argument("--target", required=True, metavar="NAME=VALUE", help="e.g. poverty_quartile_ratio=1.2")
    s.add_argument("--range", metavar="FROM:TO", help="values of the setting to search (default: a wide range)")
    s.add_argument("--out", help="write the scenario with the value found here (.toml; its folder must exist)")
    s.set_defaults(run=run_solve_for)
    w = sub.add_parser("sweep", help="allocate every combination of one or two settings over a grid",
                       description=SWEEP_HELP, formatter_class=raw, epilog=f"{EXIT}\n\n{EXAMPLES['sweep']}")
    _data_args(w)
    w.add_argument("--vary", required=True, action="append", metavar="KEY=FROM:TO:STEPS",
                   help="a setting and its grid; give it twice for a two-way grid")
    w.add_argument("--also", action="append", default=[], metavar="NAME", help="a further result column")
    w.add_argument("--out", required=True, help="the sweep CSV to write (its folder must exist)")
    w.set_defaults(run=run_sweep)
    o = sub.add_parser("optimise", aliases=["optimize"], formatter_class=raw, description=OPTIMISE_HELP,
                       help="choose settings within ranges to maximise or minimise a result under conditions",
                       epilog=f"{EXIT}\n\n{EXAMPLES['optimise']}")
    _data_args(o)
    o.add_argument("--vary", required=True, action="append", metavar="KEY=FROM:TO", help="a setting to choose and its range")
    goal = o.add_mutually_exclusive_group(required=True)
    goal.add_argument("--maximise", "--maximize", dest="maximise", metavar="NAME", help="the result to make as large as possible")
    goal.add_argument("--minimise", "--minimize", dest="minimise", metavar="NAME", help="the result to make as small as possible")
    o.add_argument("--subject-to", action="append", default=[], metavar="CONDITION",
                   help="e.g. 'biggest_loss_pct <= 3' or 'needs.ell.weight >= needs.poverty.weight'")
    o.add_argument("--seed", type=int, default=0, help="seed of the search (the same seed gives the same proposal)")
    o.add_argument("--decimals", type=int, default=3, help="decimals of the proposed weights (default 3)")
    o.add_argument("--out", help="write the proposed scenario here (.toml; its folder must exist)")
    o.set_defaults(run=run_optimise)


def _load(args: argparse.Namespace) -> tuple[Scenario, Evaluator]:
    scenario = load_scenario(args.scenario)
    district = load_district(args.schools, scenario.weights, roster=args.roster, counts=args.counts)
    return scenario, Evaluator(district, scenario)


def _check_out(out: str | None, suffix: str) -> Path | None:
    """The output path, refused at once (before any work) when it cannot be written."""
    if out is None:
        return None
    path = Path(out)
    raise_if(output_problems(path, (suffix,)))
    return path


def write_scenario(s: Scenario, out: Path) -> None:
    """Write `s` as TOML at `out`, its weight-table path made relative to where it is written."""
    if s.weights_ref:
        table, here = (Path(s.base_dir) / s.weights_ref).resolve(), out.resolve().parent
        shared = os.path.commonpath([table, here]) != table.anchor
        s = replace(s, weights_ref=Path(os.path.relpath(table, here)).as_posix() if shared else table.as_posix())
    _write(out, scenario_to_toml(s))


def _write(out: Path, text: str) -> None:
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError([Problem(str(out), None, None, None, f"a writable output file ({exc.strerror})")]) from None


def _number(text: str, where: str, what: str) -> float:
    try:
        return float(text.replace(",", "").replace("$", "").rstrip("%"))
    except ValueError:
        raise InputError([Problem(where, None, None, text, what)]) from None


def run_solve_for(args: argparse.Namespace) -> int:
    """Find the value, print it with the result it gives, write the scenario."""
    out = _check_out(args.out, ".toml")
    if "=" not in args.target:
        raise InputError([Problem("--target", None, None, args.target, "NAME=VALUE, e.g. poverty_quartile_ratio=1.2")])
    name, text = (x.strip() for x in args.target.split("=", 1))
    res = result(name)
    wanted = _number(text, "--target", f"a number after '{name}='")
    lo = hi = None
    if args.range:
        _, lo, hi, _ = parse_range(f"{args.vary}={args.range}", steps_required=False)
    scenario, ev = _load(args)
    started = time.perf_counter()
    sol = solve_for(ev, scenario, args.vary, name, wanted, lo, hi)
    p = parameter(scenario, args.vary, ev.prior_total)
    print(f"{args.vary} = {show_value(p, sol.value)} gives {name} = {show(res, sol.achieved)} "
          f"(target {show(res, wanted)}; now {show_value(p, p.current) if p.current is not None else 'not set'} "
          f"gives {show(res, ev.value(scenario, name))})")
    if sol.note:
        print(f"  {sol.note}")
    print(f"  {res.label}; solved in {time.perf_counter() - started:.2f} s")
    for other in ("base_per_weighted_pupil", "schools_gaining", "schools_losing", "biggest_loss_pct",
                  "hold_harmless_cost"):
        if other != name:
            print(f"  {RESULTS[other].label}: {show(RESULTS[other], RESULTS[other].compute(sol.outcome))}")
    if out is not None:
        title = f"{scenario.title}; {args.vary} = {show_value(p, sol.value)} ({name} {show(res, sol.achieved)})"
        write_scenario(replace(sol.scenario, title=title), out)
        print(f"  scenario written to {out}")
    return 0


def run_sweep(args: argparse.Namespace) -> int:
    """Allocate every combination and write the CSV."""
    out = _check_out(args.out, ".csv")
    for name in args.also:
        result(name, "--also")
    parse_grid(args.vary)  # the request's own problems before any file is read
    scenario, ev = _load(args)
    axes = axes_for(scenario, args.vary, ev.prior_total)
    started = time.perf_counter()
    frame = sweep(ev, scenario, axes, args.also)
    seconds = time.perf_counter() - started
    _write(out, sweep_csv(frame))
    bad = int((~frame["feasible"]).sum())
    print(f"{len(frame):,} combinations of {' x '.join(f'{a.key} ({len(a.values)})' for a in axes)} "
          f"allocated in {seconds:.2f} s; {bad:,} infeasible" + (" (marked feasible=false)" if bad else ""))
    print(f"  written to {out}")
    return 0


def _plain(x: float) -> str:
    """A number in a condition: 6,497,816 or 0.405."""
    return f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:.6g}"


def run_optimise(args: argparse.Namespace) -> int:
    """Search, print the proposal beside the current scenario, write it."""
    out = _check_out(args.out, ".toml")
    if not 0 <= args.decimals <= 6:
        raise InputError([Problem("--decimals", None, None, str(args.decimals), "a whole number from 0 to 6")])
    objective, sense = (args.maximise, "max") if args.maximise else (args.minimise, "min")
    result(objective, "--maximise" if sense == "max" else "--minimise")
    ranges = {}
    for spec in args.vary:
        key, lo, hi, _ = parse_range(spec, steps_required=False)
        if key in ranges:
            raise InputError([Problem("--vary", None, key, None, "each setting varied once")])
        ranges[key] = (lo, hi)
    conditions = [parse_condition(c, list(ranges)) for c in args.subject_to]
    scenario, ev = _load(args)
    started = time.perf_counter()
    prop = optimise(ev, scenario, ranges, objective, sense, conditions, seed=args.seed, decimals=args.decimals)
    print(f"Proposal ({'maximise' if sense == 'max' else 'minimise'} {objective}; "
          f"{prop.evaluations:,} allocations in {time.perf_counter() - started:.1f} s, seed {args.seed}):")
    width = max(len(k) for k in list(prop.values) + list(prop.proposed))
    print(f"  {'':<{width}}  {'current':>16}  {'proposed':>16}")
    for k, v in prop.values.items():
        now = prop.current_values[k]
        p = parameter(scenario, k, ev.prior_total)
        print(f"  {k:<{width}}  {show_value(p, now) if now is not None else 'not set':>16}  {show_value(p, v):>16}")
    for n in prop.proposed:
        print(f"  {n:<{width}}  {show(RESULTS[n], prop.current[n]):>16}  {show(RESULTS[n], prop.proposed[n]):>16}")
    for text, left, right, ok in prop.checks:
        print(f"  {'holds' if ok else 'BROKEN'}: {text} ({_plain(left)} vs {_plain(right)})")
    if not prop.met:
        print("error: no combination searched meets every condition (the best found is shown above); "
              "widen the ranges or loosen a condition", file=sys.stderr)
    if out is not None and prop.met:
        title = f"{scenario.title}; proposal: {values_text(prop.values)}"
        write_scenario(replace(prop.scenario, title=title), out)
        print(f"  scenario written to {out}")
    return 0 if prop.met else 2
