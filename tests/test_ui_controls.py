"""Settings <-> scenario for the app's controls, without Streamlit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import SCENARIOS, scenario_files
from sbb.allocate import allocate
from sbb.scenario import load_scenario
from sbb.ui.controls import (band_key, changes, clean, controls_for, grade_bands, reference_settings,
                             scenario_from_settings, set_control, settings_from_scenario, widget_value)


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_settings_of_a_scenario_make_the_same_scenario(path, sample_district):
    s = load_scenario(path)
    prior_total = float(np.nansum(sample_district.prior))
    again = scenario_from_settings(s, settings_from_scenario(s, prior_total))
    assert dict(again.overrides) == dict(s.overrides)
    assert (again.mode, again.budget, again.max_loss_pct, again.max_gain_pct, again.rounding) == \
           (s.mode, s.budget, s.max_loss_pct, s.max_gain_pct, s.rounding)
    pd.testing.assert_frame_equal(allocate(sample_district, again).table, allocate(sample_district, s).table)


def test_a_band_control_moves_every_grade_of_the_band():
    s = load_scenario(SCENARIOS / "baseline.toml")
    bands = grade_bands(s.baseline)
    k3 = next(b for b in bands if band_key(b) == "K-3")
    control = next(c for c in controls_for(s) if c.grades == k3)
    settings = settings_from_scenario(s)
    set_control(control, settings, 1.2)
    changed = scenario_from_settings(s, settings)
    # one override for the band, and grades K, 1, 2, 3 (indices 1..4) all at 1.2
    assert dict(changed.overrides) == {"grade.K-3": 1.2}
    assert [changed.weights.grade[g] for g in k3] == [1.2, 1.2, 1.2, 1.2]
    # splitting the band writes one override per changed grade
    settings["grade.K"] = 1.3
    assert dict(scenario_from_settings(s, settings).overrides) == {"grade.K": 1.3, "grade.1": 1.2,
                                                                   "grade.2": 1.2, "grade.3": 1.2}


def test_changes_list_the_baseline_value_beside_the_new_one():
    s = load_scenario(SCENARIOS / "baseline.toml")
    reference = reference_settings(s)
    settings = settings_from_scenario(s)
    assert changes(s, settings, reference) == []
    settings["needs.ell.weight"] = 0.5
    settings["floor_on"] = True
    settings["max_loss_pct"] = 3.0
    listed = changes(s, settings, reference)
    assert ("English learners", "0.40", "0.50") in listed
    assert ("No school loses more than", "no floor", "3.0%") in listed


def test_shares_show_as_percent_and_store_as_fractions():
    s = load_scenario(SCENARIOS / "baseline.toml")
    share = next(c for c in controls_for(s) if c.kind == "share")
    assert widget_value(share, 0.75) == 75.0
    assert clean(share, 75.0) == 0.75


def test_an_edited_scenario_does_not_keep_its_stale_note(sample_district):
    """The baseline's note says 'as adopted'; with the ELL weight edited (and the page's '(edited)'
    title) the note says what it was edited from instead, and so does the exported workbook."""
    import io

    import openpyxl

    from sbb.export import workbook_bytes

    s = load_scenario(SCENARIOS / "baseline.toml")
    settings = settings_from_scenario(s, float(np.nansum(sample_district.prior)))
    assert scenario_from_settings(s, settings, s.title).description == s.description  # unedited: kept
    settings["needs.ell.weight"] = 0.5
    edited = scenario_from_settings(s, settings, f"{s.title} (edited)")
    assert "as adopted" in s.description and "as adopted" not in edited.description
    assert s.title in edited.description
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(allocate(sample_district, edited), sample_district)))
    assert book["Summary"]["A2"].value == edited.description
