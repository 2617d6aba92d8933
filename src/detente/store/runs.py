"""The run store: every run of every command, kept in one SQLite file.

Why SQLite and not DuckDB: DuckDB writes ~7x faster, but while one process holds a read-write
connection no other process can open the file, not even read-only (see DESIGN.md, "Storage").
The web app and a CLI sweep must be able to use the store at the same time, so the store is
SQLite (stdlib) in WAL mode: readers never block the writer and the writer never blocks readers;
concurrent writers wait for each other (``busy_timeout``) instead of failing.

A run is written in ONE transaction (the scenario's content, then the run row that names it), so
a process killed mid-write (even by SIGKILL) leaves the store readable and without a half-written
run: SQLite's journal rolls the unfinished transaction back when the file is next opened. Each
run also carries the SHA-256 of its result text, which :meth:`RunStore.verify` checks.

Where the store lives: ``--store PATH`` (the ``store`` argument), else the environment variable
``DETENTE_STORE``, else ``platformdirs.user_data_dir("detente")/runs.sqlite``. ``DETENTE_STORE=off``
(or ``--no-store``) disables storing.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente.jsonable import to_jsonable
from detente.scenario.canonical import canonical_json
from detente.scenario.errors import DetenteError

ENV_VAR = "DETENTE_STORE"
OFF_VALUES = frozenset({"off", "none", "0", "false", "no", "disabled"})
SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 30_000  # a CLI sweep and the web app may write at once: wait, don't fail
READ_TIMEOUT_MS = 5_000  # WAL readers are never blocked by a writer; this covers a checkpoint

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scenarios (
    sha256      TEXT PRIMARY KEY,
    scenario_id TEXT,
    title       TEXT,
    content     TEXT NOT NULL          -- canonical JSON of the scenario (what sha256 hashes)
);
CREATE TABLE IF NOT EXISTS runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at      TEXT NOT NULL,     -- UTC, ISO 8601
    command         TEXT NOT NULL,
    argv            TEXT NOT NULL,     -- JSON list: the command line as typed
    scenario_sha256 TEXT REFERENCES scenarios(sha256),
    models          TEXT NOT NULL,     -- JSON list
    params          TEXT NOT NULL,     -- JSON object
    seed            INTEGER,
    version         TEXT NOT NULL,     -- detente's version
    timings         TEXT NOT NULL,     -- JSON object of seconds
    result          TEXT NOT NULL,     -- the command's JSON result
    result_sha256   TEXT NOT NULL      -- checked by verify(): a run is whole or absent
);
CREATE INDEX IF NOT EXISTS runs_by_scenario ON runs(scenario_sha256);
CREATE INDEX IF NOT EXISTS runs_by_command ON runs(command);
"""


class StoreError(DetenteError):
    """The run store cannot be opened or has no such run."""


def default_path() -> Path:
    """``platformdirs.user_data_dir("detente")/runs.sqlite``."""
    import platformdirs

    return Path(platformdirs.user_data_dir("detente", appauthor=False)) / "runs.sqlite"


def resolve_path(store: str | os.PathLike[str] | None = None) -> Path | None:
    """Where runs go: ``store``, else $DETENTE_STORE, else the user's data dir; None = off."""
    value = os.fspath(store) if store is not None else os.environ.get(ENV_VAR)
    if value is not None and value.strip().lower() in OFF_VALUES:
        return None
    if value:
        return Path(value).expanduser()
    return default_path()


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


def _dumps(value: Any) -> str:
    # NaN/inf are not JSON: store them as null so every stored result parses anywhere.
    return json.dumps(to_jsonable(value), sort_keys=False, separators=(",", ":"), allow_nan=False)


def scenario_content(scenario: Any) -> tuple[str, str, str | None, str]:
    """(sha256, canonical JSON, id, title) of a Scenario (see detente.scenario.canonical)."""
    content = canonical_json(scenario)
    return (
        hashlib.sha256(content.encode("utf-8")).hexdigest(),
        content,
        scenario.meta.id,
        scenario.meta.title,
    )


@dataclass
class Run:
    """One stored run."""

    id: int
    created_at: str
    command: str
    argv: list[str]
    scenario_sha256: str | None
    scenario_id: str | None
    scenario_title: str | None
    models: list[str]
    params: dict[str, Any]
    seed: int | None
    version: str
    timings: dict[str, float]
    result: Any = field(repr=False)
    scenario_json: str | None = field(default=None, repr=False)

    def scenario(self) -> Any:
        """The stored scenario, validated again (a Scenario), or None when the run had none."""
        if self.scenario_json is None:
            return None
        from detente.scenario.io import from_data

        return from_data(self._scenario_data(), name=f"run {self.id}")

    def _scenario_data(self) -> Any:
        try:
            return json.loads(self.scenario_json) if self.scenario_json is not None else None
        except ValueError as exc:
            raise StoreError(
                f"run {self.id}: its stored scenario is damaged ({str(exc)[:60]}); "
                "see: detente runs verify"
            ) from None

    def summary(self) -> dict[str, Any]:
        """Everything but the result and the scenario's content."""
        return {
            "id": self.id,
            "created_at": self.created_at,
            "command": self.command,
            "argv": self.argv,
            "scenario_id": self.scenario_id,
            "scenario_title": self.scenario_title,
            "scenario_sha256": self.scenario_sha256,
            "models": self.models,
            "params": self.params,
            "seed": self.seed,
            "version": self.version,
            "timings": self.timings,
        }

    def to_dict(self) -> dict[str, Any]:
        """The whole run: summary, scenario content and result."""
        out = self.summary()
        out["scenario"] = self._scenario_data()
        out["result"] = self.result
        return out


class RunStore:
    """A run store in one SQLite file (created on first use, with its parent directory)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._ready = False

    # -- connections ---------------------------------------------------------------------

    def _connect(self, *, write: bool = True) -> sqlite3.Connection:
        """A connection; ``write=False`` opens the file read-only (``mode=ro``): it sets no
        pragma that writes, so it works on a full disk, a read-only mount, or while another
        connection holds the write lock. Only writers create the file and set the schema."""
        if self.path.is_dir():
            raise StoreError(f"run store {self.path}: is a directory, not a database file")
        try:
            if write:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                # isolation_level=None: we issue BEGIN/COMMIT ourselves: a run is one transaction.
                conn = sqlite3.connect(
                    self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None
                )
            else:
                uri = self.path.resolve().as_uri() + "?mode=ro"
                conn = sqlite3.connect(
                    uri, uri=True, timeout=READ_TIMEOUT_MS / 1000, isolation_level=None
                )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"run store {self.path}: cannot be opened ({exc})") from None
        try:
            if not write:
                conn.execute(f"PRAGMA busy_timeout={READ_TIMEOUT_MS}")
                conn.execute("PRAGMA query_only=ON")
                return conn
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            if not self._ready:
                self._set_up(conn)
                self._ready = True
            # FULL: a committed run survives a power cut too, not only a killed process.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(
                f"run store {self.path}: not a usable SQLite database ({exc})"
            ) from None
        return conn

    @staticmethod
    def _set_up(conn: sqlite3.Connection) -> None:
        """WAL mode and the schema, when missing. Writers that open a new store at the same
        moment race here: SQLite answers "database is locked" at once, without waiting the
        busy timeout, to a connection that would otherwise deadlock upgrading its lock (found
        by make stress: 5 of 160 writers opening one new file together failed). The schema is
        written under BEGIN IMMEDIATE, which does wait, and a lost race is tried again until
        the busy timeout."""
        import time

        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                # WAL: readers (the web app) and one writer (a CLI sweep) work at once.
                if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                    conn.execute("PRAGMA journal_mode=WAL")
                if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                    conn.executescript(
                        f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version={SCHEMA_VERSION};COMMIT;"
                    )
                return
            except sqlite3.OperationalError as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                locked = "locked" in str(exc) or "busy" in str(exc)
                if not locked or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    @staticmethod
    def _set_up_already(conn: sqlite3.Connection) -> bool:
        """Whether a writer has set the schema up: a reader that opens a store while its first
        writer is creating it (web pages during the first run) sees an empty store, not an
        error. The schema and user_version are committed together (:meth:`_set_up`)."""
        return bool(conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION)

    @contextmanager
    def _conn(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        conn = self._connect(write=write)
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            # A damaged page ("could not decode to UTF-8", "malformed"), a lock held past the
            # busy timeout: one clear line instead of sqlite3's traceback.
            raise StoreError(
                f"run store {self.path}: {str(exc)[:120]} (the file may be damaged)"
            ) from None
        finally:
            conn.close()

    # -- writing -------------------------------------------------------------------------

    def record(
        self,
        command: str,
        scenario: Any,
        params: Mapping[str, Any] | None,
        seed: int | None,
        result_json: Any,
        timings: Mapping[str, float] | None = None,
        *,
        models: list[str] | None = None,
        argv: list[str] | None = None,
        version: str | None = None,
    ) -> int:
        """Store one run atomically and return its id."""
        if version is None:
            from detente import __version__ as version
        result_text = _dumps(result_json)
        params = dict(params or {})
        if seed is not None and not -(2**63) <= int(seed) < 2**63:
            # A 128-bit entropy seed (numpy's SeedSequence() without a seed) does not fit
            # SQLite's INTEGER: keep it whole, as text, among the parameters.
            params["seed_entropy"] = str(int(seed))
            seed = None
        row: tuple[Any, ...] = (
            _now(),
            command,
            _dumps(list(argv or [])),
            None,  # scenario hash, filled below
            _dumps(list(models or [])),
            _dumps(params),
            None if seed is None else int(seed),
            version,
            _dumps(dict(timings or {})),
            result_text,
            hashlib.sha256(result_text.encode("utf-8")).hexdigest(),
        )
        scen = scenario_content(scenario) if scenario is not None else None
        with self._conn() as conn:
            try:
                # IMMEDIATE: take the write lock now, so the transaction can't fail half-way
                # on a lock upgrade; the whole run is one transaction.
                conn.execute("BEGIN IMMEDIATE")
                if scen is not None:
                    conn.execute(
                        "INSERT OR IGNORE INTO scenarios(sha256, content, scenario_id, title) "
                        "VALUES (?, ?, ?, ?)",
                        (scen[0], scen[1], scen[2], scen[3]),
                    )
                    row = row[:3] + (scen[0],) + row[4:]
                cur = conn.execute(
                    "INSERT INTO runs(created_at, command, argv, scenario_sha256, models, params,"
                    " seed, version, timings, result, result_sha256)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                run_id = int(cur.lastrowid or 0)
                self._before_commit(conn, run_id)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        return run_id

    def _before_commit(self, conn: sqlite3.Connection, run_id: int) -> None:
        """Called inside the write transaction, just before COMMIT (a seam for crash tests)."""

    def delete(self, run_id: int) -> None:
        """Remove a run (its scenario stays while other runs use it)."""
        with self._conn() as conn:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
            conn.execute(
                "DELETE FROM scenarios WHERE sha256 NOT IN "
                "(SELECT scenario_sha256 FROM runs WHERE scenario_sha256 IS NOT NULL)"
            )
            conn.execute("COMMIT")

    # -- reading -------------------------------------------------------------------------

    _COLUMNS = (
        "r.id, r.created_at, r.command, r.argv, r.scenario_sha256, s.scenario_id, s.title, "
        "r.models, r.params, r.seed, r.version, r.timings"
    )

    def list_runs(
        self,
        limit: int | None = 50,
        command: str | None = None,
        scenario_sha256: str | None = None,
        offset: int = 0,
    ) -> list[Run]:
        """Newest first, without results; ``offset`` skips the newest ``offset`` (paging)."""
        sql = (
            f"SELECT {self._COLUMNS} FROM runs r LEFT JOIN scenarios s "
            "ON s.sha256 = r.scenario_sha256"
        )
        where: list[str] = []
        args: list[Any] = []
        if command:
            where.append("r.command = ?")
            args.append(command)
        if scenario_sha256:
            where.append("r.scenario_sha256 = ?")
            args.append(scenario_sha256)
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY r.id DESC"
        if limit is not None or offset:
            sql += " LIMIT ?"
            # SQLite's INTEGER range; -1 is no limit
            args.append(-1 if limit is None else min(max(int(limit), 0), 2**63 - 1))
        if offset:
            sql += " OFFSET ?"
            args.append(min(max(int(offset), 0), 2**63 - 1))
        if not self.path.exists():
            return []
        with self._conn(write=False) as conn:
            if not self._set_up_already(conn):
                return []
            return [self._run(row, None, None) for row in conn.execute(sql, args)]

    def get(self, run_id: int | str) -> Run:
        """A run with its result and scenario; ``"last"`` (or ``-1``) is the newest run."""
        rid = self._resolve_id(run_id)
        if not self.path.exists():
            raise StoreError(f"no run {run_id} in {self.path} (the store is empty)")
        with self._conn(write=False) as conn:
            if not self._set_up_already(conn):
                raise StoreError(f"no run {run_id} in {self.path} (the store is empty)")
            if rid == -1:
                found = conn.execute("SELECT max(id) FROM runs").fetchone()[0]
                if found is None:
                    raise StoreError(f"no runs in {self.path} yet")
                rid = int(found)
            row = conn.execute(
                f"SELECT {self._COLUMNS}, r.result, s.content FROM runs r LEFT JOIN scenarios s "
                "ON s.sha256 = r.scenario_sha256 WHERE r.id = ?",
                (rid,),
            ).fetchone()
        if row is None:
            raise StoreError(f"no run {run_id} in {self.path} (see: detente runs list)")
        return self._run(row[:-2], row[-2], row[-1])

    def count(self) -> int:
        if not self.path.exists():
            return 0
        with self._conn(write=False) as conn:
            if not self._set_up_already(conn):
                return 0
            return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])

    def verify(self) -> list[str]:
        """Problems found (empty = sound): SQLite's integrity check, each run's result hash, and
        each run's scenario present and matching its hash."""
        from detente.scenario.canonical import scenario_hash
        from detente.scenario.io import from_data

        problems: list[str] = []
        if not self.path.exists():
            return problems
        with self._conn(write=False) as conn:
            check = [r[0] for r in conn.execute("PRAGMA integrity_check")]
            if check != ["ok"]:
                problems.extend(f"integrity_check: {c}" for c in check)
            for rid, text, digest in conn.execute("SELECT id, result, result_sha256 FROM runs"):
                if hashlib.sha256(text.encode("utf-8")).hexdigest() != digest:
                    problems.append(f"run {rid}: result does not match its hash")
                    continue
                try:
                    json.loads(text)
                except ValueError:
                    problems.append(f"run {rid}: result is not JSON")
            for row in conn.execute("SELECT id, argv, models, params, timings FROM runs"):
                for name, text in zip(
                    ("argv", "models", "params", "timings"), row[1:], strict=True
                ):
                    try:
                        json.loads(text)
                    except (TypeError, ValueError):
                        problems.append(f"run {row[0]}: {name} is not JSON")
            for rid, sha in conn.execute(
                "SELECT id, scenario_sha256 FROM runs r WHERE scenario_sha256 IS NOT NULL "
                "AND NOT EXISTS (SELECT 1 FROM scenarios s WHERE s.sha256 = r.scenario_sha256)"
            ):
                problems.append(f"run {rid}: scenario {sha[:12]} is missing")
            for sha, content in conn.execute("SELECT sha256, content FROM scenarios"):
                try:
                    same = scenario_hash(from_data(json.loads(content))) == sha
                except (ValueError, TypeError, DetenteError):
                    same = False
                if not same:
                    problems.append(f"scenario {sha[:12]}: content does not match its hash")
        return problems

    @staticmethod
    def _resolve_id(run_id: int | str) -> int:
        if isinstance(run_id, str) and run_id.strip().lower() in ("last", "latest"):
            return -1
        try:
            value = int(run_id)
        except (TypeError, ValueError):
            raise StoreError(
                f"run id {str(run_id)[:30]!r}: write a number (see: detente runs list)"
            ) from None
        if not -(2**63) <= value < 2**63:  # SQLite's INTEGER range; beyond it sqlite3 overflows
            raise StoreError(f"no run {str(run_id)[:30]} (see: detente runs list)")
        return value

    def _run(self, row: tuple[Any, ...], result: str | None, content: str | None) -> Run:
        try:
            return self._parse_run(row, result, content)
        except (TypeError, ValueError) as exc:
            raise StoreError(
                f"run store {self.path}: run {row[0]} is damaged ({str(exc)[:80]}); "
                "see: detente runs verify"
            ) from None

    @staticmethod
    def _parse_run(row: tuple[Any, ...], result: str | None, content: str | None) -> Run:
        (rid, created, command, argv, sha, sid, title, models, params, seed, version, timings) = row
        return Run(
            id=int(rid),
            created_at=created,
            command=command,
            argv=json.loads(argv),
            scenario_sha256=sha,
            scenario_id=sid,
            scenario_title=title,
            models=json.loads(models),
            params=json.loads(params),
            seed=seed,
            version=version,
            timings=json.loads(timings),
            result=None if result is None else json.loads(result),
            scenario_json=content,
        )


def open_store(store: str | os.PathLike[str] | None = None) -> RunStore | None:
    """The store at ``store`` / $DETENTE_STORE / the default location; None when storing is off."""
    path = resolve_path(store)
    return None if path is None else RunStore(path)


def record(
    command: str,
    scenario: Any,
    params: Mapping[str, Any] | None,
    seed: int | None,
    result_json: Any,
    timings: Mapping[str, float] | None = None,
    *,
    models: list[str] | None = None,
    argv: list[str] | None = None,
    store: str | os.PathLike[str] | None = None,
) -> int | None:
    """Store a run (scenario content and hash, command, models, parameters, seed, detente's
    version, timings and the command's JSON result) and return its id; None when storing is off."""
    rs = open_store(store)
    if rs is None:
        return None
    return rs.record(
        command, scenario, params, seed, result_json, timings, models=models, argv=argv
    )
