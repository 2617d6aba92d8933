"""The workbench's tabs, one module each, organised by the user's questions.

A tab is a :class:`Tab` (id, title, the question it answers, its template under
``templates/tabs/``) and a FastAPI ``router`` with its routes. Adding a tab: write
``tabs/<id>.py`` with ``TAB`` and ``router``, a template ``templates/tabs/<id>.html``, and list
the module in :data:`MODULES`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Tab:
    id: str
    title: str
    question: str

    @property
    def template(self) -> str:
        return f"tabs/{self.id}.html"


MODULES = (
    "scenario",
    "terms",
    "timing",
    "claims",
    "uncertainty",
    "levers",
    "backtest",
    "runs",
)


def modules() -> list[ModuleType]:
    return [importlib.import_module(f"detente.web.tabs.{name}") for name in MODULES]


def tabs() -> list[Tab]:
    return [m.TAB for m in modules()]
