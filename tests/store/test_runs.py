"""The run store: round trips, location rules, atomicity, concurrent readers."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from detente import api
from detente.store import runs as runs_mod
from detente.store.runs import RunStore, StoreError, open_store, record, resolve_path


@pytest.fixture(scope="module")
def forecast() -> api.Forecast:
    # Only one-shot models: fast, and enough to exercise every stored field.
    return api.forecast("ukraine-2025", model=["median", "compromise"])


def test_record_and_get_round_trip(tmp_path: Path, forecast: api.Forecast) -> None:
    rs = RunStore(tmp_path / "runs.sqlite")
    result = forecast.to_dict()
    rid = rs.record(
        "forecast",
        forecast.scenario,
        {"median": {}},
        42,
        result,
        {"total_s": 0.5},
        models=["median", "compromise"],
        argv=["detente", "x"],
    )
    run = rs.get(rid)
    assert run.result == json.loads(json.dumps(result))
    assert run.scenario_sha256 == api.scenario_hash(forecast.scenario)
    # The stored content is the scenario itself: reloading it gives the same hash.
    assert api.scenario_hash(run.scenario()) == run.scenario_sha256
    assert (run.command, run.seed, run.models, run.argv) == (
        "forecast",
        42,
        ["median", "compromise"],
        ["detente", "x"],
    )
    assert run.params == {"median": {}}
    assert run.timings == {"total_s": 0.5}
    from detente import __version__

    assert run.version == __version__
    assert rs.get("last").id == rid
    assert rs.verify() == []


def test_same_scenario_is_stored_once(tmp_path: Path, forecast: api.Forecast) -> None:
    rs = RunStore(tmp_path / "runs.sqlite")
    for seed in range(3):
        rs.record("forecast", forecast.scenario, {}, seed, {"x": seed})
    with sqlite3.connect(rs.path) as conn:
        assert conn.execute("SELECT count(*) FROM scenarios").fetchone()[0] == 1
    assert [r.seed for r in rs.list_runs()] == [2, 1, 0]  # newest first
    assert rs.count() == 3


def test_nan_and_numpy_values_are_stored_as_json(tmp_path: Path) -> None:
    import numpy as np

    rs = RunStore(tmp_path / "runs.sqlite")
    rid = rs.record("x", None, None, None, {"a": np.array([1.0, np.nan]), "b": np.int64(3)})
    assert rs.get(rid).result == {"a": [1.0, None], "b": 3}


def test_location_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DETENTE_STORE", str(tmp_path / "env.sqlite"))
    assert resolve_path() == tmp_path / "env.sqlite"
    assert resolve_path(tmp_path / "explicit.sqlite") == tmp_path / "explicit.sqlite"
    for off in ("off", "OFF", "none"):
        monkeypatch.setenv("DETENTE_STORE", off)
        assert resolve_path() is None
        assert open_store() is None
        assert record("x", None, None, None, {}) is None
    monkeypatch.delenv("DETENTE_STORE")
    default = resolve_path()
    assert default is not None and default.name == "runs.sqlite"
    assert "detente" in str(default.parent).lower()


def test_record_writes_under_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forecast: api.Forecast
) -> None:
    monkeypatch.setenv("DETENTE_STORE", str(tmp_path / "a" / "b" / "runs.sqlite"))
    rid = record("forecast", forecast.scenario, {}, 1, forecast.to_dict())
    assert rid is not None
    assert RunStore(tmp_path / "a" / "b" / "runs.sqlite").get(rid).seed == 1


def test_missing_run_and_bad_files_are_store_errors(tmp_path: Path) -> None:
    rs = RunStore(tmp_path / "runs.sqlite")
    with pytest.raises(StoreError, match="no run 7"):
        rs.get(7)
    with pytest.raises(StoreError, match="write a number"):
        rs.get("seven")
    bad = tmp_path / "not.sqlite"
    bad.write_bytes(b"this is not a database, just text" * 100)
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        RunStore(bad).record("x", None, None, None, {})
    with pytest.raises(StoreError, match="is a directory"):
        RunStore(tmp_path).record("x", None, None, None, {})


def test_failed_write_leaves_no_run(tmp_path: Path) -> None:
    # An exception inside the transaction (here: raised just before COMMIT) rolls it all back.
    class Failing(RunStore):
        def _before_commit(self, conn: sqlite3.Connection, run_id: int) -> None:
            raise RuntimeError("boom")

    path = tmp_path / "runs.sqlite"
    RunStore(path).record("ok", None, None, None, {"n": 1})
    with pytest.raises(RuntimeError):
        Failing(path).record("bad", None, None, None, {"n": 2})
    rs = RunStore(path)
    assert [r.command for r in rs.list_runs()] == ["ok"]
    assert rs.verify() == []


def test_readers_are_not_blocked_by_a_writer(tmp_path: Path) -> None:
    # WAL mode: while a writer holds an open transaction, readers see the last committed state.
    path = tmp_path / "runs.sqlite"
    rs = RunStore(path)
    rs.record("first", None, None, None, {})
    with sqlite3.connect(path, isolation_level=None) as writer:
        assert writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        writer.execute("BEGIN IMMEDIATE")
        writer.execute(
            "INSERT INTO runs(created_at, command, argv, models, params, version, timings,"
            " result, result_sha256) VALUES ('t', 'pending', '[]', '[]', '{}', 'v', '{}',"
            " '{}', 'x')"
        )
        assert [r.command for r in rs.list_runs()] == ["first"]
        writer.execute("ROLLBACK")


def test_verify_detects_a_tampered_result(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    rid = RunStore(path).record("x", None, None, None, {"a": 1})
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE runs SET result = '{\"a\": 2}' WHERE id = ?", (rid,))
    assert runs_mod.RunStore(path).verify() == [f"run {rid}: result does not match its hash"]


def test_paging_reads_only_the_page_and_agrees_with_a_scan(
    tmp_path: Path, forecast: api.Forecast
) -> None:
    """The runs page without a search reads one page by SQL (LIMIT/OFFSET); it must show what
    a scan of every run shows, page by page, and a page past the end shows the last one."""
    from detente.api import workbench

    rs = RunStore(tmp_path / "runs.sqlite")
    for seed in range(23):
        rs.record("forecast", forecast.scenario, {}, seed, {"x": seed})
    everything = [r.id for r in rs.list_runs(limit=None)]
    assert rs.list_runs(limit=5, offset=20) == rs.list_runs(limit=None)[20:25]
    assert [r.id for r in rs.list_runs(limit=None, offset=20)] == everything[20:]
    shown = []
    for page in (1, 2, 3):
        p = workbench.runs_page(rs, page=page, per_page=10)
        assert (p["total"], p["pages"], p["page"]) == (23, 3, page)
        shown += [row["run"].id for row in p["runs"]]
    assert shown == everything
    assert workbench.runs_page(rs, page=99, per_page=10)["page"] == 3
    # a search still scans: the same runs through the other path
    found = workbench.runs_page(rs, query="forecast", per_page=100)
    assert [row["run"].id for row in found["runs"]] == everything
