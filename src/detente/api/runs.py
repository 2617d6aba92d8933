"""Services over the run store: record a run (the one way every command and the web app store
one), list, read, compare and export runs.

Storing goes through :func:`record_run` only: it names the command, the scenario (its content
and hash), the models, parameters, seed, timings and the result's JSON (``Result.to_dict()`` or
a plain dict), and returns the run's id (None when storing is off).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from detente.store.runs import ENV_VAR, Run, RunStore, StoreError, open_store, resolve_path

if TYPE_CHECKING:
    import pandas as pd

EXPORT_FORMATS = ("csv", "json", "parquet")

__all__ = [
    "ENV_VAR",
    "EXPORT_FORMATS",
    "Run",
    "RunStore",
    "StoreError",
    "compare_runs",
    "export_run",
    "forecast_frame",
    "forecast_table",
    "get_run",
    "list_runs",
    "open_store",
    "record_run",
    "resolve_path",
    "result_tables",
    "run_store",
]


def record_run(
    command: str,
    scenario: Any,
    result: Any,
    *,
    params: Mapping[str, Any] | None = None,
    seed: int | None = None,
    models: list[str] | None = None,
    timings: Mapping[str, float] | None = None,
    argv: list[str] | None = None,
    store: str | os.PathLike[str] | RunStore | None = None,
) -> int | None:
    """Store one run atomically; returns its id, or None when storing is off.

    ``result``: a Result (stored as ``to_dict()``) or its JSON dict. ``store``: a RunStore, a
    path, or None for ``$DETENTE_STORE`` / the user data dir.
    """
    rs = store if isinstance(store, RunStore) else open_store(store)
    if rs is None:
        return None
    payload = result.to_dict() if callable(getattr(result, "to_dict", None)) else result
    return rs.record(
        command, scenario, params, seed, payload, timings, models=models, argv=argv or []
    )


def run_store(store: str | os.PathLike[str] | None = None) -> RunStore:
    """The store to read: ``store``, $DETENTE_STORE or the user data dir (a StoreError when off)."""
    resolved = resolve_path(store)
    if resolved is None:
        raise StoreError(f"the run store is off (${ENV_VAR}=off); name a store file to read one")
    return RunStore(resolved)


def list_runs(
    store: str | os.PathLike[str] | None = None,
    *,
    limit: int | None = 50,
    command: str | None = None,
) -> list[Run]:
    """Stored runs, newest first, without their results."""
    return run_store(store).list_runs(limit=limit, command=command)


def get_run(run_id: int | str, *, store: str | os.PathLike[str] | None = None) -> Run:
    """One stored run with its result and scenario (``"last"``: the newest)."""
    return run_store(store).get(run_id)


def compare_runs(a: Run, b: Run, limit: int = 200) -> dict[str, Any]:
    """What differs between two runs: scenario inputs, parameters, and forecasts."""
    from detente.store.views import compare_runs as _compare

    return _compare(a, b, limit=limit)


def forecast_table(run: Run) -> pd.DataFrame | None:
    """A forecast run's table (model, issue, forecast), or None for other commands."""
    from detente.store.views import forecast_table as _table

    return _table(run)


def forecast_frame(result: Mapping[str, Any]) -> pd.DataFrame:
    """A forecast run's result as one row per model x issue, Monte Carlo summaries included."""
    from detente.store.views import forecast_frame as _frame

    return _frame(dict(result))


def result_tables(result: Any, *, max_rows: int = 40) -> list[dict[str, Any]]:
    """Any run's result as titled tables (columns, rows, truncated count) for display."""
    from detente.store.views import result_tables as _tables

    return _tables(result, max_rows=max_rows)


def export_run(run: Run, fmt: str, *, flat: bool = False) -> bytes:
    """A run as csv (a forecast run: one row per model x issue with its Monte Carlo summaries;
    ``flat`` or any other run: every value by its path, with its type), json (the whole run) or
    parquet (needs the parquet extra)."""
    if fmt.lower() == "parquet":
        from detente.extras import require

        require("pyarrow", "export to parquet")
    from detente.store.views import export_run as _export

    return _export(run, fmt, flat=flat)
