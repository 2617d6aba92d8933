"""The war-termination model: monthly dynamics of two belligerents and third parties.

One simulated path per array entry; every step is a numpy operation over all paths of a block (no
loop over paths; :mod:`detente.war.reference` is the same model as a per-path loop, for checking).
The model follows /work/shared/reference/war-model-notes.md. Per month, for the paths at war:

1. Scheduled policy events happen (:mod:`detente.war.policies`); a threat's deadline resolves
   (carried out with its enforcement probability, drawn from the threat's own random stream) and
   updates the Beta credibility of threats and the attacker's Beta belief in the backers' resolve.
   Summits and public concessions add to that belief's b (evidence of low resolve, in the
   attacker's reading).
2. Each side values fighting on for ``horizon`` months under its own beliefs: the expected control
   at the horizon (a normal with its believed drift -- the latent trend ``theta`` as it believes it
   plus ``kappa`` x ln(expected capacity ratio) -- clipped to [0, 1] because the war ends when a
   side collapses) minus its expected weighted costs. The attacker expects aid to go on with its
   resolve belief and pending threats to be carried out with its credibility belief; both enter
   through expected capacities (revenue -> attacker capacity) and expected costs (fiscal strain).
3. Talks start when a bargaining range exists: EV_A + EV_D <= 1 (Fearon 1995; Blainey's mutual
   optimism dissolved). Terms: the Nash bargaining solution over the split with disagreement point
   (EV_A, EV_D): the middle of the range [EV_A, 1 - EV_D], within [0, 1].
4. Otherwise they fight a month: control moves with drift theta + kappa ln(cap_A / cap_D) plus
   normal noise (or +-1/N steps: Slantchev's fight-to-the-finish random walk when
   ``front_steps`` = N); control 0 or 1 ends the war. The contest is in the log of the capacity
   ratio so that a change in the attacker's capacity shifts both sides' expected control alike:
   then a range opens through costs and beliefs, not through the functional form. (One exception
   remains and is real: when a side's expected control is pinned at 0 or 1, a shift moves only
   the other side's expectation; tests/war/test_war_model.py shows both cases.)
5. Costs accrue (casualties and money, weighted by each side's sensitivities; the attacker's money
   weighs more as its revenue falls below its level without sanctions (fiscal strain), and
   everything weighs less under a rally round the flag).
6. Capacities are replenished (attacker: invest_A x oil revenue + dual-use imports cut by
   secondary sanctions; defender: own inflow + aid) and depleted (attrition); oil revenue =
   volume x (price - discount) on unsanctioned volume plus, on sanctioned volume, the share third
   parties absorb (cut by secondary sanctions) at a deeper discount.
7. Both sides update their normal beliefs about theta from the month's observed change.

No lever has a direct effect on talks: each acts only through capacities, revenues, costs and
beliefs (see /work/shared/reference/war-model-notes.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr

from detente.war.beliefs import (
    beta_deadline,
    beta_mean,
    clipped_normal_mean,
    normal_update,
)
from detente.war.policies import Event

# Paths per block: each block has its own random streams spawned from the seed, so the results do
# not depend on how many blocks are processed at once (memory chunking).
BLOCK = 1 << 15
DAYS_PER_MONTH = 30.4

ONGOING, TALKS, A_WINS, D_WINS = 0, 1, 2, 3
TRACES = ("control", "gap", "credibility", "resolve", "capacity_A", "capacity_D", "revenue_A")


@dataclass
class BlockResult:
    """Per-path outcomes of a block of paths (see :class:`detente.war.WarResult`)."""

    talks_month: np.ndarray
    end_month: np.ndarray
    outcome: np.ndarray
    terms: np.ndarray
    cost_A: np.ndarray
    cost_D: np.ndarray
    casualties_A: np.ndarray
    casualties_D: np.ndarray
    money_A: np.ndarray
    money_D: np.ndarray
    revenue_A: np.ndarray
    control: np.ndarray
    gap_start: np.ndarray
    gap_at_talks: np.ndarray
    traces: dict[str, np.ndarray] = field(default_factory=dict)


def _p(params: dict, name: str, sl: slice) -> float | np.ndarray:
    value = params[name]
    return value[sl] if isinstance(value, np.ndarray) else value


def revenue(
    P: dict, sanctions: np.ndarray, secondary: np.ndarray, absorb: np.ndarray
) -> np.ndarray:
    """Attacker's oil revenue (bn USD per month): the unsanctioned volume at the usual discount,
    plus the sanctioned volume that third parties absorb (less under secondary sanctions) at a
    deeper discount."""
    barrels = P["oil_volume"] * DAYS_PER_MONTH / 1000.0  # mb/d -> 1000 mb/month; x USD = bn USD
    net = np.maximum(P["oil_price"] - P["discount"], 0.0)
    net_sanctioned = np.maximum(net - P["sanction_discount"], 0.0)
    rerouted = absorb * (1.0 - secondary * P["secondary_effect"])
    return barrels * ((1.0 - sanctions) * net + sanctions * rerouted * net_sanctioned)


def attacker_cost(P: dict, rev: np.ndarray, rev0: np.ndarray, sanctions: np.ndarray) -> np.ndarray:
    """Attacker's weighted cost per month: casualties and money, the money weighing more as
    revenue falls below ``rev0``, its level without sanctions (fiscal strain), all weighing less
    under a rally round the flag."""
    lost = np.maximum(0.0, 1.0 - rev / np.maximum(rev0, 1e-12))
    strain = 1.0 + P["fiscal_strain"] * lost
    base = P["w_casualties_A"] * P["casualties_A"] + P["w_money_A"] * P["money_A"] * strain
    return np.maximum(0.0, 1.0 - P["rally"] * sanctions) * base


def defender_cost(P: dict) -> float | np.ndarray:
    """Defender's weighted cost per month."""
    return P["w_casualties_D"] * P["casualties_D"] + P["w_money_D"] * P["money_D"]


# Random numbers come in fixed stream blocks of STREAM paths, each seeded by (block, purpose),
# so path i's numbers never depend on how many paths run or how they are chunked in memory.
STREAM = 4096


def _stream(
    ss: np.random.SeedSequence,
    start: int,
    n: int,
    key: tuple[int, ...],
    k: int,
    normal: bool = False,
) -> np.ndarray:
    """Random numbers (n, k) for paths start .. start + n - 1: uniforms, or standard normals."""
    out = np.empty((n, k))
    first, last = start // STREAM, (start + n - 1) // STREAM
    for j in range(first, last + 1):
        rng = np.random.default_rng(
            np.random.SeedSequence(ss.entropy, spawn_key=(*ss.spawn_key, j, *key))
        )
        block = rng.standard_normal((STREAM, k)) if normal else rng.random((STREAM, k))
        lo = max(start, j * STREAM)
        hi = min(start + n, (j + 1) * STREAM)
        out[lo - start : hi - start] = block[lo - j * STREAM : hi - j * STREAM]
    return out


def _log_ratio(a: np.ndarray, d: np.ndarray) -> np.ndarray:
    # ln(a / d), bounded where a side's capacity is (near) zero.
    return np.log(np.maximum(a, 1e-9)) - np.log(np.maximum(d, 1e-9))


def _horizon_weight(attr: np.ndarray, H: np.ndarray) -> np.ndarray:
    # Mean of cap_h = steady + (cap - steady)(1 - a)^h over h = 1..H is steady + (cap - steady) g:
    # the capacity each side expects on average over its planning horizon.
    a = np.maximum(attr, 1e-9)
    return (1.0 - a) * (1.0 - (1.0 - a) ** H) / (H * a)


def _avg_capacity(cap: np.ndarray, steady: np.ndarray, g: np.ndarray) -> np.ndarray:
    return steady + (cap - steady) * g


def simulate_block(
    P: dict[str, float | np.ndarray],
    events: list[Event],
    months: int,
    n: int,
    ss: np.random.SeedSequence,
    trace: bool | tuple[str, ...] = False,
    start: int = 0,
    trace_months: tuple[int, ...] | None = None,
) -> BlockResult:
    """Simulate paths ``start .. start + n - 1`` of a run seeded by ``ss`` for ``months`` months.

    ``P`` values are floats or arrays (n,). Path i's random numbers depend only on (ss, i, month),
    never on n or ``start`` (see :func:`_stream`).
    """
    f = np.float64
    ones = np.ones(n, dtype=f)
    attr = np.maximum(P["attrition"], 1e-3) * ones
    H = P["horizon"] * ones
    sigma = P["sigma"] * ones
    kappa, theta = P["kappa"], P["theta"]
    g_h = _horizon_weight(attr, H)
    h_noise = H * sigma**2  # the battlefield noise's variance over the horizon
    steps = int(round(float(np.max(P["front_steps"]))))

    # levers in force
    sanctions = P["sanctions"] * ones
    secondary = P["secondary"] * ones
    absorb = P["absorb"] * ones
    dual = P["dual_use"] * ones
    aid = P["aid"] * ones
    pending = np.zeros(n, dtype=f)  # sanctions threatened, deadline not yet passed

    # Fiscal strain is measured against the revenue without sanctions (the same for every mix).
    rev0 = revenue(P, 0.0 * ones, 0.0 * ones, absorb)

    def inflow_A(s, sec, ab, du):
        return P["invest_A"] * revenue(P, s, sec, ab) + du * (1.0 - sec * P["secondary_effect"])

    # capacities start at the steady state of the levels in force
    cap_A = inflow_A(sanctions, secondary, absorb, dual) / attr
    cap_D = (P["own_D"] + aid) / attr

    x = P["control0"] * ones
    if steps > 0:
        x = np.round(x * steps) / steps
    # beliefs about theta: each side's prior is centred on the truth shifted by its optimism
    m_A = theta + P["optimism_A"] * ones
    v_A = P["prior_sd_A"] ** 2 * ones
    m_D = theta - P["optimism_D"] * ones
    v_D = P["prior_sd_D"] ** 2 * ones
    r_a, r_b = P["resolve_a"] * ones, P["resolve_b"] * ones
    c_a, c_b = P["cred_a"] * ones, P["cred_b"] * ones
    cost_D_month = defender_cost(P) * ones

    active = np.ones(n, dtype=bool)
    talks_month = np.full(n, -1, dtype=np.int32)
    end_month = np.full(n, -1, dtype=np.int32)
    outcome = np.zeros(n, dtype=np.int8)
    terms = np.full(n, np.nan)
    cost_A = np.zeros(n)
    cost_D = np.zeros(n)
    cas_A = np.zeros(n)
    cas_D = np.zeros(n)
    money_A = np.zeros(n)
    money_D = np.zeros(n)
    rev_sum = np.zeros(n)
    months_fought = np.zeros(n)
    gap_start = np.full(n, np.nan)
    gap_at_talks = np.full(n, np.nan)
    # Traces: the keys asked for (all of TRACES for trace=True), at the months asked for (all by
    # default); row r of a trace is month trace_months[r].
    keys = TRACES if trace is True else tuple(trace or ())
    rows = {t: r for r, t in enumerate(trace_months or range(1, months + 1))}
    traces = {k: np.full((len(rows), n), np.nan, dtype=np.float32) for k in keys}

    by_month: dict[int, list[Event]] = {}
    deadlines: dict[int, list[Event]] = {}
    for ev in events:
        by_month.setdefault(ev.month, []).append(ev)
        if ev.kind == "threat":
            deadlines.setdefault(ev.month + ev.deadline, []).append(ev)

    for t in range(1, months + 1):
        if not traces and not active.any():
            break  # every path has ended: nothing changes any more
        # 1. policy events (only on paths still at war)
        for ev in deadlines.get(t, []):
            u = _stream(ss, start, n, (1, ev.index), 1)[:, 0]
            kept = u < ev.enforce
            pending = np.where(active, np.maximum(pending - ev.intensity, 0.0), pending)
            sanctions = np.where(
                active & kept, np.minimum(sanctions + ev.intensity, 1.0), sanctions
            )
            c_a, c_b = beta_deadline(c_a, c_b, kept, active)
            sig = P["resolve_signal"] * active
            r_a = r_a + sig * kept
            r_b = r_b + sig * ~kept
        for ev in by_month.get(t, []):
            k, z = ev.kind, ev.intensity * active
            if k == "threat":
                pending = pending + z
            elif k == "sanction":
                sanctions = np.clip(sanctions + z, 0.0, 1.0)
                r_a = r_a + P["resolve_signal"] * (z > 0)
            elif k == "secondary":
                secondary = np.clip(secondary + z, 0.0, 1.0)
                r_a = r_a + P["resolve_signal"] * (z > 0)
            elif k == "aid":
                aid = np.maximum(aid + z, 0.0)
                r_a = r_a + P["resolve_signal"] * (z > 0)
                r_b = r_b + P["resolve_signal"] * (z < 0)
            elif k == "summit":
                r_b = r_b + P["summit_weight"] * np.maximum(z, 0.0)
            elif k == "concession":
                r_b = r_b + P["concession_weight"] * np.maximum(z, 0.0)
            elif k == "purchases":
                absorb = np.clip(absorb + z, 0.0, 1.0)
            elif k == "dual_use":
                dual = np.maximum(dual + z, 0.0)

        # 2. each side's value of fighting on, under its own beliefs
        cred = beta_mean(c_a, c_b)
        resolve = beta_mean(r_a, r_b)
        s_exp = np.minimum(sanctions + cred * pending, 1.0)
        ss_A = inflow_A(s_exp, secondary, absorb, dual) / attr
        ssD_A = (P["own_D"] + resolve * aid) / attr  # the attacker discounts aid by resolve
        ssD_D = (P["own_D"] + aid) / attr
        capA_bar = _avg_capacity(cap_A, ss_A, g_h)
        lr_A = _log_ratio(capA_bar, _avg_capacity(cap_D, ssD_A, g_h))
        lr_D = _log_ratio(capA_bar, _avg_capacity(cap_D, ssD_D, g_h))
        mu_A = x + H * (m_A + kappa * lr_A)
        mu_D = x + H * (m_D + kappa * lr_D)
        e_A = clipped_normal_mean(mu_A, np.sqrt(h_noise + H**2 * v_A))
        e_D = clipped_normal_mean(mu_D, np.sqrt(h_noise + H**2 * v_D))
        rev_exp = revenue(P, s_exp, secondary, absorb)
        ev_A = e_A - H * attacker_cost(P, rev_exp, rev0, s_exp)
        ev_D = (1.0 - e_D) - H * cost_D_month
        gap = e_A - e_D
        if t == 1:
            gap_start = gap.copy()
        settle = active & (ev_A + ev_D <= 1.0 + 1e-12)
        lo = np.clip(ev_A, 0.0, 1.0)
        hi = np.clip(1.0 - ev_D, 0.0, 1.0)
        terms = np.where(settle, 0.5 * (lo + hi), terms)
        talks_month = np.where(settle, t, talks_month)
        end_month = np.where(settle, t, end_month)
        outcome = np.where(settle, TALKS, outcome)
        gap_at_talks = np.where(settle, gap, gap_at_talks)
        active = active & ~settle

        # 3. a month of fighting
        noise = _stream(ss, start, n, (0, t), 3, normal=True).T
        lr = _log_ratio(cap_A, cap_D)
        drift = theta + kappa * lr
        if steps > 0:
            up = ndtr(noise[0]) < np.clip(0.5 + 0.5 * steps * drift, 0.0, 1.0)
            dx = np.where(up, 1.0, -1.0) / steps
        else:
            dx = drift + sigma * noise[0]
        x_new = np.clip(x + dx * active, 0.0, 1.0)
        if steps > 0:
            x_new = np.round(x_new * steps) / steps

        # costs of the month fought
        rev = revenue(P, sanctions, secondary, absorb)
        cost_A = cost_A + active * attacker_cost(P, rev, rev0, sanctions)
        cost_D = cost_D + active * cost_D_month
        cas_A = cas_A + active * P["casualties_A"]
        cas_D = cas_D + active * P["casualties_D"]
        money_A = money_A + active * P["money_A"]
        money_D = money_D + active * P["money_D"]
        rev_sum = rev_sum + active * rev
        months_fought = months_fought + active

        # capacities: replenished from revenue, imports and aid; depleted by fighting
        cn = P["cap_noise"]
        shock_A = np.exp(cn * noise[1] - 0.5 * cn**2)
        shock_D = np.exp(cn * noise[2] - 0.5 * cn**2)
        cap_A = np.where(
            active,
            cap_A * (1.0 - attr) + inflow_A(sanctions, secondary, absorb, dual) * shock_A,
            cap_A,
        )
        cap_D = np.where(active, cap_D * (1.0 - attr) + (P["own_D"] + aid) * shock_D, cap_D)

        # beliefs: the month's change net of the capacity effect is a signal about theta
        y = (x_new - x) - kappa * lr
        nm, nv = normal_update(m_A, v_A, y, sigma**2)
        m_A, v_A = np.where(active, nm, m_A), np.where(active, nv, v_A)
        nm, nv = normal_update(m_D, v_D, y, sigma**2)
        m_D, v_D = np.where(active, nm, m_D), np.where(active, nv, v_D)
        x = x_new

        won_A = active & (x >= 1.0 - 1e-12)
        won_D = active & (x <= 1e-12)
        ended = won_A | won_D
        end_month = np.where(ended, t, end_month)
        outcome = np.where(won_A, A_WINS, np.where(won_D, D_WINS, outcome))
        active = active & ~ended

        if traces and t in rows:
            now = {
                "control": x,
                "gap": gap,
                "credibility": cred,
                "resolve": resolve,
                "capacity_A": cap_A,
                "capacity_D": cap_D,
                "revenue_A": rev,
            }
            for key, arr in traces.items():
                arr[rows[t]] = now[key]

    return BlockResult(
        talks_month=talks_month,
        end_month=end_month,
        outcome=outcome,
        terms=terms,
        cost_A=cost_A,
        cost_D=cost_D,
        casualties_A=cas_A,
        casualties_D=cas_D,
        money_A=money_A,
        money_D=money_D,
        revenue_A=np.where(months_fought > 0, rev_sum / np.maximum(months_fought, 1.0), np.nan),
        control=x,
        gap_start=gap_start,
        gap_at_talks=gap_at_talks,
        traces=traces,
    )
