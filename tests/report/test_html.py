"""The HTML report: self-contained, every section present (or saying why not), numbers that
match the service functions, everything from the scenario escaped."""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import numpy as np
import pytest

from detente import api
from detente.report import html as report_html
from detente.report import sections
from detente.scenario import io as scenario_io
from detente.store.runs import RunStore

DRAWS = 40  # Monte Carlo draws in these tests: enough to have intervals, fast on 2 cores


@pytest.fixture(scope="module")
def data() -> dict:
    sc = scenario_io.load("ukraine-2025")
    return report_html.report_data(
        sc, models=["median", "compromise"], draws=DRAWS, seed=3, claims_draws=4, claims_paths=50
    )


@pytest.fixture(scope="module")
def page(data: dict) -> str:
    return report_html.render_report(data)


def test_report_is_self_contained(page: str) -> None:
    # No script, no external stylesheet, image or font: the file opens offline.
    assert "<script" not in page.lower()
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)
    assert "<link" not in page.lower()
    assert page.count("<svg") >= 2  # positions + talks at least, inline


def test_every_section_is_there(page: str) -> None:
    for section in ("scenario", "sources", "forecasts", "plots", "war", "claims", "baserates"):
        assert f'<section id="{section}">' in page
    sc = scenario_io.load("ukraine-2025")
    text = htmllib.unescape(page)
    for actor in sc.actors:
        assert actor.name in text
    for src in sc.meta.sources:
        assert src.title in text
    # every number that names its source is listed with it
    assert text.count("</tr>") > len(sc.actors) * len(sc.issues)
    assert sc.actors[0].capability.source in text


def test_forecasts_and_intervals_match_the_service_functions(data: dict, page: str) -> None:
    from detente.analysis.montecarlo import monte_carlo

    sc = scenario_io.load("ukraine-2025")
    fc = api.forecast(sc, model=["median", "compromise"])
    table = page[page.index('id="forecast-territory"') :]
    table = table[: table.index("</table>")]
    row = table[table.index("<td>compromise</td>") :]
    row = row[: row.index("</tr>")]
    assert f"{fc.results['compromise'].forecast[0, 0]:.2f}" in row
    mc = monte_carlo(sc, "compromise", DRAWS, seed=3).to_dict()["issues"]["territory"]
    # Same seed, same draws: the report's interval is the Monte Carlo engine's, to the digit shown.
    assert f"{mc['interval_90'][0]:.1f} &ndash; {mc['interval_90'][1]:.1f}" in row
    assert data["montecarlo"]["available"] and data["montecarlo"]["draws"] == DRAWS


def test_war_section_compares_policies_with_bands(data: dict, page: str) -> None:
    war = data["war"]
    if not war["available"]:
        pytest.skip(war["reason"])
    result = war["result"]
    from detente.war.policies import policy_names

    names = [p["name"] for p in result["policies"]]
    assert names == policy_names(scenario_io.load("ukraine-2025").war)
    for pol in result["policies"]:
        p, lo, hi = (np.array(pol[k]) for k in ("p_talks", "low", "high"))
        assert np.all(np.diff(p) >= 0) and p.min() >= 0 and p.max() <= 1  # a CDF
        assert np.all(lo <= hi)
        assert pol["name"] in page
    assert 'id="chart-talks"' in page and 'id="policy-table"' in page


def test_talks_comparison_invariants() -> None:
    if sections._module("detente.war") is None:
        pytest.skip("the war model is absent")
    sc = scenario_io.load("ukraine-2025")
    one = sections.talks_comparison(
        sc, policies=["status-quo", "pressure"], months=12, draws=1, paths_per_draw=300, seed=5
    )
    for pol in one["policies"]:
        # With one parameter draw the band is that draw's curve: it collapses onto the line.
        assert pol["low"] == pytest.approx(pol["p_talks"], abs=1e-12)
        assert pol["high"] == pytest.approx(pol["p_talks"], abs=1e-12)
    again = sections.talks_comparison(
        sc, policies=["status-quo", "pressure"], months=12, draws=1, paths_per_draw=300, seed=5
    )
    assert again == one  # same seed, same numbers
    base = sections.talks_comparison(
        sc, policies=["status-quo", "pressure"], months=24, draws=10, paths_per_draw=100, seed=5
    )
    hard = sections.talks_comparison(
        sc,
        policies=["status-quo", "pressure"],
        months=24,
        draws=10,
        paths_per_draw=100,
        seed=5,
        levers={"threat": 3.0},
    )
    # status-quo schedules no events, so no lever can move it; pressure's threats are scaled.
    assert hard["policies"][0]["p_talks"] == base["policies"][0]["p_talks"]
    assert hard["policies"][1]["p_talks"] != base["policies"][1]["p_talks"]


def test_absent_layers_are_said_to_be_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    real = sections._module
    monkeypatch.setattr(
        sections, "_module", lambda name: None if name.startswith("detente.war") else real(name)
    )
    sc = scenario_io.load("ukraine-2025")
    page = report_html.build_report(sc, models=["median"], draws=0, claims_draws=2, claims_paths=20)
    assert 'id="war-absent"' in page and "war-termination model" in page
    assert 'id="baserates-absent"' in page
    assert 'id="mc-absent"' in page and "--draws 0" in page
    assert 'id="chart-talks"' not in page


def test_scenario_text_is_escaped() -> None:
    data = scenario_io.load("ukraine-2025").model_dump(mode="json")
    data["actors"][0]["name"] = "<script>alert(1)</script>"
    data["meta"]["title"] = "A & B <i>"
    sc = scenario_io.from_data(data)
    page = report_html.build_report(
        sc,
        models=["median"],
        draws=0,
        claims_draws=2,
        claims_paths=20,
        war={"available": False, "reason": "skipped"},
    )
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "A &amp; B &lt;i&gt;" in page


def test_report_of_a_stored_run_uses_its_results(tmp_path: Path) -> None:
    sc = scenario_io.load("ukraine-2025")
    result = api.forecast(sc, model=["median"]).to_dict()
    result["forecasts"][0]["forecast"] = 12.345  # a stored value the live model would not give
    rs = RunStore(tmp_path / "runs.sqlite")
    rid = rs.record("forecast", sc, {}, None, result, models=["median"])
    data = report_html.run_report_data(rs.get(rid), draws=0, claims_draws=2, claims_paths=20)
    data["war"] = {"available": False, "reason": "skipped in this test"}
    page = report_html.render_report(data)
    assert "12.35" in page and f"run {rid} (forecast" in page


def test_cli_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer
    from typer.testing import CliRunner

    from detente.cli import report_cmd

    store = tmp_path / "runs.sqlite"
    monkeypatch.setenv("DETENTE_STORE", str(store))
    app = typer.Typer()
    report_cmd.register(app)
    app.command("noop")(lambda: None)  # two commands: typer keeps "report" as a subcommand
    out = tmp_path / "r.html"
    small = ["--claims-draws", "2", "--claims-paths", "20"]
    res = CliRunner().invoke(
        app, ["report", "-m", "median", "--draws", "10", "-o", str(out), *small]
    )
    assert res.exit_code == 0, (res.output, res.exception)
    page = out.read_text()
    assert page.startswith("<!doctype html>") and "</html>" in page
    run = RunStore(store).get("last")
    assert run.command == "report" and run.seed == 1
    assert run.result["forecast"]["forecasts"][0]["model"] == "median"
    res = CliRunner().invoke(app, ["report", "last", "-o", str(tmp_path / "r2.html"), *small])
    assert res.exit_code == 0, (res.output, res.exception)
    assert f"run {run.id} (report" in (tmp_path / "r2.html").read_text()
