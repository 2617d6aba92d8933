"""The war model's monthly dynamics for one path: a scalar loop, compiled with numba when present.

The same Python function is the numpy-free fallback (:func:`run_paths_python`) and the body of the
compiled kernel (:func:`run_paths`, a ``prange`` over paths): every random number is drawn with
numpy outside and passed in, so both give the same numbers.

Model (grounded in Fearon 1995; Slantchev 2003; Smith & Stam 2004; Powell 2004, 2006; Filson &
Werner 2002). Per path:

- *Private types.* Each side has a strength type (s_A, s_D ~ N(0, tau^2)) known only to itself.
  Control ``x`` (the attacker's share of the contested territory) moves in a month of decisive
  fighting (probability ``battle_rate``) by mu + sigma z, mu = beta ln(cap_A / cap_D) + s_A - s_D:
  a Brownian front absorbed at 0 and 1 (fight to the finish; the continuous form of Slantchev's
  random walk). Each side knows its own type and holds a normal belief about the other's; the
  month's change is a signal whose likelihood depends on both true types, so the two beliefs
  differ and converge at a rate set by how many battle months a path happens to see.
- *Values of war.* Each side values fighting to the finish at its believed drift: the attacker
  wins with P = (1 - exp(-k x)) / (1 - exp(-k)), k = 2 mu / sigma^2, after (P - x)/mu battle
  months in expectation; costs accrue per month, cost x 2 cap_other / (cap_A + cap_D) (the weaker
  side pays more: uneven costs are an output of capacities). Stakes S scale the prize.
- *Settlement* (Fearon): a bargaining range exists when V_A + V_D <= S under the sides' own
  beliefs, and no commitment problem blocks it (Powell 2006): a side whose expected war share
  falls from p_now to p_next within ``window`` months (mobilisation, aid arriving, sanctions
  biting) fights on if d (p_now - p_next) > (1 - d)(1 - p_now + c window), d = delta^window.
  Terms: the Nash split, the middle of [V_A, S - V_D], as the attacker's share.
- *Victory*: control reaches 1 (attacker) or 0 (defender).
- *Fading*: a commitment problem blocks a deal but both prefer the current line to fighting on
  (V_A <= S x and V_D <= S (1 - x)): fighting stops without agreement (UCDP's low activity).
- *Levers*: aid arrives over ``aid_lag`` months and goes on while the backers' private resolve
  lasts (a geometric stopping month); the attacker's Beta belief about that resolve learns from
  every month aid goes on (a += 1) or stops (b += 1), from new aid and sanctions (a +=
  resolve_signal), from concessions and summits (b += concession_weight x size); a concession
  also lowers the stakes. Threats are carried out with their enforcement probability at their
  deadline; credibility (a Beta belief) enters the attacker's expected sanctions. Nothing acts on
  talks directly.
"""

from __future__ import annotations

import math
import os

import numpy as np

try:  # this module is imported only when a war is simulated (never at detente's start-up)
    if os.environ.get("DETENTE_NO_NUMBA"):
        raise ImportError
    import numba

    HAVE_NUMBA = True
    _jit = numba.njit(cache=True, error_model="numpy")
except ImportError:  # the numpy-only install: the same functions, run as Python
    numba = None  # type: ignore[assignment]
    HAVE_NUMBA = False

    def _jit(fn):
        return fn


ONGOING, SETTLED, A_WINS, D_WINS, FADED, NO_WAR = 0, 1, 2, 3, 4, 5
# Per-path parameter columns (a float64 matrix (paths, NPAR)).
PCOLS = (
    "beta",
    "tau",
    "sigma",
    "battle_rate",
    "cost",
    "mobil0",
    "mobil_rate",
    "capability_A",
    "capability_D",
    "control0",
    "delta",
    "window",
    "aid",
    "aid_lag",
    "support_A",
    "sanctions",
    "sanction_effect",
    "sanction_lag",
    "secondary_effect",
    "resolve_a",
    "resolve_b",
    "cred_a",
    "cred_b",
    "resolve_signal",
    "concession_weight",
    "stake_cut",
    "elapsed",
    "rate_disp",
)
NPAR = len(PCOLS)
# Per-month schedule columns (a float64 matrix (months + 1, NSCH), row t = month t), the same for
# every path of a policy mix; threats are resolved per path from their own uniforms.
SCOLS = (
    "aid_add",  # aid added (CINC)
    "sanction_add",  # sanctions level added
    "secondary_add",  # secondary sanctions level added
    "support_add",  # third-party support of the attacker added (CINC)
    "concession",  # concession size (stakes and resolve belief)
    "summit",  # summit size (resolve belief only)
    "threat_pending",  # sanctions level threatened this month (pending until the deadline)
)
NSCH = len(SCOLS)
# Threats: a matrix (n_threats, 3): deadline month, size, enforcement probability.
CANDIDATES = 8  # type draws tried per path for a war that is going on at the start
OUTS = (
    "end_month",
    "outcome",
    "terms",
    "cost_A",
    "cost_D",
    "control",
    "gap_start",
    "gap_end",
    "range_lo",
    "range_hi",
    "accept_A",
    "accept_D",
)
NOUT = len(OUTS)


# Counter-based random numbers (splitmix64; Steele, Lea & Flood 2014): path i's number for month
# t is a hash of (its 64-bit key, t), so each month's numbers are made only when the month is
# fought, on every core, and the same in the compiled kernel and in Python.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0
_TWO_PI = 2.0 * math.pi


@_jit
def _mix(z: np.uint64) -> np.uint64:
    z = (z ^ (z >> _S30)) * _C1
    z = (z ^ (z >> _S27)) * _C2
    return z ^ (z >> _S31)


@_jit
def _unit(z: np.uint64) -> float:
    """A uniform in (0, 1) from 64 random bits."""
    return (float(z >> _S11) + 0.5) * _INV53


@_jit
def _ndtri(p: float) -> float:
    """The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9):
    no transcendental function in the central 95% (the common case of a battle month)."""
    if p < 0.02425:
        q = math.sqrt(-2.0 * math.log(p))
        return (
            (
                (
                    ((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838)
                    * q
                    - 2.549732539343734
                )
                * q
                + 4.374664141464968
            )
            * q
            + 2.938163982698783
        ) / (
            (
                ((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996) * q
                + 3.754408661907416
            )
            * q
            + 1.0
        )
    if p > 0.97575:
        q = math.sqrt(-2.0 * math.log(1.0 - p))
        return -(
            (
                (
                    ((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838)
                    * q
                    - 2.549732539343734
                )
                * q
                + 4.374664141464968
            )
            * q
            + 2.938163982698783
        ) / (
            (
                ((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996) * q
                + 3.754408661907416
            )
            * q
            + 1.0
        )
    q = p - 0.5
    r = q * q
    return (
        (
            (
                (
                    ((-3.969683028665376e01 * r + 2.209460984245205e02) * r - 2.759285104469687e02)
                    * r
                    + 1.383577518672690e02
                )
                * r
                - 3.066479806614716e01
            )
            * r
            + 2.506628277459239
        )
        * q
        / (
            (
                (
                    ((-5.447609879822406e01 * r + 1.615858368580409e02) * r - 1.556989798598866e02)
                    * r
                    + 6.680131188771972e01
                )
                * r
                - 1.328068155288572e01
            )
            * r
            + 1.0
        )
    )


@_jit
def _pwin(x: float, mu: float, s2: float) -> float:
    """P(a Brownian front from x with drift mu and variance s2 reaches 1 before 0)."""
    k = 2.0 * mu / s2
    if abs(k) < 1e-9:
        return x
    if k > 0:
        # (1 - e^{-kx}) / (1 - e^{-k}), stable for large k
        return -math.expm1(-k * x) / -math.expm1(-k)
    # k < 0: (e^{|k| x} - 1) / (e^{|k|} - 1) = e^{|k|(x-1)} (1 - e^{-|k|x}) / (1 - e^{-|k|})
    a = -k
    return math.exp(a * (x - 1.0)) * (-math.expm1(-a * x)) / (-math.expm1(-a))


@_jit
def _battles(x: float, mu: float, s2: float, p: float) -> float:
    """Expected battle months until absorption (P(win) = p given)."""
    if abs(2.0 * mu / s2) < 1e-6:
        return x * (1.0 - x) / s2
    return (p - x) / mu


@_jit
def _mob(m0: float, g: float, t: float) -> float:
    return 1.0 - (1.0 - m0) * math.exp(-g * t)


@_jit
def _ramp(level: float, added_at: float, lag: float, t: float) -> float:
    f = (t - added_at) / lag
    if f <= 0.0:
        return 0.0
    return level if f >= 1.0 else level * f


@_jit
def one_path(
    par: np.ndarray,
    sched: np.ndarray,
    threats: np.ndarray,
    months: int,
    types: np.ndarray,
    u_stop: float,
    u_threat: np.ndarray,
    key: np.uint64,
    out: np.ndarray,
) -> None:
    """Simulate one path for ``months`` months; write OUTS into ``out``. ``key``: the path's
    64-bit key of its monthly random numbers."""
    beta, tau, sigma, rate, cost = par[0], par[1], par[2], par[3], par[4]
    m0, g, cA0, cD0, x0 = par[5], par[6], par[7], par[8], par[9]
    delta, W, aid0, aid_lag, sup0 = par[10], par[11], par[12], par[13], par[14]
    sanc0, s_eff, s_lag, sec_eff = par[15], par[16], par[17], par[18]
    res_a0, res_b0, cred_a0, cred_b0 = par[19], par[20], par[21], par[22]
    r_sig, c_w, cut = par[23], par[24], par[25]
    t_now = int(par[26]) + 1  # the forecast point: what each side would accept then
    # wars differ in how often they see decisive fighting: a lognormal spread around battle_rate
    rd = par[27]
    rate = min(rate * math.exp(rd * types[2 * CANDIDATES + 1] - 0.5 * rd * rd), 1.0)
    s2 = sigma * sigma
    dW = delta**W
    # The backers' resolve (private): P(aid goes on another month) ~ Beta(res_a0, res_b0); aid
    # stops at a geometric month. u_stop is turned into the stopping month by inversion given rho,
    # and rho itself comes from types[2*CANDIDATES] (a normal mapped through a Beta approximation:
    # the mean-matched Beta quantile is replaced by its normal approximation, clipped).
    mean_r = res_a0 / (res_a0 + res_b0)
    sd_r = math.sqrt(mean_r * (1.0 - mean_r) / (res_a0 + res_b0 + 1.0))
    rho = min(max(mean_r + sd_r * types[2 * CANDIDATES], 1e-6), 1.0 - 1e-9)
    stop_month = 1.0 + math.floor(math.log(max(u_stop, 1e-300)) / math.log(rho))

    x = x0
    # pick the first candidate pair of types under which the war is going on at the start
    sA = 0.0
    sD = 0.0
    found = False
    lr_start = math.log((cA0 + sup0 * (1.0 - 0.0)) / (cD0 * m0 + aid0))
    for c in range(CANDIDATES):
        a = tau * types[2 * c]
        d = tau * types[2 * c + 1]
        muA = beta * lr_start + a  # A's believed drift (prior mean of s_D is 0)
        muD = beta * lr_start - d  # D's believed drift (prior mean of s_A is 0)
        pA = _pwin(x, muA, s2)
        pD = _pwin(x, muD, s2)
        cA = cost * 2.0 * (cD0 * m0 + aid0) / (cA0 + sup0 + cD0 * m0 + aid0)
        cD = cost * 2.0 - cA
        VA = pA - cA * _battles(x, muA, s2, pA) / rate
        VD = 1.0 - pD - cD * _battles(x, muD, s2, pD) / rate
        if VA + VD > 1.0 or tau == 0.0:
            sA = a
            sD = d
            found = True
            break
    if not found:
        out[0] = 0.0
        out[1] = NO_WAR
        for k in range(2, NOUT):
            out[k] = math.nan
        return

    decay = 1.0  # (1 - mobilised share at t) / (1 - m0) = exp(-g t), kept by multiplication
    step_decay = math.exp(-g)
    decay_W = math.exp(-g * W)
    rho_W = rho**W
    mA = 0.0  # A's belief about s_D: mean; D's about s_A: mD; common variance v
    mD = 0.0
    v = tau * tau
    S = 1.0
    aid_alive = 1.0
    res_a = res_a0
    res_b = res_b0
    cred_a = cred_a0
    cred_b = cred_b0
    sanc_level = sanc0  # in force at the start (bites in full)
    sec_level = 0.0
    sup = sup0
    pending = 0.0
    # aid and sanctions added during the war: (level, month added) accumulated as ramps
    aid_new = 0.0
    aid_t = 0.0
    sanc_new = 0.0
    sanc_t = 0.0
    costA = 0.0
    costD = 0.0
    gap0 = math.nan
    gap = math.nan
    outcome = ONGOING
    end = 0
    terms = math.nan
    r_lo = math.nan
    r_hi = math.nan
    acc_A = math.nan
    acc_D = math.nan
    nthreat = threats.shape[0]
    jt = 0  # threats are sorted by deadline: the next one not yet resolved
    for t in range(1, months + 1):
        tf = float(t)
        # 1. scheduled events
        row = sched[t]
        if row[0] != 0.0:
            # new aid: ramps in from now; its start is averaged with earlier additions
            aid_t = (
                (aid_t * aid_new + tf * row[0]) / (aid_new + row[0]) if aid_new + row[0] > 0 else tf
            )
            aid_new += row[0]
            if row[0] > 0:
                res_a += r_sig
        if row[1] != 0.0:
            sanc_t = (
                (sanc_t * sanc_new + tf * row[1]) / (sanc_new + row[1])
                if sanc_new + row[1] > 0
                else tf
            )
            sanc_new += row[1]
            if row[1] > 0:
                res_a += r_sig
        if row[2] != 0.0:
            sec_level = min(max(sec_level + row[2], 0.0), 1.0)
            if row[2] > 0:
                res_a += r_sig
        if row[3] != 0.0:
            sup = max(sup + row[3], 0.0)
        if row[4] > 0.0:
            S = S * (1.0 - cut * row[4]) if cut * row[4] < 1.0 else 0.0
            res_b += c_w * row[4]
        if row[5] > 0.0:
            res_b += c_w * row[5]
        pending += row[6]
        while jt < nthreat and threats[jt, 0] < tf:
            jt += 1
        while jt < nthreat and threats[jt, 0] == tf:
            j = jt
            jt += 1
            if True:  # (the body below resolves threat j)
                pending = max(pending - threats[j, 1], 0.0)
                if u_threat[j] < threats[j, 2]:
                    sanc_t = (sanc_t * sanc_new + tf * threats[j, 1]) / (sanc_new + threats[j, 1])
                    sanc_new += threats[j, 1]
                    cred_a += 1.0
                    res_a += r_sig
                else:
                    cred_b += 1.0
                    res_b += r_sig
        if aid_alive > 0.0 and tf >= stop_month and aid0 + aid_new > 0.0:
            aid_alive = 0.0
            res_b += 1.0
        elif aid_alive > 0.0 and aid0 + aid_new > 0.0:
            res_a += 1.0

        # 2. capacities now (the mobilised share decays geometrically: no exp per month)
        decay *= step_decay
        mob_now = 1.0 - (1.0 - m0) * decay
        sanc_now = min(sanc_level + _ramp(sanc_new, sanc_t, s_lag, tf), 1.0)
        capA = (cA0 + sup * (1.0 - sec_eff * sec_level)) * (1.0 - s_eff * sanc_now)
        aid_now = (aid0 + _ramp(aid_new, aid_t, aid_lag, tf)) * aid_alive
        capD = cD0 * mob_now + aid_now
        lr = math.log(capA / capD)
        cA = cost * 2.0 * capD / (capA + capD)
        cD = cost * 2.0 * capA / (capA + capD)

        # 3. values of war under each side's beliefs: talks, fading, or fight on
        muA = beta * lr + sA - mA
        muD = beta * lr + mD - sD
        pA = _pwin(x, muA, s2)
        pD = _pwin(x, muD, s2)
        VA = S * pA - cA * _battles(x, muA, s2, pA) / rate
        VD = S * (1.0 - pD) - cD * _battles(x, muD, s2, pD) / rate
        gap = pA - pD
        if t == 1:
            gap0 = gap
        if t == t_now and S > 0:
            # the least the attacker and the most the defender would accept (terms) now
            acc_A = min(max(VA / S, 0.0), 1.0)
            acc_D = min(max(1.0 - VD / S, 0.0), 1.0)
        if VA + VD <= S:
            # Powell (2006): a side expecting its war share to fall within `window` months
            # cannot be bought off. Capacities expected then (computed only when a range exists):
            cred = cred_a / (cred_a + cred_b)
            sanc_fut = min(
                sanc_level + _ramp(sanc_new, sanc_t, s_lag, tf + W) + cred * pending, 1.0
            )
            capA_f = (cA0 + sup * (1.0 - sec_eff * sec_level)) * (1.0 - s_eff * sanc_fut)
            aid_f = (aid0 + _ramp(aid_new, aid_t, aid_lag, tf + W)) * aid_alive
            mob_f = 1.0 - (1.0 - m0) * decay * decay_W
            # the attacker expects aid to go on with its resolve belief; the defender knows rho
            rho_A = res_a / (res_a + res_b)
            capD_fA = cD0 * mob_f + (aid_f * rho_A**W if aid_f > 0.0 else 0.0)
            lrA_f = math.log(capA_f / capD_fA)
            pA_f = _pwin(x, beta * lrA_f + sA - mA, s2)
            blocked = dW * (pA - pA_f) > (1.0 - dW) * (1.0 - pA + cA * W)
            if not blocked:  # (the defender's side only when the attacker's does not block)
                capD_fD = cD0 * mob_f + aid_f * rho_W
                lrD_f = math.log(capA_f / capD_fD)
                pD_f = 1.0 - _pwin(x, beta * lrD_f + mD - sD, s2)
                pD_n = 1.0 - pD
                blocked = dW * (pD_n - pD_f) > (1.0 - dW) * (1.0 - pD_n + cD * W)
            if not blocked:
                lo = min(max(VA / S, 0.0), 1.0) if S > 0 else 0.0
                hi = min(max(1.0 - VD / S, 0.0), 1.0) if S > 0 else 1.0
                terms = 0.5 * (lo + hi)
                r_lo = lo
                r_hi = hi
                outcome = SETTLED
                end = t
                break
            if VA <= S * x and VD <= S * (1.0 - x):
                outcome = FADED
                end = t
                terms = x
                break

        # 4. a month of war
        costA += cA
        costD += cD
        # (np.uint64(...) keeps the Python fallback in numpy's wrapping uint64 arithmetic)
        h = np.uint64(_mix(np.uint64(key) + np.uint64(t) * _GOLDEN))
        if _unit(h) < rate:
            zt = _ndtri(_unit(np.uint64(_mix(h ^ _C1))))
            mu = beta * lr + sA - sD
            dx = mu + sigma * zt
            # each side reads the change as a signal about the other's type
            # A: y = beta lr + sA - dx = sD - sigma z; D: y = dx - beta lr + sD = sA + sigma z
            prec = 1.0 / v + 1.0 / s2 if v > 0 else 0.0
            if v > 0:
                mA = (mA / v + (beta * lr + sA - dx) / s2) / prec
                mD = (mD / v + (dx - beta * lr + sD) / s2) / prec
                v = 1.0 / prec
            x = x + dx
            if x >= 1.0:
                x = 1.0
                outcome = A_WINS
                end = t
                break
            if x <= 0.0:
                x = 0.0
                outcome = D_WINS
                end = t
                break
    out[0] = end
    out[1] = outcome
    out[2] = terms
    out[3] = costA
    out[4] = costD
    out[5] = x
    out[6] = gap0
    out[7] = gap
    out[8] = r_lo
    out[9] = r_hi
    out[10] = acc_A
    out[11] = acc_D


def _python(fn):
    return getattr(fn, "py_func", fn)


if HAVE_NUMBA:

    @numba.njit(parallel=True, cache=True, error_model="numpy")
    def _run_compiled(par_, sch_, thr_, n_months, typ_, ust_, uth_, key_, out_):
        for i in numba.prange(par_.shape[0]):
            one_path(par_[i], sch_, thr_, n_months, typ_[i], ust_[i], uth_[i], key_[i], out_[i])


def run_paths(*args: object, python: bool = False) -> None:
    """Run a block of paths: the compiled kernel (both cores) when numba is present and
    ``python`` is False, else the same code as Python (identical numbers, much slower)."""
    if HAVE_NUMBA and not python:
        _run_compiled(*args)
        return
    par, sched, threats, months, types, u_stop, u_threat, keys, out = args
    path = _python(one_path)
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps, as in the compiled kernel
        for i in range(par.shape[0]):  # type: ignore[attr-defined]
            path(par[i], sched, threats, months, types[i], u_stop[i], u_threat[i], keys[i], out[i])  # type: ignore[index]
