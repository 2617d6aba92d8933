"""Correlated uncertainties: the Gaussian copula gives the stated rank correlations, keeps each
marginal, reproduces the independent draws exactly at zero correlation, and widens forecast
intervals when positions move together; bad blocks are one clear error."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from detente.analysis.montecarlo import monte_carlo
from detente.analysis.uncertainty import draw_values, param_table, unit_draws
from detente.scenario import io
from detente.scenario.errors import ScenarioError


def _with(correlations: list[dict] | None, name: str = "ukraine-2025") -> object:
    data = yaml.safe_load(io.embedded_text(name))
    if correlations is not None:
        data["correlations"] = correlations
    return io.from_data(data, "test.yaml")


MATRIX = {
    "inputs": ["RUS.capability", "RUS.salience.territory", "USA.position.sanctions"],
    "matrix": [[1, 0.7, -0.4], [0.7, 1, 0.2], [-0.4, 0.2, 1]],
}
GROUP = {
    "name": "west",
    "inputs": ["USA.position.security", "EU.position.security", "UKR.position.security"],
    "rho": 0.5,
}


def test_draws_have_the_stated_spearman_correlations_and_marginals() -> None:
    from scipy.stats import spearmanr

    sc = _with([MATRIX, GROUP])
    table = param_table(sc)
    n = 20_000
    values = draw_values(table, 123, 0, n)
    # Spearman's rho from n pairs has sd about (1 - rho^2) / sqrt(n) <= 0.0071; tolerance 0.03
    # (over 4 sd).
    for block in (MATRIX, GROUP):
        cols = [table.names.index(x) for x in block["inputs"]]
        got = spearmanr(values[:, cols]).statistic
        want = np.array(block["matrix"]) if "matrix" in block else None
        if want is None:
            want = np.full((3, 3), block["rho"])
            np.fill_diagonal(want, 1.0)
        assert np.abs(got - want).max() < 0.03, (got, want)
    # Each marginal is kept: the same sorted values as the independent draws' (up to the copula's
    # round trip through Phi^-1 and Phi), i.e. the same distribution.
    indep = table.from_unit(unit_draws(123, table.names, 0, n))
    j = table.names.index("RUS.capability")
    assert np.quantile(values[:, j], [0.1, 0.5, 0.9]) == pytest.approx(
        np.quantile(indep[:, j], [0.1, 0.5, 0.9]), abs=0.01
    )
    # Inputs outside every block are untouched.
    k = table.names.index("IND.capability")
    assert np.array_equal(values[:, k], indep[:, k])
    # Chunking does not change a draw.
    assert np.array_equal(values[5_000:9_000], draw_values(table, 123, 5_000, 9_000))


def test_zero_correlation_reproduces_the_independent_draws_exactly() -> None:
    plain = _with(None)
    zero = _with([{**GROUP, "rho": 0.0}, {**MATRIX, "matrix": np.eye(3).tolist()}])
    a = monte_carlo(plain, "compromise", 3_000, seed=9)
    b = monte_carlo(zero, "compromise", 3_000, seed=9)
    assert np.array_equal(a.forecasts, b.forecasts)


def test_positions_that_move_together_widen_the_forecast_interval() -> None:
    # The compromise is a weighted mean of positions: positively correlated positions add
    # covariance to its variance, so the 90% interval must widen (Var of a sum).
    members = [f"{a}.position.security" for a in ("RUS", "UKR", "USA", "EU", "CHN", "IND")]
    plain = monte_carlo(_with(None), "compromise", 4_000, seed=3).to_dict()
    corr = monte_carlo(
        _with([{"inputs": members, "rho": 0.9}]), "compromise", 4_000, seed=3
    ).to_dict()

    def width(out: dict) -> float:
        lo, hi = out["issues"]["security"]["interval_90"]
        return hi - lo

    assert width(corr) > 1.3 * width(plain)
    # Issues without correlated inputs keep their draws exactly.
    assert corr["issues"]["territory"] == plain["issues"]["territory"]
    negative = monte_carlo(
        _with([{"inputs": members[2:4], "rho": -0.9}]), "compromise", 4_000, seed=3
    ).to_dict()
    assert width(negative) < width(plain)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"inputs": ["RUS.capability", "NOPE.capability"], "rho": 0.3}, "names no uncertain"),
        ({"inputs": ["RUS.capability", "UKR.capability"], "rho": 1.5}, "less than or equal"),
        (
            {"inputs": ["RUS.capability", "UKR.capability", "USA.capability"], "rho": -0.9},
            "positive semi-definite",
        ),
        (
            {"inputs": ["RUS.capability", "UKR.capability"], "matrix": [[1, 0.2], [0.3, 1]]},
            "symmetric",
        ),
        ({"inputs": ["RUS.capability", "UKR.capability"]}, "either rho"),
    ],
)
def test_bad_blocks_are_one_clear_error(block: dict, message: str) -> None:
    with pytest.raises(ScenarioError, match=message) as exc:
        _with([block])
    assert "test.yaml" in str(exc.value) and "correlations" in str(exc.value)


def test_an_input_in_two_blocks_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"correlations\[1\].inputs\[0\].*one block only"):
        _with([GROUP, {"inputs": [GROUP["inputs"][0], "RUS.capability"], "rho": 0.2}])


def test_whatifs_keep_the_correlations_of_the_inputs_that_remain() -> None:
    from detente.analysis.levers import apply_interventions

    sc = _with(
        [{"inputs": ["IND.capability", "CHN.capability", "USA.capability"], "rho": 0.5}, MATRIX]
    )
    removed = apply_interventions(sc, ["remove IND"]).scenario
    assert [c.inputs for c in removed.correlations] == [
        ["CHN.capability", "USA.capability"],
        MATRIX["inputs"],
    ]
    merged = apply_interventions(sc, ["merge USA,EU as WEST"]).scenario
    # USA's inputs are gone (merged into WEST): the first block keeps IND and CHN; the matrix
    # block keeps its two Russian inputs and their correlation (the sub-matrix).
    assert merged.correlations[0].inputs == ["IND.capability", "CHN.capability"]
    assert merged.correlations[1].matrix == [[1, 0.7], [0.7, 1]]
    monte_carlo(merged, "compromise", 100, seed=1)  # draws run on the pruned blocks
