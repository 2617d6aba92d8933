"""The weighted median voter (Black 1948).

Black, D. (1948). "On the rationale of group decision-making". Journal of Political Economy 56(1):
23-34. With single-peaked preferences on one dimension the position of the median voter beats every
other in pairwise majority votes; weighting each actor by capability x salience gives the weighted
median used as the "median actor" model in Thomson et al. (2006), The European Union Decides.
"""

from __future__ import annotations

import numpy as np

from detente.bargaining.inputs import BargainingInput, ModelResult
from detente.bargaining.registry import Param, register_model
from detente.bargaining.weights import WEIGHTINGS, weights_for


def weighted_median(values: np.ndarray, weights: np.ndarray, axis: int = -2) -> np.ndarray:
    """The weighted median along ``axis``: the smallest value whose cumulative weight reaches half.

    When the cumulative weight equals exactly half at some value (an even split), the midpoint of
    that value and the next is returned, so the result does not depend on the order of actors.
    Zero total weight gives the unweighted median.
    """
    v = np.moveaxis(values, axis, -1)
    w = np.moveaxis(np.broadcast_to(weights, values.shape), axis, -1).astype(float)
    total = w.sum(axis=-1, keepdims=True)
    w = np.where(total > 0, w, 1.0)  # no weight at all: every actor counts the same
    total = w.sum(axis=-1, keepdims=True)
    order = np.argsort(v, axis=-1, kind="stable")
    v_sorted = np.take_along_axis(v, order, axis=-1)
    cum = np.cumsum(np.take_along_axis(w, order, axis=-1), axis=-1) / total
    # Relative tolerance: cumulative sums of floats rarely hit 0.5 exactly.
    tol = 1e-12
    first = np.argmax(cum >= 0.5 - tol, axis=-1)[..., None]
    lower = np.take_along_axis(v_sorted, first, axis=-1)[..., 0]
    at_half = np.abs(np.take_along_axis(cum, first, axis=-1)[..., 0] - 0.5) <= tol
    nxt = np.minimum(first + 1, v.shape[-1] - 1)
    upper = np.take_along_axis(v_sorted, nxt, axis=-1)[..., 0]
    return np.where(at_half, (lower + upper) / 2.0, lower)


@register_model(
    "median",
    title="Weighted median voter",
    citation="Black (1948), J. Political Economy 56(1):23-34",
    params=[
        Param(
            "weighting",
            "capability_salience",
            "what weighs an actor's vote",
            kind="choice",
            choices=WEIGHTINGS,
        )
    ],
)
def median(inp: BargainingInput, *, weighting: str = "capability_salience") -> ModelResult:
    """Forecast each issue at the weighted median of the actors' positions."""
    w = weights_for(inp, weighting)
    return ModelResult("median", forecast=weighted_median(inp.positions, w, axis=1))
