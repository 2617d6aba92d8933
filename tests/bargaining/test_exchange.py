"""Tests of the exchange model of voting positions (Stokman & Van Oosten 1994, equal gain form).

Oracles: a two-actor, two-issue case worked out by hand below; an independent replay of every
logged exchange (outcomes recomputed from the shifts, each party's utility change recomputed from
its positions and saliences) under hypothesis; invariants (actor and issue permutation, batch =
one by one, no trade when saliences are equal in ratio, forecast inside the range of positions,
K == 1 gives the compromise model's weighted mean).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.bargaining import exchange as exchange_module
from detente.bargaining.exchange import exchange
from detente.bargaining.inputs import BargainingInput, make_input
from detente.bargaining.registry import ParameterError, get_model

# Everything here is a handful of float operations on numbers of order 1; 1e-9 leaves room for
# rounding only, so any error in a rule shows up.
TOL = 1e-9


def _hand_case() -> BargainingInput:
    return make_input(
        positions=[[0.0, 0.0], [100.0, 100.0]],
        saliences=[[0.9, 0.3], [0.2, 0.6]],
        capabilities=[2.0, 1.0],
        actor_ids=("A", "B"),
        issue_ids=("p", "q"),
    )


def test_two_actors_two_issues_by_hand() -> None:
    """Worked on paper, positions as shares of the 0-100 scale.

    A: c=2, x=(0, 0), s=(0.9, 0.3);  B: c=1, x=(1, 1), s=(0.2, 0.6).
    W_p = 2*0.9 + 1*0.2 = 2.0, O_p = (1*0.2*1)/2.0 = 0.1;  W_q = 2*0.3 + 1*0.6 = 1.2,
    O_q = 0.6/1.2 = 0.5.  A is left of both outcomes, B right of both: they can trade.
    s_Ap/s_Aq = 3 > s_Bp/s_Bq = 1/3, so A supplies on q and B supplies on p.
    Equal gain: dO_p = t (s_Aq + s_Bq) = 0.9 t, dO_q = t (s_Ap + s_Bp) = 1.1 t,
    gain = t (s_Ap s_Bq - s_Bp s_Aq) = t (0.54 - 0.06) = 0.48 t.
    Bounds on p: B moving all the way to A moves O_p by 1*0.2*1/2.0 = 0.1, and O_p may not pass
    A's 0: 0.1; so t <= 0.1/0.9 = 1/9.  On q: A moving to B moves O_q by 2*0.3*1/1.2 = 0.5, O_q may
    not pass B's 1: 0.5; t <= 0.5/1.1.  So t = 1/9: dO_p = 0.1, dO_q = 1.1/9 = 0.12222...,
    B's vote on p shifts by 0.1*2.0/(1*0.2) = 1 (to 0), A's vote on q by (1.1/9)*1.2/(2*0.3) =
    0.24444... Each gains 0.48/9 = 0.053333...: A: 0.9*0.1 - 0.3*0.12222 = 0.053333; B:
    0.6*0.12222 - 0.2*0.1 = 0.053333.  Round 2: both sit at O_p = 0, nobody is on the other side
    of the outcome, so the model stops after one round with forecast (0, 62.222...).
    """
    res = exchange(_hand_case())
    assert res.rounds.tolist() == [1]
    np.testing.assert_allclose(res.forecast, [[0.0, 100 * (0.5 + 1.1 / 9)]], atol=TOL)
    np.testing.assert_allclose(
        res.final_positions, [[[0.0, 100 * 0.24444444444444444], [0.0, 100.0]]], atol=TOL
    )
    log = res.extras["exchanges"][0]
    assert len(log) == 1
    e = log[0]
    assert (e["actor_i"], e["issue_i_id"], e["actor_j"], e["issue_j_id"]) == ("B", "p", "A", "q")
    assert e["shift_i"] == pytest.approx(-100.0, abs=TOL)
    assert e["shift_j"] == pytest.approx(100 * 0.24444444444444444, abs=TOL)
    assert e["gain"] == pytest.approx(0.48 / 9, abs=TOL)
    assert (e["outcome_i_before"], e["outcome_i_after"]) == pytest.approx((10.0, 0.0), abs=TOL)
    assert (e["outcome_j_before"], e["outcome_j_after"]) == pytest.approx(
        (50.0, 100 * (0.5 + 1.1 / 9)), abs=TOL
    )
    np.testing.assert_allclose(res.extras["baseline"], [[10.0, 50.0]], atol=TOL)
    assert res.trajectory.shape == (1, 2, 2, 2)


def test_partial_adoption_by_hand() -> None:
    """Decide's weights: w = 0.1 + 0.4 (1 - s).  After round 1 (same exchange as above):
    B on p: w = 0.1 + 0.4*0.8 = 0.42, 100 + 0.42*(0 - 100) = 58;
    A on q: w = 0.1 + 0.4*0.7 = 0.38, 0 + 0.38*24.444... = 9.28888...; the rest stay put.
    """
    res = exchange(_hand_case(), fixed_weight=0.1, salience_weight=0.4)
    np.testing.assert_allclose(
        res.trajectory[0, 1], [[0.0, 0.38 * 100 * 0.24444444444444444], [58.0, 100.0]], atol=TOL
    )
    # They keep trading in later rounds, each round a smaller deal, until none is worth it.
    assert res.rounds[0] > 1 and res.extras["converged"][0]


def _weighted_mean(x: np.ndarray, cs: np.ndarray) -> np.ndarray:
    tot = cs.sum(axis=0)
    w = np.where(tot > 0, cs, 1.0)
    return (w * x).sum(axis=0) / w.sum(axis=0)


@st.composite
def _scenarios(draw: st.DrawFn) -> BargainingInput:
    n = draw(st.integers(2, 5))
    k = draw(st.integers(2, 4))
    b = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    lo = rng.uniform(-10, 10, k).round(1)
    hi = lo + rng.uniform(1, 100, k).round(1)
    pos = lo + rng.uniform(0, 1, (b, n, k)) * (hi - lo)
    if draw(st.booleans()):  # coarse positions: ties and actors at the outcome happen
        pos = lo + rng.integers(0, 3, (b, n, k)) / 2 * (hi - lo)
    sal = rng.uniform(0.05, 1.0, (b, n, k))
    cap = rng.uniform(0.1, 10.0, (b, n))
    return make_input(pos, sal, cap, scale_low=lo, scale_high=hi)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inp=_scenarios(), weights=st.sampled_from([(1.0, 0.0), (0.1, 0.4), (0.5, 0.2)]))
def test_replay_no_exchange_hurts_a_party(
    inp: BargainingInput, weights: tuple[float, float]
) -> None:
    """Replay every logged exchange with our own arithmetic and check the model's claims.

    Per round, actors' utilities are -sum_a s_ia |x_ia - O_a| with x their positions at the
    start of the round and O the weighted mean of the voting positions, which start at x and move
    by the logged shifts. Each exchange must raise both parties' utility by the same logged gain,
    and the supplier on each issue must be the one who cares relatively less about it. A vote
    moves one way only, over the whole run. Between rounds positions move to
    x + (fixed + salience_weight (1 - s)) (y - x).
    """
    fixed, by_salience = weights
    res = exchange(inp, fixed_weight=fixed, salience_weight=by_salience, max_iterations=20)
    width = inp.scale_high - inp.scale_low
    cs = inp.capabilities[:, :, None] * inp.saliences
    log = res.extras["exchanges"]
    assert len(log) == inp.batch
    for b in range(inp.batch):
        s = inp.saliences[b]
        direction = np.zeros(s.shape)
        by_round: dict[int, list[dict]] = {}
        for e in log[b]:
            by_round.setdefault(e["round"], []).append(e)
        assert sorted(by_round) == list(range(1, int(res.rounds[b]) + 1))
        for r, exs in by_round.items():
            x = (res.trajectory[b, r - 1] - inp.scale_low) / width
            y = x.copy()
            for e in exs:
                i, j, p, q = e["i"], e["j"], e["issue_i"], e["issue_j"]
                assert i != j and p != q
                assert s[i, p] / s[i, q] < s[j, p] / s[j, q]  # i gives on what it cares less about
                before = _weighted_mean(y, cs[b])
                y[i, p] += e["shift_i"] / width[p]
                y[j, q] += e["shift_j"] / width[q]
                for a, z, d in ((i, p, np.sign(e["shift_i"])), (j, q, np.sign(e["shift_j"]))):
                    assert d != 0 and direction[a, z] in (0, d)
                    direction[a, z] = d
                after = _weighted_mean(y, cs[b])
                assert before[p] * width[p] + inp.scale_low[p] == pytest.approx(
                    e["outcome_i_before"], abs=1e-7
                )
                assert after[q] * width[q] + inp.scale_low[q] == pytest.approx(
                    e["outcome_j_after"], abs=1e-7
                )
                du = [
                    -sum(
                        s[a, z] * (abs(x[a, z] - after[z]) - abs(x[a, z] - before[z]))
                        for z in (p, q)
                    )
                    for a in (i, j)
                ]
                assert e["gain"] > 0
                assert du[0] >= -1e-12 and du[1] >= -1e-12
                assert du == pytest.approx([e["gain"], e["gain"]], rel=1e-7, abs=1e-12)
            adopt = fixed + by_salience * (1 - s)
            np.testing.assert_allclose(
                x + adopt * (y - x), (res.trajectory[b, r] - inp.scale_low) / width, atol=1e-9
            )


@settings(max_examples=60, deadline=None)
@given(inp=_scenarios())
def test_forecast_within_range_of_positions(inp: BargainingInput) -> None:
    """Votes move toward other actors' positions and the outcome is a weighted mean of votes, so
    the forecast stays inside [min, max] of the initial positions (1e-9: rounding)."""
    res = exchange(inp)
    lo = inp.positions.min(axis=1) - 1e-9
    hi = inp.positions.max(axis=1) + 1e-9
    assert np.all((res.forecast >= lo) & (res.forecast <= hi))
    assert np.all((res.final_positions >= lo[:, None]) & (res.final_positions <= hi[:, None]))


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 6),
    k=st.integers(2, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_no_exchange_when_saliences_equal_in_ratio(n: int, k: int, seed: int) -> None:
    """s_i = lambda_i v for every actor: s_ia/s_ib is the same for all, so nobody gains from a
    trade; the forecast is the no-exchange weighted mean."""
    rng = np.random.default_rng(seed)
    v = rng.uniform(0.1, 1.0, k)
    lam = rng.uniform(0.1, 1.0, n)
    inp = make_input(rng.uniform(0, 100, (n, k)), lam[:, None] * v, rng.uniform(0.5, 5, n))
    res = exchange(inp)
    assert res.extras["exchanges"].counts().tolist() == [0]
    assert res.rounds.tolist() == [0]
    np.testing.assert_allclose(res.forecast, res.extras["baseline"], atol=TOL)
    np.testing.assert_allclose(res.final_positions, inp.positions, atol=TOL)


def _random_input(rng: np.random.Generator, b: int, n: int, k: int) -> BargainingInput:
    return make_input(
        rng.uniform(0, 100, (b, n, k)), rng.uniform(0.05, 1, (b, n, k)), rng.uniform(0.1, 5, (b, n))
    )


@pytest.mark.parametrize("seed", range(5))
def test_actor_and_issue_permutation(seed: int) -> None:
    """Relabelling actors or issues changes nothing but labels (continuous random data, so no
    exact ties whose order would matter; 1e-9: rounding)."""
    rng = np.random.default_rng(seed)
    inp = _random_input(rng, 1, 6, 3)
    res = exchange(inp)
    assert res.extras["exchanges"].counts()[0] > 0  # the case is not trivial
    pa = rng.permutation(6)
    perm = make_input(inp.positions[:, pa], inp.saliences[:, pa], inp.capabilities[:, pa])
    res_a = exchange(perm)
    np.testing.assert_allclose(res_a.forecast, res.forecast, atol=TOL)
    np.testing.assert_allclose(res_a.final_positions, res.final_positions[:, pa], atol=TOL)
    pairs = [
        (pa[e["i"]], pa[e["j"]], e["issue_i"], e["issue_j"]) for e in res_a.extras["exchanges"][0]
    ]
    assert pairs == [
        (e["i"], e["j"], e["issue_i"], e["issue_j"]) for e in res.extras["exchanges"][0]
    ]
    pk = rng.permutation(3)
    perm_k = make_input(inp.positions[:, :, pk], inp.saliences[:, :, pk], inp.capabilities)
    res_k = exchange(perm_k)
    np.testing.assert_allclose(res_k.forecast, res.forecast[:, pk], atol=TOL)


def test_batch_equals_one_by_one() -> None:
    """The batch axis is only a stack of independent cases."""
    rng = np.random.default_rng(7)
    inp = _random_input(rng, 6, 5, 3)
    res = exchange(inp)
    for b in range(inp.batch):
        one = exchange(inp.take(slice(b, b + 1)))
        np.testing.assert_allclose(one.forecast[0], res.forecast[b], atol=TOL)
        t = one.trajectory.shape[1]
        np.testing.assert_allclose(one.trajectory[0], res.trajectory[b, :t], atol=TOL)
        # After it stopped, a batch element repeats its last state.
        np.testing.assert_allclose(
            res.trajectory[b, t - 1 :],
            np.broadcast_to(one.trajectory[0, -1], res.trajectory[b, t - 1 :].shape),
            atol=TOL,
        )
        assert one.extras["exchanges"][0] == res.extras["exchanges"][b]
        assert one.rounds[0] == res.rounds[b]


def test_one_issue_is_the_compromise_model() -> None:
    """K == 1: nothing to trade; the forecast is the capability x salience weighted mean."""
    rng = np.random.default_rng(3)
    inp = _random_input(rng, 4, 5, 1)
    res = exchange(inp)
    w = inp.capabilities[:, :, None] * inp.saliences
    np.testing.assert_allclose(res.forecast, (w * inp.positions).sum(1) / w.sum(1), atol=TOL)
    np.testing.assert_allclose(res.forecast, get_model("compromise")(inp).forecast, atol=TOL)
    assert res.trajectory.shape == (4, 1, 5, 1)
    assert res.rounds.tolist() == [0, 0, 0, 0]
    assert all(len(x) == 0 for x in res.extras["exchanges"])


def test_registered_and_parameters_checked() -> None:
    spec = get_model("exchange")
    assert spec.dynamic and not spec.multi_issue
    res = spec(_hand_case(), max_iterations=1)
    assert res.params["max_iterations"] == 1
    with pytest.raises(ParameterError, match="sum to at most 1"):
        spec(_hand_case(), fixed_weight=0.8, salience_weight=0.4)
    with pytest.raises(ParameterError, match="max_iterations"):
        spec(_hand_case(), max_iterations=0)


def test_max_iterations_bounds_rounds() -> None:
    res = exchange(_hand_case(), fixed_weight=0.1, salience_weight=0.4, max_iterations=3)
    assert res.rounds.tolist() == [3]
    assert res.trajectory.shape[1] == 4
    assert not res.extras["converged"][0]


@pytest.mark.parametrize("seed", range(4))
def test_compiled_search_matches_array_reference(seed: int) -> None:
    """The numba search for the best exchange and the numpy array version agree on mid-run
    states (votes already shifted, some directions fixed): same choice, same gain and t, same
    outcomes (1e-12: both sum in the same order; only the last bit may differ)."""
    rng = np.random.default_rng(seed)
    b, n, k = 20, 7, 4
    x = rng.uniform(0, 1, (b, n, k))
    if seed % 2:
        x = rng.integers(0, 3, (b, n, k)) / 2.0  # ties and actors sitting on the outcome
    y = np.clip(x + rng.normal(0, 0.2, x.shape), 0, 1)
    s = rng.uniform(0.05, 1, (b, n, k))
    s[0] = 0.5  # no gains at all in row 0
    c = rng.uniform(0.1, 5, (b, n))
    cs = c[:, :, None] * s
    total = cs.sum(axis=1)
    pull = cs / total[:, None, :]
    moved = rng.integers(-1, 2, (b, n, k)).astype(np.int8)
    ia, ib = np.triu_indices(k, 1)
    act = np.flatnonzero(rng.uniform(size=b) < 0.8)
    args = (act, x, y, s, cs, total, pull, moved, ia, ib)
    fast = exchange_module._best_numba(*args)
    ref = exchange_module._best_numpy(*args)
    found = ref[1] > 0
    assert found.sum() > 5
    np.testing.assert_array_equal(fast[0][found], ref[0][found])
    for got, want in zip(fast[1:], ref[1:], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_whole_run_same_with_either_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(11)
    inp = _random_input(rng, 8, 6, 3)
    monkeypatch.setattr(exchange_module, "_KERNEL", "numba")
    fast = exchange(inp, fixed_weight=0.3, salience_weight=0.5)
    monkeypatch.setattr(exchange_module, "_KERNEL", "numpy")
    ref = exchange(inp, fixed_weight=0.3, salience_weight=0.5)
    np.testing.assert_allclose(fast.trajectory, ref.trajectory, atol=TOL)
    got, want = fast.extras["exchanges"], ref.extras["exchanges"]
    assert got.counts().sum() > 10
    np.testing.assert_array_equal(got.counts(), want.counts())
    for key, values in got.arrays.items():
        np.testing.assert_allclose(values, want.arrays[key], atol=TOL, err_msg=key)


def _best_first_exchange_by_lp(x: np.ndarray, s: np.ndarray, c: np.ndarray) -> tuple:
    """Independent statement of steps 1-5 for the first exchange, as linear programmes.

    For every pair of actors (i supplies on a, j supplies on b) on opposite sides of both
    outcomes: maximise g = G_i = G_j over vote shifts 0 <= d_i <= |x_ja - x_ia|,
    0 <= d_j <= |x_ib - x_jb|, with the outcome moving c s d / W and not past the demander.
    """
    from scipy.optimize import linprog

    n, k = x.shape
    cs = c[:, None] * s
    out = (cs * x).sum(0) / cs.sum(0)
    pull = cs / cs.sum(0)
    best = (0.0, None)
    for i in range(n):
        for j in range(n):
            for a in range(k):
                for b in range(k):
                    if i == j or a == b:
                        continue
                    if (x[i, a] - out[a]) * (x[j, a] - out[a]) >= 0:
                        continue
                    if (x[i, b] - out[b]) * (x[j, b] - out[b]) >= 0:
                        continue
                    pa, pb = pull[i, a], pull[j, b]
                    # Variables (d_i, d_j, g); G_i = s_ib pb d_j - s_ia pa d_i, G_j likewise.
                    a_eq = [[s[i, a] * pa, -s[i, b] * pb, 1.0], [-s[j, a] * pa, s[j, b] * pb, 1.0]]
                    a_ub = [[pa, 0, 0], [0, pb, 0]]
                    b_ub = [abs(x[j, a] - out[a]), abs(x[i, b] - out[b])]
                    bounds = [
                        (0, abs(x[j, a] - x[i, a])),
                        (0, abs(x[i, b] - x[j, b])),
                        (None, None),
                    ]
                    lp = linprog(
                        [0, 0, -1.0],
                        A_ub=a_ub,
                        b_ub=b_ub,
                        A_eq=a_eq,
                        b_eq=[0, 0],
                        bounds=bounds,
                        method="highs",
                    )
                    assert lp.status == 0
                    if -lp.fun > best[0]:
                        best = (-lp.fun, (i, a, j, b))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_first_exchange_is_the_best_one(seed: int) -> None:
    """The first exchange executed is the one with the highest equal gain among all possible
    ones, and its gain is the linear programme's optimum (1e-9: HiGHS solves these 3-variable
    programmes to about 1e-12)."""
    rng = np.random.default_rng(100 + seed)
    inp = _random_input(rng, 1, 4, 3)
    inp = make_input(inp.positions / 100, inp.saliences, inp.capabilities, 0.0, 1.0)
    res = exchange(inp, max_iterations=1)
    log = res.extras["exchanges"][0]
    gain, who = _best_first_exchange_by_lp(inp.positions[0], inp.saliences[0], inp.capabilities[0])
    if who is None:
        assert log == []
        return
    first = log[0]
    assert first["gain"] == pytest.approx(gain, rel=1e-9, abs=1e-12)
    # The same exchange, whichever of the two is called i: {(supplier, supply issue)}.
    i, a, j, b = who
    assert {(first["i"], first["issue_i"]), (first["j"], first["issue_j"])} == {(i, a), (j, b)}


def test_exchange_log_indexing() -> None:
    rng = np.random.default_rng(5)
    inp = _random_input(rng, 3, 5, 3)
    log = exchange(inp).extras["exchanges"]
    assert len(log) == 3
    assert [len(x) for x in log] == log.counts().tolist()
    assert log[-1] == log[2] and log[0:2] == [log[0], log[1]]
    assert all(isinstance(e, dict) and e["gain"] > 0 for x in log for e in x)
    with pytest.raises(IndexError):
        log[3]
