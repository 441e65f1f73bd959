"""One figure, one value: `sbb.figures` by hand on a small district, then the same figures in every
view (headline card, Equity tab, Compare tab, command-line summary, workbook Summary cell) on the
sample district with a new school (S050) and projected enrollment (scenarios/enrollment_shift.toml).
"""

from __future__ import annotations

import re

import numpy as np
import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, SAMPLE, SCENARIOS, counts_district, make_scenario, make_weights
from sbb.allocate import allocate
from sbb.district import load_district
from sbb.equity import vertical_metrics
from sbb.figures import LABELS, board_figures, change_text, count_text, figure_text
from sbb.report import summary_lines
from sbb.scenario import load_scenario


@pytest.fixture(scope="module")
def small():
    """Fixed base $5,000, every grade 1.0, poverty 0.25, no fixed amounts.
    A: 10 pupils, 0 poor -> W 10   -> $50,000;  prior $52,000 -> loses $2,000
    B: 10 pupils, 4 poor -> W 11   -> $55,000;  prior $50,000 -> gains $5,000
    C: 20 pupils, 20 poor -> W 25  -> $125,000; prior $125,000 -> unchanged
    D: 10 pupils, 10 poor -> W 12.5 -> $62,500; new (no prior year)"""
    w = make_weights()
    d = counts_district(w, [("A", 52_000), ("B", 50_000), ("C", 125_000), ("D", None)],
                        {"A": {"grade_3": 10}, "B": {"grade_3": 10, "frl": 4}, "C": {"grade_3": 20, "frl": 20},
                         "D": {"grade_3": 10, "frl": 10}})
    a = allocate(d, make_scenario(w, mode="fixed_base"))
    assert a.table["allocation"].tolist() == [50_000, 55_000, 125_000, 62_500]
    return board_figures(a, d)


def test_schools_add_up_with_the_new_one_counted_once(small):
    f = small
    assert (f.gaining, f.losing, f.unchanged, f.new_schools, f.schools) == (1, 1, 1, 1, 4)
    assert f.gaining + f.losing + f.unchanged + f.new_schools == f.schools
    assert f.counts_text() == "1 gaining, 1 losing, 1 unchanged, 1 new school"
    assert count_text(2, "new school") == "2 new schools"


def test_this_year_covers_every_school_last_year_the_schools_that_had_one(small):
    f = small
    # total 50,000 + 55,000 + 125,000 + 62,500 = 292,500; last year 52,000 + 50,000 + 125,000 = 227,000
    assert (f.total, f.prior_total) == (292_500, 227_000)
    # average per pupil: 292,500 / 50 pupils = 5,850; last year 227,000 / 40 pupils (A, B, C) = 5,675
    assert f.measure("mean") == pytest.approx((5_850.0, 5_675.0), abs=1e-9)
    assert change_text(*f.measure("mean"), "money") == "+$175"
    # poor minus non-poor, per pupil. This year: poor (4 x 5,500 + 20 x 6,250 + 10 x 6,250) / 34
    # = 209,500 / 34 = 6,161.7647; non-poor (10 x 5,000 + 6 x 5,500) / 16 = 5,187.5 -> gap 974.2647.
    # Last year (per pupil A 5,200, B 5,000, C 6,250): poor (4 x 5,000 + 20 x 6,250) / 24 = 6,041.6667;
    # non-poor (10 x 5,200 + 6 x 5,000) / 16 = 5,125 -> gap 916.6667.
    now, last = f.measure("poor_gap")
    assert now == pytest.approx(209_500 / 34 - 5_187.5) and last == pytest.approx(145_000 / 24 - 5_125)
    assert f.biggest_loss == 2_000 and f.biggest_loser == "School A"


def test_a_change_is_the_shown_value_minus_the_shown_value():
    # 1.1444 shows as 1.144 and 1.1557 as 1.156: the change shown is 1.144 - 1.156 = -0.012, not
    # round(1.1444 - 1.1557, 3) = round(-0.0113, 3) = -0.011
    assert change_text(1.1444, 1.1557, "ratio") == "-0.012"
    # $1,000.50 shows as $1,001 (halves up) and $999.49 as $999: +$2, not round(1.01) = +$1
    assert change_text(1000.5, 999.49, "money") == "+$2"
    assert change_text(5.0, 5.0004, "ratio") == "same as last year"


# ---------------------------------------------------------------------------------------------------
# Every view on the sample district with a new school and projected enrollment
# ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shift():
    s = load_scenario(SCENARIOS / "enrollment_shift.toml")
    d = load_district(SAMPLE / "schools.csv", s.weights, roster=SAMPLE / "roster.csv")
    a = allocate(d, s)
    return a, d, board_figures(a, d)


def test_the_rule_on_the_sample_district(shift):
    """Independently: this year's quartile ratio on all 50 schools, last year's on the 49 with a
    prior allocation, both on the projected pupils the allocation is for."""
    from sbb.enrollment import project

    a, d, f = shift
    t = a.table
    poor = project(d, a.scenario).counts["frl"].to_numpy(dtype=float)
    pupils = t["enrollment"].to_numpy(dtype=float)
    prior = t["prior_allocation"].to_numpy(dtype=float)
    had = ~np.isnan(prior)
    assert f.new_schools == 1 and had.sum() == 49
    now = vertical_metrics(t["allocation"].to_numpy() / pupils, pupils, poor)["quartile_ratio"]
    last = vertical_metrics(prior[had] / pupils[had], pupils[had], poor[had])["quartile_ratio"]
    assert f.measure("quartile_ratio") == (now, last)


def test_every_view_shows_the_same_figure(shift, tmp_path):
    from sbb.export import write_workbook

    a, d, f = shift
    now, last = f.measure("quartile_ratio")
    shown, shown_last = figure_text(now, "ratio"), figure_text(last, "ratio")
    change = change_text(now, last, "ratio")
    # the change is the shown value minus last year's shown value
    assert float(change) == pytest.approx(float(shown) - float(shown_last), abs=1e-12)

    # command line
    line = next(x for x in summary_lines(a, d) if "poorest / least-poor quarter" in x)
    assert line.split("quarter", 1)[1].strip() == f"{shown} (last year {shown_last})"
    mean_line = next(x for x in summary_lines(a, d) if "average dollars per pupil" in x)
    assert re.search(r"\$[\d,]+ \(last year \$[\d,]+\)", mean_line).group(0) == \
        f"{figure_text(f.mean_per_pupil, 'money')} (last year {figure_text(f.mean_per_pupil_prior, 'money')})"

    # workbook: the Summary cells hold the same values (to the 15 digits a spreadsheet keeps)
    write_workbook(a, d, tmp_path / "w.xlsx")
    rows = {r[0]: r[1:3] for r in openpyxl.load_workbook(tmp_path / "w.xlsx", data_only=True)["Summary"]
            .iter_rows(values_only=True) if r[0]}
    assert rows[LABELS["quartile_ratio"]] == pytest.approx((now, last), rel=1e-14)
    assert rows[LABELS["mean"]] == pytest.approx((f.mean_per_pupil, f.mean_per_pupil_prior), rel=1e-14)

    # the app: headline card, Equity tab, Compare tab
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.radio(key="pick").set_value("enrollment_shift.toml").run()
    assert not at.exception
    cards = [m for m in at.metric if m.label == LABELS["quartile_ratio"]]
    assert [(m.value, m.delta) for m in cards] == [(shown, f"{change} vs last year")]
    at.session_state["tab"] = "Equity"
    at.run()
    cards = [m for m in at.metric if m.label == LABELS["quartile_ratio"]]
    assert [(m.value, m.delta) for m in cards] == [(shown, f"{change} vs last year")] * 2
    # the sentence under the cards writes the same two numbers
    text = " ".join(m.value for m in at.markdown)
    assert f"gets {shown} times the dollars per pupil of the least poor quarter (last year {shown_last})" in text
    mean_cards = [m for m in at.metric if m.label == LABELS["mean"]]
    assert [m.value for m in mean_cards] == [figure_text(f.mean_per_pupil, "money")]
    at.session_state["tab"] = "Compare scenarios"
    at.run()
    assert not at.exception
    table = next(t.value for t in at.table if "Last year" in t.value.columns)
    row = table.loc[LABELS["quartile_ratio"]]
    assert (row[a.scenario.title], row["Last year"]) == (shown, shown_last)
    totals = next(t.value for t in at.table if "Total to schools" in t.value.index)
    counts = totals[a.scenario.title]
    assert sum(int(counts[k]) for k in ("Schools gaining", "Schools losing", "Schools unchanged", "New schools")) == 50


def test_biggest_loss_and_its_percent_are_the_same_schools():
    """Fixed base $5,000, every grade 1.00.
    A: 10 pupils -> $50,000, prior $52,000: loses $2,000 = 2,000 / 52,000 = 3.846% (most dollars)
    E: 2 pupils  -> $10,000, prior $11,000: loses $1,000 = 1,000 / 11,000 = 9.091% (most percent)
    The card's "3.8% · School A" is A's own percent; E's 9.1% is its own figure."""
    w = make_weights()
    d = counts_district(w, [("A", 52_000), ("E", 11_000)], {"A": {"grade_3": 10}, "E": {"grade_3": 2}})
    a = allocate(d, make_scenario(w, mode="fixed_base"))
    f = board_figures(a, d)
    assert (f.biggest_loss, f.biggest_loser) == (2_000, "School A")
    assert f.biggest_loss_pct == pytest.approx(2_000 / 52_000 * 100)
    assert (f.largest_pct_loser, round(f.largest_pct_loss, 3)) == ("School E", 9.091)
    lines = dict(re.match(r"^\s+(\S.*?)\s{2,}(.*)$", x).groups() for x in summary_lines(a, d)[2:])
    assert lines["biggest loss"] == "$2,000 (3.8%, School A)"
    assert lines["biggest loss in percent"] == "9.1% (School E)"


def test_summary_says_when_no_school_loses():
    """Fixed base $5,000, every grade 1.00: A 10 pupils -> $50,000 against $40,000 last year (+$10,000),
    so no school loses and the line says so instead of '$0 (0.0%)' with no school to name."""
    w = make_weights()
    d = counts_district(w, [("A", 40_000)], {"A": {"grade_3": 10}})
    a = allocate(d, make_scenario(w, mode="fixed_base"))
    lines = dict(re.match(r"^\s+(\S.*?)\s{2,}(.*)$", x).groups() for x in summary_lines(a, d)[2:])
    assert lines["total allocated"] == "$50,000"
    assert lines["biggest loss"] == "none (no school loses)"


def test_summary_leaves_out_a_percent_loss_that_reads_the_same():
    """Fixed base $5,000, every grade 1.00.
    A: 10 pupils -> $50,000, prior $51,500: loses $1,500 = 1,500 / 51,500 = 2.913% -> "2.9%" (most dollars)
    E: 2 pupils  -> $10,000, prior $10,302: loses $302 = 302 / 10,302 = 2.931% -> "2.9%" (most percent)
    Both read 2.9%: a second line '2.9% (School E)' under '$1,500 (2.9%, School A)' says nothing new."""
    w = make_weights()
    d = counts_district(w, [("A", 51_500), ("E", 10_302)], {"A": {"grade_3": 10}, "E": {"grade_3": 2}})
    a = allocate(d, make_scenario(w, mode="fixed_base"))
    f = board_figures(a, d)
    assert (f.largest_pct_loser, f.biggest_loser) == ("School E", "School A")
    lines = dict(re.match(r"^\s+(\S.*?)\s{2,}(.*)$", x).groups() for x in summary_lines(a, d)[2:])
    assert lines["biggest loss"] == "$1,500 (2.9%, School A)"
    assert "biggest loss in percent" not in lines
