"""Presentation mode: the story a board needs on a wall screen, in type readable from the back.

What changed from the baseline (large), the key numbers as cards, every school's change with the
biggest gains and losses named, and the poverty quarters. Every number comes from `sbb.figures`;
the layout fits a 1280x720 projector without scrolling (cards wrap, charts are short enough).
"""

from __future__ import annotations

import streamlit as st

from ..allocate import Allocation
from ..district import District
from ..figures import LABELS, Figures, change_text, count_text, figure_text, signed
from ..report import dollars
from . import charts
from .presentation import equity_data

# Colours: blue gains, orange losses (charts.GAIN / charts.LOSS), never red against green.
WORKING_CSS = """
<style>
.st-key-headline [data-testid="stHorizontalBlock"], .st-key-equity_cards [data-testid="stHorizontalBlock"]
  {flex-wrap: wrap; row-gap: .6rem;}
.st-key-headline [data-testid="stColumn"], .st-key-equity_cards [data-testid="stColumn"]
  {min-width: 215px; flex: 1 1 215px;}
.st-key-headline [data-testid="stColumn"], .st-key-equity_cards [data-testid="stColumn"]
  {container-type: inline-size;}
.st-key-headline [data-testid="stMetricValue"] > div, .st-key-equity_cards [data-testid="stMetricValue"] > div
  {font-size: clamp(1.15rem, 10.5cqi, 1.9rem);}
[data-testid="stMetricDelta"] > div, [data-testid="stMetricDelta"] div, [data-testid="stMetricDelta"] p,
[data-testid="stMetricLabel"] div, [data-testid="stMetricLabel"] p
  {white-space: normal !important; text-overflow: clip !important; overflow: visible !important;}
</style>
"""

PRESENTATION_CSS = """
<style>
[data-testid="stAppViewContainer"] .block-container {padding-top: 3.0rem; padding-bottom: 1rem; max-width: 100%;}
.sbb-title {font-size: clamp(1.5rem, 2.0vw, 2.6rem); font-weight: 700; color: #000; margin: 0; line-height: 1.15;}
.sbb-sub {font-size: clamp(1.05rem, 1.25vw, 1.5rem); color: #222; margin: .15rem 0 .35rem 0;}
.sbb-changes {font-size: clamp(1.2rem, 1.65vw, 2.1rem); font-weight: 700; color: #0b1f3a; margin: 0 0 .5rem 0;
  line-height: 1.2;}
.sbb-changes span {white-space: nowrap; margin-right: 1.6rem;}
.sbb-cards {display: grid; grid-template-columns: repeat(auto-fit, minmax(175px, 1fr)); gap: 10px;
  margin-bottom: .5rem;}
.sbb-card {background: #0b1f3a; color: #fff; border-radius: 10px; padding: 8px 10px; min-width: 0;}
.sbb-card .label {font-size: clamp(.95rem, 1.15vw, 1.4rem); opacity: .92; line-height: 1.2;}
.sbb-card .value {font-size: clamp(1.45rem, 2.0vw, 3.2rem); font-weight: 800; line-height: 1.1; margin-top: .1rem;
  font-variant-numeric: tabular-nums; white-space: nowrap;}
.sbb-card .note {font-size: clamp(.85rem, 1.0vw, 1.25rem); opacity: .92; margin-top: .1rem; line-height: 1.2;}
.sbb-card.loss {background: #8a3b00;} .sbb-card.gain {background: #0b4f8a;}
.st-key-present_charts [data-testid="stVegaLiteChart"] {height: var(--sbb-chart-h) !important;}
.sbb-chart-title {font-size: clamp(1.1rem, 1.4vw, 1.8rem); font-weight: 700; color: #000; margin: .2rem 0 0 0;}
</style>
"""


def _html(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def key_numbers(h: Figures) -> list[tuple[str, str, str, str]]:
    """The presentation cards: (label, value, note, style) for total, gaining, losing, biggest loss,
    hold-harmless cost and the headline equity ratio, all from the figures."""
    change = change_text(h.total, h.prior_total, "money")
    out = [
        ("Total to schools", f"${h.total / 1e6:,.1f}M",
         change if change == "same as last year" else f"{change} vs last year", ""),
        ("Schools gaining", f"{h.gaining:,}", f"of {h.schools:,}" + (f" ({h.new_schools:,} new)" if h.new_schools else ""),
         "gain"),
        ("Schools losing", f"{h.losing:,}", f"of {h.schools:,}" + (f" ({h.unchanged:,} unchanged)" if h.unchanged else ""),
         "loss"),
        ("Biggest loss", dollars(h.biggest_loss) if h.biggest_loss else "none",
         f"{h.biggest_loss_pct:.1f}% · {h.biggest_loser}" if h.biggest_loser else "no school loses", "loss"),
        ("Hold-harmless cost", dollars(h.hold_harmless_cost), h.floor_text(),
         ""),
    ]
    if h.quartile_ratio is not None:
        before = f"last year {figure_text(h.quartile_ratio_prior, 'ratio')}" if h.quartile_ratio_prior is not None else ""
        out.append((LABELS["quartile_ratio"], figure_text(h.quartile_ratio, "ratio"), before, ""))
    return out


def presentation_view(allocation: Allocation, district: District, h: Figures,
                      diff: list[tuple[str, str, str]]) -> None:
    """Large type, what changed, the key numbers and two high-contrast charts."""
    st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)
    s = allocation.scenario
    year = (f" · year 1 of {h.phase_in_years} of the phase-in shown" if h.phase_in_years > 1 else "")
    most = 3
    changed = "".join(f"<span>{_html(label)}: {_html(before)} → {_html(now)}</span>" for label, before, now in diff[:most])
    if len(diff) > most:
        changed += f"<span>and {count_text(len(diff) - most, 'more change')}</span>"
    # The charts take the height the window leaves below the cards: on a 1280x720 projector 360 px
    # (330 or 300 when the title or the changes take a second line), more on a larger screen, where
    # the type above them grows with the width (about 7% of it) and the rest goes to the charts.
    below = 360 + (30 if len(s.title) > 90 else 0) + (30 if len(diff) > 1 else 0)
    sizing = (f"<style>.st-key-present_charts {{--sbb-chart-h: clamp({720 - below}px, "
              f"calc(100vh - {below}px - 7vw + 90px), 1200px);}}</style>")
    st.markdown(sizing + f'<div class="sbb-title">{_html(s.title)}</div>'
                f'<div class="sbb-sub">{count_text(h.schools, "school")} · {h.pupils:,.0f} pupils · '
                f'base {dollars(h.base, True)} per weighted pupil{_html(year)}</div>'
                f'<div class="sbb-changes" data-testid="sbb-changes">'
                f'{changed or "<span>No change from the baseline weights</span>"}</div>', unsafe_allow_html=True)
    cards = "".join(f'<div class="sbb-card {kind}"><div class="label">{_html(label)}</div>'
                    f'<div class="value">{_html(value)}</div><div class="note">{_html(note)}</div></div>'
                    for label, value, note, kind in key_numbers(h))
    st.markdown(f'<div class="sbb-cards" data-testid="sbb-cards">{cards}</div>', unsafe_allow_html=True)
    height = "container"  # the Vega-Lite chart fills its box, which --sbb-chart-h sizes
    left, right = st.container(key="present_charts").columns([3, 2])
    with left:
        st.markdown('<div class="sbb-chart-title">Every school\'s change against last year</div>',
                    unsafe_allow_html=True)
        st.altair_chart(charts.delta_bars(allocation.table, big=True, height=height, name_most=3), width="stretch",
                        theme=None)
    eq = equity_data(allocation, district, h)
    with right:
        if eq is not None:
            st.markdown('<div class="sbb-chart-title">Dollars per pupil, least poor to poorest quarter</div>',
                        unsafe_allow_html=True)
            st.altair_chart(charts.quartile_chart(eq.quartiles, big=True, height=height), width="stretch", theme=None)


__all__ = ["PRESENTATION_CSS", "WORKING_CSS", "key_numbers", "presentation_view", "signed"]
