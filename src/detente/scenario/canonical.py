"""A scenario's canonical JSON and its SHA-256: the same content gives the same hash.

The run store keys scenarios by this hash; it lives in the scenario layer so that the store (and
everything above it) can compute it without importing the service layer.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from detente.scenario.schema import Scenario


def canonical_json(scenario: Scenario) -> str:
    """The scenario as JSON with sorted keys and no spaces (what :func:`scenario_hash` hashes)."""
    return json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario's canonical JSON."""
    return hashlib.sha256(canonical_json(scenario).encode("utf-8")).hexdigest()
