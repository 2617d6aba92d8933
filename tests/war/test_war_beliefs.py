"""Beliefs: normal-normal learning concentrates; threat credibility falls with each missed deadline
and rises with each kept one (oracles.md section 4: battles reveal information)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.scenario.estimate import Estimate
from detente.scenario.war_schema import EventSpec, PolicySpec, WarSpec
from detente.war import simulate
from detente.war.beliefs import (
    beta_deadline,
    beta_mean,
    clipped_normal_mean,
    normal_update,
    posterior_var_after,
)


def test_posterior_variance_follows_the_closed_form_and_mean_concentrates() -> None:
    rng = np.random.default_rng(0)
    theta, sigma, v0 = 0.3, 1.0, 4.0
    paths = 20_000
    mean = np.full(paths, -1.0)  # a wrong prior, far from theta
    var = np.full(paths, v0)
    spread = []
    for n in range(1, 201):
        y = theta + sigma * rng.standard_normal(paths)
        mean, var = normal_update(mean, var, y, sigma**2)
        np.testing.assert_allclose(var, posterior_var_after(v0, sigma**2, n), rtol=1e-12)
        if n in (5, 50, 200):
            spread.append(np.sqrt(np.mean((mean - theta) ** 2)))
    # RMS error of the posterior mean ~ posterior sd sqrt(var_n) (a calibrated posterior, the
    # prior bias washes out as 1/n): within 5% at n = 200 (SE of an RMS over 20,000 paths ~0.5%)
    assert spread[0] > spread[1] > spread[2]
    assert spread[2] == pytest.approx(np.sqrt(posterior_var_after(v0, sigma**2, 200)), rel=0.05)


def test_dogmatic_prior_does_not_move() -> None:
    m, v = normal_update(np.array([0.5]), np.array([0.0]), np.array([10.0]), 1.0)
    assert m[0] == 0.5 and v[0] == 0.0


@given(
    a=st.floats(0.01, 50),
    b=st.floats(0.01, 50),
    kept=st.lists(st.booleans(), min_size=1, max_size=30),
)
@settings(max_examples=200, deadline=None)
def test_credibility_falls_with_each_miss_and_rises_with_each_kept(
    a: float, b: float, kept: list[bool]
) -> None:
    ca, cb = np.array([a]), np.array([b])
    for k in kept:
        before = beta_mean(ca, cb)[0]
        ca, cb = beta_deadline(ca, cb, np.array([k]))
        after = beta_mean(ca, cb)[0]
        assert (after > before) if k else (after < before)
    assert ca[0] == pytest.approx(a + sum(kept))
    assert cb[0] == pytest.approx(b + len(kept) - sum(kept))


@given(mu=st.floats(-2, 3), sd=st.floats(1e-3, 2))
@settings(max_examples=100, deadline=None)
def test_clipped_normal_mean_against_quadrature(mu: float, sd: float) -> None:
    z = np.linspace(-12, 12, 200_001)
    w = np.exp(-0.5 * z * z)
    numeric = np.sum(np.clip(mu + sd * z, 0, 1) * w) / np.sum(w)
    # tolerance 1e-6: trapezoid-free Riemann sum on a 1.2e-4 grid of a bounded integrand
    assert clipped_normal_mean(np.array(mu), np.array(sd)) == pytest.approx(numeric, abs=1e-6)


def _threats(enforce: float) -> WarSpec:
    return WarSpec(
        policies={
            "threats": PolicySpec(
                events=[
                    EventSpec(
                        kind="threat",
                        month=1,
                        intensity=Estimate(value=0.2),
                        deadline=1,
                        enforce=Estimate(value=enforce),
                        every=2,
                    )
                ]
            )
        }
    )


@pytest.mark.parametrize(("enforce", "direction"), [(0.0, -1), (1.0, 1)])
def test_model_credibility_moves_at_each_deadline(enforce: float, direction: int) -> None:
    # Deadlines pass at months 2, 4, 6, ...; credibility is recorded at the start of each month.
    no_talks = {"optimism_A": 0.05, "prior_sd_A": 0.0, "prior_sd_D": 0.0}
    res = simulate(
        _threats(enforce), "threats", months=12, paths=50, seed=0, params=no_talks, trace=True
    )
    cred = res.traces["credibility"][:, 0].astype(float)
    for t in range(1, 12):
        step = cred[t] - cred[t - 1]
        if (t + 1) % 2 == 0:  # month t+1 is a deadline
            assert np.sign(step) == direction
        else:
            assert step == 0.0


def test_beliefs_about_the_trend_converge_so_the_gap_closes() -> None:
    # Mutual optimism with learning: the gap between the sides' expected control shrinks month
    # by month (the common observations pull both posteriors to the same value).
    params = {
        "optimism_A": 0.01,
        "optimism_D": 0.01,
        "prior_sd_A": 0.005,
        "prior_sd_D": 0.005,
        "w_casualties_A": 0.0,
        "w_casualties_D": 0.0,
        "w_money_A": 0.0,
        "w_money_D": 0.0,
        "aid": 0.0,
        "control0": 0.5,
        "sigma": 0.01,
    }
    res = simulate(None, "status-quo", months=36, paths=2_000, seed=3, params=params, trace=True)
    gap = res.traces["gap"].mean(axis=1)
    assert np.all(np.diff(gap) < 0)
    assert gap[-1] < 0.2 * gap[0]
