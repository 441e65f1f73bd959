"""Altair charts of an allocation: plain functions from tables to chart specs (no Streamlit).

Money is in dollars. `big=True` gives the presentation-mode look: large type, thick marks, high
contrast, for a wall screen read from the back of a room.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..report import dollars

GAIN = "#0072b2"      # blue and orange (Okabe-Ito): told apart by colour-blind readers; signs
LOSS = "#d55e00"      # and labels carry the meaning too (never red against green)
NEUTRAL = "#5b6770"
LAST_YEAR = "#9aa5ad"
SCENARIO = "#1f4e99"
CENTRAL = "#7b5ea7"   # purple: money held centrally, neither a gain nor a loss
TOTAL = "#37474f"     # dark slate: totals in a waterfall



# Numbers on charts written as `sbb.report.dollars` writes them: '-$32,357' (a plain hyphen, not d3's
# default '−' minus sign), thousands with commas.
LOCALE = {"number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["$", ""], "minus": "-"}}


def _style(chart: alt.TopLevelMixin, big: bool) -> alt.TopLevelMixin:
    size = 22 if big else 13
    return (chart.configure(locale=LOCALE).configure_axis(labelFontSize=size, titleFontSize=size + 2, grid=not big,
                                 labelColor="#111", titleColor="#111")
            .configure_legend(labelFontSize=size, titleFontSize=size, symbolSize=200 if big else 80,
                              orient="top")
            .configure_title(fontSize=size + 6, anchor="start", color="#111")
            .configure_view(strokeWidth=0))


def delta_bars(table: pd.DataFrame, big: bool = False, height: int | str = 320, name_most: int = 0) -> alt.TopLevelMixin:
    """Each school's change against last year, sorted from the biggest loss to the biggest gain,
    blue for a gain and orange for a loss (school names in the tooltip; with `name_most`, the names
    of that many biggest losses and gains are written beside their bars, for a projector). `table` is
    an allocation table (school_name, delta, delta_pct, allocation, prior_allocation); new schools
    (no prior year) are left out."""
    t = table.loc[table["prior_allocation"].notna(), ["school_id", "school_name", "delta", "delta_pct",
                                                       "allocation", "prior_allocation"]].copy()
    t["direction"] = np.where(t["delta"] > 0, "Gains", np.where(t["delta"] < 0, "Loses", "No change"))
    t = t.sort_values(["delta", "school_id"], kind="stable")
    t["rank"] = np.arange(1, len(t) + 1)
    # by rank (an ordinal sorts itself), so the layers of names cannot unsort the bars
    x = alt.X("rank:O", title=f"{len(t):,} schools, biggest loss to biggest gain",
              axis=alt.Axis(labels=False, ticks=False))
    named = biggest_changes(t, name_most)
    y_scale = alt.Scale()
    if len(named):  # room for the names: losses' names above zero on the left, gains' below on the right
        lo, hi = min(float(t["delta"].min()), 0.0), max(float(t["delta"].max()), 0.0)
        room = 0.45 * (hi - lo)
        lo, hi = min(lo, -room if (named["delta"] > 0).any() else lo), max(hi, room if (named["delta"] < 0).any() else hi)
        y_scale = alt.Scale(domain=[lo, hi], nice=False)
        step = {-1: 0, 1: 0}
        ys = []
        for d in named["delta"]:
            side = -1 if d < 0 else 1
            ys.append((hi if side < 0 else lo) * (0.86 - 0.28 * step[side]))
            step[side] += 1
        named = named.assign(label_y=ys, zero=0.0)
    bars = alt.Chart(t).mark_bar().encode(
        x=x,
        y=alt.Y("delta:Q", title="Change vs last year", axis=alt.Axis(format="$.2~s" if big else "$,.0f", tickCount=8 if big else alt.Undefined),
                scale=y_scale),
        color=alt.Color("direction:N", title=None,
                        scale=alt.Scale(domain=["Gains", "Loses", "No change"], range=[GAIN, LOSS, NEUTRAL])),
        tooltip=[alt.Tooltip("school_name:N", title="School"),
                 alt.Tooltip("delta:Q", title="Change", format="$,.0f"),
                 alt.Tooltip("delta_pct:Q", title="Change %", format="+.2f"),
                 alt.Tooltip("allocation:Q", title="Allocation", format="$,.0f"),
                 alt.Tooltip("prior_allocation:Q", title="Last year", format="$,.0f")],
    )
    layers = [bars]
    if len(named):
        # each name on its own line in the empty half, joined to its bar by a thin rule
        layers.append(alt.Chart(named).mark_rule(color="#555", strokeWidth=1).encode(x=x, y="zero:Q", y2="label_y:Q"))
        for sign, align, dx in ((-1, "left", 4), (1, "right", -4)):
            part = named[np.sign(named["delta"]) == sign]
            if len(part):
                layers.append(alt.Chart(part).mark_text(align=align, baseline="middle", dx=dx, clip=True,
                                                        fontSize=17 if big else 12, fontWeight="bold",
                                                        color="#111").encode(x=x, y="label_y:Q", text="name:N"))
    chart = alt.layer(*layers).properties(height=height, width="container")
    return _style(chart, big)


def biggest_changes(t: pd.DataFrame, most: int) -> pd.DataFrame:
    """The `most` biggest losses and `most` biggest gains of a sorted delta table, with a short
    label: the school's name (cut at a word to 24 characters) and its change."""
    if most <= 0:
        return t.iloc[:0].assign(name=[])
    losses = t[t["delta"] < 0].head(most)
    gains = t[t["delta"] > 0].tail(most)
    out = pd.concat([losses, gains])

    def short(name: str) -> str:
        if len(name) <= 24:
            return name
        cut = name[:24].rsplit(" ", 1)[0]
        return cut + "…"

    return out.assign(name=[f"{short(str(n))} {('-' if d < 0 else '+')}{dollars(abs(d))}"
                            for n, d in zip(out["school_name"], out["delta"])])


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


def quartile_chart(quartiles: pd.DataFrame, big: bool = False, height: int | str = 320) -> alt.TopLevelMixin:
    """Average dollars per pupil by poverty quarter of pupils (1 = least poor), last year beside the
    scenario. `quartiles`: label, quartile, mean_per_pupil, poverty_share."""
    q = quartiles.copy()
    q["quarter"] = q["quartile"].map({1: "Least poor", 2: "2nd", 3: "3rd", 4: "Poorest"})
    chart = alt.Chart(q).mark_bar().encode(
        x=alt.X("quarter:N", title="Pupils by school poverty", sort=["Least poor", "2nd", "3rd", "Poorest"],
                axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("label:N", sort=["Last year", "Scenario"]),
        y=alt.Y("mean_per_pupil:Q", title="Dollars per pupil",
                axis=alt.Axis(format="$,.0f", tickCount=6 if big else alt.Undefined)),
        color=alt.Color("label:N", title=None, scale=alt.Scale(domain=["Last year", "Scenario"],
                                                               range=[LAST_YEAR, SCENARIO])),
        tooltip=[alt.Tooltip("label:N", title="Allocation"), alt.Tooltip("quarter:N", title="Quarter"),
                 alt.Tooltip("mean_per_pupil:Q", title="Per pupil", format="$,.0f"),
                 alt.Tooltip("poverty_share:Q", title="Poverty share", format=".1%")],
    ).properties(height=height, width="container")
    return _style(chart, big)


def waterfall(steps: pd.DataFrame, big: bool = False, height: int | None = None, title: str = "") -> alt.TopLevelMixin:
    """A horizontal waterfall of labelled steps (columns step, amount, start, end, kind), read top to
    bottom: 'total' bars from zero in dark slate, positive steps blue, negative orange, 'central' (held
    centrally) purple; each bar is labelled with its dollars."""
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
                                        range=[TOTAL, GAIN, LOSS, CENTRAL])),
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
        x=alt.X("band:N", title="Performance band (1 highest, 5 lowest)", axis=alt.Axis(labelAngle=0)),
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
