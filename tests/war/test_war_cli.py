"""``detente war``, ``detente war backtest`` and ``detente claims`` end to end (CliRunner), and
the war schema's errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import main as cli_main
from detente.scenario.errors import ScenarioError
from detente.scenario.io import loads
from detente.war.calibration import COW_FILE, NMC_FILE

cli_main._register_commands()
runner = CliRunner()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA = Path(__file__).resolve().parents[2] / "../shared/data/war"
SMALL = ["--draws", "20", "--paths", "20", "--months", "24", "--no-store"]


def test_war_table_and_plot(tmp_path: Path) -> None:
    plot = tmp_path / "p.png"
    res = runner.invoke(cli_main.app, ["war", *SMALL, "--plot", str(plot)])
    assert res.exit_code == 0, res.output
    for name in ("status-quo", "appeasement", "credible-pressure", "europe-alone"):
        assert name in res.output
    assert plot.read_bytes()[:8] == PNG_MAGIC


def test_war_json_shape_and_reproducible() -> None:
    args = ["war", *SMALL, "--json", "--no-plot", "-P", "status-quo", "-P", "appeasement"]
    a = runner.invoke(cli_main.app, args)
    b = runner.invoke(cli_main.app, args)
    assert a.exit_code == 0, a.output
    assert a.output == b.output
    out = json.loads(a.output)
    for pol in out["policies"].values():
        assert set(pol["outcomes"]) == {
            "settlement",
            "victory_attacker",
            "victory_defender",
            "fading",
        }
        assert set(pol["duration_months"]) == {"p10", "p25", "p50", "p75", "p90"}
        assert abs(sum(pol["outcomes"].values()) - 1.0) < 1e-9 or pol["paths"] == 0


def test_defaults_are_named_in_the_output(tmp_path: Path) -> None:
    text = (
        "meta: {title: bare}\n"
        "issues: [{id: territory, name: T}]\n"
        "actors:\n"
        "  - {id: A, name: A, capability: 1, saliences: {territory: 1},\n"
        "     positions: {territory: 10}}\n"
        "  - {id: B, name: B, capability: 1, saliences: {territory: 1},\n"
        "     positions: {territory: 90}}\n"
        "war: {attacker: A, defender: B}\n"
    )
    path = tmp_path / "bare.yaml"
    path.write_text(text)
    res = runner.invoke(cli_main.app, ["war", str(path), *SMALL, "--no-plot"])
    assert res.exit_code == 0, res.output
    assert "left to detente's defaults" in res.output
    assert "capability_A" in res.output


@pytest.mark.skipif(
    not ((DATA / COW_FILE).is_file() and (DATA / NMC_FILE).is_file()),
    reason="../shared/data/war (COW wars and NMC) is absent",
)
def test_war_backtest_json_shape() -> None:
    for mod in ("scoringrules", "lifelines", "sklearn"):
        pytest.importorskip(mod, reason="the backtest needs the [war] extra")
    res = runner.invoke(cli_main.app, ["war", "backtest", "--json", "--boot", "200"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out["train"]) == {"n_wars", "first_year", "last_year"}
    assert out["train"]["last_year"] < 1946
    assert out["test"]["first_year"] >= 1946
    assert set(out["test"]["scores"]) == {"model", "base_rate", "weibull"}
    for s in out["test"]["scores"].values():
        assert {"crps", "crps_low", "crps_high", "log_score"} <= set(s)
        assert s["crps_low"] <= s["crps"] <= s["crps_high"]
    if (DATA / "ucdp_acd.csv").is_file():  # the second check (tests/war/test_war_ucdp.py)
        assert set(out["ucdp_episodes"]["scores"]) == {"model", "base_rate", "weibull"}


def test_claims_json() -> None:
    res = runner.invoke(
        cli_main.app, ["claims", "--draws", "10", "--paths", "20", "--json", "--no-store"]
    )
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert len(out["claims"]) == 7
    assert all(c["share"] is None or 0 <= c["share"] <= 1 for c in out["claims"])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "nope=1"], "unknown war parameter"),
        (["--set", "tau"], "--set 'tau'"),
        (["--lever", "threat=-1"], "must be a number in [0, 100]"),
        (["-P", "nope"], "unknown policy mix"),
        (["--seed", "-3"], "--seed"),
        (["--data", "/nonexistent-dir"], "missing"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        cli_main.main(["war", *SMALL, "--no-plot", *args])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("detente: error:") and needle in err and err.count("\n") == 1


def test_schema_rejects_out_of_range_parameter() -> None:
    text = (
        "meta: {title: t}\nissues: [{id: x, name: X}]\nactors:\n"
        "  - {id: A, name: A, capability: 1, saliences: {x: 1}, positions: {x: 10}}\n"
        "  - {id: B, name: B, capability: 1, saliences: {x: 1}, positions: {x: 90}}\n"
        "war: {parameters: {tau: {value: 5}}}\n"
    )
    with pytest.raises(ScenarioError, match="tau"):
        loads(text, "yaml")
