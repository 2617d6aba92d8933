"""`detente forecast`, `models`, `scenarios`, `validate` end to end through the typer app."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from detente.cli.main import _register_commands, app

runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _commands() -> None:
    if not app.registered_commands:
        _register_commands()


def test_forecast_table_on_default_scenario() -> None:
    result = runner.invoke(app, ["forecast"])
    assert result.exit_code == 0, result.output
    for word in (
        "Territory",
        "Ukraine's security",
        "Sanctions relief",
        "median",
        "compromise",
        "nash",
        "eum",
        "smp",
        "exchange",
    ):
        assert word in result.output
    # The exchange model lists the trades it made; EUM shows Scholz's per-round series.
    text = " ".join(result.output.split())
    assert "exchange: " in text and " exchanges (i moves on its issue" in text
    assert "eum: trajectory per round" in text and "final positions after 8 rounds" in text


def test_forecast_json_has_stable_keys() -> None:
    result = runner.invoke(
        app, ["forecast", "--model", "median", "--model", "compromise", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"scenario", "issues", "forecasts", "models"}
    assert {r["model"] for r in data["forecasts"]} == {"median", "compromise"}
    row = next(r for r in data["forecasts"] if r["model"] == "median" and r["issue"] == "territory")
    # The weighted median of the default scenario's territory positions, by hand: positions sorted
    # 10 (UKR .51), 40 (EU .42), 70 (IND .025), 85 (USA .3, CHN .12), 100 (RUS .9); total 2.275,
    # half 1.1375; cumulative reaches it at 85 (.955 + .42 = 1.375).
    assert row["forecast"] == 85.0
    assert row["nearest_label"] == "all Russia claims"
    assert len(data["scenario"]["sha256"]) == 64


def test_param_override_is_validated() -> None:
    result = runner.invoke(app, ["forecast", "--model", "median", "--param", "median.weighting=x"])
    assert result.exit_code != 0


def test_models_lists_citations() -> None:
    result = runner.invoke(app, ["models", "--json"])
    assert result.exit_code == 0
    names = {m["name"]: m for m in json.loads(result.output)}
    assert {"median", "compromise", "nash"} <= set(names)
    assert "Black (1948)" in names["median"]["citation"]


def test_scenarios_lists_default() -> None:
    result = runner.invoke(app, ["scenarios", "--json"])
    assert any(r["name"] == "ukraine-2025" for r in json.loads(result.output))


def test_api_tidy_frame() -> None:
    import detente

    fc = detente.forecast("ukraine-2025", model=["median", "compromise"])
    frame = fc.to_frame()
    assert list(frame.columns[:4]) == ["model", "issue", "forecast", "nearest_label"]
    assert len(frame) == 2 * 3


def test_ktab_csv_forecast_with_smp_prints_final_positions_and_turns() -> None:
    from tests.conftest import shared_path

    path = shared_path("data", "bargaining", "ktab", "SOE-Pol-Comp.csv")
    result = runner.invoke(app, ["forecast", str(path), "--model", "smp", "--no-store"])
    assert result.exit_code == 0, result.output
    assert "final positions after 27 rounds" in " ".join(result.output.split())
    # WY holds its position through KTAB's reference run (15.0 and 60.0 at every turn).
    assert "15.00 -> 15.00" in result.output and "60.00 -> 60.00" in result.output
    data = json.loads(
        runner.invoke(app, ["forecast", str(path), "-m", "smp", "--json", "--no-store"]).output
    )
    assert data["models"]["smp"]["rounds"] == 27
    assert set(data["models"]["smp"]["final_positions"]["Policy"]) >= {"XJ", "WY"}
