"""The district's theory of action around the formula, as scenario tables.

- `[managed_foundation]`: centrally held costs (dollars), taken off the top of the budget before
  the rest is shared by formula.
- `[supplements.performance_band]`: differentiated support by performance band, dollars per pupil
  and/or per school, paid inside the budget-neutral solve as fixed amounts.
- `[autonomy]`: the share (0-1) of its allocation each school controls, earned by band.
- `[phase_in]`: move from prior allocations to the formula over `years` years.
- `[performance]`: compute bands from metric columns with a framework file (`sbb.performance`).
- `[enrollment_change]`: money follows the child; project each school's counts by a growth percent
  or read a projected counts file.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .tomlfiles import Reader

KEYS = {"managed_foundation", "supplements", "autonomy", "phase_in", "performance", "enrollment_change"}


@dataclass(frozen=True)
class BandSupplement:
    """Dollars by band: `per_pupil[band]` x pupils + `per_school[band]`; other bands get nothing."""

    column: str
    per_pupil: tuple[tuple[str, float], ...] = ()
    per_school: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Autonomy:
    """Share (0-1) of its allocation a school controls, by band; `default` for unlisted or blank bands."""

    column: str
    shares: tuple[tuple[str, float], ...]
    default: float | None = None


@dataclass(frozen=True)
class EnrollmentChange:
    """Projected enrollment: every count of a school x (1 + pct/100), or a projected counts file."""

    growth_pct: tuple[tuple[str, float], ...] = ()
    default_pct: float = 0.0
    counts: str | None = None


@dataclass(frozen=True)
class Theory:
    """The theory-of-action tables of a scenario (all optional)."""

    managed_foundation: tuple[tuple[str, float], ...] = ()
    band_supplement: BandSupplement | None = None
    autonomy: Autonomy | None = None
    phase_in_years: int | None = None
    framework: str | None = None
    enrollment_change: EnrollmentChange | None = None

    @property
    def managed_total(self) -> float:
        """Dollars held centrally, off the top of the budget."""
        return float(sum(v for _, v in self.managed_foundation))


def _band_map(r: Reader, table: dict, prefix: str, maximum: float | None = None) -> tuple[tuple[str, float], ...]:
    """{band: number} as sorted pairs; bands are text ('1', '2' ...)."""
    out = []
    for band in table:
        value = r.number(table, band, prefix, maximum=maximum)
        if value is not None:
            out.append((str(band), value))
    return tuple(out)


def parse_theory(r: Reader, doc: dict) -> Theory:
    """Read the theory-of-action tables of a scenario document, recording problems in `r`."""
    managed = r.table(doc, "managed_foundation", "")
    items = tuple((str(k), v) for k in managed if (v := r.number(managed, k, "managed_foundation")) is not None)

    supplement = None
    supplements = r.table(doc, "supplements", "")
    r.only_keys(supplements, {"performance_band"}, "supplements")
    band = r.table(supplements, "performance_band", "supplements")
    if band:
        p = "supplements.performance_band"
        r.only_keys(band, {"column", "per_pupil", "per_school"}, p)
        if "per_pupil" not in band and "per_school" not in band:
            r.problem(p, None, "a 'per_pupil' or 'per_school' table of dollars by band")
        supplement = BandSupplement(
            r.text(band, "column", p, required=False, default="performance_band"),
            _band_map(r, r.table(band, "per_pupil", p), f"{p}.per_pupil"),
            _band_map(r, r.table(band, "per_school", p), f"{p}.per_school"),
        )

    autonomy = None
    auto = r.table(doc, "autonomy", "")
    if auto:
        r.only_keys(auto, {"column", "discretionary_share", "default_share"}, "autonomy")
        autonomy = Autonomy(
            r.text(auto, "column", "autonomy", required=False, default="performance_band"),
            _band_map(r, r.table(auto, "discretionary_share", "autonomy", required=True),
                      "autonomy.discretionary_share", maximum=1.0),
            r.number(auto, "default_share", "autonomy", required=False, maximum=1.0),
        )

    years = None
    phase = r.table(doc, "phase_in", "")
    if phase:
        r.only_keys(phase, {"years"}, "phase_in")
        value = phase.get("years")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 20:
            r.problem("phase_in.years", value, "a whole number of years from 1 to 20")
        else:
            years = value

    performance = r.table(doc, "performance", "")
    r.only_keys(performance, {"framework"}, "performance")
    framework = r.text(performance, "framework", "performance", required=False) if performance else None

    change = None
    enrol = r.table(doc, "enrollment_change", "")
    if enrol:
        p = "enrollment_change"
        r.only_keys(enrol, {"growth_pct", "default_pct", "counts"}, p)
        if ("counts" in enrol) and ("growth_pct" in enrol or "default_pct" in enrol):
            r.problem(p, None, "either a projected 'counts' file or growth percentages, not both")
        change = EnrollmentChange(
            _band_map_signed(r, r.table(enrol, "growth_pct", p), f"{p}.growth_pct"),
            r.number(enrol, "default_pct", p, required=False, default=0.0, minimum=-100.0) or 0.0,
            r.text(enrol, "counts", p, required=False),
        )
    return Theory(items, supplement, autonomy, years, framework, change)


def _band_map_signed(r: Reader, table: dict, prefix: str) -> tuple[tuple[str, float], ...]:
    """{school_id: percent} pairs; a percent may be negative (down to -100)."""
    return tuple((str(k), v) for k in table if (v := r.number(table, k, prefix, minimum=-100.0)) is not None)


def theory_to_dict(t: Theory) -> dict:
    """The theory-of-action tables as TOML-shaped dicts (only those set)."""
    doc: dict = {}
    if t.managed_foundation:
        doc["managed_foundation"] = dict(t.managed_foundation)
    if t.band_supplement:
        s = t.band_supplement
        band = {"column": s.column}
        if s.per_pupil:
            band["per_pupil"] = dict(s.per_pupil)
        if s.per_school:
            band["per_school"] = dict(s.per_school)
        doc["supplements"] = {"performance_band": band}
    if t.autonomy:
        a = t.autonomy
        doc["autonomy"] = {"column": a.column, "discretionary_share": dict(a.shares)}
        if a.default is not None:
            doc["autonomy"]["default_share"] = a.default
    if t.phase_in_years:
        doc["phase_in"] = {"years": t.phase_in_years}
    if t.framework:
        doc["performance"] = {"framework": t.framework}
    if t.enrollment_change:
        e = t.enrollment_change
        doc["enrollment_change"] = {"counts": e.counts} if e.counts else {
            **({"growth_pct": dict(e.growth_pct)} if e.growth_pct else {}),
            **({"default_pct": e.default_pct} if e.default_pct else {}),
        }
    return doc



def band_supplement_amount(bands: pd.Series, pupils: np.ndarray, spec: BandSupplement | None) -> np.ndarray:
    """Dollars per school: per_pupil[band] x pupils + per_school[band]; 0 for other or blank bands."""
    if spec is None:
        return np.zeros(len(pupils))
    per_pupil = bands.map(dict(spec.per_pupil)).astype(float).fillna(0.0).to_numpy()
    per_school = bands.map(dict(spec.per_school)).astype(float).fillna(0.0).to_numpy()
    return per_pupil * np.asarray(pupils, dtype=float) + per_school


def discretionary_shares(bands: pd.Series, spec: Autonomy) -> np.ndarray:
    """Share (0-1) each school controls; NaN where its band is unlisted and there is no default."""
    shares = bands.map(dict(spec.shares)).astype(float)
    if spec.default is not None:
        shares = shares.fillna(spec.default)
    return shares.to_numpy()
