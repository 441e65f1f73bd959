"""Chart data and presentation numbers of the app (Altair specs inspected, no browser)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import SCENARIOS
from sbb.allocate import allocate
from sbb.explain import explain_all, explain_change
from sbb.scenario import load_scenario
from sbb.theory_view import pot_waterfall
from sbb.ui import charts
from sbb.figures import LAST_YEAR, THIS_YEAR, Figures
from sbb.ui.page import compare_totals
from sbb.ui.presentation import headline, school_table
from sbb.ui.story import key_numbers


def test_delta_bars_colour_gains_and_losses(sample_district):
    a = allocate(sample_district, load_scenario(SCENARIOS / "ell_050.toml"))
    data = charts.delta_bars(a.table).data
    t = a.table[a.table["prior_allocation"].notna()]
    assert len(data) == len(t)  # new schools (no prior) left out
    assert (data["direction"] == "Loses").sum() == (t["delta"] < 0).sum()
    assert (data["direction"] == "Gains").sum() == (t["delta"] > 0).sum()
    assert data["delta"].is_monotonic_increasing  # sorted from the biggest loss


def test_explanation_waterfall_ends_at_the_change(sample_district):
    s = load_scenario(SCENARIOS / "ell_050_hold_harmless.toml")
    a = allocate(sample_district, s)
    ex = explain_all(sample_district, s, a)
    worst = a.table.sort_values("delta").iloc[0]
    parts = explain_change(sample_district, s, a, worst["school_id"], ex)
    steps = charts.explain_steps(parts, parts.attrs["delta"])
    # the last part ends where the total bar ends: at allocation - prior, to the dollar
    assert steps["end"].iloc[-2] == steps["end"].iloc[-1] == worst["allocation"] - worst["prior_allocation"]
    charts.waterfall(steps).to_dict()  # a valid Vega-Lite spec


def test_pot_waterfall_chart_of_the_theory_scenario(sample_district):
    a = allocate(sample_district, load_scenario(SCENARIOS / "theory_of_action.toml"))
    steps = pot_waterfall(a)
    spec = charts.waterfall(steps).to_dict()
    assert spec["layer"][0]["mark"]["type"] == "bar"
    last = steps.iloc[-1]
    assert last["end"] == a.table["allocation"].sum()


def test_every_chart_builds_a_valid_spec(sample_district):
    from sbb.ui.presentation import equity_data
    from sbb.theory_view import phase_in_path, schools_by_band

    a = allocate(sample_district, load_scenario(SCENARIOS / "theory_of_action.toml"))
    eq = equity_data(a, sample_district)
    for big in (False, True):
        charts.delta_bars(a.table, big=big).to_dict()
        charts.poverty_chart(eq.scatter, eq.trend, big=big).to_dict()
        charts.lorenz_chart(eq.lorenz, big=big).to_dict()
        charts.quartile_chart(eq.quartiles, big=big).to_dict()
        charts.band_chart(schools_by_band(a, sample_district), big=big).to_dict()
    path = charts.phase_in_chart(phase_in_path(a)).data
    # change against last year is 0 in year 0 for every school drawn
    assert np.allclose(path.loc[path["year"] == 0, "change_pct"], 0.0)


def test_presentation_cards():
    equity = pd.DataFrame({"basis": ["per pupil"], "measure": ["quartile_ratio"], LAST_YEAR: [1.1555],
                           THIS_YEAR: [1.1504]})
    h = Figures(title="t", schools=50, gaining=30, losing=19, unchanged=0, new_schools=1, pupils=35_000.0,
                total=250_000_000.0, prior_total=249_000_000.0, base=5000.0, budget=None,
                hold_harmless_cost=6_652_075.0, schools_at_floor=26, cap_recovered=0.0, schools_at_cap=0,
                biggest_loss=402_031.0, biggest_loss_pct=3.0, biggest_loser="Central High", largest_pct_loss=3.0,
                largest_pct_loser="Central High", phase_in_years=1,
                year_shown=1, cents=False, equity=equity)
    cards = {label: (value, note) for label, value, note, _ in key_numbers(h)}
    assert cards["Total to schools"] == ("$250.0M", "+$1,000,000 vs last year")
    assert cards["Schools gaining"] == ("30", "of 50 (1 new)")  # 30 + 19 + 0 unchanged + 1 new = 50
    assert cards["Schools losing"] == ("19", "of 50")
    assert cards["Biggest loss"] == ("$402,031", "3.0% · Central High")
    assert cards["Hold-harmless cost"] == ("$6,652,075", "26 schools at the floor")
    # 1.1504 shows as 1.150, last year's 1.1555 as 1.155 or 1.156 by its binary value: written as shown
    assert cards["Poorest ÷ least-poor quarter"] == ("1.150", f"last year {1.1555:.3f}")


def test_compare_totals_side_by_side(sample_district):
    a = allocate(sample_district, load_scenario(SCENARIOS / "baseline.toml"))
    b = allocate(sample_district, load_scenario(SCENARIOS / "hold_harmless_3pct.toml"))
    table = compare_totals({"A": a, "B": b}, sample_district)
    assert list(table.columns) == ["A", "B"]
    assert table.loc["Schools losing", "A"] == str(int((a.table["delta"] < 0).sum()))
    assert table.loc["Hold-harmless cost", "B"] == f"${b.table['hold_harmless_adjustment'].sum():,.0f}"
    # the biggest loss as its card writes it: amount, that school's percent of last year, its name
    t = b.table.dropna(subset=["prior_allocation"])
    worst = t.loc[t["delta"].idxmin()]
    pct = -worst["delta"] / worst["prior_allocation"] * 100
    assert table.loc["Biggest loss", "B"] == f"${-worst['delta']:,.0f} ({pct:.1f}% · {worst['school_name']})"


def test_school_table_search_and_columns(sample_district):
    a = allocate(sample_district, load_scenario(SCENARIOS / "theory_of_action.toml"))
    short = school_table(a, "central", every_column=False)
    assert set(short["School"]) == {n for n in a.table["school_name"] if "central" in n.lower()}
    assert "Base amount" not in short.columns and "Year 3" in short.columns
    assert "Base amount" in school_table(a).columns
    assert headline(a, sample_district).total == a.table["allocation"].sum()


def test_charts_write_negative_money_as_the_tables_do(sample_district):
    """Vega's default minus sign is U+2212; the charts use the hyphen that `dollars` writes (-$32,357)."""
    from sbb.report import dollars

    a = allocate(sample_district, load_scenario(SCENARIOS / "baseline.toml"))
    spec = charts.delta_bars(a.table, big=True, name_most=3).to_dict()
    assert spec["config"]["locale"]["number"]["minus"] == "-" and dollars(-32_357) == "-$32,357"
    names = charts.biggest_changes(a.table.sort_values("delta"), 1)
    worst = a.table.sort_values("delta").iloc[0]
    assert names["name"].iloc[0] == f"{worst['school_name']} -{dollars(-worst['delta'])}"
