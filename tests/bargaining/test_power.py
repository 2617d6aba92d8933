"""Voting power: Shapley-Shubik and Banzhaf indices against a hand-computed game, the published
indices of the EEC Council of 1958, a brute-force oracle for the generating function, and the
EU Council's double majority (properties); the scenario field and the CLI."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
import typer
import yaml
from typer.testing import CliRunner

from detente.bargaining.power import power_indices
from detente.cli import power_cmd
from detente.scenario import io
from detente.scenario.errors import ScenarioError
from detente.scenario.voting_schema import VotingRule


def _rule(weights: dict[str, float], quota: float, **kw: object) -> VotingRule:
    return VotingRule(
        name="test", voters=list(weights), criteria=[{"weights": weights, "quota": quota}], **kw
    )


@pytest.mark.parametrize("method", ["enumerate", "dp"])
def test_hand_computed_game(method: str) -> None:
    # [3; 2, 1, 1]: A wins with B or C. Orders (6): A pivotal in 4 (B A C, C A B, B C A? no:
    # B C then A: B+C = 2 < 3, A pivotal; so A is pivotal unless it comes first: 4 of 6),
    # B and C in 1 each. SS = (2/3, 1/6, 1/6). Swings: A in {B}, {C}, {B, C}: 3; B in {A}: 1;
    # C in {A}: 1. Raw Banzhaf = (3/4, 1/4, 1/4); normalised (3/5, 1/5, 1/5).
    res = power_indices(_rule({"A": 2, "B": 1, "C": 1}, 3), method=method)
    assert res.shapley == pytest.approx([2 / 3, 1 / 6, 1 / 6], abs=1e-12)
    assert res.banzhaf_raw == pytest.approx([3 / 4, 1 / 4, 1 / 4], abs=1e-12)
    assert res.banzhaf == pytest.approx([3 / 5, 1 / 5, 1 / 5], abs=1e-12)


@pytest.mark.parametrize("method", ["enumerate", "dp"])
def test_published_eec_council_1958(method: str) -> None:
    # Council of the EEC, 1958-1972, qualified majority: France, Germany, Italy 4 votes; Belgium,
    # Netherlands 2; Luxembourg 1; quota 12 of 17. Published indices (Felsenthal & Machover 1998,
    # *The Measurement of Voting Power*, Edward Elgar; the example of Luxembourg's null power):
    # Shapley-Shubik 14/60 = .233 (big three), 9/60 = .150 (Benelux pair), 0 (Luxembourg);
    # normalised Banzhaf 5/21 = .238, 3/21 = .143, 0.
    w = {"FRA": 4, "DEU": 4, "ITA": 4, "BEL": 2, "NLD": 2, "LUX": 1}
    res = power_indices(_rule(w, 12), method=method)
    assert res.shapley == pytest.approx([14 / 60] * 3 + [9 / 60] * 2 + [0.0], abs=1e-12)
    assert res.banzhaf == pytest.approx([5 / 21] * 3 + [3 / 21] * 2 + [0.0], abs=1e-12)
    assert res.to_dict()["voters"]["LUX"]["shapley_shubik"] == 0.0


def _brute(rule: VotingRule) -> tuple[np.ndarray, np.ndarray]:
    """Shapley-Shubik by every order, Banzhaf by every coalition (the definitions)."""
    n = len(rule.voters)
    ws = [np.array(rule.weights(c)) for c in range(len(rule.criteria))]
    qs = [
        c.quota if c.quota is not None else c.share * w.sum()
        for c, w in zip(rule.criteria, ws, strict=True)
    ]

    def wins(members: tuple[int, ...]) -> bool:
        idx = list(members)
        ok = all(w[idx].sum() >= q - 1e-9 for w, q in zip(ws, qs, strict=True))
        return ok or (rule.blocking_minority is not None and n - len(idx) < rule.blocking_minority)

    ss = np.zeros(n)
    for order in itertools.permutations(range(n)):
        for k in range(n):
            if wins(order[: k + 1]) and not wins(order[:k]):
                ss[order[k]] += 1
                break
    bz = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for r in range(n):
            for s in itertools.combinations(others, r):
                bz[i] += wins((*s, i)) and not wins(s)
    return ss / math.factorial(n), bz / 2 ** (n - 1)


def test_double_majority_matches_the_definitions() -> None:
    rng = np.random.default_rng(4)
    for _ in range(3):
        pop = np.round(rng.uniform(0.5, 80.0, 7), 1)
        rule = VotingRule(
            name="double majority",
            voters=[f"V{i}" for i in range(7)],
            criteria=[
                {"name": "members", "share": 0.55},
                {
                    "name": "population",
                    "share": 0.65,
                    "weights": {f"V{i}": p for i, p in enumerate(pop)},
                },
            ],
            blocking_minority=4,
        )
        ss, bz = _brute(rule)
        for method in ("enumerate", "dp"):
            res = power_indices(rule, method=method)
            assert res.shapley == pytest.approx(ss, abs=1e-12)
            assert res.banzhaf_raw == pytest.approx(bz, abs=1e-12)


# Eurostat, population on 1 January 2024 (millions, rounded to 0.1; demo_pjan): used for the
# properties below, not for comparison with published indices.
EU27 = {
    "DEU": 83.4,
    "FRA": 68.4,
    "ITA": 59.0,
    "ESP": 48.6,
    "POL": 36.6,
    "ROU": 19.1,
    "NLD": 17.9,
    "BEL": 11.8,
    "CZE": 10.9,
    "SWE": 10.6,
    "PRT": 10.6,
    "GRC": 10.4,
    "HUN": 9.6,
    "AUT": 9.2,
    "BGR": 6.4,
    "DNK": 6.0,
    "FIN": 5.6,
    "SVK": 5.4,
    "IRL": 5.3,
    "HRV": 3.9,
    "LTU": 2.9,
    "SVN": 2.1,
    "LVA": 1.9,
    "EST": 1.4,
    "CYP": 0.9,
    "LUX": 0.7,
    "MLT": 0.6,
}


def eu_rule() -> VotingRule:
    return VotingRule(
        name="Council of the EU, qualified majority (TFEU art. 16(4))",
        voters=list(EU27),
        criteria=[
            {"name": "members", "share": 0.55},
            {"name": "population", "share": 0.65, "weights": EU27},
        ],
        blocking_minority=4,
    )


def test_eu27_double_majority_properties() -> None:
    res = power_indices(eu_rule())  # 27 voters: the generating function
    assert res.method == "dp"
    assert res.shapley.sum() == pytest.approx(1.0, abs=1e-9)  # efficiency
    # Equal populations, equal power (symmetry): Sweden and Portugal.
    i, j = res.voters.index("SWE"), res.voters.index("PRT")
    assert res.shapley[i] == pytest.approx(res.shapley[j], abs=1e-15)
    # Germany, the most populous, has the most power, and more than its share of members (1/27);
    # every member has some power (no dummy, unlike Luxembourg in 1958).
    assert res.shapley.argmax() == res.voters.index("DEU") and res.shapley.max() > 1 / 27
    assert res.shapley.min() > 0 and res.banzhaf.min() > 0
    # Power rises with population among members (weakly: the indices are step functions).
    pops = np.array([EU27[v] for v in res.voters])
    order = np.argsort(pops)
    assert np.all(np.diff(res.shapley[order]) > -1e-12)


def test_scenario_field_and_cli(tmp_path: Path) -> None:
    data = yaml.safe_load(io.embedded_text("ukraine-2025"))
    data["voting"] = {
        "name": "toy council",
        "voters": ["EU", "USA", "UKR"],
        "criteria": [{"weights": {"EU": 2, "USA": 1, "UKR": 1}, "quota": 3}],
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    app = typer.Typer()
    power_cmd.register(app)
    app.command("noop")(lambda: None)
    res = CliRunner().invoke(app, ["power", str(path), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["voters"]["EU"]["shapley_shubik"] == pytest.approx(2 / 3)
    rows = {r["voter"]: r for r in out["table"]}
    assert rows["USA"]["capability"] == 1.0  # beside the actor's capability
    data["voting"]["criteria"][0]["weights"] = {"EU": 2, "USA": 1}
    with pytest.raises(ScenarioError, match="weights must name exactly the voters"):
        io.from_data(data, "s.yaml")


def test_forecast_shows_power_beside_capability(tmp_path: Path) -> None:
    from detente.cli import forecast_cmd

    data = yaml.safe_load(io.embedded_text("ukraine-2025"))
    data["voting"] = {
        "name": "toy council",
        "voters": ["EU", "USA", "UKR"],
        "criteria": [{"weights": {"EU": 2, "USA": 1, "UKR": 1}, "quota": 3}],
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    app = typer.Typer()
    forecast_cmd.register(app)
    app.command("noop")(lambda: None)
    res = CliRunner().invoke(app, ["forecast", str(path), "--model", "median", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["voting_power"]["voters"]["UKR"]["banzhaf"] == pytest.approx(0.2)
    res = CliRunner().invoke(app, ["forecast", str(path), "--model", "median"])
    assert res.exit_code == 0 and "Voting power: toy council" in res.output
    assert "Voting power" not in CliRunner().invoke(app, ["forecast", "--model", "median"]).output
