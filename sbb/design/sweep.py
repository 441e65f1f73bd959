"""A sweep: one or two settings over a grid, every combination allocated with the exact solve
(the points solved together, batched over the scenario axis: `sbb.design.batch`).

`--vary KEY=FROM:TO:STEPS` gives STEPS evenly spaced values from FROM to TO inclusive (STEPS = 1
means FROM alone, and then TO must equal FROM). Rows run through every combination, the first key
slowest. Each row has the values (one column per key, named by the key), the `SWEEP_RESULTS`, any
further results asked for, `feasible` (false where the limits leave no base that spends the budget:
that row's results are blank) and `problem` (why, in words). An infeasible point never fails the
sweep; a request that cannot be run at all (unknown key, FROM > TO, 0 steps, more than
`MAX_POINTS` combinations, an unknown result) raises `InputError` before anything is computed.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..problems import InputError, Problem
from ..scenario import Scenario
from . import batch
from .params import Parameter, linspace, parameter, with_values
from .target import RESULTS, Evaluator, result, value

SWEEP_RESULTS = ["base_per_weighted_pupil", "total", "schools_gaining", "schools_losing", "biggest_loss",
                 "hold_harmless_cost", "poverty_quartile_ratio", "gini"]
MAX_POINTS = 1_000_000
MAX_KEYS = 2
CHUNK = 4096  # combinations turned into scenarios at a time (a large grid is not held as scenarios at once)

_AXIS = re.compile(r"^\s*([^=\s]+)\s*=\s*([^:]+):([^:]+):([^:]+)\s*$")


@dataclass(frozen=True)
class Axis:
    """One varied setting: its parameter and the values it takes."""

    parameter: Parameter
    values: np.ndarray

    @property
    def key(self) -> str:
        return self.parameter.key


def _number(text: str, what: str, spec: str) -> float:
    try:
        x = float(text.replace(",", "").replace("_", "").replace("$", ""))
    except ValueError:
        raise InputError([Problem("--vary", None, None, spec, f"{what} as a number, e.g. needs.ell.weight=0.3:0.7:21")]) from None
    if not math.isfinite(x):
        raise InputError([Problem("--vary", None, None, spec, f"{what} as a finite number")])
    return x


def parse_range(spec: str, steps_required: bool = True) -> tuple[str, float, float, int | None]:
    """'KEY=FROM:TO:STEPS' (or 'KEY=FROM:TO' with `steps_required` False) as (key, from, to, steps)."""
    match = _AXIS.match(spec) if steps_required else re.match(r"^\s*([^=\s]+)\s*=\s*([^:]+):([^:]+)\s*$", spec)
    if not match:
        form = "KEY=FROM:TO:STEPS, e.g. needs.ell.weight=0.3:0.7:21" if steps_required else "KEY=FROM:TO, e.g. needs.ell.weight=0.3:0.7"
        raise InputError([Problem("--vary", None, None, spec, form)])
    key = match.group(1)
    lo, hi = _number(match.group(2), "FROM", spec), _number(match.group(3), "TO", spec)
    if lo > hi:
        raise InputError([Problem("--vary", None, key, spec, f"FROM no greater than TO ({lo:g} > {hi:g})")])
    steps = None
    if steps_required:
        text = match.group(4).strip()
        if not text.isdigit() or int(text) < 1:
            raise InputError([Problem("--vary", None, key, spec, "STEPS as a whole number of values, 1 or more "
                                                                 "(21 gives 21 values from FROM to TO)")])
        steps = int(text)
        if steps == 1 and lo != hi:
            raise InputError([Problem("--vary", None, key, spec, "2 or more STEPS to go from FROM to TO (1 step is FROM alone)")])
    return key, lo, hi, steps


def check_range(scenario: Scenario, p: Parameter, lo: float, hi: float) -> None:
    """Refuse a range outside what the parameter may take (the scenario's own validation, at both ends)."""
    problems = []
    for end in (lo, hi):
        if not p.lowest <= end <= p.highest:
            what = f"a value of at least {p.lowest:g}" if math.isinf(p.highest) else f"a value from {p.lowest:g} to {p.highest:g}"
            problems.append(Problem("--vary", None, p.key, f"{end:g}", what))
    if problems:
        raise InputError(problems)
    for end in (lo, hi):
        with_values(scenario, {p.key: end})


def parse_grid(specs: list[str]) -> list[tuple[str, float, float, int]]:
    """The `--vary` texts of a sweep parsed and checked as a request (before any data is read)."""
    if not specs:
        raise InputError([Problem("--vary", None, None, None, "one or two settings to vary, KEY=FROM:TO:STEPS")])
    if len(specs) > MAX_KEYS:
        raise InputError([Problem("--vary", None, None, " ".join(specs), f"at most {MAX_KEYS} settings to vary")])
    parsed = [parse_range(s) for s in specs]
    keys = [k for k, *_ in parsed]
    if len(set(keys)) != len(keys):
        raise InputError([Problem("--vary", None, keys[0], None, "each setting varied once")])
    points = math.prod(steps for *_, steps in parsed)
    if points > MAX_POINTS:
        raise InputError([Problem("--vary", None, None, " x ".join(str(s) for *_, s in parsed),
                                  f"at most {MAX_POINTS:,} combinations in all (this grid has {points:,})")])
    return parsed


def axes_for(scenario: Scenario, specs: list[str], prior_total: float) -> list[Axis]:
    """Validated axes from `--vary` texts; every problem of the request raised at once."""
    axes = []
    for key, lo, hi, steps in parse_grid(specs):
        p = parameter(scenario, key, prior_total)
        check_range(scenario, p, lo, hi)
        axes.append(Axis(p, linspace(lo, hi, steps, p.quantum)))
    return axes


def sweep(evaluator: Evaluator, scenario: Scenario, axes: list[Axis], extra: list[str] | None = None) -> pd.DataFrame:
    """Every combination of the axes' values applied to `scenario` and allocated (see the module
    docstring for the columns)."""
    names = list(dict.fromkeys(SWEEP_RESULTS + list(extra or [])))
    for name in names:
        result(name, "--also")
    rows = []
    combos = itertools.product(*(a.values for a in axes))
    while chunk := [{a.key: float(v) for a, v in zip(axes, c)} for c in itertools.islice(combos, CHUNK)]:
        scenarios, refused = [], {}
        for i, values in enumerate(chunk):
            try:
                scenarios.append(with_values(scenario, values))
            except InputError as err:
                refused[i] = err
        done = iter(batch.outcomes(evaluator, scenarios))
        for i, values in enumerate(chunk):
            row: dict[str, object] = dict(values)
            outcome = refused[i] if i in refused else next(done)
            if isinstance(outcome, InputError):
                row.update({n: np.nan for n in names}, feasible=False,
                           problem=" ".join(p.expected for p in outcome.problems))
            else:
                row.update({n: value(outcome, n) for n in names}, feasible=True, problem="")
            rows.append(row)
    frame = pd.DataFrame(rows, columns=[a.key for a in axes] + names + ["feasible", "problem"])
    for name in names:
        if result(name).steps:
            frame[name] = frame[name].astype("Int64")
    return frame


def sweep_csv(frame: pd.DataFrame) -> str:
    """The sweep as CSV text: money to the cent, everything else to 15 significant digits."""
    out = frame.copy()
    for name in out.columns:
        if name in RESULTS and RESULTS[name].kind == "money":
            out[name] = out[name].round(2)
    return out.to_csv(index=False, lineterminator="\n", float_format="%.15g")
