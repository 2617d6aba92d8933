"""Backtest: how well has each model forecast cases whose outcome we know?"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from detente.api import workbench
from detente.web import charts
from detente.web.core import WebError, form_data, form_int, record, safe_name, strings
from detente.web.jobs import Job
from detente.web.security import check_csrf
from detente.web.tabs import Tab, _jobs

TAB = Tab("backtest", "Backtest", "How well did each model do on cases we know the end of?")
router = APIRouter(dependencies=[Depends(check_csrf)])


@router.post("/backtest", response_class=HTMLResponse)
def run_backtest(request: Request, form: FormData = Depends(form_data)) -> HTMLResponse:
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


# A DEU file is a few hundred rows (DEU III train: ~40 KB); larger uploads are refused.
MAX_DEU_BYTES = 1_000_000
DEU_SUFFIXES = (".csv", ".tsv", ".txt", ".tab")


async def _deu_file(form: Any, field: str, folder: str) -> str | None:
    """The path of the DEU file the form gives in ``field``: an upload (saved under ``folder``)
    or else the path typed in ``field_path``; None when neither."""
    from starlette.datastructures import UploadFile

    what = "DEU file" if field == "deu" else "TRAIN file"
    file = form.get(field)
    if isinstance(file, UploadFile) and (file.filename or "").strip():
        name = safe_name(file.filename)
        if not name.lower().endswith(DEU_SUFFIXES):
            raise WebError(f"{what} {name}: upload a DEU data file ({', '.join(DEU_SUFFIXES)})")
        data = await file.read(MAX_DEU_BYTES + 1)
        if len(data) > MAX_DEU_BYTES:
            raise WebError(f"{what} {name}: larger than {MAX_DEU_BYTES:,} bytes")
        if not data.strip():
            raise WebError(f"{what} {name}: the file is empty")
        return workbench.save_upload(data, f"{field}-{name}", folder)
    path = str(form.get(f"{field}_path") or "").strip()
    if not path:
        return None
    if not Path(path).is_file():
        raise WebError(f"{what} {path[:200]!r}: no such file on the server")
    return path


@router.post("/backtest/deu", response_class=HTMLResponse)
async def run_deu(request: Request) -> HTMLResponse:
    form = await request.form()
    folder = tempfile.mkdtemp(prefix="detente-deu-")
    try:
        deu = await _deu_file(form, "deu", folder)
        if deu is None:
            raise WebError("DEU file: upload one or give its path on the server")
        train = await _deu_file(form, "train", folder)
        seed = form_int(form.get("seed"), "seed", 0, 2**63 - 1, default=0)
        reps = form_int(form.get("reps"), "bootstrap resamples", 100, 5000, default=500)
        folds = form_int(form.get("folds"), "folds", 2, 20, default=10)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise

    def work(job: Job) -> dict[str, Any]:
        try:
            result = request.app.state.pool.compute(
                job,
                "detente.api.workbench.deu_benchmark",
                deu,
                train,
                seed=seed,
                folds=folds,
                reps=reps,
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        names = {deu: _shown(deu, form, "deu"), train: _shown(train, form, "train")}
        result["path"] = names[deu]
        run_id = record(
            request,
            "web:backtest-deu",
            None,
            result,
            models=list(result["models"]),
            seed=seed,
            params={"deu": names[deu], "train": names.get(train), "reps": reps, "folds": folds},
        )
        rows = [{"model": n, **m} for n, m in result["models"].items()]
        return {
            "result": result,
            "rows": rows,
            "run_id": run_id,
            "fig": charts.deu_benchmark(result),
        }

    return _jobs.start(request, "backtest-deu", work, "_deu_result.html")


def _shown(path: str | None, form: Any, field: str) -> str | None:
    """The name a user knows a file by: the upload's name, or the path they typed."""
    from starlette.datastructures import UploadFile

    if path is None:
        return None
    file = form.get(field)
    if isinstance(file, UploadFile) and (file.filename or "").strip():
        return safe_name(file.filename)
    return path
