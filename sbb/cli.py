"""Command line: `python -m sbb allocate --schools S --roster R --scenario F [--out FILE]`; also
`statements` and `handout` (PDFs for principals and boards), `scenario --from-xlsx`, and `solve-for`,
`sweep` and `optimise` for designing a formula (registered from `sbb/design/cli.py`).

Prints a short summary and writes the allocation (CSV, or an Excel workbook for .xlsx). Exit 0 on
success; exit 2 with every problem on stderr when the input is bad, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .allocate import allocate
from .cli_help import ALLOCATE_EPILOG, ALLOCATE_HELP, SCENARIO_EPILOG, SCENARIO_HELP
from .district import load_district
from .figures import count_text
from .output_path import output_problems
from .problems import InputError, Problem, raise_if
from .report import allocation_csv, summary_lines
from .scenario import load_scenario


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m sbb", description="Student-based budgeting scenario simulator.",
                                epilog="Run `python -m sbb COMMAND --help` for a command's files, exit status "
                                       "and examples.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    raw = argparse.RawDescriptionHelpFormatter
    a = sub.add_parser("allocate", help="allocate a district's budget under a scenario", description=ALLOCATE_HELP,
                       epilog=ALLOCATE_EPILOG, formatter_class=raw)
    a.add_argument("--schools", required=True, help="schools table (CSV, XLSX or Parquet)")
    src = a.add_mutually_exclusive_group(required=True)
    src.add_argument("--roster", help="student roster, one row per student")
    src.add_argument("--counts", help="school-level counts instead of a roster")
    a.add_argument("--scenario", required=True, help="scenario TOML file")
    a.add_argument("--out", help="write the allocation here (.csv or .xlsx); its folder must exist")
    a.add_argument("--district", help="the district's name in an .xlsx's headers (default: from the schools file)")
    a.add_argument("--suppress-below", type=int, nargs="?", const=10, default=None, metavar="N",
                   help="off unless given. For public release of an .xlsx workbook: blank the per-school "
                        "figures of schools with fewer than N pupils (the flag alone means N = 10)")
    for name, text in (("statements", "write every school's allocation statement as one PDF"),
                       ("handout", "write a two-page board handout as a PDF")):
        d = sub.add_parser(name, help=text)
        d.add_argument("--schools", required=True, help="schools table (CSV, XLSX or Parquet)")
        src = d.add_mutually_exclusive_group(required=True)
        src.add_argument("--roster", help="student roster, one row per student")
        src.add_argument("--counts", help="school-level counts instead of a roster")
        d.add_argument("--scenario", required=True, help="scenario TOML file")
        d.add_argument("--out", required=True, help="the PDF file to write (its folder must exist)")
        d.add_argument("--district", help="the district's name on every page (default: from the schools file)")
        if name == "statements":
            d.add_argument("--school", action="append", metavar="ID",
                           help="only this school's page after the summary (repeat for more)")
    sc = sub.add_parser("scenario", help="read an edited allocation workbook back as a scenario file",
                        description=SCENARIO_HELP, epilog=SCENARIO_EPILOG, formatter_class=raw)
    sc.add_argument("--from-xlsx", required=True, help="a workbook written by `allocate --out FILE.xlsx`")
    sc.add_argument("--out", required=True, help="scenario TOML file to write (its folder must exist)")
    from .design.cli import add_commands  # solve-for, sweep, optimise: designing a formula

    add_commands(sub)
    return p


def run_allocate(args: argparse.Namespace) -> int:
    """Load, allocate, print the summary, write the output."""
    out = Path(args.out) if args.out else None
    problems = output_problems(out, (".csv", ".xlsx")) if out is not None else []
    if args.suppress_below is not None and args.suppress_below < 1:
        problems.append(Problem("--suppress-below", None, None, str(args.suppress_below),
                                "a whole number of pupils, 1 or more"))
    elif args.suppress_below is not None and (out is None or out.suffix.lower() != ".xlsx"):
        problems.append(Problem("--suppress-below", None, None, None,
                                "an Excel workbook to apply to (--out FILE.xlsx): suppression blanks figures in "
                                "the workbook only, and " + ("there is no --out" if out is None else
                                                             f"{out.name} is a CSV with every school's figures")))
    raise_if(problems)
    scenario = load_scenario(args.scenario)
    district = load_district(args.schools, scenario.weights, roster=args.roster, counts=args.counts,
                             applies_to=scenario.applies_to)
    result = allocate(district, scenario)
    summary = "\n".join(summary_lines(result, district))
    if out is not None:  # written before the summary is printed, so a closed pipe cannot stop it
        try:
            if out.suffix.lower() == ".xlsx":
                from .export import write_workbook

                from .documents.page import district_label

                sources = {"schools": args.schools, "roster": args.roster, "counts": args.counts}
                write_workbook(result, district, out, suppress_below=args.suppress_below,
                               district_name=args.district or district_label(args.schools), sources=sources)
            else:
                out.write_text(allocation_csv(result), encoding="utf-8")
        except OSError as exc:
            raise InputError([Problem(str(out), None, None, None, f"a writable output file ({exc.strerror})")]) from None
    print(summary)
    if out is not None:
        print(f"  written to {out}")
    return 0


def run_scenario(args: argparse.Namespace) -> int:
    """Read an edited workbook's Weights sheet back as a scenario TOML file."""
    from .export import scenario_toml_from_workbook

    source, out = Path(args.from_xlsx), Path(args.out)
    raise_if(output_problems(out, (".toml",)))
    if not source.is_file():
        raise InputError([Problem(str(source), None, None, None, "an .xlsx workbook; " + (
            "this is a folder" if source.is_dir() else "the file does not exist"))])
    text = scenario_toml_from_workbook(source, out)
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError([Problem(str(out), None, None, None, f"a writable output file ({exc.strerror})")]) from None
    print(f"scenario written to {out}")
    return 0


def run_document(args: argparse.Namespace) -> int:
    """Write the statements or the handout PDF."""
    from .documents import DocInfo, district_label, handout_pdf, statements_pdf

    out = Path(args.out)
    raise_if(output_problems(out, (".pdf",)))
    scenario = load_scenario(args.scenario)
    district = load_district(args.schools, scenario.weights, roster=args.roster, counts=args.counts)
    result = allocate(district, scenario)
    info = DocInfo.make(args.district or district_label(args.schools), scenario.title)
    if args.command == "statements":
        picked = list(dict.fromkeys(args.school)) if args.school else None  # a school named twice: one page
        data = statements_pdf(result, district, info, picked)
        n = len(picked) if picked else len(result.table)
        what = f"{count_text(n, 'school statement')} and a summary page"
    else:
        data = handout_pdf(result, district, info)
        what = "board handout"
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise InputError([Problem(str(out), None, None, None, f"a writable output file ({exc.strerror})")]) from None
    print(f"{what} written to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (141 when the reader of the output went away early)."""
    try:
        args = _parser().parse_args(argv)
        status = {"allocate": run_allocate, "scenario": run_scenario, "statements": run_document,
                  "handout": run_document}.get(args.command, getattr(args, "run", None))(args)
        sys.stdout.flush()  # a closed pipe shows here, not in Python's flush at exit
        return status
    except BrokenPipeError:
        from .closed_output import closed_output_status

        return closed_output_status()
    except InputError as err:
        if len(err.problems) == 1:  # one problem, one line
            print(f"error: {err.problems[0]}", file=sys.stderr)
        else:
            print(f"error: {err.headline()}", file=sys.stderr)
            print(err.message(limit=200), file=sys.stderr)
        return 2
