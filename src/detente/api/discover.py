"""Scenario discovery as a service: where in the space of stated uncertainties a target holds."""

from __future__ import annotations

from typing import Any

from detente.analysis.discover import Box, DiscoveryResult, cart, prim
from detente.scenario.schema import Scenario

__all__ = ["Box", "DiscoveryResult", "cart", "discover", "prim"]


def discover(scenario: Scenario | str | None, target: str, **options: Any) -> DiscoveryResult:
    """PRIM and CART boxes of the inputs where ``target`` holds, e.g. ``"p_talks_12>=0.5"`` (the
    war model) or ``"forecast.compromise.territory<=40"``; options as
    :func:`detente.analysis.discover.discover` (draws, seed, model, paths, policy, alpha,
    mass_min, density, boxes, p_max)."""
    from detente.analysis.discover import discover as _discover
    from detente.api import load

    sc = scenario if isinstance(scenario, Scenario) else load(scenario)
    return _discover(sc, target, **options)
