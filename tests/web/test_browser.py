"""End to end in headless Chromium: walk each tab of the workbench. Run the models and read the
numbers, move a slider and see the curve change, upload a good, a bad and no file, edit and
download a scenario, open and compare runs, export a chart (PNG and CSV), run every analysis, and
check that a cross-site page (a sandboxed iframe, Origin: null) cannot drive the app."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from detente import api
from detente.api import workbench
from detente.scenario import io as scenario_io
from detente.store.runs import RunStore
from detente.web import sliders

pytestmark = pytest.mark.browser
TABS = ("scenario", "terms", "timing", "claims", "uncertainty", "levers", "backtest", "runs")


def _open(page: Any, live_server: dict[str, Any], tab: str = "scenario") -> None:
    page.goto(f"{live_server['url']}/#{tab}")
    page.wait_for_selector(f"#tab-{tab}:not([hidden])")


def _tab(page: Any, tab: str) -> None:
    page.click(f"#tabbtn-{tab}")
    page.wait_for_selector(f"#tab-{tab}:not([hidden])")


def _run_forecast(page: Any, models: tuple[str, ...] = ("median", "compromise")) -> None:
    _tab(page, "terms")
    for box in page.locator("#terms-form input[name=model]").all():
        if (box.get_attribute("value") in models) != box.is_checked():
            box.click()
    page.locator("#terms-out").evaluate("e => e.innerHTML = ''")
    page.click("#run-button")
    page.wait_for_selector("#terms-out .stored")


def test_every_tab_opens_offline_and_fits_narrow_screens(
    page: Any, live_server: dict[str, Any], browser: Any
) -> None:
    _open(page, live_server)
    sc = scenario_io.load("ukraine-2025")
    assert page.inner_text("#scenario-title") == sc.meta.title
    assert page.locator("#editor-table tbody tr").count() == len(sc.actors)
    for tab in TABS:
        _tab(page, tab)
        assert page.locator(".panel:not([hidden])").count() == 1
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("typeof window.Plotly") == "object"  # served by the app itself
    # Every request the page made went to the app itself: no CDN, no fonts, no analytics.
    assert page.requests and all(
        u.startswith(live_server["url"]) or u.startswith("data:") for u in page.requests
    )
    narrow = browser.new_context(viewport={"width": 400, "height": 800})
    try:
        small = narrow.new_page()
        small.goto(live_server["url"] + "/")
        for tab in TABS:
            small.click(f"#tabbtn-{tab}")
            small.wait_for_selector(f"#tab-{tab}:not([hidden])")
            # Usable at 400 px: the page itself never scrolls sideways (wide tables scroll
            # inside their own box).
            width = small.evaluate("document.documentElement.scrollWidth")
            assert width <= 402, (tab, width)
    finally:
        narrow.close()


def test_terms_match_the_api_and_charts_hover(page: Any, live_server: dict[str, Any]) -> None:
    _open(page, live_server, "terms")
    _run_forecast(page)
    fc = api.forecast("ukraine-2025", model=["median", "compromise"])
    for k, issue in enumerate(fc.scenario.issue_ids):
        for name, res in fc.results.items():
            row = page.locator(f"#forecast-{issue} tbody tr", has_text=name).first
            shown = float(row.locator("td").nth(1).inner_text())
            assert shown == pytest.approx(round(float(res.forecast[0, k]), 2), abs=0.005 + 1e-9)
    chart = page.locator("#chart-forecast-territory")
    chart.locator(".main-svg").first.wait_for()
    # Hover a forecast point: the chart shows its value.
    point = chart.locator(".scatterlayer .point").first
    box = point.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_selector("#chart-forecast-territory .hovertext")
    assert "forecast" in (chart.locator(".hoverlayer").text_content() or "")


def test_slider_moves_the_talks_curve(page: Any, live_server: dict[str, Any]) -> None:
    _open(page, live_server, "timing")
    page.wait_for_selector("#talks-chart .main-svg")
    curves = "document.getElementById('talks-chart').data.filter((t, i) => i % 2).map(t => t.y)"
    before = page.evaluate(curves)
    # Concessions at 3x: the war model moves the appeasement mix's settlement curve (threats at
    # 3x leave every settlement curve where it was in this model, so they cannot show a move).
    page.fill("#lever-concession", "3")
    page.wait_for_function(
        "() => (document.querySelector('#levers-used') || {}).innerText"
        "?.includes('concession 3.00')"
    )
    page.wait_for_selector("#talks-chart .main-svg")
    after = page.evaluate(curves)
    assert after != before
    # The page draws what the api computes for those levers (same seed, same settings).
    expected = workbench.talks(
        scenario_io.load("ukraine-2025"),
        levers={"concession": 3.0},
        months=sliders.WEB_MONTHS,
        draws=sliders.WEB_DRAWS,
        paths_per_draw=sliders.WEB_PATHS_PER_DRAW,
        seed=sliders.WEB_SEED,
    )
    for shown, pol in zip(after, expected["policies"], strict=True):
        assert shown == pytest.approx(pol["p_talks"], abs=1e-12)
    assert page.inner_text("#lever-concession + output") == "3.00\u00d7"


def test_uploads_good_bad_and_none(page: Any, live_server: dict[str, Any]) -> None:
    _open(page, live_server)
    page.click("#upload-button")  # no file chosen
    page.wait_for_selector("#error-box")
    assert "choose a scenario file" in page.inner_text("#error-box")
    assert page.locator("#editor-table").count() == 1  # the page is still there
    text = scenario_io.embedded_text("ukraine-2025").replace(
        "territory: {value: 0.9, sd: 0.05", "territory: {value: 1.5, sd: 0.05", 1
    )
    page.set_input_files(
        "#upload-file",
        files=[{"name": "bad-salience.yaml", "mimeType": "text/yaml", "buffer": text.encode()}],
    )
    page.click("#upload-button")
    page.wait_for_function(
        "() => document.querySelector('#error-box')?.innerText.includes('bad-salience.yaml')"
    )
    assert "salience" in page.inner_text("#error-box")
    assert page.inner_text("#scenario-title") == scenario_io.load("ukraine-2025").meta.title
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


def test_edit_and_download_the_scenario(
    page: Any, live_server: dict[str, Any], tmp_path: Path
) -> None:
    _open(page, live_server)
    page.fill("#new-actor-id", "TUR")
    page.click("#add-actor-button")
    page.wait_for_selector("input[name='cap:TUR']")
    page.fill("input[name='cap:TUR']", "2.5")
    page.select_option("#remove-issue-id", "sanctions")
    page.click("#remove-issue-button")
    page.wait_for_function("() => !document.querySelector(\"input[name='pos:RUS:sanctions']\")")
    # The structural edit kept the value typed into the table before it.
    assert float(page.input_value("input[name='cap:TUR']")) == 2.5
    with page.expect_download() as info:
        page.click("#download-yaml")
    path = tmp_path / "edited.yaml"
    info.value.save_as(path)
    sc = scenario_io.load(path)
    assert sc.actor("TUR").capability.value == 2.5 and "sanctions" not in sc.issue_ids


def test_runs_open_compare_and_export_a_chart(
    page: Any, live_server: dict[str, Any], tmp_path: Path
) -> None:
    _open(page, live_server)
    _run_forecast(page, ("median",))
    _tab(page, "scenario")
    page.fill("input[name='pos:USA:territory']", "50")
    _run_forecast(page, ("median",))
    # Export the chart: CSV of its data and a PNG, from the chart's own toolbar.
    chart = page.locator("#chart-forecast-territory")
    chart.hover()
    with page.expect_download() as info:
        chart.locator('[data-title="Download the data as CSV"]').click()
    csv = tmp_path / "chart.csv"
    info.value.save_as(csv)
    assert csv.read_text().startswith("trace,x,y\n") and "median" in csv.read_text()
    with page.expect_download(timeout=60_000) as info:
        chart.locator('[data-title^="Download plot as a"]').click()
    png = tmp_path / "chart.png"
    info.value.save_as(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    _tab(page, "runs")
    page.wait_for_selector("#runs-table")
    newest = page.locator("#runs-table tbody tr").first
    newest.locator(".open-run").click()
    page.wait_for_selector("#run-detail h3")
    page.wait_for_timeout(200)
    top = page.evaluate("document.querySelector('#run-detail').getBoundingClientRect().top")
    assert 0 <= top < 900  # opened in view, not somewhere below the screen
    page.click("#compare-button")
    page.wait_for_selector("#compare-result")
    text = page.inner_text("#compare-result")
    assert "positions.territory" in text and "{" not in text


def test_every_analysis_tab_runs(page: Any, live_server: dict[str, Any]) -> None:
    _open(page, live_server, "claims")
    page.fill("#claims-form input[name=draws]", "10")
    page.fill("#claims-form input[name=paths]", "20")
    page.click("#claims-button")
    page.wait_for_selector("#claims-table")
    assert page.locator("#claims-table tbody tr").count() == len(
        scenario_io.load("ukraine-2025").claims
    )
    _tab(page, "uncertainty")
    page.select_option("#sensitivity-form select[name=method]", "morris")
    page.fill("#sensitivity-n", "8")
    page.click("#sensitivity-button")
    page.wait_for_selector("#sensitivity-out .plot .main-svg")
    _tab(page, "levers")
    page.fill("#whatif-text", "shift USA.position.territory -20")
    page.click("#whatif-button")
    page.wait_for_selector("#whatif-table")
    page.fill("#sweep-text", "USA.position.territory=0:100:3")
    page.click("#sweep-button")
    page.wait_for_selector("#sweep-chart .main-svg")
    page.fill("#lever-form input[name=draws]", "20")
    page.click("#lever-button")
    page.wait_for_selector("#lever-answer")
    _tab(page, "backtest")
    page.click("#backtest-button")
    page.wait_for_selector("#leaderboard", timeout=90_000)
    assert page.locator("#leaderboard tbody tr").count() >= 1


def test_no_war_section_shows_no_war(page: Any, live_server: dict[str, Any]) -> None:
    import yaml

    data = scenario_io.load("ukraine-2025").model_dump(mode="json", exclude_none=True)
    data.pop("war", None)
    data.pop("claims", None)
    _open(page, live_server)
    page.set_input_files(
        "#upload-file",
        files=[
            {"name": "peace.yaml", "mimeType": "text/yaml", "buffer": yaml.safe_dump(data).encode()}
        ],
    )
    page.click("#upload-button")
    page.wait_for_selector("#talks-unavailable", state="attached")
    _tab(page, "timing")
    panel = page.inner_text("#tab-timing")
    assert "no war: section" in panel and "status-quo" not in panel
    assert page.locator("#tab-timing .lever-slider").count() == 0


def test_a_cross_site_page_cannot_drive_the_app(
    page: Any, live_server: dict[str, Any], evil_site: dict[str, Any]
) -> None:
    store = RunStore(live_server["store"])
    before = store.count()
    sj = json.dumps(scenario_io.load("ukraine-2025").model_dump(mode="json"))
    action = f"{live_server['url']}/forecast"
    form = (
        f'<form id="f" method="post" action="{action}">'
        f"<input type=hidden name=scenario_json value='{sj.replace(chr(39), '&#39;')}'>"
        "<input type=hidden name=model value=median></form>"
        "<script>document.getElementById('f').submit()</script>"
    )
    import html

    evil_site["pages"]["/iframe"] = (
        f'<iframe id="x" sandbox="allow-forms allow-scripts" srcdoc="{html.escape(form)}"></iframe>'
    )
    evil_site["pages"]["/form"] = form
    import urllib.request

    def refused() -> int:
        with urllib.request.urlopen(live_server["url"] + "/health", timeout=10) as r:
            return int(json.loads(r.read())["refused"].get("cross_origin", 0))

    for path in ("/iframe", "/form"):
        n = refused()
        page.goto(evil_site["url"] + path)
        # The post reached the app and was refused (the sandboxed frame's Origin is "null").
        page.wait_for_function("() => true")
        for _ in range(100):
            if refused() > n:
                break
            page.wait_for_timeout(100)
        assert refused() == n + 1, path
    assert store.count() == before


def test_a_long_run_shows_progress_and_cancels(page: Any, live_server: dict[str, Any]) -> None:
    store = RunStore(live_server["store"])
    _open(page, live_server, "terms")
    before = store.count()
    page.fill("#draws", "5000")
    page.click("#run-button")
    page.wait_for_selector("#terms-out progress")
    page.click("#terms-out .cancel-job")
    page.wait_for_selector("#terms-out .job-cancelled", timeout=120_000)
    assert "nothing was stored" in page.inner_text("#terms-out")
    assert store.count() == before
