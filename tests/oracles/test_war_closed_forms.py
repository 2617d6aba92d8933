"""War termination: the closed forms of oracles.md section 4, and the simulation in the special
cases that reduce to them."""

from __future__ import annotations

import numpy as np
import pytest

from detente.war import simulate
from detente.war.closed_forms import (
    fearon_range,
    gambler_expected_battles,
    gambler_win_prob,
    nash_split,
    powell_commitment_war,
    powell_payoffs,
    tioli_demand,
)
from detente.war.model import A_WINS, D_WINS, TALKS

# Complete information: no optimism, dogmatic (zero-variance) beliefs, no aid to discount.
COMPLETE = {
    "optimism_A": 0.0,
    "optimism_D": 0.0,
    "prior_sd_A": 0.0,
    "prior_sd_D": 0.0,
    "aid": 0.0,
}


@pytest.mark.parametrize(
    ("control0", "theta", "horizon", "w_cas_A", "w_cas_D"),
    [(0.5, 0.0, 12.0, 1e-3, 2e-3), (0.3, 0.01, 12.0, 5e-4, 1e-4), (0.7, -0.005, 24.0, 0.0, 1e-3)],
)
def test_complete_information_talks_at_once_within_fearon_range(
    control0: float, theta: float, horizon: float, w_cas_A: float, w_cas_D: float
) -> None:
    # kappa = 0 and a tiny sigma: the expected outcome of war is p = control0 + horizon * theta
    # (clipping is ~40 sd away), so Fearon's range is [p - c_A, p + c_D] with c = horizon x the
    # monthly weighted cost (money weights 0, so costs are casualties x weight).
    params = {
        **COMPLETE,
        "control0": control0,
        "theta": theta,
        "kappa": 0.0,
        "sigma": 1e-4,
        "horizon": horizon,
        "w_casualties_A": w_cas_A,
        "w_casualties_D": w_cas_D,
        "w_money_A": 0.0,
        "w_money_D": 0.0,
        "casualties_A": 10.0,
        "casualties_D": 10.0,
    }
    res = simulate(None, "status-quo", months=6, paths=500, seed=1, params=params)
    assert np.all(res.talks_month == 1) and np.all(res.outcome == TALKS)
    p = control0 + horizon * theta
    lo, hi = fearon_range(p, horizon * 10.0 * w_cas_A, horizon * 10.0 * w_cas_D)
    # tolerance 1e-9: the only approximation is the clipped normal's tails at ~40 sd
    assert np.all(res.terms >= lo - 1e-9) and np.all(res.terms <= hi + 1e-9)
    np.testing.assert_allclose(res.terms, (lo + hi) / 2, atol=1e-9)  # Nash: the middle


def test_fearon_range_contains_p_and_is_never_empty() -> None:
    rng = np.random.default_rng(0)
    for p, ca, cb in rng.random((100, 3)):
        lo, hi = fearon_range(p, ca, cb)
        assert lo <= p <= hi and hi - lo == pytest.approx(ca + cb)


def test_tioli_published_example() -> None:
    x, pwar = tioli_demand(0.5, 0.1, 0.3)
    assert x == pytest.approx(0.60) and pwar == pytest.approx(1 / 3)
    assert tioli_demand(0.5, 0.3, 0.2) == (0.5, 0.0)  # cbar <= c_A: demand p, no war


@pytest.mark.parametrize(
    ("p", "c_A", "cbar"), [(0.5, 0.1, 0.3), (0.3, 0.05, 0.4), (0.7, 0.2, 0.25)]
)
def test_tioli_formula_against_brute_force(p: float, c_A: float, cbar: float) -> None:
    # Re-derive by brute force: B's costs drawn uniformly, B accepts iff c_B >= x - p; A picks the
    # demand on a fine grid that maximises its Monte Carlo expected utility.
    rng = np.random.default_rng(42)
    c_B = np.sort(rng.uniform(0.0, cbar, 400_000))
    grid = np.linspace(p, min(1.0, p + cbar), 401)
    accept = 1.0 - np.searchsorted(c_B, grid - p, side="left") / c_B.size  # P(c_B >= x - p)
    utility = accept * grid + (1.0 - accept) * (p - c_A)
    x_star, pwar = tioli_demand(p, c_A, cbar)
    # tolerance: the utility is flat near its maximum (quadratic), so the Monte Carlo argmax
    # wanders by O(sqrt(SE)); 0.01 is ~3 grid steps and far below (cbar - c_A)/2
    assert grid[np.argmax(utility)] == pytest.approx(x_star, abs=0.01)
    sim_war = np.mean(c_B < x_star - p)
    se = np.sqrt(pwar * (1 - pwar) / c_B.size)
    assert abs(sim_war - pwar) < 4 * se  # binomial standard error, 4 sigma


def test_gambler_published_check() -> None:
    assert gambler_win_prob(0.6, 6, 3) == pytest.approx(0.7714, abs=5e-5)
    assert gambler_expected_battles(0.6, 6, 3) == pytest.approx(8.143, abs=5e-4)
    assert gambler_win_prob(0.5, 6, 2) == pytest.approx(2 / 6)
    assert gambler_expected_battles(0.5, 6, 2) == 8.0


def _finish_params(p_up: float, n: int, k: int) -> dict[str, float]:
    # The war model reduced to the fight to the finish: a lattice front of n steps starting at k,
    # P(up) = 1/2 + n * drift / 2 with drift = theta (kappa = 0), and no talks ever: the attacker is
    # dogmatically optimistic and war costs nothing, so a bargaining range never opens.
    return {
        "front_steps": float(n),
        "control0": k / n,
        "theta": (2 * p_up - 1) / n,
        "kappa": 0.0,
        "optimism_A": 0.05,
        "optimism_D": 0.05,
        "prior_sd_A": 0.0,
        "prior_sd_D": 0.0,
        "w_casualties_A": 0.0,
        "w_casualties_D": 0.0,
        "w_money_A": 0.0,
        "w_money_D": 0.0,
        "horizon": 1.0,
    }


@pytest.mark.parametrize(("p_up", "n", "k"), [(0.6, 6, 3), (0.5, 6, 2), (0.45, 8, 5)])
def test_fight_to_the_finish_matches_gamblers_ruin(p_up: float, n: int, k: int) -> None:
    paths = 20_000
    # 300 battles: P(a walk on <= 8 steps with p in [0.45, 0.6] still going) < 1e-10 per path
    res = simulate(
        None, "status-quo", months=300, paths=paths, seed=7, params=_finish_params(p_up, n, k)
    )
    assert np.all(res.talks_month == -1)
    assert np.all(res.outcome != 0)
    win = gambler_win_prob(p_up, n, k)
    se = np.sqrt(win * (1 - win) / paths)
    assert abs(np.mean(res.outcome == A_WINS) - win) < 4 * se  # binomial SE, 4 sigma
    battles = res.end_month.astype(float)
    expected = gambler_expected_battles(p_up, n, k)
    se_b = battles.std(ddof=1) / np.sqrt(paths)
    assert abs(battles.mean() - expected) < 4 * se_b  # CLT standard error, 4 sigma
    assert np.all((res.outcome == A_WINS) | (res.outcome == D_WINS))


def test_powell_inequality_matches_payoff_comparison() -> None:
    # The closed form must agree with comparing D's war and peace values directly.
    rng = np.random.default_rng(3)
    for delta, p_t, drop, c in rng.random((2_000, 4)):
        delta = 0.05 + 0.9 * delta
        p_next = p_t * (1 - drop)
        c = 0.2 * c
        war, peace = powell_payoffs(delta, p_t, p_next, c)
        if abs(war - peace) < 1e-9:
            continue
        assert powell_commitment_war(delta, p_t, p_next, c) == (war > peace)
    assert not powell_commitment_war(0.9, 0.5, 0.5, 0.1)  # no shift, no war


def test_nash_split_maximises_the_nash_product() -> None:
    grid = np.linspace(0, 1, 100_001)
    for d_a, d_b in [(0.2, 0.3), (0.0, 0.0), (0.45, 0.5), (-0.1, 0.2)]:
        product = (grid - d_a) * (1 - grid - d_b)
        assert nash_split(d_a, d_b) == pytest.approx(grid[np.argmax(product)], abs=1e-5)
