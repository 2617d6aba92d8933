"""The workbench page's context: the scenario being edited and what every tab needs to show."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from detente import __version__
from detente.api import Scenario, workbench
from detente.web import sliders
from detente.web.core import MAX_UPLOAD_BYTES, editor_ctx


def page_ctx(request: Request, sc: Scenario, source: str) -> dict[str, Any]:
    from detente.web.tabs import tabs

    store = request.app.state.store
    ctx = editor_ctx(sc, source)
    ctx.update(
        tabs=tabs(),
        embedded=workbench.embedded_scenarios(),
        version=__version__,
        store=store,
        max_upload=MAX_UPLOAD_BYTES,
        lever_kinds=sliders.LEVER_KINDS,
        slider={"min": sliders.SLIDER_MIN, "max": sliders.SLIDER_MAX, "step": sliders.SLIDER_STEP},
        all_models=[m["name"] for m in workbench.models()],
        model_info=workbench.models(),
        backtest_cases=_cases(),
        deu_default=workbench.deu_default(),
        runs_page=workbench.runs_page(store),
    )
    return ctx


def _cases() -> list[str]:
    try:
        return workbench.backtest_cases()
    except Exception:  # the case library is optional data: the tab says so
        return []
