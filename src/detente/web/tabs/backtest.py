"""Backtest: how well has each model forecast cases whose outcome we know?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from detente.api import workbench
from detente.web import charts
from detente.web.core import WebError, form_int, record, strings
from detente.web.jobs import Job
from detente.web.security import check_csrf
from detente.web.tabs import Tab, _jobs

TAB = Tab("backtest", "Backtest", "How well did each model do on cases we know the end of?")
router = APIRouter(dependencies=[Depends(check_csrf)])


@router.post("/backtest", response_class=HTMLResponse)
async def run_backtest(request: Request) -> HTMLResponse:
    form = await request.form()
    known_cases = workbench.backtest_cases()
    cases = strings(form, "case")
    for c in cases:
        if c not in known_cases:
            raise WebError(f"no backtest case {c[:40]!r}")
    known_models = [m["name"] for m in workbench.models()]
    models = strings(form, "model") or None
    for m in models or []:
        if m not in known_models:
            raise WebError(f"no model {m[:30]!r}")
    draws = form_int(form.get("draws"), "draws", 0, 500, default=0)
    seed = form_int(form.get("seed"), "seed", 0, 2**63 - 1, default=0)
    workbench.check_cost(
        "backtest", None, cases=len(cases or known_cases), models=models, draws=draws
    )

    def work(job: Job) -> dict[str, Any]:
        result = request.app.state.pool.compute(
            job,
            "detente.api.workbench.backtest",
            cases or None,
            models=models,
            draws=draws,
            seed=seed,
        )
        run_id = record(
            request,
            "web:backtest",
            None,
            result,
            models=list(result["models"]),
            seed=seed,
            params={"cases": cases, "draws": draws},
        )
        return {"result": result, "run_id": run_id, "fig": charts.backtest(result)}

    return _jobs.start(request, "backtest", work, "_backtest_result.html")
