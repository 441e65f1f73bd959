"""Generate the synthetic sample district shipped with the SBB simulator.

Run ``python sample_data/generate.py``. With the fixed seed below it always writes the same
``schools.csv``, ``roster.csv`` and ``counts.csv`` next to this file and prints the distribution
facts quoted in ``README.md``. Everything is invented: no real students or schools.

How the district is built:
1. a school plan (level, region, size, PK program, special-education centre program);
2. school-level rates: poverty (by region, spread from under 10% to over 90%), English learners
   (concentrated in a few schools, correlated with poverty and region), students with disabilities;
3. a roster: grade counts per school, then flags with exact per-school counts (vectorised);
4. last year: enrollment changes and the older weight table give ``prior_allocation``;
5. performance metrics and bands.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20270101
OUT_DIR = Path(__file__).resolve().parent

GRADES = ["PK", "K"] + [str(g) for g in range(1, 13)]
SPED_LEVELS = ["resource", "inclusion", "self_contained"]
REGIONS = ["North", "South", "East", "West", "Central"]
LEVEL_ORDER = ["elementary", "K-8", "middle", "high"]

# Grade weights are the same both years: PK 1.00, K-3 1.10, 4-5 1.00, 6-8 1.08, 9-12 1.12.
GRADE_WEIGHTS = np.array([1.00] + [1.10] * 4 + [1.00] * 2 + [1.08] * 3 + [1.12] * 4)

# This year: weights/sample_district.toml, copied so the data stay put if that file is edited.
THIS_YEAR = {"base": 5200.0, "foundation": 250_000.0, "frl": 0.25, "ell": 0.40,
             "sped": (0.55, 1.10, 2.10), "small_below": 300, "small_amount": 150_000.0,
             "conc_share": 0.75, "conc_weight": 0.05}
# Last year's formula: lower need weights, no small-school supplement, no concentration weight.
LAST_YEAR = {"base": 5150.0, "foundation": 245_000.0, "frl": 0.20, "ell": 0.30,
             "sped": (0.50, 1.00, 2.00), "small_below": 0, "small_amount": 0.0,
             "conc_share": None, "conc_weight": 0.0}

ELEMENTARY_STEMS = [
    "Maple Grove", "Cedar Hollow", "Willow Creek", "Oak Hill", "Pine Ridge", "Lakeview",
    "Sunnyside", "Brookside", "Meadowbrook", "Fairview", "Hillcrest", "Elmwood", "Birchwood",
    "Spring Valley", "Stonebridge", "Prairie View", "Aspen Heights", "Copper Creek", "Foxfield",
    "Juniper Hill", "Magnolia", "Orchard Park", "Quarry Lane", "Sycamore", "Bluebird", "Red Fern",
    "Silver Lake", "Golden Meadow", "Kestrel Point", "Thistle Park",
]
# (name, level, region, mean enrollment) for the non-elementary schools.
SECONDARY = [
    ("Ridgecrest K-8", "K-8", "West", 690), ("Mill Creek K-8", "K-8", "South", 620),
    ("Riverside Middle", "middle", "South", 820), ("Northview Middle", "middle", "North", 760),
    ("Southgate Middle", "middle", "South", 880), ("Eastside Middle", "middle", "East", 840),
    ("Westbrook Middle", "middle", "West", 700), ("Central Middle", "middle", "Central", 900),
    ("Lakeshore Middle", "middle", "North", 640), ("Canyon Ridge Middle", "middle", "West", 720),
    ("Harborview Middle", "middle", "East", 780),
    ("Eastside High", "high", "East", 1650), ("Westside High", "high", "West", 1400),
    ("North Ridge High", "high", "North", 1500), ("South Valley High", "high", "South", 1550),
    ("Central High", "high", "Central", 1700), ("Riverside High", "high", "South", 1250),
    ("Summit High", "high", "North", 1150), ("Crossroads High", "high", "Central", 170),
]
NEW_SCHOOL = ("Heritage Park Elementary", "elementary", "North", 340)
SMALL_SCHOOLS = {"Cedar Hollow Elementary": 186, "Crossroads High": 168}  # below the 300 threshold
CENTRE_PROGRAMS = {"Meadowbrook Elementary", "Central Middle"}  # self-contained centre programs

# Latent-score effects by region (higher = poorer / more English learners).
POVERTY_BY_REGION = {"North": -0.9, "South": 0.8, "East": 0.6, "West": -0.4, "Central": 0.3}
ELL_BY_REGION = {"North": -0.4, "South": 0.3, "East": 1.0, "West": -0.6, "Central": 0.6}
BAND_CUTS = [80, 65, 50, 35]  # composite >= 80 is band "1", ..., < 35 is band "5"


def school_plan(rng: np.random.Generator) -> pd.DataFrame:
    """Return one row per school: name, level, region, enrollment and program flags, in id order."""
    elem = pd.DataFrame({"school_name": [f"{s} Elementary" for s in ELEMENTARY_STEMS],
                         "level": "elementary"})
    elem["region"] = rng.choice(REGIONS, size=len(elem), p=[0.22, 0.22, 0.2, 0.2, 0.16])
    elem["mean_size"] = 480
    elem = elem.sort_values("school_name")
    other = pd.DataFrame(SECONDARY, columns=["school_name", "level", "region", "mean_size"])
    other["level"] = pd.Categorical(other["level"], LEVEL_ORDER)
    other = other.sort_values(["level", "school_name"]).astype({"level": str})
    new = pd.DataFrame([NEW_SCHOOL], columns=["school_name", "level", "region", "mean_size"])
    plan = pd.concat([elem, other, new], ignore_index=True)

    n = len(plan)
    plan.insert(0, "school_id", [f"S{i:03d}" for i in range(1, n + 1)])
    plan["is_new"] = plan["school_name"].eq(NEW_SCHOOL[0])
    size = plan["mean_size"] * rng.lognormal(0.0, 0.18, n)
    size = np.where(plan["is_new"], plan["mean_size"], np.maximum(size, 320))
    small = plan["school_name"].map(SMALL_SCHOOLS)
    plan["enrollment"] = np.where(small.notna(), small, size).round().astype(int)
    is_elem = plan["level"].eq("elementary")
    plan["has_pk"] = is_elem & ~plan["is_new"] & (rng.random(n) < 0.45)
    plan["centre"] = plan["school_name"].isin(CENTRE_PROGRAMS)
    return plan.drop(columns="mean_size")


def rank_to_spread(latent: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Give the school with the k-th smallest latent score the k-th smallest target value."""
    out = np.empty(len(latent))
    out[np.argsort(latent, kind="stable")] = np.sort(targets)
    return out


def school_rates(plan: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Draw each school's poverty, English-learner and disability rates and sped level mix."""
    n = len(plan)
    level_shift = plan["level"].map({"elementary": 0.2, "K-8": 0.1, "middle": 0.0, "high": -0.3})
    pov_latent = plan["region"].map(POVERTY_BY_REGION) + level_shift + rng.normal(0, 0.8, n)
    x = np.linspace(-1, 1, n)
    pov_targets = 0.5 + 0.43 * np.sign(x) * np.abs(x) ** 1.6 + rng.uniform(-0.01, 0.01, n)
    poverty = rank_to_spread(pov_latent.to_numpy(), pov_targets)

    pov_z = (poverty - poverty.mean()) / poverty.std()
    ell_latent = 0.6 * pov_z + plan["region"].map(ELL_BY_REGION).to_numpy() + rng.normal(0, 0.7, n)
    ell_targets = np.concatenate([np.linspace(0.02, 0.10, n - 10), np.linspace(0.12, 0.22, 6),
                                  np.linspace(0.30, 0.48, 4)])
    ell = rank_to_spread(ell_latent, ell_targets)

    swd = np.clip(0.117 + 0.035 * poverty + rng.normal(0, 0.012, n), 0.08, 0.19)
    centre = plan["centre"].to_numpy()
    swd[centre] = 0.26
    mix = np.where(centre[:, None], [0.34, 0.22, 0.44], [0.615, 0.28, 0.105])
    return pd.DataFrame({"poverty": poverty, "ell": ell, "swd": swd,
                         "mix_resource": mix[:, 0], "mix_inclusion": mix[:, 1]}, index=plan.index)


def grade_counts(plan: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Return a schools x grades matrix of pupil counts that sums to each school's enrollment."""
    profile = np.zeros((len(plan), len(GRADES)))
    spans = {"elementary": (1, 7), "K-8": (1, 10), "middle": (7, 10), "high": (10, 14)}
    for i, level in enumerate(plan["level"]):  # one iteration per school, not per student
        lo, hi = spans[level]
        profile[i, lo:hi] = 1.0
    profile[plan["has_pk"].to_numpy(), 0] = 0.6  # PK classes are smaller than a grade cohort
    profile[:, 10:14] *= [1.12, 1.0, 0.95, 0.88]  # ninth-grade bulge, senior attrition
    profile *= rng.gamma(200, 1 / 200, profile.shape)  # school-specific cohort sizes
    pvals = profile / profile.sum(axis=1, keepdims=True)
    return rng.multinomial(plan["enrollment"].to_numpy(), pvals)


def flag_exact(rng: np.random.Generator, school: np.ndarray, k: np.ndarray,
               bias: np.ndarray | float = 0.0) -> np.ndarray:
    """Flag exactly k[s] students in each school s, preferring students with a larger bias.

    ``school`` must be sorted (the roster is grouped by school).
    """
    key = rng.random(len(school)) - bias
    order = np.lexsort((key, school))
    starts = np.searchsorted(school, np.arange(len(k)))
    rank = np.empty(len(school), dtype=np.int64)
    rank[order] = np.arange(len(school)) - starts[school[order]]
    return rank < k[school]


def build_roster(plan: pd.DataFrame, rates: pd.DataFrame, counts: np.ndarray,
                 rng: np.random.Generator) -> pd.DataFrame:
    """Expand the grade counts to one row per student and draw the need flags and levels."""
    n_schools, n_grades = counts.shape
    school = np.repeat(np.repeat(np.arange(n_schools), n_grades), counts.ravel())
    grade = np.repeat(np.tile(np.arange(n_grades), n_schools), counts.ravel())
    size = counts.sum(axis=1)

    frl = flag_exact(rng, school, np.rint(rates["poverty"].to_numpy() * size).astype(int))
    early = (grade <= 4).astype(float)  # PK-3: more English learners before reclassification
    ell = flag_exact(rng, school, np.rint(rates["ell"].to_numpy() * size).astype(int),
                     bias=0.3 * frl + 0.15 * early)
    swd = flag_exact(rng, school, np.rint(rates["swd"].to_numpy() * size).astype(int),
                     bias=0.1 * frl)
    cum = np.cumsum(rates[["mix_resource", "mix_inclusion"]].to_numpy(), axis=1)[school]
    u = rng.random(len(school))
    level = (u >= cum[:, 0]).astype(int) + (u >= cum[:, 1])
    sped = np.where(swd, np.array(SPED_LEVELS)[level], "none")

    ids = rng.permutation(len(school)) + 1
    return pd.DataFrame({
        "student_id": pd.Series(ids).astype(str).str.zfill(7).radd("P"),
        "school_id": plan["school_id"].to_numpy()[school],
        "grade": np.array(GRADES)[grade],
        "frl": np.where(frl, "Y", "N"),
        "ell": np.where(ell, "Y", "N"),
        "sped": sped,
    })


def aggregate(roster: pd.DataFrame, school_ids: pd.Series) -> pd.DataFrame:
    """Aggregate a roster to the counts-file layout, one row per school in ``school_ids`` order."""
    grades = pd.crosstab(roster["school_id"], pd.Categorical(roster["grade"], GRADES),
                         dropna=False).reindex(columns=GRADES, fill_value=0)
    grades.columns = [f"grade_{g}" for g in GRADES]
    needs = pd.DataFrame({
        "frl": roster["frl"].eq("Y").groupby(roster["school_id"]).sum(),
        "ell": roster["ell"].eq("Y").groupby(roster["school_id"]).sum(),
    })
    for lvl in SPED_LEVELS:
        needs[f"sped_{lvl}"] = roster["sped"].eq(lvl).groupby(roster["school_id"]).sum()
    out = grades.join(needs).reindex(school_ids).fillna(0).astype(int)
    return out.rename_axis("school_id").reset_index()


def formula(counts: pd.DataFrame, w: dict, base: float | None = None) -> np.ndarray:
    """Allocation in dollars per school for a counts table under weight table ``w``."""
    grades = counts[[f"grade_{g}" for g in GRADES]].to_numpy(float)
    pupils = grades.sum(axis=1)
    sped = counts[[f"sped_{lvl}" for lvl in SPED_LEVELS]].to_numpy(float)
    frl = counts["frl"].to_numpy(float)
    weighted = grades @ GRADE_WEIGHTS + w["frl"] * frl + w["ell"] * counts["ell"].to_numpy(float)
    weighted += sped @ np.array(w["sped"])
    if w["conc_share"] is not None:
        share = np.divide(frl, pupils, out=np.zeros_like(frl), where=pupils > 0)
        weighted += w["conc_weight"] * frl * (share >= w["conc_share"])
    small = w["small_amount"] * np.clip(1 - pupils / max(w["small_below"], 1), 0, None)
    small = np.where(pupils < w["small_below"], small, 0.0)
    return (w["base"] if base is None else base) * weighted + w["foundation"] + small


def last_year_counts(plan: pd.DataFrame, counts: pd.DataFrame,
                     rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
    """Simulate last year's counts: most schools within +-5%, some declining, a few growing.

    Returns the counts table and each school's change in enrollment (this year / last year - 1).
    """
    n = len(plan)
    change = rng.uniform(-0.05, 0.05, n)
    pool = rng.permutation(np.flatnonzero(~plan["is_new"].to_numpy()))
    change[pool[:7]] = rng.uniform(-0.15, -0.08, 7)
    change[pool[7:11]] = rng.uniform(0.08, 0.12, 4)
    change[plan["is_new"].to_numpy()] = np.nan
    cols = counts.columns.drop("school_id")
    factor = np.nan_to_num(1 / (1 + change))[:, None] * rng.lognormal(0, 0.02, (n, len(cols)))
    last = counts.copy()
    last[cols] = np.rint(counts[cols].to_numpy() * factor).astype(int)
    return last, change


def performance(poverty: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Achievement, growth and climate (0-100) and the performance band (text "1".."5")."""
    n = len(poverty)
    achievement = np.clip(94 - 70 * poverty + rng.normal(0, 9, n), 0, 100).round(1)
    growth = np.clip(62 - 12 * poverty + rng.normal(0, 10, n), 0, 100).round(1)
    climate = np.clip(80 - 20 * poverty + rng.normal(0, 8, n), 0, 100).round(1)
    composite = 0.5 * achievement + 0.3 * growth + 0.2 * climate
    band = 5 - np.searchsorted(BAND_CUTS[::-1], composite, side="right")
    return pd.DataFrame({"achievement": achievement, "growth": growth, "climate": climate,
                         "performance_band": band.astype(str)})


def summarise(schools: pd.DataFrame, roster: pd.DataFrame, counts: pd.DataFrame,
              change: np.ndarray) -> None:
    """Print the distribution facts quoted in README.md."""
    pupils = counts.filter(like="grade_").sum(axis=1)
    pov, ell = counts["frl"] / pupils, counts["ell"] / pupils
    sped = roster["sped"].value_counts()
    swd = sped.drop("none").sum()
    prior = schools["prior_allocation"]
    print(f"schools: {len(schools)}; by level: {schools['level'].value_counts().to_dict()}; "
          f"by region: {schools['region'].value_counts().to_dict()}")
    print(f"students: {len(roster):,}; enrollment per school {pupils.min()}-{pupils.max()}; "
          f"below 300: {schools.loc[pupils < 300, 'school_name'].tolist()}; "
          f"PK programs: {(counts['grade_PK'] > 0).sum()} schools, "
          f"{counts['grade_PK'].sum()} pupils")
    print(f"poverty (frl): district {roster['frl'].eq('Y').mean():.1%}; schools {pov.min():.1%}-"
          f"{pov.max():.1%}; schools >= 75%: {(pov >= 0.75).sum()}; <= 25%: {(pov <= 0.25).sum()}")
    print(f"English learners: district {roster['ell'].eq('Y').mean():.1%}; schools {ell.min():.1%}-"
          f"{ell.max():.1%}; >= 30%: {(ell >= 0.3).sum()}; 2-10%: {ell.between(0.02, 0.10).sum()}")
    print(f"students with disabilities: {swd / len(roster):.1%} ({swd:,}); of them resource "
          f"{sped['resource'] / swd:.1%}, inclusion {sped['inclusion'] / swd:.1%}, "
          f"self_contained {sped['self_contained'] / swd:.1%}")
    centre = schools["school_name"].isin(CENTRE_PROGRAMS)
    swd_share = counts.filter(like="sped_").sum(axis=1) / pupils
    for i in np.flatnonzero(centre):
        print(f"  centre program {schools['school_name'][i]}: SWD {swd_share[i]:.1%}, "
              f"self_contained {counts['sped_self_contained'][i]} pupils")
    print(f"performance bands: {schools['performance_band'].value_counts().sort_index().to_dict()}")
    ch = change[~np.isnan(change)]
    print(f"enrollment change vs last year: within +-5%: {(np.abs(ch) <= 0.05).sum()}, "
          f"declining 8-15%: {(ch <= -0.08).sum()}, growing 8-12%: {(ch >= 0.08).sum()}")
    print(f"prior_allocation: total ${prior.sum():,.0f} over {prior.notna().sum()} schools; "
          f"blank for {schools.loc[prior.isna(), 'school_name'].tolist()}")
    new = formula(counts, THIS_YEAR)
    pct = (new / prior - 1).to_numpy(float)
    print(f"this year's weights, fixed base $5,200: total ${new.sum():,.0f}; "
          f"gain {np.sum(pct > 0)}, lose {np.sum(pct < 0)}, lose > 3%: {np.sum(pct < -0.03)}; "
          f"change "
          f"{np.nanmin(pct):+.1%} to {np.nanmax(pct):+.1%}")
    fixed = formula(counts, THIS_YEAR, base=0.0)
    base = (prior.sum() - fixed.sum()) / ((new - fixed).sum() / THIS_YEAR["base"])
    pct = (formula(counts, THIS_YEAR, base) / prior - 1).to_numpy(float)
    print(f"budget neutral on the prior total: base ${base:,.2f}; gain {np.sum(pct > 0)}, "
          f"lose > 3%: {np.sum(pct < -0.03)}")


def main() -> None:
    """Generate the district, write the three CSV files and print the summary."""
    rng = np.random.default_rng(SEED)
    plan = school_plan(rng)
    rates = school_rates(plan, rng)
    roster = build_roster(plan, rates, grade_counts(plan, rng), rng)
    counts = aggregate(roster, plan["school_id"])
    last, change = last_year_counts(plan, counts, rng)
    noise = rng.uniform(0.97, 1.03, len(plan))
    prior = pd.Series(np.rint(formula(last, LAST_YEAR) * noise)).astype("Int64")
    prior[plan["is_new"].to_numpy()] = pd.NA
    pupils = counts.filter(like="grade_").sum(axis=1).to_numpy()
    schools = pd.concat([plan[["school_id", "school_name", "level", "region"]],
                         prior.rename("prior_allocation"),
                         performance(counts["frl"].to_numpy() / pupils, rng)], axis=1)

    schools.to_csv(OUT_DIR / "schools.csv", index=False, lineterminator="\n")
    roster.to_csv(OUT_DIR / "roster.csv", index=False, lineterminator="\n")
    counts.to_csv(OUT_DIR / "counts.csv", index=False, lineterminator="\n")
    summarise(schools, roster, counts, change)


if __name__ == "__main__":
    main()
