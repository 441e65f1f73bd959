"""The PDF documents, read back with an independent reader (poppler's pdftotext / pdfinfo).

Statements: one summary page plus one page per school; each school's page carries its name and its
allocation as the engine computed it, and its lines add up to its formula amount exactly (a hand
case is worked beside the expected values). Handout: at most two pages, its headline numbers equal
the engine's (counted here from the allocation table). Every page names the district, the scenario,
the date and the tool's version. Set SBB_PDF_PNG=folder to also render every page to PNG there.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, SAMPLE, make_scenario, make_weights, matrix_district, scenario_files
from sbb.allocate import allocate
from sbb.counts import count_columns
from sbb.district import load_district
from sbb.documents import DocInfo, handout_pdf, statements_pdf
from sbb.documents.lines import statements
from sbb.problems import InputError
from sbb.scenario import load_scenario
from test_export import run_cli

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
                                reason="poppler-utils (pdftotext, pdfinfo) is not installed")

DAY = dt.date(2026, 11, 30)
VERSION = "sbb " + __import__("tomllib").loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def sample(name: str):
    s = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    d = load_district(SAMPLE / "schools.csv", s.weights, counts=SAMPLE / "counts.csv")
    return allocate(d, s), d


def pages(pdf: bytes, tmp_path: Path, name: str) -> list[str]:
    """The text of each page, as pdftotext reads it (pages are separated by form feeds)."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    count = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    out = text.split("\f")[:count]
    assert len(out) == count
    png = os.environ.get("SBB_PDF_PNG")
    if png:
        Path(png).mkdir(parents=True, exist_ok=True)
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(Path(png) / name)], check=True)
    return out


def money(x: float) -> str:
    """Whole dollars with commas, halves away from zero (written here, not taken from sbb)."""
    return f"${int(Decimal(repr(abs(float(x)))).to_integral_value('ROUND_HALF_UP')):,}"


def test_every_school_has_a_page_with_its_name_and_allocation(tmp_path):
    a, d = sample("hold_harmless_3pct")
    info = DocInfo.make("Sample district", a.scenario.title, DAY)
    text = pages(statements_pdf(a, d, info), tmp_path, "statements")
    t = a.table
    assert len(text) == len(t) + 1  # the summary page, then one page per school
    assert "School allocation statements" in text[0]
    assert money(t["allocation"].sum()) in text[0]
    for page, (_, row) in zip(text[1:], t.iterrows()):
        assert row["school_name"] in page and f"School {row['school_id']}" in page
        assert money(row["allocation"]) in page, row["school_id"]
        if row["prior_allocation"] == row["prior_allocation"]:
            assert money(row["prior_allocation"]) in page
        else:
            assert "new school" in page
    for page in text:  # every page names the district, the scenario, the date and the version
        assert "Sample district" in page and a.scenario.title in page
        assert "2026-11-30" in page and VERSION in page


def test_the_lines_add_up_to_the_formula_amount_for_every_school():
    """Every school of every shipped scenario, and one in cents: the lines add up to
    the formula amount exactly, and the rounding line is only rounding: at most half a cent per
    weighted pupil (the base is printed to the cent) plus a dollar (whole-dollar rounding), plus a
    cent per line."""
    import dataclasses

    cases = [sample(p.stem) for p in scenario_files()]
    for folder, name in (("minnesota_fy2022", "minnesota_compensatory_fy2022"),
                         ("connecticut_ecs_style", "connecticut_ecs_style_transition"),
                         ("nyc_fsf_fy2019", "nyc_fsf_fy2019")):  # the real-formula examples on their own data
        s = load_scenario(ROOT / "scenarios" / f"{name}.toml")
        real = load_district(ROOT / "sample_data" / folder / "schools.csv", s.weights,
                             counts=ROOT / "sample_data" / folder / "counts.csv")
        cases.append((allocate(real, s), real))
    toa, d = sample("theory_of_action")
    cases.append((allocate(d, dataclasses.replace(toa.scenario, rounding="cents")), d))  # amounts in cents
    for a, d in cases:
        formula = dict(zip(a.table["school_id"], a.table["formula_amount"]))
        for st in statements(a, d):
            assert st.lines_total == Decimal(repr(float(formula[st.school_id])))
            rounding = sum((ln.dollars for ln in st.lines if ln.kind == "rounding"), Decimal(0))
            assert abs(float(rounding)) <= 0.005 * st.weighted + 1 + 0.01 * len(st.lines), st.school_id


def hand_case():
    """Two schools, every grade weight 1.0, poverty 0.25, ELL 0.40, base $5,000 (fixed), no foundation.
    A: 100 grade-4 pupils, 20 poor, 10 ELL.  B: 50 grade-9 pupils, all poor; prior $400,000, 5% floor."""
    w = make_weights()
    cols = count_columns(w)
    m = np.zeros((2, len(cols)), dtype=np.int64)
    m[0, cols.index("grade_4")], m[0, cols.index("frl")], m[0, cols.index("ell")] = 100, 20, 10
    m[1, cols.index("grade_9")], m[1, cols.index("frl")] = 50, 50
    d = matrix_district(w, m, np.array([500000.0, 400000.0]), ids=["A", "B"])
    return d, make_scenario(w, mode="fixed_base", max_loss_pct=5.0)


def test_hand_computed_statement(tmp_path):
    d, s = hand_case()
    a = allocate(d, s)
    st_a, st_b = statements(a, d)
    # A: grades 100 x 1.00 x $5,000 = $500,000; poverty 20 x 0.25 x $5,000 = $25,000;
    #    ELL 10 x 0.40 x $5,000 = $20,000; formula $545,000, no rounding line
    assert [(ln.label, ln.pupils, ln.weight, float(ln.dollars)) for ln in st_a.lines] == [
        ("Grade 4", 100, 1.0, 500000.0), ("Poverty", 20, 0.25, 25000.0), ("English learners", 10, 0.4, 20000.0)]
    # B: 50 x 1.00 x $5,000 = $250,000 + 50 x 0.25 x $5,000 = $62,500 -> $312,500; floor $400,000 x 0.95 =
    #    $380,000, so the hold-harmless protection is $67,500
    assert float(st_b.lines_total) == 312500.0 and st_b.hold_harmless == 67500.0 and st_b.allocation == 380000.0
    text = pages(statements_pdf(a, d, DocInfo.make("Hand district", s.title, DAY)), tmp_path, "hand")
    assert len(text) == 3
    for line in ("$500,000.00", "$25,000.00", "$20,000.00", "$545,000.00"):
        assert line in text[1]
    # weighted pupils always to 2 decimals: 100 x 1.00 = 100.00, 20 x 0.25 = 5.00, 10 x 0.40 = 4.00, total 109.00
    rows = [" ".join(line.split()) for line in text[1].splitlines()]
    for row in ("Grade 4 100 1.00 100.00 $5,000.00 $500,000.00", "Poverty 20 0.25 5.00 $5,000.00 $25,000.00",
                "English learners 10 0.40 4.00 $5,000.00 $20,000.00", "Formula amount 100 109.00 $545,000.00"):
        assert row in rows, rows
    assert "+$67,500" in text[2] and "$380,000" in text[2] and "$312,500.00" in text[2]
    assert "-5.00%" in text[2]  # $380,000 against $400,000


def test_one_school_and_an_unknown_school(tmp_path):
    a, d = sample("baseline")
    info = DocInfo.make("Sample district", a.scenario.title, DAY)
    row = a.table.iloc[6]
    text = pages(statements_pdf(a, d, info, [row["school_id"]]), tmp_path, "one")
    assert len(text) == 2 and row["school_name"] in text[1] and money(row["allocation"]) in text[1]
    with pytest.raises(InputError) as err:
        statements_pdf(a, d, info, ["NOPE"])
    assert err.value.problems[0].value == "NOPE"


def test_handout_headline_numbers_equal_the_engine(tmp_path):
    a, d = sample("ell_050_hold_harmless")
    t = a.table
    text = pages(handout_pdf(a, d, DocInfo.make("Sample district", a.scenario.title, DAY)), tmp_path, "handout")
    assert len(text) <= 2
    first = " ".join(text[0].split())
    delta = t["allocation"] - t["prior_allocation"]
    assert money(t["allocation"].sum()) in first
    assert f"{int((delta > 0).sum())} of {len(t)}" in first          # schools gaining
    assert f"{int((delta < 0).sum())} of {len(t)}" in first          # schools losing
    # the biggest loss as the app's card and the CLI write it: the amount, then its percent of the
    # same school's last year (ell_050_hold_harmless: $402,031, 3.0%)
    worst = delta.idxmin()
    assert f"{money(-delta[worst])} ({-delta[worst] / t.loc[worst, 'prior_allocation'] * 100:.1f}%)" in first
    assert "-" + money(-delta.min()) + " " not in first.replace("(-", "(")  # no minus on the card
    lifted = t["allocation"] - t["formula_amount"]
    assert money(lifted[lifted > 0].sum()) in first                    # hold-harmless cost
    assert f"${a.base_per_weighted_pupil:,.2f}" in first
    assert a.scenario.description in first
    assert "Poorest ÷ least-poor quarter, $ per pupil" in first  # the figure's one name, as on the app's card
    # the three biggest movers each way are named on the chart and listed on page 2
    movers = t.assign(d=delta).dropna(subset=["prior_allocation"]).sort_values("d")
    for name in list(movers["school_name"].head(3)) + list(movers["school_name"].tail(3)):
        assert name in text[1]
    assert "English learners weight" in text[1] and "0.40" in text[1] and "0.50" in text[1]
    for page in text:
        assert "Sample district" in page and "2026-11-30" in page and VERSION in page


def test_cli_writes_both_documents_and_refuses_a_bad_output(tmp_path):
    common = ["--schools", str(SAMPLE / "schools.csv"), "--counts", str(SAMPLE / "counts.csv"),
              "--scenario", str(ROOT / "scenarios" / "poverty_030.toml"), "--district", "Sample district"]
    st, ho, bad, unknown = run_cli(
        ["statements", *common, "--out", str(tmp_path / "s.pdf"), "--school", "S001", "--school", "S002"],
        ["handout", *common, "--out", str(tmp_path / "h.pdf")],
        ["handout", *common, "--out", str(tmp_path / "h.txt")],
        ["statements", *common, "--out", str(tmp_path / "u.pdf"), "--school", "S999"])
    assert st.returncode == 0 and ho.returncode == 0, st.stderr + ho.stderr
    assert len(pages((tmp_path / "s.pdf").read_bytes(), tmp_path, "cli")) == 3
    assert bad.returncode == 2 and "h.txt" in bad.stderr and ".pdf" in bad.stderr and "Traceback" not in bad.stderr
    assert unknown.returncode == 2 and "S999" in unknown.stderr and not (tmp_path / "u.pdf").exists()


def test_documents_for_a_district_of_new_schools(tmp_path):
    """No school had a prior year (and one has no pupils): both documents are written; the handout
    says there is no change to show and each statement says 'new school'."""
    w = make_weights()
    cols = count_columns(w)
    m = np.zeros((3, len(cols)), dtype=np.int64)
    m[:, cols.index("grade_4")] = [100, 50, 0]  # 100 x $5,000 = $500,000; 50 x $5,000 = $250,000; $0
    d = matrix_district(w, m, np.full(3, np.nan), ids=["A", "B", "C"])
    s = make_scenario(w, mode="fixed_base")
    a = allocate(d, s)
    info = DocInfo.make("New district", s.title, DAY)
    text = pages(statements_pdf(a, d, info), tmp_path, "new")
    assert len(text) == 4 and "$500,000" in text[1] and "$250,000" in text[2] and "new school" in text[3]
    hand = pages(handout_pdf(a, d, info), tmp_path, "new_handout")
    assert "no change to show" in " ".join(hand[0].split())


def test_printed_change_chart_writes_minus_dollars_with_a_hyphen():
    """The handout's change chart, drawn by vl-convert as SVG: its axis writes a loss as the text does,
    '-$200,000' with a plain hyphen, not d3's default '−$200,000' (U+2212)."""
    import re

    import vl_convert as vlc

    from sbb.documents.charts import change_chart

    a, _ = sample("ell_050_hold_harmless")
    svg = vlc.vegalite_to_svg(change_chart(a.table).to_dict())
    labels = re.findall(r">([^<>]*\$[^<>]*)<", svg)
    assert any(t.startswith("-$") for t in labels), labels          # the losses' side of the axis
    assert not any("\u2212" in t for t in labels), labels


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
@pytest.mark.parametrize("name", ["theory_of_action", "baseline"])
def test_handout_words_never_overlap(tmp_path, name):
    """The theory-of-action handout (long values: 'band 1: 100%, band 2: 90%, ...') and the baseline's (a
    biggest loss of '$1,519,709 (12.3%)'), read back by poppler with each word's box: on every line each
    word ends before the next one starts (the autonomy line's label ran into its value, 'a school
    controlsband 1: 100%'; the biggest-loss box's value into the next box)."""
    import re

    a, d = sample(name)
    pdf = tmp_path / "h.pdf"
    pdf.write_bytes(handout_pdf(a, d, DocInfo.make("Sample district", a.scenario.title, DAY)))
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines: dict[tuple[int, int], list] = {}
    for page, part in enumerate(html.split("<page ")[1:]):
        for x0, y0, x1, w in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
                                        part):
            lines.setdefault((page, round(float(y0))), []).append((float(x0), float(x1), w))
    if name == "theory_of_action":
        assert any(w == "controls" for ws in lines.values() for *_, w in ws)
    for y, ws in lines.items():
        ws.sort()
        for (a0, a1, aw), (b0, b1, bw) in zip(ws, ws[1:]):
            assert a1 <= b0 + 0.5, (y, aw, bw)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed")
def test_statement_notes_leave_room_for_the_amount(tmp_path):
    """Central High under the theory-of-action scenario: the protection line's note ('no school gets less
    than 97% of last year') ran into its amount ('year+$1,489,991'). The amount, the engine's allocation
    less the formula amount, is now its own word, to the right of the note's last word."""
    import re

    a, d = sample("theory_of_action")
    row = a.table.set_index("school_id").loc["S042"]
    lifted = round(float(row["allocation"] - row["formula_amount"]))  # the floor and phase-in lift, in dollars
    assert lifted > 0
    pdf = tmp_path / "s.pdf"
    pdf.write_bytes(statements_pdf(a, d, DocInfo.make("Sample district", a.scenario.title, DAY), ["S042"]))
    html = subprocess.run(["pdftotext", "-f", "2", "-l", "2", "-bbox", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    words = [(float(x0), round(float(y0)), float(x1), w) for x0, y0, x1, w in
             re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', html)]
    amount = f"+${lifted:,}"
    (x0, y, _, _), = [w for w in words if w[3] == amount]
    note_end = max(x1 for _, yy, x1, w in words if yy == y and w == "year")  # '... of last year' on that line
    assert note_end < x0


def test_a_new_schools_statement_says_it_has_no_limits(tmp_path):
    """S050 has no prior allocation in the sample: the 3% floor of enrollment_shift is against last
    year, so its page says it is new with no limits, never 'no school gets less than 97%'."""
    a, d = sample("enrollment_shift")
    info = DocInfo.make("Sample district", a.scenario.title, DAY)
    new, old = (pages(statements_pdf(a, d, info, [sid]), tmp_path, sid)[1] for sid in ("S050", "S001"))
    flat = " ".join(new.split())
    assert "this school is new: no limits apply" in flat and "97%" not in flat and "103%" not in flat
    assert "no school gets less than 97% of last year" in " ".join(old.split())  # 100 - 3 = 97


def test_handout_baseline_has_no_limits_and_no_empty_column(tmp_path):
    """theory_of_action phases in over 3 years with a floor and a cap: the baseline 'no limits' has
    none of them, so it lifts no school above its formula (hold-harmless cost $0, by definition), while
    the scenario's cost is what its schools are lifted above their formula amounts. The scenario
    overrides no weight, so the weight-table column is left out rather than printed empty."""
    a, d = sample("theory_of_action")
    text = pages(handout_pdf(a, d, DocInfo.make("Sample district", a.scenario.title, DAY)), tmp_path, "toa")
    page = [" ".join(line.split()) for line in text[1].splitlines()]
    t = a.table
    lifted = t["allocation"] - t["formula_amount"]
    assert f"Hold-harmless cost $0 {money(lifted[lifted > 0].sum())}" in page
    assert "Weight table" not in text[1]
