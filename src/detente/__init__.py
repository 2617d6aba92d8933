"""detente: make a negotiation or a war computable: who comes to the table, when, on what terms."""

from detente.api import Forecast, forecast, load, scenario_hash
from detente.scenario.errors import DetenteError, ScenarioError

__version__ = "0.1.0"

__all__ = [
    "DetenteError",
    "Forecast",
    "ScenarioError",
    "__version__",
    "forecast",
    "load",
    "scenario_hash",
]
