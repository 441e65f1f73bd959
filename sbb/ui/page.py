"""The page: sidebar controls, headline numbers and the result tabs (Streamlit).

Reading order follows the screen: `main` sets up the session, draws the sidebar (data, scenario,
controls), computes the allocation on the district's counts (never on the roster), then draws
either the working view (tabs) or the presentation view. Widgets that change only one part of the
page (the table search, the school picked for an explanation, the scenarios compared) live in
`st.fragment`s so they rerun only that part; the tabs run only the open one.
"""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from ..allocate import Allocation, allocate
from ..district import District
from ..explain import explain_all, explain_change
from ..problems import InputError
from ..report import allocation_csv, dollars
from ..scenario import Scenario, scenario_to_toml
from . import charts, design, theory
from .documents import district_name, document_buttons
from .controls import (GROUPS, changes, controls_for, reference_settings, render_control, scenario_from_settings,
                       settings_from_scenario, sync_widgets, visible)
from ..rounding_note import statutory_rounding_note
from ..figures import (BOARD_MEASURES, KINDS, LABELS, Figures, board_figures, board_sentence, change_text, count_text,
                       figure_text, signed)
from .presentation import equity_data, money_columns, school_table
from .problems_view import show_problems
from .story import WORKING_CSS, presentation_view
from .state import district_for, init_session, read_scenario_upload
from . import districts, workspace

GROUP_NAMES = {"funding": "Budget", "grades": "Grades", "needs": "Needs", "amounts": "School amounts",
               "limits": "Limits", "theory": "Central costs, phase-in"}
TABS = ("Schools", "Charts", "Equity", "Why did it change?", "Compare scenarios", "Theory of action", "Design")
CURRENT = "Current settings"



# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    """Draw the whole page for this run of the script."""
    state = st.session_state
    # presentation mode folds the control panel away (the arrow at the top left brings it back)
    st.set_page_config(page_title="Student-based budgeting simulator", layout="wide",
                       initial_sidebar_state="collapsed" if state.get("present") else "expanded")
    st.html(WORKING_CSS)  # card wrapping and whole scenario titles (style only, no space taken)
    init_session(state, sys.argv[1:] if argv is None else argv)
    districts.init_districts(state)  # the District picker's choice (and an address's example district)
    districts.apply_upload(state)  # files accepted on the run before: 'Your files'
    districts.guard(state)  # a scenario made for other data: the page goes back to one that fits
    district = current_district(state, state["start"])
    if district is None:
        return
    prior_total = float(np.nansum(district.prior))
    workspace.open_address(state, prior_total)  # a session's first run: the address's scenario and settings
    start: Scenario = state["start"]
    memo = state.get("_start_settings")
    if memo is None or memo[0] is not start or memo[1] != prior_total:
        memo = (start, prior_total, settings_from_scenario(start, prior_total), reference_settings(start, prior_total))
        state["_start_settings"] = memo
    if "settings" not in state:
        state["settings"] = dict(memo[2])
    districts.resync(state)
    reference = memo[3]
    present = sidebar(state, start, reference, prior_total)
    settings = state["settings"]
    workspace.show_address_message(state)
    edited = settings != memo[2]
    title = f"{start.title} (edited)" if edited else start.title
    try:
        scenario = scenario_from_settings(start, settings, title)
        allocation = allocate(district, scenario)
    except InputError as err:
        st.title(title)
        st.error("These settings cannot be allocated. Nothing else has changed; adjust a setting in the sidebar.")
        show_problems(err.table(), typed=True)
        return
    save_box(scenario)
    workspace.versions_panel(state, district)
    show_upload_errors(state)
    if present:
        presentation_view(allocation, district, figures_of(allocation, district),
                          weights_first(start, settings, changes(start, settings, reference)))
    else:
        working_view(state, allocation, district, start, settings, reference)


def current_district(state: Any, start: Scenario) -> District | None:
    """The session's district (read once per file content). If a newly picked scenario's weight
    table does not fit the data, go back to the previous scenario and say why; if even the starting
    files cannot be read, show their problems and return None."""
    startup_errors = state.pop("startup_errors", None)  # said once, on the first page
    if startup_errors is not None:
        st.warning("The scenario given on the command line could not be read; opened on the baseline instead.")
        show_problems(startup_errors)
    try:
        return district_for(state["source"], start.baseline)  # a progress bar while it first reads
    except InputError as err:
        previous = state.pop("last_good", None)
        if previous is not None and previous[1] is not start:
            st.error("This scenario's weight table does not fit the loaded data; the previous scenario is kept.")
            show_problems(err.table())
            state["pick"], state["start"] = previous
            state["settings"] = settings_from_scenario(previous[1], state.get("prior_total"))
            sync_widgets(state, previous[1], state["settings"])
            return current_district(state, previous[1])
        st.title("Student-based budgeting simulator")
        st.error("The district's files have problems; nothing was loaded. Fix these and start again.")
        show_problems(err.table())
        return None


# --------------------------------------------------------------------------------------------------
# Sidebar
# --------------------------------------------------------------------------------------------------

def _pick_scenario() -> None:
    """Callback: load the picked scenario's settings into the controls."""
    state = st.session_state
    start = state["scenarios"][state["pick"]]
    state["last_good"] = (state.get("pick_prev", state["pick"]), state["start"])
    state["start"] = start
    prior_total = state.get("prior_total")
    state["settings"] = settings_from_scenario(start, prior_total)
    sync_widgets(state, start, state["settings"])


def _go_to_baseline() -> None:
    """Callback: pick the shipped baseline scenario."""
    st.session_state["pick_prev"] = st.session_state["pick"]
    st.session_state["pick"] = "baseline.toml"
    _pick_scenario()


def _reset() -> None:
    """Callback: put every control back to the picked scenario's values."""
    state = st.session_state
    state["settings"] = settings_from_scenario(state["start"], state.get("prior_total"))
    sync_widgets(state, state["start"], state["settings"])
    state["_edit_label"] = "Reset"


def _scenario_upload() -> None:
    """Callback: read an uploaded scenario TOML; on success pick it, else keep everything and show why."""
    state = st.session_state
    file = state.get("scenario_file")
    if file is None:
        return
    try:
        scenario = read_scenario_upload(file.name, file.getvalue())
    except InputError as err:
        state["scenario_errors"] = err.table()
        return
    state.pop("scenario_errors", None)
    name = f"{file.name} (uploaded)"
    state["scenarios"] = {**state["scenarios"], name: scenario}
    state["pick"] = name
    _pick_scenario()


def sidebar(state: Any, start: Scenario, reference: dict, prior_total: float) -> bool:
    """Draw the sidebar; returns whether presentation mode is on. Controls write `state['settings']`."""
    state["prior_total"] = prior_total
    settings = state["settings"]
    sb = st.sidebar
    present = sb.toggle("Presentation mode", key="present",
                        help="Large type and only the numbers that matter, for a projector.")
    scenarios: dict[str, Scenario] = state["scenarios"]
    districts.district_picker(state)
    fit, elsewhere = districts.offered(state)  # only the scenarios whose weight table runs on this data
    # a list, not a drop-down: a drop-down's box cuts a long scenario title off on a projector
    sb.radio("Scenario", fit + ([state["pick"]] if state["pick"] not in fit else []), key="pick",
             on_change=_pick_scenario, format_func=lambda n: scenarios[n].title)
    if elsewhere:
        sb.caption(elsewhere)
    state["pick_prev"] = state["pick"]
    left, right = sb.columns(2)
    left.button("Reset", on_click=_reset, width="stretch",
                help="Put every control back to the picked scenario's values.")
    right.button("Baseline", width="stretch", help="Pick the baseline scenario.", on_click=_go_to_baseline,
                 disabled=state["pick"] == "baseline.toml" or "baseline.toml" not in fit)
    history_box = sb.container()  # undo and redo: filled once this run's edit is recorded
    diff_box = sb.container()  # filled after the controls, so it lists this run's values
    # one group of controls at a time: fewer widgets on the page keeps every change quick to draw
    if state.get("group") not in GROUP_NAMES:
        state["group"] = "needs"
    group = sb.segmented_control("Settings", list(GROUP_NAMES), format_func=GROUP_NAMES.get, key="group",
                                 required=True)
    with sb.container(border=True):
        st.markdown(f"**{dict(GROUPS)[group]}**")
        render_group(group, start, settings, reference, state)
    workspace.after_edit(state, start, state["_start_settings"][2])  # undo history and the address
    workspace.history_panel(state, history_box)
    diff = changes(start, settings, reference)
    if diff:
        with diff_box.expander(f"{len(diff)} change{'s' if len(diff) != 1 else ''} from the baseline"):
            for label, before, now in diff:  # lines, not a table: nothing is clipped in a narrow sidebar
                st.markdown(f"**{label}**: {before} → {now}")
    with sb.expander("Load a scenario file"):
        st.file_uploader("Scenario TOML", type=["toml"], key="scenario_file", on_change=_scenario_upload)
        if state.get("scenario_errors") is not None:
            st.error("That scenario file has problems; nothing was changed.")
            show_problems(state["scenario_errors"])
    upload_box(state, start)
    return bool(present)


def weights_first(start: Scenario, settings: dict, diff: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The changes with the weights first (what a board asks about), then the rest in control order."""
    weights = {c.label.replace("… ", "").replace(" ($)", "").replace(" (%)", "")
               for c in controls_for(start, per_grade=bool(settings.get("per_grade"))) if c.group in ("needs", "grades")}
    return sorted(diff, key=lambda change: change[0] not in weights)


def render_group(group: str, start: Scenario, settings: dict, reference: dict, state: Any) -> None:
    """Draw one group's controls in order; a toggle takes effect on the controls after it (for
    example 'Set each grade separately' swaps band controls for one per grade)."""
    i = 0
    per_grade = bool(settings.get("per_grade"))
    group_controls = [c for c in controls_for(start, per_grade=per_grade) if c.group == group]
    while i < len(group_controls):
        c = group_controls[i]
        i += 1
        if visible(c, settings):
            render_control(c, settings, reference, state, st)
        if c.key == "per_grade" and bool(settings.get("per_grade")) != per_grade:
            per_grade = not per_grade
            group_controls = [c for c in controls_for(start, per_grade=per_grade) if c.group == group]


def upload_box(state: Any, start: Scenario) -> None:
    """The data section: which files are loaded, and uploads (validated before anything changes)."""
    with st.sidebar.expander("District data", expanded=False):
        st.caption(f"Loaded: {state['source'].describe()}")
        with st.form("upload", clear_on_submit=False, border=False):
            schools = st.file_uploader("Schools file", type=["csv", "xlsx", "parquet"], key="up_schools")
            roster = st.file_uploader("Student roster", type=["csv", "xlsx", "parquet"], key="up_roster")
            counts = st.file_uploader("…or school counts", type=["csv", "xlsx", "parquet"], key="up_counts")
            submitted = st.form_submit_button("Check and load")
        if submitted:
            files = [(f.name, f.getvalue()) if f is not None else None for f in (schools, roster, counts)]
            result = districts.accept(state, start, files)  # another scenario's weights if only they fit
            if result.error is not None:
                state["upload_errors"] = result.error.table()
            else:
                state.pop("upload_errors", None)
                st.rerun()  # the files become 'Your files' at the top of the next run


def show_upload_errors(state: Any) -> None:
    if state.get("upload_errors") is not None:
        st.error(f"The upload has problems, so nothing was replaced: still showing {state['source'].describe()} "
                 "with your settings.")
        show_problems(state["upload_errors"])
        if st.button("Dismiss"):
            state.pop("upload_errors", None)
            st.rerun()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "scenario"


def saved_toml(scenario: Scenario, title: str = "") -> str:
    """The current settings as scenario TOML text under `title` (what 'Save these settings' downloads)."""
    return scenario_to_toml(replace(scenario, title=title.strip() or scenario.title))


def save_box(scenario: Scenario) -> None:
    """Save the current settings as a scenario TOML (download)."""
    with st.sidebar.expander("Save these settings"):
        title = st.text_input("Title", value=scenario.title, key="save_title")
        st.download_button("Download scenario TOML", data=saved_toml(scenario, title),
                           file_name=_slug(title or scenario.title) + ".toml", mime="application/toml",
                           on_click="ignore", width="stretch")


# --------------------------------------------------------------------------------------------------
# Working view
# --------------------------------------------------------------------------------------------------

def figures_of(allocation: Allocation, district: District) -> Figures:
    """The figures of this run's allocation, computed once per allocation (every view reads them)."""
    state = st.session_state
    memo = state.get("_figures")
    if memo is None or memo[0] is not allocation:
        memo = (allocation, board_figures(allocation, district))
        state["_figures"] = memo
    return memo[1]


def metrics(h: Figures) -> None:
    """The headline numbers as a row of cards (they wrap onto a second row on a narrow screen)."""
    cents = h.cents
    with st.container(key="headline"):
        cols = st.columns(6)
        change = change_text(h.total, h.prior_total, "money")
        cols[0].metric("Total to schools", dollars(h.total, cents),
                       change if change == "same as last year" else f"{change} vs last year",
                       delta_color="off", delta_arrow="off", border=True)
        cols[1].metric("Base per weighted pupil", dollars(h.base, True), border=True)
        cols[2].metric("Schools gaining / losing", f"{h.gaining:,} / {h.losing:,}",
                       f"of {count_text(h.schools, 'school')}" + (f" · {h.new_schools:,} new" if h.new_schools else "")
                       + (f" · {h.unchanged:,} unchanged" if h.unchanged else ""),
                       delta_color="off", delta_arrow="off", border=True,
                       help=f"{h.counts_text()}: {h.schools:,} in all. A new school has no last year to gain "
                            "or lose against.")
        cols[3].metric("Biggest loss", dollars(h.biggest_loss) if h.biggest_loss else "none",
                       f"{h.biggest_loss_pct:.1f}% · {h.biggest_loser}" if h.biggest_loser else "no school loses",
                       delta_color="off", delta_arrow="off", border=True)
        cols[4].metric("Hold-harmless cost", dollars(h.hold_harmless_cost),
                       h.floor_text(), delta_color="off", delta_arrow="off",
                       border=True)
        if h.quartile_ratio is not None:
            change = change_text(h.quartile_ratio, h.quartile_ratio_prior, "ratio")
            change = change + " vs last year" if change and change != "same as last year" else change
            cols[5].metric(LABELS["quartile_ratio"], figure_text(h.quartile_ratio, "ratio"), change or None,
                           border=True, delta_color="off", delta_arrow="off",
                           help="Dollars per pupil of the poorest quarter of pupils over the least poor quarter's "
                                "(schools ranked by poverty share). Above 1: money follows need. This year: every "
                                "school; last year: the schools that had an allocation.")


def working_view(state: Any, allocation: Allocation, district: District, start: Scenario, settings: dict,
                 reference: dict) -> None:
    st.title(allocation.scenario.title)
    s = allocation.scenario
    h = figures_of(allocation, district)
    mode = ("shares a fixed budget" if s.mode == "budget_neutral" else "sets the base per weighted pupil")
    year = f" · showing year 1 of a {h.phase_in_years}-year phase-in" if h.phase_in_years > 1 else ""
    st.caption(f"{count_text(h.schools, 'school')} · {h.pupils:,.0f} pupils · "
               f"data: {state['source'].describe()} · this scenario {mode}{year}.")
    metrics(h)
    rounding = statutory_rounding_note(s)  # how the weight table's statutory rounding was applied
    if rounding:
        st.caption(rounding)
    tabs = st.tabs(list(TABS), key="tab", on_change="rerun")
    renderers = (schools_tab, charts_tab, equity_tab, explain_tab, compare_tab, theory.render, design.render)
    for i, (tab, render) in enumerate(zip(tabs, renderers)):
        with tab:  # only the open tab is computed (the first one also before any tab state exists)
            if tab.open or (i == 0 and tab.open is None):
                render(allocation, district)


def money_column(cents: bool = False, **kwargs) -> Any:
    """A table column of dollars written as `dollars` writes them: '-$32,357' (the browser's currency
    format, whole dollars unless `cents`)."""
    return st.column_config.NumberColumn(format="dollar", step=0.01 if cents else 1, **kwargs)


def money_config(table: pd.DataFrame, cents: bool = False) -> dict:
    config = {c: money_column(cents) for c in money_columns(table)}
    config["Change %"] = st.column_config.NumberColumn(format="%+.2f%%")
    config["Pupils"] = st.column_config.NumberColumn(format="%,d")
    config["Weighted pupils"] = st.column_config.NumberColumn(format="%,.2f")
    return config


@st.fragment
def schools_tab(allocation: Allocation, district: District) -> None:
    """Per-school table with a search box (reruns only this part), and the downloads."""
    left, every, mid, right = st.columns([2.2, 1.6, 1.3, 1.3], vertical_alignment="bottom")
    search = left.text_input("Find a school (name or ID)", key="search", placeholder="e.g. Central or S012")
    every_column = every.toggle("Formula parts too", key="every_column",
                                help="Also show weighted pupils, base, need, foundation and the other parts.")
    mid.download_button("Allocation CSV", data=lambda: allocation_csv(allocation),
                        file_name=_slug(allocation.scenario.title) + ".csv", mime="text/csv", on_click="ignore",
                        width="stretch", icon=":material/download:")
    workbook = _workbook_function()
    if workbook is not None:
        source = st.session_state.get("source")
        about = {"district_name": district_name(st.session_state),
                 "sources": {k: getattr(source, k, None) for k in ("schools", "roster", "counts")}}
        right.download_button("Excel workbook", data=lambda: workbook(allocation, district, **about),
                              file_name=_slug(allocation.scenario.title) + ".xlsx",
                              mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                              on_click="ignore", width="stretch", icon=":material/table:")
    table = school_table(allocation, search, every_column)
    st.dataframe(table, hide_index=True, width="stretch", height=560, key="school_table", placeholder="—",
                 column_config=money_config(table, allocation.scenario.rounding == "cents"))
    st.caption(f"{len(table):,} of {len(allocation.table):,} schools. Click a column heading to sort. "
               "Hold-harmless added is what the floor adds; gains cap removed is what the cap takes back.")
    document_buttons(allocation, district)  # PDFs: every school's statement, the board handout


def _workbook_function():
    """`sbb.export.workbook_bytes` when the export module is installed, else None (button hidden)."""
    try:
        from ..export import workbook_bytes  # type: ignore[attr-defined]
    except ImportError:
        return None
    return workbook_bytes


def charts_tab(allocation: Allocation, district: District, big: bool = False) -> None:
    t = allocation.table
    left, right = st.columns(2)
    with left:
        st.markdown("**Change against last year, every school**")
        st.altair_chart(charts.delta_bars(t, big=big, name_most=3), width="stretch", key="chart_delta")
    eq = equity_data(allocation, district)
    if eq is None:
        right.info("Equity charts need a poverty flag in the weights and dollars in every school with pupils.")
        return
    with right:
        st.markdown("**Dollars per pupil against school poverty** (line: enrollment-weighted trend)")
        st.altair_chart(charts.poverty_chart(eq.scatter, eq.trend, big=big), width="stretch")
    left, right = st.columns(2)
    with left:
        st.markdown("**Lorenz curve of dollars per pupil**")
        st.altair_chart(charts.lorenz_chart(eq.lorenz, big=big), width="stretch")
    with right:
        st.markdown("**Dollars per pupil by poverty quarter of pupils**")
        st.altair_chart(charts.quartile_chart(eq.quartiles, big=big), width="stretch")
    if eq.left_out:
        st.caption(f"This scenario: all {count_text(len(t), 'school')}; last year: the {len(t) - eq.left_out:,} "
                   "that had an allocation.")


def equity_tab(allocation: Allocation, district: District) -> None:
    """The equity measures against last year: the few a board reads first, in plain words; the full
    report (per pupil and per weighted pupil) folded away."""
    f = figures_of(allocation, district)
    eq = equity_data(allocation, district, f)
    if eq is None:
        st.info("Equity measures need a poverty flag in the weights and dollars in every school with pupils.")
        return
    cols = st.container(key="equity_cards").columns(len(BOARD_MEASURES))
    sentences = [board_sentence(key, *f.measure(key)) for key in BOARD_MEASURES]
    for col, key, sentence in zip(cols, BOARD_MEASURES, sentences):
        now, last = f.measure(key)
        change = change_text(now, last, KINDS[key])
        col.metric(LABELS[key], figure_text(now, KINDS[key]),
                   (change + " vs last year") if change and change != "same as last year" else (change or None),
                   delta_color="off", delta_arrow="off", border=True, help=sentence)
    st.markdown("\n".join(f"- {s.replace('$', chr(92) + '$')}" for s in sentences))
    st.caption(f"This scenario: all {count_text(len(allocation.table), 'school')}; last year: the "
               f"{len(allocation.table) - eq.left_out:,} that had an allocation, on this year's pupils.")
    with st.expander("Every measure: spread, inequality indices, per weighted pupil"):
        for basis, heading in (("per pupil", "Dollars per pupil"), ("per weighted pupil", "Dollars per weighted pupil")):
            part = eq.table[eq.table["Basis"] == basis].drop(columns=["Basis", "key"])
            if len(part):
                st.markdown(f"**{heading}**")
                st.table(part.set_index("Measure"))


@st.fragment
def explain_tab(allocation: Allocation, district: District) -> None:
    """Pick a school; its change against last year split into parts that add up exactly."""
    t = allocation.table
    state = st.session_state
    memo = state.get("_explain")
    if memo is None or memo[0] is not allocation:
        memo = (allocation, explain_all(district, allocation.scenario, allocation))
        state["_explain"] = memo
    order = t.assign(loss=t["delta"].fillna(0)).sort_values("loss", kind="stable")
    options = order["school_id"].tolist()
    names = dict(zip(t["school_id"], t["school_name"]))
    school = st.selectbox("School", options, key="explain_school",
                          format_func=lambda i: f"{names[i]} ({i})", help="Sorted from the biggest loss.")
    if school is None:
        return
    parts = explain_change(district, allocation.scenario, allocation, school, memo[1])
    row = t.loc[t["school_id"] == school].iloc[0]
    prior = None if pd.isna(row["prior_allocation"]) else float(row["prior_allocation"])
    cents = allocation.scenario.rounding == "cents"
    if parts.attrs.get("new_school"):
        st.markdown(f"**{names[school]}** is new this year: its allocation of {dollars(row['allocation'], cents)} "
                    "is made of these parts.")
    else:
        st.markdown(f"**{names[school]}**: {dollars(prior, cents)} last year → {dollars(row['allocation'], cents)} "
                    f"this year, a change of **{signed(parts.attrs['delta'], cents)}**.")
    steps = charts.explain_steps(parts, parts.attrs["delta"], bool(parts.attrs.get("new_school")))
    st.altair_chart(charts.waterfall(steps), width="stretch")
    show = parts.assign(dollars=parts["dollars"].map(lambda v: signed(v, cents)))
    st.table(show.rename(columns={"part": "Part", "dollars": "Dollars", "detail": "How"}).set_index("Part"))
    st.caption("The parts add up exactly to the change. Weight changes are priced at the baseline's base per "
               "weighted pupil; the base line prices this year's weighted pupils at the change in the base.")
    document_buttons(allocation, district, school)  # this school's statement as a PDF


@st.fragment
def compare_tab(allocation: Allocation, district: District) -> None:
    """Two or three scenarios side by side on the same district: totals, equity, per-school changes."""
    state = st.session_state
    fit, _ = districts.offered(state)  # the scenarios that run on this district
    scenarios: dict[str, Scenario] = {**workspace.compare_pool(state),
                                      **{n: state["scenarios"][n] for n in fit}}  # versions first
    options = [CURRENT, *scenarios]
    default = [CURRENT] + [n for n in ("ell_050_hold_harmless.toml", "poverty_030.toml") if n in scenarios][:1]
    default = workspace.compare_default(state, default)  # the latest versions, once there are two
    picked = st.multiselect("Scenarios to compare (up to three)", options, default=default, max_selections=3,
                            key="compare", format_func=lambda n: n if n == CURRENT else scenarios[n].title)
    if not picked:
        return
    results: dict[str, Allocation] = {}
    for name in picked:
        label = allocation.scenario.title if name == CURRENT else scenarios[name].title
        if label in results:
            label = f"{label} ({name})"
        if name == CURRENT:
            results[label] = allocation
            continue
        try:
            results[label] = allocate(district, scenarios[name])
        except InputError as err:
            st.warning(f"{scenarios[name].title} cannot be allocated on this district.")
            show_problems(err.table())
    if not results:
        return
    workspace.version_notes(state, picked)
    st.markdown("**Totals**")
    st.table(compare_totals(results, district))  # a table, not a grid: long scenario titles wrap, whole
    figures = {k: (figures_of(a, district) if a is allocation else board_figures(a, district))
               for k, a in results.items()}
    first = next(iter(results.values()))
    table = compare_equity(figures)
    if table is not None:
        st.markdown("**Equity (dollars per pupil; last year: the schools that had an allocation)**")
        st.table(table.set_index("Measure"))
    st.markdown("**Change against last year, per school**")
    # the grid's headers cannot wrap: short numbered names there, the whole titles in the caption
    # (and in each header's tooltip)
    numbered = {k: f"Change {i}" for i, k in enumerate(results, 1)}
    wide = first.table[["school_id", "school_name", "prior_allocation"]].copy()
    for k, a in results.items():
        wide[numbered[k]] = a.table.set_index("school_id")["delta"].reindex(wide["school_id"]).to_numpy()
    wide = wide.rename(columns={"school_id": "School ID", "school_name": "School", "prior_allocation": "Last year"})
    config = {"Last year": money_column()} | {c: money_column(help=k) for k, c in numbered.items()}
    st.dataframe(wide, hide_index=True, width="stretch", height=420, placeholder="—", column_config=config)
    st.caption(" · ".join(f"{c}: {k}" for k, c in numbered.items()) +
               ". A new school has no last year, so no change against it.")


def compare_equity(figures: dict[str, Figures]) -> pd.DataFrame | None:
    """The board's equity measures of several scenarios beside last year's, as shown elsewhere."""
    first = next(iter(figures.values()))
    if first.equity is None:
        return None
    rows = []
    for key in BOARD_MEASURES:
        row = {"Measure": LABELS[key], "Last year": figure_text(first.measure(key)[1], KINDS[key])}
        for name, f in figures.items():
            row[name] = figure_text(f.measure(key)[0], KINDS[key])
        rows.append(row)
    return pd.DataFrame(rows)


def compare_totals(results: dict[str, Allocation], district: District) -> pd.DataFrame:
    """Headline numbers of several allocations side by side (one column each, text for reading)."""
    rows: dict[str, dict[str, str]] = {}
    for name, a in results.items():
        h = board_figures(a, district)
        rows[name] = {
            "Total to schools": dollars(h.total),
            "Base per weighted pupil": dollars(h.base, True),
            "Schools gaining": f"{h.gaining:,}",
            "Schools losing": f"{h.losing:,}",
            "Schools unchanged": f"{h.unchanged:,}",
            "New schools": f"{h.new_schools:,}",
            "Biggest loss": (f"{dollars(h.biggest_loss)} ({h.biggest_loss_pct:.1f}% · {h.biggest_loser})"  # as its card
                             if h.biggest_loss else "none"),
            "Hold-harmless cost": dollars(h.hold_harmless_cost),
            LABELS["quartile_ratio"]: figure_text(h.quartile_ratio, "ratio"),
        }
    return pd.DataFrame(rows)
