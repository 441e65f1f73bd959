"""The allocation as an Excel workbook whose per-school numbers are live formulas.

Sheets: Summary (headline numbers and equity measures), Allocations (one row per school, the CSV
columns; derived columns are formulas over the Counts sheet and the named parameters of the Weights
sheet), Comparison (against the prior year and, optionally, another scenario), Change chart (a bar
per school), Weights (every parameter with label, unit and value, each a defined name), Counts
(school-level pupil counts; never student rows), Provenance (input files with their SHA-256, the
weight table's source, the version, the export time, what the scenario changes; `provenance.py`)
and, when the scenario uses the theory of action, Pot waterfall, By band and Phase-in. A hidden
`_sbb` sheet keeps the scenario so an edited workbook can be read back (`sbb.export.readback`); it
stores no absolute path.

For an auditor: table sheets have a hidden first row of column keys (what the tool and its tests
read) under which row 2 holds the headings a person reads; the Allocations sheet starts with the
allocation and its change (the first printed page), every table ends in a totals row of `=SUM`
formulas, every sheet's printed header names the district, the scenario, the export date and the
tool's version, and the headings of the rounding columns carry notes explaining each guard.

Cached values: openpyxl writes formulas without results, so `write_workbook` then stores the
engine's value as the cached result of every formula cell (`with_cached_values`): readers that do
not calculate (previews, pandas) show the engine's numbers. The workbook is also marked for a full
calculation on load, so Excel recomputes every formula when it opens it (LibreOffice keeps cached
results unless set to recalculate on load). The tests check both: the cached values equal the
engine, and LibreOffice headless, forced to recalculate, gives the engine's numbers to the dollar.
Values the formulas cannot restate (the solved base, the engine's rounding to the pot, equity
measures) are written as values and labelled as such.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.properties import PageSetupProperties

from .. import formula as fm
from ..allocate import Allocation, school_bands
from ..counts import count_columns
from ..district import District
from ..limits import apply_limits, gains_cap, hold_harmless_floor
from ..rounding import whole_unit_limits
from ..scenario import scenario_to_toml
from ..spelling import GRADES
from ..theory import band_supplement_amount
from ..allocate import district_school_inputs
from ..school_inputs import SchoolInputs
from ..rounding_note import statutory_rounding_note
from ..statutory import round_half_away
from ..transition import transition as transition_map
from . import formulas as fx
from . import real_terms as rt

FORMAT_VERSION = "sbb-workbook 1"
FIRST = 3  # first data row on the table sheets (row 1: column keys, hidden; row 2: labels)
KEY_ROW, LABEL_ROW = 1, 2

HEADER_FILL = PatternFill("solid", fgColor="1F3864")
KEY_FILL = PatternFill("solid", fgColor="D9E1F2")
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
SECTION_FONT = Font(bold=True, size=12, color="1F3864")
GAIN_COLOUR, LOSS_COLOUR = "0072B2", "D55E00"  # Okabe & Ito blue and vermillion: colour-blind safe
THIN = Side(style="thin", color="8EA9DB")


def money_format(scale: int) -> str:
    """Dollars ("$2,406,361") or cents; a negative reads "-$32,357" in the text colour: the minus sign
    carries the meaning, not red (which colour-blind readers cannot tell apart)."""
    return '"$"#,##0.00;-"$"#,##0.00' if scale == 100 else '"$"#,##0;-"$"#,##0'


PUPILS = "#,##0"
WEIGHTED = "#,##0.00"
WEIGHT = "0.00##"
PCT = "0.00%"
PP = money_format(1)

# Allocations columns: key, label, kind (money, pupils, weighted, pct, perpupil, text, adjust)
CSV_COLUMNS = [
    ("school_id", "School ID", "text"),
    ("school_name", "School", "text"),
    ("enrollment", "Pupils", "pupils"),
    ("weighted_enrollment", "Weighted pupils", "weighted"),
    ("base_amount", "Base amount", "money"),
    ("need_amount", "Need weights", "money"),
    ("foundation_amount", "Foundation", "money"),
    ("small_school_amount", "Small-school supplement", "money"),
    ("band_supplement_amount", "Support by band", "money"),
    ("formula_amount", "Formula amount", "money"),
    ("hold_harmless_adjustment", "Hold-harmless protection", "money"),
    ("cap_adjustment", "Held back by cap", "money"),
    ("allocation", "Allocation", "money"),
    ("prior_allocation", "Prior year", "money"),
    ("delta", "Change", "money"),
    ("delta_pct", "Change %", "pct"),
    ("per_pupil", "Per pupil", "perpupil"),
]
AUTONOMY_COLUMNS = [("discretionary_amount", "School-controlled", "money"),
                    ("directed_amount", "Centrally directed", "money")]
WORK_COLUMNS = [
    ("grade_weighted", "Grade-weighted pupils", "weighted"),
    ("need_weighted", "Need-weighted pupils", "weighted"),
    ("formula_exact", "Formula before rounding", "money2"),
    ("floor_limit", "Floor (least allowed)", "money"),
    ("cap_limit", "Cap (most allowed)", "money"),
    ("within_limits", "Within limits, before rounding", "money2"),
    ("rounding_adjustment", "Rounding to the pot (value)", "money"),
]
ENROLLMENT_COLUMNS = [("delta_formula", "Change from the formula (value)", "money"),
                      ("delta_enrollment", "Change from enrollment (value)", "money")]


def _safe_text(cell, value: Any) -> None:
    """Write `value` as plain text: never a formula, whatever its first character."""
    text = "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)
    cell.value = text
    cell.data_type = "s"
    if text[:1] in ("=", "+", "-", "@"):
        cell.quotePrefix = True


def _num(value: Any) -> Any:
    """A finite number as a Python int/float for openpyxl; None for NaN or missing."""
    if value is None:
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(f) or math.isinf(f):
        return None
    return int(f) if f.is_integer() and abs(f) < 2 ** 53 else f


def _fmt(kind: str, scale: int) -> str | None:
    return {"money": money_format(scale), "money2": money_format(100), "pupils": PUPILS,
            "weighted": WEIGHTED, "pct": PCT, "perpupil": PP, "weight": WEIGHT}.get(kind)


def _header(ws, columns: list[tuple[str, str, str]], widths: dict[str, float] | None = None) -> dict[str, str]:
    """Two header rows: row 1 (hidden) holds each column's key, the name the tool and its tests read
    columns by; row 2 the label a person reads. Returns key -> column letter."""
    letters = {}
    for j, (key, label, kind) in enumerate(columns, start=1):
        sub, top = ws.cell(KEY_ROW, j), ws.cell(LABEL_ROW, j)
        _safe_text(top, label)
        _safe_text(sub, key)
        top.font = Font(bold=True, color="FFFFFF")
        top.fill = HEADER_FILL
        top.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        sub.font = Font(size=8, color="44546A")
        letters[key] = get_column_letter(j)
        width = (widths or {}).get(key) or {"text": 14, "pupils": 9, "weighted": 11, "pct": 9,
                                             "perpupil": 10, "money": 14, "money2": 16}.get(kind, 14)
        ws.column_dimensions[letters[key]].width = max(width, min(len(label) * 0.55, 24))
    ws.row_dimensions[LABEL_ROW].height = 44  # three lines of a wrapped label
    ws.row_dimensions[KEY_ROW].hidden = True
    return letters


def _totals(ws, columns: list[tuple[str, str, str]], letters: dict[str, str], n_rows: int, sums: list[str],
            cache: dict, values: dict[str, float], scale: int, extra: dict[str, str] | None = None) -> int:
    """A totals row under the schools: `=SUM` over each column in `sums`, `extra` formulas for
    ratios, the engine's value cached for each. Returns its row number."""
    r = FIRST + n_rows
    label = letters.get("school_name", "B")
    _safe_text(ws[f"{label}{r}"], "Total, all schools")
    formats = {key: _fmt(kind, scale) for key, _, kind in columns}
    cells = {key: f"=SUM({letters[key]}{FIRST}:{letters[key]}{max(r - 1, FIRST)})" for key in sums if key in letters}
    cells.update({k: v for k, v in (extra or {}).items() if k in letters})
    for key, formula in cells.items():
        c = ws[f"{letters[key]}{r}"]
        c.value = formula
        c.number_format = formats.get(key) or "General"
        if key in values:
            v = _num(values[key])
            cache[(ws.title, c.coordinate)] = "" if v is None else v
    for j in range(1, len(columns) + 1):
        c = ws.cell(r, j)
        c.font = Font(bold=True)
        c.border = Border(top=Side(style="thin", color="1F3864"), bottom=Side(style="double", color="1F3864"))
    return r


def _finish_table(ws, n_cols: int, n_rows: int, freeze: str = "C3") -> None:
    """Frozen headers, a filter on the key row, page setup for print."""
    last = FIRST + max(n_rows, 1) - 1
    ws.freeze_panes = freeze
    ws.auto_filter.ref = f"A2:{get_column_letter(n_cols)}{last}"
    _page(ws, title_rows="1:2", title_cols="A:B")


def _page(ws, title_rows: str | None = None, title_cols: str | None = None, landscape: bool = True) -> None:
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.7
    ws.page_margins.header = ws.page_margins.footer = 0.3  # the running header clear of the first row
    ws.print_options.gridLines = False
    if title_rows:
        ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
    ws.oddFooter.center.text = "&A  page &P of &N"
    ws.oddFooter.center.size = 8


def _text_width(values, floor: int = 10, cap: int = 40) -> float:
    longest = max((len(str(v)) for v in values), default=0)
    return float(min(max(floor, longest + 2), cap))


# ---------------------------------------------------------------------------------------------------
# What the workbook needs from the engine, computed once
# ---------------------------------------------------------------------------------------------------

def _phase_in(allocation: Allocation, prior: np.ndarray) -> tuple[float, float] | None:
    """(step, prior scale) of year 1 of a phase-in, as the engine uses them; None without a phase-in."""
    years = allocation.scenario.theory.phase_in_years or 1
    if years <= 1:
        return None
    step = 1.0 / years
    rho = 1.0
    if allocation.pot is not None and np.nansum(prior) > 0:
        rho = float(allocation.pot) / float(np.nansum(prior))
    return step, rho


def working_columns(allocation: Allocation, counts_district: District,
                    bands: dict[str, pd.Series]) -> dict[str, np.ndarray]:
    """The Allocations sheet's working columns as the engine's arithmetic gives them (dollars,
    weighted pupils; NaN where a limit is absent), including `rounding_adjustment`: what the
    engine's rounding to the pot adds to ROUND(within_limits), zero in fixed-base mode and
    -1..+1 units otherwise."""
    s, t = allocation.scenario, allocation.table
    w, scale = s.weights, s.scale
    pupils = t["enrollment"].to_numpy(dtype=float)
    weighted = t["weighted_enrollment"].to_numpy(dtype=float)
    matrix = counts_district.matrix(count_columns(w))
    fixed = fm.foundation_amount(len(t), w) + fm.small_school_amount(pupils, w)
    spec = s.theory.band_supplement
    if spec is not None:
        fixed = fixed + band_supplement_amount(bands[spec.column], pupils, spec)
    inputs = district_school_inputs(counts_district, s) or SchoolInputs()
    if inputs.extra:
        fixed = fixed + inputs.extra_total
    slope = weighted if inputs.multiplier is None else weighted * inputs.multiplier
    exact = allocation.base_per_weighted_pupil * slope + fixed
    if s.mode == "fixed_base":
        exact = round_half_away(exact, w.rounding.formula)
    prior = counts_district.prior
    low, high = hold_harmless_floor(prior, s.max_loss_pct), gains_cap(prior, s.max_gain_pct)
    if inputs.limited is not None:
        low, high = np.where(inputs.limited, low, -np.inf), np.where(inputs.limited, high, np.inf)
    floor, cap = whole_unit_limits(low, high, scale)
    target = exact
    phase = _phase_in(allocation, prior)
    if phase is not None:
        step, rho = phase
        # a new school has no prior year to phase from: it is on its formula at once (as in the engine)
        target = np.where(np.isnan(prior), exact, step * exact + (1 - step) * rho * np.nan_to_num(prior))
    within = apply_limits(target, floor, cap)
    moved = within if s.transition is None else transition_map(within, prior, s.transition)
    units = np.round(t["allocation"].to_numpy(dtype=float) * scale).astype(np.int64)
    grade_w = fm.grade_weighted(matrix, w)
    parts = sum(t[c].to_numpy(dtype=float) for c in ("need_amount", "foundation_amount", "small_school_amount",
                                                      "band_supplement_amount", "extra_amount") if c in t)
    mult = 1.0 if inputs.multiplier is None else inputs.multiplier
    base_rounded = np.floor(allocation.base_per_weighted_pupil * grade_w * mult * scale + 0.5) / scale
    return {
        "after_transition": moved,
        "formula_rounding": np.round((t["formula_amount"].to_numpy(dtype=float) - base_rounded - parts) * scale) / scale,
        "grade_weighted": grade_w,
        "need_weighted": fm.need_weighted(matrix, w),
        "formula_exact": exact,
        "floor_limit": np.where(np.isfinite(floor), floor, np.nan),
        "cap_limit": np.where(np.isfinite(cap), cap, np.nan),
        "phase_in_target": target,
        "within_limits": within,
        "rounding_adjustment": (units - np.floor(moved * scale + 0.5).astype(np.int64)) / scale,
    }


# ---------------------------------------------------------------------------------------------------
# Weights sheet
# ---------------------------------------------------------------------------------------------------

def parameter_rows(allocation: Allocation) -> list[dict[str, Any]]:
    """Every parameter on the Weights sheet: label, unit, value, defined name, key, scope, format.

    Scope 'weights' keys are dotted keys of the weight table (read back as overrides); 'scenario'
    keys are dotted keys of the scenario file; 'solved' values come from the engine and are not
    read back.
    """
    s = allocation.scenario
    w = s.weights
    rows: list[dict[str, Any]] = []

    def add(label, unit, value, name, key, scope, kind="weight"):
        rows.append({"label": label, "unit": unit, "value": value, "name": name, "key": key, "scope": scope,
                     "kind": kind})

    if s.mode == "budget_neutral":
        add("Base per weighted pupil (solved by the engine)", "$ per weighted pupil",
            allocation.base_per_weighted_pupil, "base_per_weighted_pupil", "solved.base_per_weighted_pupil",
            "solved", "money2")
    else:
        add("Base per weighted pupil", "$ per weighted pupil", w.base_per_weighted_pupil,
            "base_per_weighted_pupil", "base.per_weighted_pupil", "weights", "money2")
    if w.grade_all:
        add("Grade weight: every grade", "weighted pupils per pupil", w.grade[0], fx.grade_name("all"), "grade.all",
            "weights")
    else:
        for g, value in zip(GRADES, w.grade):
            add(f"Grade weight: {g}", "weighted pupils per pupil", value, fx.grade_name(g), f"grade.{g}", "weights")
    for name, key, _, value, label in fx.need_names(w):
        add(label, "weighted pupils added per pupil", value, name, key, "weights")
    for c in w.concentration:
        if c.shape == "ramp":
            add(f"Concentration ({c.name}): share at which the ramp is full", "share of pupils (0-1)", c.full_at,
                rt.conc_name(c, "full_at"), f"concentration.{c.name}.full_at", "weights")
        else:
            what = "share that triggers it" if c.shape == "step" else "share above which pupils count"
            add(f"Concentration ({c.name}): {what}", "share of pupils (0-1)", c.share_at_least,
                rt.conc_name(c, "share_at_least"), f"concentration.{c.name}.share_at_least", "weights")
        for level, value in c.count:
            add(f"Concentration ({c.name}): each {level.replace('_', ' ')} pupil counts", "pupils", value,
                rt.conc_name(c, "count_" + level), f"concentration.{c.name}.count.{level}", "weights")
        add(f"Concentration ({c.name}, {c.shape}): extra weight", "weighted pupils per counted pupil", c.weight,
            rt.conc_name(c, "weight"), f"concentration.{c.name}.weight", "weights")
    add("Foundation per school", "$ per school", w.foundation_per_school, "foundation_per_school",
        "foundation.per_school", "weights", "money")
    if w.small_school is not None:
        add("Small-school supplement: schools below", "pupils", w.small_school.enrollment_below,
            "small_school_enrollment_below", "small_school.enrollment_below", "weights", "pupils")
        add("Small-school supplement at zero pupils (tapers to 0)", "$ per school", w.small_school.per_school,
            "small_school_per_school", "small_school.per_school", "weights", "money")
    add("Hold-harmless floor: most a school may lose (blank: no floor)", "% of prior year", s.max_loss_pct,
        "max_loss_pct", "hold_harmless.max_loss_pct", "scenario", "weight")
    add("Gains cap: most a school may gain (blank: no cap)", "% of prior year", s.max_gain_pct,
        "max_gain_pct", "hold_harmless.max_gain_pct", "scenario", "weight")
    if s.transition is not None:
        add("Transition: share of each gain toward the formula this year", "share (0-1)", s.transition.share_of_gain,
            "transition_share_of_gain", "transition.share_of_gain", "scenario")
        add("Transition: share of each loss toward the formula this year", "share (0-1)", s.transition.share_of_loss,
            "transition_share_of_loss", "transition.share_of_loss", "scenario")
    if s.mode == "budget_neutral":
        add("Budget", "$", allocation.budget, "budget", "funding.budget", "scenario", "money")
    for item, amount in s.theory.managed_foundation:
        add(f"Managed centrally: {item.replace('_', ' ')}", "$ off the top", amount,
            fx.defined_name("managed", item), f"managed_foundation.{item}", "scenario", "money")
    phase = _phase_in(allocation, allocation.table["prior_allocation"].to_numpy(dtype=float))
    if phase is not None:
        add("Phase-in: share of the way to the formula in year 1 (1 / years)", "share (0-1)", phase[0],
            "phase_in_step", "solved.phase_in_step", "solved")
        add("Phase-in: prior amounts scaled to this year's pot", "ratio", phase[1], "phase_in_prior_scale",
            "solved.phase_in_prior_scale", "solved", "weight")
    autonomy = s.theory.autonomy
    if autonomy is not None and autonomy.default is not None:
        add("Autonomy: share for a band not listed", "share (0-1)", autonomy.default, "autonomy_default_share",
            "autonomy.default_share", "scenario")
    return rows


def band_rows(allocation: Allocation) -> list[tuple[str, float | None, float | None, float | None]]:
    """(band, per-pupil $, per-school $, discretionary share) for every band the scenario names."""
    th = allocation.scenario.theory
    sup, auto = th.band_supplement, th.autonomy
    pp = dict(sup.per_pupil) if sup else {}
    ps = dict(sup.per_school) if sup else {}
    share = dict(auto.shares) if auto else {}
    bands = sorted(set(pp) | set(ps) | set(share), key=lambda b: (len(b), b))
    default = auto.default if auto else None
    return [(b, pp.get(b), ps.get(b), share.get(b, default)) for b in bands]


def _weights_sheet(wb, allocation: Allocation, rows: list[dict[str, Any]]) -> None:
    s = allocation.scenario
    scale = s.scale
    ws = wb.create_sheet("Weights")
    ws["A1"] = "Weights and parameters"
    ws["A1"].font = Font(bold=True, size=14, color="1F3864")
    if s.mode == "budget_neutral":
        note = ("Budget-neutral scenario: the base per weighted pupil below is the value the engine solved so "
                "that allocations add up to the pot exactly. Editing a weight recalculates every school on the "
                "Allocations sheet but does NOT re-solve the base, so the total will no longer equal the pot. "
                "To re-solve, save the workbook and run: python -m sbb scenario --from-xlsx THIS.xlsx --out new.toml, "
                "then allocate with new.toml.")
    else:
        note = ("Fixed-base scenario: the base per weighted pupil is a parameter. Editing any yellow cell "
                "recalculates every school's allocation exactly as the engine would.")
    note += (" Yellow cells are parameters (each is a named range, see the Name column). "
             "'solved' values come from the engine and are not read back.")
    rounding = statutory_rounding_note(s)
    if rounding:
        note += f" {rounding} The Allocations formulas apply it with ROUND."
    ws["A2"] = note
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A2:F2")
    ws.row_dimensions[2].height = 62
    head = ["Parameter", "Value", "Unit", "Name", "Key", "Scope"]
    for j, h in enumerate(head, start=1):
        c = ws.cell(4, j, h)
        c.font = Font(bold=True, color="FFFFFF")
        c.fill = HEADER_FILL
    r = 5
    for row in rows:
        _safe_text(ws.cell(r, 1), row["label"])
        v = ws.cell(r, 2, _num(row["value"]))
        v.number_format = _fmt(row["kind"], scale) or WEIGHT
        if row["scope"] != "solved":
            v.fill = INPUT_FILL
        v.border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
        _safe_text(ws.cell(r, 3), row["unit"])
        _safe_text(ws.cell(r, 4), row["name"])
        _safe_text(ws.cell(r, 5), row["key"])
        _safe_text(ws.cell(r, 6), row["scope"])
        for j in (4, 5, 6):
            ws.cell(r, j).font = Font(size=9, color="595959")
        wb.defined_names[row["name"]] = DefinedName(row["name"], attr_text=f"Weights!$B${r}")
        r += 1
    bands = band_rows(allocation)
    if bands:
        r += 1
        ws.cell(r, 1, "Performance bands: support and autonomy").font = SECTION_FONT
        r += 1
        for j, h in enumerate(["Band", "Support per pupil", "Support per school", "Share the school controls",
                               "band_table"], start=1):
            c = ws.cell(r, j, h)
            if j < 5:
                c.font = Font(bold=True, color="FFFFFF")
                c.fill = HEADER_FILL
            else:
                c.font = Font(size=9, color="595959")
        first = r + 1
        for band, pp, ps, share in bands:
            r += 1
            _safe_text(ws.cell(r, 1), band)
            for j, (value, fmt) in enumerate([(pp, money_format(scale)), (ps, money_format(scale)), (share, "0%")], 2):
                c = ws.cell(r, j, _num(value))
                c.number_format = fmt
                c.fill = INPUT_FILL
        wb.defined_names["band_table"] = DefinedName("band_table", attr_text=f"Weights!$A${first}:$D${r}")
    ws.column_dimensions["A"].width = 58
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 30
    ws.column_dimensions["D"].width = 30
    ws.column_dimensions["E"].width = 34
    ws.column_dimensions["F"].width = 9
    ws.freeze_panes = "A5"
    _page(ws, title_rows="4:4")


# ---------------------------------------------------------------------------------------------------
# Counts and Allocations sheets
# ---------------------------------------------------------------------------------------------------

def _counts_sheet(wb, counts_district: District, count_cols: list[str], band_series: dict[str, pd.Series],
                  hidden: np.ndarray, suppress_below: int | None, projected: bool, cache: dict,
                  labels: dict[str, str], school_values: dict[str, list] | None = None) -> dict[str, str]:
    ws = wb.create_sheet("Counts")
    schools = counts_district.schools
    one_column = count_cols[0] == "enrollment"  # [grade] all: the pupils are a count, not a sum of grades
    columns = [("school_id", "School ID", "text"), ("school_name", "School", "text")]
    if not one_column:
        columns.append(("enrollment", "Pupils", "pupils"))
    columns += [(c, labels.get(c, c), "pupils") for c in count_cols]
    columns += [(f"band:{col}", f"Performance band ({col.replace('_', ' ')})", "text") for col in band_series]
    school_values = school_values or {}
    columns += [(key, f"{key.split(':', 1)[1].replace('_', ' ')} (schools file)", "text") for key in school_values]
    letters = _header(ws, columns, {"school_name": _text_width(schools["school_name"])})
    counts = counts_district.counts[count_cols].to_numpy()
    pupils = counts[:, 0] if one_column else counts[:, :len(GRADES)].sum(axis=1)
    grade_cols = [f"grade_{g}" for g in GRADES]
    ids, names = schools["school_id"].tolist(), schools["school_name"].tolist()
    band_values = {col: series.tolist() for col, series in band_series.items()}
    for i in range(len(schools)):
        r = FIRST + i
        _safe_text(ws[f"{letters['school_id']}{r}"], ids[i])
        _safe_text(ws[f"{letters['school_name']}{r}"], names[i])
        if hidden[i]:
            _safe_text(ws[f"{letters['enrollment']}{r}"], f"<{suppress_below}")
            continue
        if not one_column:
            e = ws[f"{letters['enrollment']}{r}"]
            e.value = f"=SUM({letters[grade_cols[0]]}{r}:{letters[grade_cols[-1]]}{r})"
            e.number_format = PUPILS
            cache[(ws.title, e.coordinate)] = _num(pupils[i])
        for j, c in enumerate(count_cols):
            ws[f"{letters[c]}{r}"] = _num(counts[i, j])
        for key, values in school_values.items():
            ws[f"{letters[key]}{r}"] = values[i]
        for col, values in band_values.items():
            _safe_text(ws[f"{letters['band:' + col]}{r}"], values[i])
    shown = ~hidden
    totals = {"enrollment": float(pupils[shown].sum()), **{c: float(counts[shown, j].sum()) for j, c in enumerate(count_cols)}}
    _totals(ws, columns, letters, len(schools), list(dict.fromkeys(["enrollment", *count_cols])), cache, totals, 1)
    _finish_table(ws, len(columns), len(schools))
    if projected:
        ws.oddHeader.center.text = "Projected enrollment (enrollment-change scenario)"
    return letters


def school_columns(district: District, scenario) -> dict[str, list]:
    """Schools-file inputs of the formula for the Counts sheet, keyed 'school:<column>': multiplier
    and extra amounts as numbers, whether hold-harmless applies as 'yes' / 'no'."""
    inputs = district_school_inputs(district, scenario)
    if inputs is None:
        return {}
    w, out = scenario.weights, {}
    if inputs.multiplier is not None:
        out[f"school:{w.multiplier}"] = [_num(v) for v in inputs.multiplier]
    for col, values in (inputs.extra or {}).items():
        out[f"school:{col}"] = [_num(v) for v in values]
    if inputs.limited is not None:
        out[f"school:{scenario.applies_to}"] = ["yes" if v else "no" for v in inputs.limited]
    return out


def _known(t: dict[str, list], work: dict[str, np.ndarray], key: str, i: int) -> Any:
    """The engine's value of an Allocations formula cell (an empty text where the formula gives "")."""
    if key in work:
        value = work[key][i]
    elif key == "delta_pct":
        prior = t["prior_allocation"][i]
        value = t["delta"][i] / prior if prior > 0 else np.nan
    else:
        value = t[key][i]
    value = _num(value)
    return "" if value is None else value


SHEET_ORDER = ["school_id", "school_name", "allocation", "prior_allocation", "delta", "delta_pct", "enrollment",
               "per_pupil", "weighted_enrollment", "base_amount", "need_amount", "foundation_amount",
               "small_school_amount", "band_supplement_amount", "formula_amount", "hold_harmless_adjustment",
               "cap_adjustment"]


def _alloc_columns(allocation: Allocation) -> list[tuple[str, str, str]]:
    """The Allocations sheet's columns: the allocation and its change first (on the first printed
    page), then the formula's parts, then the grey working columns."""
    s = allocation.scenario
    by_key = {key: (key, label, kind) for key, label, kind in CSV_COLUMNS}
    cols = [by_key[k] for k in SHEET_ORDER]
    if "multiplier" in allocation.table:
        cols.insert(next(i for i, c in enumerate(cols) if c[0] == "weighted_enrollment") + 1,
                    ("multiplier", "Multiplier", "weight"))
    if "extra_amount" in allocation.table:
        cols.insert(next(i for i, c in enumerate(cols) if c[0] == "formula_amount"),
                    ("extra_amount", "Extra amounts", "money"))
    if s.theory.autonomy is not None:
        cols += AUTONOMY_COLUMNS
    cols += WORK_COLUMNS[:3]
    cols.append(("formula_rounding", "Rounding carried in the base amount", "money"))
    cols += WORK_COLUMNS[3:5]
    if _phase_in(allocation, allocation.table["prior_allocation"].to_numpy(dtype=float)) is not None:
        cols.append(("phase_in_target", "Year-1 phase-in target", "money2"))
    if s.transition is not None:
        cols.append(("after_transition", "After the transition, before rounding", "money2"))
    cols += WORK_COLUMNS[5:]
    if "delta_formula" in allocation.table:
        cols += ENROLLMENT_COLUMNS
    return cols


def _allocations_sheet(wb, allocation: Allocation, count_letters: dict[str, str], hidden: np.ndarray,
                       suppress_below: int | None, work: dict[str, np.ndarray], cache: dict) -> dict[str, str]:
    s, t = allocation.scenario, allocation.table
    w, scale = s.weights, s.scale
    ws = wb.create_sheet("Allocations", 1)
    columns = _alloc_columns(allocation)
    letters = _header(ws, columns, {"school_name": _text_width(t["school_name"])})
    cells = fx.Cells(letters, count_letters)
    phase = "phase_in_target" in letters
    sup = s.theory.band_supplement
    auto = s.theory.autonomy
    formats = {key: _fmt(kind, scale) for key, _, kind in columns}
    values = {c: t[c].tolist() for c in t.columns}
    for i in range(len(t)):
        r = FIRST + i
        _safe_text(ws[f"{letters['school_id']}{r}"], values["school_id"][i])
        _safe_text(ws[f"{letters['school_name']}{r}"], values["school_name"][i])
        if hidden[i]:
            _safe_text(ws[f"{letters['enrollment']}{r}"], f"<{suppress_below}")
            continue
        small = fx.small_school_exact(cells, r, w)
        band = fx.band_supplement_exact(cells, r, sup.column if sup else None)
        mult = rt.multiplier(cells, r, w)
        extra = rt.extra_exact(cells, r, w)
        times = "" if mult == "1" else f"*{mult}"
        weighted = f"{cells.a('grade_weighted', r)}+{cells.a('need_weighted', r)}"
        if w.rounding.weighted_pupils is not None:
            weighted = f"ROUND({weighted},{w.rounding.weighted_pupils})"
        fixed_terms = "".join(f"+{x}" for x in (small, band, extra) if x != "0")
        exact = f"base_per_weighted_pupil*{cells.a('weighted_enrollment', r)}{times}+foundation_per_school{fixed_terms}"
        if s.mode == "fixed_base" and w.rounding.formula is not None:
            exact = f"ROUND({exact},{w.rounding.formula})"
        settled = "after_transition" if s.transition is not None else "within_limits"
        not_applied = rt.applies(cells, r, s.applies_to)
        parts = "-".join([cells.a("need_amount", r), cells.a("foundation_amount", r),
                          cells.a("small_school_amount", r), cells.a("band_supplement_amount", r)]
                         + ([cells.a("extra_amount", r)] if "extra_amount" in letters else []))
        base_rounded = fx.rnd(f"base_per_weighted_pupil*{cells.a('grade_weighted', r)}{times}", scale)
        row = {
            "enrollment": f"={cells.c('enrollment', r)}",
            "grade_weighted": fx.grade_weighted(cells, r, w),
            "need_weighted": fx.need_weighted(cells, r, w),
            "weighted_enrollment": "=" + weighted,
            "need_amount": "=" + fx.rnd(f"base_per_weighted_pupil*({cells.a('weighted_enrollment', r)}"
                                        f"-{cells.a('grade_weighted', r)})*{mult}", scale),
            "foundation_amount": "=" + fx.rnd("foundation_per_school", scale),
            # no small-school table or no band support: a plain 0, not a formula of nothing
            "small_school_amount": "=" + fx.rnd(small, scale) if small != "0" else 0,
            "band_supplement_amount": "=" + fx.rnd(band, scale) if band != "0" else 0,
            "formula_exact": "=" + exact,
            "floor_limit": fx.floor_limit(cells, r, scale, not_applied),
            "cap_limit": fx.cap_limit(cells, r, scale, not_applied),
            "within_limits": fx.within_limits(cells, r, "phase_in_target" if phase else "formula_exact"),
            "rounding_adjustment": _num(work["rounding_adjustment"][i]),
            "allocation": f"={fx.rnd(cells.a(settled, r), scale)}+{cells.a('rounding_adjustment', r)}",
            "formula_amount": fx.formula_amount(cells, r, scale, phase, s.transition is not None),
            "formula_rounding": f"={cells.a('formula_amount', r)}-{base_rounded}-{parts}",
            "base_amount": f"={base_rounded}+{cells.a('formula_rounding', r)}",
            "hold_harmless_adjustment": f"=MAX({cells.a('allocation', r)}-{cells.a('formula_amount', r)},0)",
            "cap_adjustment": f"=MIN({cells.a('allocation', r)}-{cells.a('formula_amount', r)},0)",
            "prior_allocation": _num(values["prior_allocation"][i]),
            "delta": (f'=IF({cells.a("prior_allocation", r)}="","",'
                      f"{cells.a('allocation', r)}-{cells.a('prior_allocation', r)})"),
            "delta_pct": (f'=IF({cells.a("prior_allocation", r)}="","",IF({cells.a("prior_allocation", r)}>0,'
                          f'{cells.a("delta", r)}/{cells.a("prior_allocation", r)},""))'),
            "per_pupil": (f'=IF({cells.a("enrollment", r)}>0,'
                          f'{cells.a("allocation", r)}/{cells.a("enrollment", r)},"")'),
        }
        if phase:
            row["phase_in_target"] = fx.phase_in_target(cells, r)
        if "multiplier" in letters:
            row["multiplier"] = "=" + mult
        if "extra_amount" in letters:
            row["extra_amount"] = "=" + fx.rnd(extra, scale)
        if s.transition is not None:
            row["after_transition"] = rt.after_transition(cells, r)
        if auto is not None:
            row["discretionary_amount"] = fx.discretionary(cells, r, scale, auto.column, auto.default)
            row["directed_amount"] = f"={cells.a('allocation', r)}-{cells.a('discretionary_amount', r)}"
        if "delta_formula" in letters:
            row["delta_formula"] = _num(values["delta_formula"][i])
            row["delta_enrollment"] = _num(values["delta_enrollment"][i])
        for key, value in row.items():
            c = ws[f"{letters[key]}{r}"]
            c.value = value
            if formats.get(key):
                c.number_format = formats[key]
            if isinstance(value, str) and value.startswith("="):
                cache[(ws.title, c.coordinate)] = _known(values, work, key, i)
    # bold the allocation column, shade the working columns
    grey = PatternFill("solid", fgColor="F2F2F2")
    for r in range(FIRST, FIRST + len(t)):
        ws[f"{letters['allocation']}{r}"].font = Font(bold=True)
        for key, _, _ in WORK_COLUMNS + [("phase_in_target", "", ""), ("formula_rounding", "", ""),
                                         ("after_transition", "", "")]:
            if key in letters:
                ws[f"{letters[key]}{r}"].fill = grey
    shown = ~hidden
    sums = [k for k, _, kind in columns if kind in ("money", "pupils", "weighted") and k not in
            ("floor_limit", "cap_limit")]
    totals = {}
    for key in sums:
        source = work[key] if key in work else (t[key] if key in t else None)
        if source is not None:
            totals[key] = float(np.nansum(np.asarray(source, dtype=float)[shown]))
    with np.errstate(divide="ignore", invalid="ignore"):
        has_prior = shown & t["prior_allocation"].notna().to_numpy()
        prior_sum = float(t["prior_allocation"].to_numpy(dtype=float)[has_prior].sum())
        totals["delta_pct"] = totals.get("delta", 0.0) / prior_sum if prior_sum else None
        totals["per_pupil"] = totals["allocation"] / totals["enrollment"] if totals.get("enrollment") else None
    r_tot = FIRST + len(t)
    L = letters
    extra = {"delta_pct": f'=IF({L["prior_allocation"]}{r_tot}>0,{L["delta"]}{r_tot}/{L["prior_allocation"]}{r_tot},"")',
             "per_pupil": f'=IF({L["enrollment"]}{r_tot}>0,{L["allocation"]}{r_tot}/{L["enrollment"]}{r_tot},"")'}
    _totals(ws, columns, letters, len(t), sums, cache, totals, scale, extra)
    _column_notes(ws, letters, scale)
    _finish_table(ws, len(columns), len(t))
    ws.page_setup.fitToWidth = 2  # contract columns on the first page width, the working on the second
    return letters


def _column_notes(ws, letters: dict[str, str], scale: int) -> None:
    """Notes (cell comments) on the headings whose formulas need a word for an auditor."""
    from openpyxl.comments import Comment

    unit = "cent" if scale == 100 else "dollar"
    notes = {
        "base_amount": "Base per weighted pupil x grade-weighted pupils, rounded to the " + unit + ", plus the "
                       "rounding column (grey, further right), so that the parts add up to the formula amount.",
        "formula_amount": "ROUND(formula before rounding); for a school within its limits (on its formula) plus "
                          "the rounding to the pot, so that schools add up to the budget exactly.",
        "formula_rounding": "Formula amount less each part rounded on its own: the " + unit + "s lost or gained by "
                            "rounding each part, and the rounding to the pot. Usually -2 to +2.",
        "floor_limit": "Prior x (100 - max loss %) / 100, rounded UP to the " + unit + ". The formula subtracts "
                       "0.000001 of a " + unit + " first: binary arithmetic makes 97% of $100 come out as "
                       "97.00000000000001, which would otherwise round up to $98. The engine does the same.",
        "cap_limit": "Prior x (100 + max gain %) / 100, rounded DOWN to the " + unit + " (never below the floor). "
                     "The formula adds 0.000001 of a " + unit + " first, for the same reason as the floor.",
        "rounding_adjustment": "A value from the engine: what its rounding to the pot (largest remainders) adds "
                               "to ROUND(within limits), -1, 0 or +1 " + unit + ", so schools add up to the budget.",
    }
    for key, text in notes.items():
        if key in letters:
            ws[f"{letters[key]}{LABEL_ROW}"].comment = Comment(text, "sbb", width=320, height=110)


# ---------------------------------------------------------------------------------------------------
# Comparison sheet
# ---------------------------------------------------------------------------------------------------

def _comparison_sheet(wb, allocation: Allocation, alloc_letters: dict[str, str], hidden: np.ndarray,
                      suppress_below: int | None, compare_to: Allocation | None, cache: dict) -> None:
    t = allocation.table
    pupils = t["enrollment"].to_numpy(dtype=float)
    now_v = t["allocation"].to_numpy(dtype=float)
    prior_v = t["prior_allocation"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pp_prior = np.where(pupils > 0, prior_v / pupils, np.nan)
        pp_now = np.where(pupils > 0, now_v / pupils, np.nan)
        other_v = compare_to.table["allocation"].to_numpy(dtype=float) if compare_to is not None else now_v
        known = {"enrollment": pupils, "prior_allocation": prior_v, "allocation": now_v,
                 "delta_vs_prior": t["delta"].to_numpy(dtype=float),
                 "delta_pct_vs_prior": np.where(prior_v > 0, (now_v - prior_v) / prior_v, np.nan),
                 "per_pupil_prior": pp_prior, "per_pupil": pp_now, "per_pupil_delta": pp_now - pp_prior,
                 "delta_vs_other": now_v - other_v,
                 "delta_pct_vs_other": np.where(other_v > 0, (now_v - other_v) / other_v, np.nan)}
    scale = allocation.scenario.scale
    ws = wb.create_sheet("Comparison")
    columns = [("school_id", "School ID", "text"), ("school_name", "School", "text"),
               ("enrollment", "Pupils", "pupils"), ("prior_allocation", "Prior year", "money"),
               ("allocation", "This scenario", "money"), ("delta_vs_prior", "Change vs prior year", "money"),
               ("delta_pct_vs_prior", "Change %", "pct"), ("per_pupil_prior", "Per pupil, prior", "perpupil"),
               ("per_pupil", "Per pupil, now", "perpupil"), ("per_pupil_delta", "Per-pupil change", "perpupil")]
    if compare_to is not None:
        if not np.array_equal(compare_to.table["school_id"].to_numpy(), t["school_id"].to_numpy()):
            raise ValueError("compare_to must cover the same schools in the same order")
        columns += [("other_allocation", "Other scenario (value)", "money"),
                    ("delta_vs_other", "This minus other", "money"), ("delta_pct_vs_other", "Difference %", "pct")]
    letters = _header(ws, columns, {"school_name": _text_width(t["school_name"])})
    L = letters
    formats = {key: _fmt(kind, scale) or "General" for key, _, kind in columns}

    def A(key: str, r: int) -> str:
        return f"Allocations!{alloc_letters[key]}{r}"

    ids, names = t["school_id"].tolist(), t["school_name"].tolist()
    for i in range(len(t)):
        r = FIRST + i
        _safe_text(ws[f"{L['school_id']}{r}"], ids[i])
        _safe_text(ws[f"{L['school_name']}{r}"], names[i])
        if hidden[i]:
            _safe_text(ws[f"{L['enrollment']}{r}"], f"<{suppress_below}")
            continue
        prior, now, enrol = f"{L['prior_allocation']}{r}", f"{L['allocation']}{r}", f"{L['enrollment']}{r}"
        row = {
            "enrollment": f"={A('enrollment', r)}",
            "prior_allocation": f'=IF({A("prior_allocation", r)}="","",{A("prior_allocation", r)})',
            "allocation": f"={A('allocation', r)}",
            "delta_vs_prior": f'=IF({prior}="","",{now}-{prior})',
            "delta_pct_vs_prior": f'=IF({prior}="","",IF({prior}>0,({now}-{prior})/{prior},""))',
            "per_pupil_prior": f'=IF({prior}="","",IF({enrol}>0,{prior}/{enrol},""))',
            "per_pupil": f'=IF({enrol}>0,{now}/{enrol},"")',
            "per_pupil_delta": (f'=IF(OR({L["per_pupil_prior"]}{r}="",{L["per_pupil"]}{r}=""),"",'
                                f'{L["per_pupil"]}{r}-{L["per_pupil_prior"]}{r})'),
        }
        if compare_to is not None:
            other = f"{L['other_allocation']}{r}"
            row["other_allocation"] = _num(other_v[i])
            row["delta_vs_other"] = f"={now}-{other}"
            row["delta_pct_vs_other"] = f'=IF({other}>0,({now}-{other})/{other},"")'
        for key, value in row.items():
            c = ws[f"{L[key]}{r}"]
            c.value = value
            c.number_format = formats[key]
            if key in known:
                v = _num(known[key][i])
                cache[(ws.title, c.coordinate)] = "" if v is None else v
    shown = ~hidden
    sums = [k for k in ("enrollment", "prior_allocation", "allocation", "delta_vs_prior", "other_allocation",
                        "delta_vs_other") if k in L]
    values = {k: float(np.nansum(np.asarray(known[k] if k in known else other_v, dtype=float)[shown])) for k in sums}
    r_tot = FIRST + len(t)
    extra = {"delta_pct_vs_prior": f'=IF({L["prior_allocation"]}{r_tot}>0,{L["delta_vs_prior"]}{r_tot}/'
                                   f'{L["prior_allocation"]}{r_tot},"")'}
    values["delta_pct_vs_prior"] = (values["delta_vs_prior"] / values["prior_allocation"]
                                    if values["prior_allocation"] else None)
    _totals(ws, columns, L, len(t), sums, cache, values, scale, extra)
    _finish_table(ws, len(columns), len(t))
    if compare_to is not None:
        _safe_text(ws.cell(LABEL_ROW, len(columns) + 2), f"Other scenario: {compare_to.scenario.title}")
    _change_chart(wb, ws, L, len(t), hidden, known["delta_vs_prior"], cache)


def _change_chart(wb, data_ws, letters: dict[str, str], n: int, hidden: np.ndarray, delta: np.ndarray,
                  cache: dict) -> None:
    """A sheet holding one bar per school: its change against the prior year (names down the side).

    Gains and losses are two series (from two columns of formulas on this sheet over the Comparison
    sheet) so they can have two colours: Okabe & Ito's blue for a gain and vermillion for a loss,
    distinct for colour-blind readers; the axis shows the sign too."""
    ws = wb.create_sheet("Change chart")
    _safe_text(ws["A1"], "Change against the prior year, by school (from the Comparison sheet)")
    ws["A1"].font = SECTION_FONT
    head = [("school_name", "School", "text"), ("gain", "Gain", "money"), ("loss", "Loss", "money")]
    for j, (key, label, _) in enumerate(head, start=1):
        _safe_text(ws.cell(KEY_ROW + 1, j), label)
        ws.cell(KEY_ROW + 1, j).font = Font(bold=True)
    first = 3
    d = letters["delta_vs_prior"]
    money = money_format(1)
    for i in range(n):
        r = first + i
        src = FIRST + i
        _safe_text(ws.cell(r, 1), data_ws[f"{letters['school_name']}{src}"].value)  # text, never a formula
        gain, loss = ws.cell(r, 2), ws.cell(r, 3)
        gain.value = f'=IF(N(Comparison!{d}{src})>0,Comparison!{d}{src},0)'
        loss.value = f'=IF(N(Comparison!{d}{src})<0,Comparison!{d}{src},0)'
        gain.number_format = loss.number_format = money
        v = 0.0 if hidden[i] or not np.isfinite(delta[i]) else float(delta[i])
        cache[(ws.title, gain.coordinate)] = _num(max(v, 0.0))
        cache[(ws.title, loss.coordinate)] = _num(min(v, 0.0))
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = ws.column_dimensions["C"].width = 14
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.overlap = 100
    chart.title = "Change against the prior year, by school"
    chart.y_axis.title = "Dollars (gains right, losses left)"
    chart.y_axis.numFmt = '+"$"#,##0;-"$"#,##0;"$"0'
    chart.gapWidth = 40
    chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=2, max_row=first + n - 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=first + n - 1))
    for series, colour in zip(chart.series, (GAIN_COLOUR, LOSS_COLOUR)):
        series.graphicalProperties.solidFill = colour
        series.graphicalProperties.line.solidFill = colour
        series.invertIfNegative = False
    chart.x_axis.scaling.orientation = "maxMin"  # first school at the top
    chart.x_axis.tickLblPos = "low"              # names at the left edge, clear of negative bars
    chart.x_axis.tickLblSkip = 1
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend.position = "t"
    chart.height = max(10.0, 0.62 * n)  # room for every school's name
    chart.width = 19
    ws.add_chart(chart, "E3")
    _page(ws, landscape=False)
    ws.print_area = f"E1:P{max(first + int(1.3 * n), 40)}"
    ws.page_setup.fitToHeight = 1


# ---------------------------------------------------------------------------------------------------
# Summary sheet
# ---------------------------------------------------------------------------------------------------

def equity_rows(allocation: Allocation, counts_district: District) -> list[tuple[str, float | None, float | None, str]]:
    """(measure, this scenario, prior year, format) on dollars per pupil: the figures of `sbb.figures`
    (this scenario: every school; prior year: the schools that had an allocation)."""
    from ..figures import KINDS, LABELS, board_figures

    f = board_figures(allocation, counts_district, projected=True)
    keys = ["mean", "federal_range_ratio", "restricted_range", "cv", "mcloone", "verstegen", "gini"]
    if f.equity is not None:
        keys += ["poor_ratio", "quartile_ratio", "poor_gap", "poverty_slope_per_10pts"]
    labels = {**LABELS, "restricted_range": "Restricted range (P95 - P5), per pupil"}
    # each written as the app writes it (`sbb.figures.figure_text` by its kind): the 5th-95th gap
    # '26.9%', not 0.269
    return [(labels[key], *f.measure(key), FIGURE_FORMATS[KINDS[key]]) for key in keys]


# Excel number formats of `sbb.figures.figure_text`'s kinds
FIGURE_FORMATS = {"money": PP, "signed": '+"$"#,##0;-"$"#,##0;"$"0', "pct": "0.0%", "ratio": "0.000",
                  "index": "0.0000"}


def _summary_sheet(wb, allocation: Allocation, counts_district: District, alloc_letters: dict[str, str],
                   n_hidden: int, suppress_below: int | None, visible_total: float, cache: dict) -> None:
    s = allocation.scenario
    scale = s.scale
    money = money_format(scale)
    summ = allocation.summary()
    ws = wb.active
    ws.title = "Summary"
    _safe_text(ws["A1"], s.title)
    ws["A1"].font = Font(bold=True, size=16, color="1F3864")
    _safe_text(ws["A2"], s.description)
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells("A2:D2")
    ws.row_dimensions[2].height = 48 if s.description else 15
    r = 4

    def line(label: str, value: Any, fmt: str | None = None, bold: bool = False, note: str = "") -> None:
        nonlocal r
        _safe_text(ws.cell(r, 1), label)
        c = ws.cell(r, 2)
        if isinstance(value, str) and not value.startswith(("=SUM", "=budget")):
            _safe_text(c, value)
        else:
            c.value = value
        if fmt:
            c.number_format = fmt
        if bold:
            ws.cell(r, 1).font = Font(bold=True)
            c.font = Font(bold=True)
        if note:
            _safe_text(ws.cell(r, 3), note)
            ws.cell(r, 3).font = Font(italic=True, size=9, color="595959")
        r += 1

    def section(title: str) -> None:
        nonlocal r
        r += 1
        ws.cell(r, 1, title).font = SECTION_FONT
        r += 1

    line("Exported", dt.date.today().isoformat())
    line("Funding mode", "budget-neutral (base solved to spend the pot)" if s.mode == "budget_neutral"
         else "fixed base (total is an output)")
    line("Rounding", f"whole {s.rounding}")
    section("Money")
    if allocation.budget is not None:
        line("Budget", allocation.budget, money, bold=True)
    for item, amount in s.theory.managed_foundation:
        line(f"  less managed centrally: {item.replace('_', ' ')}", -amount, money)
    if s.theory.managed_foundation:
        line("Shared by formula (the pot)", allocation.pot, money, bold=True)
    line("Base per weighted pupil", allocation.base_per_weighted_pupil, '"$"#,##0.00',
         note="solved by the engine" if s.mode == "budget_neutral" else "given by the weight table")
    line("Total allocated to schools", allocation.total, money, bold=True)
    m = alloc_letters["allocation"]
    last = FIRST + len(allocation.table) - 1
    line("Check: total of the Allocations sheet", f"=SUM(Allocations!{m}{FIRST}:{m}{last})", money,
         note=(f"excludes {n_hidden:,} suppressed school{'' if n_hidden == 1 else 's'}" if n_hidden else "recalculated from the formulas"))
    cache[(ws.title, f"B{r - 1}")] = _num(visible_total)
    if s.mode == "budget_neutral" and not n_hidden:
        check = r - 1
        managed = "".join(f"-{fx.defined_name('managed', item)}" for item, _ in s.theory.managed_foundation)
        line("Check: budget less central costs less the total", f"=budget{managed}-B{check}", money,
             note="0 as exported; editing a weight moves the total but does not re-solve the base")
        cache[(ws.title, f"B{r - 1}")] = _num(round(float(allocation.pot) - allocation.total, 2))
    from ..figures import count_text, limit_phrases

    floor_phrase, cap_phrase = limit_phrases(allocation.scenario, summ["phase_in_years"])
    line("Hold-harmless cost", allocation.hold_harmless_cost, money,
         note=f"{count_text(summ['schools_at_floor'], 'school')} {floor_phrase}")
    line("Recovered by the gains cap", allocation.cap_recovered, money,
         note=f"{count_text(summ['schools_at_cap'], 'school')} {cap_phrase}")
    section("Schools")
    line("Schools", summ["schools"], PUPILS)
    line("Gaining", summ["gaining"], PUPILS)
    line("Losing", summ["losing"], PUPILS)
    line("Unchanged", summ["unchanged"], PUPILS)
    if summ["new_schools"]:
        line("New (no prior year)", summ["new_schools"], PUPILS)
    from ..figures import board_figures, figure_text

    f = board_figures(allocation, counts_district, equity=False)
    line("Biggest loss", f.biggest_loss, money,
         note=f"{figure_text(f.biggest_loss_pct / 100, 'pct')} of its prior year, {f.biggest_loser}"
         if f.biggest_loser else "")  # one decimal, as the app's card, the CLI and the handout
    if f.largest_pct_loser is not None and f.largest_pct_loser != f.biggest_loser:
        line("Biggest loss in percent", f.largest_pct_loss / 100, "0.0%", note=f.largest_pct_loser)
    line("Pupils", int(allocation.table["enrollment"].sum()), PUPILS)
    if summ["phase_in_years"] > 1:
        section(f"Phase-in over {summ['phase_in_years']} years")
        for y in allocation.years:
            line(f"Year {y.year}: base per weighted pupil", y.base, '"$"#,##0.00',
                 note=f"total {float(y.units.sum()) / scale:,.0f}")
        line("Schools off their formula in the final year", summ["off_formula_final_year"], PUPILS,
             note="the hold-harmless limits bind")
    section("Equity (dollars per pupil, weighted by pupils)")
    for j, head in ((2, "This scenario"), (3, "Prior year")):
        ws.cell(r, j, head).font = Font(bold=True)
        ws.cell(r, j).alignment = Alignment(horizontal="right")
    r += 1
    for label, now, before, fmt in equity_rows(allocation, counts_district):
        _safe_text(ws.cell(r, 1), label)
        for j, value in ((2, now), (3, before)):
            c = ws.cell(r, j, _num(value))
            c.number_format = fmt
        r += 1
    if summ["new_schools"]:
        _safe_text(ws.cell(r, 3), "prior year: the schools that had an allocation")
        ws.cell(r, 3).font = Font(italic=True, size=9, color="595959")
        ws.cell(r, 3).alignment = Alignment(horizontal="right")
        r += 1
    section("About this workbook")
    notes = [
        "Allocations: one row per school. Grey columns show the working; derived columns are live formulas "
        "over the Counts sheet and the named parameters on the Weights sheet.",
        "Rounding to the pot: each allocation is ROUND(within limits) plus a small value column "
        "(rounding_adjustment, usually -1, 0 or +1 dollar) so that schools add up to the pot exactly.",
        "Figures here (above) are the engine's values at export; the check lines are recalculated.",
        "Base amount = base per weighted pupil x grade-weighted pupils, rounded, plus a grey rounding column; "
        "Formula amount = the formula rounded (plus the rounding to the pot for a school on its formula). "
        "Floors round up and caps round down after a 0.000001 allowance for binary arithmetic (see the notes "
        "on the Allocations headings). The Provenance sheet lists the input files with their SHA-256.",
        "No student-level rows are included: the Counts sheet holds school-level pupil counts only.",
    ]
    if s.mode == "budget_neutral":
        notes.append("Editing a weight recalculates the schools but does not re-solve the base per weighted "
                     "pupil; see the note on the Weights sheet.")
    if suppress_below:
        notes.append(f"Public release: per-school figures are suppressed (shown as <{suppress_below}) for "
                     f"{n_hidden:,} school{'' if n_hidden == 1 else 's'} with fewer than {suppress_below} pupils; district totals include them.")
    for text in notes:
        _safe_text(ws.cell(r, 1), text)
        ws.cell(r, 1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=4)
        ws.row_dimensions[r].height = 14 * (len(text) // 100 + 1) + 2  # ~100 characters a line
        r += 1
    ws.column_dimensions["A"].width = 48
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 34
    ws.column_dimensions["D"].width = 12
    _page(ws, landscape=False)


# ---------------------------------------------------------------------------------------------------
# Theory-of-action sheets
# ---------------------------------------------------------------------------------------------------

def _frame_sheet(wb, title: str, frame: pd.DataFrame, kinds: dict[str, str], labels: dict[str, str],
                 scale: int, heading: str) -> Any:
    ws = wb.create_sheet(title)
    columns = [(c, labels.get(c, c.replace("_", " ").capitalize()), kinds.get(c, "text")) for c in frame.columns]
    widths = {c: _text_width(frame[c]) for c, _, k in columns if k == "text"}
    letters = _header(ws, columns, widths)
    values = {c: frame[c].tolist() for c in frame.columns}
    for i in range(len(frame)):
        r = FIRST + i
        for key, _, kind in columns:
            value = values[key][i]
            cell = ws[f"{letters[key]}{r}"]
            if kind == "text":
                _safe_text(cell, value)
            else:
                cell.value = _num(value)
                cell.number_format = _fmt(kind, scale) or "General"
    _finish_table(ws, len(columns), len(frame), freeze="A3")
    ws.oddHeader.center.text = heading
    return ws


def _theory_sheets(wb, allocation: Allocation, district: District, hidden: np.ndarray,
                   suppress_below: int | None) -> None:
    from .. import theory_view as tv

    s, scale = allocation.scenario, allocation.scenario.scale
    th = s.theory
    uses = bool(th.managed_foundation or th.band_supplement or th.autonomy or (th.phase_in_years or 1) > 1)
    if not uses:
        return
    steps = tv.pot_waterfall(allocation)
    steps["bar_from"] = np.minimum(steps["start"], steps["end"])
    steps["bar_length"] = (steps["end"] - steps["start"]).abs()
    ws = _frame_sheet(wb, "Pot waterfall", steps[["step", "amount", "kind", "start", "end", "bar_from", "bar_length"]],
                      {"amount": "money", "start": "money", "end": "money", "bar_from": "money", "bar_length": "money"},
                      {"step": "Step", "amount": "Amount", "kind": "Kind", "start": "From", "end": "To",
                       "bar_from": "Bar starts at", "bar_length": "Bar length"}, scale,
                      "Where the budget goes: central costs off the top, then the formula's parts")
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "From the budget to the schools"
    n = len(steps)
    chart.add_data(Reference(ws, min_col=6, max_col=7, min_row=2, max_row=FIRST + n - 1), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=FIRST, max_row=FIRST + n - 1))
    chart.series[0].graphicalProperties.noFill = True
    chart.series[0].graphicalProperties.line.noFill = True
    chart.series[1].graphicalProperties.solidFill = "2F5597"
    chart.gapWidth = 40
    colours = {"total": "1F3864", "central": "C00000", "part": "5B9BD5"}
    for i, kind in enumerate(steps["kind"]):
        point = DataPoint(idx=i)
        point.graphicalProperties.solidFill = colours.get(kind, "5B9BD5")
        if kind == "part" and steps["amount"].iloc[i] < 0:
            point.graphicalProperties.solidFill = "ED7D31"
        chart.series[1].dPt.append(point)
    chart.x_axis.scaling.orientation = "maxMin"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.numFmt = '"$"#,##0,,"M"'
    chart.legend = None
    chart.height, chart.width = 9, 22
    ws.add_chart(chart, f"A{FIRST + n + 2}")

    bands = tv.schools_by_band(allocation, district)
    if len(bands):
        _frame_sheet(wb, "By band", bands, {"schools": "pupils", "pupils": "pupils", "allocation": "money",
                                            "band_supplement": "money", "discretionary": "money",
                                            "directed": "money", "discretionary_share": "pct"},
                     {"band": "Band", "schools": "Schools", "pupils": "Pupils", "allocation": "Allocation",
                      "band_supplement": "Support by band", "discretionary": "School-controlled",
                      "directed": "Centrally directed", "discretionary_share": "Share school-controlled"},
                     scale, "Schools by performance band, with the share of the allocation each controls")

    t = allocation.table
    years = [c for c in t.columns if c.startswith("allocation_year_")]
    if years:
        wide = t[["school_id", "school_name", "prior_allocation", *years]].copy()
        off = allocation.off_formula().set_index("school_id")
        last = allocation.years[-1]
        wide["formula_final_year"] = last.formula_units / scale
        wide["gap_final_year"] = (last.units - last.formula_units) / scale
        wide["reaches_formula"] = np.where(wide["school_id"].isin(off.index), "no: limits bind", "yes")
        money_cols = ["prior_allocation", *years, "formula_final_year", "gap_final_year"]
        for c in money_cols:
            wide[c] = wide[c].astype(float)
            wide.loc[hidden, c] = np.nan
        wide.loc[hidden, "reaches_formula"] = f"<{suppress_below} pupils"
        labels = {"school_id": "School ID", "school_name": "School", "prior_allocation": "Prior year",
                  "formula_final_year": "Formula, final year", "gap_final_year": "Allocation less formula",
                  "reaches_formula": "Reaches formula?"}
        labels.update({c: f"Year {c.rsplit('_', 1)[1]}" for c in years})
        _frame_sheet(wb, "Phase-in", wide, {c: "money" for c in money_cols}, labels, scale,
                     "Phase-in path: each year within the hold-harmless limits of the year before")


# ---------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------

def _head_text(text: str, limit: int = 110) -> str:
    """Text for a header or footer: '&' doubled (it starts a code there), shortened to `limit`."""
    text = text if len(text) <= limit else text[:limit - 1] + "…"
    return text.replace("&", "&&")


def _running_heads(wb, district: str, scenario: str, when: dt.datetime) -> None:
    """Every sheet's printed header names the district and the scenario (left) and the export date
    and tool version (right); the footer names the sheet and the page."""
    from ..version import tool_version

    right = _head_text(f"Exported {when.date().isoformat()}  |  {tool_version()}", 60)
    left = _head_text(f"{district}  |  {scenario}")
    for ws in wb.worksheets:
        ws.oddHeader.left.text, ws.oddHeader.left.size = left, 8
        ws.oddHeader.right.text, ws.oddHeader.right.size = right, 8
        if ws.oddHeader.center.text:
            ws.oddHeader.center.size = 8
        ws.oddFooter.center.text, ws.oddFooter.center.size = "&A  page &P of &N", 8


def relative_dir(folder: str | Path) -> str:
    """`folder` as a path relative to the working directory (never an absolute path: a workbook
    travels); '.' when it has no relative form (another drive)."""
    try:
        return Path(os.path.relpath(Path(folder).resolve(), Path.cwd())).as_posix()
    except ValueError:
        return "."


def _store_sheet(wb, allocation: Allocation, rows: list[dict[str, Any]]) -> None:
    """Hidden sheet `_sbb`: what readback needs (the scenario as TOML, where its files were, the
    exported value of every parameter so only edited cells become changes)."""
    s = allocation.scenario
    ws = wb.create_sheet("_sbb")
    items = [("format", FORMAT_VERSION), ("scenario_toml", scenario_to_toml(s)), ("base_dir", relative_dir(s.base_dir)),
             ("scenario_file", Path(s.file).name if s.file else "")]
    items += [(f"exported:{row['key']}", row["value"]) for row in rows]
    items += [(f"exported:band:{b}", "|".join("" if v is None else repr(float(v)) for v in vals))
              for b, *vals in band_rows(allocation)]
    for i, (key, value) in enumerate(items, start=1):
        _safe_text(ws.cell(i, 1), key)
        if isinstance(value, str):
            _safe_text(ws.cell(i, 2), value)
        else:
            ws.cell(i, 2, _num(value))
    ws.sheet_state = "hidden"


def build_workbook(allocation: Allocation, district: District, *, compare_to: Allocation | None = None,
                   suppress_below: int | None = None, district_name: str | None = None,
                   sources: dict[str, Any] | None = None, exported: dt.datetime | None = None) -> Workbook:
    """The workbook for `allocation` of `district` (see the module docstring).

    `district_name` is printed in every sheet's header (default: the district's file name);
    `sources` maps a role ('schools', 'roster', 'counts') to the input file (a path, or a (name,
    bytes) upload) whose name and SHA-256 the Provenance sheet lists; `exported` is the export time
    (default: now, UTC)."""
    s = allocation.scenario
    counts_district = district
    if s.theory.enrollment_change is not None:
        from ..enrollment import project

        counts_district = project(district, s)
    t = allocation.table
    if list(counts_district.schools["school_id"]) != list(t["school_id"]):
        raise ValueError("the allocation and the district must list the same schools in the same order")
    band_cols = []
    for spec in (s.theory.band_supplement, s.theory.autonomy):
        if spec is not None and spec.column not in band_cols:
            band_cols.append(spec.column)
    bands = {col: school_bands(district, allocation.scenario, col) for col in band_cols}
    hidden = np.zeros(len(t), dtype=bool)
    if suppress_below:
        hidden = t["enrollment"].to_numpy() < suppress_below
    count_cols = count_columns(s.weights)
    work = working_columns(allocation, counts_district, bands)
    cache: dict[tuple[str, str], Any] = {}

    wb = Workbook()
    wb.calculation.fullCalcOnLoad = True
    rows = parameter_rows(allocation)
    count_letters = _counts_sheet(wb, counts_district, count_cols, bands, hidden, suppress_below,
                                  s.theory.enrollment_change is not None, cache, fx.count_labels(s.weights),
                                  school_columns(counts_district, s))
    alloc_letters = _allocations_sheet(wb, allocation, count_letters, hidden, suppress_below, work, cache)
    visible = float(t["allocation"].to_numpy(dtype=float)[~hidden].sum())
    _summary_sheet(wb, allocation, counts_district, alloc_letters, int(hidden.sum()), suppress_below, visible, cache)
    _comparison_sheet(wb, allocation, alloc_letters, hidden, suppress_below, compare_to, cache)
    _weights_sheet(wb, allocation, rows)
    wb.move_sheet("Counts", offset=len(wb.sheetnames))
    _theory_sheets(wb, allocation, district, hidden, suppress_below)
    when = exported or dt.datetime.now(dt.timezone.utc)
    name = district_name or district.name
    from .provenance import provenance_sheet

    provenance_sheet(wb, allocation, name, sources or {}, when)
    _running_heads(wb, name, s.title, when)
    _store_sheet(wb, allocation, rows)
    wb._sbb_cached_values = cache  # written into the file by `write_workbook`
    return wb


_FORMULA_CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"([^>]*)><f>([^<]*)</f><v\s*/>')


def with_cached_values(data: bytes, titles: list[str], cache: dict[tuple[str, str], Any]) -> bytes:
    """The .xlsx `data` with the engine's value stored as the cached result of each formula cell
    in `cache` ((sheet title, cell) -> number or text). openpyxl writes formulas without results;
    readers that do not calculate (previews, pandas) then still see the numbers, and Excel and
    LibreOffice recalculate on load anyway (fullCalcOnLoad)."""
    by_sheet: dict[str, dict[str, Any]] = {}
    for (title, ref), value in cache.items():
        by_sheet.setdefault(title, {})[ref] = value
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            m = re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", item.filename)
            values = by_sheet.get(titles[int(m.group(1)) - 1]) if m and int(m.group(1)) <= len(titles) else None
            if values:
                def fill(match: re.Match) -> str:
                    ref, attrs, formula = match.groups()
                    if ref not in values:
                        return match.group(0)
                    v = values[ref]
                    if isinstance(v, str):
                        return f'<c r="{ref}"{attrs} t="str"><f>{formula}</f><v>{escape(v)}</v>'
                    return f'<c r="{ref}"{attrs}><f>{formula}</f><v>{repr(float(v)) if isinstance(v, float) else v}</v>'
                body = _FORMULA_CELL.sub(fill, body.decode("utf-8")).encode("utf-8")
            dst.writestr(item, body)
    return out.getvalue()


def write_workbook(allocation: Allocation, district: District, path_or_buffer, *,
                   compare_to: Allocation | None = None, suppress_below: int | None = None,
                   **about: Any) -> None:
    """Write the allocation workbook to a path or a binary file object (`about`: district_name,
    sources, exported, as `build_workbook` takes them)."""
    wb = build_workbook(allocation, district, compare_to=compare_to, suppress_below=suppress_below, **about)
    buf = io.BytesIO()
    wb.save(buf)
    data = with_cached_values(buf.getvalue(), [ws.title for ws in wb.worksheets], wb._sbb_cached_values)
    if isinstance(path_or_buffer, (str, Path)):
        Path(path_or_buffer).write_bytes(data)
    else:
        path_or_buffer.write(data)


def workbook_bytes(allocation: Allocation, district: District, *, compare_to: Allocation | None = None,
                   suppress_below: int | None = None, **about: Any) -> bytes:
    """The allocation workbook as .xlsx bytes (for a download button)."""
    buf = io.BytesIO()
    write_workbook(allocation, district, buf, compare_to=compare_to, suppress_below=suppress_below, **about)
    return buf.getvalue()
