"""A working session on the page (Streamlit): the address, undo and redo, named versions.

The page calls a few hooks; the rules live in the pure modules `address`, `history` and `versions`:

- `open_address(state, prior_total)`: on a session's first run (and on the browser's Back/Forward),
  open the scenario, settings and saved versions the page's address names (or say in one message why
  it cannot, and open the starting scenario);
- `after_edit(state, start, own)`: after the sidebar, record the edit for undo and write the address;
- `history_panel(state, where)`: the Undo and Redo buttons and the short list of edits;
- `versions_panel(state, district)`: save the settings as a named version, list, open, download, delete;
- `compare_pool(state)` / `version_notes(...)`: the versions the Compare tab offers, and their notes.

Everything lives in this session's `st.session_state` (never in module globals, which every session
of the server shares): another session sees these edits and versions only by opening an address sent
to it on purpose, and never sees an upload (the address names an upload only by a hash).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from ..allocate import allocate
from ..district import District
from ..problems import InputError
from ..scenario import Scenario
from . import address, versions
from .controls import controls_for, scenario_from_settings, settings_from_scenario, show, sync_widgets
from .history import History, describe
from .state import DataSource, _digest

HISTORY = "history"
VERSIONS = "versions"


# --------------------------------------------------------------------------------------------------
# The address
# --------------------------------------------------------------------------------------------------

def data_token(source: DataSource) -> str:
    """The address's name for the session's district: the sample, command-line files, or an upload."""
    from .districts import token_of  # an example district: 'sample' or 'example-<folder>'

    token = token_of(source)
    if token is not None:
        return token
    files = (source.schools, source.roster, source.counts)
    if any(isinstance(f, tuple) for f in files):
        return address.data_token("upload", tuple(k or (_digest(f) if f is not None else None)
                                                  for k, f in zip(source.upload_digests, files)))
    return address.data_token("files", tuple(_digest(f) if f is not None else None for f in files))


def _params() -> dict[str, list[str]]:
    qp = st.query_params
    return {key: qp.get_all(key) for key in qp}


def _history_navigation() -> bool:
    """Whether this run comes from the browser's Back or Forward button (the address changed under us)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(getattr(ctx, "is_history_navigation", False))


def open_address(state: Any, prior_total: float) -> None:
    """Apply the address (scenario and settings) on the session's first run, and again when the
    browser's Back or Forward button goes to an earlier address (each edit writes one). A bad address
    on the first run keeps the starting scenario and says why. A different scenario than the current
    one reruns the page so its district is read under its weight table."""
    first = not state.get("_address_read")
    if not first and not _history_navigation():
        return
    if first:
        state["_address_read"] = True
        state["_start_pick"] = state["pick"]
        state["_start_data"] = data_token(state["source"])
    state["prior_total"] = prior_total
    settings_of = lambda s: settings_from_scenario(s, prior_total)  # noqa: E731
    opened = address.decode(_params(), state["scenarios"], settings_of, data_token(state["source"]))
    if opened.empty:
        if first:
            return
        pick = state["_start_pick"]  # back to the plain address: the session's starting point
        opened = address.Opened(pick=pick, settings=settings_of(state["scenarios"][pick]))
    if opened.problems:
        if first:
            state["_address_message"] = ("error", opened.message())
        return
    if first and opened.note:
        state["_address_message"] = ("warning", opened.note)
    if first and opened.versions:
        state[VERSIONS] = list(opened.versions)  # the saved versions come back with the address
    changed_pick = opened.pick != state["pick"]
    start = state["scenarios"][opened.pick]
    state["pick"], state["start"] = opened.pick, start
    state["settings"] = dict(opened.settings)
    sync_widgets(state, start, state["settings"])
    state["_edit_label"] = "Opened from the page's address" if first else "Back or forward in the browser"
    if changed_pick:
        st.rerun()


def show_address_message(state: Any) -> None:
    """The address's one message, shown once (as text: nothing from the address is run as markup)."""
    said = state.pop("_address_message", None)
    if said is not None:
        (st.error if said[0] == "error" else st.warning)(address.plain(said[1]))


def write_address(state: Any, own: dict[str, Any]) -> None:
    """Put the current scenario and settings into the address (only when they changed). `own` is
    the picked scenario's own settings: only what differs from them is written. Parameters other
    parts of the page own (`address.FOREIGN`) are kept."""
    data = data_token(state["source"])
    mine = address.encode(state["pick"], state["settings"], own, data)
    packed = _versions_param(state)
    if packed:
        mine[address.VERSIONS] = packed
    elif (len(mine) == 2 and state["pick"] == state.get("_start_pick", state["pick"])
            and data == state.get("_start_data", data) and not data.startswith("example-")):
        mine = {}  # the session's starting point: a plain address
    current = _params()
    if {k: v for k, v in current.items() if k not in address.FOREIGN} == {k: [v] for k, v in mine.items()}:
        return
    kept = {k: v for k, v in current.items() if k in address.FOREIGN}
    st.query_params.from_dict({**kept, **mine})


def _versions_param(state: Any) -> str:
    """The `versions` parameter of this session's versions (worked out again only when they change).
    A version made on an uploaded scenario file is left out: no other session could open it."""
    kept: list[versions.Version] = state.get(VERSIONS, [])
    if not kept:
        return ""
    memo = state.get("_versions_param")
    prior_total = state.get("prior_total")
    if memo is not None and memo[1] == prior_total and len(memo[0]) == len(kept) \
            and all(a is b for a, b in zip(memo[0], kept)):
        return memo[2]
    scenarios = state["scenarios"]
    keep = [v for v in kept if v.pick in scenarios and not v.pick.endswith("(uploaded)")]
    text = address.encode_versions([(v.name, v.note, v.pick, v.settings,
                                     settings_from_scenario(scenarios[v.pick], prior_total)) for v in keep])
    state["_versions_param"] = (list(kept), prior_total, text if keep else "")
    return text if keep else ""


# --------------------------------------------------------------------------------------------------
# Undo and redo
# --------------------------------------------------------------------------------------------------

def _labels(start: Scenario) -> dict[str, str]:
    out = {}
    for c in controls_for(start, per_grade=True):
        out[c.key] = "Grade weights" if c.key.startswith("grade.") else \
            c.label.replace("… ", "").replace(" ($)", "").replace(" (%)", "")
    return out


def _show(start: Scenario):
    by_key = {c.key: c for c in controls_for(start, per_grade=True)}
    return lambda key, value: show(by_key[key], value) if key in by_key else str(value)


def after_edit(state: Any, start: Scenario, own: dict[str, Any]) -> None:
    """After the sidebar has drawn: record this run's settings for undo, and write the address."""
    history: History = state.setdefault(HISTORY, History())
    settings = state["settings"]
    label = state.pop("_edit_label", None)
    now = history.current
    if now is None or now.pick != state["pick"] or now.settings != settings:  # words only for a real edit
        if label is None:
            if now is None:
                label = "Opened"
            elif now.pick != state["pick"]:
                label = f"Scenario: {start.title}"
            else:
                label = describe(now.settings, settings, _labels(start), _show(start))
        history.record(state["pick"], settings, label)
    write_address(state, own)


def _restore(step) -> None:
    state = st.session_state
    start = state["scenarios"][step.pick]
    state["pick"], state["start"] = step.pick, start
    state["settings"] = dict(step.settings)
    sync_widgets(state, start, state["settings"])


def _undo() -> None:
    step = st.session_state[HISTORY].undo()
    if step is not None:
        _restore(step)


def _redo() -> None:
    step = st.session_state[HISTORY].redo()
    if step is not None:
        _restore(step)


def history_text(recent: list[tuple[str, str]]) -> str:
    """The last edits, newest first, one a line: '▸ ' marks the current state, '↶ ' one undone.

    >>> print(history_text([("undone", "b"), ("now", "a"), ("", "Opened")]))
    ↶ b
    ▸ a
      Opened
    """
    marks = {"now": "▸ ", "undone": "↶ ", "": "  "}
    return "\n".join(marks[mark] + label for mark, label in recent)


def history_panel(state: Any, where: Any) -> None:
    """Undo and Redo buttons, and the last edits (newest first) in a small list, drawn in `where`
    (a sidebar container placed above the controls, filled after this run's edit is recorded)."""
    history: History = state.setdefault(HISTORY, History())
    sb = where
    left, right = sb.columns(2)
    left.button("Undo", on_click=_undo, disabled=not history.can_undo(), width="stretch", key="undo",
                icon=":material/undo:", help="Take back the last edit.")
    right.button("Redo", on_click=_redo, disabled=not history.can_redo(), width="stretch", key="redo",
                 icon=":material/redo:", help="Make the edit you took back again.")
    recent = history.recent(8)
    if len(history.steps) > 1:
        with sb.expander("Edits"):  # one label: the expander stays open while edits are added
            st.text(history_text(recent))  # plain text (labels may quote a scenario's title)


# --------------------------------------------------------------------------------------------------
# Named versions
# --------------------------------------------------------------------------------------------------

def _save_version() -> None:
    """Callback of 'Save as version': check the name and note, then keep the version (the fields are
    cleared only when it was saved, so nothing typed is lost)."""
    state = st.session_state
    name, note = state.get("version_name", "") or "", state.get("version_note", "") or ""
    kept: list[versions.Version] = state.get(VERSIONS, [])
    start = state["start"]
    try:
        scenario = scenario_from_settings(start, state["settings"], start.title)
        v = versions.make_version(name, note, state["pick"], state["settings"], scenario, [x.name for x in kept])
        state[VERSIONS] = versions.add(kept, v)
    except InputError as err:
        state["_version_error"] = "These settings cannot be saved: " + err.message()
        return
    except ValueError as err:
        state["_version_error"] = str(err)
        return
    state.pop("_version_error", None)
    state["version_name"], state["version_note"] = "", ""
    state["version_pick"] = v.name
    state["_version_saved"] = v.name


def _open_version() -> None:
    state = st.session_state
    v = versions.find(state.get(VERSIONS, []), state.get("version_pick") or "")
    if v is None or v.pick not in state["scenarios"]:
        return
    start = state["scenarios"][v.pick]
    state["pick"], state["start"] = v.pick, start
    state["settings"] = dict(v.settings)
    sync_widgets(state, start, state["settings"])
    state["_edit_label"] = f"Opened version {v.name}"


def _delete_version() -> None:
    state = st.session_state
    state[VERSIONS] = versions.remove(state.get(VERSIONS, []), state.get("version_pick") or "")
    state.pop("version_pick", None)


def versions_panel(state: Any, district: District) -> None:
    """Save the current settings as a named version; list this session's versions; open, download
    (scenario TOML, Excel workbook with the note on its Summary sheet) or delete one."""
    kept: list[versions.Version] = state.get(VERSIONS, [])
    with st.sidebar.expander("Versions"):  # one label: the expander stays open as versions are added
        st.text_input("Version name", key="version_name", placeholder="e.g. Trustee Lee's proposal")
        st.text_area("Note", key="version_note", height=80, placeholder="e.g. ELL 0.50, 2% floor")
        st.button("Save as version", on_click=_save_version, width="stretch", key="save_version")
        error = state.pop("_version_error", None)
        if error:
            st.error("The version was not saved.")
            st.text(error)
        saved = state.pop("_version_saved", None)
        if saved:
            st.success("Saved. Compare versions side by side in the Compare scenarios tab.")
        if not kept:
            return
        st.dataframe(pd.DataFrame([(v.name, v.note, state["scenarios"][v.pick].title if v.pick in state["scenarios"]
                                    else v.pick) for v in kept], columns=["Name", "Note", "Made on"]),
                     hide_index=True, width="stretch", key="versions_table")
        names = [v.name for v in kept]
        if state.get("version_pick") not in names:
            state["version_pick"] = names[-1]
        st.selectbox("Version", names, key="version_pick")
        v = versions.find(kept, state["version_pick"])
        left, right = st.columns(2)
        left.button("Open", on_click=_open_version, width="stretch", key="open_version",
                    help="Put this version's settings in the controls.")
        right.button("Delete", on_click=_delete_version, width="stretch", key="delete_version")
        stem = versions.file_stem(v.name)
        st.download_button("Scenario TOML", data=versions.version_toml(v), file_name=stem + ".toml",
                           mime="application/toml", on_click="ignore", width="stretch", key="version_toml",
                           icon=":material/download:")
        workbook = _workbook()
        if workbook is not None:
            st.download_button("Excel workbook", data=lambda: workbook(allocate(district, v.scenario), district),
                               file_name=stem + ".xlsx", on_click="ignore", width="stretch", key="version_xlsx",
                               mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               icon=":material/table:")


def _workbook():
    try:
        from ..export import workbook_bytes  # type: ignore[attr-defined]
    except ImportError:
        return None
    return workbook_bytes


def compare_pool(state: Any) -> dict[str, Scenario]:
    """The session's versions (keyed 'version:<name>', titled by the name) for the Compare tab."""
    return {v.key: v.scenario for v in state.get(VERSIONS, [])}


def compare_default(state: Any, default: list[str]) -> list[str]:
    """What the Compare tab first shows: with two versions or more, the current settings and the
    two latest versions; otherwise `default`."""
    kept = state.get(VERSIONS, [])
    return [default[0], *[v.key for v in kept[-2:]]] if len(kept) >= 2 else default


def version_notes(state: Any, picked: list[str]) -> None:
    """The notes of the versions being compared, as plain text."""
    kept = state.get(VERSIONS, [])
    lines = [f"{v.name}: {v.note}" for v in (versions.find(kept, k) for k in picked if k.startswith(versions.PREFIX))
             if v is not None and v.note]
    if lines:
        st.text("\n".join(lines))

