"""The tool's version, as `pyproject.toml` states it, for the documents and workbooks it writes."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def tool_version() -> str:
    """'sbb 0.1.0': the project's name and version from pyproject.toml (the installed package's
    metadata when the source tree is not beside it; 'unknown' when neither is found)."""
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        return f"{project['name']} {project['version']}"
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        pass
    try:
        from importlib.metadata import version

        return f"sbb {version('sbb')}"
    except Exception:  # noqa: BLE001 - any metadata failure means the version is unknown
        return "sbb (version unknown)"
