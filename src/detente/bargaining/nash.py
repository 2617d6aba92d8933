"""The Nash bargaining solution with risk attitudes and a costly disagreement (Achen 2006).

Nash, J. (1950). "The bargaining problem". Econometrica 18(2): 155-162; the asymmetric form with
bargaining power as exponents follows Kalai (1977). Specified for EU legislation by Achen (2006),
"Institutional realism and bargaining models", ch. 4 in Thomson, Stokman, Achen & Koenig (eds.),
The European Union Decides (CUP): actors have single-peaked utilities whose curvature is their
risk attitude, the disagreement outcome is the reference point (the status quo) and failing to
agree costs every actor something, so that the bargaining set is not empty when the actors lie
on both sides of the status quo.

On an issue of width W, actor i's utility of x is u_i(x) = -(|x - x_i| / W)^r (r >= 1: r = 1
risk-neutral linear loss, r = 2 Achen's quadratic, risk-averse; larger r more risk-averse). The
disagreement utility is u_i(d) - kappa: the reference point d, less the cost of breakdown kappa
(``cost``, in the same units: kappa = 0.25 is the loss of moving half a scale away with r = 2).
The solution maximises

    sum_i w_i log(u_i(x) - u_i(d) + kappa),    w_i = c_i s_i (bargaining power x salience),

over the outcomes every actor with w_i > 0 prefers to breakdown. Each term is concave in x, so
the maximiser is found by bisection on the derivative, vectorised over draws and issues.

What the cost does (Achen's argument): with kappa = 0 and actors on both sides of d, no outcome
other than d is acceptable to all, and the solution is the status quo whatever the positions;
as kappa grows the maximand tends to -sum_i w_i (|x - x_i|/W)^r / kappa, whose minimiser is the
weighted mean for r = 2 (the compromise model) and the weighted median for r = 1. In between,
the solution leaves the status quo toward the actors' weighted centre: its derivative at d is
-(r/kappa) sum_i w_i sign(d - x_i) |d - x_i|^(r-1) / W^r, zero only where d is itself the
weighted centre. Without a reference point the disagreement point is each actor's worst end of
the scale (``disagreement="worst"`` forces that everywhere). The defaults of r and kappa were
chosen on the DEU III training file (see ``detente.analysis.fitted``).
"""

from __future__ import annotations

import numpy as np

from detente.bargaining.inputs import BargainingInput, ModelResult
from detente.bargaining.registry import Param, register_model
from detente.bargaining.weights import effective_weights

# Chosen on the DEU III training file (scripts/fit_deu_defaults.py; detente/analysis/data).
DEFAULT_RISK = 1.75
DEFAULT_COST = 1000.0


def _loss(x: np.ndarray, pos: np.ndarray, width: np.ndarray, r: float) -> np.ndarray:
    return (np.abs(x - pos) / width) ** r


def breakdown_gaps(
    inp: BargainingInput, risk: float, cost: float, disagreement: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(B, N, K) each actor's utility margin of breakdown, kappa + loss_i(d) (the most it can
    gain); the (B, K) reference used (NaN where none); and (K,) scale widths."""
    x = inp.positions
    lo, hi = inp.scale_low, inp.scale_high
    width = np.where(hi > lo, hi - lo, 1.0)
    worst = np.maximum(np.abs(x - lo), np.abs(x - hi)) / width
    reference = inp.reference_batch()
    use_ref = (
        ~np.isnan(reference) if disagreement == "reference" else np.zeros_like(reference, bool)
    )
    ref = np.where(use_ref, reference, np.nan)
    dist = np.where(use_ref[:, None, :], np.abs(np.nan_to_num(ref)[:, None, :] - x) / width, worst)
    return cost + dist**risk, ref, width


def _power(inp: BargainingInput) -> np.ndarray:
    w = effective_weights(inp)
    if np.all(w.sum(axis=1) > 0):
        return w
    return np.where(w.sum(axis=1, keepdims=True) > 0, w, 1.0)  # nobody weighs an issue


def nash_solution(
    positions: np.ndarray,
    weights: np.ndarray,
    margin: np.ndarray,
    width: np.ndarray,
    risk: float = 2.0,
    low: np.ndarray | None = None,
    high: np.ndarray | None = None,
    iterations: int = 200,
) -> np.ndarray:
    """Maximise sum_i w_i log(margin_i - (|x - x_i|/W)^r) over x, per (batch, issue).

    positions, weights, margin: (B, N, K); width, low, high: (K,). Returns (B, K), NaN where the
    feasible set (every actor with w_i > 0 strictly inside its margin) is empty.
    """
    active = weights > 0
    radius = width * np.maximum(margin, 0.0) ** (1.0 / risk)
    a = np.where(active, positions - radius, -np.inf).max(axis=1)
    b = np.where(active, positions + radius, np.inf).min(axis=1)
    if low is not None:
        a = np.maximum(a, low)
    if high is not None:
        b = np.minimum(b, high)
    feasible = b > a
    a = np.where(feasible, a, 0.0)
    b = np.where(feasible, b, 0.0)
    w = np.where(active, weights, 0.0)
    for _ in range(iterations):
        mid = 0.5 * (a + b)
        d = (mid[:, None, :] - positions) / width
        gap = margin - np.abs(d) ** risk
        dloss = risk * np.sign(d) * np.abs(d) ** (risk - 1.0) / width
        slope = np.where(active, -w * dloss / np.where(gap > 0, gap, 1.0), 0.0).sum(axis=1)
        a = np.where(slope > 0, mid, a)
        b = np.where(slope > 0, b, mid)
        if np.all(b - a <= 1e-13 * np.maximum(1.0, np.abs(a))):
            break
    return np.where(feasible, 0.5 * (a + b), np.nan)


RISK_PARAM = Param(
    "risk",
    DEFAULT_RISK,
    "risk attitude r of the utilities -(|x - x_i|/W)^r: 1 linear (risk-neutral), 2 Achen's "
    "quadratic, more is more risk-averse",
    low=1.0,
    high=8.0,
)
COST_PARAM = Param(
    "cost",
    DEFAULT_COST,
    "cost of breakdown kappa, in utility units (0: the pure status-quo disagreement, which "
    "returns the reference point whenever actors lie on both sides of it)",
    low=0.0,
    high=1e9,
)
DISAGREEMENT_PARAM = Param(
    "disagreement",
    "reference",
    "the disagreement point: the issue's reference point (each actor's worst scale end where an "
    "issue has none), or always the worst scale end",
    kind="choice",
    choices=("reference", "worst"),
)


@register_model(
    "nash",
    title="Nash bargaining solution (Achen: risk attitudes, costly disagreement)",
    citation="Nash (1950), Econometrica 18(2); Achen (2006) in The European Union Decides",
    params=[RISK_PARAM, COST_PARAM, DISAGREEMENT_PARAM],
)
def nash(
    inp: BargainingInput,
    *,
    risk: float = DEFAULT_RISK,
    cost: float = DEFAULT_COST,
    disagreement: str = "reference",
) -> ModelResult:
    """Forecast each issue at the asymmetric Nash bargaining solution (see the module doc)."""
    margin, ref, width = breakdown_gaps(inp, float(risk), float(cost), disagreement)
    sol = nash_solution(
        inp.positions, _power(inp), margin, width, float(risk), inp.scale_low, inp.scale_high
    )
    # Empty feasible set (only with cost 0 around a reference point): the status quo stands.
    forecast = np.where(np.isnan(sol), ref, sol)
    return ModelResult("nash", forecast=forecast, extras={"status_quo_stands": np.isnan(sol)})
