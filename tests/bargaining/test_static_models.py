"""Median, compromise and Nash bargaining: closed forms on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from detente.bargaining import get_model, make_input
from detente.bargaining.registry import ParameterError

# BDM (1994) emissions case (oracles.md section 1): capability, position, salience.
CAP = [0.08, 0.08, 0.03, 0.16, 0.16, 0.16, 0.16, 0.05, 0.05, 0.08]
POS = [4, 7, 4, 4, 10, 10, 10, 7, 4, 7]
SAL = [80, 40, 20, 80, 60, 60, 90, 10, 100, 70]


def emissions():
    return make_input(POS, np.array(SAL) / 100, CAP, 4, 10)


def test_compromise_closed_form_on_emissions() -> None:
    # By hand: sum c*s*x / sum c*s with c*s = .064,.032,.006,.128,.096,.096,.144,.005,.05,.056
    num = (
        0.064 * 4
        + 0.032 * 7
        + 0.006 * 4
        + 0.128 * 4
        + 0.096 * 10
        + 0.096 * 10
        + 0.144 * 10
        + 0.005 * 7
        + 0.05 * 4
        + 0.056 * 7
    )
    den = 0.064 + 0.032 + 0.006 + 0.128 + 0.096 + 0.096 + 0.144 + 0.005 + 0.05 + 0.056
    assert get_model("compromise")(emissions()).forecast[0, 0] == pytest.approx(
        num / den, abs=1e-12
    )


def test_median_closed_form_on_emissions() -> None:
    # Weights by position: 4 -> .248, 7 -> .093, 10 -> .336; total .677, half .3385.
    # Cumulative: 4 -> .248 < .3385, 7 -> .341 >= .3385, so the weighted median is 7.
    assert get_model("median")(emissions()).forecast[0, 0] == 7.0


def test_median_even_split_takes_midpoint() -> None:
    inp = make_input([0.0, 10.0], [1.0, 1.0], [1.0, 1.0], 0, 10)
    assert get_model("median")(inp).forecast[0, 0] == 5.0


def test_nash_two_actors_with_reference() -> None:
    # cost 0 (pure status-quo disagreement, Nash 1950): u_i = -(x - x_i)^2, d = 0, equal
    # weights: maximise log(16-(x-4)^2) + log(36-(x-6)^2).
    # First-order condition: (x-4)/(16-(x-4)^2) = (6-x)/(36-(x-6)^2); with y = x-4 this is the cubic
    # y(32 + 4y - y^2) = (2 - y)(16 - y^2), i.e. y^3 - 3y^2 - 24y + 16 = 0; its root in (0, 2)
    # is y = 0.62771...
    inp = make_input([4.0, 6.0], [1.0, 1.0], [1.0, 1.0], 0, 10, reference=0)
    y = np.roots([1, -3, -24, 16])
    y = float(np.real(y[(np.abs(np.imag(y)) < 1e-12) & (np.real(y) > 0) & (np.real(y) < 2)][0]))
    nash = get_model("nash")(inp, cost=0.0, risk=2.0)
    assert nash.forecast[0, 0] == pytest.approx(4 + y, abs=1e-9)


def test_nash_symmetric_actors_split_the_difference() -> None:
    # Symmetric around 5 with the same radius to their worst ends: the solution is 5 by symmetry.
    inp = make_input([2.0, 8.0], [0.5, 0.5], [1.0, 1.0], 0, 10)
    assert get_model("nash")(inp).forecast[0, 0] == pytest.approx(5.0, abs=1e-9)


def test_nash_status_quo_stands_when_actors_straddle_it() -> None:
    # With a costless disagreement (cost 0) any move from 5 hurts one of the two: the
    # disagreement point is the only outcome both accept.
    inp = make_input([2.0, 8.0], [1.0, 1.0], [1.0, 1.0], 0, 10, reference=5)
    res = get_model("nash")(inp, cost=0.0)
    assert res.forecast[0, 0] == 5.0 and bool(res.extras["status_quo_stands"][0, 0])


def test_nash_dominant_actor_pulls_towards_itself() -> None:
    weak = get_model("nash")(make_input([4.0, 6.0], 1.0, [1.0, 1.0], 0, 10, reference=0))
    strong = get_model("nash")(make_input([4.0, 6.0], 1.0, [1.0, 9.0], 0, 10, reference=0))
    assert strong.forecast[0, 0] > weak.forecast[0, 0]


def test_parameter_validation_message() -> None:
    with pytest.raises(ParameterError, match="The 'weighting' parameter of median must be one of"):
        get_model("median")(emissions(), weighting="votes")
    with pytest.raises(ParameterError, match="has no parameter 'q'"):
        get_model("median")(emissions(), q=1.0)
