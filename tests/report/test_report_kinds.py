"""`detente report RUN` on a run of every kind, and "show only what is there": a scenario without
`war:` gets no war section (one line says why), defaults used are listed, bad options are one line.

The runs are made by the real commands (small sizes), in a throw-away store."""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import pytest

from detente.cli.main import main
from detente.report import html as report_html
from detente.report import plots
from detente.scenario import io as scenario_io
from detente.store.runs import RunStore

NO_WAR = """\
meta: {id: jcpoa, title: JCPOA talks}
actors:
  - {id: USA, name: United States, capability: 90, positions: {enrich: 0}, saliences: {enrich: 0.9}}
  - {id: IRN, name: Iran, capability: 30, positions: {enrich: 80}, saliences: {enrich: 1.0}}
  - {id: EU, name: EU, capability: 50, positions: {enrich: 30}, saliences: {enrich: 0.6}}
issues:
  - id: enrich
    name: Enrichment
    scale: {low: 0, high: 100, low_label: none, high_label: unlimited}
"""

# Each kind of run, made by its command with small settings.
COMMANDS = {
    "forecast": ["forecast", "-m", "compromise", "--draws", "20", "--seed", "2"],
    "war": ["war", "--paths", "60", "--months", "12", "--no-plot", "-P", "status-quo"],
    "claims": ["claims", "--draws", "3", "--paths", "20"],
    "sensitivity": ["sensitivity", "-m", "compromise", "--n", "8"],
    "whatif": ["whatif", "--do", "remove IND", "-m", "compromise"],
    "sweep": ["sweep", "-l", "USA.position.sanctions=0:100:3"],
    "lever": ["lever", "-a", "USA", "--target", "sanctions<=40", "-n", "10", "--grid", "3"],
    "backtest": ["backtest", "-m", "compromise"],
}


def _sections(page: str) -> set[str]:
    return set(re.findall(r'<section id="([a-z]+)"', page))


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code in (0, None), capsys.readouterr()
    return capsys.readouterr().out


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kinds") / "runs.sqlite"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DETENTE_STORE", str(path))
        mp.chdir(tmp_path_factory.mktemp("cwd"))
        for argv in COMMANDS.values():
            try:
                main([*argv, "--json"])
            except SystemExit as exc:
                assert exc.code in (0, None), argv
    return path


@pytest.mark.parametrize("kind", list(COMMANDS))
def test_report_of_every_kind_of_run(kind: str, store: Path, tmp_path: Path) -> None:
    runs = RunStore(store).list_runs(limit=None, command=kind)
    assert runs, f"the {kind} command stored no run"
    run = RunStore(store).get(runs[0].id)
    data = report_html.run_report_data(run, draws=0, claims_draws=2, claims_paths=10)
    page = report_html.render_report(data)
    found = _sections(page)
    expected = {
        "forecast": {"forecasts", "plots"},
        "war": {"war"},
        "claims": {"claims"},
        "backtest": {"extra"},
    }.get(kind, {"extra"})
    assert expected <= found, (kind, found)
    if kind == "backtest":
        assert "scenario" not in found and 'id="scenario-absent"' in page
    else:
        assert "scenario" in found
    if kind != "forecast":
        # nothing was computed that the run did not have, and each omission is said
        assert "forecasts" not in found and 'id="forecasts-absent"' in page
    if kind == "war":
        assert "status-quo" in page and 'id="chart-talks"' in page
    if kind == "claims":
        assert run.result["claims"][0]["id"] in page
    if kind == "forecast":
        mc = run.result["uncertainty"]["compromise"]["issues"]["territory"]
        assert f"{mc['interval_90'][0]:.1f} &ndash; {mc['interval_90'][1]:.1f}" in page


def test_cli_report_of_a_war_run_and_a_backtest_run(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.setenv("DETENTE_STORE", str(store))
    for kind in ("war", "backtest"):
        rid = RunStore(store).list_runs(limit=1, command=kind)[0].id
        out = tmp_path / f"{kind}.html"
        text = _run(["report", str(rid), "--no-store", "-o", str(out)], capsys)
        assert "wrote" in text and out.read_text().rstrip().endswith("</html>")


def test_scenario_without_war_has_no_war_section(tmp_path: Path) -> None:
    path = tmp_path / "jcpoa.yaml"
    path.write_text(NO_WAR)
    sc = scenario_io.load(str(path))
    data = report_html.report_data(sc, models=["compromise"], draws=0)
    page = report_html.render_report(data)
    assert "war" not in _sections(page) and "claims" not in _sections(page)
    text = htmllib.unescape(page)
    assert "War model: policy comparison</strong> — the scenario has no `war:` section" in text
    assert "ruling out NATO" not in text and "P(talks)" not in text
    assert data["war"]["available"] is False
    # nor the war model's terms beside the forecasts
    assert data["terms"]["available"] is False and 'id="war-terms"' not in page
    assert "outside the war terms" not in page
    # defaults used in place of missing parameters are listed: the model's, no war parameters
    names = {(r["what"], r["name"]) for r in data["defaults"]}
    assert ("model compromise", "p") in names or any(w == "model compromise" for w, _ in names)
    assert not any(w == "war parameter" for w, _ in names)
    assert 'id="defaults-table"' in page


def test_war_defaults_are_listed() -> None:
    sc = scenario_io.load("ukraine-2025")
    from detente.scenario.war_schema import PARAMETERS

    rows = report_html.defaults_used(sc, None)
    listed = {r["name"] for r in rows if r["what"] == "war parameter"}
    assert listed == set(PARAMETERS) - set(sc.war.parameters)
    assert listed  # ukraine-2025 leaves some parameters at their defaults


def test_bad_report_option_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["report", "--draws", "-1", "--no-store"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.strip() == "detente: error: --draws -1: must be at least 0"


def test_value_labels_clear_the_interval_bars() -> None:
    sc = scenario_io.load("ukraine-2025")
    from detente import api

    fc = api.forecast(sc, model=["compromise"], draws=30, seed=4)
    fj = fc.to_dict()
    mc = fj["uncertainty"]
    fig = plots.positions_figure(fj, sc, montecarlo=mc)
    issues = {i["id"]: i for i in fj["issues"]}
    checked = 0
    for ax, issue_id in zip(fig.axes, issues, strict=True):
        summary = mc["compromise"]["issues"][issue_id]
        lo90, hi90 = summary["interval_90"]
        for text in ax.texts:
            if text.get_text() == "status quo":
                continue
            x = text.xy[0]
            # the label is anchored at an interval's end and drawn away from it
            if text.get_ha() == "left":
                assert x >= hi90 - 1e-9
            else:
                assert x <= lo90 + 1e-9
            checked += 1
    assert checked == len(issues)


def test_trajectory_ticks_are_whole_rounds() -> None:
    sc = scenario_io.load("ukraine-2025")
    from detente import api

    fj = api.forecast(sc, model=["eum"]).to_dict()
    fig = plots.trajectory_figure(fj, "eum", sc)
    fig.canvas.draw()
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks


def test_base_rates_from_data_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.conftest import shared_path

    war_data = shared_path("data", "war")
    from detente.report import sections

    sc = scenario_io.load("ukraine-2025")
    # a user's clone: no ../shared beside it, so base rates need --data (or $DETENTE_DATA)
    monkeypatch.setattr(
        "detente.war.baserates.find_data_dir",
        lambda explicit=None: None if explicit is None else Path(explicit),
    )
    monkeypatch.delenv("DETENTE_DATA", raising=False)
    absent = sections.baserates_section(sc)
    assert absent["available"] is False and "--data DIR" in absent["reason"]
    given = sections.baserates_section(sc, str(war_data))
    assert given["available"] and given["result"]["cow"]["wars"] > 0
    monkeypatch.setenv("DETENTE_DATA", str(war_data))
    assert sections.baserates_section(sc)["available"]
    # a scenario without war: shows them only when asked with --data
    path = tmp_path / "jcpoa.yaml"
    path.write_text(NO_WAR)
    data = report_html.report_data(
        scenario_io.load(str(path)), models=["median"], draws=0, data_dir=str(war_data)
    )
    assert data["baserates"]["available"]
