"""A plain per-pair Python-loop version of one KTAB SMP turn (default options only).

Written directly from the turn description in ``ktab-smp-spec.md`` (KTAB, Efird, Lester & Wise,
KAPSARC 2016), with scalar loops and no numpy, so that it shares no code with
:mod:`detente.bargaining.smp`. It is the cross-check for the vectorised model in the tests and
the "straightforward" baseline of ``benchmarks/bench_smp.py``. Cost: O(N^3) Python operations
per turn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Vec = list[float]


def _dist(ideal: Sequence[float], pos: Sequence[float], sal: Sequence[float]) -> float:
    num = sum(s * s * (a - b) ** 2 for s, a, b in zip(sal, ideal, pos, strict=True))
    den = sum(s * s for s in sal)
    return math.sqrt(num / den) if den > 0 else 0.0


def _u(d: float, r: float) -> float:
    return (1 - d) * (1 + d * r) if d <= 1 else (1 - d) * (1 + r)


def _pce(util: list[list[float]], w: Sequence[float], options: Sequence[int]) -> list[float]:
    """Conditional PCE over ``options`` (columns of util); proportional votes, linear victory."""
    logp = []
    for a in options:
        total = 0.0
        for b in options:
            cab = 1e-8
            cba = 1e-8
            if a != b:
                for k in range(len(w)):
                    v = w[k] * (util[k][a] - util[k][b])
                    if v > 0:
                        cab += v
                    else:
                        cba -= v
            total += math.log(cab / (cab + cba))
        logp.append(total)
    top = max(logp)
    z = [math.exp(v - top) for v in logp]
    s = sum(z)
    return [v / s for v in z]


def smp_turn_loop(
    x: Sequence[Sequence[float]], sal: Sequence[Sequence[float]], cap: Sequence[float]
) -> list[list[float]]:
    """One SMP turn with KTAB's defaults; x and sal are N lists of K values on [0, 1]."""
    n = len(x)
    d = [[_dist(x[i], x[j], sal[i]) for j in range(n)] for i in range(n)]
    p = _pce([[1 - d[k][m] for m in range(n)] for k in range(n)], cap, range(n))
    pmax, pmin = max(p), min(p)
    if pmax > pmin:
        big_r = [(3 * p[i] - pmax - 2 * pmin) / (2 * (pmax - pmin)) for i in range(n)]
    else:
        big_r = [0.0] * n
    s_tot = [sum(row) for row in sal]
    sigma = [s_tot[i] * cap[i] for i in range(n)]

    bargains: list[tuple[int, int, Vec, Vec]] = []
    for i in range(n):
        # i's view: U^i_ab = u(d_ab, (2 R_i + R_a) / 3)
        r_est = [(2 * big_r[i] + big_r[a]) / 3 for a in range(n)]

        def util(a: int, b: int, r_est: list[float] = r_est) -> float:
            return _u(d[a][b], r_est[a])

        best_j, best_gain, best_p = -1, -math.inf, 0.0
        for j in range(n):
            if j == i:
                continue
            vi = sigma[i] * (util(i, i) - util(i, j))
            vj = sigma[j] * (util(j, i) - util(j, j))
            a0 = 1e-10 + max(vi, 0) + max(vj, 0)
            b0 = 1e-10 + max(-vi, 0) + max(-vj, 0)
            a_tot, b_tot = a0, b0
            for m in range(n):
                if m == i or m == j:
                    continue
                v0 = sigma[m] * (util(m, i) - util(m, j))
                pi = (a0 + max(v0, 0)) / (a0 + max(v0, 0) + b0 + max(-v0, 0))
                vm = sigma[m] * (
                    pi * (util(m, m) - util(m, i)) + (1 - pi) * (util(m, j) - util(m, m))
                )
                a_tot += max(vm, 0)
                b_tot += max(-vm, 0)
            pw = a_tot / (a_tot + b_tot)
            uii, uij = util(i, i), util(i, j)
            eu = (1 - s_tot[j]) * 2 * uii + s_tot[j] * (pw * 2 * uii + (1 - pw) * 2 * uij)
            gain = eu - (uii + uij)
            if gain > best_gain:
                best_j, best_gain, best_p = j, gain, pw
        if best_j < 0 or best_gain <= 1e-5:
            continue
        j = best_j
        bi, bj = [], []
        for k in range(len(x[i])):
            wi = sal[i][k] ** 2 * best_p**2
            wj = sal[j][k] ** 2 * (1 - best_p) ** 2
            den = wi + 1e-6 + wj
            bi.append(math.floor(1e4 * (((wi + 1e-6) * x[i][k] + wj * x[j][k]) / den) + 0.5) / 1e4)
            bj.append(math.floor(1e4 * ((wi * x[i][k] + (wj + 1e-6) * x[j][k]) / den) + 0.5) / 1e4)
        bargains.append((i, j, bi, bj))

    # value of each option to each actor: SQ is option -1
    true_u = [[_u(d[a][m], big_r[a]) for m in range(n)] for a in range(n)]
    values: dict[int, list[float]] = {-1: [sum(true_u[a]) / n for a in range(n)]}
    for m, (bi_, bj_, pi_, pj_) in enumerate(bargains):
        col = []
        for a in range(n):
            tot = 0.0
            for q in range(n):
                if q == bi_:
                    tot += _u(_dist(x[a], pi_, sal[a]), big_r[a])
                elif q == bj_:
                    tot += _u(_dist(x[a], pj_, sal[a]), big_r[a])
                else:
                    tot += true_u[a][q]
            col.append(tot / n)
        values[m] = col
    new = [list(row) for row in x]
    for k in range(n):
        queue = [-1] + [m for m, b in enumerate(bargains) if k in (b[0], b[1])]
        util_q = [[values[m][a] for m in queue] for a in range(n)]
        q = _pce(util_q, cap, range(len(queue)))
        best = max(range(len(queue)), key=lambda c: (q[c], -c))
        m = queue[best]
        if m >= 0:
            new[k] = list(bargains[m][2] if bargains[m][0] == k else bargains[m][3])
    return new
