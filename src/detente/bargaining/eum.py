"""Bueno de Mesquita's expected utility ("challenge") model, as specified by Scholz et al.

Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). "Unravelling Bueno de Mesquita's group
decision model". Journal of Theoretical Politics 23(4):510-531; conference version in Proc.
ICAART 2011, pp. 18-30. The model is Bueno de Mesquita's (1980, 1985, 1994): each actor weighs
the expected utility of challenging every other actor, actors make offers (challenges), and each
actor accepts one offer per round. The paper's appendix gives the procedure; per round:

1. every risk exponent r_i = 1;
2. the win probabilities P_ij from capability x salience weighted votes;
3. the expected utilities E(U_ij) of i challenging j (with Q, T and the median voter mu);
4. the security ("danger") sums sum_j E(U_ji) -> risk R_i -> r_i = (1 - R_i/3) / (1 + R_i/3);
5. steps 2-3 again with these r_i, each actor i judging E^i(U_ij) and E^i(U_ji) with its own r_i;
6. offers by octant of (E^i(U_ij), E^i(U_ji)): confrontation (i loses, moves to x_j),
   compromise (i moves part of the way) or capitulation (i moves to x_j); each actor accepts one.

Where the paper is ambiguous the choice is a parameter (see ``PARAMS``). The readings that
reproduce the paper's Table 2 (the EC car-emissions case of BDM 1994), those of Scholz's own code
as public re-implementations that follow it describe it ("Scholz's code" below), are
``prob_denominator="all"``, ``offer_rule="scholz"``, ``compromise_sign="gain_exceeds_loss"``,
``risk_superscripts="actors"``, 8 rounds and the final median voter as the forecast (``SCHOLZ``
holds the three that differ from the defaults). With them the mean position per round is within
0.061 of Table 2 for rounds 1-8 (tests/oracles/test_eum_scholz.py).

The default point forecast is chosen for stability, on the DEU III training file
(``scripts/fit_deu_defaults.py``): under Scholz's offer rule positions often end in a two-round
alternation, so the round-8 median flips with the round count, and the rule's "lowest weighted
position" tie-break makes the forecast change when a scale is mirrored (x -> 100 - x). The
defaults keep Scholz's offer rule (its permutation-invariant tie rules; the paper's "closest
offer" rule breaks exact ties by actor order) and change the forecast: ``forecast="settled"``,
the median voter averaged over the cycle the positions end in (a fixed point, or a cycle of up
to 6 rounds), which does not change when rounds are added after the cycle is reached; 8 rounds;
and ``symmetric=True``: the forecast is averaged with the run on the mirrored scale, mirrored
back, so that mirroring the scale mirrors the forecast. (Longer runs are not the default: on
cases with exact ties, e.g. integer positions, rounding differences between engines or batch
sizes can flip a tie-break after a dozen or more rounds, and the runs then part.)

Arrays: issues are independent, so the K issues are folded into the batch axis and every round
works on (rows x N x N) pairwise arrays, rows = draws x issues, in chunks that bound memory.
The same round also exists as compiled numba loops (one draw per thread, several times faster);
``engine="auto"`` uses it, and the tests hold both to the plain-loop ``reference_trajectory``.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

from detente.bargaining.engines import numba_available, use_numba
from detente.bargaining.inputs import BargainingInput, ModelResult
from detente.bargaining.registry import Param, register_model
from detente.scenario.errors import DetenteError

PARAMS: tuple[Param, ...] = (
    Param(
        "q",
        1.0,
        "Q: probability each actor assigns to the status quo persisting when not challenged. "
        "Scholz et al. reproduce BDM (1994) with Q = 1.0 (then T and mu drop out).",
        low=0.0,
        high=1.0,
    ),
    Param(
        "t",
        1.0,
        "T: probability that, absent a challenge, a change of the status quo is for the better "
        "(weighs U_b against U_w; matters only when q < 1).",
        low=0.0,
        high=1.0,
    ),
    Param(
        "rounds",
        8,
        "rounds of offers to run (Scholz et al.'s Table 2 shows 8; the model need not converge: "
        "forecast='settled' averages over the cycle it ends in)",
        kind="int",
        low=0,
        high=1000,
    ),
    Param(
        "offer_rule",
        "scholz",
        "which offer an actor accepts: 'scholz' (Scholz's code: a confrontation it loses first, "
        "nearest one; else the compromise with the lowest weighted position "
        "(|E_ij| x_i + |E_ji| x_j)/(|E_ij| + |E_ji|); else the nearest capitulation) or "
        "'closest' (the paper's text and BDM: whatever offer moves it least)",
        kind="choice",
        choices=("scholz", "closest"),
    ),
    Param(
        "risk_superscripts",
        "actors",
        "what the max and min superscripts of the security sum in the risk formula range over: "
        "'actors' (Scholz's reading: every actor's sum_j E(U_j,actor)) or 'positions' (BDM "
        "1985's: actor i's own sum if it stood at each position now held by an actor). Every r "
        "is reset to 1 before this step (appendix step 2), so whose perspective the sums take, "
        "E^i or E^j, makes no difference; only the range of max and min is open",
        kind="choice",
        choices=("actors", "positions"),
    ),
    Param(
        "compromise_sign",
        "gain_exceeds_loss",
        "when j's challenge to i (E^i(U_ji) > 0 > E^i(U_ij)) is a compromise rather than a "
        "capitulation; Scholz et al.'s text and their Figure 6 state this condition with "
        "opposite signs. 'gain_exceeds_loss': compromise when E^i(U_ji) > |E^i(U_ij)|, i moves "
        "the fraction |E^i(U_ij)|/E^i(U_ji) toward x_j (reproduces Table 2); "
        "'loss_exceeds_gain': compromise when |E^i(U_ij)| > E^i(U_ji), fraction "
        "E^i(U_ji)/|E^i(U_ij)|; otherwise i capitulates to x_j",
        kind="choice",
        choices=("gain_exceeds_loss", "loss_exceeds_gain"),
    ),
    Param(
        "prob_denominator",
        "all",
        "denominator of the win probability P_ij = sum_k max(0, v^k_ij) / D: 'pair' (the "
        "paper's formula, D = sum_k |v^k_ij|, so P_ij + P_ji = 1) or 'all' (Scholz's code, "
        "D = sum_k sum_a sum_b |v^k_ab| over every pair of actors; reproduces Table 2)",
        kind="choice",
        choices=("all", "pair"),
    ),
    Param(
        "position_range",
        "positions",
        "the range |x_max - x_min| that normalises distances: 'positions' (of the input "
        "positions, per draw and issue, as in the paper) or 'scale' (the issue's scale ends)",
        kind="choice",
        choices=("positions", "scale"),
    ),
    Param(
        "engine",
        "auto",
        "how rounds are computed, same results up to rounding: 'numpy' (pairwise arrays over "
        "the whole batch), 'numba' (compiled loops, one draw per thread, several times faster) "
        "or 'auto' (numba for large batches when installed, the fast extra; "
        "risk_superscripts='positions' always uses numpy)",
        kind="choice",
        choices=("auto", "numpy", "numba"),
    ),
    Param(
        "forecast",
        "settled",
        "the forecast: the final round's 'median' voter position (BDM's forecast; the "
        "capability x salience weighted median), its weighted 'mean' position, or 'settled': "
        "the median voter averaged over the cycle the positions end in (the last p rounds when "
        "the final state repeats the state p <= 6 rounds before; else the last two rounds)",
        kind="choice",
        choices=("settled", "median", "mean"),
    ),
)

PARAMS = (
    *PARAMS,
    Param(
        "symmetric",
        True,
        "average the forecast with that of the mirrored scale (every position x -> low + high - "
        "x, the forecast mirrored back), so that the forecast does not depend on which end of "
        "the scale is which; the trajectory shown is the unmirrored run's",
        kind="bool",
    ),
)

# Scholz et al.'s reading, which reproduces their Table 2: pass these to get it.
SCHOLZ = {"offer_rule": "scholz", "rounds": 8, "forecast": "median", "symmetric": False}
MAX_PERIOD = 6
_CYCLE_TOL = 1e-9  # share of the positions' range: states equal up to rounding

# Rows x rounds x N^2 from which the compiled engine pays for numba's import and cache load.
COMPILED_WORK = 2_000_000

# Rows x N x N float64 elements per chunk: about 3 MB per pairwise array, so the dozen pairwise
# temporaries stay in cache while numpy's per-call overhead is still amortised (4e5 ran faster
# than 1e5 or 2e6 on 50 actors).
_CHUNK_ELEMENTS = 400_000

_NONE, _CONFRONT, _COMPROMISE, _CAPITULATE = 4, 1, 2, 3


@register_model(
    "eum",
    title="Expected utility (challenge) model",
    citation=(
        "Bueno de Mesquita (1994) in Political Forecasting; as specified by Scholz, Calbert & "
        "Smith (2011), J. Theoretical Politics 23(4):510-531"
    ),
    params=PARAMS,
    dynamic=True,
    tags=("dynamic", "bdm"),
)
def eum(
    inp: BargainingInput,
    *,
    q: float = 1.0,
    t: float = 1.0,
    rounds: int = 8,
    offer_rule: str = "scholz",
    risk_superscripts: str = "actors",
    compromise_sign: str = "gain_exceeds_loss",
    prob_denominator: str = "all",
    position_range: str = "positions",
    engine: str = "auto",
    forecast: str = "settled",
    symmetric: bool = True,
) -> ModelResult:
    """Run the expected utility model for ``rounds`` rounds on every draw and issue.

    Returns a ModelResult with ``trajectory`` (B, rounds+1, N, K), round 0 being the input, and
    ``final_positions``; ``forecast`` (B, K) is the median voter averaged over the final cycle
    (``forecast="settled"``), the final round's median voter (``"median"``) or its mean
    (``"mean"``); ``extras["cycle_period"]`` (B, K) is that cycle's length (0: none found) and
    ``extras["converged"]`` whether there is one. ``extras["median_voter"]`` and
    ``extras["mean"]`` hold both per round, (B, rounds+1, K): Scholz et al.'s Table 2 lists
    them for rounds 1..8, which are rounds 1..8 here (after each round of offers; round 0 is
    the input state).

    The median voter is the position held by an actor that minimises sum_k c_k s_k |x_k - x|
    (the Condorcet winner of capability x salience weighted votes); when two positions tie, their
    midpoint. The mean is sum_k c_k s_k x_k / sum_k c_k s_k.
    """
    values = {
        "q": q,
        "t": t,
        "rounds": rounds,
        "offer_rule": offer_rule,
        "risk_superscripts": risk_superscripts,
        "compromise_sign": compromise_sign,
        "prob_denominator": prob_denominator,
        "position_range": position_range,
        "engine": engine,
        "forecast": forecast,
        "symmetric": symmetric,
    }
    for p in PARAMS:  # direct calls get the same checks as calls through the registry
        values[p.name] = p.check("eum", values[p.name])
    _check_input(inp)
    if symmetric:
        plain = {**values, "symmetric": False}
        res = eum(inp, **plain)
        # Mirror about the centre of the range the model normalises by: the positions' (exact
        # for a unanimous issue: 2c - c == c) or the scale's.
        if position_range == "positions":
            ends = inp.positions.min(axis=1) + inp.positions.max(axis=1)  # (B, K)
        else:
            ends = np.broadcast_to(
                np.asarray(inp.scale_low, float) + np.asarray(inp.scale_high, float),
                res.forecast.shape,
            )
        mirrored = dataclasses.replace(
            inp,
            positions=ends[:, None, :] - inp.positions,
            reference=ends - inp.reference_batch(),
        )
        other = eum(mirrored, **plain)
        back = ends - other.forecast
        res.extras["converged"] = res.extras["converged"] & other.extras["converged"]
        res.extras["forecast_unmirrored"] = res.forecast
        res.extras["forecast_mirrored"] = back
        res.forecast = 0.5 * (res.forecast + back)
        res.extras["forecast_kind"] += ", averaged with the mirrored scale's"
        return res
    b, n, k = inp.positions.shape
    rounds = int(values["rounds"])  # type: ignore[call-overload]

    # Fold issues into rows: issues never interact in this model.
    x = np.ascontiguousarray(inp.positions.transpose(0, 2, 1).reshape(b * k, n), dtype=float)
    sal = np.ascontiguousarray(inp.saliences.transpose(0, 2, 1).reshape(b * k, n), dtype=float)
    cap = np.repeat(np.asarray(inp.capabilities, dtype=float), k, axis=0)
    w = cap * sal
    if position_range == "positions":
        lo = x.min(axis=1)
        width = x.max(axis=1) - lo
    else:
        lo = np.tile(np.asarray(inp.scale_low, dtype=float), b)
        width = np.tile(np.asarray(inp.scale_high, dtype=float), b) - lo
    # A zero range means every actor already agrees (or a degenerate scale): nothing can move.
    width = np.where(width > 0, width, 1.0)
    u0 = (x - lo[:, None]) / width[:, None]

    settings = _Settings(
        q=float(values["q"]),  # type: ignore[arg-type]
        t=float(values["t"]),  # type: ignore[arg-type]
        offer_rule=offer_rule,
        risk=risk_superscripts,
        gain=compromise_sign == "gain_exceeds_loss",
        all_denominator=prob_denominator == "all",
        compiled=risk_superscripts == "actors"
        and rounds > 0
        and use_numba(engine, b * k * rounds * n * n, COMPILED_WORK, "eum"),
    )
    traj_u = _simulate(u0, w, sal, rounds, settings)  # (rows, T+1, N)
    traj = lo[:, None, None] + traj_u * width[:, None, None]
    traj[:, 0, :] = x  # round 0 is the input exactly, not its round trip through [0, 1]

    w_t = np.broadcast_to(w[:, None, :], traj.shape)
    med = weighted_median_rows(traj, w_t)  # (rows, T+1)
    mean = weighted_mean_rows(traj, w_t)

    trajectory = traj.reshape(b, k, rounds + 1, n).transpose(0, 2, 3, 1)
    med_b = med.reshape(b, k, rounds + 1).transpose(0, 2, 1)
    mean_b = mean.reshape(b, k, rounds + 1).transpose(0, 2, 1)
    period_u = settled_period(traj_u)  # (rows,)
    settled_u = settled_values(med, period_u)
    period = period_u.reshape(b, k)
    if forecast == "median":
        fc = med_b[:, -1, :]
    elif forecast == "mean":
        fc = mean_b[:, -1, :]
    else:
        fc = settled_u.reshape(b, k)
    return ModelResult(
        "eum",
        forecast=np.ascontiguousarray(fc),
        final_positions=np.ascontiguousarray(trajectory[:, -1]),
        trajectory=np.ascontiguousarray(trajectory),
        rounds=np.full(b, rounds, dtype=int),
        extras={
            "median_voter": np.ascontiguousarray(med_b),
            "mean": np.ascontiguousarray(mean_b),
            "forecast_kind": f"{forecast} of round {rounds}",
            "cycle_period": np.ascontiguousarray(period),
            "converged": np.ascontiguousarray(period > 0),
        },
    )


class _Settings:
    __slots__ = ("q", "t", "offer_rule", "risk", "gain", "all_denominator", "compiled")

    def __init__(
        self,
        q: float,
        t: float,
        offer_rule: str,
        risk: str,
        gain: bool,
        all_denominator: bool,
        compiled: bool = False,
    ) -> None:
        self.q, self.t, self.offer_rule, self.risk = q, t, offer_rule, risk
        self.gain, self.all_denominator = gain, all_denominator
        self.compiled = compiled


def _check_input(inp: BargainingInput) -> None:
    if inp.positions.ndim != 3 or inp.positions.shape[1] < 1:
        raise DetenteError("eum needs positions shaped (draws, actors, issues) with an actor")
    if inp.saliences.shape != inp.positions.shape:
        raise DetenteError(
            f"eum: saliences shape {inp.saliences.shape} differs from positions shape "
            f"{inp.positions.shape}"
        )
    if inp.capabilities.shape != inp.positions.shape[:2]:
        raise DetenteError(
            f"eum: capabilities shape {inp.capabilities.shape} is not (draws, actors) = "
            f"{inp.positions.shape[:2]}"
        )
    for name, arr in (
        ("positions", inp.positions),
        ("saliences", inp.saliences),
        ("capabilities", inp.capabilities),
    ):
        if not np.all(np.isfinite(arr)):
            raise DetenteError(f"eum: {name} must be finite numbers (found NaN or inf)")
    if np.any((inp.saliences < 0) | (inp.saliences > 1)):
        raise DetenteError("eum: saliences must lie in [0, 1] (rescale 0-100 saliences by 1/100)")
    if np.any(inp.capabilities < 0):
        raise DetenteError("eum: capabilities must be >= 0")


# ----------------------------------------------------------------------------------------------
# Summaries


def weighted_median_rows(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Median voter along the last axis: the x_a minimising sum_k w_k |x_k - x_a|.

    That position beats every other in pairwise votes weighted by w (its cumulative weight
    reaches half). Ties (cumulative weight exactly half) give the midpoint of the two tied
    positions, so the result does not depend on the order of the actors. Zero total weight
    counts every actor the same.
    """
    total = w.sum(axis=-1, keepdims=True)
    w = np.where(total > 0, w, 1.0)
    order = np.argsort(x, axis=-1, kind="stable")
    xs = np.take_along_axis(x, order, axis=-1)
    cum = np.cumsum(np.take_along_axis(w, order, axis=-1), axis=-1)
    half = 0.5 * cum[..., -1:]
    tol = 1e-12 * cum[..., -1:]  # cumulative float sums rarely hit half exactly
    first = np.argmax(cum >= half - tol, axis=-1)[..., None]
    lower = np.take_along_axis(xs, first, axis=-1)[..., 0]
    at_half = np.abs(np.take_along_axis(cum, first, axis=-1) - half)[..., 0] <= tol[..., 0]
    upper = np.take_along_axis(xs, np.minimum(first + 1, x.shape[-1] - 1), axis=-1)[..., 0]
    return np.where(at_half, 0.5 * (lower + upper), lower)


def settled_period(traj: np.ndarray, max_period: int = MAX_PERIOD) -> np.ndarray:
    """(rows,) the smallest p <= max_period with the final state equal to the state p rounds
    before (p = 1: a fixed point; 2: the two-round alternation), 0 where there is none.

    traj: (rows, T+1, N) positions normalised to [0, 1] per row.
    """
    rows, t1, _ = traj.shape
    last = traj[:, -1, :]
    period = np.zeros(rows, dtype=np.int64)
    for p in range(max_period, 0, -1):  # smallest period last, so it wins
        if t1 - 1 - p < 0:
            continue
        same = np.all(np.abs(last - traj[:, -1 - p, :]) <= _CYCLE_TOL, axis=1)
        period = np.where(same, p, period)
    return period


def settled_values(values: np.ndarray, period: np.ndarray) -> np.ndarray:
    """(rows,) the mean of ``values`` (rows, T+1) over each row's final cycle: the last
    ``period`` rounds, or the last two where no cycle was found (period 0)."""
    t1 = values.shape[1]
    span = np.where(period > 0, period, 2)
    span = np.minimum(span, t1)
    idx = np.arange(t1)[None, :]
    mask = idx >= (t1 - span)[:, None]
    return (values * mask).sum(axis=1) / mask.sum(axis=1)


def weighted_mean_rows(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """sum_k w_k x_k / sum_k w_k along the last axis (equal weights when all are zero)."""
    total = w.sum(axis=-1, keepdims=True)
    w = np.where(total > 0, w, 1.0)
    return (w * x).sum(axis=-1) / w.sum(axis=-1)


# ----------------------------------------------------------------------------------------------
# The rounds


def _simulate(
    u0: np.ndarray, w: np.ndarray, s: np.ndarray, rounds: int, cfg: _Settings
) -> np.ndarray:
    """Trajectories (rows, rounds+1, N) of normalised positions; rows are processed in chunks."""
    rows, n = u0.shape
    out = np.empty((rows, rounds + 1, n))
    out[:, 0] = u0
    if cfg.compiled and cfg.risk == "actors" and rounds > 0:
        from detente.bargaining.eum_numba import nb_simulate

        nb_simulate(
            np.ascontiguousarray(u0),
            np.ascontiguousarray(w),
            np.ascontiguousarray(s),
            rounds,
            cfg.q,
            cfg.t,
            cfg.gain,
            cfg.all_denominator,
            cfg.offer_rule == "scholz",
            out,
        )
        return out
    per_row = n * n * (n if cfg.risk == "positions" else 1)
    chunk = max(1, _CHUNK_ELEMENTS // max(per_row, 1))
    for start in range(0, rows, chunk):
        sl = slice(start, min(rows, start + chunk))
        u, ww, ss = u0[sl], w[sl], s[sl]
        for r in range(rounds):
            u = _round(u, ww, ss, cfg)
            out[sl, r + 1] = u
    return out


def _round(u: np.ndarray, w: np.ndarray, s: np.ndarray, cfg: _Settings) -> np.ndarray:
    """One round of the procedure on normalised positions u (rows, N); returns the new u."""
    m, n = u.shape
    if n < 2:
        return u.copy()
    order = np.argsort(u, axis=1, kind="stable")
    us = np.take_along_axis(u, order, axis=1)  # voters sorted by position
    ws = np.take_along_axis(w, order, axis=1)
    ui, uj = u[:, :, None], u[:, None, :]
    d = np.abs(ui - uj)  # d[i, j] = |x_i - x_j| / range
    lt, gt = ui < uj, ui > uj
    # Voters strictly nearer i than j lie strictly on i's side of the midpoint (whatever their
    # risk exponent), so one batched search over the sorted positions replaces the N^3 vote sum.
    below = _count_below(us, 0.5 * (ui + uj))
    dist = np.abs(ui - us[:, None, :])  # dist[a, k] = |x_a - x_k| of actor a and sorted voter k
    sort_idx = np.argsort(dist, axis=1) if cfg.all_denominator else None
    mu = weighted_median_rows(u, w)
    mu_dist = np.abs(u - mu[:, None])  # |x_c - mu| of each (challenger) actor c

    # Steps 2-4 with r = 1: expected utilities of every challenge -> security sums -> risk.
    p1 = _win_probabilities(dist, ws, below, lt, gt, None, sort_idx, cfg)
    if cfg.risk == "actors":
        e1 = _eu_r1(p1, d, s, mu_dist, cfg)  # e1[c, t]: challenger c against target t
        np.einsum("bii->bi", e1)[...] = 0.0  # nobody challenges itself
        danger = e1.sum(axis=1)  # sum_j E(U_ji) for each target i
        hi, lo = danger.max(axis=1, keepdims=True), danger.min(axis=1, keepdims=True)
    else:
        danger, hi, lo = _danger_over_positions(u, w, s, mu, cfg)
    span = hi - lo
    risk = np.where(span > 0, (2.0 * danger - hi - lo) / np.where(span > 0, span, 1.0), 0.0)
    r = (1.0 - risk / 3.0) / (1.0 + risk / 3.0)  # in [0.5, 2]

    # Step 5: the same with each actor's own r (votes use the voter's r, utilities the judge's).
    p2 = _win_probabilities(
        dist, ws, below, lt, gt, np.take_along_axis(r, order, axis=1), sort_idx, cfg
    )
    e_ij, e_ji = _eu_perspective(p2, d, s, r, mu_dist, cfg)
    return _accept_offers(u, e_ij, e_ji, cfg)


def _count_below(sorted_rows: np.ndarray, queries: np.ndarray) -> np.ndarray:
    """For each row b and query value, how many of sorted_rows[b] are strictly below it.

    One np.searchsorted over all rows at once: each row is shifted onto its own stretch of the
    real line, rows never overlap. The shift costs a few ulps of resolution (1e-11 for 10^5
    rows), far below anything the model distinguishes.
    """
    m, n = sorted_rows.shape
    base = sorted_rows[:, :1]
    stride = float(np.max(sorted_rows[:, -1] - sorted_rows[:, 0], initial=0.0)) * 2.0 + 4.0
    offset = (np.arange(m, dtype=float) * stride)[:, None]
    keys = ((sorted_rows - base) + offset).ravel()
    qshape = queries.shape
    q = (queries.reshape(m, -1) - base) + offset
    idx = np.searchsorted(keys, q.ravel(), side="left").reshape(m, -1)
    idx -= (np.arange(m) * n)[:, None]
    return np.clip(idx, 0, n).reshape(qshape)


def _win_probabilities(
    dist: np.ndarray,
    ws: np.ndarray,
    below: np.ndarray,
    lt: np.ndarray,
    gt: np.ndarray,
    r_sorted: np.ndarray | None,
    sort_idx: np.ndarray | None,
    cfg: _Settings,
) -> np.ndarray:
    """P[i, j]: probability that i wins a contest with j (Scholz et al. sec. 4).

    Voter k's vote for i over j is v^k_ij = w_k (|x_k - x_j|^r_k - |x_k - x_i|^r_k) on the
    normalised scale; P_ij = sum_k max(0, v^k_ij) / D with D per ``prob_denominator``.
    """
    m, n, _ = dist.shape
    util = dist if r_sorted is None else dist ** r_sorted[:, None, :]  # util[a, k]
    cum = np.zeros((m, n, n + 1))
    np.cumsum(util * ws[:, None, :], axis=2, out=cum[:, :, 1:])
    total = cum[:, :, -1]
    flat = cum.reshape(m, n * (n + 1))
    col = np.arange(n) * (n + 1)
    c_j = np.take_along_axis(flat, (col[None, None, :] + below).reshape(m, -1), axis=1)
    c_i = np.take_along_axis(flat, (col[None, :, None] + below).reshape(m, -1), axis=1)
    c_j, c_i = c_j.reshape(m, n, n), c_i.reshape(m, n, n)
    # x_i < x_j: i's voters are those below the midpoint; x_i > x_j: those above it.
    num = np.where(
        lt, c_j - c_i, np.where(gt, (total[:, None, :] - c_j) - (total[:, :, None] - c_i), 0.0)
    )
    np.maximum(num, 0.0, out=num)  # rounding at the midpoint must not make a vote negative
    if cfg.all_denominator:
        # sum_a sum_b |y_a - y_b| = 2 sum_m (2m - n + 1) y_(m) over y sorted ascending.
        assert sort_idx is not None
        ranked = np.take_along_axis(util, sort_idx, axis=1)  # sorted over a for each voter k
        coef = 2.0 * (2.0 * np.arange(n) - n + 1.0)
        den = np.einsum("bak,a,bk->b", ranked, coef, ws)[:, None, None]
    else:
        den = num + num.transpose(0, 2, 1)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _eu_r1(
    p: np.ndarray, d: np.ndarray, s: np.ndarray, mu_dist: np.ndarray, cfg: _Settings
) -> np.ndarray:
    """E(U_ct) of challenger c against target t with every r = 1 (step 7 of the appendix).

    With r = 1: U_s = 2d, U_f = -2d, U_sq = 0, U_b = A, U_w = -A, A = |x_c - mu| + d.
    """
    st = s[:, None, :]
    e = st * (p * 2.0 * d - (1.0 - p) * 2.0 * d) + (1.0 - st) * 2.0 * d
    if cfg.q < 1.0:
        e -= (1.0 - cfg.q) * (2.0 * cfg.t - 1.0) * (mu_dist[:, :, None] + d)
    return e


def _eu_perspective(
    p: np.ndarray,
    d: np.ndarray,
    s: np.ndarray,
    r: np.ndarray,
    mu_dist: np.ndarray,
    cfg: _Settings,
) -> tuple[np.ndarray, np.ndarray]:
    """(E^i(U_ij), E^i(U_ji)) for every i, j: both as actor i sees them, with i's r_i.

    E^i(U_ij) = s_j (P_ij U_s + (1 - P_ij) U_f) + (1 - s_j) U_s - Q U_sq
                - (1 - Q) (T U_b + (1 - T) U_w)            (Scholz et al. eq. 1)
    with U_s = 2 - 4 (0.5 - 0.5 d_ij)^r_i, U_f = 2 - 4 (0.5 + 0.5 d_ij)^r_i,
    U_sq = 2 - 4 (0.5)^r_i, U_b/w = 2 - 4 (0.5 -/+ 0.25 (|x_c - mu| + d_ij))^r_i for challenger c.
    """
    ri = r[:, :, None]
    half_d = 0.5 * d
    # Bases are clipped at 0: only positions outside the declared scale ('scale' range) reach it.
    u_s = 2.0 - 4.0 * np.maximum(0.5 - half_d, 0.0) ** ri
    u_f = 2.0 - 4.0 * (0.5 + half_d) ** ri
    u_sq = 2.0 - 4.0 * 0.5**ri
    sj, si = s[:, None, :], s[:, :, None]
    pt = p.transpose(0, 2, 1)
    e_ij = sj * (p * u_s + (1.0 - p) * u_f) + (1.0 - sj) * u_s - cfg.q * u_sq
    e_ji = si * (pt * u_s + (1.0 - pt) * u_f) + (1.0 - si) * u_s - cfg.q * u_sq
    if cfg.q < 1.0:
        for e, mdist in ((e_ij, mu_dist[:, :, None]), (e_ji, mu_dist[:, None, :])):
            a = 0.25 * (mdist + d)
            u_b = 2.0 - 4.0 * np.maximum(0.5 - a, 0.0) ** ri
            u_w = 2.0 - 4.0 * (0.5 + a) ** ri
            e -= (1.0 - cfg.q) * (cfg.t * u_b + (1.0 - cfg.t) * u_w)
    return e_ij, e_ji


def _accept_offers(u: np.ndarray, e_ij: np.ndarray, e_ji: np.ndarray, cfg: _Settings) -> np.ndarray:
    """Each actor i takes one offer from the j with E^i(U_ji) > 0 and moves (sec. 6).

    Octants, as i sees them: E_ji > E_ij > 0, a confrontation i loses: i moves to x_j.
    E_ji > 0 > E_ij: a compromise (i moves part of the way to x_j) or a capitulation (all the
    way), per ``compromise_sign``. Every other octant leaves i where it is.
    """
    m, n = u.shape
    ui, uj = u[:, :, None], u[:, None, :]
    mag_ij = np.abs(e_ij)
    cls = np.full(e_ij.shape, _NONE, dtype=np.int8)
    target = np.broadcast_to(uj, e_ij.shape).copy()  # where i would move
    confront = (e_ji > e_ij) & (e_ij > 0)
    lopsided = (e_ji > 0) & (e_ij < 0)
    if cfg.gain:
        comp = lopsided & (e_ji > mag_ij)
        frac = mag_ij / np.where(comp, e_ji, 1.0)
    else:
        comp = lopsided & (mag_ij > e_ji)
        frac = e_ji / np.where(comp, mag_ij, 1.0)
    capit = lopsided & ~comp
    cls[capit] = _CAPITULATE
    cls[comp] = _COMPROMISE
    cls[confront] = _CONFRONT
    cls[ui == uj] = _NONE  # no contest between actors who already agree (and never with itself)
    target = np.where(comp, ui + (uj - ui) * frac, target)

    if cfg.offer_rule == "scholz":
        best = cls.min(axis=2, keepdims=True)
        eligible = (cls == best) & (best != _NONE)
        # Scholz's code ranks compromises by their weighted position, the rest by distance.
        wpos = (mag_ij * ui + np.abs(e_ji) * uj) / np.where(comp, mag_ij + np.abs(e_ji), 1.0)
        key = np.where(cls == _COMPROMISE, wpos, np.abs(target - ui))
    else:
        eligible = cls != _NONE
        key = np.abs(target - ui)
    key = np.where(eligible, key, np.inf)
    kmin = key.min(axis=2, keepdims=True)
    # Ties in the key (e.g. two confrontations at the same distance, one on either side) go to
    # the sender that threatens most (largest E^i(U_ji)), then to the lowest position, so the
    # outcome does not depend on the order in which actors are listed.
    tied = eligible & (key == kmin)
    threat = np.where(tied, e_ji, -np.inf)
    tied &= threat == threat.max(axis=2, keepdims=True)
    pick = np.where(tied, target, np.inf).min(axis=2)
    return np.where(np.isfinite(pick), pick, u)


def _danger_over_positions(
    u: np.ndarray, w: np.ndarray, s: np.ndarray, mu: np.ndarray, cfg: _Settings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Security sums for ``risk_superscripts="positions"`` (BDM 1985's reading).

    For every actor i and every position p now held by some actor, the sum over j != i of
    E(U_ji) (r = 1) if i alone stood at p, everything else (mu included) as it is. Returns i's
    actual sum and its max and min over p, each (rows, N). Costs O(N^4) per row and round.
    """
    m, n = u.shape
    out = np.empty((m, n, n))  # out[i, p]
    eye = np.eye(n, dtype=bool)
    for p in range(n):
        # Hypothetical states: row-block (b, i) has x_i replaced by the p-th actor's position.
        x_h = np.broadcast_to(u[:, None, :], (m, n, n)).copy()  # [b, i, a]
        x_h[:, eye] = u[:, p][:, None]
        xh = x_h.reshape(m * n, n)
        wh = np.repeat(w, n, axis=0)
        sh = np.repeat(s, n, axis=0)
        order = np.argsort(xh, axis=1, kind="stable")
        xs = np.take_along_axis(xh, order, axis=1)
        wsrt = np.take_along_axis(wh, order, axis=1)
        xi, xj = xh[:, :, None], xh[:, None, :]
        dist = np.abs(xi - xs[:, None, :])
        below = _count_below(xs, 0.5 * (xi + xj))
        sort_idx = np.argsort(dist, axis=1) if cfg.all_denominator else None
        prob = _win_probabilities(dist, wsrt, below, xi < xj, xi > xj, None, sort_idx, cfg)
        dd = np.abs(xi - xj)
        mu_dist = np.abs(xh - np.repeat(mu, n)[:, None])
        e1 = _eu_r1(prob, dd, sh, mu_dist, cfg).reshape(m, n, n, n)  # [b, i, c, t]
        # i's own sum: challengers c != i against target i, in the state where i moved.
        col = e1[:, np.arange(n), :, np.arange(n)].transpose(1, 0, 2)  # [b, i, c]
        col = np.where(eye[None], 0.0, col)
        out[:, :, p] = col.sum(axis=2)
    # The actual state is among the candidates (p = i itself).
    actual = np.einsum("bii->bi", out).copy()
    return actual, out.max(axis=2), out.min(axis=2)


def _numba_available() -> bool:
    return numba_available()


# ----------------------------------------------------------------------------------------------
# A straightforward reference: one draw, one issue, plain Python loops that follow the paper's
# formulas literally (an O(N^3) vote sum per round, no sorting tricks). It is the per-draw
# baseline of the benchmark and an independent check of the array code in the tests.


def reference_trajectory(
    positions: list[float] | np.ndarray,
    saliences: list[float] | np.ndarray,
    capabilities: list[float] | np.ndarray,
    *,
    q: float = 1.0,
    t: float = 1.0,
    rounds: int = 8,
    offer_rule: str = "scholz",
    compromise_sign: str = "gain_exceeds_loss",
    prob_denominator: str = "all",
) -> list[list[float]]:
    """Positions per round (rounds+1 lists of N) for one draw and one issue, by plain loops.

    Same model and defaults as :func:`eum` with ``risk_superscripts="actors"`` and
    ``position_range="positions"``; slow (pure Python), for checking and benchmarking only.
    """
    x = [float(v) for v in positions]
    s = [float(v) for v in saliences]
    c = [float(v) for v in capabilities]
    n = len(x)
    rng = (max(x) - min(x)) or 1.0
    w = [c[k] * s[k] for k in range(n)]
    out = [list(x)]
    for _ in range(rounds):
        mu = _ref_median(x, w)

        def probability(i: int, j: int, r: list[float], x: list[float] = x) -> float:
            if x[i] == x[j]:
                return 0.0
            num = den = 0.0
            for k in range(n):
                v = w[k] * ((abs(x[k] - x[j]) / rng) ** r[k] - (abs(x[k] - x[i]) / rng) ** r[k])
                num += max(v, 0.0)
                den += abs(v)
            if prob_denominator == "all":
                den = all_votes(r)
            return num / den if den > 0 else 0.0

        @functools.cache
        def _all_votes(r: tuple[float, ...], x: tuple[float, ...] = tuple(x)) -> float:
            # Scholz's code: every voter's |vote| over every ordered pair of actors.
            return sum(
                w[k] * abs((abs(x[k] - x[a]) / rng) ** r[k] - (abs(x[k] - x[b]) / rng) ** r[k])
                for k in range(n)
                for a in range(n)
                for b in range(n)
            )

        def all_votes(r: list[float]) -> float:
            return _all_votes(tuple(r))

        def eu(i: int, j: int, ri: float, p: float, x: list[float] = x, mu: float = mu) -> float:
            # E(U_ij), i challenging j, utilities with exponent ri (the judging actor's).
            d = abs(x[i] - x[j]) / rng
            u_s = 2 - 4 * max(0.5 - 0.5 * d, 0.0) ** ri
            u_f = 2 - 4 * (0.5 + 0.5 * d) ** ri
            a = 0.25 * (abs(x[i] - mu) / rng + d)
            u_b = 2 - 4 * max(0.5 - a, 0.0) ** ri
            u_w = 2 - 4 * (0.5 + a) ** ri
            u_sq = 2 - 4 * 0.5**ri
            return (
                s[j] * (p * u_s + (1 - p) * u_f)
                + (1 - s[j]) * u_s
                - q * u_sq
                - (1 - q) * (t * u_b + (1 - t) * u_w)
            )

        ones = [1.0] * n
        danger = [
            sum(eu(j, i, 1.0, probability(j, i, ones)) for j in range(n) if j != i)
            for i in range(n)
        ]
        hi, lo = max(danger), min(danger)
        r = [1.0] * n
        if hi > lo:
            r = [
                (1 - (2 * dg - hi - lo) / (hi - lo) / 3) / (1 + (2 * dg - hi - lo) / (hi - lo) / 3)
                for dg in danger
            ]
        prob = [[probability(i, j, r) for j in range(n)] for i in range(n)]
        new = list(x)
        for i in range(n):
            offers = []  # (class, key, -threat, new position)
            for j in range(n):
                if i == j or x[i] == x[j]:
                    continue
                e_ij = eu(i, j, r[i], prob[i][j])
                e_ji = eu(j, i, r[i], prob[j][i])
                kind, target = None, x[j]
                if e_ji > e_ij > 0:
                    kind = 1
                elif e_ji > 0 > e_ij:
                    small_loss = e_ji > abs(e_ij)
                    if (compromise_sign == "gain_exceeds_loss") == small_loss:
                        kind = 2
                        frac = abs(e_ij) / e_ji if small_loss else e_ji / abs(e_ij)
                        target = x[i] + (x[j] - x[i]) * frac
                    else:
                        kind = 3
                if kind is None:
                    continue
                if offer_rule == "scholz" and kind == 2:
                    key = (abs(e_ij) * x[i] + abs(e_ji) * x[j]) / (abs(e_ij) + abs(e_ji))
                else:
                    key = abs(target - x[i])
                offers.append((kind if offer_rule == "scholz" else 0, key, -e_ji, target))
            if offers:
                new[i] = min(offers)[3]
        x = new
        out.append(list(x))
    return out


def _ref_median(x: list[float], w: list[float]) -> float:
    # The actor position minimising sum_k w_k |x_k - p|; exact ties give the midpoint.
    if sum(w) <= 0:
        w = [1.0] * len(x)
    cost = [sum(wk * abs(xk - p) for xk, wk in zip(x, w, strict=True)) for p in x]
    best = min(cost)
    tied = [p for p, cst in zip(x, cost, strict=True) if cst <= best + 1e-12 * (abs(best) + 1)]
    return 0.5 * (min(tied) + max(tied))
