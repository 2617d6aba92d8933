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


# The base rates are computed from the COW/UCDP/GSDB files in ../shared/data/war; a user's clone
# has none, and the report then leaves that section out with one line.
WAR_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "war"


def test_every_section_is_there(page: str) -> None:
    expected = ["scenario", "sources", "forecasts", "plots", "war", "claims"]
    if WAR_DATA.is_dir():
        expected.append("baserates")
    else:
        assert "Left out: <strong>Base rates</strong>" in page or "Base rates" in page
    for section in expected:
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
    # status-quo schedules no events, so no lever can move it; pressure's threats are scaled
    # (in the calibrated war model they move the war's costs more than when talks come).
    assert hard["policies"][0]["summary"] == base["policies"][0]["summary"]
    assert hard["policies"][1]["summary"] != base["policies"][1]["summary"]


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


def _row(page: str, table_id: str, first_cell: str) -> str:
    table = page[page.index(f'id="{table_id}"') :]
    table = table[: table.index("</table>")]
    row = table[table.index(first_cell) :]
    return row[: row.index("</tr>")]


def test_war_section_shows_endings_duration_and_terms_per_policy(data: dict, page: str) -> None:
    from detente.war import run_war

    sc = scenario_io.load("ukraine-2025")
    result = data["war"]["result"]
    # the report's shares are run_war's, on the same seed and sizes (an oracle by re-running)
    run = run_war(
        sc,
        ["status-quo"],
        months=len(result["months"]),
        draws=result["draws"],
        paths_per_draw=result["paths_per_draw"],
        seed=result["seed"],
    )
    summary = run.policies["status-quo"].summary()
    by_end = summary["p_by_end"]
    assert sum(by_end.values()) == pytest.approx(1.0, abs=1e-9)
    row = _row(page, "policy-table", "<strong>status-quo</strong>")
    cells = [float(x) for x in re.findall(r'<td class="num">([0-9.]+)</td>', row)]
    shares = [by_end[k] for k in report_html.OUTCOME_COLUMNS_KEYS]
    assert cells[:5] == pytest.approx(shares, abs=5e-4)  # printed to three decimals
    drow = _row(page, "duration-table", "<strong>status-quo</strong>")
    for q in ("p10", "p25", "p50"):
        assert f">{summary['duration_months'][q]:.0f}<" in drow
    if summary["duration_months"]["p90"] is None:
        assert "&gt; horizon" in drow
    t = summary["terms"]
    if t["median"] is not None:
        assert f"{t['median']:.3f} [{t['p10']:.3f}, {t['p90']:.3f}]" in drow
    assert 'id="chart-endings"' in page


def test_claims_section_shows_share_interval_mixes_and_change(data: dict, page: str) -> None:
    from detente.analysis.claims import TESTS, mix_difference

    claims = data["claims"]["result"]
    assert claims
    for c in claims:
        block = page[page.index(f'id="claim-{c["id"]}"') :]
        block = block[
            : block.index('<tr id="claim-', 10) if '<tr id="claim-' in block[10:] else None
        ]
        assert f"{100 * c['share']:.0f}%" in block
        assert f"{100 * c['low']:.0f}&ndash;{100 * c['high']:.0f}%" in block
        assert f"{c['holds']} of {c['draws']}" in block
        t = TESTS[c["id"]]
        if t.b is not None and not t.b_params:
            assert f"<code>{t.a}</code> vs <code>{t.b}</code>" in block
            for change in mix_difference(t.a, t.b):
                assert f"<code>{change}</code>" in block
        if c["share"] == 1.0:
            text = htmllib.unescape(block)
            assert "Holds in every draw:" in text
            # the note says why, without repeating "holds in every draw"
            why = re.sub(r"^holds in every draw[ :,;-]*", "", c["note"])
            assert why[1:] in text


def test_war_terms_beside_the_territory_forecasts(data: dict, page: str) -> None:
    terms = data["terms"]
    assert terms["available"] and terms["issue"] == "territory"
    assert 'id="war-terms"' in page
    rows = [r for r in data["forecast"]["forecasts"] if r["issue"] == "territory"]
    for r in rows:
        row = _row(page, "forecast-territory", f"<td>{r['model']}</td>")
        assert ("outside the war terms" in row) == api.outside_terms(r["forecast"], terms)
    # a range both accept that holds one forecast and not the other: only that one is flagged
    lo = min(r["forecast"] for r in rows)
    hi = max(r["forecast"] for r in rows)
    assert lo < hi
    fake = dict(data)
    fake["terms"] = {
        **terms,
        "acceptable": {"low": lo - 1, "high": (lo + hi) / 2, "range_exists": True},
    }
    other = report_html.render_report(fake)
    inside = next(r for r in rows if r["forecast"] == lo)
    outside = next(r for r in rows if r["forecast"] == hi)
    assert "outside the war terms" not in _row(
        other, "forecast-territory", f"<td>{inside['model']}</td>"
    )
    assert "outside the war terms" in _row(
        other, "forecast-territory", f"<td>{outside['model']}</td>"
    )
    assert "no terms exist that both belligerents would accept" not in other
    fake["terms"] = {**terms, "acceptable": {"low": hi + 1, "high": lo - 1, "range_exists": False}}
    none = report_html.render_report(fake)
    assert "no terms exist that both belligerents would accept" in none
    for r in rows:
        assert "outside the war terms" in _row(none, "forecast-territory", f"<td>{r['model']}</td>")


def test_calibrated_war_parameters_are_not_called_defaults(data: dict) -> None:
    from detente.scenario.war_schema import STRUCTURAL
    from detente.war.calibration import calibrated_medians

    med = calibrated_medians()
    rows = {r["name"]: r for r in data["defaults"] if r["what"] == "war parameter"}
    for name in STRUCTURAL:
        assert rows[name]["calibrated"] and rows[name]["value"] == pytest.approx(med[name])
        assert rows[name]["meaning"].startswith("calibrated: drawn from the")
    assert not any(r["calibrated"] for n, r in rows.items() if n not in STRUCTURAL)


def test_a_claim_that_holds_everywhere_by_ties_says_so() -> None:
    # the claims check replaces its note on ties by the every-draw note; the report keeps both
    section = {
        "available": True,
        "draws": 4,
        "paths": 10,
        "seed": 0,
        "result": [
            {
                "id": "appeasement",
                "text": "t",
                "test": "months to settlement with concessions >= without",
                "compared": ["concessions", "status-quo"],
                "difference": ["+concession"],
                "draws": 4,
                "holds": 4,
                "share": 1.0,
                "low": 0.51,
                "high": 1.0,
                "values": {"share_of_draws_tied": 1.0},
                "note": "holds in every draw: read it as a property of the model's structure",
            },
            {
                "id": "credible-pressure",
                "text": "t",
                "test": "months to settlement with enforced threats < without",
                "compared": ["credible-pressure", "status-quo"],
                "difference": ["+threat"],
                "draws": 4,
                "holds": 0,
                "share": 0.0,
                "low": 0.0,
                "high": 0.49,
                "values": {"share_of_draws_tied": 0.75},
                "note": "in 75% of draws the change makes no difference (e.g. no path settles "
                "under either mix); the share counts ties as failing",
            },
        ],
    }
    a, c = report_html.claims_view(section)["rows"]
    assert a["every_draw"] and a["why"].startswith("Read it as a property")
    assert a["tie_note"].startswith("in 100% of draws") and a["tie_note"].endswith("as holding")
    assert c["tie_note"] is None  # its own note already says it
