"""The Nash bargaining solution with a reference point (disagreement outcome).

Nash, J. (1950). "The bargaining problem". Econometrica 18(2): 155-162; the asymmetric form with
bargaining power as exponents follows Kalai (1977). Applied to EU legislation by Achen (2006), ch. 4
in Thomson et al., The European Union Decides, with quadratic utilities and the reference point
(the status quo) as the disagreement outcome.

Actor i has utility u_i(x) = -s_i (x - x_i)^2 and bargaining power w_i = c_i s_i. The solution
maximises sum_i w_i log(u_i(x) - u_i(d)) over the outcomes every actor with w_i > 0 prefers to the
disagreement point d. The objective is strictly concave there, so its derivative is decreasing and
the maximum is found by bisection, vectorised over draws and issues. When no outcome is preferred
by all (actors on both sides of d), the disagreement point itself is the solution: nobody agrees to
move. Without a reference point the disagreement utility is each actor's worst point on the scale.
"""

from __future__ import annotations

import numpy as np

from detente.bargaining.inputs import BargainingInput, ModelResult
from detente.bargaining.registry import Param, register_model
from detente.bargaining.weights import effective_weights


def nash_solution(
    positions: np.ndarray,
    weights: np.ndarray,
    radius: np.ndarray,
    iterations: int = 200,
) -> np.ndarray:
    """Maximise sum_i w_i log(r_i^2 - (x - x_i)^2) over x, per (batch, issue).

    positions, weights, radius: (B, N, K); radius r_i = |d - x_i| is the distance at which actor
    i is indifferent to the disagreement point d. Returns (B, K), or NaN where the feasible set
    (every actor with w_i > 0 strictly inside its radius) is empty.
    """
    active = weights > 0
    lo = np.where(active, positions - radius, -np.inf).max(axis=1)
    hi = np.where(active, positions + radius, np.inf).min(axis=1)
    feasible = hi > lo
    a = np.where(feasible, lo, 0.0)
    b = np.where(feasible, hi, 0.0)
    w = np.where(active, weights, 0.0)
    r2 = radius**2
    for _ in range(iterations):
        mid = 0.5 * (a + b)
        gap = r2 - (mid[:, None, :] - positions) ** 2
        # Inactive actors contribute nothing; guard their (possibly negative) gap.
        slope = np.where(
            active, -2.0 * w * (mid[:, None, :] - positions) / np.where(gap > 0, gap, 1.0), 0.0
        ).sum(axis=1)
        a = np.where(slope > 0, mid, a)
        b = np.where(slope > 0, b, mid)
        if np.all(b - a <= 1e-13 * np.maximum(1.0, np.abs(a))):
            break
    return np.where(feasible, 0.5 * (a + b), np.nan)


@register_model(
    "nash",
    title="Nash bargaining solution (reference point as disagreement)",
    citation="Nash (1950), Econometrica 18(2); Achen (2006) in The European Union Decides",
    params=[
        Param(
            "disagreement",
            "reference",
            "the disagreement point: the issue's reference point (each actor's worst scale end "
            "where an issue has none), or always the worst scale end",
            kind="choice",
            choices=("reference", "worst"),
        )
    ],
)
def nash(inp: BargainingInput, *, disagreement: str = "reference") -> ModelResult:
    """Forecast each issue at the asymmetric Nash bargaining solution."""
    x = inp.positions
    worst = np.maximum(np.abs(x - inp.scale_low), np.abs(x - inp.scale_high))
    reference = inp.reference_batch()  # (B, K)
    has_ref = ~np.isnan(reference)
    use_ref = has_ref if disagreement == "reference" else np.zeros_like(has_ref)
    ref = np.where(use_ref, reference, 0.0)
    radius = np.where(use_ref[:, None, :], np.abs(ref[:, None, :] - x), worst)
    w = effective_weights(inp)
    if np.all(w.sum(axis=1) > 0):
        weights = w
    else:  # an issue nobody weighs: every actor counts the same there
        weights = np.where(w.sum(axis=1, keepdims=True) > 0, w, 1.0)
    sol = nash_solution(x, weights, radius)
    # Empty feasible set: only possible around a reference point; the status quo stands.
    forecast = np.where(np.isnan(sol), ref, sol)
    return ModelResult("nash", forecast=forecast, extras={"status_quo_stands": np.isnan(sol)})
