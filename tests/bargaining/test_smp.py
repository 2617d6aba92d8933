"""KTAB SMP: invariants, closed forms and a cross-check against an independent loop version.

The oracle runs against KTAB's published logs are in tests/oracles/test_smp_ktab.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.bargaining import smp as smp_mod
from detente.bargaining.inputs import make_input
from detente.bargaining.registry import ParameterError, get_model
from tests.bargaining.smp_reference import smp_turn_loop


def _random_case(rng: np.random.Generator, n: int, k: int):
    # Positions on KTAB's 0-100 grid with two decimals, saliences summing to <= 1 per actor.
    pos = np.round(rng.uniform(0, 100, (n, k)), 2)
    sal = rng.uniform(0.05, 1.0, (n, k))
    sal = np.round(sal / sal.sum(1, keepdims=True) * rng.uniform(0.5, 1.0, (n, 1)), 4)
    cap = np.round(rng.uniform(5, 150, n), 3)
    return pos, sal, cap


def _one_turn(pos, sal, cap):
    x = (pos / 100.0)[None]
    return smp_mod._turn(x, x, sal[None], cap[None], 0, 1.0, -0.5, 1.0, 1 / 3, True, None)[0]


def test_registered_with_citation_and_params() -> None:
    spec = get_model("smp")
    assert spec.dynamic
    assert "KTAB" in spec.citation and "Efird" in spec.citation
    names = {p.name for p in spec.params}
    assert {"max_turns", "min_turns", "stop_ratio", "transitions", "seed"} <= names
    with pytest.raises(ParameterError, match="transitions"):
        spec.resolve({"transitions": "sometimes"})
    with pytest.raises(ParameterError, match="stop_ratio"):
        spec.resolve({"stop_ratio": -1.0})


@pytest.mark.parametrize("seed", range(6))
def test_one_turn_matches_independent_loop_version(seed: int) -> None:
    # smp_reference is a scalar per-pair implementation written separately from the spec; the
    # moved coordinates are quantised to 1e-4, so both must agree exactly (tolerance 0) unless a
    # rounding boundary is hit, which these seeds do not.
    rng = np.random.default_rng(seed)
    pos, sal, cap = _random_case(rng, int(rng.integers(3, 12)), int(rng.integers(1, 4)))
    loop = np.array(smp_turn_loop((pos / 100).tolist(), sal.tolist(), cap.tolist()))
    np.testing.assert_array_equal(_one_turn(pos, sal, cap), loop)


def test_batch_equals_separate_runs_and_pads_finished_elements() -> None:
    rng = np.random.default_rng(7)
    cases = [_random_case(rng, 6, 2) for _ in range(3)]
    batch = make_input(
        np.stack([c[0] for c in cases]),
        np.stack([c[1] for c in cases]),
        np.stack([c[2] for c in cases]),
    )
    smp = get_model("smp")
    res = smp(batch)
    t_max = int(res.rounds.max())
    assert res.trajectory.shape == (3, t_max + 1, 6, 2)
    for b, (pos, sal, cap) in enumerate(cases):
        one = smp(make_input(pos, sal, cap))
        r = int(one.rounds[0])
        assert r == int(res.rounds[b])
        np.testing.assert_array_equal(res.trajectory[b, : r + 1], one.trajectory[0])
        # Finished elements repeat their final state.
        assert np.all(res.trajectory[b, r:] == one.trajectory[0, -1])
        np.testing.assert_allclose(res.forecast[b], one.forecast[0], rtol=0, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 9),
    k=st.integers(1, 3),
    lo=st.floats(-50, 50),
    width=st.floats(0.5, 200),
)
def test_invariants(seed: int, n: int, k: int, lo: float, width: float) -> None:
    rng = np.random.default_rng(seed)
    pos01, sal, cap = _random_case(rng, n, k)
    pos01 = pos01 / 100.0
    res = get_model("smp")(make_input(lo + width * pos01, sal, cap, lo, lo + width), max_turns=15)
    traj = (res.trajectory[0] - lo) / width  # back on [0, 1]
    rounds = int(res.rounds[0])
    assert 1 <= rounds <= 15
    assert traj.shape == (rounds + 1, n, k)
    assert np.all(traj >= -1e-9) and np.all(traj <= 1 + 1e-9)
    # Every coordinate that moved is a bargain coordinate, rounded to 1e-4 on [0, 1].
    moved = np.abs(traj[1:] - traj[:1]) > 1e-12
    grid = np.abs(traj[1:] * 1e4 - np.round(traj[1:] * 1e4))
    assert np.all(grid[moved] < 1e-6)
    # Probabilities are a distribution over distinct positions; the forecast is their mean.
    # Checked on the [0, 1] scale, where the model's numbers are exact: positions 0.1 apart on
    # 0-100 sit exactly on smpc's "same position" tolerance, so a scale round trip could merge
    # or split them.
    unit = get_model("smp")(make_input(pos01, sal, cap, 0, 1), max_turns=15)
    final = unit.trajectory[0, -1]
    win, distinct = smp_mod.win_probabilities(make_input(pos01, sal, cap, 0, 1), final[None])
    assert abs(distinct.sum() - 1) < 1e-12 and np.all(win >= 0)
    np.testing.assert_allclose(unit.extras["win_prob"], win, rtol=0, atol=0)
    np.testing.assert_allclose(unit.forecast[0], distinct[0] @ final, rtol=0, atol=1e-12)
    # The forecast lies in the box spanned by the final positions.
    assert np.all(unit.forecast[0] >= final.min(0) - 1e-12)
    assert np.all(unit.forecast[0] <= final.max(0) + 1e-12)


def test_scale_invariance() -> None:
    # The model works on [0, 1]: the same scenario on 0-100 and on [-3, 5] gives the same run.
    rng = np.random.default_rng(3)
    pos, sal, cap = _random_case(rng, 8, 2)
    smp = get_model("smp")
    a = smp(make_input(pos, sal, cap, 0, 100))
    b = smp(make_input(-3 + 8 * pos / 100, sal, cap, -3, 5))
    assert np.array_equal(a.rounds, b.rounds)
    np.testing.assert_allclose(a.trajectory / 100, (b.trajectory + 3) / 8, rtol=0, atol=1e-12)


def test_stopping_rule_bounds() -> None:
    rng = np.random.default_rng(11)
    pos, sal, cap = _random_case(rng, 10, 2)
    smp = get_model("smp")
    inp = make_input(pos, sal, cap)
    assert int(smp(inp, max_turns=3, min_turns=1).rounds[0]) <= 3
    # stop_ratio 0 never triggers: the run goes to max_turns unless nothing moves at all.
    full = smp(inp, max_turns=6, stop_ratio=0.0)
    assert int(full.rounds[0]) == 6
    # A huge stop_ratio stops as early as min_turns allows.
    assert int(smp(inp, min_turns=4, stop_ratio=1e9).rounds[0]) == 4


def test_stochastic_is_reproducible_and_moves_only_to_bargains() -> None:
    rng = np.random.default_rng(5)
    pos, sal, cap = _random_case(rng, 7, 2)
    inp = make_input(np.stack([pos, pos]), np.stack([sal, sal]), np.stack([cap, cap]))
    smp = get_model("smp")
    a = smp(inp, transitions="stochastic", seed=42, max_turns=8)
    b = smp(inp, transitions="stochastic", seed=42, max_turns=8)
    np.testing.assert_array_equal(a.trajectory, b.trajectory)
    moved = np.abs(a.trajectory[:, 1:] - a.trajectory[:, :1]) > 1e-12
    grid = np.abs(a.trajectory[:, 1:] * 100 - np.round(a.trajectory[:, 1:] * 100))
    assert np.all(grid[moved] < 1e-6)
    # Over many seeds, draws give at least two different first turns (probabilities < 1).
    firsts = {
        smp(inp.take(slice(0, 1)), transitions="stochastic", seed=s, max_turns=1)
        .trajectory[0, 1]
        .tobytes()
        for s in range(30)
    }
    assert len(firsts) >= 2


def test_pce_two_options_closed_form() -> None:
    # Two options, proportional votes, linear victory: p_a = P_ab / (P_ab + P_ba).
    util = np.array([[[1.0, 0.2], [0.3, 0.9], [0.6, 0.5]]])
    w = np.array([[2.0, 1.0, 4.0]])
    c_ab = 1e-8 + 2 * 0.8 + 4 * 0.1
    c_ba = 1e-8 + 1 * 0.6
    p_ab = c_ab / (c_ab + c_ba)
    logp = smp_mod._pce_log(util, w, 0, 1.0).sum(-1)
    p = smp_mod._normalise_log(logp)[0]
    np.testing.assert_allclose(p, [p_ab, 1 - p_ab], rtol=1e-14)


def test_risk_attitudes_span_mid_range() -> None:
    # BigRRange Mid: the most probable actor gets R = 1, the least probable R = -0.5.
    rng = np.random.default_rng(2)
    pos, sal, cap = _random_case(rng, 9, 2)
    x = (pos / 100)[None]
    d = smp_mod._distances(x, x, sal[None])
    r = smp_mod._risk(d, cap[None], 0, 1.0, -0.5, 1.0)[0]
    assert r.max() == pytest.approx(1.0, abs=1e-12)
    assert r.min() == pytest.approx(-0.5, abs=1e-12)


def test_utility_shape() -> None:
    # u(d, r) = (1 - d)(1 + d r): u(0) = 1, u(1) = 0, risk-averse (r > 0) above the line.
    d = np.linspace(0, 1, 11)
    assert smp_mod._util(np.array(0.0), 0.7) == 1.0
    assert smp_mod._util(np.array(1.0), -0.5) == 0.0
    assert np.all(smp_mod._util(d, 0.5)[1:-1] > 1 - d[1:-1])
    assert np.all(smp_mod._util(d, -0.5)[1:-1] < 1 - d[1:-1])


def test_non_default_options_run_and_stay_on_the_grid() -> None:
    rng = np.random.default_rng(9)
    pos, sal, cap = _random_case(rng, 8, 2)
    inp = make_input(pos, sal, cap)
    smp = get_model("smp")
    base = smp(inp)
    for opts in (
        {"voting_rule": "binary"},
        {"voting_rule": "cubic"},
        {"victory_model": "quartic"},
        {"big_r_range": "neutral"},
        {"big_r_adjust": "full"},
        {"third_party_commit": "full"},
    ):
        res = smp(inp, **opts)
        t = res.trajectory[0]
        assert np.all((t >= 0) & (t <= 100))
        assert np.all(np.abs(t * 100 - np.round(t * 100))[np.abs(t - t[:1]) > 1e-12] < 1e-6)
        assert res.params == {**get_model("smp").defaults(), **opts}
    assert base.params["transitions"] == "deterministic"


def test_ideal_adjust_only_acts_from_the_second_turn() -> None:
    # Ideals start at the positions, so turn 1 is the same for every rate; afterwards ideals
    # that trail the positions (rate < 1) change the run, and rate 1 is the default exactly.
    rng = np.random.default_rng(4)
    pos, sal, cap = _random_case(rng, 9, 2)
    inp = make_input(pos, sal, cap)
    smp = get_model("smp")
    base = smp(inp, max_turns=6, stop_ratio=0.0)
    np.testing.assert_array_equal(
        smp(inp, max_turns=6, stop_ratio=0.0, ideal_adjust=1.0).trajectory, base.trajectory
    )
    slow = smp(inp, max_turns=6, stop_ratio=0.0, ideal_adjust=0.2)
    np.testing.assert_array_equal(slow.trajectory[:, :2], base.trajectory[:, :2])
    assert not np.array_equal(slow.trajectory, base.trajectory)


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_whole_run_matches_loop_version_with_the_stopping_rule(seed: int) -> None:
    # The stopping rule written out by hand (spec section 6) around the scalar loop turn:
    # rho_t = step_t / (step_1 + 1e-4), stop when t >= 2 and rho_t < 0.02, or t = 100.
    rng = np.random.default_rng(seed)
    pos, sal, cap = _random_case(rng, 7, 2)
    states = [(pos / 100).tolist()]
    first = 0.0
    for t in range(1, 101):
        states.append(smp_turn_loop(states[-1], sal.tolist(), cap.tolist()))
        step = float(np.linalg.norm(np.subtract(states[-1], states[-2]), axis=1).sum())
        first = step if t == 1 else first
        if t >= 2 and step / (first + 1e-4) < 0.02:
            break
    res = get_model("smp")(make_input(pos, sal, cap))
    assert int(res.rounds[0]) == len(states) - 1
    # Equal up to the x100 / 100 round trip of the output scale (1e-12); the runs are identical.
    np.testing.assert_allclose(res.trajectory[0] / 100, np.array(states), rtol=0, atol=1e-12)
