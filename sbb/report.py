"""Plain-text and CSV views of an allocation: the command-line summary and the allocation file."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd

from .allocate import Allocation
from .rounding_note import statutory_rounding_note


def dollars(x: float | None, cents: bool = False) -> str:
    """'$1,234,567' (or with cents); an em dash for a missing value. Halves round away from zero, as
    Excel's ROUND does ($2.50 shows as $3), on the number as written (0.125 shows as $0.13)."""
    if x is None or pd.isna(x):
        return "—"
    if abs(x) == float("inf"):
        return f"{x:,}"
    step = Decimal("0.01") if cents else Decimal(1)
    text = f"{Decimal(repr(abs(float(x)))).quantize(step, rounding=ROUND_HALF_UP):,}"
    sign = "-" if x < 0 and text.strip("0.,") else ""  # no '-$0' for a loss that rounds to nothing
    return f"{sign}${text}"


def summary_lines(a: Allocation, district=None) -> list[str]:
    """The headline numbers of an allocation, one per line, for a terminal: the figures of
    `sbb.figures` (with `district`, also the average per pupil and the poverty quarter ratio, each
    beside last year's)."""
    from .figures import LABELS, board_figures, count_text, figure_text

    s = a.summary()
    f = board_figures(a, district, equity=district is not None)
    cents = f.cents
    lines = [f.title, "-" * len(str(f.title))]
    rows = [("mode", "budget-neutral" if s["mode"] == "budget_neutral" else "fixed base")]
    if f.budget is not None:
        rows.append(("budget", dollars(f.budget, cents)))
    for item, amount in s["managed_foundation"].items():
        rows.append((f"  less {item.replace('_', ' ')}", dollars(amount, cents)))
    if s["managed_foundation"]:
        rows.append(("shared by formula", dollars(s["pot"], cents)))
    rows += [
        ("total allocated", dollars(f.total, cents)),
        ("base per weighted pupil", dollars(f.base, True)),
        ("schools", f"{f.schools} ({f.gaining} gaining, {f.losing} losing, {f.unchanged} unchanged, "
                    f"{f.new_schools} new)"),
        ("hold-harmless cost", f"{dollars(f.hold_harmless_cost, cents)} ({f.floor_text()})"),
        ("gains cap recovered", f"{dollars(f.cap_recovered, cents)} ({f.cap_text()})"),
        # named as the app's card, the workbook and the handout name it
        ("biggest loss", f"{dollars(f.biggest_loss, cents)} ({f.biggest_loss_pct:.1f}%, {f.biggest_loser})"
                         if f.biggest_loser else "none (no school loses)"),
    ]
    # another school's larger percent loss, when it reads differently ("3.0%" twice was noise)
    if (f.largest_pct_loser is not None and f.largest_pct_loser != f.biggest_loser
            and f"{f.largest_pct_loss:.1f}" != f"{f.biggest_loss_pct:.1f}"):
        rows.append(("biggest loss in percent", f"{f.largest_pct_loss:.1f}% ({f.largest_pct_loser})"))
    at = {k: i for i, (k, _) in enumerate(rows)}
    if f.phase_in_years > 1:
        rows[at["gains cap recovered"]] = ("held back from gainers", f"{dollars(f.cap_recovered, cents)} "
                                              f"({f.cap_text()})")
    for key, kind in (("mean", "money"), ("quartile_ratio", "ratio")):
        now, last = f.measure(key)
        if now is not None:
            rows.append((LABELS[key].lower().replace("÷", "/"),
                         f"{figure_text(now, kind)} (last year {figure_text(last, kind)})"))
    if f.phase_in_years > 1:
        for y in a.years:
            rows.append((f"year {y.year}", f"base {dollars(y.base, True)}, total {dollars(y.units.sum() / a.scenario.scale, cents)}"))
        rows.append(("off formula in final year", f"{count_text(s['off_formula_final_year'], 'school')} (limits bind)"))
    rows += real_formula_lines(a)
    width = max(len(k) for k, _ in rows)
    lines += [f"  {k:<{width}}  {v}" for k, v in rows]
    return lines


def real_formula_lines(a: Allocation) -> list[tuple[str, str]]:
    """Summary rows for the transition and statutory rounding, when the scenario uses them."""
    from .figures import count_text

    s, rows = a.scenario, []
    cents = s.rounding == "cents"
    if s.transition is not None:
        t = s.transition
        above = int((a.table["hold_harmless_adjustment"] > 0).sum())
        below = int((a.table["cap_adjustment"] < 0).sum())
        rows.append(("transition", f"{t.share_of_gain:g} of each gain, {t.share_of_loss:g} of each loss this year: "
                                   f"{dollars(a.hold_harmless_cost, cents)} kept above the formula ({count_text(above, 'school')}), "
                                   f"{dollars(a.cap_recovered, cents)} held back ({count_text(below, 'school')})"))
    if s.applies_to:
        rows.append(("hold-harmless applies to", f"schools marked yes in '{s.applies_to}'"))
    note = statutory_rounding_note(s)
    if note:
        rows.append(("statutory rounding", note))
    return rows


def allocation_frame(a: Allocation) -> pd.DataFrame:
    """The allocation table as written to CSV: pupils and percentages rounded for reading, money exact."""
    t = a.table.copy()
    t["weighted_enrollment"] = t["weighted_enrollment"].round(4)
    t["delta_pct"] = t["delta_pct"].round(4)
    t["per_pupil"] = t["per_pupil"].round(2)
    if a.scenario.rounding == "dollars":
        for c in ("prior_allocation", "delta"):
            if (t[c].dropna() % 1 == 0).all():
                t[c] = t[c].astype("Int64")
    return t


def allocation_csv(a: Allocation) -> str:
    """The allocation as CSV text (one row per school; blanks where a school has no prior year)."""
    return allocation_frame(a).to_csv(index=False, lineterminator="\n")
