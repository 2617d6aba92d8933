"""The O(N^3) parts of a KTAB SMP turn, in two engines that give the same numbers.

Three reductions dominate a turn: the coalition strengths of a probabilistic Condorcet election
(options x options x voters), the challenge evaluation (initiators x targets x third parties) and
the valuation of every bargain by every actor. Sums run in KTAB's order (sequentially, starting
from the floor), see ``ktab-smp-spec.md`` sections 2, 3 and 5. All take a leading batch axis.

- numpy (here): the summed axis is a Python loop, each step vectorised over the other axes;
  a masked term adds exactly 0.0, so each sum is the same sequence of additions as the loops'.
- numba (:mod:`detente.bargaining.smp_numba`, the ``fast`` extra): compiled loop nests with no
  N^3 temporaries, the challenge evaluation branchless (and, for large work, parallel over
  (draw, initiator)).

:func:`use_compiled` picks one per call (``engine`` and the size of the work).

Vote rules: 0 proportional (w du), 1 binary (w sign du), 2 cubic (w du^3).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from detente.bargaining.engines import use_numba

PCE_FLOOR = 1e-8
CHALLENGE_FLOOR = 1e-10
# Elementary steps (batch x N^3) from which the compiled kernels pay for numba's import and
# cache load (1-4 s in a fresh process): a 100-actor forecast, or a Monte Carlo of 500 draws of 13.
COMPILED_WORK = 1_000_000


# ... and from which the challenge evaluation spreads over threads (a 160-actor run; Monte Carlo
# batches of large scenarios). Below it one thread is faster: a parallel region per call costs
# more than it saves, and on a busy machine a descheduled thread stalls the whole region.
PARALLEL_WORK = 4_000_000


def use_compiled(engine: str, batch: int, n: int) -> bool:
    """Run this turn's kernels compiled? (see :func:`detente.bargaining.engines.use_numba`)."""
    return use_numba(engine, batch * n**3, COMPILED_WORK, "smp")


def _numba() -> Any:
    from detente.bargaining import smp_numba

    return smp_numba


def _vote(du: np.ndarray, rule: int) -> np.ndarray:
    if rule == 0:
        return du
    if rule == 1:
        return np.sign(du)
    return du * du * du


def _u(d: np.ndarray, r: np.ndarray) -> np.ndarray:
    # u(d, r) = (1-d)(1+d r), with d capped at 1 for the curvature term.
    return (1.0 - d) * (1.0 + np.minimum(d, 1.0) * r)


def pce_strengths(util: np.ndarray, w: np.ndarray, rule: int, compiled: bool = False) -> np.ndarray:
    """C[b, a, c] = 1e-8 + sum_v max(w_v vote(U_va - U_vc), 0) for util (B, V, M), w (B, V)."""
    if compiled:
        return _numba().pce_strengths(np.ascontiguousarray(util), np.ascontiguousarray(w), rule)
    nb, nv, nm = util.shape
    pos = np.full((nb, nm, nm), PCE_FLOOR)
    neg = np.full((nb, nm, nm), PCE_FLOOR)
    for v in range(nv):
        uv = util[:, v, :]
        x = w[:, v, None, None] * _vote(uv[:, :, None] - uv[:, None, :], rule)
        pos += np.where(x > 0, x, 0.0)
        neg -= np.where(x > 0, 0.0, x)
    # The loops fill the upper triangle (a < c) and mirror it: C[c, a] is a's "neg" sum.
    upper = np.triu(np.ones((nm, nm), dtype=bool), 1)
    out = np.where(upper, pos, np.swapaxes(neg, 1, 2))
    idx = np.arange(nm)
    out[:, idx, idx] = PCE_FLOOR
    return out


def challenges(
    d: np.ndarray,
    r_est: np.ndarray,
    sigma: np.ndarray,
    s_tot: np.ndarray,
    rule: int,
    q: float,
    semi: bool,
    compiled: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """P^i(i > j) and i's expected gain from challenging j, both (B, N, N), from i's own view.

    d (B, N, N) distances (ideal a to position c), r_est (B, N, N) with r_est[b, h, a] = h's
    estimate of a's risk attitude, sigma (B, N) = total salience x capability, s_tot (B, N)
    total salience. The gain on the diagonal is -inf (nobody challenges itself).
    """
    if compiled:
        nb, n, _ = d.shape
        kernels = _numba()
        kernel = kernels.challenges_parallel if nb * n**3 >= PARALLEL_WORK else kernels.challenges
        return kernel(d, r_est, sigma, s_tot, rule, q, semi)
    nb, n, _ = d.shape
    ar = np.arange(n)
    # u_ni[b, i, m] = u(d[m, i], r_est[i, m]); u_nn[b, i, m] = u(d[m, m], r_est[i, m]).
    u_ni = _u(np.swapaxes(d, 1, 2), r_est)
    u_nn = _u(d[:, ar, ar][:, None, :], r_est)
    u_ii = u_nn[:, ar, ar][:, :, None]  # (B, i, 1)
    u_ij = _u(d, r_est[:, ar, ar][:, :, None])  # (B, i, j)
    u_ji = u_ni  # u_ni[b, i, j]
    u_jj = u_nn  # u_nn[b, i, j]
    vi = sigma[:, :, None] * _vote(u_ii - u_ij, rule)
    vj = sigma[:, None, :] * _vote(u_ji - u_jj, rule)
    a0 = CHALLENGE_FLOOR + np.maximum(vi, 0.0) + np.maximum(vj, 0.0)
    b0 = CHALLENGE_FLOOR + np.maximum(-vi, 0.0) + np.maximum(-vj, 0.0)
    a_tot = a0.copy()
    b_tot = b0.copy()
    for m in range(n):
        keep = (ar[:, None] != m) & (ar[None, :] != m)  # (i, j)
        u_mj = _u(d[:, m, None, :], r_est[:, :, m, None])  # (B, i, j) = u(d[m, j], r_est[i, m])
        uni_m = u_ni[:, :, m, None]
        v0 = sigma[:, m, None, None] * _vote(uni_m - u_mj, rule)
        if semi:
            pa = a0 + np.maximum(v0, 0.0)
            pi = pa / (pa + b0 + np.maximum(-v0, 0.0))
            unn_m = u_nn[:, :, m, None]
            vm = sigma[:, m, None, None] * _vote(
                pi * (unn_m - uni_m) + (1.0 - pi) * (u_mj - unn_m), rule
            )
        else:
            vm = v0
        a_tot += np.where(keep & (vm > 0), vm, 0.0)
        b_tot -= np.where(keep & ~(vm > 0), vm, 0.0)
    if q != 1.0:
        a_tot = a_tot**q
        b_tot = b_tot**q
    p = a_tot / (a_tot + b_tot)
    sj = s_tot[:, None, :]
    eu = (1.0 - sj) * 2.0 * u_ii + sj * (p * 2.0 * u_ii + (1.0 - p) * 2.0 * u_ij)
    diag = ar[:, None] == ar[None, :]
    p_win = np.where(diag, 0.0, p)
    gain = np.where(diag, -np.inf, eu - (u_ii + u_ij))
    return p_win, gain


def bargain_values(
    u_true: np.ndarray,
    u_bi: np.ndarray,
    u_bj: np.ndarray,
    target: np.ndarray,
    compiled: bool = False,
) -> np.ndarray:
    """Each actor's state utility of the status quo and of each bargain, (B, A, 1 + M).

    u_true (B, A, N): a's utility of n's current position; u_bi, u_bj (B, A, M): a's utility of
    bargain m's new positions for its initiator m and its target target[b, m]. The value is the
    mean over all N positions with the two moved ones replaced; option 0 is the status quo.
    """
    if compiled:
        return _numba().bargain_values(u_true, u_bi, u_bj, target)
    nb, na, n = u_true.shape
    nm = u_bi.shape[2]
    out = np.empty((nb, na, nm + 1))
    tot0 = np.zeros((nb, na))
    tot = np.zeros((nb, na, nm))
    ms = np.arange(nm)
    for k in range(n):
        tot0 += u_true[:, :, k]
        term = np.where(
            (ms == k)[None, None, :],
            u_bi,
            np.where((target == k)[:, None, :], u_bj, u_true[:, :, k, None]),
        )
        tot += term
    out[:, :, 0] = tot0 / n
    out[:, :, 1:] = tot / n
    return out
