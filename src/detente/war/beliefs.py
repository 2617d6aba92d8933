"""Beliefs: normal-normal learning about the war's trend, Beta beliefs about resolve and threats.

"Battles reveal information" (Smith & Stam 2004; Filson & Werner 2002; Powell 2004): each side
holds a normal belief about the latent drift of the front and updates it from every month's
observed change (the conjugate normal-normal update, so the posterior variance falls as
1 / (1/v0 + n / sigma^2) whatever is observed). The credibility of threats is a Beta(a, b) belief
about the probability that a threatened sanction is carried out, updated at each deadline
(kept: a += 1, missed: b += 1); the attacker's belief that the defender's backers will hold is a
Beta belief too. All functions work elementwise on arrays (one entry per simulated path).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

_SQRT2PI = float(np.sqrt(2.0 * np.pi))


def normal_update(
    mean: np.ndarray, var: np.ndarray, y: np.ndarray, noise_var: float | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Posterior (mean, variance) of a normal prior (mean, var) after observing
    ``y ~ N(theta, noise_var)``. A dogmatic prior (var = 0) does not move."""
    var = np.asarray(var, dtype=float)
    safe = np.where(var > 0, var, 1.0)
    precision = 1.0 / safe + 1.0 / noise_var
    post_var = np.where(var > 0, 1.0 / precision, 0.0)
    post_mean = np.where(var > 0, (mean / safe + y / noise_var) / precision, mean)
    return post_mean, post_var


def posterior_var_after(var0: float, noise_var: float, n: int | np.ndarray) -> np.ndarray:
    """Closed form of the posterior variance after n observations (for tests and docs)."""
    return 1.0 / (1.0 / var0 + np.asarray(n) / noise_var)


def beta_mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean of Beta(a, b)."""
    return a / (a + b)


def beta_deadline(
    a: np.ndarray, b: np.ndarray, kept: np.ndarray, where: np.ndarray | bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Credibility after a deadline passes: a += 1 where the threat was carried out, else b += 1
    (only on paths where ``where``)."""
    kept = np.asarray(kept, dtype=bool)
    return a + (kept & where), b + (~kept & where)


def clipped_normal_mean(mu: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """E[min(max(X, 0), 1)] for X ~ N(mu, sd^2): the expected control at the horizon when the
    front cannot pass either end (the war ends there)."""
    sd = np.maximum(np.asarray(sd, dtype=float), 1e-12)
    a = (0.0 - mu) / sd
    b = (1.0 - mu) / sd
    pa, pb = ndtr(a), ndtr(b)
    phia = np.exp(-0.5 * a * a) / _SQRT2PI
    phib = np.exp(-0.5 * b * b) / _SQRT2PI
    return mu * (pb - pa) + sd * (phia - phib) + (1.0 - pb)
