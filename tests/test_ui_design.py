"""The Design tab, driven headless with AppTest on the sample district: solve, apply, map, propose."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, SAMPLE, SCENARIOS
from sbb.allocate import allocate
from sbb.district import load_district
from sbb.equity import vertical_metrics
from sbb.report import dollars
from sbb.scenario import load_scenario
from sbb.design.params import with_values


@pytest.fixture(scope="module")
def district():
    s = load_scenario(SCENARIOS / "baseline.toml")
    return load_district(SAMPLE / "schools.csv", s.weights, roster=SAMPLE / "roster.csv")


@pytest.fixture()
def app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    at.session_state["tab"] = "Design"
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    return [m.value for m in at.metric if m.label == label][0]


def test_solve_and_apply_changes_the_page(app, district):
    app.selectbox(key="design_solve_key").set_value("needs.ell.weight")
    app.selectbox(key="design_solve_result").set_value("poverty_quartile_ratio")
    app.number_input(key="design_solve_target").set_value(1.2)
    app.button(key="design_solve_go").click().run()
    assert not app.exception, app.exception
    text = " ".join(m.value for m in app.markdown)
    assert "**English learners weight (needs.ell.weight) = " in text
    assert "gives Poorest ÷ least-poor quarter **1.200** (target 1.200)." in text  # as its card writes it
    value = float(text.split("(needs.ell.weight) = ")[1].split("**")[0])
    app.button(key="design_solve_apply").click().run()
    assert not app.exception, app.exception
    # the whole page now shows the scenario with that ELL weight, as the ordinary engine computes it
    expected = allocate(district, with_values(load_scenario(SCENARIOS / "baseline.toml"), {"needs.ell.weight": value}))
    assert metric(app, "Base per weighted pupil") == dollars(expected.base_per_weighted_pupil, True)
    assert app.session_state["settings"]["needs.ell.weight"] == value
    t = expected.table
    pupils = t["enrollment"].to_numpy(dtype=float)
    ratio = vertical_metrics(t["allocation"].to_numpy(dtype=float) / pupils, pupils,
                             district.counts["frl"].to_numpy(dtype=float))["quartile_ratio"]
    assert abs(ratio - 1.2) < 1e-6


def test_out_of_reach_target_is_said_not_raised(app):
    app.selectbox(key="design_solve_result").set_value("poverty_quartile_ratio")
    app.number_input(key="design_solve_target").set_value(9.0)
    app.button(key="design_solve_go").click().run()
    assert not app.exception
    assert any("runs from" in w.value for w in app.warning)


def test_map_draws_and_a_cell_applies(app, district):
    app.selectbox(key="design_map_x").set_value("needs.ell.weight").run()
    app.selectbox(key="design_map_y").set_value("needs.poverty.weight")
    app.number_input(key="design_steps").set_value(5)
    app.button(key="design_map_go").click().run()
    assert not app.exception, app.exception
    frame = app.session_state["design_map"][1]
    assert len(frame) == 25 and frame["feasible"].all()
    # the chart carries a click selection named 'cell' over the two settings
    from sbb.ui.design import cell_values, heatmap

    spec = heatmap(frame, "needs.ell.weight", "needs.poverty.weight", "poverty_quartile_ratio",
                   {"needs.ell.weight": 0.4, "needs.poverty.weight": 0.25}).to_dict()
    params = spec["params"]
    assert params[0]["name"] == "cell" and params[0]["select"]["fields"] == ["x", "y"]
    assert spec["layer"][0]["encoding"]["x"]["title"] == "English learners weight (needs.ell.weight)"
    # a click on a cell (the event Streamlit passes back) gives its two values; those are this row's
    row = frame.iloc[7]
    event = {"selection": {"cell": [{"x": row["needs.ell.weight"], "y": row["needs.poverty.weight"]}]}}
    values = cell_values(event, "needs.ell.weight", "needs.poverty.weight")
    assert cell_values({"selection": {"cell": []}}, "needs.ell.weight", "needs.poverty.weight") is None
    expected = allocate(district, with_values(load_scenario(SCENARIOS / "baseline.toml"), values))
    assert row["base_per_weighted_pupil"] == expected.base_per_weighted_pupil


def test_propose_shows_a_proposal_beside_the_current_scenario(app):
    app.multiselect(key="design_opt_keys").set_value(["needs.poverty.weight", "needs.ell.weight"])
    app.selectbox(key="design_opt_result").set_value("poverty_quartile_ratio")
    app.button(key="design_opt_go").click().run()
    assert not app.exception, app.exception
    table = [d.value for d in app.dataframe if "Proposal" in d.value.columns][0]
    assert list(table[""][:2]) == ["Poverty weight (needs.poverty.weight)", "English learners weight (needs.ell.weight)"]
    assert table.iloc[0]["Current"] == "0.25"
    assert table.iloc[1]["Current"] == "0.40"  # the baseline's ELL weight 0.4, as the sidebar writes it
    app.button(key="design_opt_apply").click().run()
    assert not app.exception
    assert app.session_state["settings"]["needs.poverty.weight"] == float(table.iloc[0]["Proposal"])


def test_an_answer_is_withdrawn_when_other_settings_change(app):
    app.selectbox(key="design_solve_key").set_value("needs.ell.weight")
    app.button(key="design_solve_go").click().run()
    assert any("(needs.ell.weight) = " in m.value for m in app.markdown)
    app.number_input(key="ctl:needs.poverty.weight").set_value(0.3).run()  # another setting moves
    assert not app.exception
    assert any("settings have changed" in i.value for i in app.info)
    assert not any("(needs.ell.weight) = " in m.value for m in app.markdown)


def test_the_map_stays_after_a_cell_is_applied(app):
    """Applying two values from the map changes only those two settings: the map stays, ring moved."""
    from sbb.ui.design import fingerprint

    app.selectbox(key="design_map_x").set_value("needs.ell.weight").run()
    app.selectbox(key="design_map_y").set_value("needs.poverty.weight")
    app.number_input(key="design_steps").set_value(3)
    app.button(key="design_map_go").click().run()
    s = load_scenario(SCENARIOS / "baseline.toml")
    keys = ["needs.ell.weight", "needs.poverty.weight"]
    assert fingerprint(with_values(s, {keys[0]: 0.3, keys[1]: 0.2}), keys) == fingerprint(s, keys)
    assert fingerprint(with_values(s, {"needs.sped.levels.resource": 0.6}), keys) != fingerprint(s, keys)
    app.number_input(key="ctl:needs.ell.weight").set_value(0.6).run()  # as a click on a cell would
    assert not app.exception
    assert not any("settings have changed" in i.value for i in app.info)


def test_applying_an_answer_is_one_undoable_edit(app, district):
    app.selectbox(key="design_solve_key").set_value("needs.ell.weight")
    app.button(key="design_solve_go").click().run()
    app.button(key="design_solve_apply").click().run()
    assert not app.exception
    changed = app.session_state["settings"]["needs.ell.weight"]
    assert changed != 0.4
    undo = [b for b in app.sidebar.button if b.label.startswith("Undo")]
    assert undo, [b.label for b in app.sidebar.button]
    undo[0].click().run()
    assert not app.exception
    assert app.session_state["settings"]["needs.ell.weight"] == 0.4


def test_result_choices_read_in_the_pages_words():
    """The Design tab's result lists name a board figure as the cards do (the quartile ratio was
    "Poorest quarter's dollars per pupil over the least poor quarter's (poverty_quartile_ratio)", cut
    off in its box, beside a card reading "Poorest ÷ least-poor quarter"), and show no snake_case key."""
    from sbb.ui.design import RESULT_CHOICES, result_label

    assert result_label("poverty_quartile_ratio") == "Poorest ÷ least-poor quarter"
    assert result_label("gini") == "Gini coefficient"
    assert result_label("schools_losing") == "Schools losing"
    for name in RESULT_CHOICES:
        label = result_label(name)
        assert "_" not in label and "(" + name not in label, label
        assert len(label) <= 40, label  # whole in a third of the page at 1366 px


def test_result_values_read_as_the_cards_write_them():
    """Ratio to 3 decimals like the quartile card (1.2000004 -> '1.200'), the biggest loss in percent to one
    decimal like the biggest-loss card (16.5618 -> '16.6%'), the Gini to 4 (0.040318 -> '0.0403'), money
    with the minus first ('-$1,234'), counts whole."""
    from sbb.ui.design import result_text

    assert result_text("poverty_quartile_ratio", 1.2000004) == "1.200"
    assert result_text("biggest_loss_pct", 16.5618) == "16.6%"
    assert result_text("gini", 0.040318) == "0.0403"
    assert result_text("poor_gap", -1234.4) == "-$1,234"
    assert result_text("schools_losing", 28.0) == "28"
    assert result_text("hold_harmless_cost", 6079537.0) == "$6,079,537"
