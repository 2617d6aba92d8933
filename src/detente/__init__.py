"""detente: make a negotiation or a war computable: who comes to the table, when, on what terms.

``import detente`` is cheap: the names below load on first use. The service layer is
:mod:`detente.api`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from detente.api.forecasting import Forecast, forecast, load, scenario_hash
    from detente.scenario.errors import DetenteError, ScenarioError

_EXPORTS = {
    "Forecast": "detente.api.forecasting",
    "forecast": "detente.api.forecasting",
    "load": "detente.api.forecasting",
    "scenario_hash": "detente.api.forecasting",
    "DetenteError": "detente.scenario.errors",
    "ScenarioError": "detente.scenario.errors",
    "api": "detente.api",
}

__all__ = [
    "DetenteError",
    "Forecast",
    "ScenarioError",
    "__version__",
    "api",
    "forecast",
    "load",
    "scenario_hash",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'detente' has no attribute {name!r}")
    if name == "api":
        return importlib.import_module(module)
    return getattr(importlib.import_module(module), name)
