"""The vectorised model against an independent per-path Python loop on the same random numbers."""

from __future__ import annotations

import numpy as np
import pytest

from detente.scenario.io import load
from detente.war import simulate
from detente.war.params import merge_params
from detente.war.policies import resolve_events
from detente.war.reference import random_numbers, simulate_loop

UKR = load("ukraine-2025")


@pytest.mark.parametrize(
    ("policy", "params"),
    [
        ("credible-pressure", {}),
        ("pressure", {"cap_noise": 0.3, "sigma": 0.01}),
        ("appeasement", {"optimism_A": 0.004, "horizon": 24.0}),
        ("secondary-sanctions", {"enforce_strong": 0.5, "rally": 0.5}),
        (
            "status-quo",
            {
                "front_steps": 10.0,
                "theta": 0.05,
                "control0": 0.5,
                "optimism_A": 0.05,
                "prior_sd_A": 0.0,
                "prior_sd_D": 0.0,
            },
        ),
    ],
)
def test_vectorised_equals_loop(policy: str, params: dict) -> None:
    months, paths, seed = 40, 60, 13
    vec = simulate(UKR, policy, months, paths, seed, params=params)
    P = merge_params(UKR.war, params)
    events = resolve_events(UKR.war, policy, months, P)
    normals, uniforms = random_numbers(np.random.SeedSequence(seed), paths, months, events)
    loop = simulate_loop(P, events, months, paths, normals, uniforms)
    np.testing.assert_array_equal(vec.talks_month, loop["talks_month"])
    np.testing.assert_array_equal(vec.outcome, loop["outcome"])
    # Same arithmetic in a different order (numpy vs math): agree to 1e-9.
    np.testing.assert_allclose(vec.terms, loop["terms"], atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(vec.cost_A, loop["cost_A"], atol=1e-9)
    np.testing.assert_allclose(vec.cost_D, loop["cost_D"], atol=1e-9)
    np.testing.assert_allclose(vec.control, loop["control"], atol=1e-9)
