"""``detente war`` and ``detente claims`` end to end (CliRunner), and the war schema's errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import main as cli_main
from detente.scenario.errors import ScenarioError
from detente.scenario.io import loads

cli_main._register_commands()
runner = CliRunner()
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_war_prints_the_policy_comparison_and_writes_the_plot(tmp_path: Path) -> None:
    plot = tmp_path / "p.png"
    res = runner.invoke(
        cli_main.app,
        ["war", "--paths", "400", "--months", "24", "--seed", "1", "--plot", str(plot)],
    )
    assert res.exit_code == 0, res.output
    for name in (
        "status-quo",
        "appeasement",
        "pressure",
        "credible-pressure",
        "secondary-sanctions",
        "europe-alone",
    ):
        assert name in res.output
    assert str(plot) in res.output.replace("\n", "")
    assert plot.read_bytes()[:8] == PNG_MAGIC


def test_war_json_is_stable_and_reproducible(tmp_path: Path) -> None:
    args = [
        "war",
        "--paths",
        "300",
        "--months",
        "18",
        "--seed",
        "2",
        "--json",
        "--policy",
        "status-quo",
        "--policy",
        "credible-pressure",
        "--plot",
        str(tmp_path / "w.png"),
    ]
    a = runner.invoke(cli_main.app, args)
    b = runner.invoke(cli_main.app, args)
    assert a.exit_code == 0, a.output
    assert a.output == b.output
    data = json.loads(a.output)
    assert list(data["policies"]) == ["status-quo", "credible-pressure"]
    for pol in data["policies"].values():
        p = pol["p_talks_by_month"]
        assert len(p) == 18 and all(0 <= x <= 1 for x in p)
        assert all(x <= y for x, y in zip(p, p[1:], strict=False))
        assert {"terms", "cost_A", "cost_D", "p_talks_12"} <= set(pol["summary"])
    assert data["plot"] == str(tmp_path / "w.png")


def test_war_shows_base_rates_when_data_is_given(tmp_path: Path) -> None:
    data = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "war"
    if not (data / "Inter-StateWarData_v4.0.csv").is_file():
        pytest.skip(f"{data} is absent: the shared war data is not beside this clone")
    res = runner.invoke(
        cli_main.app,
        ["war", "--paths", "200", "--months", "12", "--no-plot", "--data", str(data), "--json"],
    )
    assert res.exit_code == 0, res.output
    rates = json.loads(res.output)["base_rates"]
    assert rates["cow"]["median_days"] == 162 and rates["ucdp"]["episodes"] == 66


def test_claims_table_and_json() -> None:
    res = runner.invoke(cli_main.app, ["claims", "--draws", "4", "--paths", "40", "--months", "24"])
    assert res.exit_code == 0, res.output
    for cid in (
        "appeasement",
        "credible-pressure",
        "empty-threats",
        "third-party-support",
        "beliefs-converge",
        "not-fast",
        "uneven-costs",
    ):
        assert cid in res.output
    res = runner.invoke(
        cli_main.app, ["claims", "--draws", "4", "--paths", "40", "--months", "24", "--json"]
    )
    data = json.loads(res.output)
    assert len(data["claims"]) == 7
    assert all(isinstance(c["holds_default"], bool) for c in data["claims"])


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["war", "--policy", "surrender", "--no-plot"], "unknown policy mix 'surrender'"),
        (["war", "--paths", "0", "--no-plot"], "--paths"),
        (["war", "--seed", "-3", "--no-plot"], "--seed"),
        (["war", "--no-plot", "--data", "/nonexistent-dir"], "missing"),
        (["claims", "--draws", "0"], "at least 1"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(
    argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        cli_main.main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("detente: error:") and needle in err and err.count("\n") == 1


_WAR = """
meta: {title: t}
issues: [{id: i, name: I}]
actors:
  - {id: A, name: A, capability: 1, positions: {i: 10}, saliences: {i: 1}}
  - {id: D, name: D, capability: 1, positions: {i: 90}, saliences: {i: 1}}
war:
  attacker: A
  defender: D
"""


@pytest.mark.parametrize(
    ("section", "needle"),
    [
        ("  parameters: {sigmaa: 1}", "unknown war parameter 'sigmaa'"),
        ("  parameters: {sigma: {value: 0.01, low: 0.0, high: 0.02}}", "must lie within"),
        ("  policies: {x: {events: [{kind: bribe, month: 1}]}}", "kind"),
        (
            "  policies: {x: {events: [{kind: threat, month: 1, intensity: nope}]}}",
            "neither a number nor a war parameter",
        ),
        ("  policies: {x: {events: [{kind: aid, month: 0}]}}", "month"),
    ],
)
def test_war_schema_errors_name_the_field(section: str, needle: str) -> None:
    with pytest.raises(ScenarioError, match=needle):
        loads(_WAR + section + "\n", "w.yaml")


def test_user_policy_mix_in_a_scenario_runs() -> None:
    text = _WAR + (
        "  parameters: {optimism_A: 0.01}\n"
        "  policies:\n"
        "    mine: {base: pressure, events: [{kind: sanction, month: 2, intensity: 0.3}]}\n"
    )
    from detente.war import simulate
    from detente.war.policies import policy_names

    sc = loads(text, "w.yaml")
    assert "mine" in policy_names(sc.war)
    res = simulate(sc, "mine", months=6, paths=20, seed=0)
    assert res.talks_month.shape == (20,)


def test_set_and_lever_options_change_the_run(tmp_path: Path) -> None:
    base = [
        "war",
        "--paths",
        "300",
        "--months",
        "24",
        "--json",
        "--no-plot",
        "--fixed",
        "--policy",
        "credible-pressure",
    ]
    plain = json.loads(runner.invoke(cli_main.app, base).output)
    # No threats and no enforcement: credible pressure loses its threats' effect on talks.
    weaker = json.loads(
        runner.invoke(
            cli_main.app, [*base, "--lever", "threat=0", "--set", "enforce_strong=0"]
        ).output
    )
    p0 = plain["policies"]["credible-pressure"]["summary"]["p_talks_12"]
    p1 = weaker["policies"]["credible-pressure"]["summary"]["p_talks_12"]
    assert p1 < p0
    with pytest.raises(SystemExit):
        cli_main.main(["war", "--no-plot", "--paths", "10", "--lever", "threat=abc"])
