"""Compiled (numba) kernels for the O(N^3) parts of a KTAB SMP turn (the ``fast`` extra).

Imported only when the compiled engine runs (:mod:`detente.bargaining.smp_kernels` decides);
:mod:`detente.bargaining.smp_kernels` holds numpy versions that give bit-identical numbers.

Three reductions dominate a turn: the coalition strengths of a probabilistic Condorcet election
(options x options x voters), the challenge evaluation (initiators x targets x third parties) and
the valuation of every bargain by every actor. In numpy each needs several N^3 temporaries; here
each is one loop nest with no temporaries, and sums run in KTAB's order (sequentially, starting
from the floor), see ``ktab-smp-spec.md`` sections 2, 3 and 5. All take a leading batch axis.

Vote rules: 0 proportional (w du), 1 binary (w sign du), 2 cubic (w du^3).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

PCE_FLOOR = 1e-8
CHALLENGE_FLOOR = 1e-10


@njit(cache=True, inline="always")
def _vote(du: float, rule: int) -> float:
    if rule == 0:
        return du
    if rule == 1:
        return 1.0 if du > 0 else (-1.0 if du < 0 else 0.0)
    return du * du * du


@njit(cache=True, inline="always")
def _u(d: float, r: float) -> float:
    # u(d, r) = (1-d)(1+d r), with d capped at 1 for the curvature term.
    return (1.0 - d) * (1.0 + min(d, 1.0) * r)


@njit(cache=True)
def pce_strengths(util: np.ndarray, w: np.ndarray, rule: int) -> np.ndarray:
    """C[b, a, c] = 1e-8 + sum_v max(w_v vote(U_va - U_vc), 0) for util (B, V, M), w (B, V)."""
    nb, nv, nm = util.shape
    out = np.empty((nb, nm, nm))
    for b in range(nb):
        for a in range(nm):
            out[b, a, a] = PCE_FLOOR
            for c in range(a + 1, nm):
                pos = PCE_FLOOR
                neg = PCE_FLOOR
                for v in range(nv):
                    x = w[b, v] * _vote(util[b, v, a] - util[b, v, c], rule)
                    if x > 0:
                        pos += x
                    else:
                        neg -= x
                out[b, a, c] = pos
                out[b, c, a] = neg
    return out


@njit(cache=True)
def _challenge_row(
    b: int,
    i: int,
    d: np.ndarray,
    d_t: np.ndarray,
    r_est: np.ndarray,
    sigma: np.ndarray,
    s_tot: np.ndarray,
    rule: int,
    q: float,
    semi: bool,
    p_win: np.ndarray,
    gain: np.ndarray,
) -> None:
    """Initiator i's row of P^i(i > j) and of its gains (draw b), written into p_win, gain.

    Branchless inner loop: the third parties' votes are split into their positive and negative
    parts with ``max`` and masked (m = i or j adds exactly 0.0), so the sums are the same numbers,
    in the same order, as with the branches of :func:`challenges_branchy`.
    """
    n = d.shape[1]
    u_ni = np.empty(n)
    u_nn = np.empty(n)
    # i's estimates: U^i_ab = u(d_ab, r_est[i, a]).
    for m in range(n):
        u_ni[m] = _u(d[b, m, i], r_est[b, i, m])
        u_nn[m] = _u(d[b, m, m], r_est[b, i, m])
    u_ii = u_nn[i]
    for j in range(n):
        if j == i:
            continue
        u_ij = _u(d[b, i, j], r_est[b, i, i])
        u_ji = u_ni[j]
        u_jj = u_nn[j]
        vi = sigma[b, i] * _vote(u_ii - u_ij, rule)
        vj = sigma[b, j] * _vote(u_ji - u_jj, rule)
        a0 = CHALLENGE_FLOOR + max(vi, 0.0) + max(vj, 0.0)
        b0 = CHALLENGE_FLOOR + max(-vi, 0.0) + max(-vj, 0.0)
        a_tot = a0
        b_tot = b0
        for m in range(n):
            keep = 1.0 if (m != i) & (m != j) else 0.0
            u_mj = _u(d_t[b, j, m], r_est[b, i, m])
            v0 = sigma[b, m] * _vote(u_ni[m] - u_mj, rule)
            if semi:
                pa = a0 + max(v0, 0.0)
                pi = pa / (pa + b0 + max(-v0, 0.0))
                vm = sigma[b, m] * _vote(
                    pi * (u_nn[m] - u_ni[m]) + (1.0 - pi) * (u_mj - u_nn[m]), rule
                )
            else:
                vm = v0
            a_tot += keep * max(vm, 0.0)
            b_tot += keep * max(-vm, 0.0)
        if q != 1.0:
            a_tot = a_tot**q
            b_tot = b_tot**q
        p = a_tot / (a_tot + b_tot)
        sj = s_tot[b, j]
        eu = (1.0 - sj) * 2.0 * u_ii + sj * (p * 2.0 * u_ii + (1.0 - p) * 2.0 * u_ij)
        p_win[b, i, j] = p
        gain[b, i, j] = eu - (u_ii + u_ij)


@njit(cache=True)
def challenges(
    d: np.ndarray,
    r_est: np.ndarray,
    sigma: np.ndarray,
    s_tot: np.ndarray,
    rule: int,
    q: float,
    semi: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """P^i(i > j) and i's expected gain from challenging j, both (B, N, N), from i's own view.

    d (B, N, N) distances (ideal a to position c), r_est (B, N, N) with r_est[b, h, a] = h's
    estimate of a's risk attitude, sigma (B, N) = total salience x capability, s_tot (B, N)
    total salience. The gain on the diagonal is -inf (nobody challenges itself). One thread;
    :func:`challenges_parallel` gives the same numbers on several.
    """
    nb, n, _ = d.shape
    # d_t[b, j, m] = d[b, m, j]: the third-party loop then reads memory contiguously.
    d_t = np.ascontiguousarray(d.transpose(0, 2, 1))
    p_win = np.zeros((nb, n, n))
    gain = np.full((nb, n, n), -np.inf)
    for b in range(nb):
        for i in range(n):
            _challenge_row(b, i, d, d_t, r_est, sigma, s_tot, rule, q, semi, p_win, gain)
    return p_win, gain


@njit(cache=True, parallel=True)
def challenges_parallel(
    d: np.ndarray,
    r_est: np.ndarray,
    sigma: np.ndarray,
    s_tot: np.ndarray,
    rule: int,
    q: float,
    semi: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`challenges` with the rows (draw, initiator) spread over threads (``prange``); each
    row is computed alone, so the numbers do not depend on the thread count."""
    nb, n, _ = d.shape
    d_t = np.ascontiguousarray(d.transpose(0, 2, 1))
    p_win = np.zeros((nb, n, n))
    gain = np.full((nb, n, n), -np.inf)
    for bi in prange(nb * n):
        b = bi // n
        _challenge_row(b, bi - b * n, d, d_t, r_est, sigma, s_tot, rule, q, semi, p_win, gain)
    return p_win, gain


@njit(cache=True)
def challenges_branchy(
    d: np.ndarray,
    r_est: np.ndarray,
    sigma: np.ndarray,
    s_tot: np.ndarray,
    rule: int,
    q: float,
    semi: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """The former kernel (branches in the third-party loop, one thread): kept to measure the
    branchless one against it (``make bench``) and to check they agree bit for bit (tests)."""
    nb, n, _ = d.shape
    d_t = np.ascontiguousarray(d.transpose(0, 2, 1))
    p_win = np.zeros((nb, n, n))
    gain = np.full((nb, n, n), -np.inf)
    u_ni = np.empty(n)
    u_nn = np.empty(n)
    for b in range(nb):
        for i in range(n):
            for m in range(n):
                u_ni[m] = _u(d[b, m, i], r_est[b, i, m])
                u_nn[m] = _u(d[b, m, m], r_est[b, i, m])
            u_ii = u_nn[i]
            for j in range(n):
                if j == i:
                    continue
                u_ij = _u(d[b, i, j], r_est[b, i, i])
                u_ji = u_ni[j]
                u_jj = u_nn[j]
                vi = sigma[b, i] * _vote(u_ii - u_ij, rule)
                vj = sigma[b, j] * _vote(u_ji - u_jj, rule)
                a0 = CHALLENGE_FLOOR + max(vi, 0.0) + max(vj, 0.0)
                b0 = CHALLENGE_FLOOR + max(-vi, 0.0) + max(-vj, 0.0)
                a_tot = a0
                b_tot = b0
                for m in range(n):
                    if m == i or m == j:
                        continue
                    u_mj = _u(d_t[b, j, m], r_est[b, i, m])
                    if semi:
                        v0 = sigma[b, m] * _vote(u_ni[m] - u_mj, rule)
                        pa = a0 + max(v0, 0.0)
                        pi = pa / (pa + b0 + max(-v0, 0.0))
                        vm = sigma[b, m] * _vote(
                            pi * (u_nn[m] - u_ni[m]) + (1.0 - pi) * (u_mj - u_nn[m]), rule
                        )
                    else:
                        vm = sigma[b, m] * _vote(u_ni[m] - u_mj, rule)
                    if vm > 0:
                        a_tot += vm
                    else:
                        b_tot -= vm
                if q != 1.0:
                    a_tot = a_tot**q
                    b_tot = b_tot**q
                p = a_tot / (a_tot + b_tot)
                sj = s_tot[b, j]
                eu = (1.0 - sj) * 2.0 * u_ii + sj * (p * 2.0 * u_ii + (1.0 - p) * 2.0 * u_ij)
                p_win[b, i, j] = p
                gain[b, i, j] = eu - (u_ii + u_ij)
    return p_win, gain


@njit(cache=True)
def bargain_values(
    u_true: np.ndarray, u_bi: np.ndarray, u_bj: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """Each actor's state utility of the status quo and of each bargain, (B, A, 1 + M).

    u_true (B, A, N): a's utility of n's current position; u_bi, u_bj (B, A, M): a's utility of
    bargain m's new positions for its initiator m and its target target[b, m]. The value is the
    mean over all N positions with the two moved ones replaced; option 0 is the status quo.
    """
    nb, na, n = u_true.shape
    nm = u_bi.shape[2]
    out = np.empty((nb, na, nm + 1))
    for b in range(nb):
        for a in range(na):
            tot = 0.0
            for k in range(n):
                tot += u_true[b, a, k]
            out[b, a, 0] = tot / n
            for m in range(nm):
                t = target[b, m]
                tot = 0.0
                for k in range(n):
                    if k == m:
                        tot += u_bi[b, a, m]
                    elif k == t:
                        tot += u_bj[b, a, m]
                    else:
                        tot += u_true[b, a, k]
                out[b, a, m + 1] = tot / n
    return out
