"""Issue 16: a store that reads when it cannot write.

Reads use read-only connections (``mode=ro``, no pragma that writes), so ``runs list/show/export``
work while another connection holds the write lock, on a read-only file, and leave the file's
bytes untouched; a damaged JSON field is one line naming the run; ``detente runs verify`` finds it.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

import pytest

from detente.cli.main import main
from detente.scenario.io import load
from detente.store.runs import RunStore, StoreError

pytestmark = pytest.mark.timeout(120)


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    rs = RunStore(tmp_path / "runs.sqlite")
    sc = load(None)
    for i in range(3):
        rs.record("forecast", sc, {"i": i}, i, {"value": i})
    # a checkpoint so the file alone holds every run (as after the last writer closed)
    with sqlite3.connect(rs.path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return rs


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reads_do_not_write(store: RunStore, capsys: pytest.CaptureFixture[str]) -> None:
    before = _digest(store.path)
    fresh = RunStore(store.path)  # a new process's first connection
    assert [r.id for r in fresh.list_runs()] == [3, 2, 1]
    assert fresh.get("last").result == {"value": 2}
    assert fresh.verify() == []
    assert fresh.count() == 3
    assert _digest(store.path) == before


def test_reads_while_a_writer_holds_the_lock(
    store: RunStore, capsys: pytest.CaptureFixture[str]
) -> None:
    holder = sqlite3.connect(store.path, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # in WAL mode readers still proceed
        t0 = time.perf_counter()
        code, out, err = run_cli(["runs", "list", "--store", str(store.path), "--json"], capsys)
        assert code == 0, err
        assert '"id": 3' in out
        code, out, err = run_cli(["runs", "show", "2", "--store", str(store.path)], capsys)
        assert code == 0, err
        assert time.perf_counter() - t0 < 10
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_reads_from_a_read_only_file(
    store: RunStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # sqlite's immutable-free read-only open: the file opened with mode=ro must not be written.
    # (root ignores file modes, so the check is that no write is attempted: the bytes stay.)
    store.path.chmod(0o444)
    before = _digest(store.path)
    for argv in (["runs", "list"], ["runs", "show", "1"], ["runs", "verify"]):
        code, _, err = run_cli([*argv, "--store", str(store.path)], capsys)
        assert code == 0, (argv, err)
    assert _digest(store.path) == before


def test_a_missing_store_is_not_created_by_reads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "none" / "runs.sqlite"
    code, out, _ = run_cli(["runs", "list", "--store", str(path)], capsys)
    assert code == 0 and "no runs" in out
    assert not path.exists() and not path.parent.exists()


@pytest.mark.parametrize("column", ["params", "argv", "timings", "result"])
def test_damaged_json_is_one_line_naming_the_run(
    store: RunStore, capsys: pytest.CaptureFixture[str], column: str
) -> None:
    with sqlite3.connect(store.path) as conn:
        conn.execute(f"UPDATE runs SET {column} = '{{not json' WHERE id = 2")
    argvs = [["runs", "show", "2"], ["runs", "export", "2", "-o", "-"]]
    if column != "result":
        argvs.append(["runs", "list"])
    for argv in argvs:
        code, _, err = run_cli([*argv, "--store", str(store.path)], capsys)
        line = err.strip()
        assert code == 2 and line.startswith("detente: error: ") and "\n" not in line, (argv, err)
        assert "run 2" in line and "Traceback" not in err
    code, out, _ = run_cli(["runs", "verify", "--store", str(store.path)], capsys)
    assert code == 1 and "run 2" in out
    other = RunStore(store.path).get(3)  # the other runs still read
    assert other.result == {"value": 2}


def test_damaged_scenario_content_is_one_line(store: RunStore) -> None:
    with sqlite3.connect(store.path) as conn:
        conn.execute("UPDATE scenarios SET content = '{oops'")
    with pytest.raises(StoreError, match="run 1"):
        RunStore(store.path).get(1).to_dict()
    problems = RunStore(store.path).verify()
    assert any("does not match its hash" in p for p in problems)


def test_verify_ok(store: RunStore, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(["runs", "verify", "--store", str(store.path)], capsys)
    assert code == 0 and "ok (3 runs" in out
