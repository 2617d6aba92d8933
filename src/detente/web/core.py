"""What every part of the web app shares: templates, error fragments, form parsing, the scenario
that travels in the form, uploads, and the run store.

Views only parse and render: every computation goes through :mod:`detente.api`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData, UploadFile

from detente import api
from detente.api import DetenteError, Scenario

HERE = Path(__file__).resolve().parent
MAX_UPLOAD_BYTES = 1_000_000  # a scenario is a few KB; refuse anything near this
MAX_BODY_BYTES = 2 * MAX_UPLOAD_BYTES
UPLOAD_SUFFIXES = (".yaml", ".yml", ".csv", ".xml")
MAX_DRAWS = 5_000  # Monte Carlo draws a page may ask for
MAX_ABS_INPUT = 1e9  # a number typed into the editor: beyond this it is a typo or an attack


class WebError(DetenteError):
    """A request the page cannot serve; shown to the user in the page."""


def make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num_filter
    env.filters["pct"] = lambda v: "-" if v is None else f"{100 * float(v):.1f}%"
    env.filters["tojson_attr"] = lambda v: json.dumps(v, separators=(",", ":"))
    return env


def _num_filter(v: Any, d: int = 2) -> str:
    if v is None or v == "":
        return "-"
    try:
        return f"{float(v):.{d}f}"
    except (TypeError, ValueError):
        return str(v)


async def form_data(request: Request) -> FormData:
    """FastAPI dependency: the request's form, read on the event loop (that is I/O). A route that
    takes it is a plain ``def``, so its parsing, validation and rendering run in a thread and the
    event loop stays free for ``/health`` and other requests."""
    return await request.form()


async def off_loop(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` in a thread, for CPU work in an ``async`` route."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args, **kwargs)


def render(request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
    env: Environment = request.app.state.env
    ctx.setdefault("csrf", request.app.state.csrf_token)
    return HTMLResponse(env.get_template(template).render(**ctx), status_code=status)


def error_response(
    env: Environment, message: str, status: int = 422, headers: dict[str, str] | None = None
) -> HTMLResponse:
    """An error fragment for the page's message area, whatever the request targeted."""
    resp = HTMLResponse(env.get_template("_error.html").render(message=message), status_code=status)
    resp.headers["HX-Retarget"] = "#messages"
    resp.headers["HX-Reswap"] = "innerHTML"
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


# -- form values ------------------------------------------------------------------------------


def form_int(value: Any, what: str, lo: int, hi: int, default: int | None = None) -> int:
    if value is None or value == "":
        return lo if default is None else default
    try:
        n = int(str(value).strip())
    except ValueError:
        raise WebError(f"{what}: {str(value)[:30]!r} is not a whole number") from None
    if not lo <= n <= hi:
        raise WebError(f"{what}: {n} is outside [{lo}, {hi}]")
    return n


def form_float(value: Any, what: str, lo: float, hi: float, default: float) -> float:
    if value is None or value == "":
        return default
    v = number(value, what)
    if not lo <= v <= hi:
        raise WebError(f"{what}: {v:g} is outside [{lo:g}, {hi:g}]")
    return v


def number(raw: Any, field: str) -> float:
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise WebError(f"{field}: {str(raw)[:30]!r} is not a number") from None
    if not math.isfinite(value):
        raise WebError(f"{field}: must be a finite number")
    if abs(value) > MAX_ABS_INPUT:
        raise WebError(f"{field}: {value:g} is outside [-{MAX_ABS_INPUT:g}, {MAX_ABS_INPUT:g}]")
    return value


def strings(form: FormData, key: str) -> list[str]:
    return [v for v in form.getlist(key) if isinstance(v, str) and v]


def lines(raw: Any, what: str, limit: int = 20) -> list[str]:
    out = [ln.strip() for ln in str(raw or "").splitlines() if ln.strip()]
    if len(out) > limit:
        raise WebError(f"{what}: at most {limit} lines")
    return [ln[:300] for ln in out]


def safe_name(name: str | None) -> str:
    base = Path(name or "upload").name
    keep = "".join(c if c.isalnum() or c in "._-" else "_" for c in base)
    return keep.lstrip(".")[:80] or "upload"


# -- the scenario in the form -----------------------------------------------------------------


def editor_ctx(sc: Scenario, source: str) -> dict[str, Any]:
    from detente.api import workbench

    war_ok, war_why = workbench.war_status(sc)
    return {
        "sc": sc,
        "source": source,
        "models": [{"name": n, "checked": True} for n in api.default_models(sc)],
        "resettable": source in workbench.embedded_scenarios(),
        "scenario_json": json.dumps(sc.model_dump(mode="json"), separators=(",", ":")),
        "war_ok": war_ok,
        "war_why": war_why,
        "policies": workbench.war_policies(sc) if war_ok else [],
        "uncertain": workbench.uncertainties(sc),
    }


def _edit_estimate(est: Any, new: float) -> dict[str, Any]:
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
        return {"value": new}
    return out


def scenario_data(form: FormData) -> dict[str, Any]:
    """The form's scenario (JSON) with the editor's value edits applied (not yet validated)."""
    raw = form.get("scenario_json")
    if not isinstance(raw, str) or not raw:
        raise WebError("no scenario in the form: choose or upload one")
    if len(raw) > MAX_UPLOAD_BYTES:
        raise WebError("the scenario in the form is too large")
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
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
                actor.get("capability", {}), number(cap, f"{aid} capability")
            )
        for kind, key in (("pos", "positions"), ("sal", "saliences")):
            if not isinstance(actor.get(key), dict):
                continue
            for issue in list(actor[key]):
                value = form.get(f"{kind}:{aid}:{issue}")
                if value not in (None, ""):
                    actor[key][issue] = _edit_estimate(
                        actor[key][issue], number(value, f"{aid} {key[:-1]} on {issue}")
                    )
    return data


def edited_scenario(form: FormData) -> Scenario:
    """The form's scenario with the table's edits applied, validated again."""
    from detente.api import workbench

    return workbench.scenario_from_data(scenario_data(form), name="edited scenario")


async def read_upload(file: Any) -> tuple[Scenario, str]:
    """The uploaded scenario and its (safe) name; a readable error for no file or a bad one."""
    from detente.api import workbench

    if not isinstance(file, UploadFile) or not (file.filename or "").strip():
        raise WebError("choose a scenario file to upload first (YAML, CSV or KTAB CSV/XML)")
    name = safe_name(file.filename)
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise WebError(f"{name}: upload a scenario file ({', '.join(UPLOAD_SUFFIXES)})")
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise WebError(f"{name}: larger than {MAX_UPLOAD_BYTES:,} bytes; a scenario is a few KB")
    if not data.strip():
        raise WebError(f"{name}: the file is empty")
    # Parsing a file of up to 1 MB takes a while: not on the event loop.
    return await off_loop(workbench.load_upload, name, data), name


# -- the run store ----------------------------------------------------------------------------


def store_of(request: Request) -> Any:
    return request.app.state.store


def need_store(request: Request) -> Any:
    rs = request.app.state.store
    if rs is None:
        raise WebError("the run store is off (DETENTE_STORE=off): no past runs to show")
    return rs


def record(
    request: Request,
    command: str,
    sc: Scenario | None,
    result: Any,
    *,
    models: list[str] | None = None,
    seed: int | None = None,
    params: dict[str, Any] | None = None,
    timings: dict[str, float] | None = None,
) -> int | None:
    rs = request.app.state.store
    if rs is None:
        return None
    return int(
        rs.record(
            command, sc, params or {}, seed, result, timings or {}, models=models or [], argv=[]
        )
    )
