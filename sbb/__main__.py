"""`python -m sbb ...`: see `sbb.cli`."""

import os
import sys

from .cli import main

try:
    code = main()
    sys.stdout.flush()
except BrokenPipeError:
    # the reader went away (`python -m sbb allocate ... | head -3`): the files are written already;
    # stop quietly instead of a traceback (Python's documented recipe: no further writes to the pipe)
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    code = 1
sys.exit(code)
