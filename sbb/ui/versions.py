"""Named versions of the settings, kept for one session: save, list, compare, download.

A version is a name ("Trustee Lee's proposal"), a note ("ELL 0.50, 2% floor"), the scenario it was
made on, its settings, and the scenario they make (titled by the name, the note as its description,
so the note travels into the scenario TOML and the workbook's Summary sheet). Names are checked
(`check_name`): not empty, at most `NAME_MAX` characters, no control characters, not already used in
this session; notes at most `NOTE_MAX` characters. The name and the note are text: the page shows
them as text, never as markup. Pure: no Streamlit.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any, Mapping

from ..scenario import Scenario, scenario_to_toml

NAME_MAX = 60       # characters
NOTE_MAX = 1000     # characters
MOST = 20           # versions kept per session
PREFIX = "version:"  # how the Compare tab tells a version from a scenario file


@dataclass(frozen=True)
class Version:
    name: str
    note: str
    pick: str
    settings: Mapping[str, Any]
    scenario: Scenario

    @property
    def key(self) -> str:
        """The version's key among the scenarios the Compare tab offers."""
        return PREFIX + self.name


def _has_control(text: str, allow_newlines: bool = False) -> bool:
    return any(unicodedata.category(ch) == "Cc" and not (allow_newlines and ch in "\n\t\r") for ch in text)


def check_name(name: str, taken: list[str] | tuple[str, ...] = ()) -> str | None:
    """Why `name` cannot name a version (None: it can). Spaces at either end do not count.

    >>> check_name("  ")
    'Give the version a name.'
    >>> check_name("x" * 61)
    'A version name has at most 60 characters; this one has 61.'
    >>> check_name("Lee", ["Lee"]) is not None, check_name("Trustee Lee's proposal") is None
    (True, True)
    """
    name = name.strip()
    if not name:
        return "Give the version a name."
    if len(name) > NAME_MAX:
        return f"A version name has at most {NAME_MAX} characters; this one has {len(name)}."
    if _has_control(name):
        return "A version name cannot hold control characters (such as a line break)."
    if name.casefold() in {t.casefold() for t in taken}:
        return f"There is already a version called “{name}”; choose another name or delete that one."
    return None


def check_note(note: str) -> str | None:
    """Why `note` cannot be a version's note (None: it can); line breaks are fine."""
    if len(note) > NOTE_MAX:
        return f"A note has at most {NOTE_MAX} characters; this one has {len(note)}."
    if _has_control(note, allow_newlines=True):
        return "A note cannot hold control characters."
    return None


def make_version(name: str, note: str, pick: str, settings: Mapping[str, Any], scenario: Scenario,
                 taken: list[str] | tuple[str, ...] = ()) -> Version:
    """A checked version (raises ValueError with the message a person reads). The scenario is
    titled by the name; the note, when given, becomes its description."""
    why = check_name(name, taken) or check_note(note)
    if why:
        raise ValueError(why)
    name, note = name.strip(), note.strip()
    titled = replace(scenario, title=name, description=note or scenario.description)
    return Version(name, note, pick, dict(settings), titled)


def add(versions: list[Version], version: Version, most: int = MOST) -> list[Version]:
    """The list with `version` added (a new list); refused (ValueError) beyond `most` versions."""
    if len(versions) >= most:
        raise ValueError(f"This session keeps at most {most} versions; delete one first.")
    return [*versions, version]


def remove(versions: list[Version], name: str) -> list[Version]:
    return [v for v in versions if v.name != name]


def find(versions: list[Version], key_or_name: str) -> Version | None:
    name = key_or_name[len(PREFIX):] if key_or_name.startswith(PREFIX) else key_or_name
    return next((v for v in versions if v.name == name), None)


def version_toml(v: Version) -> str:
    """The version as a scenario TOML file (title = its name, description = its note)."""
    return scenario_to_toml(v.scenario)


def file_stem(name: str) -> str:
    """A safe file name stem for a version: letters, digits and underscores.

    >>> file_stem("Trustee Lee's proposal: ELL 0.50")
    'trustee_lee_s_proposal_ell_0_50'
    """
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60] or "version"
