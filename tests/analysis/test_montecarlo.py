"""Monte Carlo over input uncertainty: the distributions (closed-form quantiles), bounds, seeding
(chunk-invariant, reproducible), a known-answer forecast distribution, every model, API and CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from typer.testing import CliRunner

from detente import api
from detente.analysis.montecarlo import monte_carlo, parse_threshold
from detente.analysis.uncertainty import BLOCK, param_table, unit_draws
from detente.bargaining.registry import list_models
from detente.cli.main import _register_commands, app, main
from detente.scenario.errors import DetenteError
from tests.analysis.helpers import scenario

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not app.registered_commands:
        _register_commands()


def _one(est: dict, sal: object = 1.0, cap: object = 1.0):
    return scenario(
        [
            {"id": "A", "cap": cap, "pos": {"x": est}, "sal": {"x": sal}},
            {"id": "B", "cap": 1.0, "pos": {"x": 50.0}},
        ]
    )


U = np.linspace(0.001, 0.999, 999)[:, None]


def test_truncated_normal_matches_scipy_quantiles() -> None:
    # Closed form: the truncated normal's quantile function (scipy.stats.truncnorm.ppf).
    table = param_table(_one({"value": 90.0, "sd": 15.0}))
    got = table.from_unit(U)[:, 0]
    a, b = (0.0 - 90.0) / 15.0, (100.0 - 90.0) / 15.0
    want = stats.truncnorm.ppf(U[:, 0], a, b, loc=90.0, scale=15.0)
    # Tolerance: both are double-precision evaluations of the same inverse CDF.
    np.testing.assert_allclose(got, want, atol=1e-8)


def test_normal_also_truncated_to_low_high() -> None:
    table = param_table(_one({"value": 50.0, "sd": 20.0, "low": 40.0, "high": 55.0}))
    got = table.from_unit(U)[:, 0]
    want = stats.truncnorm.ppf(U[:, 0], -0.5, 0.25, loc=50.0, scale=20.0)
    np.testing.assert_allclose(got, want, atol=1e-8)


def test_uniform_and_triangular_quantiles() -> None:
    uni = param_table(_one({"value": 30.0, "low": 20.0, "high": 60.0})).from_unit(U)[:, 0]
    np.testing.assert_allclose(uni, 20.0 + 40.0 * U[:, 0], atol=1e-12)
    tri = param_table(
        _one({"value": 30.0, "low": 20.0, "high": 60.0, "dist": "triangular"})
    ).from_unit(U)[:, 0]
    want = stats.triang.ppf(U[:, 0], c=0.25, loc=20.0, scale=40.0)
    np.testing.assert_allclose(tri, want, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    value=st.floats(0.0, 1.0),
    sd=st.floats(0.01, 3.0),
    cap=st.floats(0.0, 5.0),
    cap_sd=st.floats(0.01, 10.0),
    seed=st.integers(0, 2**32),
)
def test_draws_stay_in_their_allowed_range(value, sd, cap, cap_sd, seed) -> None:
    # Invariant: saliences in [0, 1], capabilities >= 0, positions on the scale, whatever the sd.
    sc = _one(
        {"value": 100 * value, "sd": 100 * sd},
        sal={"value": value, "sd": sd},
        cap={"value": cap, "sd": cap_sd},
    )
    table = param_table(sc)
    vals = table.from_unit(unit_draws(seed, table.names, 0, 500))
    assert np.all(np.isfinite(vals))
    pos, sal, capv = (
        vals[:, list(table.names).index(n)]
        for n in ("A.position.x", "A.salience.x", "A.capability")
    )
    assert pos.min() >= 0.0 and pos.max() <= 100.0
    assert sal.min() >= 0.0 and sal.max() <= 1.0
    assert capv.min() >= 0.0


def test_unit_draws_do_not_depend_on_how_rows_are_split() -> None:
    names = ("A.capability", "B.position.x", "C.salience.y")
    whole = unit_draws(7, names, 0, 3 * BLOCK + 17)
    parts = np.concatenate(
        [
            unit_draws(7, names, a, b)
            for a, b in [(0, 5), (5, BLOCK + 1), (BLOCK + 1, 3 * BLOCK + 17)]
        ]
    )
    assert np.array_equal(whole, parts)
    # A column depends on its input's name only, not on the other columns or their order.
    alone = unit_draws(7, ("B.position.x",), 0, 3 * BLOCK + 17)
    assert np.array_equal(alone[:, 0], whole[:, 1])
    swapped = unit_draws(7, names[::-1], 0, 100)
    assert np.array_equal(swapped[:, ::-1], whole[:100])


def test_same_seed_same_numbers_any_chunking() -> None:
    sc = api.load("ukraine-2025")
    a = monte_carlo(sc, "compromise", 2500, seed=11)
    b = monte_carlo(sc, "compromise", 2500, seed=11, chunk=333)
    c = monte_carlo(sc, "compromise", 2500, seed=12)
    assert np.array_equal(a.forecasts, b.forecasts)
    assert not np.array_equal(a.forecasts, c.forecasts)
    assert a.seed == 11 and a.forecasts.shape == (2500, 3)


def test_seed_none_is_recorded_and_replays() -> None:
    sc = api.load("ukraine-2025")
    a = monte_carlo(sc, "median", 300, seed=None)
    b = monte_carlo(sc, "median", 300, seed=a.seed)
    assert np.array_equal(a.forecasts, b.forecasts)


def test_compromise_distribution_known_answer() -> None:
    # Known answer: A (weight 1) uniform on [20, 60], B (weight 3) at 50: forecast =
    # (x + 150) / 4, uniform on [42.5, 52.5]: median 47.5, 50% interval [45, 50], 90% [43, 52],
    # P(forecast <= 45) = 0.25.
    sc = scenario(
        [
            {"id": "A", "cap": 1.0, "pos": {"x": {"value": 40.0, "low": 20.0, "high": 60.0}}},
            {"id": "B", "cap": 3.0, "pos": {"x": 50.0}},
        ]
    )
    n = 40_000
    mc = monte_carlo(sc, "compromise", n, seed=5, thresholds=["x<=45"])
    s = mc.summary().iloc[0]
    # Tolerance: a sample quantile of a uniform of width 10 has sd 10 sqrt(p(1-p)/n) <= 0.025;
    # 0.1 is 4 sd. The probability has binomial sd sqrt(.25 .75 / n) = 0.0022; 0.01 is 4.6 sd.
    for got, want in (
        (s["median"], 47.5),
        (s["p25"], 45.0),
        (s["p75"], 50.0),
        (s["p05"], 43.0),
        (s["p95"], 52.0),
    ):
        assert abs(got - want) < 0.1
    assert abs(mc.probability("x<=45") - 0.25) < 0.01
    assert mc.to_dict()["thresholds"][0]["probability"] == mc.probability("x<=45")


def test_every_model_runs_on_a_batch_of_draws() -> None:
    sc = api.load("ukraine-2025")
    for spec in list_models():
        mc = monte_carlo(sc, spec.name, 48, seed=3)
        assert mc.forecasts.shape == (48, 3), spec.name
        assert np.all(np.isfinite(mc.forecasts)), spec.name
        assert mc.forecasts.min() >= 0.0 and mc.forecasts.max() <= 100.0, spec.name


def test_thresholds_parse_and_reject() -> None:
    t = parse_threshold("territory >= 40.5", ("territory",))
    assert (t.issue, t.op, t.value) == ("territory", ">=", 40.5)
    assert list(t.test(np.array([40.0, 40.5, 41.0]))) == [False, True, True]
    with pytest.raises(DetenteError, match="unknown issue"):
        parse_threshold("land<=3", ("territory",))
    with pytest.raises(DetenteError, match="ISSUE<=VALUE"):
        parse_threshold("territory=3", ("territory",))


def test_bad_draws_is_a_user_error() -> None:
    with pytest.raises(DetenteError, match="positive integer"):
        monte_carlo(api.load("ukraine-2025"), "median", 0)


def test_api_forecast_adds_uncertainty_and_keeps_keys() -> None:
    plain = api.forecast("ukraine-2025", model="compromise").to_dict()
    mc = api.forecast(
        "ukraine-2025", model="compromise", draws=400, seed=2, thresholds=["territory<=60"]
    ).to_dict()
    assert set(plain) <= set(mc) and "uncertainty" in mc and "uncertainty" not in plain
    assert mc["forecasts"] == plain["forecasts"]
    u = mc["uncertainty"]["compromise"]
    assert u["draws"] == 400 and u["seed"] == 2
    lo, hi = u["issues"]["territory"]["interval_90"]
    assert lo <= u["issues"]["territory"]["median"] <= hi
    assert 0.0 <= u["thresholds"][0]["probability"] <= 1.0


def test_cli_forecast_draws_json_and_table() -> None:
    res = runner.invoke(
        app,
        [
            "forecast",
            "--no-store",
            "-m",
            "compromise",
            "--draws",
            "300",
            "--seed",
            "4",
            "-t",
            "territory<=60",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["uncertainty"]["compromise"]["seed"] == 4
    res = runner.invoke(app, ["forecast", "--no-store", "-m", "median", "--draws", "200"])
    assert res.exit_code == 0 and "90% interval" in res.stdout


def test_cli_bad_threshold_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["forecast", "--no-store", "--draws", "10", "-t", "nowhere<=3"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("detente: error:") and "nowhere" in err[0]


def test_chunk_size_bounds_memory_for_large_scenarios() -> None:
    from detente.analysis.montecarlo import CHUNK_FLOATS, STATIC_CHUNK, chunk_size

    assert chunk_size("compromise", 6, 3) == STATIC_CHUNK
    big = chunk_size("compromise", 5_000, 400)
    assert 1 <= big and big * 5_000 * 400 <= CHUNK_FLOATS


def test_api_forecast_applies_interventions() -> None:
    from detente.analysis.levers import apply_interventions

    sc = api.load("ukraine-2025")
    got = api.forecast(sc, model="compromise", interventions=["shift USA.position.sanctions -20"])
    manual = apply_interventions(sc, ["shift USA.position.sanctions -20"]).scenario
    want = api.forecast(manual, model="compromise")
    assert np.array_equal(got.results["compromise"].forecast, want.results["compromise"].forecast)
    assert (
        got.results["compromise"].forecast[0, 2]
        < api.forecast(sc, model="compromise").results["compromise"].forecast[0, 2]
    )
