"""Levers: what if someone acts (what-if), how far does a lever move the answer (sweep), and
what is the smallest change an actor could make to reach a goal (smallest lever)?"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from detente import api
from detente.api import workbench
from detente.web import charts
from detente.web.core import (
    MAX_DRAWS,
    WebError,
    edited_scenario,
    form_data,
    form_float,
    form_int,
    lines,
    record,
    strings,
)
from detente.web.jobs import Job
from detente.web.security import check_csrf
from detente.web.tabs import Tab, _jobs

TAB = Tab("levers", "Levers", "What if someone acts, and what is the smallest move that works?")
router = APIRouter(dependencies=[Depends(check_csrf)])


def _model(form: Any, sc: Any) -> str:
    model = str(form.get("model") or "compromise")
    if model not in api.default_models(sc):
        raise WebError(f"model {model[:30]!r}: choose one of {', '.join(api.default_models(sc))}")
    return model


@router.post("/whatif", response_class=HTMLResponse)
def run_whatif(request: Request, form: FormData = Depends(form_data)) -> HTMLResponse:
    sc = edited_scenario(form)
    interventions = lines(form.get("interventions"), "interventions")
    models = strings(form, "model") or ["compromise"]
    for m in models:
        if m not in api.default_models(sc):
            raise WebError(f"model {m[:30]!r}: choose from {', '.join(api.default_models(sc))}")
    draws = form_int(form.get("draws"), "draws", 1, MAX_DRAWS, default=1)
    seed = form_int(form.get("seed"), "seed", 0, 2**63 - 1, default=0)
    thresholds = lines(form.get("thresholds"), "thresholds", 10)
    workbench.check_cost("whatif", sc, models=models, draws=draws, points=2)

    def work(job: Job) -> dict[str, Any]:
        result = request.app.state.pool.compute(
            job,
            "detente.api.workbench.whatif",
            sc,
            interventions,
            models=models,
            draws=draws,
            seed=seed,
            thresholds=thresholds,
        )
        run_id = record(
            request,
            "web:whatif",
            sc,
            result,
            models=models,
            seed=seed,
            params={"interventions": interventions, "draws": draws},
        )
        return {"result": result, "run_id": run_id, "fig": charts.whatif(result)}

    return _jobs.start(request, "whatif", work, "_whatif_result.html")


@router.post("/sweep", response_class=HTMLResponse)
def run_sweep(request: Request, form: FormData = Depends(form_data)) -> HTMLResponse:
    sc = edited_scenario(form)
    levers = lines(form.get("levers"), "levers", 2)
    if not levers:
        raise WebError("sweep: give one or two levers, e.g. USA.position.sanctions=0:100:11")
    model = _model(form, sc)
    draws = form_int(form.get("draws"), "draws", 1, MAX_DRAWS, default=1)
    seed = form_int(form.get("seed"), "seed", 0, 2**63 - 1, default=0)
    thresholds = lines(form.get("thresholds"), "thresholds", 10)
    points = workbench.sweep_points(levers)
    workbench.check_cost("sweep", sc, models=[model], draws=draws, points=points)

    def work(job: Job) -> dict[str, Any]:
        result = request.app.state.pool.compute(
            job,
            "detente.api.workbench.sweep",
            sc,
            levers,
            model=model,
            draws=draws,
            seed=seed,
            thresholds=thresholds,
        )
        run_id = record(
            request,
            "web:sweep",
            sc,
            result,
            models=[model],
            seed=seed,
            params={"levers": levers, "draws": draws, "thresholds": thresholds},
        )
        return {"result": result, "run_id": run_id, "fig": charts.sweep(result)}

    return _jobs.start(request, "sweep", work, "_sweep_result.html")


@router.post("/lever", response_class=HTMLResponse)
def run_lever(request: Request, form: FormData = Depends(form_data)) -> HTMLResponse:
    sc = edited_scenario(form)
    actor = str(form.get("actor") or "")
    if actor not in sc.actor_ids:
        raise WebError(f"actor {actor[:30]!r}: choose one of {', '.join(sc.actor_ids)}")
    target = str(form.get("target") or "").strip()[:100]
    if not target:
        raise WebError("smallest lever: give a target, e.g. territory<=40")
    model = _model(form, sc)
    probability = form_float(form.get("probability"), "probability", 0.01, 0.99, 0.5)
    draws = form_int(form.get("draws"), "draws", 10, MAX_DRAWS, default=200)
    seed = form_int(form.get("seed"), "seed", 0, 2**63 - 1, default=0)
    workbench.check_cost("lever", sc, models=[model], draws=draws)

    def work(job: Job) -> dict[str, Any]:
        result = request.app.state.pool.compute(
            job,
            "detente.api.workbench.smallest_lever",
            sc,
            actor,
            target,
            model=model,
            probability=probability,
            draws=draws,
            seed=seed,
        )
        run_id = record(
            request,
            "web:lever",
            sc,
            result,
            models=[model],
            seed=seed,
            params={"actor": actor, "target": target, "probability": probability},
        )
        return {"result": result, "run_id": run_id}

    return _jobs.start(request, "lever", work, "_lever_result.html")
