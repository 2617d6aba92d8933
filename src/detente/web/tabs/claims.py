"""Claims: do the scenario's stated claims hold, and in what share of plausible worlds?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from detente.api import workbench
from detente.web import charts
from detente.web.core import edited_scenario, form_data, form_int, record
from detente.web.jobs import Job
from detente.web.security import check_csrf
from detente.web.tabs import Tab, _jobs

TAB = Tab("claims", "Claims", "Do the claims made about this conflict hold up?")
router = APIRouter(dependencies=[Depends(check_csrf)])


@router.post("/claims", response_class=HTMLResponse)
def run_claims(request: Request, form: FormData = Depends(form_data)) -> HTMLResponse:
    sc = edited_scenario(form)
    draws = form_int(form.get("draws"), "draws", 1, 2000, default=100)
    paths = form_int(form.get("paths"), "paths per draw", 1, 2000, default=150)
    seed = form_int(form.get("seed"), "seed", 0, 2**63 - 1, default=0)
    workbench.check_cost("claims", sc, draws=draws, paths=paths)

    def work(job: Job) -> dict[str, Any]:
        result = request.app.state.pool.compute(
            job, "detente.api.workbench.claims", sc, draws=draws, paths=paths, seed=seed
        )
        run_id = record(
            request,
            "web:claims",
            sc,
            result,
            models=["war"],
            seed=seed,
            params={"draws": draws, "paths": paths},
        )
        return {"result": result, "run_id": run_id, "fig": charts.claims(result)}

    return _jobs.start(request, "claims", work, "_claims_result.html")
