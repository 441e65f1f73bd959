"""The app's data and session: where the district comes from, loading it once per file content,
handling uploads without losing what the user has, and the shipped scenarios.

Privacy: uploaded files stay in this session's memory (`st.session_state`); the reduced district
(school counts, no student rows) is cached in memory only, keyed on a SHA-256 of the file bytes, so
another session can reach it only by uploading the very same bytes. Nothing is written to disk and
nothing about students is logged.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

import streamlit as st

from ..district import District, Progress, load_district
from ..problems import InputError, Problem
from ..scenario import Scenario, load_scenario, parse_scenario
from ..tomlfiles import toml_text
from ..weights import WeightTable

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_DIR = ROOT / "scenarios"
SAMPLE = ROOT / "sample_data"

Source = str | tuple[str, bytes]   # a path, or an upload as (file name, bytes)


@dataclass(frozen=True)
class DataSource:
    """The files a district is read from: a schools file plus a roster or a counts file."""

    schools: Source
    roster: Source | None = None
    counts: Source | None = None

    def describe(self) -> str:
        """The files in words: 'schools.csv + roster.csv (uploaded)'."""
        parts = [_name(self.schools), _name(self.roster if self.roster is not None else self.counts)]
        uploaded = any(isinstance(s, tuple) for s in (self.schools, self.roster, self.counts))
        kind = "roster" if self.roster is not None else "counts"
        return f"{parts[0]} + {parts[1]} ({kind}{', uploaded' if uploaded else ''})"

    @cached_property
    def upload_digests(self) -> tuple[str | None, str | None, str | None]:
        """The content key of each uploaded file (schools, roster, counts), hashed once per upload:
        the bytes never change, and a large roster takes a tenth of a second to hash."""
        return tuple(_digest(s) if isinstance(s, tuple) else None for s in (self.schools, self.roster, self.counts))


def _name(source: Source | None) -> str:
    if source is None:
        return "—"
    return source[0] if isinstance(source, tuple) else Path(source).name


def sample_source() -> DataSource:
    """The shipped sample district (schools and roster)."""
    return DataSource(str(SAMPLE / "schools.csv"), roster=str(SAMPLE / "roster.csv"))


def _digest(source: Source | None) -> str:
    """Content key of one source: SHA-256 of an upload's bytes; a path's resolved name, size and mtime."""
    if source is None:
        return "-"
    if isinstance(source, tuple):
        return "upload:" + source[0] + ":" + hashlib.sha256(source[1]).hexdigest()
    p = Path(source).resolve()
    try:
        st_ = p.stat()
        return f"path:{p}:{st_.st_size}:{st_.st_mtime_ns}"
    except OSError:
        return f"path:{p}:missing"


def weights_shape(weights: WeightTable) -> str:
    """What the reduction to counts depends on: the need columns and levels (not the weight values)."""
    needs = weights.to_dict().get("needs", {})
    return json.dumps({name: {k: (sorted(v) if isinstance(v, dict) else v) for k, v in spec.items() if k != "weight"}
                       for name, spec in needs.items()}, sort_keys=True, default=str)


def source_key(source: DataSource, weights: WeightTable) -> str:
    """The cache key of a district: the content of every file and the shape of the weight table."""
    files = (source.schools, source.roster, source.counts)
    raw = "|".join([*(known or _digest(f) for known, f in zip(source.upload_digests, files)), weights_shape(weights)])
    return hashlib.sha256(raw.encode()).hexdigest()


def read_district(source: DataSource, weights: WeightTable, progress: Progress | None = None) -> District:
    """Read and validate a district (raises `InputError`). No caching."""
    return load_district(source.schools, weights, roster=source.roster, counts=source.counts, progress=progress)


@st.cache_data(max_entries=6, ttl=3600, show_spinner=False)  # memory only: never persist (student data)
def _cached_district(key: str, _source: DataSource, _weights: WeightTable) -> District:
    """The district read with a progress bar showing each stage; the bar is removed when done (it
    lives inside this function, so a cache hit replays nothing visible)."""
    bar = st.progress(0.0, text="Reading…")
    try:
        return read_district(_source, _weights, progress=lambda done, text: bar.progress(done, text=f"{text}…"))
    finally:
        bar.empty()


def district_for(source: DataSource, weights: WeightTable) -> District:
    """The district of `source`, read once per file content and weight-table shape (in memory)."""
    return _cached_district(source_key(source, weights), source, weights)


# --------------------------------------------------------------------------------------------------
# Uploads
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UploadResult:
    """What an upload did: the new source and district, or the problems (and nothing changed)."""

    source: DataSource | None
    district: District | None
    error: InputError | None


def accept_upload(current: DataSource, weights: WeightTable, schools: tuple[str, bytes] | None,
                  roster: tuple[str, bytes] | None, counts: tuple[str, bytes] | None,
                  loader: Callable[[DataSource, WeightTable], District] = read_district) -> UploadResult:
    """Try uploaded files against the current data. A missing schools file keeps the current one; a
    roster or a counts file (exactly one) is required. On any problem nothing is replaced: the
    result carries the error and the caller keeps its previous data and settings."""
    if roster is not None and counts is not None:
        return UploadResult(None, None, InputError([Problem(
            "upload", None, None, f"{roster[0]} and {counts[0]}", "a roster or a counts file, not both")]))
    if roster is None and counts is None:
        if schools is None:
            return UploadResult(None, None, InputError([Problem("upload", None, None, None, "a file to load")]))
        roster, counts = current.roster, current.counts
    source = DataSource(schools if schools is not None else current.schools, roster=roster, counts=counts)
    try:
        district = loader(source, weights)
    except InputError as err:
        return UploadResult(None, None, err)
    return UploadResult(source, district, None)


# --------------------------------------------------------------------------------------------------
# Scenarios and the command line
# --------------------------------------------------------------------------------------------------

def shipped_scenarios(folder: Path = SCENARIO_DIR) -> dict[str, Scenario]:
    """The scenarios in `folder` by file name, baseline first; a bad file is left out."""
    out: dict[str, Scenario] = {}
    files = sorted(folder.glob("*.toml"), key=lambda p: (p.stem != "baseline", p.stem))
    for path in files:
        try:
            out[path.name] = load_scenario(path)
        except InputError:
            continue
    return out


def read_scenario_upload(name: str, data: bytes, base_dir: Path = SCENARIO_DIR) -> Scenario:
    """A scenario uploaded as TOML; its weight table resolves against `base_dir` (raises `InputError`)."""
    return parse_scenario(toml_text(data, name), name, base_dir)


@dataclass(frozen=True)
class StartUp:
    """What the app opens on: the data source and the scenario file."""

    source: DataSource
    scenario: str


def parse_args(argv: list[str]) -> StartUp:
    """Arguments after `streamlit run app.py --`: --schools S (--roster R | --counts C) --scenario F.

    >>> parse_args([]).scenario.endswith("baseline.toml")
    True
    >>> parse_args(["--schools", "s.csv", "--counts", "c.csv"]).source.counts
    'c.csv'
    """
    parser = argparse.ArgumentParser(prog="app.py", add_help=False)
    parser.add_argument("--schools")
    parser.add_argument("--roster")
    parser.add_argument("--counts")
    parser.add_argument("--scenario")
    args, _ = parser.parse_known_args(argv)
    source = sample_source()
    if args.schools or args.roster or args.counts:
        source = DataSource(args.schools or str(SAMPLE / "schools.csv"), roster=args.roster,
                            counts=args.counts if args.roster is None else None)
        if source.roster is None and source.counts is None:
            source = DataSource(source.schools, roster=str(SAMPLE / "roster.csv"))
    return StartUp(source, args.scenario or str(SCENARIO_DIR / "baseline.toml"))


def init_session(state: Any, argv: list[str]) -> None:
    """Session defaults, set once: data source, scenarios, the starting scenario and its name."""
    if "source" in state:
        return
    start = parse_args(argv)
    scenarios = shipped_scenarios()
    path = Path(start.scenario)
    name = path.name
    if path.resolve().parent != SCENARIO_DIR.resolve() or name not in scenarios:
        try:
            scenarios[name] = load_scenario(path)
        except InputError as err:
            state["startup_errors"] = err.table()
            name = "baseline.toml" if "baseline.toml" in scenarios else next(iter(scenarios))
    state["source"] = start.source
    state["scenarios"] = scenarios
    state["pick"] = name
    state["start"] = scenarios[name]
