"""Storing the runs of CLI commands: one decorator and one call per command.

Usage in a command module::

    from detente.store.cli import record_cli_run, stored

    @stored                                  # adds --store PATH and --no-store, times the command
    def war(scenario: str | None = ScenarioArg, seed: int = 0, as_json: bool = JsonOpt) -> None:
        sc = api.load(scenario)
        out = run_the_model(sc, seed=seed)
        record_cli_run("war", sc, out.to_json(), params={...}, seed=seed, announce=not as_json)
        ...

A failure to store never fails the command: it prints one warning line on stderr.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import sqlite3
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import typer

from detente.store.runs import ENV_VAR, StoreError, open_store, resolve_path

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class _Settings:
    store: str | None
    off: bool
    started: float


_SETTINGS: contextvars.ContextVar[_Settings | None] = contextvars.ContextVar(
    "detente_store_settings", default=None
)

_STORE_PARAM = inspect.Parameter(
    "store",
    inspect.Parameter.KEYWORD_ONLY,
    annotation=str | None,
    default=typer.Option(
        None,
        "--store",
        metavar="PATH",
        help=f"Run store (SQLite file) to record this run in; default ${ENV_VAR} or the user "
        "data dir; 'off' disables.",
    ),
)
_NO_STORE_PARAM = inspect.Parameter(
    "no_store",
    inspect.Parameter.KEYWORD_ONLY,
    annotation=bool,
    default=typer.Option(False, "--no-store", help="Do not record this run."),
)


def stored(fn: F) -> F:
    """Decorator for a typer command: adds ``--store PATH`` and ``--no-store`` and starts the
    command's clock, for :func:`record_cli_run` to use."""
    sig = inspect.signature(fn, eval_str=True)
    params = [p for p in sig.parameters.values() if p.name not in ("store", "no_store")]
    # Keyword-only extras go last, after any **kwargs-free positional-or-keyword parameters.
    new_sig = sig.replace(parameters=[*params, _STORE_PARAM, _NO_STORE_PARAM])

    @functools.wraps(fn)
    def wrapper(*args: Any, store: str | None = None, no_store: bool = False, **kwargs: Any) -> Any:
        token = _SETTINGS.set(_Settings(store, no_store, time.perf_counter()))
        try:
            return fn(*args, **kwargs)
        finally:
            _SETTINGS.reset(token)

    wrapper.__signature__ = new_sig  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def current_store_path() -> Path | None:
    """The store the running command reads: its ``--store``, else $DETENTE_STORE or the default
    (``--no-store`` only stops recording); None when the store is off."""
    settings = _SETTINGS.get()
    return resolve_path(settings.store if settings is not None else None)


def record_cli_run(
    command: str,
    scenario: Any,
    result_json: Any,
    *,
    params: Mapping[str, Any] | None = None,
    seed: int | None = None,
    models: list[str] | None = None,
    timings: Mapping[str, float] | None = None,
    announce: bool = False,
) -> int | None:
    """Store a CLI command's run; returns its id (None when storing is off or failed).

    ``timings`` gets ``total_s`` (since the command started, under :func:`stored`) when absent.
    ``announce`` prints "stored as run N" on stdout: pass ``not as_json`` so JSON stays pure.
    """
    settings = _SETTINGS.get()
    if settings is not None and settings.off:
        return None
    times = dict(timings or {})
    if settings is not None and "total_s" not in times:
        times["total_s"] = round(time.perf_counter() - settings.started, 6)
    try:
        rs = open_store(settings.store if settings is not None else None)
        if rs is None:
            return None
        run_id = rs.record(
            command,
            scenario,
            params,
            seed,
            result_json,
            times,
            models=models,
            argv=["detente", *sys.argv[1:]] if sys.argv else None,
        )
    except (StoreError, sqlite3.Error, OSError, ValueError, TypeError) as exc:
        print(f"detente: warning: run not stored: {exc}", file=sys.stderr)
        return None
    if announce:
        from detente.cli.common import console

        console.print(f"stored as run {run_id} (detente runs show {run_id})", style="dim")
    return run_id
