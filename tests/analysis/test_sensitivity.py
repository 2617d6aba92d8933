"""Global sensitivity: Sobol' indices of the linear compromise against their closed form, Morris
elementary effects against theirs, seeding, errors and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from detente import api
from detente.analysis.sensitivity import sensitivity
from detente.cli.main import _register_commands, app
from detente.scenario.errors import DetenteError
from tests.analysis.helpers import scenario

runner = CliRunner()

# Fixed capabilities (saliences 1): the compromise is sum_i w_i x_i / W, linear in the positions.
W = np.array([1.0, 2.0, 3.0, 1.5])
WIDTHS = np.array([20.0, 40.0, 10.0])  # uniform ranges of A, B, C
SD_D = 4.0  # D: normal, sd 4 around 80 (truncation at 100 is 5 sd away: negligible)


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not app.registered_commands:
        _register_commands()


def linear():
    return scenario(
        [
            {"id": "A", "cap": 1.0, "pos": {"x": {"value": 30.0, "low": 20.0, "high": 40.0}}},
            {"id": "B", "cap": 2.0, "pos": {"x": {"value": 50.0, "low": 30.0, "high": 70.0}}},
            {"id": "C", "cap": 3.0, "pos": {"x": {"value": 60.0, "low": 55.0, "high": 65.0}}},
            {"id": "D", "cap": 1.5, "pos": {"x": {"value": 80.0, "sd": SD_D}}},
        ]
    )


def exact_shares() -> np.ndarray:
    # Closed form: for a linear function of independent inputs, S1_i = ST_i =
    # (w_i / W)^2 var_i / sum_j (w_j / W)^2 var_j; a uniform of width h has variance h^2 / 12.
    var = np.append(WIDTHS**2 / 12.0, SD_D**2)
    c = (W / W.sum()) ** 2 * var
    return c / c.sum()


def test_sobol_indices_of_linear_compromise_match_closed_form() -> None:
    res = sensitivity(linear(), "compromise", method="sobol", n=1024, seed=3)
    frame = res.outputs["x"].set_index("name")
    names = ["A.position.x", "B.position.x", "C.position.x", "D.position.x"]
    want = exact_shares()
    # Tolerance 0.02: SALib's 95% bootstrap half-widths at N = 1024 are 0.02-0.07 here; with
    # scrambled Sobol' points an additive function is integrated far better than that (errors
    # below 0.002 over seeds 0-4), so 0.02 can only fail on a wrong transform or estimator.
    np.testing.assert_allclose(frame.loc[names, "S1"].to_numpy(), want, atol=0.02)
    np.testing.assert_allclose(frame.loc[names, "ST"].to_numpy(), want, atol=0.02)
    assert res.evaluations == 1024 * (4 + 2)
    # The output variance too: sum_i (w_i / W)^2 var_i, within 3% (sampling of 6144 points).
    var = (W / W.sum()) ** 2 * np.append(WIDTHS**2 / 12.0, SD_D**2)
    assert res.variance["x"] == pytest.approx(var.sum(), rel=0.03)


def test_morris_elementary_effects_of_linear_compromise_are_exact() -> None:
    # Closed form: with 4 levels, a step of 2/3 on the unit scale moves an input's quantile by
    # 1/2 (levels sit at bin centres 1/8 ... 7/8), i.e. h/2 for a uniform of width h, so every
    # elementary effect of A, B, C is (w_i / W) (h_i / 2) / (2/3): mu* = mu, sigma = 0.
    res = sensitivity(linear(), "compromise", method="morris", n=10, seed=1)
    frame = res.outputs["x"].set_index("name")
    want = 0.75 * W[:3] / W.sum() * WIDTHS
    got = frame.loc[["A.position.x", "B.position.x", "C.position.x"], "mu_star"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-9)  # exact up to round-off
    assert frame.loc["B.position.x", "sigma"] < 1e-9


def test_same_seed_same_indices_and_ranking_on_ukraine() -> None:
    sc = api.load("ukraine-2025")
    a = sensitivity(sc, "compromise", method="sobol", issue="sanctions", n=256, seed=7)
    b = sensitivity(sc, "compromise", method="sobol", issue="sanctions", n=256, seed=7)
    assert list(a.outputs) == ["sanctions"]
    assert a.outputs["sanctions"].equals(b.outputs["sanctions"])
    top = a.outputs["sanctions"].iloc[0]
    assert top["ST"] >= a.outputs["sanctions"]["ST"].max() - 1e-12


def test_errors_are_user_errors() -> None:
    certain = scenario(
        [{"id": "A", "cap": 1.0, "pos": {"x": 1.0}}, {"id": "B", "cap": 1.0, "pos": {"x": 2.0}}]
    )
    with pytest.raises(DetenteError, match="no uncertainty"):
        sensitivity(certain, "compromise")
    with pytest.raises(DetenteError, match="unknown method"):
        sensitivity(linear(), "compromise", method="fast")
    with pytest.raises(DetenteError, match="no issue"):
        sensitivity(linear(), "compromise", issue="y")


def test_cli_sensitivity_table_and_json() -> None:
    res = runner.invoke(
        app,
        [
            "sensitivity",
            "--method",
            "morris",
            "-m",
            "median",
            "--n",
            "8",
            "--issue",
            "territory",
            "--top",
            "5",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "mu_star" in res.stdout and "territory" in res.stdout
    res = runner.invoke(app, ["sensitivity", "-m", "compromise", "--n", "64", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["method"] == "sobol" and set(data["outputs"]) == {
        "territory",
        "security",
        "sanctions",
    }
    row = data["outputs"]["territory"]["indices"][0]
    assert {"name", "S1", "S1_conf", "ST", "ST_conf"} <= set(row)


def test_war_sensitivity_is_seeded_and_bounded() -> None:
    from detente.analysis.warlink import WarTask, p_talks, war_table

    sc = api.load("ukraine-2025")
    a = sensitivity(sc, "war", method="morris", n=4, paths=32, months=12, seed=3)
    b = sensitivity(sc, "war", method="morris", n=4, paths=32, months=12, seed=3)
    out = "P(talks within 12 months)"
    assert list(a.outputs) == [out] and a.outputs[out].equals(b.outputs[out])
    table = war_table(sc)
    assert set(a.outputs[out]["name"]) == set(table.names) and len(table.names) > 10
    # Each design point's P(talks) is a share of its paths: a multiple of 1/paths in [0, 1].
    u = np.full((3, len(table.names)), 0.5)
    p = p_talks(WarTask(sc, table, u, 12, 40, 1, 0))
    assert p.shape == (3,) and np.all((p >= 0) & (p <= 1))
    np.testing.assert_allclose(p * 40, np.round(p * 40), atol=1e-9)
    with pytest.raises(DetenteError, match="war"):
        sensitivity(linear(), "war", method="morris", n=4)


@pytest.mark.parametrize(("d", "n", "seed"), [(3, 64, 1), (7, 100, 3)])
def test_saltelli_design_equals_salib(d: int, n: int, seed: int) -> None:
    import warnings

    from SALib.sample import sobol as sobol_sample

    from detente.analysis.sensitivity import saltelli_units

    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = sobol_sample.sample(problem, n, calc_second_order=False, seed=seed)
    assert np.array_equal(saltelli_units(d, n, seed), want)


def test_grouped_design_equals_salib_and_actor_indices_match_closed_form() -> None:
    import warnings

    from SALib.sample import sobol as sobol_sample

    from detente.analysis.sensitivity import saltelli_units

    groups = ["a", "b", "a", "c", "b"]
    problem = {
        "num_vars": 5,
        "names": [f"x{i}" for i in range(5)],
        "bounds": [[0.0, 1.0]] * 5,
        "groups": groups,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = sobol_sample.sample(problem, 32, calc_second_order=False, seed=4)
    assert np.array_equal(saltelli_units(5, 32, 4, groups), want)
    # Two issues; each actor has an uncertain position on both. Issue x's compromise depends on
    # the x positions only, so an actor's group index on x is its x position's share (closed
    # form as above); the y inputs in its group add nothing.
    sc = scenario(
        [
            {
                "id": n,
                "cap": c,
                "pos": {
                    "x": {"value": 50.0, "low": 50.0 - h, "high": 50.0 + h},
                    "y": {"value": 50.0, "low": 40.0, "high": 60.0},
                },
            }
            for n, c, h in (("A", 1.0, 10.0), ("B", 2.0, 20.0), ("C", 3.0, 5.0))
        ],
        issues=["x", "y"],
    )
    res = sensitivity(sc, "compromise", method="sobol", issue="x", n=1024, seed=2, by="actor")
    frame = res.outputs["x"].set_index("name")
    c = np.array([1.0, 2.0, 3.0]) ** 2 * np.array([20.0, 40.0, 10.0]) ** 2
    # Tolerance 0.02 as in the ungrouped closed-form test (N = 1024, scrambled Sobol').
    np.testing.assert_allclose(frame.loc[["A", "B", "C"], "S1"].to_numpy(), c / c.sum(), atol=0.02)
    np.testing.assert_allclose(frame.loc[["A", "B", "C"], "ST"].to_numpy(), c / c.sum(), atol=0.02)
    assert res.evaluations == 1024 * (3 + 2)
    with pytest.raises(DetenteError, match="group by one of"):
        sensitivity(sc, "compromise", by="colour")
