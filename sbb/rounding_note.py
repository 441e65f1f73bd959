"""How a scenario applied the weight table's statutory rounding, in one sentence (or "" without one).

One definition for every view: the command-line summary, the app (under the headline) and the
workbook's notes read it. Statutory rounding (`[rounding]`, `sbb.statutory`) rounds the pupil steps
(concentration shares, ramp factors, counted pupils, weighted pupils) in every mode. The formula
amount is rounded to its decimals only in fixed-base mode: in budget-neutral mode the base is solved
on the unrounded dollar line and the allocations are rounded to the budget instead (largest
remainders, to the dollar or cent), so that they add up to it exactly.
"""

from __future__ import annotations

PUPIL_STEPS = ("share", "factor", "counted", "weighted_pupils")


def statutory_rounding_note(scenario) -> str:
    """The sentence for `scenario` (a `sbb.scenario.Scenario`); "" when its weights round nothing.

    Decimals are listed as the weight table gives them, half away from zero."""
    r = scenario.weights.rounding
    if not r.any():
        return ""
    steps = ", ".join(f"{k.replace('_', ' ')} {getattr(r, k)}" for k in PUPIL_STEPS if getattr(r, k) is not None)
    unit = "cent" if scenario.rounding == "cents" else "dollar"
    if scenario.mode == "fixed_base":
        places = steps + (", " if steps else "") + (f"formula {r.formula}" if r.formula is not None else "")
        return f"Statutory rounding, half away from zero, in decimals: {places.rstrip(', ')}."
    first = f"Statutory rounding of the pupil steps, half away from zero, in decimals: {steps}. " if steps else ""
    formula = (f"The formula amount is not rounded to {r.formula} decimals as the statute says: "
               if r.formula is not None else "")
    return (first + formula + ("in" if formula else "In") + " this budget-neutral scenario the base is solved on "
            f"the unrounded dollar line and the allocations are rounded to the {unit} so that they add up to the "
            "budget.")
