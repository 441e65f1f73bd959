"""The page's address (query string) <-> the scenario's settings, checked whole.

The address carries parameters only, never student data and never file contents:

- `scenario`: the picked scenario's name (a shipped file such as `ell_050.toml`, or the file given
  on the command line);
- `data`: which district the numbers were made on: `sample` (the shipped sample), `example-<folder>` (a
  shipped example district, e.g. `example-minnesota_fy2022`: opening it opens that example, see
  `sbb/ui/districts.py`), `files-<hash>` (the
  files given on the command line) or `upload-<hash>` (files uploaded in a session). The hash is 12 hex
  digits of a SHA-256 over the files' content keys: it tells two districts apart and says nothing
  about what is in them;
- one parameter per setting that differs from the picked scenario, named by its settings key
  (`needs.ell.weight=0.5`, `floor_on=on`, `max_loss_pct=3`), in settings units (weights in weighted
  pupils, money in dollars, percents in percent, shares 0-1);
- `versions`: the session's named versions, when there are any: each one's name, note, scenario and
  settings (only what differs from its scenario, as above), as JSON compressed with zlib and written in
  URL-safe base64 (so a reload keeps them, and a colleague opening the address sees them too).

`encode` writes that dict; `decode` reads one back against the scenarios this session has and
either returns the settings or says, in one message, why the address cannot be used (an unknown
key, a value out of the range the control accepts, a value that is not a number, a key given twice,
a scenario this session does not have). Pure functions: no Streamlit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import re
import zlib
from dataclasses import dataclass
from typing import Any, Mapping

from ..problems import InputError
from ..scenario import Scenario
from . import versions as named
from .controls import RANGES, Control, controls_for, scenario_from_settings

SCENARIO = "scenario"
DATA = "data"
VERSIONS = "versions"
VERSIONS_MOST_BYTES = 200_000  # the versions' JSON, decompressed, at most (20 versions need far less)
# parameters other parts of the page may own (left alone when reading and writing)
FOREIGN = frozenset({"present", "embed", "embed_options"})
DECIMALS = {"weight": 6, "money": 2, "base": 2, "pct": 4, "share": 6}  # as `controls.clean` rounds
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
TRUE, FALSE = ("on", "true", "1", "yes"), ("off", "false", "0", "no")


def data_token(kind: str, keys: tuple[str | None, ...] = ()) -> str:
    """The `data` value of a district: 'sample', or 'files-'/'upload-' and 12 hex digits of a
    SHA-256 over the files' content keys (`kind` is 'sample', 'files' or 'upload').

    >>> data_token("sample")
    'sample'
    >>> data_token("upload", ("a", None, "b"))[:7], len(data_token("upload", ("a", None, "b")))
    ('upload-', 19)
    """
    if kind == "sample":
        return "sample"
    return f"{kind}-" + hashlib.sha256("|".join(k or "-" for k in keys).encode()).hexdigest()[:12]


def setting_controls(start: Scenario) -> dict[str, Control]:
    """The control behind each settings key of `start` (every grade on its own)."""
    return {c.key: c for c in controls_for(start, per_grade=True)}


def format_value(c: Control, value: Any) -> str:
    """One setting as address text: 'on'/'off', a choice's code, an integer, or the shortest decimal
    that reads back to the same float ('0.5', '245000000').

    >>> format_value(Control("x", "", "", "weight"), 0.5), format_value(Control("x", "", "", "money"), 2.45e8)
    ('0.5', '245000000')
    """
    if c.kind == "toggle":
        return "on" if value else "off"
    if c.kind == "choice":
        return str(value)
    if c.kind in ("pupils", "years"):
        return str(int(value))
    text = repr(float(value))  # the shortest text that reads back to the same float
    return text[:-2] if text.endswith(".0") else text


def encode(pick: str, settings: Mapping[str, Any], reference: Mapping[str, Any], data: str) -> dict[str, str]:
    """The address of `settings` on scenario `pick`: the scenario, the data, and every setting that
    differs from `reference` (the picked scenario's own settings), in a stable order."""
    return {SCENARIO: pick, DATA: data, **differences(settings, reference)}


def differences(settings: Mapping[str, Any], reference: Mapping[str, Any]) -> dict[str, str]:
    """The settings that differ from `reference`, as address text, in key order."""
    return {key: _text(key, settings[key]) for key in sorted(settings)
            if settings[key] is not None and not (key in reference and settings[key] == reference[key])}


def encode_versions(items: list[tuple[str, str, str, Mapping[str, Any], Mapping[str, Any]]]) -> str:
    """The `versions` parameter: for each (name, note, scenario name, settings, that scenario's own
    settings), the name, note, scenario and the differing settings; JSON, zlib, URL-safe base64."""
    doc = [{"n": name, "t": note, "s": pick, "d": differences(settings, own)}
           for name, note, pick, settings, own in items]
    raw = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode("ascii").rstrip("=")


def decode_versions(text: str, scenarios: Mapping[str, Scenario], settings_of: Any
                    ) -> tuple[list[named.Version], list[str]]:
    """The versions a `versions` parameter holds, each checked like one typed in the page (name, note,
    scenario, every setting), or the problems; nothing is kept from a bad parameter."""
    bad = "the saved versions in it cannot be read"
    try:
        packed = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
        unzip = zlib.decompressobj()
        raw = unzip.decompress(packed, VERSIONS_MOST_BYTES)
        if unzip.unconsumed_tail:
            return [], [f"{bad} (more than {VERSIONS_MOST_BYTES:,} bytes)"]
        doc = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError):
        return [], [bad]
    if not isinstance(doc, list) or not all(isinstance(v, dict) and set(v) == {"n", "t", "s", "d"}
                                            and isinstance(v["d"], dict) for v in doc):
        return [], [bad]
    if len(doc) > named.MOST:
        return [], [f"it holds {len(doc)} saved versions; at most {named.MOST} are kept"]
    out: list[named.Version] = []
    problems: list[str] = []
    for v in doc:
        name, note, pick, diff = v["n"], v["t"], v["s"], v["d"]
        if not all(isinstance(x, str) for x in (name, note, pick, *diff, *diff.values())):
            problems.append(bad)
            continue
        label = f"saved version {_shown(name)}"
        if pick not in scenarios:
            problems.append(f"{label} is on scenario {_shown(pick)}, which this session does not have")
            continue
        start = scenarios[pick]
        settings = dict(settings_of(start))
        controls = setting_controls(start)
        for key, value in diff.items():
            c = controls.get(key)
            if c is None or key not in settings:
                problems.append(f"{label}: '{key}' is not a setting of its scenario")
                continue
            parsed, why = parse_value(c, value)
            if why is not None:
                problems.append(f"{label}: {why}")
                continue
            settings[key] = parsed
        try:
            out.append(named.make_version(name, note, pick, settings, scenario_from_settings(start, settings),
                                          [x.name for x in out]))
        except InputError as err:
            problems.append(f"{label} cannot be allocated ({err.message()})")
        except ValueError as err:
            problems.append(f"{label}: {err}")
    return (out, []) if not problems else ([], problems)


def _text(key: str, value: Any) -> str:
    """A setting as text without its control (kind guessed from the value's type)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_value(Control(key, "", "", "weight"), value)
    return str(value)


def parse_value(c: Control, text: str) -> tuple[Any, str | None]:
    """A setting read from address text, checked against what its control accepts:
    (value, None), or (None, why not).

    >>> parse_value(Control("needs.ell.weight", "", "", "weight"), "0.5")
    (0.5, None)
    >>> parse_value(Control("max_loss_pct", "", "", "pct"), "150")[1]
    "'max_loss_pct' = 150 is above 100, the most it can be"
    """
    text = text.strip()
    if c.kind == "toggle":
        low = text.lower()
        if low in TRUE or low in FALSE:
            return low in TRUE, None
        return None, f"'{c.key}' = {_shown(text)} is not on or off"
    if c.kind == "choice":
        options = dict(c.options)
        if text in options:
            return text, None
        return None, f"'{c.key}' = {_shown(text)} is not one of {', '.join(options)}"
    if c.kind in ("pupils", "years"):
        if not _INTEGER.match(text):
            return None, f"'{c.key}' = {_shown(text)} is not a whole number"
        value: Any = int(text)
    else:
        if not _NUMBER.match(text):
            return None, f"'{c.key}' = {_shown(text)} is not a number"
        value = float(text)
        if not math.isfinite(value):
            return None, f"'{c.key}' = {_shown(text)} is not a finite number"
    low, high = RANGES[c.kind]
    shown = value * 100.0 if c.kind == "share" else value  # ranges are in widget units (percent)
    if low is not None and shown < low:
        return None, f"'{c.key}' = {text} is below {_limit(c, low)}, the least it can be"
    if high is not None and shown > high:
        return None, f"'{c.key}' = {text} is above {_limit(c, high)}, the most it can be"
    if c.kind in DECIMALS:
        value = round(value, DECIMALS[c.kind])
    return value, None


def _limit(c: Control, bound: float) -> str:
    value = bound / 100.0 if c.kind == "share" else bound
    return f"{value:g}"


def _shown(text: str, most: int = 40) -> str:
    """Address text quoted for a message, cut to `most` characters."""
    return repr(text if len(text) <= most else text[:most] + "…")


@dataclass(frozen=True)
class Opened:
    """What an address asks for: the scenario to pick and its settings, or why it cannot be used.

    `problems` non-empty: the address is not used at all (open the starting scenario). `note`: said
    even when the address is used (the numbers were made on other data)."""

    pick: str | None = None
    settings: dict[str, Any] | None = None
    problems: tuple[str, ...] = ()
    note: str = ""
    empty: bool = False
    versions: tuple[named.Version, ...] = ()

    def message(self) -> str:
        """The one message that says why the address was not used."""
        if not self.problems:
            return ""
        listed = "; ".join(self.problems[:5])
        more = f" (and {len(self.problems) - 5} more)" if len(self.problems) > 5 else ""
        return f"This page's address could not be used ({listed}{more}), so it opened on the starting scenario."


def decode(params: Mapping[str, list[str]], scenarios: Mapping[str, Scenario],
           settings_of: Any, data: str) -> Opened:
    """Read an address (`params`: each key with every value it was given) against this session's
    `scenarios`. `settings_of(scenario)` gives a scenario's own settings on the current district;
    `data` is the current district's data token.

    Returns the scenario name and the settings (the scenario's own, with the address's values on
    top), or `problems`, all of them, when anything in the address is wrong: nothing of a bad
    address is applied."""
    mine = {k: v for k, v in params.items() if k not in FOREIGN}
    if not mine:
        return Opened(empty=True)
    problems: list[str] = []
    for key, values in mine.items():
        if len(values) != 1:
            problems.append(f"'{key}' is given {len(values)} times")
    pick = (mine.get(SCENARIO) or [""])[-1]
    if not pick:
        problems.append("it names no scenario")
    elif pick not in scenarios:
        problems.append(f"scenario {_shown(pick)} is not one this session has" +
                        (" (an uploaded scenario stays in the session that loaded it)" if "(uploaded)" in pick
                         else ""))
    if problems and (not pick or pick not in scenarios):
        return Opened(problems=tuple(problems))
    start = scenarios[pick]
    settings = dict(settings_of(start))
    controls = setting_controls(start)
    for key, values in mine.items():
        if key in (SCENARIO, DATA, VERSIONS):
            continue
        c = controls.get(key)
        if c is None or key not in settings:
            problems.append(f"'{key}' is not a setting of this scenario")
            continue
        value, why = parse_value(c, values[-1])
        if why is not None:
            problems.append(why)
            continue
        settings[key] = value
    kept: list[named.Version] = []
    if VERSIONS in mine:
        kept, trouble = decode_versions(mine[VERSIONS][-1], scenarios, settings_of)
        problems.extend(trouble)
    if problems:
        return Opened(problems=tuple(problems))
    theirs = (mine.get(DATA) or [""])[-1]
    note = ""
    if theirs and theirs != data:
        if theirs.startswith("upload-"):
            note = ("This address was made on uploaded district files that this session does not have "
                    "(uploads stay in the session that loaded them). Its settings are applied to the data "
                    "loaded here; upload the same files to see the same numbers.")
        else:
            note = ("This address was made on other district data than this server has; its settings are "
                    "applied to the data loaded here.")
    return Opened(pick=pick, settings=settings, note=note, versions=tuple(kept))


def plain(text: str) -> str:
    r"""`text` with every ASCII punctuation mark backslash-escaped, so that a message quoting an
    address shows as typed where Streamlit renders Markdown (no links, emphasis, HTML or emoji codes).

    >>> plain("a *b* [c](x) <i>")
    'a \\*b\\* \\[c\\]\\(x\\) \\<i\\>'
    """
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)
