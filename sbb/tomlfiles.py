"""Reading TOML parameter files strictly: a syntax error, an unknown key or a wrong type is a
`Problem` naming the file and the dotted key, never silently ignored."""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from pathlib import Path
from typing import Any

from .problems import InputError, Problem, shown
from .text_encoding import utf8_text


def read_toml(path: str | Path) -> dict[str, Any]:
    """The parsed TOML file at `path`; a missing file or bad syntax raises `InputError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem(str(path), None, None, None, "the file does not exist")]) from None
    except OSError as exc:
        raise InputError([Problem(str(path), None, None, None, f"a readable text file ({exc.strerror})")]) from None
    return parse_toml(toml_text(raw, str(path)), str(path))


def toml_text(raw: bytes, name: str) -> str:
    """A TOML file's bytes as text: UTF-8 (a byte-order mark dropped), else Windows-1252 (Notepad's
    "ANSI"); a file that is neither, or not text, raises `InputError` naming `name`."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return utf8_text(raw, name, "a TOML text file").getvalue().decode("utf-8")


def parse_toml(text: str, name: str) -> dict[str, Any]:
    """Parse TOML `text` (from the file called `name`); bad syntax raises `InputError` with its line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)  # Python 3.14+; before that the line is only in the text
        if line is None:
            found = re.search(r"at line (\d+)", str(exc))
            line = int(found.group(1)) if found else None
        raise InputError([Problem(name, line, None, None, f"valid TOML ({exc.msg if hasattr(exc, 'msg') else exc})")]) from None


class Reader:
    """Collects problems while reading one TOML document; every getter records and carries on."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, key: str, value: object, expected: str) -> None:
        """Record that `key` holds `value` where `expected` was wanted."""
        self.problems.append(Problem(self.file, None, key, None if value is None else shown(value), expected))

    def only_keys(self, table: dict, allowed: set[str] | list[str], prefix: str) -> None:
        """Every key of `table` must be one of `allowed`; name the unknown ones and a close match."""
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, list(allowed), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                options = ", ".join(sorted(allowed)) or "no keys"
                self.problems.append(
                    Problem(self.file, None, _join(prefix, key), None, f"a known key{hint}; allowed here: {options}")
                )

    def table(self, parent: dict, key: str, prefix: str, required: bool = False) -> dict:
        """The sub-table `parent[key]` ({} when absent and optional)."""
        if key not in parent:
            if required:
                self.problem(_join(prefix, key), None, "a required table")
            return {}
        value = parent[key]
        if not isinstance(value, dict):
            self.problem(_join(prefix, key), value, "a table")
            return {}
        return value

    def number(self, parent: dict, key: str, prefix: str, *, required: bool = True, default: float | None = None,
               minimum: float | None = 0.0, maximum: float | None = None) -> float | None:
        """A finite number at `parent[key]` within [minimum, maximum]."""
        full = _join(prefix, key)
        if key not in parent:
            if required:
                self.problem(full, None, "a required number")
            return default
        value = parent[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.problem(full, value, "a number")
            return default
        if minimum is not None and value < minimum:
            self.problem(full, value, f"a number of at least {minimum:g}")
            return default
        if maximum is not None and value > maximum:
            self.problem(full, value, f"a number of at most {maximum:g}")
            return default
        return float(value)

    def text(self, parent: dict, key: str, prefix: str, *, required: bool = True, default: str | None = None,
             choices: tuple[str, ...] | None = None) -> str | None:
        """A non-empty string at `parent[key]`, one of `choices` when given."""
        full = _join(prefix, key)
        if key not in parent:
            if required:
                self.problem(full, None, "a required text value")
            return default
        value = parent[key]
        if not isinstance(value, str) or not value.strip():
            self.problem(full, value, "a non-empty text value")
            return default
        if choices is not None and value not in choices:
            self.problem(full, value, "one of " + ", ".join(repr(c) for c in choices))
            return default
        return value


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key
