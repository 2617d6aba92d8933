"""detente's local web app: an analyst's workbench (FastAPI + Jinja2 + htmx, charts by plotly.js),
organised by the user's questions: one tab each for Scenario, Terms, Timing (war), Claims,
Uncertainty & sensitivity, Levers, Backtest and Runs (see :mod:`detente.web.tabs`).

The app is stateless: the scenario being edited travels in the form (as JSON), so any number of
browser tabs work at once. Every computation goes through :mod:`detente.api`, in a bounded worker
pool off the event loop (:mod:`detente.web.jobs`), so ``/health`` and pages answer while models
run; a full pool answers 503 with Retry-After. Only the app's own origin may change state, with
the page's CSRF token (:mod:`detente.web.security`). Everything rendered from a scenario is
escaped (Jinja autoescape); uploads are capped at :data:`MAX_UPLOAD_BYTES`; ``detente serve``
binds 127.0.0.1 unless told otherwise. Nothing is fetched from the network: htmx and plotly.js
are served by the app.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.requests import ClientDisconnect

from detente import __version__, api
from detente.api import DetenteError, workbench
from detente.web import core, security
from detente.web.core import (  # noqa: F401 - re-exported for callers and tests
    MAX_BODY_BYTES,
    MAX_DRAWS,
    MAX_UPLOAD_BYTES,
    WebError,
)
from detente.web.core import safe_name as _safe_name  # noqa: F401
from detente.web.jobs import Overloaded, Pool
from detente.web.security import LOOPBACK_HOSTS, TEST_HOSTS  # noqa: F401

HERE = Path(__file__).resolve().parent
# Requests per second each client address may make (token bucket), and the burst it may save up.
RATE_LIMIT_PER_S = 50.0
RATE_BURST = 200
WORKERS = 2  # model runs at once (the machine's cores are shared with the browser)
QUEUE = 16  # model runs that may wait for a worker; beyond: 503
# Threads that parse forms and render pages at once. They share one GIL with the event loop:
# more of them do not render faster, they only make the loop (and /health) wait longer for it.
PAGE_THREADS = 4
# How often (s) a thread holding the GIL hands it over to one that waits (Python's default is
# 5 ms): the event loop gets it back sooner while pages render.
SWITCH_INTERVAL_S = 0.001


def plotly_js() -> Path | None:
    """plotly.min.js from the installed plotly package (the ``web`` extra), if installed."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


def create_app(
    store: str | os.PathLike[str] | None = None,
    *,
    rate_limit: float | None = RATE_LIMIT_PER_S,
    burst: int = RATE_BURST,
    allowed_hosts: list[str] | tuple[str, ...] = LOOPBACK_HOSTS,
    workers: int = WORKERS,
    queue: int = QUEUE,
    csrf_token: str | None = None,
    processes: bool = True,
    page_threads: int = PAGE_THREADS,
) -> FastAPI:
    """The app; runs go to ``store`` (default: $DETENTE_STORE or the user's data dir).

    ``allowed_hosts``: the Host names it answers to (loopback names; ``detente serve --host
    0.0.0.0`` passes ``["*"]``; tests add :data:`TEST_HOSTS`). Each client may make
    ``rate_limit`` requests per second with bursts of ``burst`` (429 beyond; None: no limit).
    ``workers`` model runs go at once and ``queue`` more may wait (503 beyond); they run in
    worker processes (``processes=False``: threads, e.g. for quick tests). While it is served
    (its lifespan), ``page_threads`` threads parse forms and render pages; the event loop only
    reads requests and answers ``/health``.
    """
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    from detente.web.tabs import _jobs, modules

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import gc
        import sys

        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = page_threads
        interval = sys.getswitchinterval()
        sys.setswitchinterval(min(interval, SWITCH_INTERVAL_S))
        app.state.pool.warm_up()
        # Everything loaded so far (modules, templates, the app) lives as long as the server:
        # keep it out of the garbage collector's full passes. Without this each full pass walked
        # the whole heap, stopping every thread, the event loop included, for 20-90 ms (13 such
        # passes in one make stress load test: the tail of /health's latency).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            app.state.pool.shutdown()
            sys.setswitchinterval(interval)
            gc.unfreeze()

    app = FastAPI(
        title="detente",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=lifespan,
    )
    app.state.env = env = core.make_env()
    app.state.store = workbench.open_store(store)
    app.state.csrf_token = csrf_token or security.new_token()
    app.state.pool = Pool(workers=workers, queue=queue, processes=processes)
    app.state.refused = {}
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(
        security.Guard,
        token=app.state.csrf_token,
        max_body=MAX_BODY_BYTES,
        rate=rate_limit,
        burst=burst,
        stats=app.state.refused,
    )
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _handlers(app, env)

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, scenario: str | None = None) -> HTMLResponse:
        from detente.web.page import page_ctx

        embedded = workbench.embedded_scenarios()
        name = scenario or workbench.DEFAULT_SCENARIO
        if name not in embedded:
            # Only embedded names: a path here would let any page read any file the server can.
            raise WebError(f"no embedded scenario {name[:60]!r} (embedded: {', '.join(embedded)})")
        return core.render(
            request,
            "index.html",
            plotly=plotly_js() is not None,
            **page_ctx(request, api.load(name), name),
        )

    @app.get("/health")
    async def health(request: Request) -> JSONResponse:
        # On the event loop itself (a few microseconds of work): no thread to wait for.
        pool = request.app.state.pool
        return JSONResponse(
            {
                "ok": True,
                "version": __version__,
                "busy": pool.active,
                "workers": pool.workers,
                "refused": dict(request.app.state.refused),
            }
        )

    @app.get("/vendor/plotly.min.js")
    def plotly() -> Response:
        path = plotly_js()
        if path is None:
            return Response(
                "/* plotly is not installed: pip install detente[web] */",
                media_type="text/javascript",
                status_code=404,
            )
        return FileResponse(
            path, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
        )

    app.include_router(_jobs.router)
    for module in modules():
        app.include_router(module.router)
    return app


def _handlers(app: FastAPI, env: Any) -> None:
    ParameterError = workbench.parameter_error()  # noqa: N806 - an exception class

    def err(message: str, status: int = 422, headers: dict[str, str] | None = None) -> Response:
        return core.error_response(env, message, status, headers)

    @app.exception_handler(DetenteError)
    async def detente_error(request: Request, exc: DetenteError) -> Response:
        return err(str(exc))

    @app.exception_handler(security.CsrfError)
    async def csrf_error(request: Request, exc: security.CsrfError) -> Response:
        return err(str(exc), 403)

    @app.exception_handler(ParameterError)
    async def parameter_error(request: Request, exc: Exception) -> Response:
        return err(str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        # A missing or malformed field: one readable line, never FastAPI's JSON.
        problems = []
        for e in exc.errors()[:3]:
            where = ".".join(str(p) for p in e.get("loc", ()) if p not in ("body", "query"))
            problems.append(f"{where or 'request'}: {e.get('msg', 'invalid')}".lower())
        return err("; ".join(problems) or "the request is not valid")

    @app.exception_handler(ClientDisconnect)
    async def gone(request: Request, exc: ClientDisconnect) -> Response:
        # The browser dropped the request (a slider moved again): nobody reads the answer.
        return Response(status_code=499)

    @app.exception_handler(security.BodyTooLarge)
    async def too_large(request: Request, exc: security.BodyTooLarge) -> Response:
        return err(str(exc), 413)

    @app.exception_handler(security.SlowClient)
    async def slow(request: Request, exc: security.SlowClient) -> Response:
        return err(str(exc), 408)

    @app.exception_handler(Overloaded)
    async def overloaded(request: Request, exc: Overloaded) -> Response:
        return err(
            f"the server is busy with other runs; try again in {exc.retry_after} s",
            503,
            {"Retry-After": str(exc.retry_after)},
        )

    @app.exception_handler(MemoryError)
    async def memory(request: Request, exc: MemoryError) -> Response:
        return err("the run needs more memory than this machine has; ask for less", 413)


def server_options() -> dict[str, Any]:
    """uvicorn settings for ``detente serve`` (see :mod:`detente.web.server`)."""
    from detente.web.server import server_options as options

    return options()
