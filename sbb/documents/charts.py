"""Charts for the printed documents: Altair specs rendered to PNG without a browser (vl-convert).

Colours are Okabe & Ito's colour-blind-safe blue (gains) and vermillion (losses); every label
also carries the sign, so nothing depends on colour alone. Sizes are in CSS pixels at 72 per inch
(so 500 px prints at about 176 mm); `png` renders at 3x for print.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..report import dollars
from ..ui.charts import LOCALE
from .page import GAIN_HEX, LAST_YEAR_HEX, LOSS_HEX, SCENARIO_HEX

FONT = "DejaVu Sans"


def png(chart: alt.TopLevelMixin, scale: float = 3.0) -> bytes:
    """The chart as PNG bytes, rendered by vl-convert (no browser)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart.to_dict(), scale=scale)


def _style(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    # numbers as `dollars` writes them: '-$32,357' with a plain hyphen (d3's default minus is '−')
    return (chart.configure(font=FONT, locale=LOCALE)
            .configure_axis(labelFontSize=11, titleFontSize=11, labelColor="#111", titleColor="#111",
                            gridColor="#e3e6ea")
            .configure_legend(labelFontSize=11, orient="top", title=None)
            .configure_view(strokeWidth=0))


def movers(table: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    """The `n` biggest losses and `n` biggest gains against last year (schools with a prior year),
    biggest first: school_id, school_name, delta, delta_pct, direction ('gain' / 'loss')."""
    t = table.loc[table["prior_allocation"].notna(), ["school_id", "school_name", "delta", "delta_pct"]]
    losses = t[t["delta"] < 0].sort_values(["delta", "school_id"], kind="stable").head(n).assign(direction="loss")
    gains = t[t["delta"] > 0].sort_values(["delta", "school_id"], ascending=[False, True],
                                          kind="stable").head(n).assign(direction="gain")
    return pd.concat([gains, losses], ignore_index=True)


def change_chart(table: pd.DataFrame, width: int = 500, height: int = 230, labelled: int = 3) -> alt.TopLevelMixin:
    """Every school's change against last year, one bar each from the biggest loss to the biggest gain
    (blue gains, vermillion losses), with the `labelled` biggest losers and gainers named.

    Labels sit in the empty half of the chart (losers' names above zero on the left, gainers' below
    zero on the right), each joined to its bar by a thin line."""
    t = table.loc[table["prior_allocation"].notna(), ["school_id", "school_name", "delta", "delta_pct"]].copy()
    t = t.sort_values(["delta", "school_id"], kind="stable").reset_index(drop=True)
    t["rank"] = np.arange(1, len(t) + 1)
    t["direction"] = np.where(t["delta"] > 0, "Gains", np.where(t["delta"] < 0, "Loses", "No change"))
    top = float(max(t["delta"].max(), 0.0)) if len(t) else 0.0
    bottom = float(min(t["delta"].min(), 0.0)) if len(t) else 0.0
    span = max(top - bottom, 1.0)
    m = movers(table, labelled).merge(t[["school_id", "rank"]], on="school_id")
    rows = []
    for k, r in enumerate(m[m["direction"] == "loss"].itertuples()):
        rows.append((r.rank, r.delta, top + span * (0.02 - 0.11 * k), "left",
                     f"{r.school_name}  {dollars(r.delta)} ({r.delta_pct:+.1f}%)"))
    for k, r in enumerate(m[m["direction"] == "gain"].itertuples()):
        rows.append((r.rank, r.delta, bottom - span * (0.02 - 0.11 * k), "right",
                     f"{r.school_name}  +{dollars(r.delta)} ({r.delta_pct:+.1f}%)"))
    labels = pd.DataFrame(rows, columns=["rank", "delta", "label_y", "align", "text"])
    new = int(table["prior_allocation"].isna().sum())
    x = alt.X("rank:Q", title=f"{len(t):,} schools, biggest loss to biggest gain"
              + (f" ({new:,} new school{'s' if new > 1 else ''} left out: no prior year)" if new else ""),
              axis=alt.Axis(labels=False, ticks=False, grid=False), scale=alt.Scale(domain=[0.5, len(t) + 0.5]))
    y_scale = alt.Scale(domain=[bottom - span * 0.3 if rows else bottom, top + span * 0.3 if rows else top])
    bars = alt.Chart(t).mark_bar(size=max(1.0, min(14.0, 0.8 * width / max(len(t), 1)))).encode(
        x=x,
        y=alt.Y("delta:Q", title="Change vs last year", axis=alt.Axis(format="$,.0f"), scale=y_scale),
        color=alt.Color("direction:N", scale=alt.Scale(
            domain=[d for d in ("Gains", "Loses", "No change") if (t["direction"] == d).any()],
            range=[c for d, c in (("Gains", GAIN_HEX), ("Loses", LOSS_HEX), ("No change", "#777777"))
                   if (t["direction"] == d).any()])),
    )
    layers = [bars, alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(color="#444").encode(y="y:Q")]
    if rows:
        leaders = alt.Chart(labels).mark_rule(color="#555", strokeWidth=0.7).encode(
            x="rank:Q", y="delta:Q", y2="label_y:Q")
        for side in ("left", "right"):
            part = labels[labels["align"] == side]
            if len(part):
                # losers' names sit above zero, gainers' below it: the text's edge at its leader's
                # end, so it never straddles the zero line
                layers.append(alt.Chart(part).mark_text(align=side, dx=3 if side == "left" else -3,
                                                        baseline="bottom" if side == "left" else "top",
                                                        fontSize=10.5, color="#111").encode(
                    x="rank:Q", y="label_y:Q", text="text:N"))
        layers.insert(1, leaders)
    return _style(alt.layer(*layers).properties(width=width, height=height))


def quartile_chart(quarters: pd.DataFrame, width: int = 300, height: int = 200) -> alt.TopLevelMixin:
    """Dollars per pupil by poverty quarter of pupils, last year beside this scenario, each bar
    labelled. `quarters`: label ('Last year' / 'Scenario'), quartile (1 least poor .. 4), mean_per_pupil."""
    q = quarters.copy()
    q["quarter"] = q["quartile"].map({1: "Least poor", 2: "2nd", 3: "3rd", 4: "Poorest"})
    q["label"] = q["label"].where(q["label"] == "Last year", "This scenario")
    q["text"] = q["mean_per_pupil"].map(lambda v: f"${v / 1000:,.1f}k")
    order = ["Least poor", "2nd", "3rd", "Poorest"]
    base = alt.Chart(q).encode(
        x=alt.X("quarter:N", title="Quarter of pupils by school poverty", sort=order, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("label:N", sort=["Last year", "This scenario"]),
    )
    bars = base.mark_bar().encode(
        y=alt.Y("mean_per_pupil:Q", title="Dollars per pupil", axis=alt.Axis(format="$,.0f")),
        color=alt.Color("label:N", scale=alt.Scale(domain=["Last year", "This scenario"],
                                                   range=[LAST_YEAR_HEX, SCENARIO_HEX])),
    )
    text = base.mark_text(dy=-5, fontSize=9, color="#111").encode(y="mean_per_pupil:Q", text="text:N")
    return _style(alt.layer(bars, text).properties(width=width, height=height))
