"""Degenerate scenarios through every registered model: a defined, finite result on the issue's
scale, or a clear error; never NaN, a warning turned crash, or a traceback.

Cases (issue 8): one actor; all actors at one position; zero salience everywhere; zero capability
everywhere; both at once; a scale of zero width (a clear error); hundreds of actors.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import numpy as np
import pytest

from detente import api
from detente.bargaining import list_models
from detente.scenario.errors import ScenarioError
from detente.scenario.io import from_data

MODELS = [m.name for m in list_models()]
# Closed forms are compared to 1e-9 of the scale's width: the models do a handful of float
# operations on positions of order 100, so rounding is ~1e-13; 1e-9 leaves room for iterative
# models that stop within a convergence tolerance but move nothing when nobody disagrees.
TOL = 1e-9


def _doc(
    positions: np.ndarray,
    saliences: np.ndarray,
    capabilities: np.ndarray,
    low: float = 0.0,
    high: float = 100.0,
) -> dict[str, Any]:
    n, k = positions.shape
    return {
        "meta": {"title": "degenerate"},
        "issues": [
            {"id": f"i{j}", "name": f"issue {j}", "scale": {"low": low, "high": high}}
            for j in range(k)
        ],
        "actors": [
            {
                "id": f"a{i}",
                "name": f"actor {i}",
                "capability": float(capabilities[i]),
                "positions": {f"i{j}": float(positions[i, j]) for j in range(k)},
                "saliences": {f"i{j}": float(saliences[i, j]) for j in range(k)},
            }
            for i in range(n)
        ],
    }


def _run(doc: dict[str, Any], model: str, **params: Any) -> np.ndarray:
    """Forecast with one model; check every output is finite and on the scale; return it."""
    scenario = from_data(doc, "<degenerate>")
    with warnings.catch_warnings():
        # A division by zero or an invalid value in numpy is a bug here, not a detail.
        warnings.simplefilter("error", RuntimeWarning)
        fc = api.forecast(scenario, model=model, params={model: params} if params else None)
    res = fc.results[model]
    lo = np.array([i.scale.low for i in scenario.issues])
    hi = np.array([i.scale.high for i in scenario.issues])
    slack = TOL * (hi - lo)
    assert np.all(np.isfinite(res.forecast)), res.forecast
    assert np.all(res.forecast >= lo - slack) and np.all(res.forecast <= hi + slack), res.forecast
    for arr in (res.final_positions, res.trajectory):
        if arr is not None:
            assert np.all(np.isfinite(arr))
    json.dumps(fc.to_dict(), allow_nan=False)  # the JSON view holds no NaN either
    return res.forecast[0]


@pytest.mark.parametrize("model", MODELS)
def test_one_actor_gets_its_own_position(model: str) -> None:
    pos = np.array([[30.0, 70.0]])
    got = _run(_doc(pos, np.full((1, 2), 0.6), np.array([2.0])), model)
    # With a single actor nobody can object: every model must forecast its position.
    np.testing.assert_allclose(got, pos[0], atol=TOL * 100)


@pytest.mark.parametrize("model", MODELS)
def test_everyone_at_one_position_forecasts_it(model: str) -> None:
    rng = np.random.default_rng(1)
    pos = np.full((6, 2), 42.5)
    got = _run(_doc(pos, rng.uniform(0.1, 1, (6, 2)), rng.uniform(0.1, 5, 6)), model)
    np.testing.assert_allclose(got, [42.5, 42.5], atol=TOL * 100)  # unanimity


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("case", ["zero_salience", "zero_capability", "zero_both"])
def test_zero_weights_give_a_defined_result(model: str, case: str) -> None:
    rng = np.random.default_rng(2)
    pos = rng.uniform(0, 100, (5, 2))
    sal = np.zeros((5, 2)) if case != "zero_capability" else rng.uniform(0.1, 1, (5, 2))
    cap = np.zeros(5) if case != "zero_salience" else rng.uniform(0.1, 5, 5)
    got = _run(_doc(pos, sal, cap), model)
    # Nobody weighs anything: the result must still lie within the actors' positions.
    assert np.all(got >= pos.min(axis=0) - TOL * 100) and np.all(got <= pos.max(axis=0) + TOL * 100)


@pytest.mark.parametrize("model", [m.name for m in list_models() if m.multi_issue])
def test_one_issue_works(model: str) -> None:
    rng = np.random.default_rng(3)
    _run(_doc(rng.uniform(0, 100, (4, 1)), rng.uniform(0.1, 1, (4, 1)), np.ones(4)), model)


def test_zero_width_scale_is_a_clear_error() -> None:
    doc = _doc(np.full((3, 2), 5.0), np.full((3, 2), 0.5), np.ones(3), low=5.0, high=5.0)
    with pytest.raises(ScenarioError, match="zero or negative width") as info:
        from_data(doc, "<degenerate>")
    assert info.value.field.startswith("issues[0].scale")


@pytest.mark.parametrize("model", MODELS)
def test_hundreds_of_actors(model: str) -> None:
    rng = np.random.default_rng(4)
    n = 200
    # SMP's cost grows as N^3 per turn (12 s for 200 actors at its default 100 turns on one CPU,
    # 160 s for 400); here it runs 3 turns, enough to exercise every array at that size.
    params = {"max_turns": 3, "min_turns": 1} if model == "smp" else {}
    got = _run(
        _doc(rng.uniform(0, 100, (n, 2)), rng.uniform(0, 1, (n, 2)), rng.uniform(0, 10, n)),
        model,
        **params,
    )
    assert got.shape == (2,)
