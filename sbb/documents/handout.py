"""The board handout: two printed pages for a board packet.

Page 1: the scenario's name and note, the headline numbers (`sbb.figures.board_figures`, the
same figures the app shows), every school's change with the biggest movers named, and dollars per
pupil by poverty quarter. Page 2: what the scenario changes from the weight table
(`sbb.changes.scenario_changes`), the scenario against its baseline (the weight table as adopted,
same budget, no limits), five equity measures against last year (`equity_data`, as the app's Equity
tab) and the biggest gains and losses.
"""

from __future__ import annotations

import io

from fpdf.enums import XPos, YPos

from ..allocate import Allocation, allocate
from ..changes import scenario_changes
from ..district import District
from ..explain import baseline_without_limits
from ..problems import InputError
from ..report import dollars
from ..figures import LABELS, board_figures, figure_text, signed
from ..ui.presentation import equity_data
from . import charts
from . import page as pg

TITLE = "Board handout"


def headline_items(allocation: Allocation, district: District) -> list[tuple[str, str]]:
    """The handout's headline numbers as (label, text), from `sbb.figures.board_figures` (as the app)."""
    h = board_figures(allocation, district)
    cents = allocation.scenario.rounding == "cents"
    change = h.total - h.prior_total
    items = [("Total to schools", dollars(h.total, cents)),
             ("Change from last year's total", signed(change, cents)),
             ("Base per weighted pupil", dollars(h.base, True)),
             ("Schools gaining", f"{h.gaining:,} of {h.schools:,}"),
             ("Schools losing", f"{h.losing:,} of {h.schools:,}"),
             (f"Biggest loss: {h.biggest_loser}" if h.biggest_loser else "Biggest loss",
              # as the app's card and the command line write it: the amount lost, then its percent
              f"{dollars(h.biggest_loss, cents)} ({h.biggest_loss_pct:.1f}%)" if h.biggest_loss else "none"),
             ("Hold-harmless cost", dollars(h.hold_harmless_cost, cents)),
             (f"Schools {h.floor_phrase}", f"{h.schools_at_floor:,}")]
    if h.quartile_ratio is not None:
        before = (f" (last year {figure_text(h.quartile_ratio_prior, 'ratio')})"
                  if h.quartile_ratio_prior is not None else "")  # written as the app writes it (sbb.figures)
        items.append((LABELS["quartile_ratio"] + ", $ per pupil", f"{figure_text(h.quartile_ratio, 'ratio')}{before}"))
    return items


def _image(pdf: pg.Document, data: bytes, w: float) -> float:
    """Place a PNG at the current position, `w` mm wide; returns its height in mm."""
    info = pdf.image(io.BytesIO(data), x=pdf.get_x(), y=pdf.get_y(), w=w)
    return float(info.rendered_height)


def _baseline(allocation: Allocation, district: District) -> Allocation | None:
    try:
        return allocate(district, baseline_without_limits(allocation.scenario))
    except InputError:
        return None


def handout_pdf(allocation: Allocation, district: District, info: pg.DocInfo) -> bytes:
    """The two-page board handout (see the module docstring) as PDF bytes."""
    s = allocation.scenario
    cents = s.rounding == "cents"
    pdf = pg.Document(info, TITLE)
    pdf.add_page()
    pdf.title_block(s.title, f"{info.district}  |  board handout")
    if s.description:
        pdf.paragraph(" ".join(s.description.split()), size=10, color=pg.MUTED, height=4.6)
        pdf.ln(1.5)
    items = headline_items(allocation, district)
    pdf.figures(items[:8], columns=4, value_size=12.5)
    if len(items) > 8:
        label, value = items[8]
        pdf.font(9.5, color=pg.MUTED)
        pdf.cell(pdf.get_string_width(pdf.text_of(label)) + 3, 5, pdf.text_of(label + ":"))
        pdf.font(9.5, bold=True, color=pg.NAVY)
        pdf.cell(60, 5, pdf.text_of(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.section("Every school's change against last year")
    if allocation.table["prior_allocation"].notna().any():
        y = pdf.get_y()
        h = _image(pdf, charts.png(charts.change_chart(allocation.table, width=520, height=220)), pdf.width)
        pdf.set_y(y + h + 1)
    else:
        pdf.paragraph("No school had an allocation last year, so there is no change to show.")
    eq = equity_data(allocation, district)
    if eq is not None:
        pdf.section("Dollars per pupil by poverty")
        y = pdf.get_y()
        img_w = pdf.width * 0.52
        h = _image(pdf, charts.png(charts.quartile_chart(eq.quartiles, width=300, height=170)), img_w)
        q = eq.quartiles
        now = q[q["label"] != "Last year"].set_index("quartile")["mean_per_pupil"]
        before = q[q["label"] == "Last year"].set_index("quartile")["mean_per_pupil"]
        pdf.set_xy(pdf.l_margin + img_w + 5, y + 4)
        pdf.font(9.5)
        text = (f"Pupils are split into four equal quarters by their school's share of pupils in poverty. The "
                f"poorest quarter gets {dollars(now[4])} per pupil in this scenario ({dollars(before[4])} last "
                f"year); the least poor quarter gets {dollars(now[1])} ({dollars(before[1])} last year). Each "
                "bar is the average over the pupils in that quarter. This scenario covers every school; last "
                "year, the schools that had an allocation.")
        pdf.multi_cell(pdf.width - img_w - 5, 4.6, pdf.text_of(text))
        pdf.set_y(max(pdf.get_y(), y + h) + 1)

    pdf.add_page()
    pdf.section("What this scenario changes from the weight table")
    W = pdf.width
    changes = scenario_changes(s, allocation.budget)
    # the weight-table column holds the weights a scenario overrides; with none (only the scenario's
    # own settings, which the table does not have) it is left out rather than printed empty
    two = not any(ch.before for ch in changes)
    widths = [W * 0.40, W * 0.60] if two else [W * 0.40, W * 0.18, W * 0.42]
    pdf.row(["", "This scenario"] if two else ["", "Weight table", "This scenario"], widths, "LR" if two else "LRR",
            bold=True, size=8.5, color=pg.MUTED)
    for ch in changes:
        # a long value ("band 1: 100%, band 2: 90%, ...") ran over its label: it takes the empty
        # weight-table column too, or, still too long, a line of its own under the label
        pdf.font(9.5)
        room = widths[-1] + (0 if ch.before or two else widths[1]) - 2 * pdf.c_margin
        first = [ch.what] if two else [ch.what, ch.before]
        if pdf.get_string_width(pdf.text_of(ch.after)) <= room:
            pdf.row([*first, ch.after], widths, "LR" if two else "LRR", size=9.5, rule=True)
            continue
        pdf.row([*first, ""], widths, "LR" if two else "LRR", size=9.5)
        pdf.row(["", ch.after], [W * 0.05, W * 0.95], "LR", size=9.5, rule=True)
    base = _baseline(allocation, district)
    if base is not None:
        pdf.section("Against the baseline: the weight table as adopted, same budget, no limits")
        diff = allocation.table["allocation"].to_numpy(dtype=float) - base.table["allocation"].to_numpy(dtype=float)
        w3 = [W * 0.5, W * 0.25, W * 0.25]
        pdf.row(["", "Baseline", "This scenario"], w3, "LRR", bold=True, size=8.5, color=pg.MUTED)
        for label, a, b in [
            ("Base per weighted pupil", dollars(base.base_per_weighted_pupil, True),
             dollars(allocation.base_per_weighted_pupil, True)),
            ("Total to schools", dollars(base.total, cents), dollars(allocation.total, cents)),
            ("Hold-harmless cost", dollars(base.hold_harmless_cost, cents), dollars(allocation.hold_harmless_cost, cents)),
            ("Schools better off than under the baseline", "", f"{int((diff > 0).sum()):,}"),
            ("Schools worse off than under the baseline", "", f"{int((diff < 0).sum()):,}"),
        ]:
            pdf.row([label, a, b], w3, "LRR", size=9.5, rule=True)
    if eq is not None:
        pdf.section("Equity, dollars per pupil (pupils as the unit)")
        keep = ["federal_range_ratio", "gini", "poor_ratio", "poverty_slope_per_10pts", "quartile_ratio"]
        tab = eq.table.reset_index(drop=True)
        now_col = "This scenario" if "This scenario" in tab else "Scenario"  # the app's table, as it names it
        mark_col = "Better or worse" if "Better or worse" in tab else "Change"
        pick = ((eq.report["basis"] == "per pupil") & eq.report["measure"].isin(keep)).to_numpy()
        w5 = [W * 0.44, W * 0.15, W * 0.15, W * 0.26]
        pdf.row(["Measure", "Last year", "This scenario", "Change"], w5, "LRRL", bold=True, size=8.5, color=pg.MUTED)
        for _, r in tab[pick].iterrows():
            change = str(r[mark_col]).replace("\u25b2", "").replace("\u25bc", "").strip()
            pdf.row([r["Measure"], r["Last year"], r[now_col], change], w5, "LRRL", size=9.5, rule=True)
    pdf.section("Biggest gains and losses against last year")
    t = allocation.table.set_index("school_id")
    w4 = [W * 0.40, W * 0.17, W * 0.17, W * 0.15, W * 0.11]
    pdf.row(["School", "Last year", "This scenario", "Change", "Change %"], w4, "LRRRR", bold=True, size=8.5,
            color=pg.MUTED)
    for r in charts.movers(allocation.table, 5).itertuples():
        row = t.loc[r.school_id]
        pdf.row([pdf.fit(r.school_name, w4[0] - 1), dollars(row["prior_allocation"], cents),
                 dollars(row["allocation"], cents), signed(r.delta, cents), f"{r.delta_pct:+.2f}%"],
                w4, "LRRRR", size=9.5, rule=True, color=pg.GAIN if r.delta > 0 else pg.LOSS)
    pdf.ln(2)
    pdf.paragraph("Gains are in blue and losses in vermillion; every change also carries its sign. Figures are "
                  "from the allocation engine; each school's own statement shows how its number was made.",
                  size=8, color=pg.MUTED, height=3.8)
    return pdf.pdf_bytes()
