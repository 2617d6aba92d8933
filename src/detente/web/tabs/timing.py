"""Timing (war): when do talks start under each policy mix, how does the war end, on what terms
and at what cost; sliders scale each kind of lever and the curves redraw."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from detente.api import workbench
from detente.web import charts, sliders
from detente.web.core import WebError, edited_scenario, off_loop, record, render, strings
from detente.web.security import check_csrf
from detente.web.tabs import Tab

TAB = Tab("timing", "Timing (war)", "When do talks start under each policy, and how does it end?")
router = APIRouter(dependencies=[Depends(check_csrf)])


@router.post("/talks", response_class=HTMLResponse)
async def talks(request: Request) -> HTMLResponse:
    form = await request.form()
    sc = await off_loop(edited_scenario, form)
    ok, why = workbench.war_status(sc)
    if not ok:
        raise WebError(why)
    levers = sliders.lever_values(form)
    policies = strings(form, "policy") or None
    n_pol = len(policies or workbench.war_policies(sc))
    workbench.check_cost(
        "talks",
        sc,
        policies=2 * n_pol,
        months=sliders.WEB_MONTHS,
        paths=sliders.WEB_DRAWS * sliders.WEB_PATHS_PER_DRAW,
    )
    t0 = time.perf_counter()
    pool = request.app.state.pool
    out = await pool.run(pool.compute, None, "detente.web.sliders.talks_pair", sc, policies, levers)
    elapsed = time.perf_counter() - t0
    # Storing the run and building the charts and the page happen in a thread: the event loop
    # stays free.
    store = form.get("store") == "1"
    return await off_loop(_page, request, sc, out, levers, policies, elapsed, store)


def _page(
    request: Request,
    sc: Any,
    out: dict[str, Any],
    levers: dict[str, float],
    policies: list[str] | None,
    elapsed: float,
    store: bool,
) -> HTMLResponse:
    result = out["result"]
    run_id = None
    if store:
        run_id = record(
            request,
            "web:war",
            sc,
            result,
            models=["war"],
            seed=sliders.WEB_SEED,
            params={"levers": levers, "policies": policies},
            timings={"total_s": elapsed},
        )
    resp = render(
        request,
        "_timing_result.html",
        result=result,
        rows=sliders.rows(result, out["base"]),
        levers=levers,
        elapsed=elapsed,
        run_id=run_id,
        fig_talks=charts.talks_curves(result),
        fig_shares=charts.outcome_shares(result),
        fig_terms=charts.terms(result),
        paths=sliders.WEB_DRAWS * sliders.WEB_PATHS_PER_DRAW,
    )
    if run_id:
        resp.headers["HX-Trigger"] = "runs-changed"
    return resp
