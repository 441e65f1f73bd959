"""The sidebar's District picker: the shipped example districts and the user's own files (Streamlit).

- `init_districts(state)`: once per session, after `init_session`: which district the session opened
  on (an example, or the command-line files as 'Your files'), and, on the first run, an address's
  `data=example-<key>` (a shipped example opens; an unknown one says so once and opens the sample);
- `district_picker(state)`: the radio of districts (the sample first; each with its one-line source);
  picking one loads its data and a scenario made for it. Leaving a district keeps its scenario and
  settings in this session, so coming back (or back to an upload) finds them as they were;
- `offered(state)`: the scenario names the Scenario list shows (those whose weight table can run on
  the loaded files, `sbb.examples.missing_columns`), and the one line naming the other districts.

What fits is worked out from the files' headers, read once per district (never student rows).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import streamlit as st

from ..examples import SAMPLE_KEY, Example, elsewhere_line, file_headers, fitting, load_examples
from ..problems import InputError
from .address import FOREIGN, plain
from .controls import settings_from_scenario, sync_widgets
from .state import SAMPLE, DataSource, UploadResult, accept_upload, district_for, sample_source

HISTORY = "history"  # the undo history's session key (`workspace.HISTORY`)
OWN = "own"          # the District choice of the user's files (command line or upload)
PREFIX = "example-"  # the address's `data` value of an example: example-<folder name>


@lru_cache(maxsize=1)
def examples() -> tuple[Example, ...]:
    """The shipped example districts, sample first (read once per server: shipped files only). A bad
    manifest is left out (tests/test_examples.py checks the shipped ones)."""
    return tuple(load_examples(SAMPLE, problems=[]))


def by_key() -> dict[str, Example]:
    return {e.key: e for e in examples()}


def source_of(example: Example) -> DataSource:
    """The data source of an example (the sample district's is exactly `sample_source()`)."""
    if example.key == SAMPLE_KEY:
        return sample_source()
    return DataSource(example.schools, roster=example.roster, counts=example.counts)


def _files(source: DataSource) -> tuple:
    """A source's files compared by where they are ('sample_data/x.csv' is the example's x.csv)."""
    return tuple(str(Path(f).resolve()) if isinstance(f, str) else f
                 for f in (source.schools, source.roster, source.counts))


def example_of(source: DataSource) -> Example | None:
    """The example district whose files `source` is, else None (an upload is never one)."""
    if any(isinstance(f, tuple) for f in (source.schools, source.roster, source.counts)):
        return None
    files = _files(source)
    for e in examples():
        if _files(source_of(e)) == files:
            return e
    return None


def token_of(source: DataSource) -> str | None:
    """The address's `data` value of an example's source ('sample', 'example-<key>'), else None."""
    e = example_of(source)
    if e is None:
        return None
    return SAMPLE_KEY if e.key == SAMPLE_KEY else PREFIX + e.key


def _headers(source: DataSource) -> tuple[list[str] | None, list[str] | None]:
    data = source.roster if source.roster is not None else source.counts
    return file_headers(source.schools), (file_headers(data) if data is not None else None)


def offered(state: Any) -> tuple[list[str], str]:
    """The scenarios (names) that fit the loaded district, in list order, and the line saying how many
    shipped ones need another district. Unreadable headers: every scenario (the loader says why)."""
    source, scenarios = state["source"], state["scenarios"]
    memo = state.get("_offered")
    if memo is not None and memo[0] is source and memo[1] == tuple(scenarios):
        return memo[2], memo[3]
    schools, data = _headers(source)
    if schools is None or data is None:
        names, line = list(scenarios), ""
    else:
        names = fitting(scenarios, schools, data, source.roster is not None)
        shipped = {n for e in examples() for n in e.scenarios}
        line = elsewhere_line([n for n in scenarios if n not in names and n in shipped], examples())
    state["_offered"] = (source, tuple(scenarios), names, line)
    return names, line


def init_districts(state: Any) -> None:
    """Once per session: the District choice the session opened on, and an address's example."""
    if "district_pick" in state:
        return
    e = example_of(state["source"])
    if e is None:
        state["own_source"] = state["source"]
    state["district_pick"] = e.key if e is not None else OWN
    wanted = (st.query_params.get_all("data") or [""])[-1]
    if not wanted.startswith(PREFIX):
        return  # 'sample' keeps the files the server was started on (the address says so in a note)
    key = wanted[len(PREFIX):]
    if key not in by_key():
        known = ", ".join(PREFIX + k for k in by_key() if k != SAMPLE_KEY)
        state["_address_message"] = ("error", (
            f"This page's address names an example district that is not shipped (data={wanted[:40]}; the "
            f"examples are sample, {known}), so it opened on the sample district."))
        kept = {k: st.query_params.get_all(k) for k in st.query_params if k in FOREIGN}
        st.query_params.from_dict(kept)  # the rest of that address was made for data we do not have
        _switch(state, SAMPLE_KEY, load=False)
        return
    if key != state["district_pick"]:
        _switch(state, key, load=False)
    if not st.query_params.get_all("scenario"):  # a link naming only the district: its first scenario
        st.query_params["scenario"] = state["pick"]


def _keep(state: Any) -> dict:
    """Remember the current district's scenario and settings (to find them again on coming back)."""
    saved = state.setdefault("_by_district", {})
    old = state.get("_district_now", state.get("district_pick"))
    if old is not None and "settings" in state:
        saved[old] = (state["pick"], dict(state["settings"]), state.get(HISTORY))
    return saved


def _switch(state: Any, key: str, load: bool = True, keep: bool = True) -> None:
    """Make `key` (an example's key or OWN) the session's district: keep the district left's scenario
    and settings, then open the new one's (as left, or the first scenario made for it that fits)."""
    saved = _keep(state) if keep else state.setdefault("_by_district", {})
    source = state["own_source"] if key == OWN else source_of(by_key()[key])
    state["source"] = source
    state["district_pick"] = state["_district_now"] = key
    names, _ = offered(state)
    pick, settings, history = saved.get(key, (None, None, None))
    # undo and redo stay within a district (a step of another district's scenario would not fit here)
    if history is not None:
        state[HISTORY] = history
    else:
        state.pop(HISTORY, None)
    if pick not in names:
        own = by_key()[key].scenarios if key != OWN else ()
        pick = next((n for n in (*own, "baseline.toml") if n in names), names[0] if names else state["pick"])
        settings = None
    start = state["scenarios"][pick]
    state["pick"], state["start"] = pick, start
    state.pop("last_good", None)  # the scenario before belongs to another district
    if settings is None:
        prior_total = None
        if load:
            try:
                prior_total = float(np.nansum(district_for(source, start.baseline).prior))
            except InputError:
                prior_total = None  # the page shows the files' problems when it reads them
        settings = settings_from_scenario(start, prior_total)
        if prior_total is None:
            state.pop("settings", None)  # the page fills them from the district's own total
            state["_resync"] = True
            return
    state["settings"] = settings
    sync_widgets(state, start, settings)


def guard(state: Any) -> None:
    """Before the district is read: when the picked scenario cannot run on it (an undo step, a saved
    version or a scenario file made for other data), name one that can as the one to go back to, so the
    page says so and keeps working instead of stopping on the files' problems."""
    names, _ = offered(state)
    if not names or state["pick"] in names:
        return
    previous = state.get("last_good")
    if previous is not None and previous[0] in names:
        return
    key = state.get("district_pick")
    own = by_key()[key].scenarios if key in by_key() else ()
    pick = next((n for n in (*own, "baseline.toml") if n in names), names[0])
    state["last_good"] = (pick, state["scenarios"][pick])


def _picked() -> None:
    """Callback of the District radio."""
    state = st.session_state
    _switch(state, state["district_pick"])


def resync(state: Any) -> None:
    """After the page filled the settings of a district opened without its total: the controls too."""
    if state.pop("_resync", False) and "settings" in state:
        sync_widgets(state, state["start"], state["settings"])


def accept(state: Any, start: Any, files: list) -> UploadResult:
    """Check uploaded files (schools, roster, counts) against the picked scenario; when its weight table
    does not fit them but another scenario's does, against that one (the first that fits). On success
    the files become the session's own district on the next run (`apply_upload`)."""
    result = accept_upload(state["source"], start.baseline, *files, loader=district_for)
    pick = state["pick"]
    if result.error is not None:
        probe = accept_upload(state["source"], start.baseline, *files, loader=lambda source, weights: source)
        if probe.source is None:
            return result
        schools, data = _headers(probe.source)
        if schools is None or data is None:
            return result
        names = fitting(state["scenarios"], schools, data, probe.source.roster is not None)
        if not names or pick in names:
            return result
        own = [n for e in examples() for n in e.scenarios]
        pick = min(names, key=lambda n: own.index(n) if n in own else len(own))
        retry = accept_upload(state["source"], state["scenarios"][pick].baseline, *files, loader=district_for)
        if retry.error is not None:
            return result
        result = retry
    state["_upload_pending"] = (result.source, pick)
    return result


def apply_upload(state: Any) -> None:
    """At the top of the run after an accepted upload (before any widget is drawn): the files become
    'Your files', with the scenario and settings the user had when they fit, else the scenario that fits."""
    pending = state.pop("_upload_pending", None)
    if pending is None:
        return
    source, pick = pending
    same = pick == state["pick"] and "settings" in state
    kept = (pick, dict(state["settings"]) if same else None, state.get(HISTORY) if same else None)
    _keep(state)[OWN] = kept  # the district left first (it may be an earlier upload), then the new files
    state["own_source"] = source
    _switch(state, OWN, keep=False)


def district_picker(state: Any) -> None:
    """The District radio: each example with its title and source line; 'Your files' when loaded."""
    choices = [e.key for e in examples()] + ([OWN] if state.get("own_source") is not None else [])
    if state.get("district_pick") not in choices:
        state["district_pick"] = choices[0]
    state["_district_now"] = state["district_pick"]
    known = by_key()
    own = state.get("own_source")
    st.sidebar.radio(
        "District", choices, key="district_pick", on_change=_picked,
        format_func=lambda k: known[k].title if k in known else "Your files",
        captions=[plain(known[k].source) if k in known else plain(own.describe()) for k in choices],
        help="Shipped example districts, and the files you loaded. Each district keeps its scenario and "
             "settings while you look at another.")
