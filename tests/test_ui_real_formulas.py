"""The app's controls for the real-formula presets: every new weight is a control, the settings
round-trip to the scenario unchanged, and an edit gives the engine's result for the edited value
(checked against hand arithmetic)."""

from __future__ import annotations

import pytest

from conftest import ROOT
from sbb.allocate import allocate
from sbb.district import load_district
from sbb.problems import InputError
from sbb.scenario import load_scenario
from sbb.ui.controls import controls_for, scenario_from_settings, settings_from_scenario


def preset(folder: str, name: str):
    s = load_scenario(ROOT / "scenarios" / f"{name}.toml")
    d = load_district(ROOT / "sample_data" / folder / "schools.csv", s.weights,
                      counts=ROOT / "sample_data" / folder / "counts.csv")
    return s, d, settings_from_scenario(s, float(d.prior.sum()))


def test_minnesota_ramp_controls_and_an_edit():
    s, d, settings = preset("minnesota_fy2022", "minnesota_compensatory_fy2022")
    keys = [c.key for c in controls_for(s)]
    for key in ("grade.all", "concentration.compensatory.weight", "concentration.compensatory.full_at",
                "concentration.compensatory.count.free", "concentration.compensatory.count.reduced"):
        assert key in keys
    assert scenario_from_settings(s, settings).overrides == ()
    settings["concentration.compensatory.full_at"] = 0.70
    edited = scenario_from_settings(s, settings)
    assert edited.overrides == (("concentration.compensatory.full_at", 0.70),)
    site = allocate(d, edited).table.iloc[0]
    # Aitkin Secondary: counted 162, share 0.2741, factor 0.2741 / 0.70 = 0.39157 -> 0.3916,
    # pupils 0.60 x 162 x 0.3916 = 38.06352 -> 38.06, revenue 38.06 x $5,728 = $218,007.68
    assert site.allocation == pytest.approx(218_007.68, abs=1e-9)


def test_nyc_banded_weight_control():
    s, d, settings = preset("nyc_fsf_fy2019", "nyc_fsf_fy2019")
    assert "needs.ais.levels.below.9-12" in [c.key for c in controls_for(s)]
    before = allocate(d, s).table.iloc[0].need_amount
    settings["needs.ais.levels.below.9-12"] = 0.30
    after = allocate(d, scenario_from_settings(s, settings)).table.iloc[0].need_amount
    assert after - before == pytest.approx(128 * 0.05 * 4084.80, abs=0.011)   # 128 pupils x 0.05 x base = 26,142.72


def test_transition_controls_and_a_bad_value_is_refused():
    s, d, settings = preset("connecticut_ecs_style", "connecticut_ecs_style_transition")
    assert {"transition.share_of_gain", "transition.share_of_loss"} <= {c.key for c in controls_for(s)}
    settings["transition.share_of_gain"] = 1.0
    t = allocate(d, scenario_from_settings(s, settings)).table
    assert t.iloc[0].allocation == pytest.approx(7_203_125.00)   # T1 all the way to its formula
    settings["needs.ell.weight"] = -1.0
    with pytest.raises(InputError):                                # refused; the caller keeps its data
        scenario_from_settings(s, settings)
