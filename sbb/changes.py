"""What a scenario changes against its named weight table, in words a board member reads.

`scenario_changes` lists every override of the weight table (old value -> new value) and then the
scenario's own settings that the weight table does not hold (funding mode and budget, hold-harmless
floor and cap, central costs, phase-in, support and autonomy by band). One list, used by the PDF
handout, the statements' summary page and the workbook's Provenance section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .scenario import Scenario

_NEEDS = {"poverty": "Poverty", "ell": "English learners", "sped": "Special education"}


@dataclass(frozen=True)
class Change:
    """One change: `what` (in words), `key` (the dotted key, for auditors), `before` and `after` as text."""

    what: str
    key: str
    before: str
    after: str


def key_label(key: str) -> str:
    """A dotted weight-table key in words.

    >>> key_label("needs.ell.weight"), key_label("needs.sped.levels.self_contained"), key_label("grade.K")
    ('English learners weight', 'Special education (self-contained) weight', 'Grade K weight')
    >>> key_label("base.per_weighted_pupil"), key_label("small_school.per_school")
    ('Base per weighted pupil', 'Small school per school')
    """
    parts = key.split(".")
    if parts[0] == "needs" and len(parts) >= 3:
        need = _NEEDS.get(parts[1], parts[1].replace("_", " ").capitalize())
        if parts[2] == "levels" and len(parts) == 4:
            return f"{need} ({parts[3].replace('_', '-')}) weight"
        return f"{need} {parts[2].replace('_', ' ')}"
    if parts[0] == "grade" and len(parts) == 2:
        return f"Grade {parts[1]} weight" if parts[1] != "PK" else "Pre-K weight"
    text = " ".join(p.replace("_", " ") for p in parts)
    return text[:1].upper() + text[1:]


def _value(key: str, value: Any) -> str:
    """A value as text: dollars for amounts, plain numbers for weights and shares."""
    if value is None:
        return "none"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if any(word in key for word in ("per_weighted_pupil", "per_school", "per_pupil", "budget")):
            return f"${value:,.2f}" if value % 1 else f"${value:,.0f}"
        return f"{value:.2f}" if round(value, 2) == value else f"{value:g}"
    return str(value)


def _weight_value(doc: dict, key: str) -> Any:
    node: Any = doc
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def scenario_changes(scenario: Scenario, budget: float | None = None) -> list[Change]:
    """Every change the scenario makes to its weight table, then its own settings (see the module
    docstring). `budget` is the budget the allocation used (the default budget is the sum of prior
    allocations, which the scenario alone does not know)."""
    base_doc, new_doc = scenario.baseline.to_dict(), scenario.weights.to_dict()
    out: list[Change] = []
    for key, _ in scenario.overrides:
        key = str(key)
        if key.startswith("grade.") and _weight_value(base_doc, key) is None:
            before = after = None  # a band such as grade.K-3: read its first grade
            from .weights import grade_span
            from .spelling import GRADES

            span = grade_span(key.split(".", 1)[1]) or []
            if span:
                before = base_doc["grade"][GRADES[span[0]]]
                after = new_doc["grade"][GRADES[span[0]]]
        else:
            before, after = _weight_value(base_doc, key), _weight_value(new_doc, key)
        out.append(Change(key_label(key), key, _value(key, before), _value(key, after)))
    mode = "budget-neutral (the base is solved to spend the budget)" if scenario.mode == "budget_neutral" \
        else "fixed base (the total is what the formula costs)"
    out.append(Change("Funding", "funding.mode", "", mode))
    if scenario.mode == "budget_neutral":
        spent = budget if budget is not None else scenario.budget
        if spent is None:
            text = "last year's total"
        else:
            text = _value("budget", spent) + ("" if scenario.budget is not None else " (last year's total)")
        out.append(Change("Budget", "funding.budget", "", text))
    out.append(Change("Most a school may lose", "hold_harmless.max_loss_pct", "",
                      "no limit" if scenario.max_loss_pct is None else f"{scenario.max_loss_pct:g}% of last year"))
    out.append(Change("Most a school may gain", "hold_harmless.max_gain_pct", "",
                      "no limit" if scenario.max_gain_pct is None else f"{scenario.max_gain_pct:g}% of last year"))
    th = scenario.theory
    for item, amount in th.managed_foundation:
        out.append(Change(f"Held centrally: {item.replace('_', ' ')}", f"managed_foundation.{item}", "",
                          _value("budget", amount)))
    if th.phase_in_years and th.phase_in_years > 1:
        out.append(Change("Phase-in", "phase_in.years", "", f"over {th.phase_in_years} years"))
    if th.band_supplement is not None:
        pp = ", ".join(f"band {b}: ${v:,.0f} per pupil" for b, v in th.band_supplement.per_pupil)
        ps = ", ".join(f"band {b}: ${v:,.0f} per school" for b, v in th.band_supplement.per_school)
        out.append(Change("Support by performance band", "supplements.performance_band", "",
                          "; ".join(x for x in (pp, ps) if x)))
    if th.autonomy is not None:
        out.append(Change("Share of its allocation a school controls", "autonomy.discretionary_share", "",
                          ", ".join(f"band {b}: {v:.0%}" for b, v in th.autonomy.shares)))
    if th.enrollment_change is not None:
        out.append(Change("Enrollment", "enrollment_change", "", "projected next-year enrollment"))
    return out
