"""Bad input for the real-formula keys: every problem listed at once with file, row, column and
value; exit 2 from the command line, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT, assert_problem, csv_bytes, make_scenario, schools_csv
from sbb.allocate import allocate
from sbb.district import load_district
from sbb.problems import InputError
from sbb.scenario import load_scenario
from sbb.weights import load_weights, weights_from_dict

CT = ROOT / "sample_data" / "connecticut_ecs_style"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sbb", "allocate", *args], capture_output=True, text=True, cwd=ROOT)


BAD_WEIGHTS = """
title = "bad"
[base]
per_weighted_pupil = 100.0
[grade]
all = 1.0
[needs.ell]
column = "ell"
weight = { "K-5" = 0.40, "5-8" = 0.50 }          # grade 5 in two bands
[needs.lunch]
column = "lunch"
levels = { free = 0.0, reduced = 0.0 }
[concentration.comp]
need = "lunch"
count = { free = 1.0, redused = 0.5 }            # misspelt level
shape = "ramps"                                  # misspelt shape
full_at = 1.5                                    # a share above 1
weight = 0.6
[concentration.step]
need = "ell"                                     # a banded need cannot drive a concentration
share_at_least = -0.2
weight = 0.1
[multiplier]
colum = "aid_ratio"                              # misspelt key
[rounding]
share = 4.5
"""


def test_a_bad_weight_table_lists_every_problem_at_once(tmp_path):
    path = tmp_path / "w.toml"
    path.write_text(BAD_WEIGHTS)
    with pytest.raises(InputError) as info:
        load_weights(path)
    err = info.value
    assert_problem(err, file="w.toml", column="needs.ell.weight.5-8", expected="do not overlap; it shares grades with band 'K-5'")
    assert_problem(err, file="w.toml", column="concentration.comp.count.redused", expected="a level of need 'lunch': free, reduced")
    assert_problem(err, file="w.toml", column="concentration.comp.shape", value="ramps", expected="one of 'step', 'ramp', 'excess'")
    assert_problem(err, file="w.toml", column="concentration.step.need", value="ell", expected="does not vary by band")
    assert_problem(err, file="w.toml", column="concentration.step.share_at_least", value="-0.2", expected="at least 0")
    assert_problem(err, file="w.toml", column="multiplier.colum", expected="did you mean 'column'")
    assert_problem(err, file="w.toml", column="rounding.share", value="4.5", expected="whole number of decimals")


def test_full_at_outside_0_1_and_keys_of_another_shape():
    doc = {"title": "x", "base": {"per_weighted_pupil": 1.0}, "grade": {"all": 1.0},
           "needs": {"frl": {"column": "frl", "weight": 0.0}},
           "concentration": {"a": {"need": "frl", "shape": "ramp", "full_at": 1.5, "weight": 0.6},
                             "b": {"need": "frl", "shape": "excess", "full_at": 0.5, "share_at_least": 0.6, "weight": 0.1}}}
    with pytest.raises(InputError) as info:
        weights_from_dict(doc, "w.toml")
    assert_problem(info.value, column="concentration.a.full_at", value="1.5", expected="at most 1")
    assert_problem(info.value, column="concentration.b.full_at", expected="no 'full_at' with shape 'excess'")


def test_multiplier_problems_name_the_rows_and_come_with_the_counts_problems(tmp_path):
    weights = load_weights(ROOT / "weights" / "connecticut_ecs_style.toml")
    schools = csv_bytes(["school_id", "school_name", "prior_allocation", "aid_ratio", "magnet"],
                        [["T1", "One", 1, "-0.5", ""], ["T2", "Two", 1, "half", "lots"], ["T3", "Three", 1, "", "5"]])
    counts = csv_bytes(["school_id", "enrollment", "low_income"], [["T1", 10, 1], ["T2", 10, 2], ["T3", 10, 3]])
    with pytest.raises(InputError) as info:
        load_district(("schools.csv", schools), weights, counts=("counts.csv", counts))
    err = info.value
    assert_problem(err, file="schools.csv", row=2, column="aid_ratio", value="-0.5", expected="a number, 0 or more")
    assert_problem(err, file="schools.csv", row=3, column="aid_ratio", value="half", expected="a number, 0 or more")
    assert_problem(err, file="schools.csv", row=4, column="aid_ratio", value="", expected="a number, 0 or more")
    assert_problem(err, file="schools.csv", row=3, column="magnet", value="lots", expected="an amount of dollars")
    assert_problem(err, file="counts.csv", row=1, column="ell", expected="a 'ell' column")


def test_multiplier_column_missing_from_the_schools_file():
    weights = load_weights(ROOT / "weights" / "connecticut_ecs_style.toml")
    counts = csv_bytes(["school_id", "enrollment", "low_income", "ell"], [["A", 10, 1, 0]])
    with pytest.raises(InputError) as info:
        load_district(("schools.csv", schools_csv([("A", 1.0)])), weights, counts=("counts.csv", counts))
    assert_problem(info.value, file="schools.csv", row=1, column="aid_ratio", expected="[multiplier] names it")
    assert_problem(info.value, file="schools.csv", row=1, column="magnet", expected="[extra_amounts] names it")


def test_counts_columns_missing_for_a_band():
    doc = {"title": "x", "base": {"per_weighted_pupil": 1.0}, "grade": {"all": 1.0},
           "needs": {"ell": {"column": "ell", "weight": {"K-5": 0.4, "6-8": 0.5}}}}
    w = weights_from_dict(doc, "w.toml")
    counts = csv_bytes(["school_id", "enrollment", "ell_K-5"], [["A", 10, 1]])
    with pytest.raises(InputError) as info:
        load_district(("schools.csv", schools_csv([("A", 1.0)])), w, counts=("counts.csv", counts))
    assert_problem(info.value, file="counts.csv", row=1, column="ell_6-8", expected="a 'ell_6-8' column")


def test_applies_to_values_and_transition_shares(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'''title = "t"
weights = "{(ROOT / 'weights' / 'connecticut_ecs_style.toml').as_posix()}"
[funding]
mode = "fixed_base"
[hold_harmless]
max_loss_pct = 2.0
applies_to = "alliance"
[transition]
share_of_gain = 1.2
share_of_los = 0.5
''')
    with pytest.raises(InputError) as info:
        load_scenario(scenario)
    assert_problem(info.value, column="transition.share_of_gain", value="1.2", expected="at most 1")
    assert_problem(info.value, column="transition.share_of_los", expected="did you mean 'share_of_loss'")

    s = make_scenario(load_weights(ROOT / "weights" / "connecticut_ecs_style.toml"), mode="fixed_base",
                      max_loss_pct=2.0, applies_to="alliance")
    schools = (CT / "schools.csv").read_text().replace(",yes\n", ",maybe\n", 1)
    d = load_district(("schools.csv", schools.encode()), s.weights, counts=CT / "counts.csv")
    with pytest.raises(InputError) as info:
        allocate(d, s)
    assert_problem(info.value, file="schools", row=2, column="alliance", value="maybe", expected="yes or no")


def test_cli_exit_2_lists_the_problems_never_a_traceback(tmp_path):
    w = tmp_path / "w.toml"
    w.write_text(BAD_WEIGHTS)
    s = tmp_path / "s.toml"
    s.write_text('title = "s"\nweights = "w.toml"\n')
    run = cli("--schools", str(CT / "schools.csv"), "--counts", str(CT / "counts.csv"), "--scenario", str(s))
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    assert "needs.ell.weight.5-8" in run.stderr and "concentration.comp.shape" in run.stderr
    assert "rounding.share" in run.stderr

    schools = tmp_path / "schools.csv"
    schools.write_text((CT / "schools.csv").read_text().replace("0.50,", "-1,"))
    run = cli("--schools", str(schools), "--counts", str(CT / "counts.csv"),
              "--scenario", str(ROOT / "scenarios" / "connecticut_ecs_style_transition.toml"))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "row 2, column 'aid_ratio': value '-1': a multiplier: a number, 0 or more" in run.stderr


def test_cli_lists_applies_to_and_counts_problems_together(tmp_path):
    schools = tmp_path / "schools.csv"
    schools.write_text((CT / "schools.csv").read_text().replace(",yes\n", ",maybe\n", 1))
    counts = tmp_path / "counts.csv"
    counts.write_text((CT / "counts.csv").read_text().replace("T2,400,100,0", "T2,400,500,0"))
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'''title = "t"
weights = "{(ROOT / 'weights' / 'connecticut_ecs_style.toml').as_posix()}"
[funding]
mode = "fixed_base"
[hold_harmless]
max_loss_pct = 2.0
applies_to = "alliance"
''')
    run = cli("--schools", str(schools), "--counts", str(counts), "--scenario", str(scenario))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "row 2, column 'alliance': value 'maybe': yes or no" in run.stderr
    assert "row 3, column 'low_income': value '500': at most the school's enrollment (400 pupils)" in run.stderr
