"""The theory-of-action view: where the budget goes, schools by performance band with their earned
autonomy, and the phase-in path (tables from `sbb.theory_view`, charts from `sbb.ui.charts`)."""

from __future__ import annotations

import pandas as pd

from ..allocate import Allocation
from ..district import District
from ..report import dollars
from ..theory_view import phase_in_path, pot_waterfall, schools_by_band
from . import charts


def uses_theory(allocation: Allocation) -> bool:
    """Whether the scenario uses any theory-of-action table (central costs, band support,
    autonomy, phase-in, enrollment change)."""
    t = allocation.scenario.theory
    return bool(t.managed_foundation or t.band_supplement is not None or t.autonomy is not None
                or t.phase_in_years or t.enrollment_change is not None)


def band_table(bands: pd.DataFrame) -> pd.DataFrame:
    """Schools by band for reading: dollars formatted, the discretionary share in percent."""
    out = pd.DataFrame({
        "Band": bands["band"],
        "Schools": bands["schools"].astype(int),
        "Pupils": bands["pupils"].map(lambda n: f"{n:,.0f}"),
        "Allocation": bands["allocation"].map(dollars),
        "Band support": bands["band_supplement"].map(dollars),
        "School controls": bands["discretionary"].map(lambda v: dollars(v) if pd.notna(v) else "—"),
        "Centrally directed": bands["directed"].map(lambda v: dollars(v) if pd.notna(v) else "—"),
        "Share the school controls": bands["discretionary_share"].map(lambda v: f"{v:.0%}" if pd.notna(v) else "—"),
    })
    if bands["discretionary"].isna().all():  # no earned autonomy: three columns of dashes say nothing
        out = out.drop(columns=["School controls", "Centrally directed", "Share the school controls"])
    return out


def render(allocation: Allocation, district: District, big: bool = False) -> None:
    """Draw the theory-of-action tab (Streamlit)."""
    import streamlit as st

    if not uses_theory(allocation):
        st.info("This scenario uses none of the theory-of-action settings. Pick **Theory of action: central "
                "services, support by band, earned autonomy, 3-year phase-in** in the sidebar to see central costs, "
                "support by performance band, earned autonomy and a phase-in.")
    steps = pot_waterfall(allocation)
    st.subheader("From the budget to the schools")
    st.altair_chart(charts.waterfall(steps, big=big), width="stretch")
    with st.expander("The steps in dollars"):
        st.dataframe(steps.assign(amount=steps["amount"].map(dollars))[["step", "amount"]]
                     .rename(columns={"step": "Step", "amount": "Dollars"}), hide_index=True, width="stretch", placeholder="—")
    bands = schools_by_band(allocation, district)
    if len(bands):
        st.subheader("Schools by performance band")
        st.caption("Performance bands come from the district's school performance framework: band 1 is the "
                   "highest-performing, band 5 the lowest. Lower bands get more support and control less of "
                   "their own money.")
        # the whole width for the table: its eight columns were cut off in three fifths of a 1366 px page
        st.dataframe(band_table(bands), hide_index=True, width="stretch", placeholder="—")
        if bands["discretionary"].notna().any():
            st.altair_chart(charts.band_chart(bands, big=big), width="stretch")
        else:
            st.caption("This scenario does not set how much of its money each band controls (earned autonomy).")
    years = allocation.scenario.theory.phase_in_years
    if years:
        st.subheader(f"Phase-in over {years} years")
        st.altair_chart(charts.phase_in_chart(phase_in_path(allocation), big=big), width="stretch")
        st.caption("The 30 schools that move most, as change against last year; each year keeps the "
                   "hold-harmless limits against the year before.")
        off = allocation.off_formula()
        if len(off):
            st.markdown(f"**{len(off)} school{'s' if len(off) != 1 else ''} cannot reach the formula in "
                        f"{years} years** under the limits:")
            st.dataframe(off.rename(columns={"school_id": "School ID", "school_name": "School",
                                             "allocation": f"Year {years}", "formula_amount": "Formula amount",
                                             "gap": "Gap"}),
                         hide_index=True, width="stretch", placeholder="—",
                         column_config={c: st.column_config.NumberColumn(format="dollar", step=1)
                                        for c in (f"Year {years}", "Formula amount", "Gap")})
        else:
            st.caption(f"Every school reaches its formula amount by year {years}.")
