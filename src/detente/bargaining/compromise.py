"""The compromise model: the capability x salience weighted mean of positions.

Van den Bos (1991), Dutch EC Policy Making; Achen (2006), "Institutional realism and bargaining
models", ch. 4 in Thomson, Stokman, Achen & Koenig (eds.), The European Union Decides, which shows
it is the Nash bargaining solution's approximation under quadratic utility and finds it the most
accurate model on the DEU data.
"""

from __future__ import annotations

import numpy as np

from detente.bargaining.inputs import BargainingInput, ModelResult
from detente.bargaining.registry import Param, register_model
from detente.bargaining.weights import WEIGHTINGS, weights_for


@register_model(
    "compromise",
    title="Compromise (weighted mean)",
    citation="van den Bos (1991); Achen (2006) in Thomson et al., The European Union Decides",
    params=[
        Param(
            "weighting",
            "capability_salience",
            "weights of the mean",
            kind="choice",
            choices=WEIGHTINGS,
        )
    ],
)
def compromise(inp: BargainingInput, *, weighting: str = "capability_salience") -> ModelResult:
    """Forecast each issue at the weighted mean sum_i w_i x_i / sum_i w_i."""
    w = weights_for(inp, weighting)
    total = w.sum(axis=1)
    # Zero total weight (nobody cares): every actor counts the same, so the result is defined.
    safe_w = np.where(total[:, None, :] > 0, w, 1.0)
    forecast = (safe_w * inp.positions).sum(axis=1) / safe_w.sum(axis=1)
    return ModelResult("compromise", forecast=forecast)
