"""Designing a formula: solve-for, sweep and optimise, each checked against the ordinary engine.

Every answer is re-allocated with `allocate()` and its result recomputed here from the allocation
table (the summary, or the equity functions on allocation / enrollment), never read back from the
design code.
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from conftest import ROOT, SAMPLE
from sbb.allocate import allocate
from sbb.cli import main
from sbb.design.optimise import optimise, parse_condition
from sbb.design.params import with_values
from sbb.design.solve_for import OutOfReach, solve_for
from sbb.design.sweep import axes_for, sweep
from sbb.design.target import Evaluator
from sbb.district import load_district
from sbb.equity import equity_metrics, vertical_metrics
from sbb.scenario import load_scenario

SCHOOLS, COUNTS = SAMPLE / "schools.csv", SAMPLE / "counts.csv"
SCEN = ROOT / "scenarios"
DATA = ["--schools", str(SCHOOLS), "--counts", str(COUNTS)]


@pytest.fixture(scope="module")
def district():
    return load_district(SCHOOLS, load_scenario(SCEN / "baseline.toml").weights, counts=COUNTS)


def scenario(name: str):
    return load_scenario(SCEN / f"{name}.toml")


def quartile_ratio(district, alloc) -> float:
    """Poorest quarter over least poor quarter, from the allocation table and the frl counts."""
    t = alloc.table
    pupils = t["enrollment"].to_numpy(dtype=float)
    per_pupil = t["allocation"].to_numpy(dtype=float) / pupils
    return vertical_metrics(per_pupil, pupils, district.counts["frl"].to_numpy(dtype=float))["quartile_ratio"]


def gini(alloc) -> float:
    t = alloc.table
    pupils = t["enrollment"].to_numpy(dtype=float)
    return equity_metrics(t["allocation"].to_numpy(dtype=float) / pupils, pupils)["gini"]


# ---------------------------------------------------------------------------------------------------
# Solve for a target
# ---------------------------------------------------------------------------------------------------

def test_solve_for_an_equity_ratio_is_met_when_reallocated(district):
    """ELL weight for a poverty quartile ratio of 1.2: the ordinary engine at the value gives 1.2 to
    within the change one millionth of a weight makes, and no neighbouring millionth is closer."""
    base = scenario("baseline")
    sol = solve_for(Evaluator(district, base), base, "needs.ell.weight", "poverty_quartile_ratio", 1.2)
    ratios = {}
    for v in (sol.value - 1e-6, sol.value, sol.value + 1e-6):
        ratios[v] = quartile_ratio(district, allocate(district, with_values(base, {"needs.ell.weight": v})))
    got = ratios[sol.value]
    assert abs(got - 1.2) < 1e-6
    assert all(abs(got - 1.2) <= abs(r - 1.2) for r in ratios.values())
    assert got == pytest.approx(sol.achieved, abs=1e-15)
    assert 0 < sol.value < 2.0 and sol.value != 0.4


def test_solve_for_the_budget_that_gives_a_base(district):
    """Without limits the total is base x weighted pupils + fixed amounts, so the budget for a $5,000
    base is 5,000 x sum(weighted) + sum(foundation + small school), to the dollar."""
    base = scenario("baseline")
    sol = solve_for(Evaluator(district, base), base, "funding.budget", "base_per_weighted_pupil", 5000.0)
    t = allocate(district, base).table
    fixed = t["foundation_amount"].sum() + t["small_school_amount"].sum()
    by_hand = 5000.0 * t["weighted_enrollment"].sum() + fixed
    assert abs(sol.value - by_hand) <= 0.5 + 1e-6  # the nearest whole dollar
    alloc = allocate(district, with_values(base, {"funding.budget": sol.value}))
    assert alloc.total == sol.value
    assert abs(alloc.base_per_weighted_pupil - 5000.0) < 1.0 / t["weighted_enrollment"].sum()


def test_solve_for_a_count_gives_the_smallest_value_that_reaches_it(district):
    """Schools at the floor fall as the floor loosens: the smallest max_loss_pct with at most 10
    schools at the floor reaches 10 or fewer in the ordinary engine; a millionth less does not."""
    start = scenario("hold_harmless_3pct")
    sol = solve_for(Evaluator(district, start), start, "hold_harmless.max_loss_pct", "schools_at_floor", 10)
    at = allocate(district, with_values(start, {"hold_harmless.max_loss_pct": sol.value})).summary()
    below = allocate(district, with_values(start, {"hold_harmless.max_loss_pct": sol.value - 1e-6})).summary()
    assert at["schools_at_floor"] <= 10 < below["schools_at_floor"]
    assert sol.achieved == at["schools_at_floor"]
    assert (sol.note == "") == (at["schools_at_floor"] == 10)


def test_solve_for_hold_harmless_cost_with_the_floor(district):
    """The floor at which the hold-harmless cost is $2,000,000: within the change a millionth of a
    percentage point makes, in the ordinary engine."""
    start = scenario("hold_harmless_3pct")
    sol = solve_for(Evaluator(district, start), start, "hold_harmless.max_loss_pct", "hold_harmless_cost", 2_000_000)
    costs = [allocate(district, with_values(start, {"hold_harmless.max_loss_pct": v})).hold_harmless_cost
             for v in (sol.value - 1e-6, sol.value, sol.value + 1e-6)]
    assert abs(costs[1] - 2_000_000) <= min(abs(costs[0] - 2_000_000), abs(costs[2] - 2_000_000))
    assert abs(costs[1] - 2_000_000) <= max(abs(costs[2] - costs[0]), 1.0)


def test_out_of_reach_says_the_range(district):
    base = scenario("baseline")
    with pytest.raises(OutOfReach) as err:
        solve_for(Evaluator(district, base), base, "needs.ell.weight", "poverty_quartile_ratio", 5.0)
    text = err.value.message()
    assert "runs from" in text and "needs.ell.weight = 0.00 " in text.replace(")", " ")


def test_out_of_reach_gives_the_true_ends_of_a_floor_that_turns_infeasible(district):
    """A floor near 0% costs more than the budget, so the scan's first value (0%) is infeasible: the
    message says the whole range searched, where the feasible part starts (checked in the ordinary
    engine: a millionth of a point tighter raises), and the schools losing there (counted here from
    the allocation's deltas), not the count at the scan's next value (2.5%)."""
    import re

    from sbb.problems import InputError

    start = scenario("hold_harmless_3pct")
    with pytest.raises(OutOfReach) as err:
        solve_for(Evaluator(district, start), start, "hold_harmless.max_loss_pct", "schools_losing", 0)
    text = err.value.message()
    assert "searched hold_harmless.max_loss_pct from 0.0% to 100.0%" in text and "(at 0.0%: The hold-harmless floors" in text
    shown = re.search(r"only ([0-9.]+)% to 100.0% is feasible", text).group(1)
    edge = float(shown)
    with pytest.raises(InputError):
        allocate(district, with_values(start, {"hold_harmless.max_loss_pct": edge - 1e-6}))
    table = allocate(district, with_values(start, {"hold_harmless.max_loss_pct": edge})).table
    losing = int((table["delta"] < 0).sum())
    no_floor = int((allocate(district, with_values(start, {"hold_harmless.max_loss_pct": 100.0})).table["delta"]
                    < 0).sum())
    assert f"runs from {no_floor} (" in text and f"to {losing} (hold_harmless.max_loss_pct = {shown}%)" in text


# ---------------------------------------------------------------------------------------------------
# Sweep
# ---------------------------------------------------------------------------------------------------

def test_sweep_rows_equal_single_allocations(district):
    """A 3 x 3 grid (ELL weight x gains cap): each row is what `allocate()` gives at its values,
    recomputed here from the allocation table: dollars and counts exactly, the base and the two
    ratios to 12 significant digits (the batch adds and sorts in another order)."""
    start = scenario("hold_harmless_3pct")
    ev = Evaluator(district, start)
    frame = sweep(ev, start, axes_for(start, ["needs.ell.weight=0.3:0.7:3", "hold_harmless.max_gain_pct=0:10:3"],
                                      ev.prior_total), ["biggest_loss_pct"])
    assert list(frame.columns[:10]) == ["needs.ell.weight", "hold_harmless.max_gain_pct", "base_per_weighted_pupil",
                                        "total", "schools_gaining", "schools_losing", "biggest_loss",
                                        "hold_harmless_cost", "poverty_quartile_ratio", "gini"]
    assert frame[["needs.ell.weight", "hold_harmless.max_gain_pct"]].values.tolist() == [
        [0.3, 0.0], [0.3, 5.0], [0.3, 10.0], [0.5, 0.0], [0.5, 5.0], [0.5, 10.0], [0.7, 0.0], [0.7, 5.0], [0.7, 10.0]]
    for _, row in frame.iterrows():
        alloc = allocate(district, with_values(start, {"needs.ell.weight": row["needs.ell.weight"],
                                                        "hold_harmless.max_gain_pct": row["hold_harmless.max_gain_pct"]}))
        s = alloc.summary()
        # the batched solve may differ from solve_base in the last binary digit of the base (1e-12)
        assert row["base_per_weighted_pupil"] == pytest.approx(s["base_per_weighted_pupil"], rel=1e-12)
        assert row["total"] == s["total"] == alloc.table["allocation"].sum()
        assert row["schools_gaining"] == (alloc.table["delta"] > 0).sum()
        assert row["schools_losing"] == (alloc.table["delta"] < 0).sum()
        assert row["biggest_loss"] == -alloc.table["delta"].min()
        assert row["hold_harmless_cost"] == alloc.table["hold_harmless_adjustment"].sum()
        assert row["poverty_quartile_ratio"] == pytest.approx(quartile_ratio(district, alloc), rel=1e-12)
        assert row["gini"] == pytest.approx(gini(alloc), rel=1e-12)
        assert row["biggest_loss_pct"] == s["biggest_loss_pct"]
        assert row["feasible"]


def test_sweep_marks_an_infeasible_budget_and_carries_on(district):
    """A 3% floor needs about $249M: a $200M budget is marked infeasible, the others are allocated."""
    start = scenario("hold_harmless_3pct")
    ev = Evaluator(district, start)
    frame = sweep(ev, start, axes_for(start, ["funding.budget=200000000:300000000:3"], ev.prior_total))
    assert frame["feasible"].tolist() == [False, True, True]
    assert "shortfall" in frame.loc[0, "problem"] and pd.isna(frame.loc[0, "gini"])
    assert frame.loc[2, "total"] == 300_000_000 == allocate(district, with_values(start, {"funding.budget": 3e8})).total


def test_core_route_equals_allocate_for_every_shipped_scenario(district):
    """The evaluator's numeric-core route gives exactly allocate()'s units, for every shipped scenario."""
    from sbb.design.target import outcome_of, poverty_counts

    checked = 0
    for path in sorted(SCEN.glob("*.toml")):
        s = load_scenario(path)
        if not s.baseline.file.endswith("sample_district.toml"):
            continue  # a real formula's scenario: its own district files
        checked += 1
        ev = Evaluator(district, s)
        mine = ev.outcome(s)
        theirs = outcome_of(allocate(district, s), poverty_counts(district, s))
        assert np.array_equal(mine.units, theirs.units), path.name
        assert np.array_equal(mine.formula_units, theirs.formula_units), path.name
        assert mine.base == theirs.base
        assert ev.core == (s.theory.enrollment_change is None), path.name
    assert checked >= 8


# ---------------------------------------------------------------------------------------------------
# Optimise
# ---------------------------------------------------------------------------------------------------

def test_optimiser_proposal_meets_its_conditions_in_the_ordinary_engine(district):
    start = scenario("hold_harmless_3pct")
    keys = ["needs.ell.weight", "needs.poverty.weight"]
    conditions = [parse_condition("hold_harmless_cost <= 6500000", keys),
                  parse_condition("needs.ell.weight >= needs.poverty.weight", keys),
                  parse_condition("schools_losing <= 40", keys)]
    ev = Evaluator(district, start)
    ranges = {"needs.ell.weight": (0.2, 1.0), "needs.poverty.weight": (0.1, 0.6)}
    prop = optimise(ev, start, ranges, "poverty_quartile_ratio", "max", conditions, seed=3, maxiter=15)
    assert prop.met
    ell, pov = prop.values["needs.ell.weight"], prop.values["needs.poverty.weight"]
    assert ell >= pov and 0.2 <= ell <= 1.0 and 0.1 <= pov <= 0.6
    assert round(ell, 3) == ell and round(pov, 3) == pov
    alloc = allocate(district, with_values(start, prop.values))
    assert alloc.hold_harmless_cost <= 6_500_000
    assert (alloc.table["delta"] < 0).sum() <= 40
    assert (alloc.table["allocation"] >= np.ceil(alloc.table["prior_allocation"].fillna(0) * 0.97 - 1e-6)).all()
    assert quartile_ratio(district, alloc) == prop.proposed["poverty_quartile_ratio"]
    # better than today's weights, which also meet the conditions
    today = allocate(district, start)
    assert today.hold_harmless_cost <= 6_500_000
    assert prop.proposed["poverty_quartile_ratio"] > quartile_ratio(district, today)
    again = optimise(ev, start, ranges, "poverty_quartile_ratio", "max", conditions, seed=3, maxiter=15)
    assert again.values == prop.values  # a fixed seed: the same proposal


# ---------------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------------

def test_cli_solve_for_writes_a_scenario_that_reads_back(tmp_path, capsys, district):
    out = tmp_path / "solved.toml"
    code = main(["solve-for", *DATA, "--scenario", str(SCEN / "baseline.toml"), "--vary", "needs.ell.weight",
                 "--target", "poverty_quartile_ratio=1.2", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and "needs.ell.weight = " in printed and "written to" in printed
    written = load_scenario(out)
    value = dict(written.overrides)["needs.ell.weight"]
    assert abs(quartile_ratio(district, allocate(district, written)) - 1.2) < 1e-6
    # the ratio to 3 decimals as on its card; the baseline's weight 0.4 as the sidebar writes it
    now = quartile_ratio(district, allocate(district, scenario("baseline")))
    assert printed.splitlines()[0] == (f"needs.ell.weight = {value:g} gives poverty_quartile_ratio = 1.200 "
                                       f"(target 1.200; now 0.40 gives {now:.3f})")
    # the biggest loss in percent of last year to one decimal (as the biggest-loss card)
    t = allocate(district, written).table
    loss = max(-(t["delta"] / t["prior_allocation"]).dropna()) * 100
    assert f"  biggest loss (percent of last year): {loss:.1f}%" in printed.splitlines()


def test_cli_sweep_writes_the_contract_columns(tmp_path, capsys):
    out = tmp_path / "sweep.csv"
    code = main(["sweep", *DATA, "--scenario", str(SCEN / "baseline.toml"), "--vary", "needs.ell.weight=0.3:0.5:3",
                 "--out", str(out)])
    assert code == 0 and "3 combinations" in capsys.readouterr().out
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["needs.ell.weight", "base_per_weighted_pupil", "total", "schools_gaining",
                                   "schools_losing", "biggest_loss", "hold_harmless_cost", "poverty_quartile_ratio",
                                   "gini", "feasible", "problem"]
    assert frame["needs.ell.weight"].tolist() == [0.3, 0.4, 0.5]


@pytest.mark.parametrize("args, says", [
    (["sweep", "--vary", "needs.nothing.weight=0:1:3"], "'nothing' is not one"),
    (["sweep", "--vary", "needs.ell.weight=0.8:0.2:3"], "FROM no greater than TO"),
    (["sweep", "--vary", "needs.ell.weight=0.2:0.8:0"], "STEPS as a whole number"),
    (["sweep", "--vary", "needs.ell.weight=0:1:1001", "--vary", "needs.poverty.weight=0:1:1000"],
     "at most 1,000,000 combinations"),
    (["sweep", "--vary", "needs.ell.weight=-1:1:3"], "a value of at least 0"),
    (["sweep", "--vary", "needs.ell.weight=0:1:3", "--also", "happiness"], "the name of a result"),
    (["solve-for", "--vary", "needs.ell.weight", "--target", "happiness=3"], "the name of a result"),
    (["solve-for", "--vary", "needs.ell.weight", "--target", "poverty_quartile_ratio=5"], "runs from"),
    (["solve-for", "--vary", "funding.mode", "--target", "gini=0.1"], "funding.budget"),
    (["optimise", "--vary", "needs.ell.weight=0.2:1", "--maximise", "gini", "--subject-to", "gini < 3"],
     "LEFT <= RIGHT"),
])
def test_cli_bad_requests_exit_2_with_one_clear_message(args, says, tmp_path, capsys):
    command, rest = args[0], args[1:]
    extra = ["--out", str(tmp_path / "x.csv")] if command == "sweep" else []
    code = main([command, *DATA, "--scenario", str(SCEN / "baseline.toml"), *rest, *extra])
    err = capsys.readouterr().err
    assert code == 2 and says in err and "Traceback" not in err
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("name, values", [
    ("baseline", {"needs.ell.weight": 0.537}),
    ("baseline", {"needs.ell.weight": 0.6, "needs.sped.levels.resource": 0.7}),
    ("ell_050", {"needs.ell.weight": 0.45, "needs.poverty.weight": 0.3}),
    ("ell_050", {"needs.poverty.weight": 0.3, "funding.budget": 250_000_000}),
])
def test_need_weights_set_directly_equal_the_validated_table(name, values):
    """The sweep's direct route for need weights builds exactly the table `apply_overrides` does."""
    from sbb.weights import apply_overrides

    start = scenario(name)
    fast = with_values(start, values)
    overrides = dict(start.overrides)
    for k, v in values.items():
        if k.startswith("needs."):
            overrides.pop(k, None)
            overrides[k] = v
    assert fast.weights == apply_overrides(start.baseline, overrides, start.file)
    assert dict(fast.overrides) == overrides


def test_batch_equals_allocate_point_by_point(district):
    """The batched solve and rounding give allocate()'s whole-dollar (and whole-cent) allocations at
    every point: floors and caps binding, caps too tight to spend the budget, budgets too small for
    the floors, need weights and limits varied together."""
    from dataclasses import replace

    from sbb.design import batch
    from sbb.design.target import outcome_of, poverty_counts

    cases = []
    for name in ("baseline", "ell_050_hold_harmless", "hold_harmless_3pct", "poverty_030"):
        start = scenario(name)
        for ell in (0.0, 0.37, 0.81):
            for gain in (None, 0.5, 4.0):
                for budget in (None, 230_000_000, 262_500_000):
                    values = {"needs.ell.weight": ell, **({"funding.budget": budget} if budget else {})}
                    s = with_values(start, values)
                    cases.append(replace(s, max_gain_pct=gain) if gain is not None else s)
    toa = scenario("theory_of_action")  # central costs off the top and support by band, in one year
    toa = replace(toa, theory=replace(toa.theory, phase_in_years=None))
    cases += [with_values(toa, {"needs.poverty.weight": v}) for v in (0.1, 0.25, 0.6)]
    cents = replace(scenario("hold_harmless_3pct"), rounding="cents", budget=256_512_266.37)
    cases += [with_values(cents, {"needs.sped.levels.resource": v}) for v in (0.3, 0.55, 0.9)]
    ev = Evaluator(district, scenario("baseline"))
    got = batch.outcomes(ev, cases)
    # every case went through the batch itself (had its formula line drifted from the engine's, the
    # batch would have fallen back to the ordinary route, silently slower: this says so)
    assert ev.batched == len(cases)
    poor = poverty_counts(district, cases[0])
    infeasible = 0
    for s, o in zip(cases, got):
        try:
            ref = outcome_of(allocate(district, s), poor)
        except Exception as err:  # noqa: BLE001  (the same refusal, with the same words)
            assert not hasattr(o, "units") and str(o) == str(err)
            infeasible += 1
            continue
        assert np.array_equal(o.units, ref.units) and np.array_equal(o.formula_units, ref.formula_units)
        assert o.base == pytest.approx(ref.base, rel=1e-12)
        assert o.measure("vertical", "quartile_ratio") == pytest.approx(ref.measure("vertical", "quartile_ratio"), rel=1e-12)
        assert o.measure("equity", "gini") == pytest.approx(ref.measure("equity", "gini"), rel=1e-12)
    assert 0 < infeasible < len(cases) / 2


def test_cli_optimise_writes_a_proposal_that_meets_its_conditions(tmp_path, capsys, district):
    out = tmp_path / "proposal.toml"
    code = main(["optimise", *DATA, "--scenario", str(SCEN / "hold_harmless_3pct.toml"),
                 "--vary", "needs.ell.weight=0.2:1.0", "--vary", "needs.poverty.weight=0.1:0.6",
                 "--maximise", "poverty_quartile_ratio", "--subject-to", "hold_harmless_cost <= 6500000",
                 "--subject-to", "needs.ell.weight >= needs.poverty.weight", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0 and "holds: hold_harmless_cost <= 6500000" in printed and "BROKEN" not in printed
    proposal = load_scenario(out)
    values = dict(proposal.overrides)
    assert values["needs.ell.weight"] >= values["needs.poverty.weight"]
    alloc = allocate(district, proposal)
    assert alloc.hold_harmless_cost <= 6_500_000
    assert quartile_ratio(district, alloc) > quartile_ratio(district, allocate(district, scenario("hold_harmless_3pct")))


def test_schools_with_no_dollars_give_nan_equity_not_an_error(district):
    """High schools weighted 0 with every need weight and fixed amount 0 get no dollars: Gini and the
    other log-based measures are undefined (NaN, as `equity_metrics` refuses them), the quartile ratio
    is still computed, and the sweep runs (batched) rather than failing."""
    zero = {"grade.9-12": 0.0, "needs.poverty.weight": 0.0, "needs.ell.weight": 0.0,
            "needs.sped.levels.resource": 0.0, "needs.sped.levels.inclusion": 0.0,
            "needs.sped.levels.self_contained": 0.0, "foundation.per_school": 0.0,
            "concentration.poverty.weight": 0.0, "small_school.per_school": 0.0}
    start = with_values(scenario("baseline"), zero)
    ev = Evaluator(district, start)
    frame = sweep(ev, start, axes_for(start, ["grade.K-3=1:1.2:2"], ev.prior_total), ["mcloone"])
    assert frame["feasible"].all() and frame["gini"].isna().all() and frame["mcloone"].isna().all()
    assert ev.batched == 2
    alloc = allocate(district, with_values(start, {"grade.K-3": 1.2}))
    assert (alloc.table["allocation"] == 0).any()
    assert frame["poverty_quartile_ratio"].iloc[1] == pytest.approx(quartile_ratio(district, alloc), rel=1e-12)
