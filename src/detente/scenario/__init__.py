"""Scenarios: schema, I/O and validation.

Names load on first use (module ``__getattr__``), so ``import detente.scenario.errors`` does not
pay for pydantic's schema building.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from detente.scenario.canonical import canonical_json, scenario_hash
    from detente.scenario.errors import DetenteError, ScenarioError
    from detente.scenario.io import embedded_names, load, loads, save, to_yaml
    from detente.scenario.schema import Actor, Estimate, Issue, Meta, Scale, Scenario

_EXPORTS = {
    "Actor": "detente.scenario.schema",
    "Estimate": "detente.scenario.schema",
    "Issue": "detente.scenario.schema",
    "Meta": "detente.scenario.schema",
    "Scale": "detente.scenario.schema",
    "Scenario": "detente.scenario.schema",
    "DetenteError": "detente.scenario.errors",
    "ScenarioError": "detente.scenario.errors",
    "embedded_names": "detente.scenario.io",
    "load": "detente.scenario.io",
    "loads": "detente.scenario.io",
    "save": "detente.scenario.io",
    "to_yaml": "detente.scenario.io",
    "canonical_json": "detente.scenario.canonical",
    "scenario_hash": "detente.scenario.canonical",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'detente.scenario' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
