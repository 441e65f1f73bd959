"""`[equity] poverty_need` (and `levels`): which need counts poor pupils for the equity measures."""

from __future__ import annotations

import pytest

from conftest import counts_district, make_scenario
from sbb.allocate import allocate
from sbb.design.target import outcome_of, poverty_counts, value
from sbb.figures import board_figures
from sbb.problems import InputError
from sbb.weights import weights_from_dict


def lunch_weights(**equity):
    doc = {"title": "lunch", "base": {"per_weighted_pupil": 100.0}, "grade": {"all": 1.0},
           "needs": {"lunch": {"column": "lunch", "levels": {"free": 0.5, "reduced": 0.25}}}}
    if equity:
        doc["equity"] = equity
    return weights_from_dict(doc, "lunch.toml")


SCHOOLS = [("A", 10_000.0), ("B", 10_000.0), ("C", 10_000.0), ("D", 10_000.0)]
COUNTS = {  # 100 pupils each: one school is one quarter of the 400 pupils
    "A": {"enrollment": 100, "lunch_free": 60, "lunch_reduced": 20},  # poor 80; 100 + 30 + 5 = 135 weighted
    "B": {"enrollment": 100, "lunch_free": 30, "lunch_reduced": 10},  # poor 40; 100 + 15 + 2.5 = 117.5
    "C": {"enrollment": 100, "lunch_free": 10, "lunch_reduced": 0},   # poor 10; 100 + 5 = 105
    "D": {"enrollment": 100, "lunch_free": 0, "lunch_reduced": 30},   # poor 30; 100 + 7.5 = 107.5
}


@pytest.mark.parametrize("levels", [["free", "reduced"], None])
def test_quartile_ratio_counts_free_and_reduced(levels):
    w = lunch_weights(poverty_need="lunch", **({"levels": levels} if levels else {}))
    d = counts_district(w, SCHOOLS, COUNTS)
    s = make_scenario(w, mode="fixed_base")
    a = allocate(d, s)
    assert a.table["allocation"].tolist() == [13_500, 11_750, 10_500, 10_750]  # $100 x weighted pupils
    f = board_figures(a, d)
    # Poverty shares (free + reduced): A 0.80, B 0.40, D 0.30, C 0.10. Highest quarter A: $135 per
    # pupil; lowest quarter C: $105. Ratio 135 / 105 = 9 / 7. Last year $100 everywhere: 1.
    assert f.quartile_ratio == pytest.approx(9 / 7, rel=1e-12)
    assert f.quartile_ratio_prior == pytest.approx(1.0, rel=1e-12)
    # the design targets read the same poor pupils
    assert poverty_counts(d, s).tolist() == [80, 40, 10, 30]
    assert value(outcome_of(a, poverty_counts(d, s)), "poverty_quartile_ratio") == pytest.approx(9 / 7, rel=1e-12)


def test_free_only_ranks_the_schools_differently():
    w = lunch_weights(poverty_need="lunch", levels=["free"])
    d = counts_district(w, SCHOOLS, COUNTS)
    f = board_figures(allocate(d, make_scenario(w, mode="fixed_base")), d)
    # free only: A 60, B 30, C 10, D 0 -> lowest quarter D at $107.50: 135 / 107.5
    assert f.quartile_ratio == pytest.approx(135 / 107.5, rel=1e-12)


def test_without_the_key_the_poverty_measures_stay_blank():
    w = lunch_weights()
    d = counts_district(w, SCHOOLS, COUNTS)
    f = board_figures(allocate(d, make_scenario(w, mode="fixed_base")), d)
    assert f.quartile_ratio is None


def test_bad_equity_keys_are_named_with_the_file():
    with pytest.raises(InputError) as err:
        lunch_weights(poverty_needs="lunch")
    text = str(err.value)
    assert "lunch.toml" in text and "equity.poverty_needs" in text
    with pytest.raises(InputError) as err:
        lunch_weights(poverty_need="meals", levels=["free", "half"])
    problems = {(p.column, p.value) for p in err.value.problems}
    assert ("equity.poverty_need", "meals") in problems
    with pytest.raises(InputError) as err:
        lunch_weights(poverty_need="lunch", levels=["free", "half"])
    assert [(p.file, p.column, p.value) for p in err.value.problems] == [("lunch.toml", "equity.levels", "half")]


def test_minnesota_preset_has_its_poverty_measures():
    from conftest import ROOT
    from sbb.district import load_district
    from sbb.scenario import load_scenario

    s = load_scenario(ROOT / "scenarios" / "minnesota_compensatory_fy2022.toml")
    folder = ROOT / "sample_data" / "minnesota_fy2022"
    d = load_district(folder / "schools.csv", s.weights, counts=folder / "counts.csv")
    counts = d.counts
    assert poverty_counts(d, s).tolist() == (counts["lunch_free"] + counts["lunch_reduced"]).astype(float).tolist()
    f = board_figures(allocate(d, s), d)
    assert f.quartile_ratio is not None and f.quartile_ratio > 1  # compensatory revenue follows poverty
