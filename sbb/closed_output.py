"""A command whose reader stops early (`python -m sbb allocate ... | head -1`) ends quietly.

When the program reading standard output exits, the next write raises `BrokenPipeError`. A shell
tool in that case is killed by SIGPIPE and the shell reports status 128 + 13 = 141; Python instead
prints a traceback. `closed_output_status` makes the rest of the run's writes go nowhere (so Python's
own flush at exit cannot fail again) and returns that same 141: the output was cut short, and a
script with `set -o pipefail` can tell (the Python documentation's recipe, "Note on SIGPIPE").
"""

from __future__ import annotations

import os
import sys

SIGPIPE_STATUS = 141  # 128 + SIGPIPE (13), what a shell reports for a writer killed by SIGPIPE


def closed_output_status() -> int:
    """Point standard output at the null device and return `SIGPIPE_STATUS`."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (a test's capture): nothing to redirect
        pass
    return SIGPIPE_STATUS
