"""Shared weighting: an actor's effective weight on an issue is capability x salience."""

from __future__ import annotations

import numpy as np

from detente.bargaining.inputs import BargainingInput


def effective_weights(inp: BargainingInput) -> np.ndarray:
    """(B, N, K) capability x salience, the weight both the median and compromise models use."""
    return inp.capabilities[:, :, None] * inp.saliences
