"""End to end in headless Chromium: load the page, run the default forecast, edit a value, move a
slider and see P(talks by month) change, upload a bad scenario and see the error, open and
compare past runs, download the report. Screenshots go to artifacts/ (gitignored)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from detente import api
from detente.scenario import io as scenario_io

pytestmark = pytest.mark.browser


def _open(page: Any, live_server: dict[str, Any]) -> None:
    page.goto(live_server["url"] + "/")
    page.wait_for_selector("#editor-table")


def _run(page: Any) -> None:
    before = page.locator("#runs-table tbody tr").count()
    page.click("#run-button")
    page.wait_for_selector("#forecast-territory")
    # the runs list refreshes itself once the run is stored
    page.wait_for_function(
        "(n) => document.querySelectorAll('#runs-table tbody tr').length > n", arg=before
    )


def _cell(page: Any, issue: str, model: str) -> float:
    row = page.locator(f"#forecast-{issue} tbody tr", has_text=model).first
    return float(row.locator("td").nth(1).inner_text())


def test_page_loads_offline(page: Any, live_server: dict[str, Any]) -> None:
    _open(page, live_server)
    sc = scenario_io.load("ukraine-2025")
    assert page.inner_text("#scenario-title") == sc.meta.title
    assert page.locator("#editor-table tbody tr").count() == len(sc.actors)
    assert page.evaluate("typeof window.htmx") == "object"  # the vendored htmx ran
    # Every request the page made went to the app itself: no CDN, no fonts, no analytics.
    assert page.requests and all(
        u.startswith(live_server["url"]) or u.startswith("data:") for u in page.requests
    )


def test_default_forecast_matches_the_api(
    page: Any, live_server: dict[str, Any], artifacts: Path
) -> None:
    _open(page, live_server)
    _run(page)
    fc = api.forecast("ukraine-2025")
    for k, issue in enumerate(fc.scenario.issue_ids):
        for name, res in fc.results.items():
            # The page shows 2 decimals: equal to the API's value rounded the same way.
            assert _cell(page, issue, name) == pytest.approx(
                round(float(res.forecast[0, k]), 2), abs=0.005 + 1e-9
            )
    assert page.locator("#chart-positions svg").count() == 1
    page.screenshot(path=str(artifacts / "web-forecast.png"), full_page=True)


def test_edited_table_changes_the_forecast(page: Any, live_server: dict[str, Any]) -> None:
    _open(page, live_server)
    page.uncheck("input[name=model][value=eum]")
    page.uncheck("input[name=model][value=smp]")
    page.uncheck("input[name=model][value=exchange]")
    page.fill("input[name='pos:RUS:territory']", "20")
    page.fill("input[name='cap:UKR']", "2")
    _run(page)
    data = scenario_io.load("ukraine-2025").model_dump(mode="json")
    for actor in data["actors"]:
        if actor["id"] == "RUS":
            actor["positions"]["territory"] = {"value": 20}
        if actor["id"] == "UKR":
            actor["capability"] = {"value": 2}
    edited = api.forecast(scenario_io.from_data(data), model=["compromise", "median", "nash"])
    shown = _cell(page, "territory", "compromise")
    assert shown == pytest.approx(float(edited.results["compromise"].forecast[0, 0]), abs=0.005)
    base = api.forecast("ukraine-2025", model="compromise").results["compromise"].forecast[0, 0]
    assert abs(shown - float(base)) > 1  # the edit moved it (by ~20 points here)
    assert page.locator("#forecast-territory tbody tr").count() == 3


def test_slider_changes_the_talks_curve(
    page: Any, live_server: dict[str, Any], artifacts: Path
) -> None:
    from detente.web import levers

    _open(page, live_server)
    if page.locator("#talks-unavailable").count():
        pytest.skip("the war model is absent from this build")
    page.wait_for_selector("#talks-chart svg")
    chart_before = page.inner_html("#talks-chart")
    table_before = page.inner_text("#talks-table")
    page.fill("#lever-threat", "3")
    page.wait_for_function(
        "(t) => { const e = document.querySelector('#talks-table'); "
        "return e && e.innerText !== t; }",
        arg=table_before,
    )
    assert page.inner_html("#talks-chart") != chart_before
    assert "threat 3.00" in page.inner_text("#talks-out")
    # The page shows what the service computes for those levers (same seed, same settings).
    from detente.report.sections import talks_comparison

    expected = talks_comparison(
        scenario_io.load("ukraine-2025"),
        months=levers.WEB_MONTHS,
        draws=levers.WEB_DRAWS,
        paths_per_draw=levers.WEB_PATHS_PER_DRAW,
        seed=1,
        levers={"threat": 3.0},
    )
    for pol in expected["policies"]:
        row = page.locator("#talks-table tbody tr", has_text=pol["name"]).first
        shown = float(row.locator("td").nth(2).inner_text())  # by 12 months
        assert shown == pytest.approx(pol["p_talks"][11], abs=0.0005)
    page.locator("#levers-panel").screenshot(path=str(artifacts / "web-levers.png"))


def test_bad_upload_shows_the_error(
    page: Any, live_server: dict[str, Any], artifacts: Path
) -> None:
    _open(page, live_server)
    text = scenario_io.embedded_text("ukraine-2025").replace(
        "territory: {value: 0.9, sd: 0.05", "territory: {value: 1.5, sd: 0.05", 1
    )
    page.set_input_files(
        "#upload-file",
        files=[{"name": "bad-salience.yaml", "mimeType": "text/yaml", "buffer": text.encode()}],
    )
    page.click("#upload-button")
    page.wait_for_selector("#error-box")
    message = page.inner_text("#error-box")
    assert "bad-salience.yaml" in message and "salience" in message
    # the scenario on screen is unchanged
    assert page.inner_text("#scenario-title") == scenario_io.load("ukraine-2025").meta.title
    page.screenshot(path=str(artifacts / "web-upload-error.png"))
    # a good upload replaces the scenario and clears the error
    good = scenario_io.embedded_text("ukraine-2025").replace(
        'title: "Russia and Ukraine, September 2025"', 'title: "Uploaded copy"', 1
    )
    page.set_input_files(
        "#upload-file",
        files=[{"name": "good.yaml", "mimeType": "text/yaml", "buffer": good.encode()}],
    )
    page.click("#upload-button")
    page.wait_for_function(
        "() => document.querySelector('#scenario-title').innerText === 'Uploaded copy'"
    )
    assert page.locator("#error-box").count() == 0


def test_past_runs_open_compare_and_download(
    page: Any, live_server: dict[str, Any], tmp_path: Path
) -> None:
    _open(page, live_server)
    for m in ("eum", "smp", "exchange", "nash"):
        page.uncheck(f"input[name=model][value={m}]")
    _run(page)
    page.fill("input[name='pos:USA:territory']", "50")
    _run(page)
    newest = page.locator("#runs-table tbody tr").first
    newest.locator("a.open-run").click()
    page.wait_for_selector("#run-detail h2")
    assert "web:forecast" in page.inner_text("#run-detail h2")
    ids = [t.strip() for t in page.locator("#runs-table tbody tr td:first-child").all_inner_texts()]
    page.select_option("#compare-a", ids[1])
    page.select_option("#compare-b", ids[0])
    page.click("#compare-button")
    page.wait_for_selector("#compare-forecasts")
    text = page.inner_text("#compare-result")
    assert "positions.territory" in text  # the scenario change is named
    with page.expect_download() as info:
        page.click("#download-report")
    path = tmp_path / "report.html"
    info.value.save_as(path)
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "<script" not in html.lower()
    assert "Russia and Ukraine, September 2025" in html


def test_reset_restores_the_scenario(page: Any, live_server: dict[str, Any]) -> None:
    _open(page, live_server)
    field = "input[name='sal:CHN:security']"
    original = page.input_value(field)
    page.fill(field, "0.99")
    page.click("#reset-button")
    page.wait_for_function(f"() => document.querySelector(\"{field}\").value === '{original}'")
    assert page.input_value(field) == original
