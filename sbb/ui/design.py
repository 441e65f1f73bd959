"""The Design tab: solve for a target, map two settings as a heatmap, propose weights (Streamlit).

Each answer is computed by `sbb.design` when its button is pressed and kept in the session; an
"Apply" button (or a click on a heatmap cell) writes the values into the sidebar settings, so the
whole page then shows that scenario. Nothing here computes a figure: it formats what `sbb.design`
returns.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from ..allocate import Allocation
from ..explain import level_label, need_label
from ..figures import LABELS
from ..district import District
from ..design.optimise import optimise, parse_condition
from ..design.params import parameter, values_text, with_values
from ..design.solve_for import FIGURE_OF_RESULT, OutOfReach, setting_text, show, show_value, solve_for
from ..design.sweep import Axis, sweep
from ..design.params import linspace
from ..design.target import RESULTS, Evaluator
from ..problems import InputError
from ..scenario import Scenario, scenario_to_toml
from .controls import settings_from_scenario, sync_widgets

RESULT_CHOICES = ["poverty_quartile_ratio", "gini", "mcloone", "hold_harmless_cost", "schools_losing",
                  "schools_gaining", "biggest_loss_pct", "biggest_loss", "base_per_weighted_pupil", "poor_ratio"]


def setting_keys(s: Scenario) -> list[str]:
    """The settings the tab offers: every need weight, the foundation amount, the budget (when
    shared) and the two hold-harmless limits."""
    keys = [c.key for c in s.weights.categories()]  # one per grade band where a weight varies by band
    keys.append("foundation.per_school")
    if s.mode == "budget_neutral":
        keys.append("funding.budget")
    return keys + ["hold_harmless.max_loss_pct", "hold_harmless.max_gain_pct"]


# Results that are board figures read with the figure's own name (the cards', the Equity tab's)
def result_label(name: str) -> str:
    """A result in the page's words: the board figure's name where it is one ('Poorest ÷ least-poor
    quarter', as on the cards), otherwise the result's description capitalised; never its key."""
    if name in FIGURE_OF_RESULT:
        return LABELS[FIGURE_OF_RESULT[name]]
    if name not in RESULTS:
        return name
    label = RESULTS[name].label
    return label[0].upper() + label[1:]


_label = result_label


def result_text(name: str, x: float) -> str:
    """A result's value as the rest of the page writes it (`sbb.design.solve_for.show`: the quartile
    ratio '1.200', as on its card; the biggest loss in percent to one decimal, '16.6%')."""
    return show(RESULTS[name], x)


def value_text(key: str, v: float | None) -> str:
    """A setting's value as the sidebar writes it ('0.40', '3.0%', '$256,512,266'); '—' when not set."""
    if v is None:
        return "—"
    kind = "budget" if key == "funding.budget" else "limit" if key.startswith("hold_harmless.") else "weights"
    return setting_text(kind, v)


def setting_label(key: str) -> str:
    """A setting in finance officers' words, with its key: 'English learners weight (needs.ell.weight)'."""
    parts = key.split(".")
    if parts[0] == "needs" and parts[-1] == "weight":
        words = f"{need_label(parts[1])} weight"
    elif parts[0] == "needs" and len(parts) == 4 and parts[2] == "weight":  # a grade band
        words = f"{need_label(parts[1])} weight, grades {parts[3]}"
    elif parts[0] == "needs" and len(parts) == 4:
        words = f"{need_label(parts[1])}: {level_label(parts[3])} weight"
    elif parts[0] == "needs" and len(parts) == 5:
        words = f"{need_label(parts[1])}: {level_label(parts[3])} weight, grades {parts[4]}"
    else:
        words = {"foundation.per_school": "Foundation per school ($)", "funding.budget": "Budget ($)",
                 "hold_harmless.max_loss_pct": "Most a school may lose (%)",
                 "hold_harmless.max_gain_pct": "Most a school may gain (%)"}.get(key, key)
    return f"{words} ({key})" if words != key else key


def _evaluator(district: District, s: Scenario) -> Evaluator:
    return Evaluator(district, s)


def fingerprint(s: Scenario, keys: list[str]) -> str:
    """The scenario apart from `keys` (each set to 0) and its title: an answer about those keys stays
    valid while this does not change."""
    s = replace(s, title="", description="")
    try:
        return scenario_to_toml(with_values(s, {k: 0.0 for k in keys}))
    except InputError:
        return scenario_to_toml(s)


STALE = "The settings have changed since this was computed; press the button again for an answer on them."


def _keep(slot: str, payload, s: Scenario, keys: list[str]) -> None:
    """Store an answer about `keys` in the session, with the settings it was computed on."""
    st.session_state[slot] = ("ok", payload, list(keys), fingerprint(s, keys))


def _recall(slot: str, s: Scenario):
    """The stored answer in `slot` and the keys it is about, or None: an error is shown as a warning,
    and an answer computed on other settings as the STALE note."""
    made = st.session_state.get(slot)
    if made is None:
        return None
    if made[0] == "error":
        st.warning(made[1])
        return None
    _, payload, keys, mark = made
    if mark != fingerprint(s, keys):
        st.info(STALE)
        return None
    return payload, keys


def apply_values(scenario: Scenario, values: dict[str, float], prior_total: float) -> None:
    """Callback: put `values` into the sidebar settings (and their widgets)."""
    state = st.session_state
    try:
        changed = with_values(scenario, values)
    except InputError as err:
        state["design_error"] = err.message()
        return
    state["settings"] = settings_from_scenario(changed, prior_total)
    sync_widgets(state, state["start"], state["settings"])
    state["design_applied"] = values_text(values)
    state["_edit_label"] = f"Design: {values_text(values)}"  # the undo history's words for this edit


def _around(p, now: float | None) -> tuple[float, float]:
    """A default range around today's value."""
    if p.kind == "budget":
        return round(0.95 * now), round(1.05 * now)
    if p.kind == "limit":
        return 0.0, 10.0
    now = now or 0.0
    return round(0.5 * now, 3), round(1.5 * now, 3) if now > 0 else 1.0


def render(allocation: Allocation, district: District) -> None:
    """Draw the tab."""
    state = st.session_state
    s = allocation.scenario
    prior_total = float(np.nansum(district.prior))
    if "design_applied" in state:
        st.success(f"Applied: {state.pop('design_applied')}. The page now shows that scenario.")
    if "design_error" in state:
        st.error(state.pop("design_error"))
    keys = setting_keys(s)
    solve_section(s, district, keys, prior_total)
    st.divider()
    map_section(s, district, keys, prior_total)
    st.divider()
    propose_section(s, district, keys, prior_total)


def solve_section(s: Scenario, district: District, keys: list[str], prior_total: float) -> None:
    st.subheader("Solve for a target")
    st.caption("Which value of one setting gives the result you want? Every value tried is allocated with "
               "the exact budget-neutral solve.")
    a, b, c = st.columns(3)
    key = a.selectbox("Setting", keys, key="design_solve_key", format_func=setting_label)
    name = b.selectbox("Result", RESULT_CHOICES, key="design_solve_result", format_func=_label)
    wanted = c.number_input("Target", value=1.2 if name == "poverty_quartile_ratio" else 0.0, key="design_solve_target",
                            format="%.4f" if RESULTS[name].kind in ("ratio", "index") else "%.0f")
    if st.button("Solve", key="design_solve_go"):
        try:
            sol = solve_for(_evaluator(district, s), s, key, name, float(wanted))
        except (OutOfReach, InputError) as err:
            st.session_state["design_solution"] = ("error", err.message())
        else:
            _keep("design_solution", sol, s, [key])
    answer = _recall("design_solution", s)
    if answer is None:
        return
    sol = answer[0]
    res = RESULTS[sol.target]
    p = parameter(s, sol.key, prior_total)
    st.markdown(f"**{setting_label(sol.key)} = {show_value(p, sol.value)}** gives {result_label(res.name)} "
                f"**{result_text(res.name, sol.achieved)}** (target {result_text(res.name, sol.wanted)}).")
    if sol.note:
        st.caption(sol.note)
    st.button("Apply this value", key="design_solve_apply", on_click=apply_values,
              args=(s, {sol.key: sol.value}, prior_total), type="primary")


def heatmap(frame: pd.DataFrame, x: str, y: str, name: str, now: dict[str, float | None]) -> alt.LayerChart:
    """The sweep as a heatmap of result `name` (viridis: sequential and colour-blind safe), today's
    point ringed and labelled 'now'; a click selects a cell (selection 'cell', fields 'x' and 'y':
    Vega-Lite would read the dots of 'needs.ell.weight' as nested fields)."""
    data = frame.loc[frame["feasible"], [x, y, name]].rename(columns={x: "x", y: "y", name: "value"})
    data["shown"] = [result_text(name, v) for v in data["value"]]
    pick = alt.selection_point(name="cell", fields=["x", "y"], on="click")
    axis = dict(labelFontSize=14, titleFontSize=16)
    cells = alt.Chart(data).mark_rect(stroke="white", strokeWidth=0.3).encode(
        x=alt.X("x:O", title=setting_label(x), axis=alt.Axis(labelAngle=-45, **axis)),
        y=alt.Y("y:O", title=setting_label(y), sort="descending", axis=alt.Axis(**axis)),
        color=alt.Color("value:Q", title=result_label(name) if len(result_label(name)) < 32 else name,
                        scale=alt.Scale(scheme="viridis"), legend=alt.Legend(labelFontSize=13, titleFontSize=14)),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.6)),
        tooltip=[alt.Tooltip("x:O", title=setting_label(x)), alt.Tooltip("y:O", title=setting_label(y)),
                 alt.Tooltip("shown:N", title=result_label(name))],
    ).add_params(pick)
    layers = [cells]
    if now.get(x) is not None and now.get(y) is not None:
        xs, ys = np.unique(data["x"]), np.unique(data["y"])
        if len(xs) and len(ys):
            nx, ny = xs[np.argmin(abs(xs - now[x]))], ys[np.argmin(abs(ys - now[y]))]
            marker = pd.DataFrame({"x": [nx], "y": [ny], "label": ["now"]})
            layers.append(alt.Chart(marker).mark_point(shape="circle", size=320, filled=False, color="white",
                                                       strokeWidth=3).encode(x="x:O", y=alt.Y("y:O", sort="descending")))
            layers.append(alt.Chart(marker).mark_text(dy=-18, fontSize=15, fontWeight="bold", color="white",
                                                      stroke="black", strokeWidth=0.6).encode(x="x:O", y=alt.Y("y:O", sort="descending"), text="label:N"))
    return alt.layer(*layers).properties(height=480)


def map_section(s: Scenario, district: District, keys: list[str], prior_total: float) -> None:
    st.subheader("Map two settings")
    st.caption("Every combination on a grid, each with the exact budget-neutral solve. Click a cell to apply it; "
               "the ring marks the current settings.")
    a, b, c = st.columns(3)
    x = a.selectbox("Across", keys, key="design_map_x", format_func=setting_label)
    y = b.selectbox("Up", [k for k in keys if k != x], key="design_map_y", format_func=setting_label)
    name = c.selectbox("Colour by", RESULT_CHOICES, key="design_map_result", format_func=_label)
    px, py = parameter(s, x, prior_total), parameter(s, y, prior_total)
    cols = st.columns(5)
    x_lo, x_hi = _around(px, px.current)
    y_lo, y_hi = _around(py, py.current)
    x_from = cols[0].number_input("Across from", value=float(x_lo), key=f"design_xf_{x}")
    x_to = cols[1].number_input("Across to", value=float(x_hi), key=f"design_xt_{x}")
    y_from = cols[2].number_input("Up from", value=float(y_lo), key=f"design_yf_{y}")
    y_to = cols[3].number_input("Up to", value=float(y_hi), key=f"design_yt_{y}")
    steps = int(cols[4].number_input("Steps each way", min_value=2, max_value=41, value=21, key="design_steps"))
    if st.button("Draw the map", key="design_map_go"):
        try:
            if x_from > x_to or y_from > y_to:
                raise InputError([])
            axes = [Axis(px, linspace(x_from, x_to, steps, px.quantum)), Axis(py, linspace(y_from, y_to, steps, py.quantum))]
            for ax in axes:
                with_values(s, {ax.key: float(ax.values[0])}), with_values(s, {ax.key: float(ax.values[-1])})
            frame = sweep(_evaluator(district, s), s, axes, [name])
        except InputError as err:
            st.session_state["design_map"] = ("error", err.message() or "Each range needs FROM no greater than TO.")
        else:
            _keep("design_map", frame, s, [x, y])
    drawn = _recall("design_map", s)
    if drawn is None:
        return
    frame, (fx, fy) = drawn
    if name not in frame.columns:
        st.info("Press “Draw the map” again to colour by this result.")
        return
    now = {fx: parameter(s, fx, prior_total).current, fy: parameter(s, fy, prior_total).current}
    bad = int((~frame["feasible"]).sum())
    if bad:
        st.caption(f"{bad} combinations cannot spend the budget within the limits (left blank).")
    st.altair_chart(heatmap(frame, fx, fy, name, now), width="stretch", key="design_heatmap",
                    on_select=lambda: _clicked(s, fx, fy, prior_total), selection_mode="cell")


def cell_values(event: Any, x: str, y: str) -> dict[str, float] | None:
    """The two settings (keys `x`, `y`) of the heatmap cell a click selected (None when none is)."""
    try:
        cell = event["selection"]["cell"][0]
        return {x: float(cell["x"]), y: float(cell["y"])}
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _clicked(s: Scenario, x: str, y: str, prior_total: float) -> None:
    values = cell_values(st.session_state.get("design_heatmap"), x, y)
    if values is not None:
        apply_values(s, values, prior_total)


def propose_section(s: Scenario, district: District, keys: list[str], prior_total: float) -> None:
    st.subheader("Propose weights")
    st.caption("Choose weights to make one result as good as possible, with no school losing more than a set "
               "share and, if you wish, one weight kept at or above another. Each weight is searched from 0 to "
               "twice today's value (at least to 1); without a limit on losses the best is often at an end.")
    weights = [k for k in keys if k.startswith("needs.")]
    chosen = st.multiselect("Weights to choose", weights, default=weights[:2], key="design_opt_keys",
                            format_func=setting_label)
    a, b, c = st.columns(3)
    name = a.selectbox("Make best", RESULT_CHOICES, key="design_opt_result", format_func=_label)
    sense = b.radio("Direction", ["largest", "smallest"], horizontal=True, key="design_opt_sense",
                    index=0 if RESULTS[name].better != "lower" else 1)
    max_loss = c.number_input("No school loses more than (%)", min_value=0.0, max_value=100.0, value=100.0,
                              key="design_opt_loss")
    order = st.checkbox(f"Keep {setting_label(chosen[0]).split(' (')[0]} at or above {setting_label(chosen[1]).split(' (')[0]}"
                        if len(chosen) >= 2 else "Keep the order of two weights",
                        key="design_opt_order", disabled=len(chosen) < 2)
    if st.button("Propose", key="design_opt_go", disabled=not chosen):
        ranges = {}
        for k in chosen:
            now = parameter(s, k, prior_total).current or 0.0
            ranges[k] = (0.0, round(max(2.0 * now, 1.0), 3))
        conditions = [parse_condition(f"biggest_loss_pct <= {max_loss}", chosen)] if max_loss < 100 else []
        if order and len(chosen) >= 2:
            conditions.append(parse_condition(f"{chosen[0]} >= {chosen[1]}", chosen))
        try:
            with st.spinner("Searching..."):
                prop = optimise(_evaluator(district, s), s, ranges, name, "max" if sense == "largest" else "min",
                                conditions, seed=0, maxiter=25)
        except InputError as err:
            st.session_state["design_proposal"] = ("error", err.message())
        else:
            _keep("design_proposal", prop, s, chosen)
    made = _recall("design_proposal", s)
    if made is None:
        return
    prop = made[0]
    rows = [{"": setting_label(k), "Current": value_text(k, v), "Proposal": value_text(k, prop.values[k])}
            for k, v in prop.current_values.items()]
    rows += [{"": result_label(n), "Current": result_text(n, prop.current[n]),
              "Proposal": result_text(n, prop.proposed[n])} for n in prop.proposed]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    for text, left, right, ok in prop.checks:
        plain = [f"{x:,.0f}" if abs(x) >= 1e4 else f"{x:.4g}" for x in (left, right)]
        st.markdown(f"{'✔ holds' if ok else '✘ broken'}: `{text}` ({plain[0]} vs {plain[1]})")
    if prop.met:
        st.button("Apply the proposal", key="design_opt_apply", on_click=apply_values,
                  args=(s, prop.values, prior_total), type="primary")
    else:
        st.warning("No combination searched meets every condition; widen the ranges or loosen a condition.")
