"""Uncertainty & sensitivity: which uncertain inputs drive the forecast (Sobol' or Morris)?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from detente.api import workbench
from detente.web import charts
from detente.web.core import WebError, edited_scenario, form_data, form_int, record
from detente.web.jobs import Job
from detente.web.security import check_csrf
from detente.web.tabs import Tab, _jobs

TAB = Tab("uncertainty", "Uncertainty & sensitivity", "Which uncertain inputs drive the answer?")
router = APIRouter(dependencies=[Depends(check_csrf)])
METHODS = ("sobol", "morris")
GROUPS = ("input", "actor", "kind")


@router.post("/sensitivity", response_class=HTMLResponse)
def run_sensitivity(request: Request, form: FormData = Depends(form_data)) -> HTMLResponse:
    from detente import api

    sc = edited_scenario(form)
    model = str(form.get("model") or "compromise")
    allowed = api.default_models(sc) + (["war"] if workbench.war_status(sc)[0] else [])
    if model not in allowed:
        raise WebError(f"model {model[:30]!r}: choose one of {', '.join(allowed)}")
    method = str(form.get("method") or "sobol")
    if method not in METHODS:
        raise WebError(f"method {method[:30]!r}: choose sobol or morris")
    by = str(form.get("by") or "input")
    if by not in GROUPS:
        raise WebError(f"group by {by[:30]!r}: choose input, actor or kind")
    n = form_int(form.get("n"), "base sample size", 4, 4096, default=64)
    seed = form_int(form.get("seed"), "seed", 0, 2**63 - 1, default=0)
    workbench.check_cost("sensitivity", sc, models=None if model == "war" else [model], n=n)

    def work(job: Job) -> dict[str, Any]:
        result = request.app.state.pool.compute(
            job,
            "detente.api.workbench.sensitivity",
            sc,
            model=model,
            method=method,
            n=n,
            seed=seed,
            by=by,
        )
        run_id = record(
            request,
            "web:sensitivity",
            sc,
            result,
            models=[model],
            seed=seed,
            params={"method": method, "n": n, "by": by},
        )
        figs = [charts.sensitivity(result, out) for out in result["outputs"]]
        return {"result": result, "run_id": run_id, "figs": figs}

    return _jobs.start(request, "sensitivity", work, "_sensitivity_result.html")


@router.post("/discover", response_class=HTMLResponse)
def run_discover(request: Request, form: FormData = Depends(form_data)) -> HTMLResponse:
    sc = edited_scenario(form)
    target = str(form.get("target") or "").strip()
    if not target:
        raise WebError(
            "target: write one, e.g. forecast.compromise.territory<=60 or p_talks_12>=0.5"
        )
    if len(target) > 200:
        raise WebError("target: at most 200 characters")
    draws = form_int(form.get("draws"), "draws", 20, 2000, default=200)
    paths = form_int(form.get("paths"), "war paths per draw", 1, 64, default=16)
    seed = form_int(form.get("seed"), "seed", 0, 2**63 - 1, default=0)

    def work(job: Job) -> dict[str, Any]:
        result = request.app.state.pool.compute(
            job,
            "detente.api.workbench.discover",
            sc,
            target,
            draws=draws,
            seed=seed,
            paths=paths,
        )
        run_id = record(
            request,
            "web:discover",
            sc,
            result,
            models=[],
            seed=seed,
            params={"target": target, "draws": draws, "paths": paths},
        )
        return {"result": result, "run_id": run_id, "fig": charts.peeling(result)}

    return _jobs.start(request, "discover", work, "_discover_result.html")
