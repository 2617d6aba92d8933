"""Scenarios: schema, I/O, validation and arrays."""

from detente.scenario.arrays import to_arrays
from detente.scenario.errors import DetenteError, ScenarioError
from detente.scenario.io import embedded_names, load, loads, save, to_yaml
from detente.scenario.schema import Actor, Estimate, Issue, Meta, Scale, Scenario

__all__ = [
    "Actor",
    "DetenteError",
    "Estimate",
    "Issue",
    "Meta",
    "Scale",
    "Scenario",
    "ScenarioError",
    "embedded_names",
    "load",
    "loads",
    "save",
    "to_arrays",
    "to_yaml",
]
