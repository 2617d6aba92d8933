"""The CLI stores runs (forecast), obeys --store / --no-store / DETENTE_STORE=off, and
``detente runs list|show|compare|export`` read them back."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from detente.cli import forecast_cmd, runs_cmd
from detente.store.runs import RunStore

runner = CliRunner()


@pytest.fixture()
def app() -> typer.Typer:
    app = typer.Typer()
    forecast_cmd.register(app)
    runs_cmd.register(app)
    return app


@pytest.fixture()
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "runs.sqlite"
    monkeypatch.setenv("DETENTE_STORE", str(path))
    return path


def _ok(app: typer.Typer, *args: str) -> str:
    res = runner.invoke(app, list(args))
    assert res.exit_code == 0, (res.output, res.exception)
    return res.output


def test_forecast_is_stored_with_its_result(app: typer.Typer, store: Path) -> None:
    out = _ok(app, "forecast", "-m", "median", "-m", "compromise", "--json")
    printed = json.loads(out)  # --json output stays pure JSON (no "stored as" line)
    run = RunStore(store).get("last")
    assert run.command == "forecast"
    assert run.models == ["median", "compromise"]
    assert run.result == printed
    assert run.argv[0] == "detente"
    assert run.timings["total_s"] >= 0
    assert "stored as run" in _ok(app, "forecast", "-m", "median")


def test_no_store_and_off(
    app: typer.Typer, store: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _ok(app, "forecast", "-m", "median", "--no-store")
    assert RunStore(store).count() == 0
    monkeypatch.setenv("DETENTE_STORE", "off")
    _ok(app, "forecast", "-m", "median")
    assert RunStore(store).count() == 0
    other = tmp_path / "other.sqlite"
    _ok(app, "forecast", "-m", "median", "--store", str(other))
    assert RunStore(other).count() == 1


def test_runs_list_show_compare_export(app: typer.Typer, store: Path, tmp_path: Path) -> None:
    _ok(app, "forecast", "-m", "median", "-m", "compromise")
    _ok(app, "forecast", "-m", "median", "-m", "nash")
    listed = json.loads(_ok(app, "runs", "list", "--json"))
    assert [r["id"] for r in listed] == [2, 1]
    shown = json.loads(_ok(app, "runs", "show", "1", "--json"))
    assert shown["models"] == ["median", "compromise"] and shown["scenario"]["meta"]["title"]
    assert "forecasts" in _ok(app, "runs", "show", "1")

    diff = json.loads(_ok(app, "runs", "compare", "1", "2", "--json"))
    assert diff["same_scenario"] is True
    assert diff["settings"]["models"]["same"] is False
    rows = {(r["model"], r["issue"]): r for r in diff["forecasts"]}
    # Both runs ran the median model on the same scenario: identical forecasts, diff 0.
    assert all(rows[("median", i)]["diff"] == 0.0 for i in ("territory", "security", "sanctions"))
    assert rows[("nash", "territory")]["a"] is None

    one = RunStore(store).get(1)
    expected = {(r["model"], r["issue"]): r["forecast"] for r in one.result["forecasts"]}
    csv_path, pq_path, js_path = (tmp_path / f"r.{x}" for x in ("csv", "parquet", "json"))
    _ok(app, "runs", "export", "1", "--format", "csv", "-o", str(csv_path))
    _ok(app, "runs", "export", "1", "--format", "parquet", "-o", str(pq_path))
    _ok(app, "runs", "export", "1", "--format", "json", "-o", str(js_path))
    for frame in (pd.read_csv(csv_path), pd.read_parquet(pq_path)):
        got = {(r.model, r.issue): r.forecast for r in frame.itertuples()}
        assert got == pytest.approx(expected, abs=1e-12)  # exact round trip of stored floats
    assert json.loads(js_path.read_text())["result"] == one.result


def test_export_of_a_non_forecast_run_keeps_every_leaf(tmp_path: Path) -> None:
    from detente.store.views import export_run, flatten

    rs = RunStore(tmp_path / "runs.sqlite")
    result = {"policies": [{"name": "aid", "p": [0.1, 0.2]}], "note": "text", "n": 3}
    run = rs.get(rs.record("war", None, None, 7, result))
    import io

    frame = pd.read_parquet(io.BytesIO(export_run(run, "parquet")))
    assert len(frame) == len(flatten(result)) == 5
    # Mixed leaves go to two typed columns: numbers in value, text in text.
    numbers = dict(zip(frame["path"], frame["value"], strict=True))
    texts = dict(zip(frame["path"], frame["text"], strict=True))
    assert numbers["policies[0].p[1]"] == 0.2 and numbers["n"] == 3.0
    assert texts["policies[0].name"] == "aid" and texts["note"] == "text"


def test_user_errors_are_one_line(capsys: pytest.CaptureFixture[str], store: Path) -> None:
    from detente.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["runs", "show", "99"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("detente: error: no run 99") and "\n" not in err
    with pytest.raises(SystemExit) as exc:
        main(["runs", "export", "1", "--format", "xlsx"])
    assert exc.value.code == 2
    assert "csv, json, parquet" in capsys.readouterr().err
