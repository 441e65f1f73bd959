"""`python -m sbb ...`: see `sbb.cli`."""

import sys

from .cli import main

try:
    code = main()
    sys.stdout.flush()
except BrokenPipeError:
    # the reader went away (`python -m sbb allocate ... | head -3`): the files are written already;
    # stop quietly instead of a traceback, with the status `sbb.cli.main` gives for the same case
    # (141; Python's documented recipe: no further writes to the pipe)
    from .closed_output import closed_output_status

    code = closed_output_status()
sys.exit(code)
