"""A Scenario as arrays (batch x actors x issues) for the models: the bargaining layer's input.

It lives in the bargaining layer (not the scenario layer) because it builds a BargainingInput;
the scenario layer never imports a model."""

from __future__ import annotations

import numpy as np

from detente.bargaining.inputs import BargainingInput
from detente.scenario.schema import Scenario


def to_arrays(scenario: Scenario) -> BargainingInput:
    """The scenario's central values as a batch of one."""
    issues = scenario.issues
    actors = scenario.actors
    pos = np.array([[a.positions[i.id].value for i in issues] for a in actors], dtype=float)
    sal = np.array([[a.saliences[i.id].value for i in issues] for a in actors], dtype=float)
    cap = np.array([a.capability.value for a in actors], dtype=float)
    ref = np.array(
        [i.reference.value if i.reference is not None else np.nan for i in issues], dtype=float
    )
    return BargainingInput(
        positions=pos[None],
        saliences=sal[None],
        capabilities=cap[None],
        scale_low=np.array([i.scale.low for i in issues], dtype=float),
        scale_high=np.array([i.scale.high for i in issues], dtype=float),
        reference=ref,
        actor_ids=scenario.actor_ids,
        issue_ids=scenario.issue_ids,
    )
