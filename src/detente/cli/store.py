"""Storing the runs of CLI commands: one decorator and one call per command.

Usage in a command module::

    from detente.cli.store import record_cli_run, stored

    @stored                                  # adds --store PATH and --no-store, times the command
    def war(scenario: str | None = ScenarioArg, seed: int = 0, as_json: bool = JsonOpt) -> None:
        sc = api.load(scenario)
        out = api.war(sc, seed=seed)
        record_cli_run("war", sc, out, params={...}, seed=seed, announce=not as_json)

It stores through :func:`detente.api.record_run`, the one way to store a run.
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

from detente import api
from detente.api.runs import ENV_VAR

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
    return api.resolve_path(settings.store if settings is not None else None)


def _announce_first_use(path: Path, explicit: str | None) -> None:
    """On the first run stored in the default store (the user's data folder, shared by every
    project of the user), say where runs go and how to choose or stop that: one line on stderr."""
    import os

    if explicit is not None or os.environ.get(ENV_VAR) or path.exists():
        return
    print(
        f"detente: storing runs in {path} (shared by all your projects; per project: "
        f"--store ./runs.sqlite or {ENV_VAR}=./runs.sqlite; none: --no-store or {ENV_VAR}=off)",
        file=sys.stderr,
    )


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

    ``result_json``: a Result (stored as ``to_dict()``) or its JSON dict.
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
        explicit = settings.store if settings is not None else None
        path = api.resolve_path(explicit)
        if path is None:
            return None
        _announce_first_use(path, explicit)
        run_id = api.record_run(
            command,
            scenario,
            result_json,
            params=params,
            seed=seed,
            models=models,
            timings=times,
            argv=["detente", *sys.argv[1:]] if sys.argv else None,
            store=settings.store if settings is not None else None,
        )
        if run_id is None:
            return None
    except (api.StoreError, sqlite3.Error, OSError, ValueError, TypeError, OverflowError) as exc:
        print(f"detente: warning: run not stored: {exc}", file=sys.stderr)
        return None
    if announce:
        from detente.cli.common import console

        console.print(f"stored as run {run_id} (detente runs show {run_id})", style="dim")
    return run_id
