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
from ..equity import equity_report
from ..explain import explain_all, explain_change
from ..problems import InputError
from ..report import allocation_csv, dollars
from ..scenario import Scenario, scenario_to_toml
from . import charts, design, theory
from .documents import district_name, document_buttons
from .controls import (GROUPS, changes, controls_for, reference_settings, render_control, scenario_from_settings,
                       settings_from_scenario, sync_widgets, visible)
from .presentation import Headline, equity_data, headline, money_columns, poor_pupils, school_table, signed
from .state import accept_upload, district_for, init_session, read_scenario_upload
from . import workspace

GROUP_NAMES = {"funding": "Budget", "grades": "Grades", "needs": "Needs", "amounts": "School amounts",
               "limits": "Limits", "theory": "Central costs, phase-in"}
TABS = ("Schools", "Charts", "Equity", "Why did it change?", "Compare scenarios", "Theory of action", "Design")
CURRENT = "Current settings"

PRESENTATION_CSS = """
<style>
[data-testid="stAppViewContainer"] .block-container {padding-top: 3.2rem; max-width: 100%;}
.sbb-title {font-size: 2.6rem; font-weight: 700; color: #000; margin: 0 0 .2rem 0; line-height: 1.15;}
.sbb-sub {font-size: 1.4rem; color: #222; margin-bottom: 1rem;}
.sbb-cards {display: grid; grid-template-columns: repeat(6, 1fr); gap: 14px; margin-bottom: 1rem;}
.sbb-card {background: #0b1f3a; color: #fff; border-radius: 10px; padding: 14px 18px;}
.sbb-card .label {font-size: 1.25rem; opacity: .92; line-height: 1.2;}
.sbb-card .value {font-size: 2.7rem; font-weight: 800; line-height: 1.15; margin-top: .2rem;
  font-variant-numeric: tabular-nums;}
.sbb-card .note {font-size: 1.1rem; opacity: .92; margin-top: .15rem;}
.sbb-card.loss {background: #8e1b1b;} .sbb-card.gain {background: #14602a;}
.sbb-chart-title {font-size: 1.6rem; font-weight: 700; color: #000; margin: .4rem 0 0 0;}
</style>
"""


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    """Draw the whole page for this run of the script."""
    st.set_page_config(page_title="Student-based budgeting simulator", layout="wide",
                       initial_sidebar_state="expanded")
    state = st.session_state
    init_session(state, sys.argv[1:] if argv is None else argv)
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
        st.dataframe(err.table(), hide_index=True, width="stretch")
        return
    save_box(scenario)
    workspace.versions_panel(state, district)
    show_upload_errors(state)
    if present:
        presentation_view(allocation, district)
    else:
        working_view(state, allocation, district, start, settings, reference)


def current_district(state: Any, start: Scenario) -> District | None:
    """The session's district (read once per file content). If a newly picked scenario's weight
    table does not fit the data, go back to the previous scenario and say why; if even the starting
    files cannot be read, show their problems and return None."""
    startup_errors = state.pop("startup_errors", None)  # said once, on the first page
    if startup_errors is not None:
        st.warning("The scenario given on the command line could not be read; opened on the baseline instead.")
        st.dataframe(startup_errors, hide_index=True, width="stretch")
    try:
        return district_for(state["source"], start.baseline)  # a progress bar while it first reads
    except InputError as err:
        previous = state.pop("last_good", None)
        if previous is not None and previous[1] is not start:
            st.error("This scenario's weight table does not fit the loaded data; the previous scenario is kept.")
            st.dataframe(err.table(), hide_index=True, width="stretch")
            state["pick"], state["start"] = previous
            state["settings"] = settings_from_scenario(previous[1], state.get("prior_total"))
            sync_widgets(state, previous[1], state["settings"])
            return current_district(state, previous[1])
        st.title("Student-based budgeting simulator")
        st.error("The district's files have problems; nothing was loaded. Fix these and start again.")
        st.dataframe(err.table(), hide_index=True, width="stretch")
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
    sb.selectbox("Scenario", list(scenarios), key="pick", on_change=_pick_scenario,
                 format_func=lambda n: f"{scenarios[n].title}  ·  {n}")
    state["pick_prev"] = state["pick"]
    left, right = sb.columns(2)
    left.button("Reset", on_click=_reset, width="stretch",
                help="Put every control back to the picked scenario's values.")
    right.button("Baseline", width="stretch", help="Pick the baseline scenario.", on_click=_go_to_baseline,
                 disabled=state["pick"] == "baseline.toml" or "baseline.toml" not in scenarios)
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
            st.dataframe(pd.DataFrame(diff, columns=["Setting", "Baseline", "Now"]), hide_index=True,
                         width="stretch")
    with sb.expander("Load a scenario file"):
        st.file_uploader("Scenario TOML", type=["toml"], key="scenario_file", on_change=_scenario_upload)
        if state.get("scenario_errors") is not None:
            st.error("That scenario file has problems; nothing was changed.")
            st.dataframe(state["scenario_errors"], hide_index=True)
    upload_box(state, start)
    return bool(present)


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
            result = accept_upload(state["source"], start.baseline, *files, loader=district_for)
            if result.error is not None:
                state["upload_errors"] = result.error.table()
            else:
                state.pop("upload_errors", None)
                state["source"] = result.source
                st.rerun()


def show_upload_errors(state: Any) -> None:
    if state.get("upload_errors") is not None:
        st.error(f"The upload has problems, so nothing was replaced: still showing {state['source'].describe()} "
                 "with your settings.")
        st.dataframe(state["upload_errors"], hide_index=True, width="stretch")
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

def metrics(h: Headline, cents: bool = False) -> None:
    """The headline numbers as a row of metrics."""
    cols = st.columns([1.45, 1.05, 1, 1.1, 1.2, 1.05])
    change = h.total - h.prior_total
    cols[0].metric("Total to schools", dollars(h.total, cents),
                   "same as last year" if round(change, 2) == 0 else signed(change, cents) + " vs last year",
                   delta_color="off", delta_arrow="off", border=True)
    cols[1].metric("Base per weighted pupil", dollars(h.base, True), border=True)
    cols[2].metric("Schools gaining / losing", f"{h.gaining:,} / {h.losing:,}",
                   f"{h.schools:,} schools" + (f", {h.new_schools:,} new" if h.new_schools else ""),
                   delta_color="off", delta_arrow="off", border=True)
    cols[3].metric("Biggest loss", dollars(h.biggest_loss), f"{h.biggest_loss_pct:.1f}% · {h.biggest_loser}"
                   if h.biggest_loser else "no school loses", delta_color="off", delta_arrow="off", border=True)
    cols[4].metric("Hold-harmless cost", dollars(h.hold_harmless_cost),
                   f"{h.schools_at_floor} schools at the floor", delta_color="off", delta_arrow="off", border=True)
    if h.quartile_ratio is not None:
        change = None
        if h.quartile_ratio_prior is not None and h.quartile_ratio_same_schools is not None:
            moved = round(h.quartile_ratio_same_schools - h.quartile_ratio_prior, 3)
            change = "same as last year" if moved == 0 else f"{moved:+.3f} vs last year"
        still = change == "same as last year"
        cols[5].metric("Poverty quarter ratio", f"{h.quartile_ratio:.3f}", change, border=True,
                       delta_color="off" if still else "normal", delta_arrow="off" if still else "auto",
                       help="Dollars per pupil of the poorest quarter of pupils over the least poor quarter's "
                            "(schools ranked by poverty share). Above 1: money follows need.")


def working_view(state: Any, allocation: Allocation, district: District, start: Scenario, settings: dict,
                 reference: dict) -> None:
    st.title(allocation.scenario.title)
    s = allocation.scenario
    mode = ("shares a fixed budget" if s.mode == "budget_neutral" else "sets the base per weighted pupil")
    st.caption(f"{len(district.schools):,} schools · {allocation.table['enrollment'].sum():,.0f} pupils · "
               f"data: {state['source'].describe()} · this scenario {mode}.")
    h = headline(allocation, district)
    metrics(h, s.rounding == "cents")
    tabs = st.tabs(list(TABS), key="tab", on_change="rerun")
    renderers = (schools_tab, charts_tab, equity_tab, explain_tab, compare_tab, theory.render, design.render)
    for i, (tab, render) in enumerate(zip(tabs, renderers)):
        with tab:  # only the open tab is computed (the first one also before any tab state exists)
            if tab.open or (i == 0 and tab.open is None):
                render(allocation, district)


def money_config(table: pd.DataFrame, cents: bool = False) -> dict:
    fmt = "dollar" if cents else "$%,.0f"
    config = {c: st.column_config.NumberColumn(format=fmt) for c in money_columns(table)}
    for label in ("Change", "Change from the formula", "Change from enrollment moves"):
        if label in config:
            config[label] = st.column_config.NumberColumn(format="%+,.2f" if cents else "%+,.0f")
    config["Change %"] = st.column_config.NumberColumn(format="%+.2f%%")
    config["Pupils"] = st.column_config.NumberColumn(format="%,d")
    config["Weighted pupils"] = st.column_config.NumberColumn(format="%,.2f")
    return config


@st.fragment
def schools_tab(allocation: Allocation, district: District) -> None:
    """Per-school table with a search box (reruns only this part), and the downloads."""
    left, every, mid, right = st.columns([3, 1, 1, 1], vertical_alignment="bottom")
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
    st.dataframe(table, hide_index=True, width="stretch", height=560, key="school_table",
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
        st.altair_chart(charts.delta_bars(t, big=big), width="stretch", key="chart_delta")
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
        st.caption(f"Lorenz and quarter charts compare the {len(t) - eq.left_out} schools that had a budget last year.")


def equity_tab(allocation: Allocation, district: District) -> None:
    """The equity report against last year: per pupil (horizontal and vertical), then per weighted pupil."""
    eq = equity_data(allocation, district)
    if eq is None:
        st.info("Equity measures need a poverty flag in the weights and dollars in every school with pupils.")
        return
    if eq.left_out:
        st.caption(f"{eq.left_out} new school(s) left out so both years cover the same schools and pupils.")
    for basis, heading in (("per pupil", "Dollars per pupil"), ("per weighted pupil", "Dollars per weighted pupil")):
        part = eq.table[eq.table["Basis"] == basis].drop(columns="Basis")
        if len(part):
            st.subheader(heading)
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
    scenarios: dict[str, Scenario] = {**workspace.compare_pool(state), **state["scenarios"]}  # versions first
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
            st.warning(f"{scenarios[name].title} cannot be allocated on this district: {err.message()}")
    if not results:
        return
    workspace.version_notes(state, picked)
    st.markdown("**Totals**")
    st.dataframe(compare_totals(results, district), width="stretch")
    poor = poor_pupils(district, allocation.scenario)
    first = next(iter(results.values()))
    prior = first.table["prior_allocation"].to_numpy(dtype=float)
    had = ~np.isnan(prior)
    same_pupils = all(np.array_equal(a.table["enrollment"].to_numpy(), first.table["enrollment"].to_numpy())
                      for a in results.values())
    if poor is not None and same_pupils:
        try:
            report = equity_report({"Last year": prior[had], **{k: a.table["allocation"].to_numpy(dtype=float)[had]
                                                                for k, a in results.items()}},
                                   first.table["enrollment"].to_numpy(dtype=float)[had],
                                   first.table["weighted_enrollment"].to_numpy(dtype=float)[had], poor[had])
        except ValueError:
            report = None
        if report is not None:
            keep = ["cv", "mcloone", "gini", "poor_ratio", "poverty_slope_per_10pts", "quartile_ratio"]
            r = report[(report["basis"] == "per pupil") & report["measure"].isin(keep)]
            st.markdown("**Equity (dollars per pupil, schools that had a budget last year)**")
            st.dataframe(r[["label", "Last year", *results]].rename(columns={"label": "Measure"}).round(4),
                         hide_index=True, width="stretch")
    st.markdown("**Change against last year, per school**")
    wide = first.table[["school_id", "school_name", "prior_allocation"]].copy()
    for k, a in results.items():
        wide[k] = a.table.set_index("school_id")["delta"].reindex(wide["school_id"]).to_numpy()
    wide = wide.rename(columns={"school_id": "School ID", "school_name": "School", "prior_allocation": "Last year"})
    st.dataframe(wide, hide_index=True, width="stretch", height=420,
                 column_config={c: st.column_config.NumberColumn(format="$%,.0f") for c in ["Last year", *results]})


def compare_totals(results: dict[str, Allocation], district: District) -> pd.DataFrame:
    """Headline numbers of several allocations side by side (one column each, text for reading)."""
    rows: dict[str, dict[str, str]] = {}
    for name, a in results.items():
        h = headline(a, district)
        rows[name] = {
            "Total to schools": dollars(h.total),
            "Base per weighted pupil": dollars(h.base, True),
            "Schools gaining": f"{h.gaining:,}",
            "Schools losing": f"{h.losing:,}",
            "Biggest loss": f"{dollars(h.biggest_loss)} ({h.biggest_loss_pct:.1f}%)",
            "Hold-harmless cost": dollars(h.hold_harmless_cost),
            "Poorest / least-poor quarter": "—" if h.quartile_ratio is None else f"{h.quartile_ratio:.3f}",
        }
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# Presentation view
# --------------------------------------------------------------------------------------------------

def presentation_view(allocation: Allocation, district: District) -> None:
    """Large type, the few numbers that matter, two high-contrast charts."""
    st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
    h = headline(allocation, district)
    s = allocation.scenario
    st.markdown(f'<div class="sbb-title">{_html(s.title)}</div>'
                f'<div class="sbb-sub">{h.schools:,} schools · {allocation.table["enrollment"].sum():,.0f} pupils · '
                f'base {dollars(h.base, True)} per weighted pupil</div>', unsafe_allow_html=True)
    cards = "".join(f'<div class="sbb-card {kind}"><div class="label">{_html(label)}</div>'
                    f'<div class="value">{_html(value)}</div><div class="note">{_html(note)}</div></div>'
                    for label, value, note, kind in key_numbers(h))
    st.markdown(f'<div class="sbb-cards" data-testid="sbb-cards">{cards}</div>', unsafe_allow_html=True)
    left, right = st.columns([3, 2])
    with left:
        st.markdown('<div class="sbb-chart-title">Every school\'s change against last year</div>',
                    unsafe_allow_html=True)
        st.altair_chart(charts.delta_bars(allocation.table, big=True, height=600), width="stretch", theme=None)
    eq = equity_data(allocation, district)
    with right:
        if eq is not None:
            st.markdown('<div class="sbb-chart-title">Dollars per pupil, least poor to poorest quarter</div>',
                        unsafe_allow_html=True)
            st.altair_chart(charts.quartile_chart(eq.quartiles, big=True, height=600), width="stretch", theme=None)


def _html(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def key_numbers(h: Headline) -> list[tuple[str, str, str, str]]:
    """The presentation cards: (label, value, note, style) for total, gaining, losing, biggest loss,
    hold-harmless cost and the headline equity ratio."""
    change = h.total - h.prior_total
    out = [
        ("Total to schools", f"${h.total / 1e6:,.1f}M", "same as last year" if round(change) == 0
         else f"{signed(change)} vs last year", ""),
        ("Schools gaining", f"{h.gaining:,}", f"of {h.schools:,}" + (f" ({h.new_schools:,} new)" if h.new_schools else ""),
         "gain"),
        ("Schools losing", f"{h.losing:,}", f"of {h.schools:,}", "loss"),
        ("Biggest loss", dollars(h.biggest_loss) if h.biggest_loss else "none",
         f"{h.biggest_loss_pct:.1f}% · {h.biggest_loser}" if h.biggest_loser else "no school loses", "loss"),
        ("Hold-harmless cost", dollars(h.hold_harmless_cost), f"{h.schools_at_floor} schools at the floor", ""),
    ]
    if h.quartile_ratio is not None:
        before = f"last year {h.quartile_ratio_prior:.2f}" if h.quartile_ratio_prior is not None else ""
        out.append(("Poorest ÷ least-poor quarter", f"{h.quartile_ratio:.2f}×", before, ""))
    return out
