"""Shared weighting: an actor's effective weight on an issue is capability x salience."""

from __future__ import annotations

import numpy as np

from detente.bargaining.inputs import BargainingInput


def effective_weights(inp: BargainingInput) -> np.ndarray:
    """(B, N, K) capability x salience, the weight both the median and compromise models use."""
    return inp.capabilities[:, :, None] * inp.saliences


WEIGHTINGS = ("capability_salience", "capability", "equal")


def weights_for(inp: BargainingInput, weighting: str) -> np.ndarray:
    """(B, N, K) actor weights: capability x salience, capability alone, or equal."""
    if weighting == "capability_salience":
        return effective_weights(inp)
    if weighting == "capability":
        return np.broadcast_to(inp.capabilities[:, :, None], inp.positions.shape)
    return np.ones_like(inp.positions)
