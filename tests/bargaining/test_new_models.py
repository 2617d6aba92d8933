"""Nash as Achen (2006) specifies it, Kalai-Smorodinsky, the procedural EU model, exchange's
Decide variant: closed forms and properties that drive the registered models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente import api
from detente.bargaining.arrays import to_arrays
from detente.bargaining.inputs import make_input
from detente.bargaining.registry import ParameterError, get_model

positions = st.lists(st.floats(0, 100, allow_nan=False), min_size=2, max_size=8)


@st.composite
def straddling(draw: st.DrawFn) -> tuple[list[float], list[float], list[float], float]:
    """Actors on both sides of a reference point: the case Nash (1950) sends to the status quo."""
    ref = draw(st.floats(10, 90))
    left = draw(st.lists(st.floats(0, ref - 1), min_size=1, max_size=4))
    right = draw(st.lists(st.floats(ref + 1, 100), min_size=1, max_size=4))
    x = left + right
    s = draw(st.lists(st.floats(0.05, 1), min_size=len(x), max_size=len(x)))
    c = draw(st.lists(st.floats(0.1, 10), min_size=len(x), max_size=len(x)))
    return x, s, c, ref


@settings(max_examples=150, deadline=None)
@given(straddling(), st.floats(0.01, 2.0))
def test_nash_leaves_the_reference_point_toward_the_weighted_mean(case, cost) -> None:
    # With quadratic utilities the derivative of the Nash maximand at the reference point d is
    # proportional to (weighted mean - d) / kappa: the solution is d only where d is the
    # weighted mean, and otherwise lies on the mean's side of d, between d and the mean's side
    # of the actors' range.
    x, s, c, ref = case
    inp = make_input(x, s, c, 0, 100, reference=ref)
    w = np.array(c) * np.array(s)
    mean = float((w * np.array(x)).sum() / w.sum())
    got = get_model("nash")(inp, cost=cost, risk=2.0).forecast[0, 0]
    if abs(mean - ref) > 1e-6:
        assert np.sign(got - ref) == np.sign(mean - ref)
        assert got != ref
    assert min(x) - 1e-9 <= got <= max(x) + 1e-9
    # cost 0 is Nash (1950) with the status quo as disagreement: the reference point, always.
    # (Tolerance 1e-9: the feasible set shrinks to d up to rounding.)
    assert get_model("nash")(inp, cost=0.0).forecast[0, 0] == pytest.approx(ref, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(straddling())
def test_nash_tends_to_compromise_and_median_as_breakdown_gets_costly(case) -> None:
    # Achen (2006): for kappa -> infinity the maximand is -sum_i w_i |x - x_i|^r / kappa + O(1/
    # kappa^2): r = 2 gives the weighted mean (the compromise model), r = 1 the weighted median.
    x, s, c, ref = case
    inp = make_input(x, s, c, 0, 100, reference=ref)
    mean = get_model("compromise")(inp).forecast[0, 0]
    got = get_model("nash")(inp, cost=1e6, risk=2.0).forecast[0, 0]
    # Tolerance: the O(1/kappa) bias is below 100^3 / 1e6 x a small constant; 1e-2 points.
    assert got == pytest.approx(mean, abs=1e-2)
    med = get_model("median")(inp).forecast[0, 0]
    lin = get_model("nash")(inp, cost=1e6, risk=1.0).forecast[0, 0]
    # A weighted median can be a whole interval when the weights split evenly; compare the
    # objective instead of the point: lin minimises sum w |x - x_i| as well as med does.
    w = np.array(c) * np.array(s)
    obj = lambda z: float((w * np.abs(z - np.array(x))).sum())  # noqa: E731
    assert obj(lin) == pytest.approx(obj(med), rel=1e-4, abs=1e-6)


@pytest.mark.parametrize(
    "name", ["ukraine-2025", "docs/examples/jcpoa.yaml", "docs/examples/iran-iraq.yaml"]
)
def test_nash_says_something_on_the_three_scenarios(name: str) -> None:
    # The three scenarios of the issue: Nash (1950) with the status quo as disagreement (cost 0,
    # quadratic utilities) returned the reference point on every issue of ukraine-2025 and
    # iran-iraq and on one of jcpoa's; with Achen's breakdown cost it leaves it on every issue.
    root = Path(__file__).resolve().parents[2]
    path = name if name == "ukraine-2025" else str(root / name)
    inp = to_arrays(api.load(path))
    old = get_model("nash")(inp, cost=0.0, risk=2.0).forecast[0]
    new = get_model("nash")(inp).forecast[0]
    assert np.sum(old == inp.reference) >= 1
    assert np.all(np.abs(new - inp.reference) > 0.5)


def test_kalai_smorodinsky_two_actors_closed_form() -> None:
    # Actors at 2 and 8 on [0, 10], d = 0, kappa = 0.05, r = 2, equal power. Ideal gains
    # g1* = 0.05 + 0.2^2 = 0.09, g2* = 0.05 + 0.8^2 = 0.69; equal normalised gains:
    # ((x - 2)/10)^2 / 0.09 = ((8 - x)/10)^2 / 0.69, i.e. (x - 2)/0.3 = (8 - x)/sqrt(0.69).
    inp = make_input([2.0, 8.0], [1.0, 1.0], [1.0, 1.0], 0, 10, reference=0)
    a = np.sqrt(0.69)
    x = (2 * a + 8 * 0.3) / (a + 0.3)
    got = get_model("kalai_smorodinsky")(inp, cost=0.05, risk=2.0).forecast[0, 0]
    # Tolerance 1e-8: bisection on the level to 1e-15.
    assert got == pytest.approx(x, abs=1e-8)


@settings(max_examples=60, deadline=None)
@given(straddling(), st.floats(0.01, 1.0))
def test_kalai_smorodinsky_equalises_the_binding_gains(case, cost) -> None:
    # At the KS point no move raises the smallest (power-scaled) normalised gain.
    from detente.bargaining.kalai_smorodinsky import ks_objective
    from detente.bargaining.nash import _power, breakdown_gaps

    x, s, c, ref = case
    inp = make_input(x, s, c, 0, 100, reference=ref)
    got = get_model("kalai_smorodinsky")(inp, cost=cost, risk=2.0).forecast
    margin, _, width = breakdown_gaps(inp, 2.0, cost, "reference")
    f = lambda z: ks_objective(np.array([[z]]), inp.positions, _power(inp), margin, width, 2.0)  # noqa: E731
    best = f(got[0, 0])[0, 0]
    grid = np.linspace(0, 100, 1001)
    n = len(grid)
    on_grid = ks_objective(
        grid[:, None],
        np.repeat(inp.positions, n, axis=0),
        np.repeat(_power(inp), n, axis=0),
        np.repeat(margin, n, axis=0),
        width,
        2.0,
    )
    assert best >= on_grid.max() - 1e-9


def _ids(n: int) -> tuple[str, ...]:
    return ("com", "ep") + tuple(f"m{i}" for i in range(n))


def test_procedural_codecision_by_hand() -> None:
    # Status quo 0; Council members at 20, 40, 60, 80 with 1 vote each, qualified majority 0.75
    # (3 of 4): the pivot from the right is 40, so the Council accepts x in [0, 80]. The
    # Parliament at 30 accepts [0, 60]. The Commission at 100 proposes the acceptable point
    # nearest to it: 60.
    x = [100.0, 30.0, 20.0, 40.0, 60.0, 80.0]
    inp = make_input(x, 1.0, [1, 1, 1, 1, 1, 1], 0, 100, reference=0.0, actor_ids=_ids(4))
    assert get_model("procedural")(inp, qmv=0.75).forecast[0, 0] == pytest.approx(60.0)
    # Consultation (the Parliament has no capability): only the Council's bound, 80, and its
    # unanimity range [20, 80] bind.
    inp = make_input(x, 1.0, [1, 0, 1, 1, 1, 1], 0, 100, reference=0.0, actor_ids=_ids(4))
    assert get_model("procedural")(inp, qmv=0.75).forecast[0, 0] == pytest.approx(80.0)
    # A Commission inside the acceptable set gets its own position.
    x2 = [35.0] + x[1:]
    inp = make_input(x2, 1.0, [1, 1, 1, 1, 1, 1], 0, 100, reference=0.0, actor_ids=_ids(4))
    assert get_model("procedural")(inp, qmv=0.75).forecast[0, 0] == pytest.approx(35.0)
    # A Council that cannot muster a qualified majority for change keeps the status quo: members
    # at 20, 40 left of... status quo 50 with members on both sides and qmv 0.75.
    inp = make_input(
        [100.0, 100.0, 20.0, 40.0, 60.0, 80.0], 1.0, 1.0, 0, 100, reference=50.0, actor_ids=_ids(4)
    )
    assert get_model("procedural")(inp, qmv=0.75).forecast[0, 0] == pytest.approx(50.0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=5, max_size=9), st.floats(0, 100), st.floats(0.5, 1))
def test_procedural_outcome_is_acceptable_to_the_vetoes(x, ref, q) -> None:
    # Whatever it returns, a qualified majority of the Council and the Parliament weakly prefer
    # it to the status quo (or it is the status quo).
    inp = make_input(x, 1.0, 1.0, 0, 100, reference=ref, actor_ids=_ids(len(x) - 2))
    out = get_model("procedural")(inp, qmv=q).forecast[0, 0]
    council = np.array(x[2:])
    prefer = np.abs(council - out) <= np.abs(council - ref) + 1e-9
    assert out == pytest.approx(ref) or prefer.mean() >= q - 1e-9
    assert abs(x[1] - out) <= abs(x[1] - ref) + 1e-9


def test_exchange_decide_variant_is_decides_partial_adoption() -> None:
    rng = np.random.default_rng(4)
    inp = make_input(rng.uniform(0, 100, (6, 3)), rng.uniform(0.1, 1, (6, 3)), rng.uniform(1, 5, 6))
    ex = get_model("exchange")
    decide = ex(inp, variant="decide").forecast
    explicit = ex(inp, fixed_weight=0.1, salience_weight=0.4).forecast
    np.testing.assert_array_equal(decide, explicit)
    assert not np.allclose(decide, ex(inp).forecast)
    with pytest.raises(ParameterError, match="variant"):
        ex(inp, variant="stokman")
