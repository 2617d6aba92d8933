"""detente's local web app: FastAPI + Jinja2 + htmx (vendored), charts as server-side SVG.

A user chooses an embedded scenario or uploads one (validated; the error is shown in the page),
edits positions, saliences and capabilities in a table, runs the models and sees the forecast
table and plots, moves policy levers and sees P(talks by month) update, opens past runs, compares
two, and downloads a run's report. Every page works offline: htmx is served from ``static/``.

The app is stateless: the scenario being edited travels in the form (as JSON), so any number of
tabs work at once and a restart loses nothing but what was never run. Runs go to the run store
(SQLite, WAL: the app reads while a CLI sweep writes). Everything rendered from a scenario is
escaped (Jinja autoescape); uploads are capped at :data:`MAX_UPLOAD_BYTES`; ``detente serve``
binds 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from detente import __version__, api
from detente.bargaining.registry import ParameterError
from detente.scenario import io as scenario_io
from detente.scenario.errors import DetenteError
from detente.scenario.schema import Scenario
from detente.store.runs import RunStore, resolve_path

HERE = Path(__file__).resolve().parent
MAX_UPLOAD_BYTES = 1_000_000  # a scenario is a few KB; refuse anything near this
MAX_BODY_BYTES = 2 * MAX_UPLOAD_BYTES
UPLOAD_SUFFIXES = (".yaml", ".yml", ".csv", ".xml")
MAX_DRAWS = 5_000  # Monte Carlo draws a page may ask for (keeps a click under a few seconds)
# Requests per second each client address may make (token bucket), and the burst it may save up:
# far above what a person clicking does, low enough that a runaway script cannot monopolise the
# models. ``create_app(rate_limit=None)`` turns the limit off (e.g. for a load test).
RATE_LIMIT_PER_S = 50.0
RATE_BURST = 200


def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = lambda v, d=2: "-" if v is None else f"{float(v):.{d}f}"
    env.filters["tojson_attr"] = lambda v: json.dumps(v, separators=(",", ":"))
    return env


class WebError(DetenteError):
    """A request the page cannot serve; shown to the user in the page."""


# Host names the app answers to by default: loopback only, so a DNS-rebinding page (evil.example
# resolving to 127.0.0.1) cannot read it. "testserver" is the name Starlette's TestClient sends;
# it is no public DNS name.
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]", "testserver")


def create_app(
    store: str | os.PathLike[str] | None = None,
    *,
    rate_limit: float | None = RATE_LIMIT_PER_S,
    burst: int = RATE_BURST,
    allowed_hosts: list[str] | tuple[str, ...] = LOOPBACK_HOSTS,
) -> FastAPI:
    """The app; runs go to ``store`` (default: $DETENTE_STORE or the user's data dir).

    Each client address may make ``rate_limit`` requests per second with bursts of ``burst``
    (429 beyond); ``rate_limit=None`` turns the limit off. ``allowed_hosts``: the Host names
    it answers to (``detente serve --host 0.0.0.0`` passes ``["*"]``). POSTs whose Origin is
    another site are refused (403): a page elsewhere cannot drive the models or fill the store.
    """
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    store_path = resolve_path(store)
    env = _env()
    app = FastAPI(
        title="detente", version=__version__, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.state.store = None if store_path is None else RunStore(store_path)
    app.add_middleware(_Guard, max_body=MAX_BODY_BYTES, rate=rate_limit, burst=burst)

    def render(name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(**ctx), status_code=status)

    def error(message: str, status: int = 422) -> HTMLResponse:
        # htmx: the error goes to the page's message area, whatever the request targeted.
        resp = render("_error.html", status=status, message=message)
        resp.headers["HX-Retarget"] = "#messages"
        resp.headers["HX-Reswap"] = "innerHTML"
        return resp

    @app.middleware("http")
    async def same_origin(request: Request, call_next: Any) -> Response:
        origin = request.headers.get("origin")
        if request.method == "POST" and origin and origin != "null":
            if origin.split("://", 1)[-1] != request.headers.get("host", ""):
                return error(f"cross-origin request from {origin[:80]} refused", status=403)
        return await call_next(request)

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return error(
                f"the request is too large ({int(length):,} bytes; scenario uploads are "
                f"limited to {MAX_UPLOAD_BYTES:,} bytes)",
                status=413,
            )
        return await call_next(request)

    @app.exception_handler(DetenteError)
    async def detente_error(request: Request, exc: DetenteError) -> HTMLResponse:
        return error(str(exc))

    @app.exception_handler(RequestTooLarge)
    async def too_large(request: Request, exc: RequestTooLarge) -> HTMLResponse:
        return error(str(exc), status=413)

    @app.exception_handler(ParameterError)
    async def parameter_error(request: Request, exc: ParameterError) -> HTMLResponse:
        return error(str(exc))

    @app.get("/", response_class=HTMLResponse)
    def index(scenario: str | None = None) -> HTMLResponse:
        if scenario and scenario not in scenario_io.embedded_names():
            # Only embedded names: a path here would let any page read any file the server can
            # (its content leaks through the error message) or hang it on /dev/zero.
            raise WebError(
                f"no embedded scenario {scenario[:60]!r} "
                f"(embedded: {', '.join(scenario_io.embedded_names())})"
            )
        sc = api.load(scenario or scenario_io.DEFAULT_SCENARIO)
        return render(
            "index.html",
            **_editor_ctx(sc, scenario or scenario_io.DEFAULT_SCENARIO),
            embedded=scenario_io.embedded_names(),
            version=__version__,
            runs=_runs(app),
            store=app.state.store,
            max_upload=MAX_UPLOAD_BYTES,
            war=_war_ctx(sc),
        )

    @app.get("/health")
    def health() -> JSONResponse:
        return JSONResponse({"ok": True, "version": __version__})

    @app.get("/scenario", response_class=HTMLResponse)
    def choose(name: str) -> HTMLResponse:
        if name not in scenario_io.embedded_names():
            raise WebError(
                f"no embedded scenario {name!r} "
                f"(embedded: {', '.join(scenario_io.embedded_names())})"
            )
        sc = scenario_io.load(name)
        return render("_workspace.html", **_editor_ctx(sc, name), war=_war_ctx(sc), oob=True)

    @app.post("/scenario/upload", response_class=HTMLResponse)
    async def upload(file: UploadFile) -> HTMLResponse:
        sc = await _read_upload(file)
        return render(
            "_workspace.html",
            **_editor_ctx(sc, _safe_name(file.filename)),
            war=_war_ctx(sc),
            oob=True,
        )

    @app.post("/forecast", response_class=HTMLResponse)
    async def run_forecast(request: Request) -> HTMLResponse:
        form = await request.form()
        sc = _edited_scenario(form)
        models = [m for m in form.getlist("model") if isinstance(m, str)]
        draws = _int(form.get("draws"), "Monte Carlo draws", 0, MAX_DRAWS)
        seed = _int(form.get("seed"), "seed", 0, 2**63 - 1)
        t0 = time.perf_counter()
        fc = api.forecast(sc, model=models or None)
        t1 = time.perf_counter()
        if draws:
            # The service layer's Monte Carlo (Forecast.uncertainty), as `detente forecast
            # --draws N --seed S` runs it: the same numbers as the CLI.
            fc = api.forecast(sc, model=list(fc.results), draws=draws, seed=seed)
        t2 = time.perf_counter()
        result = fc.to_dict()
        mc = result.get("uncertainty") or {}
        run_id = _store(
            app,
            "web:forecast",
            sc,
            result,
            list(fc.results),
            seed if mc else None,
            {"forecast_s": t1 - t0, "montecarlo_s": t2 - t1, "total_s": t2 - t0},
            {"draws": draws},
        )
        from detente.report import plots

        charts = {"positions": plots.to_inline_svg(plots.positions_figure(fc, montecarlo=mc))}
        for name in fc.results:
            if result["models"][name]["trajectory"]:
                charts[f"trajectory:{name}"] = plots.to_inline_svg(
                    plots.trajectory_figure(result, name, sc)
                )
        resp = render(
            "_results.html",
            result=result,
            mc=mc,
            charts=charts,
            run_id=run_id,
            timings={"forecast": t1 - t0, "montecarlo": t2 - t1},
        )
        resp.headers["HX-Trigger"] = "runs-changed"
        return resp

    @app.post("/talks", response_class=HTMLResponse)
    async def talks(request: Request) -> HTMLResponse:
        form = await request.form()
        sc = _edited_scenario(form)
        ctx = _talks(sc, form)
        return render("_talks.html", **ctx)

    @app.get("/runs", response_class=HTMLResponse)
    def runs() -> HTMLResponse:
        return render("_runs.html", runs=_runs(app), store=app.state.store)

    @app.get("/runs/compare", response_class=HTMLResponse)
    def compare(a: str, b: str) -> HTMLResponse:
        from detente.store.views import compare_runs

        rs = _need_store(app)
        diff = compare_runs(rs.get(a), rs.get(b))
        return render("_compare.html", diff=diff)

    @app.get("/runs/{run_id}", response_class=HTMLResponse)
    def show_run(run_id: str) -> HTMLResponse:
        from detente.report import plots
        from detente.store.views import forecast_table

        run = _need_store(app).get(run_id)
        chart = None
        table = forecast_table(run)
        if table is not None and isinstance(run.result, dict) and run.scenario_json:
            chart = plots.to_inline_svg(
                plots.positions_figure(
                    run.result,
                    json.loads(run.scenario_json),
                    montecarlo=run.result.get("uncertainty") or run.result.get("montecarlo"),
                )
            )
        elif isinstance(run.result, dict) and plots.talks_curves(run.result):
            chart = plots.to_inline_svg(plots.talks_figure(run.result))
        rows = None if table is None else table.to_dict(orient="records")
        return render(
            "_run.html",
            run=run,
            rows=rows,
            chart=chart,
            result_keys=list(run.result) if isinstance(run.result, dict) else [],
        )

    @app.get("/runs/{run_id}/report")
    def run_report(run_id: str) -> Response:
        from detente.report.html import report_for_run

        run = _need_store(app).get(run_id)
        # The run's own results, plus the other sections at a pace a click can wait for.
        html = report_for_run(run, draws=0, claims_draws=50, claims_paths=100)
        return Response(
            html,
            media_type="text/html; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="detente-run-{run.id}.html"'},
        )

    @app.post("/report")
    async def scenario_report(request: Request) -> Response:
        from detente.report.html import build_report

        form = await request.form()
        sc = _edited_scenario(form)
        html = build_report(
            sc,
            draws=_int(form.get("draws"), "draws", 0, MAX_DRAWS),
            claims_draws=50,
            claims_paths=100,
        )
        name = sc.meta.id or "scenario"
        return Response(
            html,
            media_type="text/html; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="detente-{_safe_name(name)}.html"'
            },
        )

    return app


class RequestTooLarge(WebError):
    """A request body (sent without Content-Length, e.g. chunked) grew past the limit."""


class _Guard:
    """ASGI middleware: a per-client token-bucket rate limit, and a cap on request bodies that
    arrive without a Content-Length (the ``limit_body`` middleware checks those that have one).
    """

    def __init__(self, app: Any, max_body: int, rate: float | None, burst: int) -> None:
        self.app, self.max_body, self.rate, self.burst = app, max_body, rate, burst
        self.buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, last time)

    def _allow(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        if not self.rate:
            return 0.0
        now = time.monotonic()
        tokens, last = self.buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self.buckets[client] = (tokens, now)
            return (1.0 - tokens) / self.rate
        if len(self.buckets) > 10_000:  # many clients: forget those that are back to full
            self.buckets = {
                k: v
                for k, v in self.buckets.items()
                if v[0] + (now - v[1]) * self.rate < self.burst
            }
        self.buckets[client] = (tokens - 1.0, now)
        return 0.0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        if not scope.get("path", "").startswith("/static/"):
            wait = self._allow(client)
            if wait > 0:
                resp = HTMLResponse(
                    '<div class="error" role="alert">Too many requests: slow down and try again '
                    f"in {wait:.1f} s.</div>",
                    status_code=429,
                    headers={
                        "Retry-After": str(max(1, round(wait))),
                        "HX-Retarget": "#messages",
                        "HX-Reswap": "innerHTML",
                    },
                )
                await resp(scope, receive, send)
                return
        received = 0

        async def counted() -> Any:
            nonlocal received
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise RequestTooLarge(
                        f"the request is too large (over {self.max_body:,} "
                        f"bytes; scenario uploads are limited to "
                        f"{MAX_UPLOAD_BYTES:,} bytes)"
                    )
            return message

        await self.app(scope, counted, send)


# -- helpers --------------------------------------------------------------------------------


def _int(value: Any, what: str, lo: int, hi: int) -> int:
    if value is None or value == "":
        return lo
    try:
        n = int(str(value))
    except ValueError:
        raise WebError(f"{what}: {str(value)[:30]!r} is not a whole number") from None
    if not lo <= n <= hi:
        raise WebError(f"{what}: {n} is outside [{lo}, {hi}]")
    return n


def _safe_name(name: str | None) -> str:
    base = Path(name or "upload").name
    keep = "".join(c if c.isalnum() or c in "._-" else "_" for c in base)
    # No leading dots: ".." (or ".") must never come back as a name to join onto a directory.
    return keep.lstrip(".")[:80] or "upload"


async def _read_upload(file: UploadFile) -> Scenario:
    name = _safe_name(file.filename)
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise WebError(f"{name}: upload a scenario file ({', '.join(UPLOAD_SUFFIXES)})")
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise WebError(f"{name}: larger than {MAX_UPLOAD_BYTES:,} bytes; a scenario is a few KB")
    if suffix == ".xml":
        # The KTAB XML reader reads files: parse a private copy, and name the upload in errors.
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            try:
                return scenario_io.load(path)
            except DetenteError as exc:
                raise WebError(str(exc).replace(str(path), name)) from None
    text = scenario_io.decode(data, name)
    if suffix == ".csv":
        return scenario_io.loads_csv(text, name=name)
    return scenario_io.loads(text, name=name)


def _editor_ctx(sc: Scenario, source: str) -> dict[str, Any]:
    from detente.bargaining.registry import list_models

    k = len(sc.issues)
    models = [
        {"name": m.name, "title": m.title, "checked": True}
        for m in list_models()
        if m.multi_issue or k >= 2
    ]
    return {
        "sc": sc,
        "source": source,
        "models": models,
        "resettable": source in scenario_io.embedded_names(),
        "scenario_json": json.dumps(sc.model_dump(mode="json"), separators=(",", ":")),
    }


def _edit_estimate(est: dict[str, Any] | float | int, new: float) -> dict[str, Any]:
    # The edited value is what the user wants: keep sd; move a low/high range with the value.
    if not isinstance(est, dict):
        return {"value": new}
    out = dict(est)
    try:
        old = float(est.get("value", new))
        out["value"] = new
        if out.get("low") is not None and out.get("high") is not None:
            out["low"] = min(float(out["low"]) + new - old, new)
            out["high"] = max(float(out["high"]) + new - old, new)
    except (TypeError, ValueError, OverflowError):
        # The form's JSON held something that is not a number here: the edit replaces it
        # (validation then judges the rest).
        return {"value": new}
    return out


def _number(raw: Any, field: str) -> float:
    try:
        value = float(str(raw))
    except ValueError:
        raise WebError(f"{field}: {str(raw)[:30]!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise WebError(f"{field}: must be a finite number")
    return value


def _edited_scenario(form: FormData) -> Scenario:
    """The form's scenario (JSON) with the table's edits applied, validated again."""
    raw = form.get("scenario_json")
    if not isinstance(raw, str) or not raw:
        raise WebError("no scenario in the form: choose or upload one")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise WebError("the scenario in the form is too large")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nested too deeply for the parser
        raise WebError("the scenario in the form is not valid JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("actors"), list):
        raise WebError("the scenario in the form has no actors")
    for actor in data["actors"]:
        if not isinstance(actor, dict):
            continue
        aid = actor.get("id")
        cap = form.get(f"cap:{aid}")
        if cap not in (None, ""):
            actor["capability"] = _edit_estimate(
                actor.get("capability", {}), _number(cap, f"{aid} capability")
            )
        for kind, key in (("pos", "positions"), ("sal", "saliences")):
            if not isinstance(actor.get(key), dict):
                continue  # not a table of issues: validation below says what is wrong
            for issue in list(actor[key]):
                value = form.get(f"{kind}:{aid}:{issue}")
                if value not in (None, ""):
                    actor[key][issue] = _edit_estimate(
                        actor[key][issue], _number(value, f"{aid} {key[:-1]} on {issue}")
                    )
    return scenario_io.from_data(data, name="edited scenario")


def _store(
    app: FastAPI,
    command: str,
    sc: Scenario,
    result: Any,
    models: list[str],
    seed: int | None,
    timings: dict[str, float],
    params: dict[str, Any],
) -> int | None:
    rs: RunStore | None = app.state.store
    if rs is None:
        return None
    return rs.record(command, sc, params, seed, result, timings, models=models, argv=[])


def _need_store(app: FastAPI) -> RunStore:
    rs: RunStore | None = app.state.store
    if rs is None:
        raise WebError("the run store is off (DETENTE_STORE=off): no past runs to show")
    return rs


def _runs(app: FastAPI, limit: int = 25) -> list[Any]:
    rs: RunStore | None = app.state.store
    return [] if rs is None else rs.list_runs(limit=limit)


# -- the war model's levers -----------------------------------------------------------------


def _war_ctx(sc: Scenario) -> dict[str, Any]:
    """What the levers panel shows: the war model's levers, or why there are none."""
    from detente.web import levers

    return levers.panel(sc)


def _talks(sc: Scenario, form: FormData) -> dict[str, Any]:
    from detente.web import levers

    return levers.talks(sc, form)
