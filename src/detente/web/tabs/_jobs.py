"""Background jobs as the page sees them: start one (202 + a progress fragment that polls),
poll it, cancel it. The finished job renders with the template its tab gave."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from detente.web.core import WebError, render
from detente.web.jobs import Job
from detente.web.security import check_csrf

router = APIRouter(dependencies=[Depends(check_csrf)])


def start(
    request: Request,
    kind: str,
    work: Callable[[Job], dict[str, Any]],
    template: str,
    **ctx: Any,
) -> HTMLResponse:
    """Start ``work(job)`` (it returns the template's context) and answer with the progress
    fragment, which polls until the result replaces it."""
    job = request.app.state.pool.submit(kind, work, template=template, ctx=ctx)
    return render(request, "_job.html", job=job)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def poll(request: Request, job_id: str) -> HTMLResponse:
    job = request.app.state.pool.get(job_id)
    if job is None:
        raise WebError(f"no job {job_id[:20]!r} (the server may have restarted): run it again")
    if job.state != "done":
        return render(request, "_job.html", job=job)
    ctx = {**job.context["ctx"], **(job.result or {})}
    resp = render(request, job.context["template"], job=job, **ctx)
    if ctx.get("run_id"):
        resp.headers["HX-Trigger"] = "runs-changed"
    return resp


@router.post("/jobs/{job_id}/cancel", response_class=HTMLResponse)
def cancel(request: Request, job_id: str) -> HTMLResponse:
    job = request.app.state.pool.cancel(job_id)
    if job is None:
        raise WebError(f"no job {job_id[:20]!r}")
    return render(request, "_job.html", job=job)
