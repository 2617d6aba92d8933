"""Scenario discovery: PRIM and CART recover a known box on a synthetic case; discovery runs on
ukraine-2025 with a war target and a forecast target, through the API and the CLI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from detente.analysis.discover import cart, discover, prim, quasi_p
from detente.api import load
from detente.cli import discover_cmd
from detente.scenario.errors import DetenteError

NAMES = tuple(f"x{i}" for i in range(6))


def _synthetic(noise: float = 0.0, n: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((n, 6))
    y = ((x[:, 1] > 0.6) & (x[:, 3] < 0.3)).astype(float)
    if noise:
        y = np.where(rng.random(n) < noise, 1.0 - y, y)
    return x, y


def test_prim_recovers_a_known_box() -> None:
    # The target holds exactly on x1 > 0.6 and x3 < 0.3 (12% of the draws): the first box must
    # be bounded by those two inputs alone, at those limits (PRIM cuts at sampled values in steps
    # of alpha = 5% of the box's points: tolerance 0.03), and find nearly all target draws.
    x, y = _synthetic()
    boxes, trajectory = prim(x, y, NAMES)
    b = boxes[0]
    assert set(b.limits) == {"x1", "x3"}
    assert b.limits["x1"][0] == pytest.approx(0.6, abs=0.03) and math.isinf(b.limits["x1"][1])
    assert b.limits["x3"][1] == pytest.approx(0.3, abs=0.03) and math.isinf(b.limits["x3"][0])
    assert b.coverage > 0.95 and b.density > 0.9
    assert b.mass == pytest.approx(0.12, abs=0.02)
    # The trajectory starts with the whole sample (coverage 1, density = base rate) and ends at
    # the smallest box, coverage never rising.
    assert trajectory[0].coverage == 1.0 and trajectory[0].density == pytest.approx(y.mean())
    assert trajectory[-1].mass >= 0.05 - 1e-12
    cov = [s.coverage for s in trajectory]
    assert all(a >= b for a, b in zip(cov, cov[1:], strict=False))


def test_prim_finds_the_box_through_noise_and_cart_beside_it() -> None:
    x, y = _synthetic(noise=0.1)
    boxes, _ = prim(x, y, NAMES)
    assert set(boxes[0].limits) == {"x1", "x3"}
    assert boxes[0].limits["x1"][0] == pytest.approx(0.6, abs=0.05)
    assert boxes[0].limits["x3"][1] == pytest.approx(0.3, abs=0.06)
    x, y = _synthetic()
    tree = cart(x, y, NAMES)
    assert set(tree[0].limits) == {"x1", "x3"} and tree[0].density == 1.0
    assert tree[0].limits["x1"][0] == pytest.approx(0.6, abs=0.01)


def test_quasi_p_separates_real_limits_from_noise() -> None:
    x, y = _synthetic()
    xmin, xmax = x.min(axis=0), x.max(axis=0)
    lo, hi = xmin.copy(), xmax.copy()
    lo[1], hi[3], hi[5] = 0.6, 0.3, 0.9  # x5's limit is noise
    assert quasi_p(x, y, lo, hi, 1, xmin, xmax) < 1e-6
    assert quasi_p(x, y, lo, hi, 5, xmin, xmax) > 0.05


def test_discover_runs_on_ukraine_with_a_war_target() -> None:
    sc = load("ukraine-2025")
    res = discover(sc, "p_talks_12>=0.5", draws=300, paths=32, seed=1)
    assert 0.0 < res.base_rate < 1.0
    assert len(res.inputs) > 10 and res.settings["model"] == "war"
    # PRIM keeps a box only when it is denser than the whole sample; a CART leaf is a box
    # where the target holds in most draws.
    for b in res.boxes:
        assert 0.0 < b.coverage <= 1.0 and b.density > res.base_rate
    for b in res.cart_boxes:
        assert 0.0 < b.coverage <= 1.0 and b.density > 0.5
    for b in res.boxes + res.cart_boxes:
        assert b.limits and set(b.limits) <= set(res.inputs)
    again = discover(sc, "p_talks_12>=0.5", draws=300, paths=32, seed=1)
    assert again.to_dict() == res.to_dict()  # seeded


def test_discover_on_a_forecast_target_names_the_inputs_that_matter() -> None:
    # The compromise forecast of territory is a capability x salience weighted mean of
    # positions: the box where it stays <= 70 must be bounded by inputs of territory or
    # capabilities, never by another issue's position or salience.
    res = discover(load("ukraine-2025"), "forecast.compromise.territory<=70", draws=1500, seed=0)
    assert res.boxes
    for b in res.boxes:
        for name in b.limits:
            assert name.endswith(".territory") or name.endswith(".capability"), name


def test_cli_and_errors(tmp_path: Path) -> None:
    app = typer.Typer()
    discover_cmd.register(app)
    app.command("noop")(lambda: None)
    plot = tmp_path / "prim.png"
    res = CliRunner().invoke(
        app,
        ["discover", "--target", "territory<=70", "--draws", "400", "--json", "--plot", str(plot)],
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["target"] == "territory<=70" and out["trajectory"][0]["coverage"] == 1.0
    assert plot.stat().st_size > 1000
    with pytest.raises(DetenteError, match="unknown issue"):
        discover(load("ukraine-2025"), "nothing<=3", draws=50)
    with pytest.raises(DetenteError, match="draws"):
        discover(load("ukraine-2025"), "territory<=3", draws=5)
