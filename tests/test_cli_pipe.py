"""`python -m sbb allocate ... | head -1`: the reader goes away, the command ends quietly with 141."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT, SAMPLE


def test_closed_stdout_ends_quietly_with_141():
    cmd = [sys.executable, "-m", "sbb", "allocate", "--schools", str(SAMPLE / "schools.csv"),
           "--counts", str(SAMPLE / "counts.csv"), "--scenario", str(ROOT / "scenarios" / "baseline.toml")]
    p = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()  # the reader is gone before the summary is written (as `head` after its line)
    err = p.stderr.read().decode()
    assert p.wait(timeout=120) == 141  # 128 + SIGPIPE: what a shell reports for a writer cut off by its reader
    assert err == ""  # no traceback, no "Exception ignored" at exit


def test_a_reader_that_stays_gets_everything_and_0():
    cmd = [sys.executable, "-m", "sbb", "allocate", "--schools", str(SAMPLE / "schools.csv"),
           "--counts", str(SAMPLE / "counts.csv"), "--scenario", str(ROOT / "scenarios" / "baseline.toml")]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.splitlines()[0] == "Baseline: FY2027 weights, budget-neutral, no hold-harmless"
