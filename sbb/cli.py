"""Command line: `python -m sbb allocate --schools S --roster R --scenario F [--out FILE]`.

Prints a short summary and writes the allocation (CSV, or an Excel workbook for .xlsx). Exit 0 on
success; exit 2 with every problem on stderr when the input is bad, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .allocate import allocate
from .district import load_district
from .problems import InputError, Problem
from .report import allocation_csv, summary_lines
from .scenario import load_scenario


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sbb", description="Student-based budgeting scenario simulator.")
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("allocate", help="allocate a district's budget under a scenario")
    a.add_argument("--schools", required=True, help="schools table (CSV, XLSX or Parquet)")
    src = a.add_mutually_exclusive_group(required=True)
    src.add_argument("--roster", help="student roster, one row per student")
    src.add_argument("--counts", help="school-level counts instead of a roster")
    a.add_argument("--scenario", required=True, help="scenario TOML file")
    a.add_argument("--out", help="write the allocation here (.csv or .xlsx)")
    a.add_argument("--suppress-below", type=int, nargs="?", const=10, default=None, metavar="N",
                   help="in an .xlsx, blank per-school figures of schools with fewer than N pupils (default 10)")
    sc = sub.add_parser("scenario", help="read an edited allocation workbook back as a scenario file")
    sc.add_argument("--from-xlsx", required=True, help="a workbook written by `allocate --out FILE.xlsx`")
    sc.add_argument("--out", required=True, help="scenario TOML file to write")
    from .design.cli import add_commands  # solve-for, sweep, optimise: designing a formula

    add_commands(sub)
    return p


def run_allocate(args: argparse.Namespace) -> int:
    """Load, allocate, print the summary, write the output."""
    scenario = load_scenario(args.scenario)
    out = Path(args.out) if args.out else None
    if out is not None and out.suffix.lower() not in (".csv", ".xlsx"):
        raise InputError([Problem(str(out), None, None, None, "an output file ending in .csv or .xlsx")])
    if args.suppress_below is not None and (out is None or out.suffix.lower() != ".xlsx" or args.suppress_below < 1):
        raise InputError([Problem("--suppress-below", None, None, str(args.suppress_below),
                                  "a whole number of pupils (1 or more) with --out FILE.xlsx")])
    district = load_district(args.schools, scenario.weights, roster=args.roster, counts=args.counts)
    result = allocate(district, scenario)
    print("\n".join(summary_lines(result)))
    if out is not None:
        try:
            if out.suffix.lower() == ".xlsx":
                from .export import write_workbook

                write_workbook(result, district, out, suppress_below=args.suppress_below)
            else:
                out.write_text(allocation_csv(result), encoding="utf-8")
        except OSError as exc:
            raise InputError([Problem(str(out), None, None, None, f"a writable output file ({exc.strerror})")]) from None
        print(f"  written to {out}")
    return 0


def run_scenario(args: argparse.Namespace) -> int:
    """Read an edited workbook's Weights sheet back as a scenario TOML file."""
    from .export import scenario_toml_from_workbook

    source, out = Path(args.from_xlsx), Path(args.out)
    if out.suffix.lower() != ".toml":
        raise InputError([Problem(str(out), None, None, None, "an output file ending in .toml")])
    if not source.is_file():
        raise InputError([Problem(str(source), None, None, None, "an .xlsx workbook; the file does not exist")])
    text = scenario_toml_from_workbook(source, out)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError([Problem(str(out), None, None, None, f"a writable output file ({exc.strerror})")]) from None
    print(f"scenario written to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return {"allocate": run_allocate, "scenario": run_scenario}.get(args.command, getattr(args, "run", None))(args)
    except InputError as err:
        print(f"error: {len(err.problems)} problem(s) with the input:", file=sys.stderr)
        print(err.message(limit=200), file=sys.stderr)
        return 2
