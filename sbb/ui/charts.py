"""Altair charts of an allocation: plain functions from tables to chart specs (no Streamlit).

Money is in dollars. `big=True` gives the presentation-mode look: large type, thick marks, high
contrast, for a wall screen read from the back of a room.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..report import dollars

GAIN = "#1a7f37"      # green, readable on white and by most colour-blind readers next to LOSS
LOSS = "#c62828"      # red
NEUTRAL = "#5b6770"
LAST_YEAR = "#9aa5ad"
SCENARIO = "#1f4e99"
CENTRAL = "#b26a00"

MAX_BARS = 400        # above this many schools the delta chart draws ticks without per-bar labels


def _style(chart: alt.TopLevelMixin, big: bool) -> alt.TopLevelMixin:
    size = 22 if big else 13
    return (chart.configure_axis(labelFontSize=size, titleFontSize=size + 2, grid=not big,
                                 labelColor="#111", titleColor="#111")
            .configure_legend(labelFontSize=size, titleFontSize=size, symbolSize=200 if big else 80,
                              orient="top")
            .configure_title(fontSize=size + 6, anchor="start", color="#111")
            .configure_view(strokeWidth=0))


def delta_bars(table: pd.DataFrame, big: bool = False, height: int = 320) -> alt.TopLevelMixin:
    """Each school's change against last year, sorted from the biggest loss to the biggest gain,
    green for a gain and red for a loss (school names in the tooltip). `table` is an allocation table (school_name, delta,
    delta_pct, allocation, prior_allocation); new schools (no prior year) are left out."""
    t = table.loc[table["prior_allocation"].notna(), ["school_id", "school_name", "delta", "delta_pct",
                                                       "allocation", "prior_allocation"]].copy()
    t["direction"] = np.where(t["delta"] > 0, "Gains", np.where(t["delta"] < 0, "Loses", "No change"))
    t = t.sort_values(["delta", "school_id"], kind="stable")
    t["rank"] = np.arange(1, len(t) + 1)
    many = len(t) > MAX_BARS
    x = alt.X("rank:O" if many else "school_name:N", sort=None if many else alt.SortField("rank"),
              title=f"{len(t):,} schools, biggest loss to biggest gain",
              axis=alt.Axis(labels=False, ticks=False))
    chart = alt.Chart(t).mark_bar().encode(
        x=x,
        y=alt.Y("delta:Q", title="Change vs last year ($)", axis=alt.Axis(format="$.2~s" if big else "$,.0f")),
        color=alt.Color("direction:N", title=None,
                        scale=alt.Scale(domain=["Gains", "Loses", "No change"], range=[GAIN, LOSS, NEUTRAL])),
        tooltip=[alt.Tooltip("school_name:N", title="School"),
                 alt.Tooltip("delta:Q", title="Change", format="$,.0f"),
                 alt.Tooltip("delta_pct:Q", title="Change %", format="+.2f"),
                 alt.Tooltip("allocation:Q", title="Allocation", format="$,.0f"),
                 alt.Tooltip("prior_allocation:Q", title="Last year", format="$,.0f")],
    ).properties(height=height, width="container")
    return _style(chart, big)


def poverty_chart(scatter: pd.DataFrame, trend: dict, big: bool = False, height: int = 320) -> alt.TopLevelMixin:
    """Dollars per pupil against the school's poverty share (dots sized by pupils) with the
    enrollment-weighted least-squares line. `scatter`: school_name, poverty_share (0-1), per_pupil, pupils."""
    points = alt.Chart(scatter).mark_circle(opacity=0.75, color=SCENARIO, stroke="white", strokeWidth=0.5).encode(
        x=alt.X("poverty_share:Q", title="Share of pupils in poverty", axis=alt.Axis(format="%"),
                scale=alt.Scale(zero=False)),
        y=alt.Y("per_pupil:Q", title="Dollars per pupil", axis=alt.Axis(format="$,.0f"), scale=alt.Scale(zero=False)),
        size=alt.Size("pupils:Q", title="Pupils", legend=None if big else alt.Legend(),
                      scale=alt.Scale(range=[40, 600] if big else [15, 250])),
        tooltip=[alt.Tooltip("school_name:N", title="School"),
                 alt.Tooltip("poverty_share:Q", title="Poverty share", format=".1%"),
                 alt.Tooltip("per_pupil:Q", title="Per pupil", format="$,.0f"),
                 alt.Tooltip("pupils:Q", title="Pupils", format=",.0f")],
    )
    layers = [points]
    slope, intercept = trend.get("slope"), trend.get("intercept")
    if slope is not None and np.isfinite(slope) and len(scatter):
        lo, hi = float(scatter["poverty_share"].min()), float(scatter["poverty_share"].max())
        line = pd.DataFrame({"poverty_share": [lo, hi], "per_pupil": [intercept + slope * lo, intercept + slope * hi]})
        layers.append(alt.Chart(line).mark_line(color=LOSS if slope < 0 else GAIN, strokeWidth=5 if big else 3)
                      .encode(x="poverty_share:Q", y="per_pupil:Q"))
    return _style(alt.layer(*layers).properties(height=height, width="container"), big)


def lorenz_chart(lorenz: pd.DataFrame, big: bool = False, height: int = 320) -> alt.TopLevelMixin:
    """Lorenz curves of dollars per pupil (pupils sorted from the least funded), last year and the
    scenario, with the line of equal funding. `lorenz`: label, pupil_share, dollar_share."""
    equal = pd.DataFrame({"pupil_share": [0.0, 1.0], "dollar_share": [0.0, 1.0]})
    diagonal = alt.Chart(equal).mark_line(color=NEUTRAL, strokeDash=[6, 4]).encode(x="pupil_share:Q", y="dollar_share:Q")
    curves = alt.Chart(lorenz).mark_line(strokeWidth=4 if big else 2).encode(
        x=alt.X("pupil_share:Q", title="Share of pupils (least funded first)", axis=alt.Axis(format="%")),
        y=alt.Y("dollar_share:Q", title="Share of dollars", axis=alt.Axis(format="%")),
        color=alt.Color("label:N", title=None, scale=alt.Scale(domain=["Last year", "Scenario"],
                                                               range=[LAST_YEAR, SCENARIO])),
        order="pupil_share:Q",
    )
    return _style(alt.layer(diagonal, curves).properties(height=height, width="container"), big)


def quartile_chart(quartiles: pd.DataFrame, big: bool = False, height: int = 320) -> alt.TopLevelMixin:
    """Average dollars per pupil by poverty quarter of pupils (1 = least poor), last year beside the
    scenario. `quartiles`: label, quartile, mean_per_pupil, poverty_share."""
    q = quartiles.copy()
    q["quarter"] = q["quartile"].map({1: "Least poor", 2: "2nd", 3: "3rd", 4: "Poorest"})
    chart = alt.Chart(q).mark_bar().encode(
        x=alt.X("quarter:N", title="Quarter of pupils by school poverty", sort=["Least poor", "2nd", "3rd", "Poorest"],
                axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("label:N", sort=["Last year", "Scenario"]),
        y=alt.Y("mean_per_pupil:Q", title="Dollars per pupil", axis=alt.Axis(format="$,.0f")),
        color=alt.Color("label:N", title=None, scale=alt.Scale(domain=["Last year", "Scenario"],
                                                               range=[LAST_YEAR, SCENARIO])),
        tooltip=[alt.Tooltip("label:N", title="Allocation"), alt.Tooltip("quarter:N", title="Quarter"),
                 alt.Tooltip("mean_per_pupil:Q", title="Per pupil", format="$,.0f"),
                 alt.Tooltip("poverty_share:Q", title="Poverty share", format=".1%")],
    ).properties(height=height, width="container")
    return _style(chart, big)


def waterfall(steps: pd.DataFrame, big: bool = False, height: int | None = None, title: str = "") -> alt.TopLevelMixin:
    """A horizontal waterfall of labelled steps (columns step, amount, start, end, kind), read top to
    bottom: 'total' bars from zero in blue, positive steps green, negative red, 'central' (held
    centrally) amber; each bar is labelled with its dollars."""
    s = steps.copy()
    s["order"] = np.arange(len(s))
    s["colour"] = np.select([s["kind"] == "total", s["kind"] == "central", s["amount"] >= 0],
                            ["Total", "Held centrally", "Adds"], "Takes away")
    s["label"] = [("-" if v < 0 else "+" if v > 0 and k != "total" else "") + dollars(abs(v))
                  for v, k in zip(s["amount"], s["kind"])]
    s["right"] = s[["start", "end"]].max(axis=1)
    y = alt.Y("step:N", sort=alt.SortField("order"), title=None,
              axis=alt.Axis(labelLimit=420, labelFontSize=20 if big else 13))
    base = alt.Chart(s)
    bars = base.mark_bar(cornerRadius=2).encode(
        y=y,
        x=alt.X("start:Q", title=None, axis=alt.Axis(format="$.3~s")),
        x2="end:Q",
        color=alt.Color("colour:N", title=None,
                        scale=alt.Scale(domain=["Total", "Adds", "Takes away", "Held centrally"],
                                        range=[SCENARIO, GAIN, LOSS, CENTRAL])),
        tooltip=[alt.Tooltip("step:N", title="Step"), alt.Tooltip("amount:Q", title="Dollars", format="$,.0f")],
    )
    text = base.mark_text(align="left", dx=6, fontSize=20 if big else 12, color="#111").encode(
        y=y, x="right:Q", text="label:N")
    rows = len(s)
    # the height includes the legend and the axis (Streamlit fits the whole chart into it)
    chart = alt.layer(bars, text).properties(height=height or 120 + rows * (56 if big else 36),
                                             width="container", title=title)
    return _style(chart, big)


def explain_steps(parts: pd.DataFrame, delta: float, new_school: bool = False) -> pd.DataFrame:
    """Waterfall steps of one school's explanation: each part from where the last one ended, then
    the whole change (or, for a new school, its allocation) as a total bar from zero. Dollars.

    >>> parts = pd.DataFrame({"part": ["Base", "Floor"], "dollars": [-300.0, 100.0]})
    >>> explain_steps(parts, -200.0)[["step", "start", "end"]].values.tolist()
    [['Base', 0.0, -300.0], ['Floor', -300.0, -200.0], ['Change vs last year', 0.0, -200.0]]
    """
    rows, running = [], 0.0
    for part, amount in zip(parts["part"], parts["dollars"]):
        rows.append((part, float(amount), running, running + float(amount), "part"))
        running += float(amount)
    rows.append(("Allocation" if new_school else "Change vs last year", float(delta), 0.0, float(delta), "total"))
    return pd.DataFrame(rows, columns=["step", "amount", "start", "end", "kind"])


def band_chart(bands: pd.DataFrame, big: bool = False, height: int = 300) -> alt.TopLevelMixin:
    """Dollars by performance band split into school-controlled and centrally directed
    (`bands` from `sbb.theory_view.schools_by_band`)."""
    long = bands.melt(id_vars=["band"], value_vars=["discretionary", "directed"], var_name="who", value_name="dollars")
    long["who"] = long["who"].map({"discretionary": "School controls", "directed": "Centrally directed"})
    chart = alt.Chart(long.dropna()).mark_bar().encode(
        x=alt.X("band:N", title="Performance band", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("dollars:Q", title="Dollars", axis=alt.Axis(format="$.3~s")),
        color=alt.Color("who:N", title=None, scale=alt.Scale(domain=["School controls", "Centrally directed"],
                                                            range=[GAIN, NEUTRAL])),
        tooltip=[alt.Tooltip("band:N", title="Band"), alt.Tooltip("who:N", title="Who decides"),
                 alt.Tooltip("dollars:Q", title="Dollars", format="$,.0f")],
    ).properties(height=height, width="container")
    return _style(chart, big)


def phase_in_chart(path: pd.DataFrame, big: bool = False, height: int = 340, most: int = 30) -> alt.TopLevelMixin:
    """Each school's change against last year, year by year (year 0 = last year, so 0%), as a line, for
    the `most` schools whose allocation moves most in percent (all of them when fewer); new schools
    (no last year) are left out. `path`: school_id, school_name, year, allocation."""
    p = path.copy()
    first = p[p["year"] == 0].set_index("school_id")["allocation"]
    p["change_pct"] = p["allocation"] / p["school_id"].map(first) - 1.0
    p = p.dropna(subset=["change_pct"])
    last = p[p["year"] == p["year"].max()].set_index("school_id")["change_pct"]
    keep = set(last.abs().sort_values(ascending=False, kind="stable").index[:most])
    p = p[p["school_id"].isin(keep)]
    p = p.assign(direction=p["school_id"].map(lambda s: "Gains" if last[s] > 0 else "Loses"))
    chart = alt.Chart(p).mark_line(point=True, strokeWidth=3 if big else 1.5).encode(
        x=alt.X("year:O", title="Year (0 = last year)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("change_pct:Q", title="Change vs last year", axis=alt.Axis(format="+.0%")),
        detail="school_id:N",
        color=alt.Color("direction:N", title=None, scale=alt.Scale(domain=["Gains", "Loses"], range=[GAIN, LOSS])),
        tooltip=[alt.Tooltip("school_name:N", title="School"), alt.Tooltip("year:O", title="Year"),
                 alt.Tooltip("allocation:Q", title="Allocation", format="$,.0f"),
                 alt.Tooltip("change_pct:Q", title="Change vs last year", format="+.1%")],
    ).properties(height=height, width="container")
    return _style(chart, big)
