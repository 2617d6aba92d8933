"""Closed forms of the war-termination literature, the oracles the simulation must reproduce.

See /work/shared/reference/oracles.md section 4. Each function is the published (or re-derived)
formula; the tests compare them with brute force and with :func:`detente.war.simulate` run in the
special case that reduces to the game.
"""

from __future__ import annotations

import numpy as np


def fearon_range(p: float, c_A: float, c_B: float) -> tuple[float, float]:
    """Fearon (1995), 'Rationalist explanations for war': with risk-neutral states splitting a
    good of value 1, A winning with probability p and war costing c_A, c_B > 0, every split x
    (A's share) with p - c_A <= x <= p + c_B is preferred by both to war."""
    return p - c_A, p + c_B


def tioli_demand(p: float, c_A: float, cbar: float) -> tuple[float, float]:
    """Take-it-or-leave-it demand with private costs (Fearon's set-up): A demands x, B accepts iff
    1 - x >= 1 - p - c_B with c_B ~ U[0, cbar]. Re-derived: A maximises
    U(x) = x (1 - (x - p)/cbar) + (p - c_A)(x - p)/cbar, so x* = p + (cbar - c_A)/2 and
    P(war) = (x* - p)/cbar = (cbar - c_A)/(2 cbar) when cbar > c_A; else x* = p and no war.
    Returns (x*, P(war))."""
    if cbar > c_A:
        return p + (cbar - c_A) / 2.0, (cbar - c_A) / (2.0 * cbar)
    return p, 0.0


def gambler_win_prob(p: float, n: int, k: int) -> float:
    """Fight to the finish as a random walk (Slantchev 2003 set-up): the front k on {0..n} moves
    +1 with probability p, -1 otherwise; P(side 1 reaches n first) = (1 - r^k)/(1 - r^n),
    r = (1 - p)/p (k/n when p = 1/2)."""
    if p == 0.5:
        return k / n
    r = (1.0 - p) / p
    return (1.0 - r**k) / (1.0 - r**n)


def gambler_expected_battles(p: float, n: int, k: int) -> float:
    """Expected number of battles until one side is destroyed:
    k/(q - p) - (n/(q - p)) P(side 1 wins), q = 1 - p (k (n - k) when p = 1/2)."""
    if p == 0.5:
        return float(k * (n - k))
    q = 1.0 - p
    return k / (q - p) - (n / (q - p)) * gambler_win_prob(p, n, k)


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
