"""Scenario settings as a flat dict, the controls that edit them, and the scenario they make.

Settings are plain values keyed by name: the weight table's dotted keys ('needs.ell.weight',
'grade.K', 'foundation.per_school'; shares such as a concentration threshold as 0-1), and
'mode', 'budget_custom', 'budget', 'rounding', 'floor_on', 'max_loss_pct', 'cap_on',
'max_gain_pct', 'per_grade', 'managed.<item>', 'phase_in_years', 'band_pp.<band>' and
'band_ps.<band>'. `scenario_from_settings` turns them into a validated `Scenario` whose overrides
list only what differs from the named weight table. The pure functions come first; `render_group`
draws one group of widgets (Streamlit).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..explain import grade_label, level_label, need_label
from ..report import dollars
from ..scenario import Scenario
from ..spelling import GRADES
from ..transition import Transition
from ..weights import WeightTable, apply_overrides

GROUPS: tuple[tuple[str, str], ...] = (
    ("funding", "Budget and base"),
    ("grades", "Grade weights"),
    ("needs", "Student need weights"),
    ("amounts", "Fixed school amounts"),
    ("limits", "Hold-harmless limits"),
    ("theory", "Central costs, support by band, phase-in"),
)
MODES = {"budget_neutral": "Share a fixed budget", "fixed_base": "Set the base"}
# What each kind of control accepts, in widget units (shares in percent; None: no limit): the bounds of
# the number boxes `render_control` draws, and what the page's address is checked against (`address`).
RANGES: dict[str, tuple[Any, Any]] = {
    "weight": (0.0, 20.0), "money": (0.0, None), "base": (0.0, None), "pct": (0.0, 100.0),
    "share": (0.0, 100.0), "pupils": (0, None), "years": (1, 10),
}
ROUNDING = {"dollars": "Whole dollars", "cents": "Cents"}


@dataclass(frozen=True)
class Control:
    """One setting a finance officer can change.

    kind: 'weight' (weighted pupils per pupil), 'money' (dollars), 'base' (dollars per weighted
    pupil), 'pct' (percent), 'share' (0-1, shown as percent), 'pupils', 'years', 'toggle', 'choice'.
    `grades` lists the grade indices a grade or band control sets; `when` = (key, value) shows the
    control only while that setting has that value.
    """

    key: str
    label: str
    group: str
    kind: str
    help: str = ""
    grades: tuple[int, ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    when: tuple[str, Any] | None = None


def grade_bands(weights: WeightTable) -> list[tuple[int, ...]]:
    """Runs of consecutive grades with the same weight: the bands a weight table was written in.

    >>> from sbb.weights import load_weights
    >>> [band_key(b) for b in grade_bands(load_weights("weights/sample_district.toml"))]
    ['PK', 'K-3', '4-5', '6-8', '9-12']
    """
    bands: list[list[int]] = []
    for g, w in enumerate(weights.grade):
        if bands and weights.grade[bands[-1][-1]] == w:
            bands[-1].append(g)
        else:
            bands.append([g])
    return [tuple(b) for b in bands]


def band_key(grades: tuple[int, ...]) -> str:
    """The weight-table key of a band: 'K-3', or one grade 'PK'."""
    return GRADES[grades[0]] if len(grades) == 1 else f"{GRADES[grades[0]]}-{GRADES[grades[-1]]}"


def controls_for(start: Scenario, per_grade: bool = False) -> list[Control]:
    """Every control for a scenario on its weight table, in display order."""
    w = start.baseline
    out = [
        Control("mode", "How the total is set", "funding", "choice", options=tuple(MODES.items()),
                help="Share a fixed budget: the base per weighted pupil is solved so allocations add up "
                     "to the budget. Set the base: the total is whatever the formula costs."),
        Control("budget_custom", "Use a different budget from last year's total", "funding", "toggle",
                when=("mode", "budget_neutral")),
        Control("budget", "Budget for schools and central costs ($)", "funding", "money",
                when=("budget_custom", True), help="The whole budget; central costs come off the top."),
        Control("base.per_weighted_pupil", "Base per weighted pupil ($)", "funding", "base",
                when=("mode", "fixed_base"), help="Dollars for each weighted pupil."),
        Control("rounding", "Round allocations to", "funding", "choice", options=tuple(ROUNDING.items())),
    ]
    if w.grade_all:
        out.append(Control("grade.all", "Every grade", "grades", "weight",
                           help="Weighted pupils per enrolled pupil (one weight for every grade)."))
    else:
        bands = [(g,) for g in range(len(GRADES))] if per_grade else grade_bands(w)
        out.append(Control("per_grade", "Set each grade separately", "grades", "toggle"))
        for band in bands:
            out.append(Control(f"grade.{band_key(band)}", grade_label(band[0], band[-1]), "grades", "weight",
                               grades=band, help="Weighted pupils per enrolled pupil in these grades."))
    for cat in w.categories():
        column = w.need(cat.need).column
        label = need_label(cat.need) + (f": {level_label(cat.level)}" if cat.level else "")
        if cat.band:
            label += f", grades {cat.band}"
        what = f"at this level of '{column}'" if cat.level else f"flagged in column '{column}'"
        out.append(Control(cat.key, label, "needs", "weight", help=f"Extra weighted pupils per pupil {what}"
                           + (f" in grades {cat.band}." if cat.band else ".")))
    out += concentration_controls(w)
    out.append(Control("foundation.per_school", "Foundation per school ($)", "amounts", "money",
                       help="Fixed dollars every school receives (principal, office, basic staffing)."))
    if w.small_school is not None:
        out.append(Control("small_school.per_school", "Small-school supplement at zero pupils ($)", "amounts", "money",
                           help="Tapers linearly to nothing at the threshold below."))
        out.append(Control("small_school.enrollment_below", "… for schools below (pupils)", "amounts", "pupils"))
    out += [
        Control("floor_on", "Limit losses (hold-harmless floor)", "limits", "toggle"),
        Control("max_loss_pct", "No school loses more than (%)", "limits", "pct", when=("floor_on", True)),
        Control("cap_on", "Cap gains", "limits", "toggle"),
        Control("max_gain_pct", "No school gains more than (%)", "limits", "pct", when=("cap_on", True)),
    ]
    if start.transition is not None:
        out += [
            Control("transition.share_of_gain", "Transition: share of each gain paid this year (%)", "limits",
                    "share", help="A school below its formula gets last year's amount plus this share of the gap."),
            Control("transition.share_of_loss", "Transition: share of each loss taken this year (%)", "limits",
                    "share", help="A school above its formula moves this share of the way down (100% = all)."),
        ]
    for item, _ in start.theory.managed_foundation:
        out.append(Control(f"managed.{item}", f"Central: {item.replace('_', ' ')} ($)", "theory", "money",
                           help="Held centrally, taken off the top of the budget."))
    band = start.theory.band_supplement
    if band is not None:
        for b, _ in band.per_pupil:
            out.append(Control(f"band_pp.{b}", f"Band {b} support per pupil ($)", "theory", "money"))
        for b, _ in band.per_school:
            out.append(Control(f"band_ps.{b}", f"Band {b} support per school ($)", "theory", "money"))
    out.append(Control("phase_in_years", "Phase in over (years)", "theory", "years",
                       help="1 = straight to the formula this year."))
    return out


def concentration_controls(w: WeightTable) -> list[Control]:
    """The weight of each concentration and the numbers of its shape: the threshold share (step,
    excess) or the share where the ramp is full, and what a pupil at each counted level counts."""
    out = []
    for c in w.concentration:
        who = need_label(c.need).lower()
        rule = {"step": "in schools at or above the threshold",
                "ramp": "times min(1, the school's share / the share where the ramp is full)",
                "excess": "for each counted pupil above the threshold share of enrollment"}[c.shape]
        out.append(Control(f"concentration.{c.name}.weight", f"High-{who} schools: extra weight", "needs", "weight",
                           help=f"Extra weighted pupils per counted {who} pupil {rule}."))
        if c.shape == "ramp":
            out.append(Control(f"concentration.{c.name}.full_at", "… full at a share of (%)", "needs", "share"))
        else:
            label = "… applies at a share of at least (%)" if c.shape == "step" else "… counts pupils above a share of (%)"
            out.append(Control(f"concentration.{c.name}.share_at_least", label, "needs", "share"))
        for level, _ in c.count:
            out.append(Control(f"concentration.{c.name}.count.{level}", f"… each {level_label(level).lower()} pupil counts",
                               "needs", "weight"))
    return out


def _weight_value(doc: dict, key: str) -> Any:
    node: Any = doc
    for part in key.split("."):
        node = node[part]
    return node


def settings_from_scenario(s: Scenario, prior_total: float | None = None) -> dict[str, Any]:
    """The settings that reproduce scenario `s` (weights read from its overridden table).

    `prior_total` (last year's total, dollars) fills the budget box when the scenario has no budget.
    """
    doc = s.weights.to_dict()
    out: dict[str, Any] = {
        "mode": s.mode,
        "budget_custom": s.budget is not None,
        "budget": s.budget if s.budget is not None else prior_total,
        "rounding": s.rounding,
        "floor_on": s.max_loss_pct is not None,
        "max_loss_pct": s.max_loss_pct if s.max_loss_pct is not None else 3.0,
        "cap_on": s.max_gain_pct is not None,
        "max_gain_pct": s.max_gain_pct if s.max_gain_pct is not None else 5.0,
        "base.per_weighted_pupil": doc["base"]["per_weighted_pupil"],
        "foundation.per_school": doc["foundation"]["per_school"],
        "phase_in_years": s.theory.phase_in_years or 1,
    }
    for g, name in enumerate(GRADES):
        out[f"grade.{name}"] = s.weights.grade[g]
    out["grade.all"] = s.weights.grade[0]
    out["per_grade"] = any(len({s.weights.grade[g] for g in band}) > 1 for band in grade_bands(s.baseline))
    if s.transition is not None:
        out["transition.share_of_gain"] = s.transition.share_of_gain
        out["transition.share_of_loss"] = s.transition.share_of_loss
    for c in controls_for(s, per_grade=True):
        if c.key.startswith(("needs.", "concentration.", "small_school.")):
            out[c.key] = _weight_value(doc, c.key)
    for item, amount in s.theory.managed_foundation:
        out[f"managed.{item}"] = amount
    if s.theory.band_supplement is not None:
        out.update({f"band_pp.{b}": v for b, v in s.theory.band_supplement.per_pupil})
        out.update({f"band_ps.{b}": v for b, v in s.theory.band_supplement.per_school})
    return out


def reference_settings(s: Scenario, prior_total: float | None = None) -> dict[str, Any]:
    """The baseline's settings, with the same keys as `settings_from_scenario(s)`: the named weight
    table, budget-neutral on last year's total, no limits, no central costs or band support, no phase-in."""
    base = replace(s, weights=s.baseline, overrides=(), mode="budget_neutral", budget=None, rounding="dollars",
                   max_loss_pct=None, max_gain_pct=None)
    out = settings_from_scenario(base, prior_total)
    mine = settings_from_scenario(s, prior_total)
    for key in mine:
        if key.startswith(("managed.", "band_pp.", "band_ps.")):
            out[key] = 0.0
    out["per_grade"] = mine["per_grade"]
    return out


def _band_overrides(settings: dict[str, Any], baseline: WeightTable) -> dict[str, float]:
    """Grade overrides: one key per baseline band when the band moved together, else per grade."""
    out: dict[str, float] = {}
    if baseline.grade_all:
        value = float(settings.get("grade.all", baseline.grade[0]))
        return {"grade.all": value} if value != baseline.grade[0] else {}
    for band in grade_bands(baseline):
        values = [float(settings[f"grade.{GRADES[g]}"]) for g in band]
        if len(set(values)) == 1:
            if values[0] != baseline.grade[band[0]]:
                out[f"grade.{band_key(band)}"] = values[0]
            continue
        for g, v in zip(band, values):
            if v != baseline.grade[g]:
                out[f"grade.{GRADES[g]}"] = v
    return out


def scenario_from_settings(start: Scenario, settings: dict[str, Any], title: str | None = None) -> Scenario:
    """The scenario the settings describe, built on `start` (its weight table, file and theory tables).

    Raises `InputError` when a weight is invalid (for example negative), like a scenario file would.
    """
    baseline = start.baseline
    base_doc = baseline.to_dict()
    overrides: dict[str, Any] = _band_overrides(settings, baseline)
    keys = [c.key for c in controls_for(start, per_grade=True)
            if c.key.startswith(("needs.", "concentration.", "small_school.", "foundation."))]
    if settings["mode"] == "fixed_base":
        keys.append("base.per_weighted_pupil")
    for key in keys:
        value = settings[key]
        if value != _weight_value(base_doc, key):
            overrides[key] = value
    weights = apply_overrides(baseline, overrides, start.file or start.title)
    theory = start.theory
    managed = tuple((item, float(settings[f"managed.{item}"])) for item, _ in theory.managed_foundation
                    if float(settings.get(f"managed.{item}", 0.0)) != 0.0)
    band = theory.band_supplement
    if band is not None:
        band = replace(band, per_pupil=tuple((b, float(settings[f"band_pp.{b}"])) for b, _ in band.per_pupil),
                       per_school=tuple((b, float(settings[f"band_ps.{b}"])) for b, _ in band.per_school))
    years = int(settings["phase_in_years"])
    theory = replace(theory, managed_foundation=managed, band_supplement=band,
                     phase_in_years=years if years > 1 else None)
    budget_neutral = settings["mode"] == "budget_neutral"
    budget = float(settings["budget"]) if budget_neutral and settings["budget_custom"] else None
    limits = (float(settings["max_loss_pct"]) if settings["floor_on"] else None,
              float(settings["max_gain_pct"]) if settings["cap_on"] else None)
    same = (dict(overrides) == dict(start.overrides) and settings["mode"] == start.mode and budget == start.budget
            and settings["rounding"] == start.rounding and limits == (start.max_loss_pct, start.max_gain_pct)
            and theory == start.theory)
    # an edited scenario (settings changed, and a new title given for it) no longer is what its note
    # says: say what it started from instead
    unedited = same or not title or title == start.title
    description = start.description if unedited else (
        f'Edited in the app from "{start.title}"; the changes from the weight table are listed with it.')
    return replace(
        start,
        title=title or start.title,
        description=description,
        weights=weights,
        overrides=tuple(overrides.items()),
        mode=settings["mode"],
        budget=float(settings["budget"]) if budget_neutral and settings["budget_custom"] else None,
        rounding=settings["rounding"],
        max_loss_pct=float(settings["max_loss_pct"]) if settings["floor_on"] else None,
        max_gain_pct=float(settings["max_gain_pct"]) if settings["cap_on"] else None,
        theory=theory,
        transition=None if start.transition is None else Transition(
            float(settings.get("transition.share_of_gain", start.transition.share_of_gain)),
            float(settings.get("transition.share_of_loss", start.transition.share_of_loss))),
    )


def control_value(c: Control, settings: dict[str, Any]) -> Any:
    """The value a control shows: a band's first grade; other settings as stored."""
    if c.grades:
        return settings[f"grade.{GRADES[c.grades[0]]}"]
    return settings.get(c.key)


def set_control(c: Control, settings: dict[str, Any], value: Any) -> None:
    """Store a control's value: a band control sets every grade in the band."""
    if c.grades:
        for g in c.grades:
            settings[f"grade.{GRADES[g]}"] = value
    else:
        settings[c.key] = value


def visible(c: Control, settings: dict[str, Any]) -> bool:
    """Whether a control applies under the current settings (e.g. the base only in fixed-base mode)."""
    if c.when is None:
        return True
    key, value = c.when
    if key == "budget_custom" and settings.get("mode") != "budget_neutral":
        return False
    return settings.get(key) == value


def show(c: Control, value: Any) -> str:
    """A control's value as a finance officer reads it: '0.40', '$250,000', '3.0%', '75%'."""
    if value is None:
        return "—"
    if c.kind == "weight":
        return f"{value:.2f}" if round(value, 2) == value else f"{value:g}"
    if c.kind in ("money", "base"):
        return dollars(value, cents=c.kind == "base")
    if c.kind == "pct":
        return f"{value:.1f}%"
    if c.kind == "share":
        return f"{value * 100:g}%" if round(value * 100, 1) == round(value * 100, 6) else f"{value * 100:.2f}%"
    if c.kind == "toggle":
        return "on" if value else "off"
    if c.kind == "choice":
        return dict(c.options).get(value, str(value))
    return f"{value:,.0f}"


_NOT_SET = {"max_loss_pct": "no floor", "max_gain_pct": "no cap", "budget": "last year's total",
            "base.per_weighted_pupil": "solved from the budget"}
_SAID_ELSEWHERE = {"per_grade", "budget_custom", "floor_on", "cap_on"}  # the control beside it says it


def differs(c: Control, settings: dict[str, Any], reference: dict[str, Any]) -> bool:
    """Whether a control's value differs from the reference settings (including a limit or budget
    that applies now but not in the reference)."""
    if visible(c, settings) != visible(c, reference):
        return True
    if c.grades:
        return any(settings[f"grade.{GRADES[g]}"] != reference[f"grade.{GRADES[g]}"] for g in c.grades)
    return settings.get(c.key) != reference.get(c.key)


def reference_text(c: Control, reference: dict[str, Any]) -> str:
    """The reference value of a control as text ('0.40', 'no floor')."""
    if not visible(c, reference):
        return _NOT_SET.get(c.key, "—")
    return show(c, control_value(c, reference))


def changes(start: Scenario, settings: dict[str, Any], reference: dict[str, Any]) -> list[tuple[str, str, str]]:
    """What differs from the reference, as (label, reference value, current value), skipping controls
    that do not apply now (e.g. the gains cap percent while the cap is off)."""
    out = []
    for c in controls_for(start, per_grade=bool(settings.get("per_grade"))):
        if c.key in _SAID_ELSEWHERE or not visible(c, settings) or not differs(c, settings, reference):
            continue
        label = c.label.replace("… ", "").replace(" ($)", "").replace(" (%)", "")
        out.append((label, reference_text(c, reference), show(c, control_value(c, settings))))
    return out


def parse_money(text: Any) -> float | None:
    """Dollars typed in a box: '$256,512,266', '256512266', '1,250.50' -> float; None when it is not
    a non-negative amount.

    >>> parse_money("$256,512,266"), parse_money(" 1,250.5 "), parse_money("12x"), parse_money("-5")
    (256512266.0, 1250.5, None, None)
    """
    if isinstance(text, (int, float)):
        return float(text) if text >= 0 else None
    cleaned = str(text).strip().replace("$", "").replace(",", "").replace(" ", "").replace("_", "")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if value >= 0 and value == value and value != float("inf") else None


def clean(c: Control, value: Any) -> Any:
    """A widget's value in settings units: weights to 6 decimals, money to cents, shares back to 0-1."""
    if value is None:
        return value
    if c.kind == "weight":
        return round(float(value), 6)
    if c.kind == "money":
        amount = parse_money(value)
        return None if amount is None else round(amount, 2)
    if c.kind == "base":
        return round(float(value), 2)
    if c.kind == "pct":
        return round(float(value), 4)
    if c.kind == "share":
        return round(float(value) / 100.0, 6)
    if c.kind in ("pupils", "years"):
        return int(value)
    return value


def widget_value(c: Control, value: Any) -> Any:
    """A setting as its widget shows it (shares as percent)."""
    if c.kind == "share":
        return round(float(value) * 100.0, 4)
    if c.kind == "money":  # a text box, with thousands separators: '256,512,266'
        if value is None:
            return None
        return f"{value:,.2f}" if round(value, 2) != round(value) else f"{value:,.0f}"
    if c.kind in ("weight", "base", "pct"):
        return float(value) if value is not None else None
    return value


# --------------------------------------------------------------------------------------------------
# Widgets (Streamlit)
# --------------------------------------------------------------------------------------------------

WIDGET = "ctl:"  # session-state prefix of control widgets


def widget_key(c: Control) -> str:
    return WIDGET + c.key


def sync_widgets(state: Any, start: Scenario, settings: dict[str, Any], keys: set[str] | None = None) -> None:
    """Write settings into the control widgets' session state (after a load or a reset)."""
    for per_grade in (False, True):
        for c in controls_for(start, per_grade=per_grade):
            if keys is None or c.key in keys or any(f"grade.{GRADES[g]}" in keys for g in c.grades):
                state[widget_key(c)] = widget_value(c, control_value(c, settings))


def render_control(c: Control, settings: dict[str, Any], reference: dict[str, Any], state: Any, where: Any) -> None:
    """Draw one control into `where`, store its value in `settings`, and show the baseline beside a change."""
    import streamlit as st  # noqa: F401  (imported here so the pure functions above need no Streamlit)

    key = widget_key(c)
    if key not in state:
        state[key] = widget_value(c, control_value(c, settings))
    if c.kind == "toggle":
        value = where.toggle(c.label, key=key, help=c.help or None)
    elif c.kind == "choice":
        labels = dict(c.options)
        value = where.segmented_control(c.label, list(labels), format_func=labels.get, key=key,
                                        help=c.help or None, required=True)
    elif c.kind == "money":  # typed with thousands separators; a typing slip keeps the last good amount
        typed = where.text_input(c.label, key=key, help=c.help or None)
        if clean(c, typed) is None:
            where.error(f"'{typed}' is not an amount in dollars (for example 256,512,266); still using "
                        f"{show(c, control_value(c, settings))}.")
            value = widget_value(c, control_value(c, settings))
        else:
            value = typed
    else:
        spec = {
            "weight": dict(min_value=0.0, max_value=20.0, step=0.01, format="%.2f"),
            "base": dict(min_value=0.0, step=10.0, format="%.2f"),
            "pct": dict(min_value=0.0, max_value=100.0, step=0.5, format="%.1f"),
            "share": dict(min_value=0.0, max_value=100.0, step=0.5, format="%.1f"),
            "pupils": dict(min_value=0, step=10),
            "years": dict(min_value=1, max_value=10, step=1),
        }[c.kind]
        value = where.number_input(c.label, key=key, help=c.help or None, **spec)
    if value is None or (c.kind == "money" and not str(value).strip()):  # a cleared box: keep the last value
        value = widget_value(c, control_value(c, settings))
    set_control(c, settings, clean(c, value))
    if c.key not in _SAID_ELSEWHERE and differs(c, settings, reference):
        where.caption(f"Baseline: {reference_text(c, reference)}")
