"""Time to write the PDF documents: every school's statement and the board handout.

    python benchmarks/documents.py [--schools 1600] [--repeat 3]

Times `statements_pdf` (the summary page plus one page per school) and `handout_pdf` on the shipped
sample district (50 schools) and on a generated district of `--schools` schools (1,600 by default:
`benchmarks/generate.py` writes it into the git-ignored benchmarks/data/ first when missing). The
allocation is computed once beforehand (it is not part of the time); each figure is the best of
`--repeat` runs, in seconds, with the PDF's pages and size.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sbb import allocate, load_district, load_scenario  # noqa: E402
from sbb.documents import DocInfo, handout_pdf, statements_pdf  # noqa: E402

SCENARIO = ROOT / "scenarios" / "hold_harmless_3pct.toml"


def best(fn, repeat: int) -> tuple[float, bytes]:
    times, out = [], b""
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def measure(name: str, folder: Path, repeat: int) -> None:
    s = load_scenario(SCENARIO)
    d = load_district(folder / "schools.csv", s.weights, counts=folder / "counts.csv")
    a = allocate(d, s)
    info = DocInfo.make(name, s.title)
    secs, pdf = best(lambda: statements_pdf(a, d, info), repeat)
    pages = len(a.table) + 1
    print(f"{name}: statements for {len(a.table):,} schools: {secs:.2f} s "
          f"({secs / pages * 1000:.1f} ms a page, {pages:,} pages, {len(pdf) / 1e6:.1f} MB)")
    secs, pdf = best(lambda: handout_pdf(a, d, info), repeat)
    print(f"{name}: handout: {secs:.2f} s ({len(pdf) / 1e3:.0f} kB)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--schools", type=int, default=1600)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    measure("Sample district", ROOT / "sample_data", args.repeat)
    folder = ROOT / "benchmarks" / "data" / f"documents_{args.schools}"
    if not (folder / "counts.csv").is_file():
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--students",
                        str(args.schools * 125), "--schools", str(args.schools), "--out", str(folder)], check=True)
    measure(f"Generated district ({args.schools:,} schools)", folder, args.repeat)


if __name__ == "__main__":
    main()
