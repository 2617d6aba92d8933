"""Scenario: which scenario, who the actors are, what they want (edit, add, remove, download)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from detente import api
from detente.api import workbench
from detente.web.core import (
    WebError,
    edited_scenario,
    form_data,
    off_loop,
    read_upload,
    render,
    safe_name,
    scenario_data,
)
from detente.web.page import page_ctx
from detente.web.security import check_csrf
from detente.web.tabs import Tab

TAB = Tab("scenario", "Scenario", "Who takes part, what each wants, how sure are we?")
router = APIRouter(dependencies=[Depends(check_csrf)])
EDIT_OPS = (
    "add_actor",
    "remove_actor",
    "add_issue",
    "remove_issue",
    "add_source",
    "remove_source",
    "set_uncertainty",
)


def workbench_response(request: Request, sc: object, source: str) -> HTMLResponse:
    return render(request, "_workbench.html", oob=True, **page_ctx(request, sc, source))  # type: ignore[arg-type]


def _embedded(name: str) -> str:
    if name not in workbench.embedded_scenarios():
        # Only embedded names: a path here would let any page read any file the server can.
        raise WebError(
            f"no embedded scenario {name[:60]!r} "
            f"(embedded: {', '.join(workbench.embedded_scenarios())})"
        )
    return name


@router.get("/scenario", response_class=HTMLResponse)
def choose(request: Request, name: str) -> HTMLResponse:
    return workbench_response(request, api.load(_embedded(name)), name)


@router.post("/scenario/upload", response_class=HTMLResponse)
async def upload(request: Request) -> HTMLResponse:
    form = await request.form()
    sc, name = await read_upload(form.get("file"))
    return await off_loop(workbench_response, request, sc, name)


@router.post("/scenario/edit", response_class=HTMLResponse)
def edit(request: Request, form: FormData = Depends(form_data)) -> HTMLResponse:
    op = str(form.get("op") or "")
    if op not in EDIT_OPS:
        raise WebError(f"unknown edit {op[:30]!r}")
    args = {k: v for k, v in form.items() if isinstance(v, str) and k.startswith("arg_")}
    sc = workbench.edit_scenario(scenario_data(form), op, **{k[4:]: v for k, v in args.items()})
    return workbench_response(request, sc, str(form.get("source") or "edited scenario")[:80])


@router.post("/scenario/download")
def download(request: Request, form: FormData = Depends(form_data)) -> Response:
    sc = edited_scenario(form)
    name = safe_name(sc.meta.id or "scenario")
    return Response(
        workbench.scenario_yaml(sc),
        media_type="application/x-yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.yaml"'},
    )


@router.post("/report")
async def scenario_report(request: Request) -> Response:
    """The HTML report of the edited scenario (as ``detente report``), built in a worker."""
    form = await request.form()
    sc = await off_loop(edited_scenario, form)
    pool = request.app.state.pool
    html = await pool.run(
        pool.compute,
        None,
        "detente.web.jobs.scenario_report",
        sc,
        draws=0,
        claims_draws=50,
        claims_paths=100,
    )
    name = safe_name(sc.meta.id or "scenario")
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="detente-{name}.html"'},
    )
