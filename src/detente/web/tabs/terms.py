"""Terms: on what terms does each model expect the issues to settle (with Monte Carlo intervals)?"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from detente.api import workbench
from detente.web import charts
from detente.web.core import (
    MAX_DRAWS,
    WebError,
    edited_scenario,
    form_data,
    form_int,
    lines,
    record,
    strings,
)
from detente.web.jobs import Job
from detente.web.security import check_csrf
from detente.web.tabs import Tab, _jobs

TAB = Tab("terms", "Terms", "On what terms would each issue settle, and how sure is that?")
router = APIRouter(dependencies=[Depends(check_csrf)])


@router.post("/forecast", response_class=HTMLResponse)
def run_forecast(request: Request, form: FormData = Depends(form_data)) -> HTMLResponse:
    sc = edited_scenario(form)
    models = strings(form, "model") or None
    draws = form_int(form.get("draws"), "Monte Carlo draws", 0, MAX_DRAWS)
    seed = form_int(form.get("seed"), "seed", 0, 2**63 - 1, default=1)
    thresholds = lines(form.get("thresholds"), "thresholds", 10)
    params = workbench.parse_params(lines(form.get("params"), "model parameters", 20))
    for name in params:
        if models and name not in models:
            raise WebError(f"parameters for {name[:20]!r}, which is not among the chosen models")
    terms = form.get("war_terms") == "on"
    workbench.check_params(params)
    workbench.check_cost("forecast", sc, models=models, draws=draws)

    def work(job: Job) -> dict[str, Any]:
        t0 = time.perf_counter()
        result = request.app.state.pool.compute(
            job,
            "detente.api.workbench.forecast",
            sc,
            models=models,
            draws=draws,
            seed=seed,
            thresholds=thresholds,
            params=params,
            terms=terms,
        )
        elapsed = time.perf_counter() - t0
        run_id = record(
            request,
            "web:forecast",
            sc,
            result,
            models=list(result["models"]),
            seed=seed if draws else None,
            params={"draws": draws, "thresholds": thresholds, "model_params": params},
            timings={"total_s": elapsed},
        )
        return {"result": result, "run_id": run_id, "elapsed": elapsed, **view(result)}

    return _jobs.start(request, "forecast", work, "_terms_result.html")


def view(result: dict[str, Any]) -> dict[str, Any]:
    """Tables and charts of a forecast result."""
    mc = result.get("uncertainty") or {}
    figs = {i["id"]: charts.issue_forecasts(result, i) for i in result["issues"]}
    wt = result.get("war_terms") or {}
    if wt.get("available") and wt["issue"] in figs:
        figs[wt["issue"]] = charts.add_war_terms(figs[wt["issue"]], wt)
    trajectories = [
        charts.trajectory(result, name, issue["id"])
        for name, m in result["models"].items()
        if m.get("trajectory")
        for issue in result["issues"]
    ]
    thresholds = []
    for name, m in mc.items():
        for t in m.get("thresholds") or []:
            thresholds.append({"model": name, **t})
    vp = result.get("voting_power")
    return {
        "mc": mc,
        "figs": figs,
        "trajectories": trajectories,
        "thresholds": thresholds,
        "power_fig": charts.power(vp) if vp else None,
    }
