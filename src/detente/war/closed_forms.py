"""Closed forms of the war-termination literature, the oracles the simulation must reproduce.

See /work/shared/reference/oracles.md section 4. Each function is the published (or re-derived)
formula; tests/oracles/test_war_closed_forms.py runs the simulation itself
(:func:`detente.war.engine.simulate_paths`) in the special case that reduces to each game and
compares. The kernel does not call these functions: they are the independent reference.
"""

from __future__ import annotations

import numpy as np


def fearon_range(p: float, c_A: float, c_B: float) -> tuple[float, float]:
    """Fearon (1995), 'Rationalist explanations for war': with risk-neutral states splitting a
    good of value 1, A winning with probability p and war costing c_A, c_B > 0, every split x
    (A's share) with p - c_A <= x <= p + c_B is preferred by both to war."""
    return p - c_A, p + c_B


def brownian_win_prob(x: float, mu: float, s2: float) -> float:
    """Fight to the finish on a continuous front (the limit of Slantchev's 2003 random walk): a
    Brownian motion from x with drift mu and variance s2 per battle, absorbed at 0 and 1, reaches
    1 first with probability (1 - e^{-kx}) / (1 - e^{-k}), k = 2 mu / s2 (x at zero drift)."""
    if abs(mu) < 1e-12:
        return x
    k = 2.0 * mu / s2
    return float((1.0 - np.exp(-k * x)) / (1.0 - np.exp(-k)))


def brownian_expected_battles(x: float, mu: float, s2: float) -> float:
    """Expected battles to absorption: (P(win) - x) / mu, or x (1 - x) / s2 at zero drift."""
    if abs(mu) < 1e-12:
        return x * (1.0 - x) / s2
    return (brownian_win_prob(x, mu, s2) - x) / mu


def powell_commitment_war(delta: float, p_t: float, p_next: float, c_D: float) -> bool:
    """Powell (2006), 'War as a commitment problem', one-period power shift: the declining state
    D (winning with p_t today, p_next tomorrow, war costing c_D per period, discount delta) fights
    iff delta (p_t - p_next) > (1 - delta)(1 - p_t + c_D).

    Re-derived: war now is worth (p_t - c_D)/(1 - delta) to D; the most peace can give is the
    whole pie today and then D's war value at the new power, delta (p_next - c_D)/(1 - delta),
    because the rising side cannot commit to more once it is stronger."""
    return delta * (p_t - p_next) > (1.0 - delta) * (1.0 - p_t + c_D)


def powell_payoffs(delta: float, p_t: float, p_next: float, c_D: float) -> tuple[float, float]:
    """(D's value of war now, D's best value of peace) in Powell's one-period shift, in the
    normalisation of :func:`powell_commitment_war` (for checking the inequality by brute force).
    """
    war = (p_t - c_D) / (1.0 - delta)
    peace = 1.0 + delta * (p_next - c_D) / (1.0 - delta)
    return war, peace


def nash_split(d_A: np.ndarray, d_B: np.ndarray) -> np.ndarray:
    """Nash bargaining over a unit pie with disagreement point (d_A, d_B), d_A + d_B <= 1:
    argmax (x - d_A)(1 - x - d_B) = (1 + d_A - d_B)/2, the middle of the range."""
    return (1.0 + np.asarray(d_A) - np.asarray(d_B)) / 2.0
