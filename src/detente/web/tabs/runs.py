"""Runs: every stored run, searchable and paged; open one, name it, delete it, compare two,
export it, download its report."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from detente.api import workbench
from detente.web import charts
from detente.web.core import (
    WebError,
    form_data,
    form_int,
    need_store,
    off_loop,
    render,
    store_of,
)
from detente.web.security import check_csrf
from detente.web.tabs import Tab

TAB = Tab("runs", "Runs", "What did I run before, and what changed between two runs?")
router = APIRouter(dependencies=[Depends(check_csrf)])
PER_PAGE = 20
EXPORT_TYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "parquet": "application/octet-stream",
}


def _run_id(raw: str) -> int | str:
    """A run id, or "last" (the newest run, as ``detente runs show last``)."""
    if raw == "last":
        return raw
    return form_int(raw, "run id", 1, 2**62)


@router.get("/runs", response_class=HTMLResponse)
def runs(request: Request, q: str = "", page: int = 1) -> HTMLResponse:
    data = workbench.runs_page(store_of(request), query=q[:100], page=page, per_page=PER_PAGE)
    return render(request, "_runs.html", runs_page=data, store=store_of(request))


@router.get("/runs/compare", response_class=HTMLResponse)
def compare(request: Request, a: str = "", b: str = "") -> HTMLResponse:
    if not a or not b:
        raise WebError("compare: tick two runs (or choose run a and run b)")
    diff = workbench.compare_runs(need_store(request), _run_id(a), _run_id(b))
    return render(request, "_compare.html", diff=diff)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def show_run(request: Request, run_id: str) -> HTMLResponse:
    store = need_store(request)
    run = store.get(_run_id(run_id))
    result = run.result if isinstance(run.result, dict) else {}
    return render(
        request,
        "_run.html",
        run=run,
        name=workbench.run_names(store).get(run.id, ""),
        rows=result.get("forecasts") if isinstance(result.get("forecasts"), list) else None,
        fig=charts.run_chart(result),
        result_keys=list(result),
    )


@router.post("/runs/{run_id}/name", response_class=HTMLResponse)
def name_run(request: Request, run_id: str, form: FormData = Depends(form_data)) -> HTMLResponse:
    rid = need_store(request).get(_run_id(run_id)).id
    workbench.name_run(need_store(request), rid, str(form.get("name") or ""))
    resp = runs(request, q=str(form.get("q") or ""), page=int(str(form.get("page") or 1)))
    return resp


@router.post("/runs/{run_id}/delete", response_class=HTMLResponse)
def delete_run(request: Request, run_id: str, form: FormData = Depends(form_data)) -> HTMLResponse:
    workbench.delete_run(need_store(request), need_store(request).get(_run_id(run_id)).id)
    return runs(request, q=str(form.get("q") or ""), page=int(str(form.get("page") or 1)))


@router.get("/runs/{run_id}/export")
def export(request: Request, run_id: str, format: str = "csv") -> Response:
    if format not in EXPORT_TYPES:
        raise WebError(f"export format {format[:20]!r}: choose csv, json or parquet")
    rid = need_store(request).get(_run_id(run_id)).id
    data = workbench.export_run(need_store(request), rid, format)
    return Response(
        data,
        media_type=EXPORT_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="detente-run-{rid}.{format}"'},
    )


@router.get("/runs/{run_id}/report")
async def run_report(request: Request, run_id: str) -> Response:
    """The run's HTML report, built in a worker process (its claims run 50 x 100 war paths)."""
    run = await off_loop(need_store(request).get, _run_id(run_id))
    rid = run.id
    pool = request.app.state.pool
    html = await pool.run(
        pool.compute,
        None,
        "detente.web.jobs.run_report",
        run,
        draws=0,
        claims_draws=50,
        claims_paths=100,
    )
    return Response(
        html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="detente-run-{rid}.html"'},
    )


@router.post("/ledger", response_class=HTMLResponse)
def ledger(request: Request, form: FormData = Depends(form_data)) -> HTMLResponse:
    """The forecast ledger at the path given (blank: the default ledger): its entries, whether
    its hash chain holds, and its score with the reliability diagram."""
    path = str(form.get("ledger_path") or "").strip()
    if len(path) > 1000:
        raise WebError("ledger path: at most 1000 characters")
    data = workbench.ledger(path or None)
    fig = charts.reliability(data["score"]) if data["score"] else None
    return render(request, "_ledger.html", ledger=data, fig=fig)
