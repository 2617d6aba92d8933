"""EUM's round as compiled loops (numba, the ``fast`` extra), one row (draw x issue) per thread.

It follows the numpy code of :mod:`detente.bargaining.eum` step by step, so both give the same
trajectories up to rounding (tests check this); it is several times faster on large batches
because the dozen (rows x N x N) temporaries never leave the cache. Imported only when the
compiled engine runs. The round is a sequence of named steps:

1. :func:`_nb_wmedian` - the capability x salience weighted median voter position;
2. :func:`_nb_below` - for each pair, the number of voters strictly below their midpoint;
3. :func:`_nb_probs` - the win probabilities P_ij (risk-neutral, then with risk exponents);
4. :func:`_nb_danger` and :func:`_nb_risk` - each actor's danger and its risk exponent r_i;
5. :func:`_nb_expected` and :func:`_nb_classify` - E(U_ij), E(U_ji) and the offer class;
6. :func:`_nb_pick` - the offer actor i accepts (its new position).
"""

from __future__ import annotations

import numba as _nb
import numpy as np

# Offer classes: 1 conflict (i gives in), 2 compromise, 3 capitulation, 4 none.
_NONE = 4


@_nb.njit(cache=True)
def _nb_wmedian(xs: np.ndarray, ws: np.ndarray) -> float:  # pragma: no cover - compiled
    n = xs.shape[0]
    total = 0.0
    for k in range(n):
        total += ws[k]
    cum = np.empty(n)
    acc = 0.0
    for k in range(n):
        acc += ws[k] if total > 0 else 1.0
        cum[k] = acc
    half = 0.5 * cum[n - 1]
    tol = 1e-12 * cum[n - 1]
    first = n - 1
    for k in range(n):
        if cum[k] >= half - tol:
            first = k
            break
    if abs(cum[first] - half) <= tol:
        return 0.5 * (xs[first] + xs[min(first + 1, n - 1)])
    return xs[first]


@_nb.njit(cache=True)
def _nb_below(u, us, order):  # pragma: no cover - compiled
    """below[i, j]: voters strictly under the midpoint of x_i and x_j. For fixed i the
    midpoint grows with x_j, so one sweep over the sorted voters serves every j."""
    n = u.shape[0]
    below = np.empty((n, n), dtype=np.int64)
    for i in range(n):
        m = 0
        for jj in range(n):
            mid = 0.5 * (u[i] + us[jj])
            while m < n and us[m] < mid:
                m += 1
            below[i, order[jj]] = m
    return below


@_nb.njit(cache=True)
def _nb_probs(u, us, ws, order, rs, use_r, below, all_den):  # pragma: no cover
    n = u.shape[0]
    cum = np.empty((n, n + 1))
    util = np.empty((n, n))  # util[a, k]: actor a's distance to sorted voter k, ** r_k
    for a in range(n):
        acc = 0.0
        cum[a, 0] = 0.0
        for k in range(n):
            dd = abs(u[a] - us[k])
            if use_r:
                dd = dd ** rs[k]
            util[a, k] = dd
            acc += dd * ws[k]
            cum[a, k + 1] = acc
    num = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            m = below[i, j]
            if u[i] < u[j]:
                v = cum[j, m] - cum[i, m]
            elif u[i] > u[j]:
                v = (cum[j, n] - cum[j, m]) - (cum[i, n] - cum[i, m])
            else:
                v = 0.0
            num[i, j] = v if v > 0.0 else 0.0
    p = np.zeros((n, n))
    if all_den:
        # Voter k's distances to all actors in ascending order: merge the two sides.
        total = 0.0
        for k in range(n):
            acc = 0.0
            lft = k - 1
            rgt = k + 1
            for mm in range(1, n):  # rank 0 is k itself, distance 0
                if rgt >= n or (lft >= 0 and us[k] - us[lft] <= us[rgt] - us[k]):
                    dd = util[order[lft], k]
                    lft -= 1
                else:
                    dd = util[order[rgt], k]
                    rgt += 1
                acc += (2.0 * mm - n + 1.0) * dd
            total += 2.0 * acc * ws[k]
        if total > 0:
            for i in range(n):
                for j in range(n):
                    p[i, j] = num[i, j] / total
    else:
        for i in range(n):
            for j in range(n):
                den = num[i, j] + num[j, i]
                if den > 0:
                    p[i, j] = num[i, j] / den
    return p


@_nb.njit(cache=True)
def _nb_danger(u, s, p1, mu, q, t):  # pragma: no cover - compiled
    """Each actor's danger: the sum of what the others expect from challenging it
    (risk-neutral utilities and probabilities p1)."""
    n = u.shape[0]
    danger = np.zeros(n)
    for tt in range(n):
        acc = 0.0
        for c in range(n):
            if c == tt:
                continue
            d = abs(u[c] - u[tt])
            pp = p1[c, tt]
            e = s[tt] * (pp * 2.0 * d - (1.0 - pp) * 2.0 * d) + (1.0 - s[tt]) * 2.0 * d
            if q < 1.0:
                e -= (1.0 - q) * (2.0 * t - 1.0) * (abs(u[c] - mu) + d)
            acc += e
        danger[tt] = acc
    return danger


@_nb.njit(cache=True)
def _nb_risk(danger):  # pragma: no cover - compiled
    """Risk exponents r_i = (1 - R_i/3) / (1 + R_i/3), R_i the danger rescaled to [-1, 1]."""
    n = danger.shape[0]
    hi = danger.max()
    lo = danger.min()
    r = np.ones(n)
    if hi - lo > 0:
        for i in range(n):
            rk = (2.0 * danger[i] - hi - lo) / (hi - lo)
            r[i] = (1.0 - rk / 3.0) / (1.0 + rk / 3.0)
    return r


@_nb.njit(cache=True)
def _nb_status_quo_term(a, ri, q, t):  # pragma: no cover - compiled
    """(1 - q) x the expected utility of the status quo's better/worse outcome at offset a."""
    ba = 0.5 - a
    return (1.0 - q) * (
        t * (2.0 - 4.0 * (ba if ba > 0.0 else 0.0) ** ri)
        + (1.0 - t) * (2.0 - 4.0 * (0.5 + a) ** ri)
    )


@_nb.njit(cache=True)
def _nb_expected(u, s, p2, mu, i, j, ri, q, t):  # pragma: no cover
    """E(U_ij) and E(U_ji) from i's view (i's risk exponent ri)."""
    usq = 2.0 - 4.0 * 0.5**ri
    d = abs(u[i] - u[j])
    base_s = 0.5 - 0.5 * d
    u_s = 2.0 - 4.0 * (base_s if base_s > 0.0 else 0.0) ** ri
    u_f = 2.0 - 4.0 * (0.5 + 0.5 * d) ** ri
    pij = p2[i, j]
    pji = p2[j, i]
    e_ij = s[j] * (pij * u_s + (1.0 - pij) * u_f) + (1.0 - s[j]) * u_s - q * usq
    e_ji = s[i] * (pji * u_s + (1.0 - pji) * u_f) + (1.0 - s[i]) * u_s - q * usq
    if q < 1.0:
        e_ij -= _nb_status_quo_term(0.25 * (abs(u[i] - mu) + d), ri, q, t)
        e_ji -= _nb_status_quo_term(0.25 * (abs(u[j] - mu) + d), ri, q, t)
    return e_ij, e_ji


@_nb.njit(cache=True)
def _nb_classify(ui, uj, e_ij, e_ji, gain):  # pragma: no cover
    """The offer's class (1 conflict, 2 compromise, 3 capitulation, 4 none) and the position
    i would move to."""
    mag = abs(e_ij)
    tg = uj
    c = _NONE
    if e_ji > e_ij and e_ij > 0:
        c = 1
    elif e_ji > 0 and e_ij < 0:
        if gain:
            if e_ji > mag:
                c = 2
                tg = ui + (uj - ui) * (mag / e_ji)
            else:
                c = 3
        else:
            if mag > e_ji:
                c = 2
                tg = ui + (uj - ui) * (e_ji / mag)
            else:
                c = 3
    return c, tg


@_nb.njit(cache=True)
def _nb_pick(cls, key, thr, tgt, best, scholz):  # pragma: no cover
    """The accepted offer's position: the smallest key (the nearest offer), then the largest
    threat, then the lowest position; Scholz's rule first keeps only the best class."""
    n = cls.shape[0]
    kmin = np.inf
    for j in range(n):
        if cls[j] != _NONE and (not scholz or cls[j] == best) and key[j] < kmin:
            kmin = key[j]
    tmax = -np.inf
    for j in range(n):
        if cls[j] != _NONE and (not scholz or cls[j] == best) and key[j] == kmin:
            if thr[j] > tmax:
                tmax = thr[j]
    pick = np.inf
    for j in range(n):
        if (
            cls[j] != _NONE
            and (not scholz or cls[j] == best)
            and key[j] == kmin
            and thr[j] == tmax
            and tgt[j] < pick
        ):
            pick = tgt[j]
    return pick


@_nb.njit(cache=True)
def _nb_round(u, w, s, q, t, gain, all_den, scholz):  # pragma: no cover
    """One round for one row: the new positions."""
    n = u.shape[0]
    new = u.copy()
    if n < 2:
        return new
    order = np.argsort(u, kind="mergesort")
    us = u[order]
    ws = w[order]
    mu = _nb_wmedian(us, ws)
    below = _nb_below(u, us, order)
    p1 = _nb_probs(u, us, ws, order, np.ones(n), False, below, all_den)
    r = _nb_risk(_nb_danger(u, s, p1, mu, q, t))
    p2 = _nb_probs(u, us, ws, order, r[order], True, below, all_den)
    cls = np.empty(n, dtype=np.int64)
    tgt = np.empty(n)
    key = np.empty(n)
    thr = np.empty(n)
    for i in range(n):
        best = _NONE
        for j in range(n):
            cls[j] = _NONE
            if u[i] == u[j]:
                continue
            e_ij, e_ji = _nb_expected(u, s, p2, mu, i, j, r[i], q, t)
            c, tg = _nb_classify(u[i], u[j], e_ij, e_ji, gain)
            cls[j] = c
            tgt[j] = tg
            thr[j] = e_ji
            if scholz and c == 2:
                key[j] = (abs(e_ij) * u[i] + abs(e_ji) * u[j]) / (abs(e_ij) + abs(e_ji))
            else:
                key[j] = abs(tg - u[i])
            if c < best:
                best = c
        if best != _NONE:
            new[i] = _nb_pick(cls, key, thr, tgt, best, scholz)
    return new


@_nb.njit(parallel=True, cache=True)
def nb_simulate(u0, w, s, rounds, q, t, gain, all_den, scholz, out):  # pragma: no cover
    """Fill out[b, 1:] with the positions after each round, rows in parallel."""
    rows = u0.shape[0]
    for b in _nb.prange(rows):
        u = u0[b].copy()
        for rr in range(rounds):
            u = _nb_round(u, w[b], s[b], q, t, gain, all_den, scholz)
            out[b, rr + 1, :] = u
