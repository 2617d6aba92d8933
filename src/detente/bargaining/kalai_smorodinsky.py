"""The Kalai-Smorodinsky bargaining solution, on the utilities of Achen's Nash specification.

Kalai, E. & Smorodinsky, M. (1975). "Other solutions to Nash's bargaining problem".
Econometrica 43(3): 513-518. Where Nash maximises the product of gains over disagreement, KS
gives every player the same share of its *ideal* gain (the most it could get in the bargaining
set). With more than two players the equal-shares point need not be efficient, so the n-player
solution used here is the lexicographic-egalitarian one on normalised gains restricted to the
line (Imai 1983, Econometrica 51(2): 389-401, first step): maximise the smallest normalised gain.
Asymmetric bargaining power enters as in the weighted KS solution (Thomson 1994, Handbook of Game
Theory vol. 2, ch. 35): actor i must get a normalised gain proportional to its power.

Utilities and disagreement are those of :mod:`detente.bargaining.nash` (Achen 2006): u_i(x) =
-(|x - x_i|/W)^r, breakdown at the reference point d with cost kappa. Actor i's ideal gain is
g_i* = kappa + (|d - x_i|/W)^r (reached at x = x_i), its normalised gain
g_i(x) = (kappa + (|d - x_i|/W)^r - (|x - x_i|/W)^r) / g_i*, and the solution maximises
min_i g_i(x) / p_i over the scale, p_i = w_i / max_j w_j, w_i = c_i s_i, over actors with
w_i > 0. Each g_i is concave in x (r >= 1), so is the minimum; its maximiser is found by
bisection on the level t (where the intervals {g_i / p_i >= t} first shrink to a point),
vectorised over draws and issues. With kappa = 0 and actors on both sides of d every
feasible gain but d's is negative for someone and the solution is d, as for Nash.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from detente.bargaining.inputs import BargainingInput, ModelResult
from detente.bargaining.nash import (
    COST_PARAM,
    DISAGREEMENT_PARAM,
    RISK_PARAM,
    _power,
    breakdown_gaps,
)
from detente.bargaining.registry import register_model

# Chosen on the DEU III training file (scripts/fit_deu_defaults.py; detente/analysis/data).
DEFAULT_RISK = 3.0
DEFAULT_COST = 0.5


def ks_objective(
    x: np.ndarray,
    positions: np.ndarray,
    power: np.ndarray,
    margin: np.ndarray,
    width: np.ndarray,
    risk: float,
) -> np.ndarray:
    """(B, K) min over active actors of the power-scaled normalised gain at x (B, K)."""
    active = power > 0
    rel = np.where(active, power / np.where(active, power, 1.0).max(axis=1, keepdims=True), 1.0)
    gain = (margin - (np.abs(x[:, None, :] - positions) / width) ** risk) / margin
    return np.where(active, gain / rel, np.inf).min(axis=1)


@register_model(
    "kalai_smorodinsky",
    title="Kalai-Smorodinsky bargaining solution (weighted, Achen's utilities)",
    citation=(
        "Kalai & Smorodinsky (1975), Econometrica 43(3); Thomson (1994) Handbook of Game Theory "
        "2; utilities of Achen (2006) in The European Union Decides"
    ),
    params=[
        dataclasses.replace(RISK_PARAM, default=DEFAULT_RISK),
        dataclasses.replace(COST_PARAM, default=DEFAULT_COST),
        DISAGREEMENT_PARAM,
    ],
)
def kalai_smorodinsky(
    inp: BargainingInput,
    *,
    risk: float = DEFAULT_RISK,
    cost: float = DEFAULT_COST,
    disagreement: str = "reference",
) -> ModelResult:
    """Forecast each issue at the weighted Kalai-Smorodinsky point (see the module doc)."""
    r = float(risk)
    margin, ref, width = breakdown_gaps(inp, r, float(cost), disagreement)
    margin = np.maximum(margin, 1e-300)
    power = _power(inp)
    x = inp.positions
    active = power > 0
    rel = np.where(active, power / np.where(active, power, 1.0).max(axis=1, keepdims=True), 1.0)
    # The maximin point by bisection on the level t: {x : g_i(x) / p_i >= t} is the interval
    # |x - x_i| <= W (m_i (1 - t p_i))^(1/r); the solution is where these intervals, over the
    # active actors, first shrink to a point. (Exact to the bisection's tolerance even where
    # the objective is flat at its top, as it is for large r.)

    def bounds(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        reach = width * (margin * np.maximum(1.0 - t[:, None, :] * rel, 0.0)) ** (1.0 / r)
        lo = np.where(active, x - reach, -np.inf).max(axis=1)
        hi = np.where(active, x + reach, np.inf).min(axis=1)
        return lo, hi

    start = (power * x).sum(axis=1) / power.sum(axis=1)  # a point every interval can reach
    t_lo = ks_objective(start, x, power, margin, width, r)
    t_hi = np.ones_like(t_lo) / rel.min(axis=1)
    for _ in range(200):
        mid = 0.5 * (t_lo + t_hi)
        lo, hi = bounds(mid)
        ok = lo <= hi
        t_lo = np.where(ok, mid, t_lo)
        t_hi = np.where(ok, t_hi, mid)
        if np.all(t_hi - t_lo <= 1e-15 * np.maximum(1.0, np.abs(t_lo))):
            break
    lo, hi = bounds(t_lo)
    sol = np.clip(0.5 * (lo + hi), inp.scale_low, inp.scale_high)
    best = ks_objective(sol, x, power, margin, width, r)
    # Nobody gains anywhere (cost 0, actors on both sides of d): the status quo stands.
    stands = ~np.isnan(ref) & (best <= 1e-12) if float(cost) == 0 else np.zeros_like(best, bool)
    forecast = np.where(stands, np.nan_to_num(ref), sol)
    return ModelResult("kalai_smorodinsky", forecast=forecast, extras={"min_gain": best})
