"""Backtest harness: errors on the EC car-emissions case (BDM 1994) against hand computations from
the published table, the leaderboard's statistics, the leave-one-out ensemble, Monte Carlo
coverage, case-file rules and the ``detente backtest`` command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq
from typer.testing import CliRunner

from detente.analysis import backtest as bt
from detente.analysis.ensemble import fit_weights, fit_weights_squared, loo_ensemble
from detente.cli.main import _register_commands, app, main
from detente.scenario import io as scenario_io
from detente.scenario.errors import ScenarioError

# Scholz, Calbert & Smith (2011), Table 1 (from BDM 1994): capability, position (years), salience.
TABLE = {
    "Netherlands": (0.08, 4, 80),
    "Belgium": (0.08, 7, 40),
    "Luxembourg": (0.03, 4, 20),
    "Germany": (0.16, 4, 80),
    "France": (0.16, 10, 60),
    "Italy": (0.16, 10, 60),
    "UK": (0.16, 10, 90),
    "Ireland": (0.05, 7, 10),
    "Denmark": (0.05, 4, 100),
    "Greece": (0.08, 7, 70),
}
OUTCOME = 8.833  # the actual resolution, BDM (1994)
LOW, HIGH = 4.0, 10.0  # the case's scale: the range of the positions held
CASE = "ec-car-emissions-1994"

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not app.registered_commands:
        _register_commands()


@pytest.fixture(scope="module")
def emissions() -> bt.BacktestResult:
    return bt.run_backtest(bt.load_cases([CASE]), ["compromise", "median", "nash", "eum", "smp"])


def _row(result: bt.BacktestResult, model: str) -> pd.Series:
    rows = result.rows[(result.rows.case == CASE) & (result.rows.model == model)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_library_ships_the_emissions_case_with_its_outcome() -> None:
    assert CASE in bt.case_names()
    case = bt.load_case(CASE)
    assert case.issues == ("emissions",)
    assert case.outcome("emissions") == OUTCOME
    # The shipped inputs are the published table (saliences 0-100 there, 0-1 in detente).
    got = {
        a.name: (a.capability.value, a.positions["emissions"].value, a.saliences["emissions"].value)
        for a in case.scenario.actors
    }
    assert len(got) == len(TABLE)
    for name, (c, x, s) in TABLE.items():
        key = "United Kingdom" if name == "UK" else name
        assert got[key] == (c, x, s / 100)


def test_compromise_error_matches_hand_computation(emissions: bt.BacktestResult) -> None:
    # Weighted mean by hand: sum c*s*x / sum c*s = 500.3 / 67.7 (saliences on 0-100).
    w = {k: c * s for k, (c, x, s) in TABLE.items()}
    mean = sum(w[k] * TABLE[k][1] for k in TABLE) / sum(w.values())
    assert mean == pytest.approx(500.3 / 67.7, rel=1e-12)
    row = _row(emissions, "compromise")
    # Tolerance 1e-9: the same arithmetic in a different order; only float rounding differs.
    assert row.error == pytest.approx(abs(mean - OUTCOME), abs=1e-9)
    assert row.scaled_error == pytest.approx(100 * abs(mean - OUTCOME) / (HIGH - LOW), abs=1e-9)


def test_median_error_matches_hand_computation(emissions: bt.BacktestResult) -> None:
    # Weights c*s: at 4 years 6.4+0.6+12.8+5 = 24.8; at 7 years 3.2+0.5+5.6 = 9.3 (cumulative
    # 34.1); at 10 years 33.6 (67.7). Half the total is 33.85, first reached at 7 years.
    assert _row(emissions, "median").error == pytest.approx(OUTCOME - 7.0, abs=1e-12)


def test_nash_error_matches_independent_root(emissions: bt.BacktestResult) -> None:
    # No reference point: each actor's disagreement is its worst end of [4, 10], at distance
    # r_i = max(x_i - 4, 10 - x_i), plus the cost of breakdown kappa (Achen 2006; utilities
    # -(|x - x_i|/W)^a with risk attitude a, W = 6). Multiplying through by W^a, the Nash
    # product's first-order condition is
    #   sum_i w_i sign(x - x_i) |x - x_i|^(a-1) / (kappa W^a + r_i^a - |x - x_i|^a) = 0,
    # with one root in the feasible interval, found here with Brent's method, independently of
    # detente's bisection.
    from detente.bargaining.nash import DEFAULT_COST, DEFAULT_RISK

    a = DEFAULT_RISK
    xs = np.array([v[1] for v in TABLE.values()], dtype=float)
    ws = np.array([v[0] * v[2] for v in TABLE.values()], dtype=float)
    margin = np.maximum(xs - LOW, HIGH - xs) ** a + DEFAULT_COST * (HIGH - LOW) ** a
    lo = max((xs - margin ** (1 / a)).max(), LOW)
    hi = min((xs + margin ** (1 / a)).min(), HIGH)

    def slope(x: float) -> float:
        d = x - xs
        return float(np.sum(ws * np.sign(d) * np.abs(d) ** (a - 1) / (margin - np.abs(d) ** a)))

    root = brentq(slope, lo + 1e-9, hi - 1e-9, xtol=1e-13)
    # Tolerance 1e-6 years: two root finders, both converged far below it.
    assert _row(emissions, "nash").error == pytest.approx(abs(root - OUTCOME), abs=1e-6)


def test_eum_error_matches_the_published_trajectory(emissions: bt.BacktestResult) -> None:
    # EUM forecasts the median voter position after round 8: 9.6 in Scholz et al.'s Table 2, so
    # the published error is |9.6 - 8.833| = 0.767. Tolerance 0.15 years: the table is rounded to
    # 0.1 (+-0.05) and re-implementations of the paper differ by up to ~0.07 per round.
    assert _row(emissions, "eum").error == pytest.approx(abs(9.6 - OUTCOME), abs=0.15)
    # Parameters reach the model: the mean position after round 8 is 7.6 in the same table.
    mean = bt.run_backtest(
        bt.load_cases([CASE]), ["eum"], {"eum": {"forecast": "mean"}}, ensemble=False
    )
    assert mean.rows.error.iloc[0] == pytest.approx(abs(7.6 - OUTCOME), abs=0.15)


def test_dynamic_model_error_is_its_forecast_minus_the_outcome(
    emissions: bt.BacktestResult,
) -> None:
    # SMP has no published forecast for this case; the harness's arithmetic is checked instead.
    from detente import api

    fc = float(api.forecast(bt.load_case(CASE).scenario, model="smp").results["smp"].forecast[0, 0])
    assert _row(emissions, "smp").error == pytest.approx(abs(fc - OUTCOME), abs=1e-12)


def test_single_issue_case_marks_exchange_not_applicable() -> None:
    result = bt.run_backtest(bt.load_cases([CASE]), ["compromise", "exchange"])
    row = _row(result, "exchange")
    assert np.isnan(row.forecast) and "two issues" in row.note
    assert list(result.leaderboard.model) == ["compromise"]
    assert any("exchange" in n for n in result.notes)


def _frame(errors: dict[str, list[float]], outcome: float = 50.0) -> pd.DataFrame:
    rows = []
    for model, errs in errors.items():
        for j, e in enumerate(errs):
            rows.append(
                {
                    "case": f"c{j}",
                    "issue": "i",
                    "model": model,
                    "forecast": outcome + e,
                    "outcome": outcome,
                    "low": 0.0,
                    "high": 100.0,
                    "error": abs(e),
                    "scaled_error": abs(e),
                    "p05": np.nan,
                    "p25": np.nan,
                    "p75": np.nan,
                    "p95": np.nan,
                    "note": "",
                }
            )
    return pd.DataFrame(rows)


def test_leaderboard_statistics_by_hand() -> None:
    frame = _frame({"compromise": [10, 20, 30, 40], "median": [5, 20, 35, 0]})
    board = bt.leaderboard(frame).set_index("model")
    # median: MAE (5+20+35+0)/4 = 15, median of {0,5,20,35} = 12.5; beats compromise on c0 and c3,
    # ties on c1 (half), loses c2: (1 + 0.5 + 0 + 1)/4 = 0.625.
    assert board.loc["median", "mae"] == pytest.approx(15.0)
    assert board.loc["median", "median_error"] == pytest.approx(12.5)
    assert board.loc["median", "beats_compromise"] == pytest.approx(0.625)
    assert board.loc["compromise", "mae"] == pytest.approx(25.0)
    assert np.isnan(board.loc["compromise", "beats_compromise"])
    assert list(board.index) == ["median", "compromise"]  # best MAE first


def test_coverage_by_hand() -> None:
    frame = _frame({"compromise": [0, 0, 0, 0]})
    frame["p05"] = [40, 40, 55, 10]
    frame["p25"] = [45, 51, 56, 20]
    frame["p75"] = [55, 60, 60, 30]
    frame["p95"] = [60, 70, 70, 49]
    board = bt.leaderboard(frame).set_index("model")
    # Outcome 50: inside the 50% interval only in c0; inside the 90% interval in c0 and c1.
    assert board.loc["compromise", "cover50"] == pytest.approx(0.25)
    assert board.loc["compromise", "cover90"] == pytest.approx(0.5)


def test_fit_weights_minimises_absolute_error_like_a_grid_search() -> None:
    rng = np.random.default_rng(7)
    f = rng.uniform(0, 100, size=(12, 2))
    y = 0.3 * f[:, 0] + 0.7 * f[:, 1] + rng.normal(0, 5, size=12)
    w = fit_weights(f, y)
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all()
    grid = np.linspace(0, 1, 10_001)
    sae = np.abs(np.outer(grid, f[:, 0]) + np.outer(1 - grid, f[:, 1]) - y).sum(axis=1)
    # The LP's optimum is the exact minimum; the grid's is within one grid step of it.
    assert np.abs(f @ w - y).sum() <= sae.min() + 1e-6
    assert np.abs(f @ w - y).sum() == pytest.approx(sae.min(), rel=1e-3)


def test_fit_weights_squared_matches_a_grid_search_over_three_models() -> None:
    rng = np.random.default_rng(5)
    f = rng.uniform(0, 100, size=(20, 3))
    y = 0.5 * f[:, 0] + 0.5 * f[:, 2] + rng.normal(0, 3, size=20)
    w = fit_weights_squared(f, y)
    assert w.sum() == pytest.approx(1.0) and (w >= 0).all()
    g = np.linspace(0, 1, 401)
    a, b = np.meshgrid(g, g, indexing="ij")
    ok = a + b <= 1
    ws = np.stack([a[ok], b[ok], 1 - a[ok] - b[ok]], axis=1)
    sse = ((ws @ f.T - y) ** 2).sum(axis=1)
    # The exact minimum is no worse than the best grid point, and close to it (grid step 1/400).
    assert ((f @ w - y) ** 2).sum() <= sse.min() + 1e-9
    assert ((f @ w - y) ** 2).sum() == pytest.approx(sse.min(), rel=1e-3)


def test_fit_weights_squared_puts_weight_on_the_boundary() -> None:
    # y equals model 0 exactly; model 1 is worse everywhere: all weight on model 0.
    f = np.array([[10.0, 50.0], [20.0, 60.0], [30.0, 10.0]])
    assert fit_weights_squared(f, f[:, 0]) == pytest.approx([1.0, 0.0])


@pytest.mark.parametrize("loss", ["squared", "absolute"])
def test_loo_ensemble_never_sees_the_held_out_outcome(loss: str) -> None:
    rng = np.random.default_rng(3)
    errs = {m: list(rng.normal(0, 10, size=6)) for m in ("compromise", "median", "nash")}
    frame = _frame(errs)
    cases = [f"c{j}" for j in range(6)]
    base = loo_ensemble(frame, cases, loss=loss)
    moved = frame.copy()
    moved.loc[moved.case == "c2", "outcome"] += 30.0  # change only the held-out truth
    again = loo_ensemble(moved, cases, loss=loss)
    assert base is not None and again is not None
    f0 = base.rows.set_index("case").forecast
    f1 = again.rows.set_index("case").forecast
    # c2's forecast uses weights fitted without c2, so it cannot move; its error does.
    assert f1["c2"] == pytest.approx(f0["c2"], abs=1e-9)
    assert again.rows.set_index("case").error["c2"] != pytest.approx(
        base.rows.set_index("case").error["c2"]
    )


@pytest.mark.parametrize("loss", ["squared", "absolute"])
def test_loo_ensemble_finds_a_perfect_model(loss: str) -> None:
    frame = _frame(
        {"compromise": [10, -20, 5, 15], "median": [0, 0, 0, 0], "nash": [-5, 8, 30, -2]}
    )
    ens = loo_ensemble(frame, ["c0", "c1", "c2", "c3"], loss=loss)
    assert ens is not None
    assert np.allclose(ens.fold_weights[:, ens.models.index("median")], 1.0)
    assert np.allclose(ens.rows.error, 0.0, atol=1e-9)


def test_ensemble_needs_three_cases() -> None:
    assert loo_ensemble(_frame({"compromise": [1, 2], "median": [2, 1]}), ["c0", "c1"]) is None


def test_monte_carlo_coverage_is_seeded_and_degenerate_without_uncertainty() -> None:
    cases = bt.load_cases([CASE])
    a = bt.run_backtest(cases, ["compromise", "median"], draws=64, seed=11, position_sd=0.05)
    b = bt.run_backtest(cases, ["compromise", "median"], draws=64, seed=11, position_sd=0.05)
    pd.testing.assert_frame_equal(a.rows, b.rows)
    c = bt.run_backtest(cases, ["compromise", "median"], draws=64, seed=12, position_sd=0.05)
    assert not np.allclose(a.rows.p25.to_numpy(), c.rows.p25.to_numpy())
    for row in a.rows.itertuples():
        assert row.p05 <= row.p25 <= row.p75 <= row.p95
    # The published inputs state no uncertainty: without position_sd every draw is the central
    # forecast and the intervals are points (exact: no draw varies).
    d = bt.run_backtest(cases, ["compromise"], draws=16, seed=1)
    r = d.rows.iloc[0]
    assert r.p05 == pytest.approx(r.forecast) and r.p95 == pytest.approx(r.forecast)
    assert d.leaderboard.cover90.iloc[0] == 0.0  # 8.833 is not the point forecast


def test_case_without_outcomes_is_refused(tmp_path) -> None:
    sc = scenario_io.load("ukraine-2025")
    path = tmp_path / "no-outcome.yaml"
    scenario_io.save(sc, path)
    with pytest.raises(ScenarioError, match="outcomes"):
        bt.load_case(str(path))


@pytest.mark.parametrize(
    ("outcomes", "message"),
    [("{emissions: 12}", "must lie on the issue's scale"), ("{nope: 5}", "unknown issue")],
)
def test_outcome_rules(tmp_path, outcomes: str, message: str) -> None:
    text = (bt._library_root() / f"{CASE}.yaml").read_text("utf-8")
    start = text.index("outcomes:")
    end = text.index("actors:")
    path = tmp_path / "bad.yaml"
    path.write_text(text[:start] + f"outcomes: {outcomes}\n" + text[end:], encoding="utf-8")
    with pytest.raises(ScenarioError, match=message) as err:
        bt.load_case(str(path))
    assert "outcomes." in str(err.value)


def test_cli_prints_the_leaderboard_and_stores_the_run() -> None:
    result = runner.invoke(app, ["backtest", "-m", "compromise", "-m", "median", "-m", "eum"])
    assert result.exit_code == 0, result.output
    for word in ("Leaderboard", "compromise", "median", "eum", "8.833", "stored as run"):
        assert word in result.output
    from detente.store import runs

    store = runs.open_store()
    assert store is not None
    run = store.get("last")
    assert run.command == "backtest"
    # The library has more than three cases, so the leave-one-out ensemble is scored beside them.
    assert {r["model"] for r in run.result["leaderboard"]} == {
        "compromise",
        "median",
        "eum",
        "ensemble (LOO)",
    }


def test_cli_json_keys() -> None:
    result = runner.invoke(app, ["backtest", "-m", "compromise", "--json", "--no-store"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"models", "draws", "seed", "leaderboard", "cases", "ensemble", "notes"} <= set(data)
    issue = next(c for c in data["cases"] if c["id"] == CASE)["issues"][0]
    assert issue["outcome"] == OUTCOME
    assert issue["forecasts"]["compromise"]["error"] == pytest.approx(
        abs(500.3 / 67.7 - OUTCOME), abs=1e-9
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["backtest", "nope-case"], "no shipped case of that name"),
        (["backtest", "deu"], "detente backtest deu PATH"),
        (["backtest", "--weights", "equal"], "--weights applies to DEU data only"),
        (["backtest", "-m", "nosuch"], "Unknown model"),
        (["backtest", "-m", "compromise", "-p", "eum.q=0.5"], "not among the models run"),
    ],
)
def test_cli_user_errors_are_one_line(capsys, argv: list[str], message: str) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv + ["--no-store"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


TWO_ISSUES = """
meta: {id: two-issue-case, title: A two-issue test case}
issues:
  - {id: a, name: Issue A}
  - {id: b, name: Issue B, scale: {low: 0, high: 10}}
outcomes:
  a: {value: 40, source: test}
actors:
  - {id: x, name: X, capability: 2, positions: {a: 0, b: 10}, saliences: {a: 0.9, b: 0.1}}
  - {id: y, name: Y, capability: 1, positions: {a: 100, b: 0}, saliences: {a: 0.2, b: 0.8}}
  - {id: z, name: Z, capability: 1, positions: {a: 60, b: 5}, saliences: {a: 0.5, b: 0.5}}
"""


def test_multi_issue_case_scores_only_issues_with_outcomes(tmp_path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(TWO_ISSUES, encoding="utf-8")
    result = bt.run_backtest(bt.load_cases([str(path)]), ["compromise", "exchange"])
    assert set(result.rows.issue) == {"a"}
    # Compromise on issue a by hand: weights 1.8, 0.2, 0.5; (0 + 20 + 30) / 2.5 = 20.
    comp = result.rows[result.rows.model == "compromise"].iloc[0]
    assert comp.forecast == pytest.approx(20.0) and comp.error == pytest.approx(20.0)
    # The exchange model needs two issues and has them here: it is scored, not skipped.
    exch = result.rows[result.rows.model == "exchange"].iloc[0]
    assert np.isfinite(exch.forecast) and exch.note == ""
