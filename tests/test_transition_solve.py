"""The budget-neutral solve with a transition: exact, and one sort even when breakpoints tie."""

import numpy as np

from sbb.solve import solve_total
from sbb.transition import Transition, transition_total


def test_tied_breakpoints_are_merged_with_one_sort(monkeypatch):
    # Three schools of 10 weighted pupils, no fixed dollars, no floor or cap; priors 1,000, 1,000
    # and 2,000; the transition gives half of a gain and all of a loss. Schools 1 and 2 leave their
    # line at the same base (1,000 / 10 = 100): two breakpoints that tie.
    # For 100 <= b <= 200: schools 1 and 2 get 1,000 + 0.5 x (10b - 1,000) = 500 + 5b each,
    # school 3 gets 10b (below its prior, all of the loss), so T(b) = 1,000 + 20b;
    # T(b) = 4,000 at b = 3,000 / 20 = 150 (inside [100, 200]).
    calls = []
    real = np.argsort

    def counting(*args, **kwargs):
        calls.append(kwargs.get("kind"))
        return real(*args, **kwargs)

    monkeypatch.setattr(np, "argsort", counting)
    w, f = np.full(3, 10.0), np.zeros(3)
    lo, hi = np.full(3, -np.inf), np.full(3, np.inf)
    prior = np.array([1000.0, 1000.0, 2000.0])
    total = transition_total(w, f, lo, hi, prior, Transition(0.5, 1.0))
    assert solve_total(total, 4000.0) == 150.0
    assert total.knots.tolist() == [0.0, 100.0, 200.0]  # the tie at 100 is one knot
    assert len(calls) == 1  # the breakpoints were sorted once (before: an unstable, then a stable sort)
    # Beyond 200, school 3 gains too: T(b) = 2 x (500 + 5b) + 2,000 + 0.5 x (10b - 2,000) = 2,000 + 15b,
    # so T = 6,500 at b = 4,500 / 15 = 300.
    assert solve_total(total, 6500.0) == 300.0


def test_usual_case_floor_prior_cap(monkeypatch):
    # Two identical schools (every breakpoint ties): 10 weighted pupils, prior 1,000, floor 970,
    # cap 1,100 before the transition; half of a gain, all of a loss. Each gets
    #   970 for 10b <= 970; 10b up to 1,000; 1,000 + 0.5 x (10b - 1,000) = 500 + 5b up to 1,100; then 1,050.
    # A pot of 2,050: 2 x (500 + 5b) = 2,050 at b = 1,050 / 10 = 105; a pot of 1,960: 2 x 10b at b = 98.
    calls = []
    real = np.argsort
    monkeypatch.setattr(np, "argsort", lambda *a, **k: calls.append(1) or real(*a, **k))
    w, f = np.full(2, 10.0), np.zeros(2)
    total = transition_total(w, f, np.full(2, 970.0), np.full(2, 1100.0), np.full(2, 1000.0), Transition(0.5, 1.0))
    assert total.knots.tolist() == [0.0, 97.0, 100.0, 110.0]
    assert solve_total(total, 2050.0) == 105.0
    assert solve_total(total, 1960.0) == 98.0
    assert total.total(200.0) == 2100.0  # both at the cap: 2 x 1,050
    assert len(calls) == 1
