"""The app says how statutory rounding was applied, under the headline (`sbb.rounding_note`)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from conftest import ROOT

MN = ROOT / "sample_data" / "minnesota_fy2022"


def test_budget_neutral_minnesota_says_the_formula_amount_is_not_rounded(monkeypatch):
    monkeypatch.setattr("sys.argv", ["app.py", "--schools", str(MN / "schools.csv"), "--counts", str(MN / "counts.csv"),
                                     "--scenario", str(ROOT / "scenarios" / "minnesota_compensatory_fy2022.toml")])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    # weights/minnesota_compensatory_fy2022.toml: [rounding] share = 4, factor = 4, weighted_pupils = 2, formula = 2
    assert "Statutory rounding, half away from zero, in decimals: share 4, factor 4, weighted pupils 2, formula 2." in captions
    at.segmented_control(key="group").set_value("funding").run()
    at.segmented_control(key="ctl:mode").set_value("budget_neutral").run()
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    note = [c for c in captions if c.startswith("Statutory rounding")]
    assert note == ["Statutory rounding of the pupil steps, half away from zero, in decimals: share 4, factor 4, "
                    "weighted pupils 2. The formula amount is not rounded to 2 decimals as the statute says: in this "
                    "budget-neutral scenario the base is solved on the unrounded dollar line and the allocations are "
                    "rounded to the cent so that they add up to the budget."]
