"""The engines behind the models give the same numbers, and the random paths do not depend on
how a batch is chunked.

- SMP: the numpy engine against the compiled (numba) kernels, bit for bit (trajectories and
  forecasts), with KTAB's defaults and with non-default options; the branchless, parallel
  challenge kernel against the former branchy one, bit for bit.
- SMP stochastic transitions: one stream per draw, so a batch run whole, in chunks of 1 and 7
  (the model's own chunking and a Monte Carlo's), gives identical results.
- Without numba, ``auto`` runs numpy and ``engine="numba"`` names the extra to install.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.bargaining import engines
from detente.bargaining import smp as smp_mod
from detente.bargaining.arrays import to_arrays
from detente.bargaining.inputs import BargainingInput, make_input
from detente.scenario.errors import DetenteError

KTAB = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "bargaining" / "ktab"
needs_numba = pytest.mark.skipif(not engines.numba_available(), reason="numba not installed")


def _random_batch(seed: int, b: int, n: int, k: int) -> BargainingInput:
    rng = np.random.default_rng(seed)
    pos = np.round(rng.uniform(0, 100, (b, n, k)), 2)
    sal = rng.uniform(0.05, 1.0, (b, n, k))
    sal = np.round(sal / sal.sum(-1, keepdims=True) * rng.uniform(0.5, 1.0, (b, n, 1)), 4)
    cap = np.round(rng.uniform(5, 150, (b, n)), 3)
    return make_input(pos, sal, cap, 0.0, 100.0)


OPTIONS = [
    {},
    {"transitions": "stochastic", "seed": 5},
    {"voting_rule": "cubic", "victory_model": "square", "third_party_commit": "full"},
    {"voting_rule": "binary", "big_r_range": "wide", "big_r_adjust": "full"},
]


@needs_numba
@pytest.mark.parametrize("options", OPTIONS)
def test_smp_numpy_engine_equals_numba_bit_for_bit(options: dict) -> None:
    inp = _random_batch(3, 4, 9, 2)
    a = smp_mod.smp(inp, engine="numpy", **options)
    b = smp_mod.smp(inp, engine="numba", **options)
    np.testing.assert_array_equal(a.trajectory, b.trajectory)
    np.testing.assert_array_equal(a.forecast, b.forecast)
    np.testing.assert_array_equal(a.rounds, b.rounds)


@needs_numba
def test_smp_engines_agree_on_ktab_soe_pol_comp() -> None:
    path = KTAB / "SOE-Pol-Comp.csv"
    if not path.exists():
        pytest.skip(f"KTAB data absent: {path}")
    from detente.scenario.io import load

    inp = to_arrays(load(str(path)))
    a = smp_mod.smp(inp, engine="numpy")
    b = smp_mod.smp(inp, engine="numba")
    assert int(a.rounds[0]) == 27  # KTAB's reference run
    np.testing.assert_array_equal(a.trajectory, b.trajectory)


@needs_numba
def test_branchless_challenge_kernel_equals_the_branchy_one() -> None:
    from detente.bargaining import smp_numba

    rng = np.random.default_rng(1)
    b, n = 3, 11
    d = rng.uniform(0, 1, (b, n, n))
    r_est = rng.uniform(-0.5, 1, (b, n, n))
    sigma = rng.uniform(0.1, 2, (b, n))
    s_tot = rng.uniform(0.2, 1, (b, n))
    for rule in (0, 1, 2):
        for semi in (True, False):
            for q in (1.0, 2.0):
                args = (d, r_est, sigma, s_tot, rule, q, semi)
                old = smp_numba.challenges_branchy(*args)
                for new in (smp_numba.challenges(*args), smp_numba.challenges_parallel(*args)):
                    for x, y in zip(new, old, strict=True):
                        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("engine", ["numpy", "auto"])
def test_stochastic_smp_does_not_depend_on_chunking(
    engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    inp = _random_batch(8, 9, 7, 2)
    opts = {"transitions": "stochastic", "seed": 11, "engine": engine}
    whole = smp_mod.smp(inp, **opts)
    for size in (1, 7):
        parts = [smp_mod.smp(inp.take(slice(a, a + size)), **opts) for a in range(0, 9, size)]
        np.testing.assert_array_equal(np.concatenate([p.forecast for p in parts]), whole.forecast)
        np.testing.assert_array_equal(np.concatenate([p.rounds for p in parts]), whole.rounds)
    # The model's own chunking of the batch (one element per chunk) changes nothing either.
    monkeypatch.setattr(smp_mod, "_CHUNK_FLOATS", 1)
    np.testing.assert_array_equal(smp_mod.smp(inp, **opts).forecast, whole.forecast)
    # Different draws do differ (the streams are per draw, not one stream repeated).
    same = make_input(
        np.repeat(inp.positions[:1], 4, 0),
        np.repeat(inp.saliences[:1], 4, 0),
        np.repeat(inp.capabilities[:1], 4, 0),
        0.0,
        100.0,
    )
    runs = smp_mod.smp(same, **opts)
    assert len({tuple(np.round(r.ravel(), 6)) for r in runs.final_positions}) > 1


def test_stochastic_monte_carlo_same_for_chunks_1_7_and_all() -> None:
    pytest.importorskip("scipy")
    from detente.analysis.montecarlo import monte_carlo
    from detente.scenario.io import load

    sc = load("ukraine-2025")
    params = {"transitions": "stochastic", "seed": 2, "max_turns": 12}
    runs = [monte_carlo(sc, "smp", 14, seed=9, params=params, chunk=c) for c in (1, 7, 14)]
    for r in runs[1:]:
        np.testing.assert_array_equal(r.forecasts, runs[0].forecasts)


def test_without_numba_auto_runs_numpy_and_numba_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engines, "numba_available", lambda: False)
    inp = _random_batch(2, 64, 30, 2)  # large enough that auto would pick numba
    assert not engines.use_numba("auto", 1e12, 1.0, "smp")
    res = smp_mod.smp(inp.take(slice(0, 2)), max_turns=3)
    assert res.forecast.shape == (2, 2)
    with pytest.raises(DetenteError, match=r"pip install 'detente\[fast\]'"):
        smp_mod.smp(inp.take(slice(0, 1)), engine="numba")
    monkeypatch.setenv(engines.ENV_VAR, "numba")
    with pytest.raises(DetenteError, match="numba"):
        engines.use_numba("auto", 0, 1.0, "eum")
