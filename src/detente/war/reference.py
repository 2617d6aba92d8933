"""A per-path, per-month Python loop of the war model: the baseline of ``make bench`` and an
independent check of the vectorised :func:`detente.war.model.simulate_block` (the tests compare
the two on the same random numbers). Not for production use: it is ~100x slower.
"""

from __future__ import annotations

import math

import numpy as np

from detente.war.model import A_WINS, D_WINS, TALKS, _stream
from detente.war.policies import Event


def _ndtr(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _clipped_mean(mu: float, sd: float) -> float:
    sd = max(sd, 1e-12)
    a, b = -mu / sd, (1.0 - mu) / sd
    pa, pb = _ndtr(a), _ndtr(b)
    phia = math.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
    phib = math.exp(-0.5 * b * b) / math.sqrt(2 * math.pi)
    return mu * (pb - pa) + sd * (phia - phib) + (1.0 - pb)


def random_numbers(
    ss: np.random.SeedSequence, paths: int, months: int, events: list[Event]
) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """The numbers :func:`simulate_block` uses: normals (months, paths, 3) and, per threat index,
    the enforcement uniforms (paths,)."""
    normals = np.stack(
        [_stream(ss, 0, paths, (0, t), 3, normal=True) for t in range(1, months + 1)]
    )
    uniforms = {
        ev.index: _stream(ss, 0, paths, (1, ev.index), 1)[:, 0]
        for ev in events
        if ev.kind == "threat"
    }
    return normals, uniforms


def simulate_loop(
    P: dict[str, float],
    events: list[Event],
    months: int,
    paths: int,
    normals: np.ndarray,
    uniforms: dict[int, np.ndarray],
) -> dict[str, list[float]]:
    """The model, one path and one month at a time, with scalar parameters. Returns per-path
    lists of talks_month, outcome, terms, cost_A, cost_D, control."""
    out: dict[str, list[float]] = {
        k: [] for k in ("talks_month", "outcome", "terms", "cost_A", "cost_D", "control")
    }
    g = {k: float(v) for k, v in P.items()}
    attr = max(g["attrition"], 1e-3)
    H, sigma, kappa, theta = g["horizon"], g["sigma"], g["kappa"], g["theta"]
    steps = int(round(g["front_steps"]))
    barrels = g["oil_volume"] * 30.4 / 1000.0
    net = max(g["oil_price"] - g["discount"], 0.0)
    net_s = max(net - g["sanction_discount"], 0.0)

    def revenue(s: float, sec: float, ab: float) -> float:
        rerouted = ab * (1.0 - sec * g["secondary_effect"])
        return barrels * ((1.0 - s) * net + s * rerouted * net_s)

    def inflow_A(s: float, sec: float, ab: float, du: float) -> float:
        return g["invest_A"] * revenue(s, sec, ab) + du * (1.0 - sec * g["secondary_effect"])

    def cost_A_month(rev: float, rev0: float, s: float) -> float:
        lost = max(0.0, 1.0 - rev / max(rev0, 1e-12))
        base = g["w_casualties_A"] * g["casualties_A"] + g["w_money_A"] * g["money_A"] * (
            1.0 + g["fiscal_strain"] * lost
        )
        return max(0.0, 1.0 - g["rally"] * s) * base

    def avg_cap(cap: float, steady: float) -> float:
        a = max(attr, 1e-9)
        return steady + (cap - steady) * (1.0 - a) * (1.0 - (1.0 - a) ** H) / (H * a)

    def log_ratio(a: float, d: float) -> float:
        return math.log(max(a, 1e-9)) - math.log(max(d, 1e-9))

    def update(m: float, v: float, y: float) -> tuple[float, float]:
        if v <= 0:
            return m, v
        prec = 1.0 / v + 1.0 / sigma**2
        return (m / v + y / sigma**2) / prec, 1.0 / prec

    cost_D_month = g["w_casualties_D"] * g["casualties_D"] + g["w_money_D"] * g["money_D"]
    for i in range(paths):
        S, SS, ab, du, aid = g["sanctions"], g["secondary"], g["absorb"], g["dual_use"], g["aid"]
        pending = 0.0
        rev0 = revenue(0.0, 0.0, ab)
        cap_A = inflow_A(S, SS, ab, du) / attr
        cap_D = (g["own_D"] + aid) / attr
        x = g["control0"]
        if steps > 0:
            x = round(x * steps) / steps
        m_A, v_A = theta + g["optimism_A"], g["prior_sd_A"] ** 2
        m_D, v_D = theta - g["optimism_D"], g["prior_sd_D"] ** 2
        ra, rb, ca, cb = g["resolve_a"], g["resolve_b"], g["cred_a"], g["cred_b"]
        talks, outcome, terms, cA, cD = -1, 0, math.nan, 0.0, 0.0
        for t in range(1, months + 1):
            for ev in events:
                if ev.kind == "threat" and ev.month + ev.deadline == t:
                    kept = uniforms[ev.index][i] < float(ev.enforce)
                    pending = max(pending - float(ev.intensity), 0.0)
                    if kept:
                        S = min(S + float(ev.intensity), 1.0)
                        ca += 1.0
                        ra += g["resolve_signal"]
                    else:
                        cb += 1.0
                        rb += g["resolve_signal"]
            for ev in events:
                if ev.month != t:
                    continue
                z = float(ev.intensity)
                if ev.kind == "threat":
                    pending += z
                elif ev.kind == "sanction":
                    S = min(max(S + z, 0.0), 1.0)
                    ra += g["resolve_signal"] * (z > 0)
                elif ev.kind == "secondary":
                    SS = min(max(SS + z, 0.0), 1.0)
                    ra += g["resolve_signal"] * (z > 0)
                elif ev.kind == "aid":
                    aid = max(aid + z, 0.0)
                    ra += g["resolve_signal"] * (z > 0)
                    rb += g["resolve_signal"] * (z < 0)
                elif ev.kind == "summit":
                    rb += g["summit_weight"] * max(z, 0.0)
                elif ev.kind == "concession":
                    rb += g["concession_weight"] * max(z, 0.0)
                elif ev.kind == "purchases":
                    ab = min(max(ab + z, 0.0), 1.0)
                elif ev.kind == "dual_use":
                    du = max(du + z, 0.0)
            cred, resolve = ca / (ca + cb), ra / (ra + rb)
            s_exp = min(S + cred * pending, 1.0)
            capA_bar = avg_cap(cap_A, inflow_A(s_exp, SS, ab, du) / attr)
            lr_A = log_ratio(capA_bar, avg_cap(cap_D, (g["own_D"] + resolve * aid) / attr))
            lr_D = log_ratio(capA_bar, avg_cap(cap_D, (g["own_D"] + aid) / attr))
            e_A = _clipped_mean(x + H * (m_A + kappa * lr_A), math.sqrt(H * sigma**2 + H**2 * v_A))
            e_D = _clipped_mean(x + H * (m_D + kappa * lr_D), math.sqrt(H * sigma**2 + H**2 * v_D))
            ev_A = e_A - H * cost_A_month(revenue(s_exp, SS, ab), rev0, s_exp)
            ev_D = (1.0 - e_D) - H * cost_D_month
            if ev_A + ev_D <= 1.0 + 1e-12:
                talks, outcome = t, TALKS
                terms = 0.5 * (min(max(ev_A, 0.0), 1.0) + min(max(1.0 - ev_D, 0.0), 1.0))
                break
            z0, z1, z2 = normals[t - 1, i]
            lr = log_ratio(cap_A, cap_D)
            drift = theta + kappa * lr
            if steps > 0:
                up = _ndtr(z0) < min(max(0.5 + 0.5 * steps * drift, 0.0), 1.0)
                x_new = round(min(max(x + (1.0 if up else -1.0) / steps, 0.0), 1.0) * steps) / steps
            else:
                x_new = min(max(x + drift + sigma * z0, 0.0), 1.0)
            cA += cost_A_month(revenue(S, SS, ab), rev0, S)
            cD += cost_D_month
            cn = g["cap_noise"]
            cap_A = cap_A * (1 - attr) + inflow_A(S, SS, ab, du) * math.exp(cn * z1 - 0.5 * cn**2)
            cap_D = cap_D * (1 - attr) + (g["own_D"] + aid) * math.exp(cn * z2 - 0.5 * cn**2)
            y = (x_new - x) - kappa * lr
            m_A, v_A = update(m_A, v_A, y)
            m_D, v_D = update(m_D, v_D, y)
            x = x_new
            if x >= 1.0 - 1e-12 or x <= 1e-12:
                outcome = A_WINS if x >= 1.0 - 1e-12 else D_WINS
                break
        for key, value in (
            ("talks_month", talks),
            ("outcome", outcome),
            ("terms", terms),
            ("cost_A", cA),
            ("cost_D", cD),
            ("control", x),
        ):
            out[key].append(value)
    return out
