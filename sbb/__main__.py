"""`python -m sbb ...`: see `sbb.cli`."""

import sys

from .cli import main

sys.exit(main())
