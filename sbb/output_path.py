"""Checking where a command will write, before it does any work.

A command whose `--out` points into a folder that does not exist, at a folder, or at a file of the
wrong kind is refused at once with one problem naming the path, so nothing is computed or printed
first and no other input is blamed.
"""

from __future__ import annotations

import os
from pathlib import Path

from .problems import Problem


def output_problems(out: Path, suffixes: tuple[str, ...]) -> list[Problem]:
    """Problems with writing a file at `out` whose name must end in one of `suffixes` (lower case,
    with the dot); [] when it can be written (the folder exists and is writable)."""
    kinds = " or ".join(suffixes)
    if out.suffix.lower() not in suffixes:
        return [Problem(str(out), None, None, None, f"an output file ending in {kinds}")]
    if out.is_dir():
        return [Problem(str(out), None, None, None, f"an output file name ending in {kinds}; this is a folder")]
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        return [Problem(str(out), None, None, None, f"an output file in an existing folder; the folder {folder} "
                                                     "does not exist (create it first, or write somewhere else)")]
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        return [Problem(str(out), None, None, None, f"an output file you may write; {out if out.exists() else folder}"
                                                     " is read-only for you (write somewhere else)")]
    return []
