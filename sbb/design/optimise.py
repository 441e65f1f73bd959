"""Optimise: choose several settings within ranges to maximise or minimise one result, subject to
conditions.

Conditions compare a result, a varied setting or a number with another, with <= or >=:
'biggest_loss_pct <= 3' (no school loses more than 3%), 'schools_losing <= 10',
'needs.ell.weight >= needs.poverty.weight' (the order of two weights). Budget neutrality needs no
condition: every point is allocated with the exact budget-neutral solve, and a point where the
limits leave no base that spends the budget counts as breaking every condition.

The search is `scipy.optimize.differential_evolution` with a fixed seed (the same request gives the
same proposal), the conditions as a nonlinear constraint (feasibility first, then the objective);
each generation's new points are allocated together through the batch (`sbb.design.batch`).
The best point is rounded to `decimals` places (whole dollars for a budget): of its rounded
neighbours (each setting rounded down or up) the best that meets every condition is proposed, and
checked again with the ordinary `allocate()`; if none does, the unrounded point is used. `Proposal.met`
says whether every condition holds at the proposal, as the ordinary engine computes it.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

import numpy as np
from scipy.optimize import NonlinearConstraint, differential_evolution

from ..allocate import allocate
from ..problems import InputError, Problem
from ..scenario import Scenario
from . import batch
from .params import parameter, snap, with_values
from .sweep import check_range
from .target import RESULTS, Evaluator, Outcome, outcome_of, result

_CONDITION = re.compile(r"^\s*(.+?)\s*(<=|>=|=<|=>)\s*(.+?)\s*$")


@dataclass(frozen=True)
class Term:
    """One side of a condition: a result ('result', name), a varied setting ('setting', key) or a
    number ('number', value)."""

    kind: str
    name: str
    number: float = 0.0

    def value(self, values: dict[str, float], outcome: Outcome) -> float:
        if self.kind == "number":
            return self.number
        if self.kind == "setting":
            return values[self.name]
        return RESULTS[self.name].compute(outcome)


@dataclass(frozen=True)
class Condition:
    """left <= right or left >= right, as the user wrote it (`text`)."""

    text: str
    left: Term
    op: str
    right: Term

    def slack(self, values: dict[str, float], outcome: Outcome) -> float:
        """How far inside the condition a point is (negative: broken)."""
        a, b = self.left.value(values, outcome), self.right.value(values, outcome)
        return b - a if self.op == "<=" else a - b


def _term(text: str, keys: list[str], whole: str) -> Term:
    text = text.strip()
    if text in RESULTS:
        return Term("result", text)
    if text in keys:
        return Term("setting", text)
    try:
        return Term("number", text, float(text.rstrip("%").replace(",", "").replace("$", "")))
    except ValueError:
        raise InputError([Problem("--subject-to", None, None, whole,
                                  f"a result ({', '.join(RESULTS)}), a varied setting ({', '.join(keys)}) "
                                  f"or a number on each side; '{text}' is none of these")]) from None


def parse_condition(text: str, keys: list[str]) -> Condition:
    """'LEFT <= RIGHT' or 'LEFT >= RIGHT' (see the module docstring)."""
    m = _CONDITION.match(text)
    if not m:
        raise InputError([Problem("--subject-to", None, None, text,
                                  "a condition LEFT <= RIGHT or LEFT >= RIGHT, e.g. 'biggest_loss_pct <= 3'")])
    op = {"=<": "<=", "=>": ">="}.get(m.group(2), m.group(2))
    return Condition(text.strip(), _term(m.group(1), keys, text), op, _term(m.group(3), keys, text))


def _roundings(exact: dict[str, float], params: dict, ranges: dict, decimals: int) -> list[dict[str, float]]:
    """The point rounded to `decimals` places (a budget to the dollar), nearest first, then every
    combination of rounding each setting down or up (within its range): at most 2^k + 1 points."""
    def one(k: str, v: float, how) -> float:
        if params[k].kind == "budget":
            return snap(v, params[k].quantum)
        step = 10.0 ** -decimals
        return round(min(max(how(round(v / step, 9)) * step, ranges[k][0]), ranges[k][1]), decimals)

    keys = list(exact)
    out = [{k: one(k, exact[k], round) for k in keys}]
    for ups in itertools.product((math.floor, math.ceil), repeat=min(len(keys), 6)):
        c = {k: one(k, exact[k], how) for k, how in zip(keys, ups)} | {k: one(k, exact[k], round) for k in keys[6:]}
        if c not in out:
            out.append(c)
    return out


@dataclass(frozen=True)
class Proposal:
    """The settings proposed, the scenario they make, and the numbers beside the current scenario.

    `current` and `proposed` map result names to values (the objective, every result a condition
    names and the sweep's results); `checks` lists (condition, left, right, holds) at the proposal,
    computed by the ordinary `allocate()`; `met` is whether every condition holds."""

    values: dict[str, float]
    current_values: dict[str, float | None]
    scenario: Scenario
    objective: str
    sense: str
    current: dict[str, float]
    proposed: dict[str, float]
    checks: list[tuple[str, float, float, bool]]
    met: bool
    evaluations: int


def optimise(evaluator: Evaluator, scenario: Scenario, ranges: dict[str, tuple[float, float]], objective: str,
             sense: str = "max", conditions: list[Condition] | None = None, seed: int = 0, decimals: int = 3,
             maxiter: int = 40, popsize: int = 10) -> Proposal:
    """The settings in `ranges` that maximise (`sense` 'max') or minimise ('min') result `objective`
    subject to `conditions` (module docstring)."""
    res = result(objective)
    conditions = list(conditions or [])
    if not ranges:
        raise InputError([Problem("--vary", None, None, None, "at least one setting to choose, KEY=FROM:TO")])
    keys = list(ranges)
    params = {k: parameter(scenario, k, evaluator.prior_total) for k in keys}
    for k, (lo, hi) in ranges.items():
        if lo > hi:
            raise InputError([Problem("--vary", None, k, f"{lo:g}:{hi:g}", "FROM no greater than TO")])
        check_range(scenario, params[k], lo, hi)
    memo: dict[tuple[float, ...], tuple[float, np.ndarray]] = {}
    sign = -1.0 if sense == "max" else 1.0

    def point(x: np.ndarray) -> dict[str, float]:
        return {k: snap(float(v), params[k].quantum) for k, v in zip(keys, x)}

    def evaluate(xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Objective (S,) and condition slacks (M, S) of the points in the columns of `xs` (N, S):
        every new point of a generation allocated in one batch."""
        points = [point(x) for x in np.atleast_2d(xs.T)]
        tags = [tuple(v.values()) for v in points]
        new = {t: v for t, v in zip(tags, points) if t not in memo}
        scenarios, refused = [], []
        for t, v in new.items():
            try:
                scenarios.append((t, v, with_values(scenario, v)))
            except InputError:
                refused.append(t)
        for t in refused:
            memo[t] = (1e30, np.full(max(1, len(conditions)), -1e30))
        for (t, v, _), o in zip(scenarios, batch.outcomes(evaluator, [s for *_, s in scenarios])):
            if isinstance(o, InputError):
                memo[t] = (1e30, np.full(max(1, len(conditions)), -1e30))
                continue
            y = res.compute(o)
            slack = np.array([c.slack(v, o) for c in conditions] or [0.0])
            memo[t] = (sign * y if math.isfinite(y) else 1e30, np.nan_to_num(slack, nan=-1e30))
        return np.array([memo[t][0] for t in tags]), np.array([memo[t][1] for t in tags]).T

    constraint = NonlinearConstraint(lambda x: evaluate(x)[1], 0.0, np.inf)
    found = differential_evolution(lambda x: evaluate(x)[0], [ranges[k] for k in keys],
                                   constraints=(constraint,) if conditions else (), rng=seed, maxiter=maxiter,
                                   popsize=popsize, tol=1e-7, polish=False, updating="deferred", vectorized=True)
    exact = point(found.x)
    candidates = _roundings(exact, params, ranges, decimals)
    # the rounded neighbours of the best point: the best of those that meet every condition (the
    # search's memo says which; the one chosen is checked again with the ordinary engine below)
    evaluate(np.array([list(c.values()) for c in candidates]).T)
    fits = [c for c in candidates if np.all(memo[tuple(point(np.array(list(c.values()))).values())][1] >= 0)]
    best = min(fits, key=lambda c: memo[tuple(point(np.array(list(c.values()))).values())][0]) if fits else candidates[0]
    names = list(dict.fromkeys([objective] + [t.name for c in conditions for t in (c.left, c.right) if t.kind == "result"]
                               + ["base_per_weighted_pupil", "schools_losing", "biggest_loss_pct",
                                  "hold_harmless_cost", "poverty_quartile_ratio", "gini"]))
    chosen = None
    for values in (best, exact):
        try:
            proposal_scenario = with_values(scenario, values)
            o = outcome_of(allocate(evaluator.district, proposal_scenario), evaluator.poor)
        except InputError:
            continue
        checks = [(c.text, c.left.value(values, o), c.right.value(values, o), c.slack(values, o) >= 0)
                  for c in conditions]
        if chosen is None or all(ok for *_, ok in checks):
            chosen = (values, proposal_scenario, o, checks)
        if all(ok for *_, ok in checks):
            break
    if chosen is None:
        raise InputError([Problem("--vary", None, ", ".join(keys), None,
                                  "ranges with at least one feasible combination; the budget cannot be met anywhere searched")])
    values, proposal_scenario, o, checks = chosen
    current_outcome = outcome_of(allocate(evaluator.district, scenario), evaluator.poor)
    return Proposal(
        values=values, current_values={k: params[k].current for k in keys}, scenario=proposal_scenario,
        objective=objective, sense=sense,
        current={n: RESULTS[n].compute(current_outcome) for n in names},
        proposed={n: RESULTS[n].compute(o) for n in names},
        checks=checks, met=all(ok for *_, ok in checks), evaluations=len(memo),
    )
