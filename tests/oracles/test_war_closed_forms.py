"""Closed forms of the war-termination literature, reached by the war model's own simulation
(detente.war.engine.simulate_paths, the engine of `detente war`), set up so that it reduces to
each game. The formulas (detente.war.closed_forms) are computed here independently of the kernel.

- Fearon (1995): under complete information (tau = 0, no expected shift of power) every path
  settles in month 1, on terms inside Fearon's range [p - c_A, p + c_D] where p is the attacker's
  fight-to-the-finish P(win) and c the expected cost of the war to the finish (Slantchev's
  no-delay case: settlement is immediate and between the two sides' war values).
- The fight to the finish (Slantchev 2003 set-up, continuous front): when no deal can ever be
  struck, the front is a random walk absorbed at 0 and 1; P(attacker wins) and the expected
  number of battle months match the gambler's-ruin closed forms (tolerance: Monte Carlo error
  plus the overshoot of monthly Gaussian steps, 0.03 and 12%).
- Powell (2006): with complete information and a foreseen shift of power (the defender
  mobilising), talks open in month 1 iff the declining side's commitment condition fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from detente.war.closed_forms import brownian_expected_battles as bm_steps
from detente.war.closed_forms import brownian_win_prob as bm_win
from detente.war.closed_forms import fearon_range, nash_split, powell_commitment_war
from detente.war.engine import simulate_paths
from detente.war.kernel import A_WINS, D_WINS, SETTLED

BASE = {
    "capability_A": 0.02,
    "capability_D": 0.01,
    "control0": 0.4,
    "mobil0": 1.0,
    "mobil_rate": 0.0,
    "battle_rate": 1.0,
    "sigma": 0.1,
    "beta": 0.05,
    "tau": 0.0,
    "cost": 0.002,
    "elapsed": 0.0,
}


def test_fearon_range_complete_information() -> None:
    res = simulate_paths(None, "status-quo", 12, 500, 1, params=BASE)
    assert np.all(res.outcome == SETTLED) and np.all(res.end_month == 1)
    assert np.all((res.range_lo > 0) & (res.range_hi < 1))  # the range is not clipped here
    cA0, cD0, x = BASE["capability_A"], BASE["capability_D"], BASE["control0"]
    mu = BASE["beta"] * math.log(cA0 / cD0)
    s2 = BASE["sigma"] ** 2
    p = bm_win(x, mu, s2)
    months = bm_steps(x, mu, s2) / BASE["battle_rate"]
    c_A = BASE["cost"] * 2 * cD0 / (cA0 + cD0) * months
    c_D = BASE["cost"] * 2 * cA0 / (cA0 + cD0) * months
    # Fearon: the range is [p - c_A, p + c_D]; the simulation's is the same, to rounding, and
    # its terms are the Nash split with disagreement point (p - c_A, 1 - p - c_D)
    lo, hi = fearon_range(p, c_A, c_D)
    assert np.allclose(res.range_lo, lo, atol=1e-9)
    assert np.allclose(res.range_hi, hi, atol=1e-9)
    assert np.allclose(res.terms, nash_split(lo, 1 - hi), atol=1e-9)


@pytest.mark.parametrize("beta", [0.0, 0.03])
def test_fight_to_the_finish_random_walk(beta: float) -> None:
    # No deal can be struck: the defender is always mobilising a little (a foreseen shift) and
    # delta = 1 makes any shift block a deal (Powell's condition with delta^W = 1); no costs, so
    # no fading unless the drift is exactly zero (excluded by beta > 0; at beta = 0 fading needs
    # V = x exactly, which the check below allows for).
    params = {
        **BASE,
        "beta": beta,
        "sigma": 0.05,
        "cost": 0.0,
        "mobil0": 0.999,
        "mobil_rate": 1e-4,
        "delta": 1.0,
        "control0": 0.5,
    }
    n = 4000
    res = simulate_paths(None, "status-quo", 1200, n, 3, params=params)
    mu = beta * math.log(BASE["capability_A"] / (BASE["capability_D"] * 0.999))
    s2 = 0.05**2
    ended = (res.outcome == A_WINS) | (res.outcome == D_WINS)
    if beta == 0.0:
        # zero drift: both sides value the line at exactly x, so the war fades at once
        assert np.mean(ended) < 0.05 or np.mean(ended) > 0.95
        return
    assert np.mean(ended) > 0.99
    p_sim = np.mean(res.outcome == A_WINS)
    p = bm_win(0.5, mu, s2)
    assert abs(p_sim - p) < 0.03 + 3 * math.sqrt(p * (1 - p) / n)
    steps = bm_steps(0.5, mu, s2)
    assert abs(res.end_month[ended].mean() - steps) / steps < 0.12


@pytest.mark.parametrize(
    ("mobil0", "rate", "delta"),
    [(0.5, 0.1, 0.99), (0.9, 0.1, 0.99), (0.5, 0.01, 0.9), (0.7, 0.3, 0.95), (0.97, 0.05, 0.999)],
)
def test_powell_commitment_condition(mobil0: float, rate: float, delta: float) -> None:
    W = 12.0
    params = {**BASE, "mobil0": mobil0, "mobil_rate": rate, "delta": delta, "window": W}
    res = simulate_paths(None, "status-quo", 2, 50, 5, params=params)
    cA0, cD0, x = BASE["capability_A"], BASE["capability_D"], BASE["control0"]
    s2 = BASE["sigma"] ** 2

    def capD(t: float) -> float:
        return cD0 * (1 - (1 - mobil0) * math.exp(-rate * t))

    p_now = bm_win(x, BASE["beta"] * math.log(cA0 / capD(1.0)), s2)
    p_next = bm_win(x, BASE["beta"] * math.log(cA0 / capD(1.0 + W)), s2)
    c_A = BASE["cost"] * 2 * capD(1.0) / (cA0 + capD(1.0))
    blocked = powell_commitment_war(delta**W, p_now, p_next, c_A * W)
    settled_at_once = bool(np.all((res.outcome == SETTLED) & (res.end_month == 1)))
    assert settled_at_once == (not blocked)
