"""Properties every static model must have, checked with hypothesis on random scenarios."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.bargaining import get_model, make_input

STATIC = ["median", "compromise", "nash"]


@st.composite
def scenarios(draw, min_actors: int = 1, max_actors: int = 9):
    n = draw(st.integers(min_actors, max_actors))
    k = draw(st.integers(1, 3))
    unit = st.floats(0.0, 1.0, allow_nan=False)
    pos = np.array(draw(st.lists(st.lists(unit, min_size=k, max_size=k), min_size=n, max_size=n)))
    sal = np.array(
        draw(
            st.lists(st.lists(st.floats(0.05, 1.0), min_size=k, max_size=k), min_size=n, max_size=n)
        )
    )
    cap = np.array(draw(st.lists(st.floats(0.05, 10.0), min_size=n, max_size=n)))
    ref = draw(st.one_of(st.none(), st.floats(0.0, 1.0)))
    return pos * 100, sal, cap, ref


def _run(model: str, pos, sal, cap, ref, lo=0.0, hi=100.0):
    return get_model(model)(make_input(pos, sal, cap, lo, hi, reference=ref)).forecast[0]


@settings(max_examples=60, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_permuting_actors_changes_nothing(sc, rnd) -> None:
    pos, sal, cap, ref = sc
    ref = None if ref is None else ref * 100
    perm = np.array(rnd.sample(range(len(cap)), len(cap)))
    for model in STATIC:
        a = _run(model, pos, sal, cap, ref)
        b = _run(model, pos[perm], sal[perm], cap[perm], ref)
        np.testing.assert_allclose(a, b, atol=1e-9, err_msg=model)


@settings(max_examples=60, deadline=None)
@given(scenarios(), st.floats(0.1, 10.0), st.floats(-500.0, 500.0))
def test_affine_change_of_scale_moves_forecast_alike(sc, a, b) -> None:
    pos, sal, cap, ref = sc
    ref = None if ref is None else ref * 100
    for model in STATIC:
        base = _run(model, pos, sal, cap, ref)
        moved = _run(
            model, a * pos + b, sal, cap, None if ref is None else a * ref + b, lo=b, hi=100 * a + b
        )
        # Bisection (nash) converges to ~1e-13 relative; allow for the scale factor.
        np.testing.assert_allclose(
            moved, a * base + b, atol=1e-7 * max(1.0, a * 100), err_msg=model
        )


@settings(max_examples=60, deadline=None)
@given(scenarios(), st.floats(0.0, 100.0))
def test_unanimity_returns_the_common_position(sc, common) -> None:
    _, sal, cap, ref = sc
    pos = np.full((len(cap), sal.shape[1]), common)
    for model in STATIC:
        # With a reference point elsewhere everybody gains by moving to the common position.
        np.testing.assert_allclose(_run(model, pos, sal, cap, None), common, atol=1e-7)
        if ref is not None:
            np.testing.assert_allclose(_run(model, pos, sal, cap, ref * 100), common, atol=1e-7)


@settings(max_examples=80, deadline=None)
@given(scenarios())
def test_forecast_lies_within_the_positions(sc) -> None:
    pos, sal, cap, ref = sc
    ref = None if ref is None else ref * 100
    for model in STATIC:
        f = _run(model, pos, sal, cap, ref)
        assert np.all(f >= pos.min(axis=0) - 1e-7) and np.all(f <= pos.max(axis=0) + 1e-7), model


def test_batch_equals_separate_runs() -> None:
    rng = np.random.default_rng(7)
    pos = rng.uniform(0, 100, (5, 6, 2))
    sal = rng.uniform(0.1, 1, (5, 6, 2))
    cap = rng.uniform(0.1, 2, (5, 6))
    for model in STATIC:
        batch = get_model(model)(make_input(pos, sal, cap, 0, 100)).forecast
        for b in range(5):
            one = get_model(model)(make_input(pos[b], sal[b], cap[b], 0, 100)).forecast[0]
            np.testing.assert_allclose(batch[b], one, atol=1e-12, err_msg=model)
