"""School statements as one PDF: a district summary page, then one page per school.

Each school's page shows how its number was made, as a principal would check it: pupils x weight =
weighted pupils, x the base = dollars, line by line (`sbb.documents.lines`), the fixed amounts, the
rounding, the formula amount, the hold-harmless protection and the gains cap, the allocation, last
year, the change and the dollars per pupil, and one small chart (last year beside this year, this
year split into its parts) drawn with the PDF library's own shapes, so a 1,600-school district
writes in seconds.
"""

from __future__ import annotations

from decimal import Decimal

from ..allocate import Allocation
from ..changes import scenario_changes
from ..district import District
from ..explain import grade_label, level_label, need_label
from ..problems import InputError, Problem
from ..report import dollars
from fpdf.enums import XPos, YPos
from . import page as pg
from .lines import Statement, _grade_groups, statements

TITLE = "School allocation statements"


def _num(x: float, places: int = 2) -> str:
    """A count or weight as printed: no trailing zeros beyond what it needs ('231', '0.55', '254.1')."""
    text = f"{x:,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _weighted(x: float) -> str:
    """Weighted pupils as printed: always 2 decimals ('254.10', '111.00', '26.25'), the places the
    engine's rounding of weighted pupils keeps."""
    return f"{x:,.2f}"


def _weight(x: float) -> str:
    return f"{x:.2f}" if round(x, 2) == x else f"{x:g}"


def _signed(x: float | None, cents: bool = False) -> str:
    if x is None:
        return "—"
    text = dollars(x, cents)
    return text if text.startswith("-") or x == 0 else "+" + text


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:+.2f}%"


def _money(x: Decimal | float, cents: bool = True) -> str:
    return dollars(float(x), cents)


def summary_page(pdf: pg.Document, allocation: Allocation, subtitle: str) -> None:
    """The district summary: headline numbers, what the scenario changes, the weights, how to read."""
    s = allocation.scenario
    summ = allocation.summary()
    cents = s.rounding == "cents"
    pdf.add_page()
    pdf.title_block(f"{pdf.info.district}: {subtitle}", s.title)
    if s.description:
        pdf.paragraph(s.description, color=pg.MUTED)
        pdf.ln(2)
    items = [("Total allocated to schools", dollars(allocation.total, cents)),
             ("Base per weighted pupil", dollars(allocation.base_per_weighted_pupil, True)),
             ("Schools", f"{summ['schools']:,}"),
             ("Gaining / losing", f"{summ['gaining']:,} / {summ['losing']:,}"),
             ("Hold-harmless cost", dollars(allocation.hold_harmless_cost, cents)),
             ("Held back by the gains cap", dollars(allocation.cap_recovered, cents))]
    if allocation.budget is not None:
        items.insert(0, ("Budget", dollars(allocation.budget, cents)))
        items.insert(2, ("Pupils", _num(float(allocation.table["enrollment"].sum()))))
    pdf.figures(items, columns=4, value_size=13)

    pdf.section("What this scenario sets")
    widths = [pdf.width * 0.42, pdf.width * 0.2, pdf.width * 0.38]
    pdf.row(["", "Weight table", "This scenario"], widths, "LRR", bold=True, size=8.5, color=pg.MUTED)
    for ch in scenario_changes(s, allocation.budget):
        pdf.row([ch.what, ch.before, ch.after], widths, "LRR", size=9, rule=True)

    pdf.section("The weights")
    w = s.weights
    rows: list[tuple[str, str]] = ([("All grades", _weight(w.grade[0]))] if w.grade_all else
                                   [(grade_label(a, b), _weight(x)) for a, b, x in _grade_groups(w.grade)])
    for cat in w.categories():  # each flag or level, one row per grade band where the weight varies by band
        label = need_label(cat.need) + (f": {level_label(cat.level)}" if cat.level else "")
        rows.append((label + (f", grades {cat.band}" if cat.band else "") + " (added)", _weight(cat.weight)))
    for c in w.concentration:
        rule = (f"x min(1, share / {c.full_at:.0%})" if c.shape == "ramp" else
                f"per pupil above {c.share_at_least:.0%} of pupils" if c.shape == "excess" else
                f"at {c.share_at_least:.0%} or more of pupils")
        rows.append((f"{need_label(c.need)} concentration, {rule} (added)", _weight(c.weight)))
    rows.append(("Foundation per school", dollars(w.foundation_per_school)))
    if w.small_school is not None and w.small_school.enrollment_below > 0:
        rows.append((f"Small schools (below {_num(w.small_school.enrollment_below)} pupils)",
                     f"to {dollars(w.small_school.per_school)}"))
    half = (len(rows) + 1) // 2
    cw = [pdf.width * 0.37, pdf.width * 0.09, pdf.width * 0.04, pdf.width * 0.38, pdf.width * 0.12]
    for k in range(half):
        left = rows[k]
        right = rows[half + k] if half + k < len(rows) else ("", "")
        pdf.row([left[0], left[1], "", right[0], right[1]], cw, "LRLLR", size=9)
    pdf.ln(1)
    pdf.paragraph(f"Weights are weighted pupils per pupil; need weights are added to the grade weight. "
                  f"Source of the weight table: {' '.join(w.source.split()) if w.source else 'not stated'}",
                  size=8, color=pg.MUTED, height=3.8)

    pdf.section("Reading your school's statement")
    pdf.paragraph(
        "Each school's page lists its pupils by grade and by need. Each line is pupils x weight = weighted "
        "pupils, and weighted pupils x the base per weighted pupil = dollars. Fixed amounts are added, and a "
        "rounding line brings the sum to the formula amount exactly. The hold-harmless floor then lifts a "
        "school that would lose more than the scenario allows, and the gains cap holds back part of a large "
        "gain; the result is the allocation. Change is against last year's allocation.", size=9)


def _chart(pdf: pg.Document, st: Statement, x: float, y: float, w: float, h: float) -> None:
    """Last year beside this year; this year split into grades, needs, fixed amounts, protection.
    Drawn with rectangles and text (no image), so it costs almost nothing per page.

    This year is drawn as a running sum in the formula's order (grades, needs, multiplier, fixed
    amounts, hold-harmless, cap): a positive part is a filled box from where the sum stands, a
    negative one (a multiplier below 1, a negative amount, the gains cap's hold-back) an outlined box
    taking the sum back, so the filled bar ends at the allocation and the outlines show what was
    taken. The scale covers the full extent of every bar (last year, the running sum's highest point,
    the allocation) and leaves room for the value printed after it: nothing runs past the margin."""
    def total(*kinds: str) -> float:
        return sum(float(ln.dollars) for ln in st.lines if ln.kind in kinds)

    parts = [("Grades", total("grade"), pg.PARTS[0]), ("Needs", total("need", "other"), pg.PARTS[1]),
             ("Multiplier", total("multiplier"), pg.NAVY), ("Fixed", total("fixed", "rounding"), pg.PARTS[2]),
             ("Hold-harmless", st.hold_harmless, pg.PARTS[3]), ("Held back by cap", st.cap, pg.LOSS)]
    gains = [(n, a, c) for n, a, c in parts if a > 0]
    takes = [(n, a, c) for n, a, c in parts if a < 0]
    running, highest = 0.0, 0.0
    for _, a, _ in parts:
        running += a
        highest = max(highest, running)
    stacked = highest
    top = max(stacked, st.allocation, st.prior or 0.0, 1.0)
    label_w = 22.0
    pdf.font(8.5, bold=True)
    value_w = max(pdf.get_string_width(dollars(v)) for v in (st.allocation, st.prior or 0.0)) + 3.0
    scale = (w - label_w - value_w) / top
    bar_h = h * 0.24
    pdf.font(8.5, bold=True, color=pg.NAVY)
    pdf.set_xy(x, y)
    pdf.cell(w, 4.5, "Last year and this year")
    rows = [("Last year", y + 7), ("This year", y + 7 + bar_h + 4)]
    pdf.font(8.5, color=pg.INK)
    for label, yy in rows:
        pdf.set_xy(x, yy + bar_h / 2 - 2.2)
        pdf.cell(label_w, 4.4, label)
    zero = x + label_w
    # last year
    yy = rows[0][1]
    if st.prior is not None:
        pdf.set_fill_color(*pg.LAST_YEAR)
        pdf.rect(zero, yy, max(st.prior * scale, 0.2), bar_h, style="F")
        pdf.set_xy(zero + max(st.prior, 0.0) * scale + 0.5, yy + bar_h / 2 - 2.2)
        pdf.cell(value_w, 4.4, dollars(st.prior))
    else:
        pdf.set_xy(zero, yy + bar_h / 2 - 2.2)
        pdf.cell(40, 4.4, "new school: no prior year")
    # this year: a running sum, filled boxes adding, outlined boxes taking back (frames drawn last)
    yy = rows[1][1]
    cursor, reach, frames = 0.0, 0.0, []
    for _, amount, colour in parts:
        if amount > 0:
            pdf.set_fill_color(*colour)
            pdf.rect(zero + cursor * scale, yy, amount * scale, bar_h, style="F")
        elif amount < 0:
            left = max(cursor + amount, 0.0)
            pdf.set_fill_color(255, 255, 255)
            with pdf.local_context(fill_opacity=0.8):  # what was taken back stays faintly visible
                pdf.rect(zero + left * scale, yy, (cursor - left) * scale, bar_h, style="F")
            frames.append((left, cursor, colour))
        cursor = max(cursor + amount, 0.0)
        reach = max(reach, cursor)
    pdf.set_line_width(0.3)
    for left, right, colour in frames:
        pdf.set_draw_color(*colour)
        pdf.rect(zero + left * scale, yy + 0.15, (right - left) * scale, bar_h - 0.3, style="D")
    pdf.set_line_width(0.2)
    cursor = zero + reach * scale
    if takes:  # where the allocation ends
        at = zero + max(st.allocation, 0.0) * scale
        pdf.set_draw_color(*pg.INK)
        pdf.set_line_width(0.5)
        pdf.line(at, yy - 1.2, at, yy + bar_h + 1.2)
        pdf.set_line_width(0.2)
    pdf.set_xy(max(cursor, zero + max(st.allocation, 0.0) * scale) + 0.5, yy + bar_h / 2 - 2.2)
    pdf.font(8.5, bold=True)
    pdf.cell(value_w, 4.4, dollars(st.allocation))
    # legend: filled squares for what adds, outlined squares for what is taken back
    lx, ly = zero, rows[1][1] + bar_h + 3
    pdf.font(7.5, color=pg.MUTED)
    legend = [(n, c, "F") for n, _, c in gains] + [(f"{n} (less)" if n != "Held back by cap" else n, c, "D")
                                                   for n, _, c in takes]
    for name, colour, style in legend:
        if style == "D":
            pdf.set_draw_color(*colour)
            pdf.rect(lx, ly + 0.8, 3, 3, style="D")
        else:
            pdf.set_fill_color(*colour)
            pdf.rect(lx, ly + 0.8, 3, 3, style="F")
        pdf.set_xy(lx + 3.8, ly)
        pdf.cell(pdf.get_string_width(name) + 1, 4.4, name)
        lx += 3.8 + pdf.get_string_width(name) + 5


def school_page(pdf: pg.Document, st: Statement, allocation: Allocation) -> None:
    """One school's statement (see the module docstring)."""
    s = allocation.scenario
    cents = s.rounding == "cents"
    pdf.add_page()
    pdf.font(17, bold=True, color=pg.NAVY)  # one line (a long name is shortened): no wrapping to compute
    pdf.cell(pdf.width, 7.5, pdf.fit(st.school_name, pdf.width), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.font(10.5, color=pg.MUTED)
    projected = "  |  pupils: next year's projected enrollment" if s.theory.enrollment_change is not None else ""
    pdf.cell(pdf.width, 5, pdf.text_of(f"School {st.school_id}  |  allocation statement{projected}"),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    change = "—" if st.delta is None else f"{_signed(st.delta, cents)} ({st.delta_pct:+.2f}%)" \
        if st.delta_pct is not None else _signed(st.delta, cents)
    pdf.figures([("Allocation", dollars(st.allocation, cents)),
                 ("Last year", "new school" if st.prior is None else dollars(st.prior, cents)),
                 ("Change", change)], columns=3, value_size=14)

    pdf.section("How the formula amount is made")
    W = pdf.width
    widths = [W * 0.34, W * 0.11, W * 0.10, W * 0.13, W * 0.14, W * 0.18]
    pdf.row(["", "Pupils", "x Weight", "= Weighted", "x Base", "= Dollars"], widths, "LRRRRR", bold=True,
            size=8.5, color=pg.MUTED)
    base = _money(st.base_shown)
    for ln in st.lines:
        if ln.kind in ("grade", "need"):
            cells = [ln.label, _num(ln.pupils), _weight(ln.weight), _weighted(ln.weighted), base, _money(ln.dollars)]
        elif ln.kind == "other":
            cells = [ln.label, "", "", _weighted(ln.weighted), base, _money(ln.dollars)]
        elif ln.kind == "rounding":
            cells = ["Rounding (see note)", "", "", "", "", _money(ln.dollars)]
        else:
            cells = [ln.label, "", "", "", "", _money(ln.dollars)]
        pdf.row(cells, widths, "LRRRRR", size=9.5, rule=True)
    pdf.row(["Formula amount", _num(st.pupils), "", _weighted(st.weighted), "", dollars(st.formula_amount, True)],
            widths, "LRRRRR", bold=True, size=9.5, fill=pg.SHADE)

    pdf.section("From the formula amount to the allocation")
    w2 = [W * 0.34, W * 0.46, W * 0.20]  # the notes ("no school gets less than 97% of last year") whole
    floor = (f"no school gets less than {100 - s.max_loss_pct:g}% of last year" if s.max_loss_pct is not None
             else "no floor in this scenario")
    cap = (f"no school gets more than {100 + s.max_gain_pct:g}% of last year" if s.max_gain_pct is not None
           else "no cap in this scenario")
    rows = [("Formula amount", "", dollars(st.formula_amount, cents), False),
            ("Hold-harmless protection", floor, _signed(st.hold_harmless, cents), False),
            ("Held back by the gains cap", cap, dollars(st.cap, cents) if st.cap else "$0", False),
            ("Allocation", "", dollars(st.allocation, cents), True),
            ("Last year", "", "new school" if st.prior is None else dollars(st.prior, cents), False),
            ("Change", _pct(st.delta_pct), _signed(st.delta, cents), False),
            ("Per pupil", f"{_num(st.pupils)} pupils", "—" if st.per_pupil is None else dollars(st.per_pupil, True),
             False)]
    if (s.theory.phase_in_years or 1) > 1:
        rows[0] = ("Formula amount", "phase-in: year 1 moves part of the way",
                   dollars(st.formula_amount, cents), False)
        rows[1] = ("Phase-in and floor protection", floor, _signed(st.hold_harmless, cents), False)
        rows[2] = ("Held back: phase-in and cap", cap, dollars(st.cap, cents) if st.cap else "$0", False)
    if s.transition is not None:  # a one-year step toward the formula (sbb.transition)
        t = s.transition
        rows[1] = ("Kept above the formula: floor, transition", f"{t.share_of_loss:.1%} of a loss this year",
                   _signed(st.hold_harmless, cents), False)
        rows[2] = ("Held back: cap, transition", f"{t.share_of_gain:.1%} of a gain this year",
                   dollars(st.cap, cents) if st.cap else "$0", False)
    if st.prior is None:  # the limits are against last year's allocation: a new school has none
        rows[1] = (rows[1][0], "this school is new: no limits apply", rows[1][2], False)
        rows[2] = (rows[2][0], "this school is new: no limits apply", rows[2][2], False)
    rows += [(label, "", dollars(v, cents), False) for label, v in st.extra]
    for label, note, value, bold in rows:
        pdf.row([label, note, value], w2, "LLR", bold=bold, size=9.5, rule=not bold,
                fill=pg.SHADE if bold else None)
    pdf.ln(2)
    rounding = next((ln.dollars for ln in st.lines if ln.kind == "rounding"), Decimal(0))
    unit = "cent" if cents else "dollar"
    how = ("so that all schools add up to the budget exactly" if s.mode == "budget_neutral"
           else f"to the {unit}")
    # the note, broken into lines that fit the page (`wrap` measures words; `multi_cell` would be
    # most of the cost of a page)
    pdf.font(7.5, color=pg.MUTED)
    note = (f"Each line uses the base printed ({base} per weighted pupil) and is rounded to the cent. The formula "
            f"amount uses the exact base (${st.base_exact:,.6f}) and is rounded {how}"
            + (f"; the rounding line ({_money(rounding)}) is the difference." if rounding else "."))
    for line in pdf.wrap(note, pdf.width):
        pdf.cell(pdf.width, 3.6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    y = pdf.get_y() + 6
    if y + 36 <= pdf.h - 14:
        _chart(pdf, st, pdf.l_margin, y, pdf.width, 34)
    pdf.set_xy(pdf.l_margin, pdf.get_y())


def statements_pdf(allocation: Allocation, district: District, info: pg.DocInfo,
                   school_ids: list[str] | None = None) -> bytes:
    """The statements PDF: the district summary page, then each school's page (or only those in
    `school_ids`). Raises `InputError` naming a school id that is not in the allocation."""
    try:
        items = statements(allocation, district, school_ids)
    except KeyError as exc:
        raise InputError([Problem("--school", None, "school_id", str(exc).strip("'"),
                                  "a school_id listed in the schools file")]) from None
    pdf = pg.Document(info, TITLE)
    summary_page(pdf, allocation, TITLE)
    for st in items:
        school_page(pdf, st, allocation)
    return pdf.pdf_bytes()


__all__ = ["statements_pdf"]
