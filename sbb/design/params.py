"""The numeric settings a design question can vary, and a scenario with one of them changed.

A parameter is named by the dotted key a scenario file uses: any number in the weight table as an
override key ('needs.ell.weight', 'grade.K', 'grade.9-12', 'foundation.per_school',
'concentration.high_poverty.weight'), or one of the scenario's own numbers: 'funding.budget'
(dollars, budget-neutral mode only), 'hold_harmless.max_loss_pct' and 'hold_harmless.max_gain_pct'
(percent of last year's allocation). Setting a value goes through the same validation as a
scenario file, so a negative weight or a floor above 100% is refused the same way.

Each kind of parameter has a `quantum`, the finest step an answer is given in: a millionth for
weights and percentages, one rounding unit (a dollar, or a cent) for the budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..problems import InputError, Problem
from ..scenario import Scenario
from ..weights import FlagNeed, LevelNeed, apply_overrides, grade_span

SCENARIO_KEYS = ("funding.budget", "hold_harmless.max_loss_pct", "hold_harmless.max_gain_pct")
WEIGHT_QUANTUM = 1e-6


@dataclass(frozen=True)
class Parameter:
    """One variable setting: its key, kind ('weights', 'budget', 'limit'), current value (None for
    a limit that is off), the values it may take ([lowest, highest]) and its quantum."""

    key: str
    kind: str
    current: float | None
    lowest: float
    highest: float
    quantum: float

    def default_range(self) -> tuple[float, float]:
        """The range searched when none is given: a weight from 0 to 4x today's (at least 0 to 2;
        0 to 1 for a share), the budget 50% to 150% of today's, a limit 0% to 100%."""
        if self.kind == "budget":
            return (0.5 * (self.current or 0.0), 1.5 * (self.current or 0.0))
        if self.kind == "limit":
            return (0.0, 100.0)
        if self.key.endswith(("share_at_least", "full_at")):
            return (0.0, 1.0)
        return (0.0, max(4.0 * (self.current or 0.0), 2.0))


def _problem(key: str, value: Any, expected: str, where: str = "--vary") -> InputError:
    return InputError([Problem(where, None, key, None if value is None else str(value), expected)])


def _weight_value(scenario: Scenario, key: str) -> float:
    """The current number at weight-table key `key`; InputError naming the key when there is none."""
    doc = scenario.weights.to_dict()
    path = key.split(".")
    if path[0] == "grade" and len(path) == 2:
        span = grade_span(path[1])
        if span:
            return float(scenario.weights.grade[span[0]])
    node: Any = doc
    for part in path:
        if not isinstance(node, dict) or part not in node:
            known = sorted(k for k in node if k not in ("title", "source")) if isinstance(node, dict) else []
            raise _problem(key, None, f"a numeric setting: a weight-table key such as needs.ell.weight, or one of "
                                      f"{', '.join(SCENARIO_KEYS)}; '{part}' is not one"
                                      + (f" (known here: {', '.join(map(str, known))})" if known else ""))
        node = node[part]
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        raise _problem(key, None, "a key that holds a number (this one holds "
                                  f"{'a table' if isinstance(node, dict) else type(node).__name__})")
    return float(node)


def parameter(scenario: Scenario, key: str, prior_total: float) -> Parameter:
    """The parameter called `key` in `scenario`; `prior_total` is last year's total in dollars (the
    default budget). Raises `InputError` for a key that names no number."""
    if key == "funding.budget":
        if scenario.mode != "budget_neutral":
            raise _problem(key, None, "funding.budget only in budget_neutral mode (this scenario sets the base)")
        now = scenario.budget if scenario.budget is not None else round(prior_total * scenario.scale) / scenario.scale
        return Parameter(key, "budget", float(now), 0.0, math.inf, 1.0 / scenario.scale)
    if key == "hold_harmless.max_loss_pct":
        return Parameter(key, "limit", scenario.max_loss_pct, 0.0, 100.0, WEIGHT_QUANTUM)
    if key == "hold_harmless.max_gain_pct":
        return Parameter(key, "limit", scenario.max_gain_pct, 0.0, math.inf, WEIGHT_QUANTUM)
    if key.startswith(("funding.", "hold_harmless.")):
        raise _problem(key, None, f"one of {', '.join(SCENARIO_KEYS)} or a weight-table key")
    now = _weight_value(scenario, key)
    top = 1.0 if key.endswith(("share_at_least", "full_at")) else math.inf
    return Parameter(key, "weights", now, 0.0, top, WEIGHT_QUANTUM)


def with_values(scenario: Scenario, values: dict[str, float]) -> Scenario:
    """`scenario` with each key set to its value, validated as a scenario file would be (raises
    `InputError`). Weight keys become overrides (a key already overridden moves to the end so the
    new value wins over a band); the budget is rounded to the rounding unit."""
    overrides = dict(scenario.overrides)
    changes: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in values.items():
        value = float(value)
        if not math.isfinite(value):
            problems.append(Problem("--vary", None, key, str(value), "a finite number"))
        elif key == "funding.budget":
            if value < 0:
                problems.append(Problem("--vary", None, key, f"{value:,.2f}", "a budget of at least $0"))
            changes["budget"] = round(value * scenario.scale) / scenario.scale
        elif key in ("hold_harmless.max_loss_pct", "hold_harmless.max_gain_pct"):
            top = 100.0 if key.endswith("loss_pct") else math.inf
            if not 0.0 <= value <= top:
                problems.append(Problem("--vary", None, key, f"{value:g}",
                                        "a percentage from 0 to 100" if top == 100 else "a percentage of at least 0"))
            changes[key.split(".")[1]] = value
        else:
            overrides.pop(key, None)
            overrides[key] = value
    if problems:
        raise InputError(problems)
    if len(overrides) != len(scenario.overrides) or dict(scenario.overrides) != overrides:
        weights = _need_weights(scenario, values, overrides)
        if weights is None:
            weights = apply_overrides(scenario.baseline, overrides, scenario.file or scenario.title)
        changes.update(weights=weights, overrides=tuple(overrides.items()))
    return replace(scenario, **changes)


def _need_weights(scenario: Scenario, values: dict[str, float], overrides: dict[str, Any]):
    """The weight table with need weights set directly (what `apply_overrides` would build, without
    validating the whole table again: a sweep sets thousands). None when any key is another kind,
    a value is negative, or an override set earlier is not already in `scenario.weights`."""
    if list(overrides)[: len(scenario.overrides)] != [k for k, _ in scenario.overrides if k not in values]:
        return None
    needs = {n.name: n for n in scenario.weights.needs}
    for key, value in values.items():
        path = key.split(".")
        if len(path) < 3 or path[0] != "needs" or path[1] not in needs or float(value) < 0:
            return None
        need = needs[path[1]]
        if need.bands if isinstance(need, FlagNeed) else any(need.bands):
            return None  # weights by grade band: apply_overrides reads the band keys
        if len(path) == 3 and path[2] == "weight" and isinstance(need, FlagNeed):
            needs[path[1]] = replace(need, weight=float(value))
        elif len(path) == 4 and path[2] == "levels" and isinstance(need, LevelNeed) and path[3] in need.levels:
            i = need.levels.index(path[3])
            needs[path[1]] = replace(need, weights=need.weights[:i] + (float(value),) + need.weights[i + 1:])
        else:
            return None
    return replace(scenario.weights, needs=tuple(needs[n.name] for n in scenario.weights.needs))


def snap(value: float, quantum: float, up: bool = False) -> float:
    """`value` on the parameter's lattice of `quantum` steps (nearest, or the next one up), written
    without float dust (0.537104, not 0.5371040000000001)."""
    steps = math.ceil(value / quantum - 1e-9) if up else round(value / quantum)
    digits = max(0, -int(math.floor(math.log10(quantum))))
    return round(steps * quantum, digits)


def values_text(values: dict[str, float]) -> str:
    """'needs.ell.weight = 0.537, funding.budget = $245,000,000' for a message."""
    parts = []
    for key, v in values.items():
        parts.append(f"{key} = ${v:,.0f}" if key == "funding.budget" else f"{key} = {v:g}")
    return ", ".join(parts)


def linspace(lo: float, hi: float, steps: int, quantum: float) -> np.ndarray:
    """`steps` evenly spaced values from `lo` to `hi`, each snapped to the lattice (no float dust)."""
    return np.array([snap(v, quantum) for v in np.linspace(lo, hi, steps)])

