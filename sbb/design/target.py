"""The named results a design question aims at, each computed one way from a scenario's outcome.

An `Outcome` is what one scenario gives one district: the base per weighted pupil, every school's
allocation and formula amount in integer rounding units (year 1 of a phase-in, as the allocation
table shows), last year's allocations, pupils and poor pupils. It is read off an `Allocation`
(`outcome_of`) or off the engine's numeric core (`Evaluator`), which is the same computation
without building the per-school table.

Results cover every school in the allocation (a new school, with no prior year, is neither gaining
nor losing). Money is in dollars:
  base_per_weighted_pupil, total, hold_harmless_cost (what floors add above formula amounts),
  cap_recovered, schools_gaining / schools_losing / schools_at_floor / schools_at_cap (counts),
  biggest_loss (dollars) and biggest_loss_pct (the largest percentage loss, a positive number),
and the equity measures of `sbb.equity` on dollars per pupil weighted by enrollment:
  gini, mcloone, verstegen, cv, theil_t, range, restricted_range, federal_range_ratio,
  poverty_quartile_ratio (`vertical_metrics`' quartile_ratio: the poorest quarter of pupils' dollars
  per pupil over the least poor quarter's), poor_ratio, poor_gap, poverty_slope_per_10pts.
Counts are step functions of a parameter; the others are continuous up to the rounding to dollars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..allocate import Allocation, allocate, allocation_units, school_bands
from ..counts import count_columns
from ..district import District
from ..equity import equity_metrics, vertical_metrics
from ..figures import poor_pupils
from ..problems import InputError, Problem
from ..scenario import Scenario


@dataclass(frozen=True)
class Outcome:
    """One scenario on one district: base ($ per weighted pupil), allocation and formula units per
    school (integers; `scale` units per dollar), prior ($, NaN for a new school), pupils, poor pupils
    (None without a poverty flag)."""

    base: float
    units: np.ndarray
    formula_units: np.ndarray
    scale: int
    prior: np.ndarray
    pupils: np.ndarray
    poor: np.ndarray | None
    _memo: dict = field(default_factory=dict, repr=False, compare=False)

    def delta(self) -> np.ndarray:
        """allocation - prior per school, in dollars, worked in cents as the allocation table does."""
        if "delta" not in self._memo:
            with np.errstate(invalid="ignore"):
                self._memo["delta"] = (self.units * (100 // self.scale) - np.floor(self.prior * 100 + 0.5)) / 100
        return self._memo["delta"]

    def per_pupil(self) -> np.ndarray:
        """Allocation per pupil, dollars (NaN for a school without pupils)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.pupils > 0, self.units / self.scale / np.where(self.pupils > 0, self.pupils, 1), np.nan)

    def equity(self) -> dict[str, float]:
        """`equity_metrics` on dollars per pupil, weighted by pupils; every measure NaN where it
        refuses the data (a school with pupils and no dollars: its logarithms are undefined)."""
        if "equity" not in self._memo:
            try:
                self._memo["equity"] = equity_metrics(self.per_pupil(), self.pupils)
            except ValueError:
                self._memo["equity"] = _nan_measures(equity_metrics([1.0], [1.0]))
        return self._memo["equity"]

    def measure(self, kind: str, key: str) -> float:
        """One equity measure: `equity()[key]` or `vertical()[key]` (a batch may have filled it in)."""
        known = self._memo.get(f"measure:{key}")
        if known is not None:
            return known
        return float((self.equity() if kind == "equity" else self.vertical())[key])

    def vertical(self) -> dict[str, float]:
        """`vertical_metrics` on dollars per pupil (NaN for every measure without poor-pupil counts)."""
        if "vertical" not in self._memo:
            nan = _nan_measures(vertical_metrics([1.0], [1.0], [0.0]))
            if self.poor is None:
                self._memo["vertical"] = nan
            else:
                try:
                    self._memo["vertical"] = vertical_metrics(self.per_pupil(), self.pupils, self.poor)
                except ValueError:
                    self._memo["vertical"] = nan
        return self._memo["vertical"]


def _nan_measures(example: dict[str, float]) -> dict[str, float]:
    return {k: float("nan") for k in example}


def _losses(o: Outcome) -> tuple[np.ndarray, np.ndarray]:
    d = o.delta()
    losing = d < 0
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(o.prior > 0, d / o.prior * 100.0, np.nan)
    return d[losing], pct[losing]


def _biggest_loss(o: Outcome) -> float:
    loss, _ = _losses(o)
    return float(-loss.min()) if loss.size else 0.0


def _biggest_loss_pct(o: Outcome) -> float:
    _, pct = _losses(o)
    pct = pct[~np.isnan(pct)]
    return float(-pct.min()) if pct.size else 0.0


@dataclass(frozen=True)
class Result:
    """A named result: `label` in words, `kind` ('money', 'count', 'ratio', 'index', 'base'),
    `better` ('higher', 'lower' or '' when neither) and how it is computed from an `Outcome`."""

    name: str
    label: str
    kind: str
    better: str
    compute: Callable[[Outcome], float]

    @property
    def steps(self) -> bool:
        """Whether the result moves in whole steps (a count of schools)."""
        return self.kind == "count"


def _equity(key: str) -> Callable[[Outcome], float]:
    return lambda o: o.measure("equity", key)


def _vertical(key: str) -> Callable[[Outcome], float]:
    return lambda o: o.measure("vertical", key)


RESULTS: dict[str, Result] = {r.name: r for r in [
    Result("base_per_weighted_pupil", "base per weighted pupil", "base", "", lambda o: float(o.base)),
    Result("total", "total allocated", "money", "", lambda o: float(o.units.sum()) / o.scale),
    Result("hold_harmless_cost", "hold-harmless cost", "money", "lower",
           lambda o: float(np.maximum(o.units - o.formula_units, 0).sum()) / o.scale),
    Result("cap_recovered", "held back by the gains cap", "money", "",
           lambda o: float(-np.minimum(o.units - o.formula_units, 0).sum()) / o.scale),
    Result("schools_gaining", "schools gaining", "count", "", lambda o: float(np.count_nonzero(o.delta() > 0))),
    Result("schools_losing", "schools losing", "count", "lower", lambda o: float(np.count_nonzero(o.delta() < 0))),
    Result("schools_at_floor", "schools at the floor", "count", "",
           lambda o: float(np.count_nonzero(o.units > o.formula_units))),
    Result("schools_at_cap", "schools at the cap", "count", "",
           lambda o: float(np.count_nonzero(o.units < o.formula_units))),
    Result("biggest_loss", "biggest loss (dollars)", "money", "lower", _biggest_loss),
    Result("biggest_loss_pct", "biggest loss (percent of last year)", "ratio", "lower", _biggest_loss_pct),
    Result("poverty_quartile_ratio", "poorest quarter's dollars per pupil over the least poor quarter's",
           "ratio", "higher", _vertical("quartile_ratio")),
    Result("poor_ratio", "poor pupils' dollars per pupil over non-poor pupils'", "ratio", "higher",
           _vertical("poor_ratio")),
    Result("poor_gap", "poor minus non-poor dollars per pupil", "money", "higher", _vertical("poor_gap")),
    Result("poverty_slope_per_10pts", "dollars per pupil per 10 points of poverty", "money", "higher",
           _vertical("poverty_slope_per_10pts")),
    Result("gini", "Gini coefficient of dollars per pupil", "index", "lower", _equity("gini")),
    Result("mcloone", "McLoone index", "index", "higher", _equity("mcloone")),
    Result("verstegen", "Verstegen index", "index", "lower", _equity("verstegen")),
    Result("cv", "coefficient of variation of dollars per pupil", "index", "lower", _equity("cv")),
    Result("theil_t", "Theil index", "index", "lower", _equity("theil_t")),
    Result("range", "range of dollars per pupil", "money", "lower", _equity("range")),
    Result("restricted_range", "restricted range (P95 - P5) of dollars per pupil", "money", "lower",
           _equity("restricted_range")),
    Result("federal_range_ratio", "federal range ratio", "index", "lower", _equity("federal_range_ratio")),
]}


def result(name: str, where: str = "--target") -> Result:
    """The result called `name`; `InputError` (naming the option `where`) listing the names when there is none."""
    if name not in RESULTS:
        raise InputError([Problem(where, None, None, name,
                                  "the name of a result: " + ", ".join(RESULTS))])
    return RESULTS[name]


def value(outcome: Outcome, name: str) -> float:
    """The result called `name` of `outcome`."""
    return result(name).compute(outcome)


def outcome_of(allocation: Allocation, poor: np.ndarray | None) -> Outcome:
    """The outcome an ordinary `allocate()` result describes (year 1, as its table)."""
    t, first = allocation.table, allocation.years[0]
    return Outcome(float(allocation.base_per_weighted_pupil), first.units, first.formula_units,
                   allocation.scenario.scale, t["prior_allocation"].to_numpy(dtype=float),
                   t["enrollment"].to_numpy(dtype=float), poor)


def poverty_counts(district: District, scenario: Scenario) -> np.ndarray | None:
    """Poor pupils per school, as the app's headline counts them (the figure's one definition)."""
    return poor_pupils(district, scenario)


def plain_formula(s: Scenario) -> bool:
    """Whether the scenario's formula line is built from the counts alone, as the fast routes here
    build it: no enrollment change, and none of the real-formula inputs read from the schools file
    or rounded by statute (a multiplier, extra amounts, hold-harmless for some schools only, a
    transition step, one enrollment column, statutory rounding). Read with getattr: tables and
    scenarios without those keys are plain."""
    w = s.weights
    rounding = getattr(w, "rounding", None)
    return (s.theory.enrollment_change is None and getattr(s, "applies_to", None) is None
            and getattr(s, "transition", None) is None and not getattr(w, "multiplier", None)
            and not getattr(w, "extra_amounts", ()) and not getattr(w, "grade_all", False)
            and (rounding is None or rounding == type(rounding)()))


class Evaluator:
    """Outcomes of many scenarios that differ only in numbers, on one district.

    Plain scenarios (`plain_formula`) go through `allocation_units`, the numeric core that
    `allocate()` itself runs (counts matrix, exact budget-neutral solve, rounding), skipping the
    per-school table; the first one is checked against a full `allocate()` and, should the two ever
    differ, every later scenario takes the full route. An impossible budget raises `InputError`.
    """

    def __init__(self, district: District, scenario: Scenario):
        self.district = district
        self.prior = district.prior
        self.prior_total = float(np.nansum(self.prior))
        self.poor = poverty_counts(district, scenario)
        self._matrices: dict[tuple[str, ...], np.ndarray] = {}
        self._memo: dict = {}  # parts kept between scenarios (bands, batch pieces)
        self.batched = 0  # scenarios solved by `sbb.design.batch` (the rest went one by one)
        self.core = plain_formula(scenario)
        self._checked = False

    def _full(self, scenario: Scenario) -> Outcome:
        return outcome_of(allocate(self.district, scenario), self.poor)

    def outcome(self, scenario: Scenario) -> Outcome:
        """The outcome of `scenario` (same numbers as `allocate(district, scenario)`)."""
        if not self.core or not plain_formula(scenario):
            return self._full(scenario)
        columns = tuple(count_columns(scenario.weights))
        matrix = self._matrices.get(columns)
        if matrix is None:
            matrix = self._matrices[columns] = self.district.matrix(list(columns))
        bands = None
        spec = scenario.theory.band_supplement
        if spec is not None:
            if spec.column not in self._memo:
                self._memo[spec.column] = school_bands(self.district, scenario, spec.column)
            bands = self._memo[spec.column]
        units = allocation_units(matrix, self.prior, scenario, bands)
        first = units.years[0]
        out = Outcome(float(first.base), first.units, first.formula_units, scenario.scale, self.prior,
                      np.asarray(units.pupils, dtype=float), self.poor)
        if not self._checked:
            self._checked = True
            full = self._full(scenario)
            if not (np.array_equal(full.units, out.units) and np.array_equal(full.formula_units, out.formula_units)
                    and full.base == out.base):
                self.core = False
                return full
        return out

    def value(self, scenario: Scenario, name: str) -> float:
        """One result of `scenario`."""
        return value(self.outcome(scenario), name)
