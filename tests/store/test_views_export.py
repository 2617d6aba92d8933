"""`runs export` keeps the whole result with its types (Monte Carlo summaries included), and
`runs show` prints a non-forecast run's values, not only its key names."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from detente import api
from detente.cli.main import main
from detente.scenario import io as scenario_io
from detente.store.runs import RunStore
from detente.store.views import export_run, flatten, result_tables

WAR_LIKE = {
    "months": 60,
    "seed": 0,
    "draws_accepted": 0.75,
    "fixed": False,
    "policies": {
        "status-quo": {"p_talks_by_month": [0.1, 0.25], "summary": {"median_talks_month": 9}},
        "pressure": {"p_talks_by_month": [0.2, 0.5], "summary": {"median_talks_month": 7}},
    },
    "plot": None,
}


def test_csv_keeps_ints_as_ints(tmp_path: Path) -> None:
    rs = RunStore(tmp_path / "runs.sqlite")
    run = rs.get(rs.record("war", None, {}, 0, WAR_LIKE))
    text = export_run(run, "csv").decode()
    rows = {r["path"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["months"]["value"] == "60" and rows["months"]["type"] == "int"
    assert rows["seed"]["value"] == "0" and rows["seed"]["type"] == "int"
    assert rows["draws_accepted"]["value"] == "0.75" and rows["draws_accepted"]["type"] == "float"
    assert rows["fixed"]["type"] == "bool" and rows["plot"]["type"] == "null"
    assert len(rows) == len(flatten(WAR_LIKE))  # every leaf
    frame = pd.read_parquet(io.BytesIO(export_run(run, "parquet")))
    kinds = dict(zip(frame["path"], frame["type"], strict=True))
    assert kinds["months"] == "int" and kinds["policies.pressure.p_talks_by_month[1]"] == "float"


def test_forecast_export_has_the_monte_carlo_summaries(tmp_path: Path) -> None:
    sc = scenario_io.load("ukraine-2025")
    fc = api.forecast(sc, model=["compromise"], draws=20, seed=5, thresholds=["territory<=60"])
    rs = RunStore(tmp_path / "runs.sqlite")
    run = rs.get(rs.record("forecast", sc, {}, 5, fc.to_dict(), models=["compromise"]))
    frame = pd.read_csv(io.BytesIO(export_run(run, "csv")))
    mc = fc.uncertainty["compromise"].to_dict()
    row = frame[(frame["model"] == "compromise") & (frame["issue"] == "territory")].iloc[0]
    s = mc["issues"]["territory"]
    assert row["median"] == pytest.approx(s["median"], abs=1e-12)
    assert (row["p05"], row["p95"]) == pytest.approx(tuple(s["interval_90"]), abs=1e-12)
    assert (row["p25"], row["p75"]) == pytest.approx(tuple(s["interval_50"]), abs=1e-12)
    assert row["draws"] == 20
    assert row["P(territory<=60)"] == pytest.approx(mc["thresholds"][0]["probability"])
    other = frame[frame["issue"] == "security"].iloc[0]
    assert pd.isna(other["P(territory<=60)"])  # a threshold lives on its own issue's rows
    flat = pd.read_csv(io.BytesIO(export_run(run, "csv", flat=True)))
    assert "uncertainty.compromise.issues.territory.median" in set(flat["path"])


def test_result_tables_show_a_mapping_of_records() -> None:
    tables = result_tables(WAR_LIKE)
    pol = next(t for t in tables if t["title"] == "policies")
    assert pol["columns"] == ["", "summary.median_talks_month"]
    assert pol["rows"] == [["status-quo", 9], ["pressure", 7]]


def test_runs_show_prints_values_of_a_war_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store = tmp_path / "runs.sqlite"
    rs = RunStore(store)
    rid = rs.record("war", None, {}, 0, WAR_LIKE)
    monkeypatch.setenv("COLUMNS", "150")
    with pytest.raises(SystemExit) as exc:
        main(["runs", "show", str(rid), "--store", str(store)])
    assert exc.value.code in (0, None)
    out = capsys.readouterr().out
    assert "median_talks_month" in out and "pressure" in out and "0.75" in out
