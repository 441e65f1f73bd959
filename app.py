"""Streamlit app: the sample district's allocation under the baseline scenario (first page)."""

import streamlit as st

from sbb import allocate, load_district, load_scenario
from sbb.report import allocation_frame

st.set_page_config(page_title="Student-based budgeting simulator", layout="wide")
scenario = load_scenario("scenarios/baseline.toml")
district = load_district("sample_data/schools.csv", scenario.weights, roster="sample_data/roster.csv")
result = allocate(district, scenario)
st.title(scenario.title)
st.dataframe(allocation_frame(result), hide_index=True)
