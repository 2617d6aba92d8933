"""EUM's default point forecast is stable: mirroring the scale mirrors it, and rounds added after
the positions have settled into a cycle do not change it (hypothesis properties), while
Scholz et al.'s reading (``SCHOLZ``) is kept as an option."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente import api
from detente.bargaining.arrays import to_arrays
from detente.bargaining.eum import SCHOLZ
from detente.bargaining.inputs import make_input
from detente.bargaining.registry import get_model

eum = get_model("eum")


@st.composite
def cases(draw: st.DrawFn, n_max: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(3, n_max))
    k = draw(st.integers(1, 2))
    # Positions on a half-point grid (DEU's are whole points): x -> 100 - x and the mirror about
    # the positions' range are then exact in floating point. With arbitrary floats, two
    # positions 1e-8 apart can swap order under a rounding error of 1e-14 and the (discontinuous)
    # offer dynamics part: a property of floating point, not of the model.
    grid = st.integers(0, 200).map(lambda v: 0.5 * v)
    pos = np.array(draw(st.lists(grid, min_size=n * k, max_size=n * k))).reshape(n, k)
    sal = np.array(draw(st.lists(st.floats(0.05, 1), min_size=n * k, max_size=n * k)))
    cap = np.array(draw(st.lists(st.floats(0.5, 10), min_size=n, max_size=n)))
    return pos, sal.reshape(n, k), cap


@settings(max_examples=60, deadline=None)
@given(cases())
def test_mirroring_the_scale_mirrors_the_default_forecast(case) -> None:
    pos, sal, cap = case
    a = eum(make_input(pos, sal, cap, 0, 100)).forecast
    b = eum(make_input(100.0 - pos, sal, cap, 0, 100)).forecast
    # Tolerance 1e-6 points: mirroring twice (100 - x, then about the range's centre) returns the
    # positions up to rounding only.
    np.testing.assert_allclose(a, 100.0 - b, atol=1e-6)


@settings(max_examples=50, deadline=None)
@given(cases(), st.integers(1, 9))
def test_rounds_after_convergence_do_not_change_the_default_forecast(case, more) -> None:
    pos, sal, cap = case
    inp = make_input(pos, sal, cap, 0, 100)
    base = eum(inp)
    later = eum(inp, rounds=eum.defaults()["rounds"] + more)
    settled = base.extras["converged"][0]
    # Where the run (and its mirror) had settled into a cycle, any number of further rounds
    # gives the same forecast: the average over a whole cycle does not depend on its phase.
    np.testing.assert_allclose(later.forecast[0][settled], base.forecast[0][settled], atol=1e-6)


def test_scholz_reading_alternates_and_the_default_does_not() -> None:
    # ukraine-2025, security: Scholz's round-8 median is 70, round 12's 6.8 (the alternation
    # the issue reports); the settled forecast is the same for every round count from 9 on.
    inp = to_arrays(api.load("ukraine-2025"))
    k = inp.issue_ids.index("security")
    scholz = [eum(inp, **{**SCHOLZ, "rounds": r}).forecast[0, k] for r in (8, 12)]
    assert scholz[0] == pytest.approx(70.0, abs=1e-6) and scholz[1] < 10.0
    settled = [eum(inp, rounds=r).forecast[0, k] for r in (9, 12, 13, 20, 21)]
    assert np.ptp(settled) < 1e-6


def test_scholz_reading_is_not_mirror_invariant() -> None:
    # Why the default changed: under SCHOLZ mirroring the scale moves the forecast in a sizeable
    # share of random 10-actor cases (the issue counted 46 of 200).
    rng = np.random.default_rng(0)
    pos = rng.uniform(0, 100, (200, 10, 1))
    sal = rng.uniform(0.1, 1, (200, 10, 1))
    cap = rng.uniform(1, 10, (200, 10))
    a = eum(make_input(pos, sal, cap), **SCHOLZ).forecast
    b = eum(make_input(100 - pos, sal, cap), **SCHOLZ).forecast
    moved = int((np.abs(a + b - 100) > 1e-6).sum())
    assert moved > 20
    c = eum(make_input(pos, sal, cap)).forecast
    d = eum(make_input(100 - pos, sal, cap)).forecast
    assert int((np.abs(c + d - 100) > 1e-6).sum()) == 0
