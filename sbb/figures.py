"""Every figure a user sees, defined once: headline cards, the Equity and Compare tabs, the command
line summary and the workbook's Summary sheet all read `board_figures` and format what it returns.

Which schools a figure covers (one rule for every view):

* **This year** covers every school in the allocation, new schools included.
* **Last year** covers the schools that had an allocation last year (a `prior_allocation`; a new
  school has none). Per-pupil figures divide last year's dollars by the pupils the allocation is
  for (the data hold one year of pupils; with an enrollment change, the projected ones).
* A change **"vs last year"** is this year's figure minus last year's, each as defined here; views
  round both before subtracting (`change_text`), so the change shown is the shown value minus the
  shown value.
* Schools are counted so that gaining + losing + unchanged + new = all schools: a new school is
  "new", never gaining.
* With a phase-in, this year is year 1 (the `allocation` column); `year_shown` says so.

Money is in dollars; ratios are unit-free. Equity measures follow `sbb.equity` (pupils are the
unit); a measure that cannot be computed for the data is None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

from .allocate import Allocation
from .district import District
from .equity import equity_report
from .report import dollars
from .scenario import Scenario
from .weights import FlagNeed, WeightTable

THIS_YEAR, LAST_YEAR = "This scenario", "Last year"

# One name per equity measure where it is shown to a board (cards, tabs, compare, workbook, CLI).
LABELS = {
    "mean": "Average dollars per pupil",
    "quartile_ratio": "Poorest ÷ least-poor quarter",
    "poor_gap": "Extra per poor pupil (vs non-poor)",
    "poverty_slope_per_10pts": "Dollars per 10 points of poverty",
    "federal_range_ratio": "Gap from 5th to 95th percentile pupil",
    "poor_ratio": "Poor ÷ non-poor pupils",
    "cv": "Coefficient of variation",
    "mcloone": "McLoone index",
    "verstegen": "Verstegen index",
    "gini": "Gini coefficient",
}
# What a board reads first (dollars per pupil); the rest of the report is folded away.
BOARD_MEASURES = ("mean", "quartile_ratio", "poor_gap", "poverty_slope_per_10pts", "federal_range_ratio")
# How a measure is written: money, signed money, a ratio to 3 decimals or a percentage.
KINDS = {"mean": "money", "median": "money", "min": "money", "max": "money", "range": "money", "p5": "money",
         "p95": "money", "restricted_range": "money", "poor_mean": "money", "nonpoor_mean": "money",
         "high_poverty_quartile_mean": "money", "low_poverty_quartile_mean": "money",
         "poor_gap": "signed", "poverty_slope_per_10pts": "signed",
         "federal_range_ratio": "pct", "cv": "pct", "atkinson": "pct", "mcloone": "pct",
         "verstegen": "ratio", "poor_ratio": "ratio", "quartile_ratio": "ratio",
         "gini": "index", "theil_t": "index", "mld": "index"}


def signed(x: float | None, cents: bool = False) -> str:
    """Money with its sign: '+$1,234' / '-$1,234' / '$0'; an em dash for a missing value.

    >>> signed(1234.4), signed(-50), signed(0)
    ('+$1,234', '-$50', '$0')
    """
    if x is None or pd.isna(x):
        return "—"
    text = dollars(abs(x), cents)
    return text if round(x, 2 if cents else 0) == 0 else ("+" if x > 0 else "-") + text


def _round(value: float, kind: str) -> float:
    return round(value, {"money": 0, "signed": 0, "pct": 3, "ratio": 3, "index": 4}.get(kind, 4))


def figure_text(value: float | None, kind: str) -> str:
    """A figure as shown: money '$9,876' (signed '+$12'), ratio '1.144', pct '12.3%', index '0.0412'.

    >>> figure_text(1.14449, "ratio"), figure_text(0.1234, "pct"), figure_text(-5.4, "signed")
    ('1.144', '12.3%', '-$5')
    """
    if value is None or not np.isfinite(value):
        return "—"
    if kind == "money":
        return dollars(value)
    if kind == "signed":
        return signed(value)
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "ratio":
        return f"{value:.3f}"
    return f"{value:.4f}"


def change_text(value: float | None, last: float | None, kind: str) -> str:
    """This year's figure minus last year's, both rounded as shown first; '' when either is missing.

    >>> change_text(1.1444, 1.1557, "ratio")   # shown 1.144 and 1.156: 1.144 - 1.156
    '-0.012'
    >>> change_text(9000.4, 8999.6, "money")   # shown $9,000 and $9,000
    'same as last year'
    """
    if value is None or last is None or not (np.isfinite(value) and np.isfinite(last)):
        return ""
    def shown(v: float) -> float:
        if kind in ("money", "signed"):  # as `dollars` rounds: halves away from zero
            return float(Decimal(repr(abs(float(v)))).quantize(Decimal(1), rounding=ROUND_HALF_UP)) * np.sign(v)
        return float(figure_text(v, kind).rstrip("%")) / (100 if kind == "pct" else 1)

    diff = _round(shown(value) - shown(last), kind)
    if diff == 0:
        return "same as last year"
    if kind in ("money", "signed"):
        return signed(diff)
    if kind == "pct":
        return f"{diff * 100:+.1f} points"
    return f"{diff:+.3f}" if kind == "ratio" else f"{diff:+.4f}"


def board_sentence(key: str, now: float | None, last: float | None) -> str:
    """One of the board's measures in a plain sentence, its numbers written as the cards write them.

    >>> board_sentence("quartile_ratio", 1.1444, 1.1557)
    'The poorest quarter of pupils gets 1.144 times the dollars per pupil of the least poor quarter (last year 1.156).'
    >>> board_sentence("poor_gap", -12.4, 3.0)
    'A poor pupil gets $12 less than a non-poor pupil (last year +$3).'
    """
    if now is None or not np.isfinite(now):
        return f"{LABELS.get(key, key)}: cannot be computed for these schools."
    kind = KINDS[key]
    was = f" (last year {figure_text(last, kind)})" if last is not None and np.isfinite(last) else ""
    more = "more" if now >= 0 else "less"
    text = {
        "mean": f"The average pupil's school gets {figure_text(now, kind)} per pupil",
        "quartile_ratio": f"The poorest quarter of pupils gets {figure_text(now, kind)} times the dollars per pupil "
                          "of the least poor quarter",
        "poor_gap": f"A poor pupil gets {dollars(abs(now))} {more} than a non-poor pupil",
        "poverty_slope_per_10pts": f"Each 10 points more poverty in a school brings {dollars(abs(now))} {more} "
                                   "per pupil",
        "federal_range_ratio": f"The pupil at the 95th percentile gets {figure_text(now, kind)} more per pupil than "
                               "the pupil at the 5th",
    }.get(key, f"{LABELS.get(key, key)}: {figure_text(now, kind)}")
    return f"{text}{was}."


def count_text(n: int, noun: str, plural: str | None = None) -> str:
    """'1 new school', '3 new schools', '1,204 schools'.

    >>> count_text(1, "new school"), count_text(1204, "school")
    ('1 new school', '1,204 schools')
    """
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


# --------------------------------------------------------------------------------------------------
# Poor pupils (the roster column that marks poverty)
# --------------------------------------------------------------------------------------------------

def poverty_column(weights: WeightTable) -> str | None:
    """The roster column that marks poor pupils: the need named 'poverty', else a flag named 'frl'
    (a weight table's `[equity] poverty_need` names another need: see `poverty_columns`)."""
    if weights.poverty_need is not None:
        return weights.need(weights.poverty_need).column
    for need in weights.needs:
        if isinstance(need, FlagNeed) and need.name == "poverty":
            return need.column
    for need in weights.needs:
        if isinstance(need, FlagNeed) and need.column == "frl":
            return need.column
    return None


def poverty_columns(weights: WeightTable) -> list[str] | None:
    """The counts columns whose sum is a school's poor pupils; None when nothing marks poverty.

    A weight table's `[equity] poverty_need` (and its `levels`, all levels when not given) says which
    need counts: every counts column of that need (each level, each grade band). Without it, the
    flag of `poverty_column`."""
    if weights.poverty_need is None:
        column = poverty_column(weights)
        return None if column is None else [column]
    levels = set(weights.poverty_levels)
    return [c.column for c in weights.categories()
            if c.need == weights.poverty_need and (not levels or c.level in levels)]


def _poor_in(counts: pd.DataFrame, weights: WeightTable) -> np.ndarray | None:
    """Poor pupils per school in `counts` (see `poverty_columns`)."""
    columns = poverty_columns(weights)
    if not columns or any(c not in counts for c in columns):
        return None
    return counts[columns].to_numpy(dtype=float).sum(axis=1)


def scenario_district(district: District, scenario: Scenario) -> District:
    """The district whose pupils the allocation is for (projected, with an enrollment change)."""
    if scenario.theory.enrollment_change is None:
        return district
    from .enrollment import project

    return project(district, scenario)


def poor_pupils(district: District, scenario: Scenario) -> np.ndarray | None:
    """Poor pupils per school for the allocation's pupils; None when the weights have no poverty flag."""
    if _poor_in(district.counts, scenario.weights) is None:
        return None
    return _poor_in(scenario_district(district, scenario).counts, scenario.weights)


# --------------------------------------------------------------------------------------------------
# The figures
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figures:
    """The figures of one allocation (see the module docstring for the schools each covers).

    total: dollars to every school this year; prior_total: last year's dollars to the schools that
    had an allocation. gaining/losing/unchanged count schools with a prior year by the sign of their
    change; new_schools those without one (the four add up to `schools`). hold_harmless_cost: what
    the floors add (dollars, year 1 of a phase-in); cap_recovered: what the caps take back.
    biggest_loss: the largest fall in dollars (0 when no school loses), biggest_loss_pct its percent of
    that same school's prior year, biggest_loser its name; largest_pct_loss: the largest fall in
    percent of any school (it may be another school: `largest_pct_loser`). `equity`: the `sbb.equity.equity_report` of last year (its schools)
    against this scenario (every school), or None without a poverty flag or when a school with pupils
    has no money; read one measure with `measure(key)`.
    """

    title: str
    schools: int
    gaining: int
    losing: int
    unchanged: int
    new_schools: int
    pupils: float
    total: float
    prior_total: float
    base: float
    budget: float | None
    hold_harmless_cost: float
    schools_at_floor: int
    cap_recovered: float
    schools_at_cap: int
    biggest_loss: float
    biggest_loss_pct: float
    biggest_loser: str | None
    largest_pct_loss: float
    largest_pct_loser: str | None
    phase_in_years: int
    year_shown: int
    cents: bool
    equity: pd.DataFrame | None = field(default=None, repr=False)
    equity_problem: str = ""
    floor_phrase: str = "at the floor"   # what `schools_at_floor` counts (`limit_phrases`)
    cap_phrase: str = "at the cap"       # what `schools_at_cap` counts

    def floor_text(self) -> str:
        """'3 schools at the floor' (or held up by the transition: see `limit_phrases`)."""
        return f"{count_text(self.schools_at_floor, 'school')} {self.floor_phrase}"

    def cap_text(self) -> str:
        """'12 schools at the cap' (or held back by the transition: see `limit_phrases`)."""
        return f"{count_text(self.schools_at_cap, 'school')} {self.cap_phrase}"

    @property
    def total_change(self) -> float:
        """This year's total minus last year's (dollars)."""
        return self.total - self.prior_total

    def measure(self, key: str, basis: str = "per pupil") -> tuple[float | None, float | None]:
        """(this year, last year) of one equity measure; (None, None) when it is not available."""
        if self.equity is None:
            return None, None
        row = self.equity[(self.equity["basis"] == basis) & (self.equity["measure"] == key)]
        if row.empty:
            return None, None
        now, last = float(row[THIS_YEAR].iloc[0]), float(row[LAST_YEAR].iloc[0])
        return (now if np.isfinite(now) else None), (last if np.isfinite(last) else None)

    @property
    def mean_per_pupil(self) -> float | None:
        """Pupil-weighted average dollars per pupil this year (total / pupils of schools with pupils)."""
        return self.measure("mean")[0]

    @property
    def mean_per_pupil_prior(self) -> float | None:
        return self.measure("mean")[1]

    @property
    def quartile_ratio(self) -> float | None:
        """Dollars per pupil of the poorest quarter of pupils over the least poor quarter's."""
        return self.measure("quartile_ratio")[0]

    @property
    def quartile_ratio_prior(self) -> float | None:
        return self.measure("quartile_ratio")[1]

    def counts_text(self) -> str:
        """'15 gaining, 34 losing, 0 unchanged, 1 new school' (the four add up to the schools)."""
        return (f"{self.gaining:,} gaining, {self.losing:,} losing, {self.unchanged:,} unchanged, "
                f"{count_text(self.new_schools, 'new school')}")


def equity_figures(allocation: Allocation, district: District, projected: bool = False
                   ) -> tuple[pd.DataFrame | None, str]:
    """The equity report of last year (the schools that had an allocation) against this scenario
    (every school), both on the allocation's pupils; (None, why) when it cannot be computed.
    `projected`: the district's counts are already the allocation's pupils (no projection)."""
    t = allocation.table
    if projected:
        poor = _poor_in(district.counts, allocation.scenario.weights)
    else:
        poor = poor_pupils(district, allocation.scenario)
    if poor is None:
        return None, "the weights have no poverty flag"
    prior = t["prior_allocation"].to_numpy(dtype=float)
    had = ~np.isnan(prior)
    pupils = t["enrollment"].to_numpy(dtype=float)
    weighted = t["weighted_enrollment"].to_numpy(dtype=float)
    now = t["allocation"].to_numpy(dtype=float)
    try:
        report = equity_report({LAST_YEAR: np.where(had, prior, np.nan), THIS_YEAR: now},
                               {LAST_YEAR: np.where(had, pupils, 0.0), THIS_YEAR: pupils},
                               {LAST_YEAR: np.where(had, weighted, 0.0), THIS_YEAR: weighted},
                               {LAST_YEAR: np.where(had, poor, 0.0), THIS_YEAR: poor})
    except ValueError as exc:
        return None, str(exc)
    report["label"] = [LABELS.get(k, label) if b == "per pupil" else label
                       for k, b, label in zip(report["measure"], report["basis"], report["label"])]
    return report, ""


def limit_phrases(scenario, phase_in_years: int = 1) -> tuple[str, str]:
    """What the two limit counts cover, as the words after "N schools": the schools whose allocation
    is above their formula amount (`hold_harmless_adjustment` > 0) and those below it
    (`cap_adjustment` < 0). Without a transition these are the schools at the hold-harmless floor and
    at the gains cap. A `[transition]` that closes only part of a loss also holds schools above their
    formula, and one that passes on only part of a gain holds them below it, so the words name both
    causes. With a phase-in, the counts are year 1's."""
    t = scenario.transition
    floor_by = [w for w, on in (("the floor", scenario.max_loss_pct is not None),
                                ("the transition", t is not None and t.share_of_loss < 1)) if on]
    cap_by = [w for w, on in (("the cap", scenario.max_gain_pct is not None),
                              ("the transition", t is not None and t.share_of_gain < 1)) if on]
    floor = "held up by " + " or ".join(floor_by) if "the transition" in floor_by else "at the floor"
    cap = "held back by " + " or ".join(cap_by) if "the transition" in cap_by else "at the cap"
    if phase_in_years > 1:
        floor = "protected in year 1" if floor == "at the floor" else floor + " in year 1"
        cap = "held back in year 1" if cap == "at the cap" else cap + " in year 1"
    return floor, cap


def board_figures(allocation: Allocation, district: District | None, equity: bool = True,
                  projected: bool = False) -> Figures:
    """Every figure of `allocation` (on `district`, the files as loaded, before any projection, or
    already projected with `projected=True`). Without a district, or with `equity=False`, the
    equity report is left out."""
    t = allocation.table
    s = allocation.summary()
    prior = t["prior_allocation"].to_numpy(dtype=float)
    delta = t["delta"]
    losers = delta.where(delta < 0)
    loses = bool(losers.notna().any())
    worst = losers.idxmin() if loses else None                              # most dollars lost
    worst_pct = t["delta_pct"].where(delta < 0).idxmin() if loses else None  # most percent lost
    report, problem = (equity_figures(allocation, district, projected) if equity and district is not None
                       else (None, "not computed"))
    return Figures(
        title=allocation.scenario.title, schools=len(t), gaining=int((delta > 0).sum()),
        losing=int((delta < 0).sum()), unchanged=int((delta == 0).sum()), new_schools=int(np.isnan(prior).sum()),
        pupils=float(t["enrollment"].sum()), total=float(allocation.total), prior_total=float(np.nansum(prior)),
        base=float(allocation.base_per_weighted_pupil), budget=allocation.budget,
        hold_harmless_cost=float(allocation.hold_harmless_cost), schools_at_floor=int(s["schools_at_floor"]),
        cap_recovered=float(allocation.cap_recovered), schools_at_cap=int(s["schools_at_cap"]),
        biggest_loss=float(-delta[worst]) if loses else 0.0,
        biggest_loss_pct=float(-t.loc[worst, "delta_pct"]) if loses else 0.0,
        biggest_loser=str(t.loc[worst, "school_name"]) if loses else None,
        largest_pct_loss=float(-t.loc[worst_pct, "delta_pct"]) if loses else 0.0,
        largest_pct_loser=str(t.loc[worst_pct, "school_name"]) if loses else None,
        phase_in_years=max(1, len(allocation.years)), year_shown=1, cents=allocation.scenario.rounding == "cents",
        equity=report, equity_problem=problem,
        **dict(zip(("floor_phrase", "cap_phrase"), limit_phrases(allocation.scenario, max(1, len(allocation.years))))),
    )
