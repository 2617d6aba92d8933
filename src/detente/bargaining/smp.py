"""KTAB's Spatial Model of Politics (SMP), vectorised over actors and over a batch of draws.

The SMP is the bargaining model of the KAPSARC Toolkit for Behavioral Analysis (KTAB, command-line
solver ``smpc``): B. Wise, J. Lester and B. Efird, the KTAB SMP documentation and "China's
state-owned enterprise reform" (Efird, Lester & Wise, KAPSARC 2016); its outcome probabilities
come from "probabilistic Condorcet elections" (PCE; B. Wise, "Probabilistic Condorcet Elections",
KAPSARC working papers, and Wise, Efird & Lester on PCE-based bargaining models). Actors sit at
points of [0, 1]^K (one dimension per issue), value positions by a salience-weighted distance
curved by a risk attitude inferred from a PCE, challenge the actor they gain most from, and resolve
the bargains they take part in by a PCE among all actors. This module follows, turn by turn, the
description in ``shared/reference/ktab-smp-spec.md`` (KTAB's defaults), and reproduces smpc's
reference runs exactly (tests/oracles/test_smp_ktab.py).

Cost per turn is O(B N^3 + B N^2 K). The three O(N^3) reductions - the challenge evaluation
(N initiators x N targets x N third parties), the PCE coalition strengths and the valuation of
every bargain by every actor - run in :mod:`detente.bargaining.smp_kernels`: numpy loops over
the summed axis for small cases, compiled numba loop nests (the ``fast`` extra, no N^3
temporaries) for large batches, with bit-identical numbers; the rest is numpy broadcasting over
the batch. The only Python loop is over turns (batch elements that have stopped drop out).
"""

from __future__ import annotations

import numpy as np

from detente.bargaining import smp_kernels as kernels
from detente.bargaining.inputs import BargainingInput, ModelResult
from detente.bargaining.registry import Param, register_model

# smpc's default PRNG seed (0xD67CC16FE69C185C), used for stochastic runs given no seed.
_KTAB_SEED = 15455440707583219804
# A challenge must be worth more than this to be made.
_MIN_GAIN = 1e-5
# Keeps the interpolated bargain defined when both weights vanish.
_INTERP_EPS = 1e-6
# Stopping rule denominator guard (the first step can be zero).
_STEP_EPS = 1e-4
# Positions closer than this (Euclidean, unit scale; 0.1 on 0-100) are one option when reporting
# probabilities, as smpc does (its posTol); this reproduces its printed probabilities.
_SAME_TOL = 1e-3
# Batch elements are evaluated in chunks so that the (B, N, N, K) temporaries stay around this
# many floats.
_CHUNK_FLOATS = 4_000_000

_R_RANGES = {"mid": (-0.5, 1.0), "wide": (-1.0, 1.0), "averse": (0.0, 1.0), "neutral": (0.0, 0.0)}
_R_ADJUST = {"full": 1.0, "two_thirds": 2 / 3, "half": 0.5, "one_third": 1 / 3, "none": 0.0}
_VPM_POWER = {"linear": 1.0, "square": 2.0, "quartic": 4.0, "octic": 8.0}

PARAMS = (
    Param("max_turns", 100, "stop after this many turns at the latest", kind="int", low=1),
    Param("min_turns", 2, "never stop before this many turns", kind="int", low=1),
    Param(
        "stop_ratio",
        0.02,
        "stop when a turn's total movement falls below this fraction of the first turn's",
        low=0.0,
    ),
    Param(
        "transitions",
        "deterministic",
        "deterministic: each actor takes its most probable bargain (KTAB default); stochastic: "
        "it draws one with the PCE probabilities (reproducible with seed)",
        kind="choice",
        choices=("deterministic", "stochastic"),
    ),
    Param(
        "seed",
        None,
        "seed of the stochastic transitions (numpy Generator); none: KTAB's default seed",
        kind="int",
        low=0,
    ),
    Param(
        "voting_rule",
        "proportional",
        "vote as a function of the utility difference du: proportional w*du (KTAB default), "
        "binary w*sign(du), cubic w*du^3",
        kind="choice",
        choices=("proportional", "binary", "cubic"),
    ),
    Param(
        "victory_model",
        "linear",
        "P(a beats b) = C_ab^q / (C_ab^q + C_ba^q) with q = 1 (linear, default), 2, 4 or 8",
        kind="choice",
        choices=tuple(_VPM_POWER),
    ),
    Param(
        "big_r_range",
        "mid",
        "range of the inferred risk attitudes: mid [-0.5, 1] (KTAB default), wide [-1, 1], "
        "averse [0, 1], neutral (all 0)",
        kind="choice",
        choices=tuple(_R_RANGES),
    ),
    Param(
        "big_r_adjust",
        "one_third",
        "how much of i's true risk attitude h sees: r^h_i = f R_i + (1-f) R_h with f = 1/3 "
        "(one_third, default), 1, 2/3, 1/2 or 0",
        kind="choice",
        choices=tuple(_R_ADJUST),
    ),
    Param(
        "third_party_commit",
        "semi",
        "semi: third parties weigh the expected result of joining either side (KTAB default); "
        "full: they vote their plain preference between the two positions",
        kind="choice",
        choices=("semi", "full"),
    ),
    Param(
        "engine",
        "auto",
        "how the O(N^3) sums run, the same numbers either way: 'numpy', 'numba' (compiled, "
        "the fast extra) or 'auto' (numba for large batches when installed)",
        kind="choice",
        choices=("auto", "numpy", "numba"),
    ),
    Param(
        "ideal_adjust",
        1.0,
        "rate at which ideals follow positions each turn (1: ideal = position, KTAB default)",
        low=0.0,
        high=1.0,
    ),
)


@register_model(
    "smp",
    title="KTAB Spatial Model of Politics (probabilistic Condorcet elections)",
    citation=(
        "KAPSARC Toolkit for Behavioral Analysis (KTAB), smpc; B. Efird, J. Lester & B. Wise, "
        "China's state-owned enterprise reform, KAPSARC 2016; B. Wise, Probabilistic Condorcet "
        "Elections, KAPSARC"
    ),
    params=PARAMS,
    dynamic=True,
    tags=("dynamic", "spatial", "pce"),
)
def smp(
    inp: BargainingInput,
    *,
    max_turns: int = 100,
    min_turns: int = 2,
    stop_ratio: float = 0.02,
    transitions: str = "deterministic",
    seed: int | None = None,
    voting_rule: str = "proportional",
    victory_model: str = "linear",
    big_r_range: str = "mid",
    big_r_adjust: str = "one_third",
    third_party_commit: str = "semi",
    ideal_adjust: float = 1.0,
    engine: str = "auto",
) -> ModelResult:
    """Run KTAB's Spatial Model of Politics until positions settle.

    Each issue is one dimension, positions are mapped to [0, 1] from the issue's scale, saliences
    are detente's per-issue saliences (KTAB requires an actor's saliences to sum to at most 1; an
    actor whose saliences sum to more is divided by that sum) and capabilities are the raw power.

    One turn (KTAB defaults, see ``ktab-smp-spec.md``): risk attitudes from a PCE among all
    positions with risk-neutral utilities; every actor i picks the target j with the largest
    expected gain from challenging it (third parties join by SemiCommit), and proposes the S2P2
    interpolated bargain, rounded to 1e-4 of the unit scale, to itself and j (InitOnlyInterp);
    every actor then takes the bargain of its queue (status quo, its own, those aimed at it) that
    wins a PCE among all actors (deterministic) or draws one (stochastic). The run stops after
    ``max_turns`` or, from ``min_turns`` on, when the summed Euclidean movement of a turn is below
    ``stop_ratio`` times that of the first turn.

    Non-default options (all Params): ``transitions="stochastic"`` with ``seed`` (numpy
    Generator, default KTAB's seed 15455440707583219804; same seed, same run - unlike smpc, whose
    threaded draws are not reproducible; the numbers drawn differ from smpc's mt19937_64; each
    draw of a batch has its own stream, SeedSequence(seed, spawn_key=(draw,)) with the draw's
    index ``inp.draw_ids``, so a Monte Carlo gives the same numbers whatever its chunking);
    ``voting_rule`` binary or cubic (applied to every vote: both PCEs and the challenge
    coalitions); ``victory_model`` square/quartic/octic; ``big_r_range`` wide/averse/neutral;
    ``big_r_adjust`` full/two_thirds/half/none; ``third_party_commit="full"``; ``ideal_adjust``
    a < 1: ideals trail positions, ideal <- a x_new + (1 - a) ideal (KTAB's accommodation matrix
    as a scaled identity; smpc's default is the identity, a = 1). These follow KTAB's option
    names but only the defaults are checked against smpc.

    Forecast: KTAB reports the final state and each position's PCE "winning probability". The
    forecast here is the mean of the final positions weighted by those probabilities (a PCE
    among the final positions, capability-weighted votes with the actors' risk-aware utilities),
    i.e. the expected outcome; ``extras["most_probable"]`` holds the single most probable final
    position and ``extras["win_prob"]`` the probabilities (B, N).

    Returns trajectory (B, T+1, N, K) on each issue's scale (finished batch elements repeat their
    final state), rounds (B,), forecast (B, K).
    """
    vote = _vote_fn(voting_rule)
    q = _VPM_POWER[victory_model]
    r_lo, r_hi = _R_RANGES[big_r_range]
    f_adj = _R_ADJUST[big_r_adjust]
    semi = third_party_commit == "semi"
    stochastic = transitions == "stochastic"
    # Without a seed, stochastic runs use KTAB's default seed: reproducible unless asked otherwise.
    # One stream per draw, SeedSequence(seed, spawn_key=(draw,)), so that a draw's transitions
    # do not depend on which other draws share its batch or chunk.
    streams = (
        _DrawStreams(_KTAB_SEED if seed is None else seed, inp.draw_index()) if stochastic else None
    )

    x0 = np.asarray(inp.normalised_positions(), dtype=float)
    sal = _ktab_saliences(inp.saliences)
    cap = np.asarray(inp.capabilities, dtype=float)
    b, n, k = x0.shape

    compiled = kernels.use_compiled(engine, b, n)
    chunk = max(1, _CHUNK_FLOATS // (n * n * (k + 4)))
    states = [x0.copy()]
    x = x0.copy()
    ideal = x0.copy()
    rounds = np.zeros(b, dtype=int)
    active = np.ones(b, dtype=bool)
    first_step = np.zeros(b)
    t = 0
    while active.any() and t < max_turns:
        t += 1
        idx = np.flatnonzero(active)
        new = x.copy()
        for lo in range(0, idx.size, chunk):
            sel = idx[lo : lo + chunk]
            new[sel] = _turn(
                x[sel],
                ideal[sel],
                sal[sel],
                cap[sel],
                vote,
                q,
                r_lo,
                r_hi,
                f_adj,
                semi,
                None if streams is None else streams.take(sel),
                compiled,
            )
        step = np.linalg.norm(new - x, axis=-1).sum(-1)
        if t == 1:
            first_step = step.copy()
        ratio = step / (first_step + _STEP_EPS)
        x = np.where(active[:, None, None], new, x)
        # Ideals move toward the new positions at rate ideal_adjust (KTAB's accommodation
        # matrix, here a scaled identity); at 1 they are the positions, exactly.
        ideal = (
            x.copy()
            if ideal_adjust == 1.0
            else np.where(
                active[:, None, None], ideal_adjust * x + (1.0 - ideal_adjust) * ideal, ideal
            )
        )
        rounds[active] = t
        stop = active & ((t >= max_turns) | ((t >= min_turns) & (ratio < stop_ratio)))
        active &= ~stop
        states.append(x.copy())

    traj = np.stack(states, axis=1)
    win, distinct = _win_prob(x, ideal, sal, cap, vote, q, r_lo, r_hi, _SAME_TOL, compiled)
    forecast_unit = np.einsum("bn,bnk->bk", distinct, x)
    best = np.argmax(distinct, axis=1)
    most_probable = x[np.arange(b), best]
    return ModelResult(
        model="smp",
        forecast=inp.from_unit(forecast_unit),
        final_positions=inp.from_unit(x),
        trajectory=inp.from_unit(traj),
        rounds=rounds,
        extras={
            "win_prob": win,
            "most_probable": inp.from_unit(most_probable),
        },
    )


def win_probabilities(
    inp: BargainingInput,
    positions: np.ndarray | None = None,
    *,
    voting_rule: str = "proportional",
    victory_model: str = "linear",
    big_r_range: str = "mid",
) -> tuple[np.ndarray, np.ndarray]:
    """KTAB's "winning probability" of each actor's position in a state, as smpc prints it.

    ``positions`` (B, N, K) on the issues' scales (default: ``inp.positions``). A conditional PCE
    among the distinct positions (closer than 0.1 on 0-100 count as one), capability-weighted
    votes with risk-aware utilities. Returns (per actor (B, N): the probability of the actor's
    position; per distinct position (B, N): non-zero only for the first actor at each position).
    """
    pos = inp.positions if positions is None else np.asarray(positions, dtype=float)
    width = np.where(inp.scale_high > inp.scale_low, inp.scale_high - inp.scale_low, 1.0)
    x = (pos - inp.scale_low) / width
    r_lo, r_hi = _R_RANGES[big_r_range]
    return _win_prob(
        x,
        x,
        _ktab_saliences(inp.saliences),
        np.asarray(inp.capabilities, dtype=float),
        _vote_fn(voting_rule),
        _VPM_POWER[victory_model],
        r_lo,
        r_hi,
        _SAME_TOL,
    )


# ---------------------------------------------------------------------------------------------
# Building blocks (all take a leading batch axis)


class _DrawStreams:
    """One numpy Generator per draw, seeded by ``SeedSequence(seed, spawn_key=(draw,))``."""

    def __init__(self, seed: int, draws: np.ndarray) -> None:
        self._gens = [
            np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(int(d),))) for d in draws
        ]
        self._rows = np.arange(len(self._gens))

    def take(self, rows: np.ndarray) -> _DrawStreams:
        """The streams of these batch rows (shared, not copied)."""
        out = _DrawStreams.__new__(_DrawStreams)
        out._gens = [self._gens[int(r)] for r in rows]
        out._rows = np.asarray(rows)
        return out

    def uniforms(self, n: int) -> np.ndarray:
        """(rows, n) uniforms on [0, 1): n from each row's own stream."""
        return np.stack([g.random(n) for g in self._gens]) if self._gens else np.empty((0, n))


def _ktab_saliences(sal: np.ndarray) -> np.ndarray:
    # KTAB needs an actor's saliences to sum to at most 1; larger sums are scaled down to 1.
    sal = np.asarray(sal, dtype=float)
    tot = sal.sum(-1, keepdims=True)
    return np.where(tot > 1.0, sal / np.where(tot > 0, tot, 1.0), sal)


_VOTE_RULES = {"proportional": 0, "binary": 1, "cubic": 2}


def _vote_fn(rule: str) -> int:
    # The compiled kernels take the vote rule as a code.
    return _VOTE_RULES[rule]


def _round4(y: np.ndarray) -> np.ndarray:
    # KTAB rounds bargain coordinates to 1e-4 of the unit scale (0.01 on 0-100); moved
    # positions are therefore exactly reproducible.
    return np.floor(1e4 * y + 0.5) / 1e4


def _distances(ideal: np.ndarray, pos: np.ndarray, sal: np.ndarray) -> np.ndarray:
    """d[b, i, j]: salience-weighted distance from i's ideal to position j, in [0, 1]."""
    s2 = sal * sal
    s2sum = s2.sum(-1)
    diff = ideal[:, :, None, :] - pos[:, None, :, :]
    num = np.einsum("bid,bijd->bij", s2, diff * diff)
    # An actor with no salience anywhere is indifferent: distance 0 to everything.
    return np.sqrt(num / np.where(s2sum > 0, s2sum, 1.0)[:, :, None])


def _util(d: np.ndarray, r: np.ndarray) -> np.ndarray:
    # u(d, r) = (1-d)(1+d r) on [0, 1]: concave for r > 0 (risk averse), convex for r < 0.
    return (1.0 - d) * (1.0 + np.minimum(d, 1.0) * r)


def _pce_log(
    util: np.ndarray, w: np.ndarray, vote: int, q: float, compiled: bool = False
) -> np.ndarray:
    """Conditional PCE among options: L (B, M, M) with L[b, a, c] = log P(a beats c).

    util (B, V, M) voters' utilities of the options, w (B, V) voter weights; log p_a is
    sum_c L[b, a, c] plus a constant (P(a beats a) = 1/2 is in every row and cancels).
    """
    c_ab = kernels.pce_strengths(util, w, vote, compiled)
    c_ba = np.swapaxes(c_ab, 1, 2)
    if q != 1.0:
        c_ab, c_ba = c_ab**q, c_ba**q
    return np.log(c_ab / (c_ab + c_ba))


def _normalise_log(logp: np.ndarray) -> np.ndarray:
    # Products of N probabilities underflow for large N; work in logs.
    z = np.exp(logp - logp.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def _risk(
    d: np.ndarray,
    cap: np.ndarray,
    vote: int,
    q: float,
    r_lo: float,
    r_hi: float,
    compiled: bool = False,
) -> np.ndarray:
    """R (B, N): risk attitudes from a PCE over all positions with risk-neutral utilities."""
    if r_lo == r_hi:
        return np.full(cap.shape, r_lo)
    p = _normalise_log(_pce_log(1.0 - d, cap, vote, q, compiled).sum(-1))
    pmax = p.max(-1, keepdims=True)
    pmin = p.min(-1, keepdims=True)
    span = pmax - pmin
    # All positions equally likely: nobody is more secure than anyone else -> risk neutral.
    frac = np.where(span > 0, (p - pmin) / np.where(span > 0, span, 1.0), -r_lo / (r_hi - r_lo))
    return r_lo + (r_hi - r_lo) * frac


def _win_prob(
    x: np.ndarray,
    ideal: np.ndarray,
    sal: np.ndarray,
    cap: np.ndarray,
    vote: int,
    q: float,
    r_lo: float,
    r_hi: float,
    tol: float,
    compiled: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """KTAB's "winning probability" of each actor's position (B, N), and of each distinct one.

    A PCE among the distinct positions (positions closer than ``tol`` count as one, the first
    actor's standing for them), capability-weighted votes with the actors' risk-aware
    utilities; each actor gets the probability of its position, so the values sum to 1 over
    distinct positions, as smpc prints them.
    """
    n = x.shape[1]
    d = _distances(ideal, x, sal)
    r = _risk(d, cap, vote, q, r_lo, r_hi, compiled)
    u_true = _util(d, r[:, :, None])
    gap = np.linalg.norm(x[:, :, None, :] - x[:, None, :, :], axis=-1)
    same = gap < tol
    rep = np.argmax(same, axis=-1)  # first equivalent actor (itself at the latest)
    distinct = rep == np.arange(n)[None, :]
    logp = (_pce_log(u_true, cap, vote, q, compiled) * distinct[:, None, :]).sum(-1)
    p = _normalise_log(np.where(distinct, logp, -np.inf))
    return np.take_along_axis(p, rep, axis=-1), p


def _turn(
    x: np.ndarray,
    ideal: np.ndarray,
    sal: np.ndarray,
    cap: np.ndarray,
    vote: int,
    q: float,
    r_lo: float,
    r_hi: float,
    f_adj: float,
    semi: bool,
    rng: _DrawStreams | None,
    compiled: bool = False,
) -> np.ndarray:
    """One SMP turn for a chunk of the batch: new positions (B, N, K) on [0, 1].

    Actors judge positions from their ideals (``ideal``; equal to ``x`` with KTAB's default
    identity accommodation); bargains interpolate between positions.
    """
    b, n, k = x.shape
    ar = np.arange(n)
    d = _distances(ideal, x, sal)
    r = _risk(d, cap, vote, q, r_lo, r_hi, compiled)
    s_tot = sal.sum(-1)
    sigma = s_tot * cap

    # h's estimate of i's risk attitude: r_est[b, h, i] (BigRAdjust).
    r_est = f_adj * r[:, None, :] + (1.0 - f_adj) * r[:, :, None]
    # Challenge evaluation from each initiator's own view (the O(N^3) part, compiled).
    p_win, gain = kernels.challenges(d, r_est, sigma, s_tot, vote, q, semi, compiled)
    target = np.argmax(gain, axis=-1)  # first maximum = lowest j on ties
    bi = np.arange(b)[:, None]
    valid = gain[bi, ar[None, :], target] > _MIN_GAIN  # (b, i)

    # --- S2P2 interpolated bargains, one per initiator ---
    p_i = p_win[bi, ar[None, :], target][..., None]
    p_j = 1.0 - p_i
    s_tar = sal[bi, target]
    x_tar = x[bi, target]
    w_i = sal * sal * p_i * p_i
    w_j = s_tar * s_tar * p_j * p_j
    den = w_i + _INTERP_EPS + w_j
    pos_i = _round4(((w_i + _INTERP_EPS) * x + w_j * x_tar) / den)
    pos_j = _round4((w_i * x + (w_j + _INTERP_EPS) * x_tar) / den)

    # --- valuation of each option by each actor a: SQ (index 0) and bargains 1..N ---
    u_true = _util(d, r[:, :, None])  # U^a_an (b, a, n)
    u_bi = _util(_distances(ideal, pos_i, sal), r[:, :, None])  # a's utility of m's b_I
    u_bj = _util(_distances(ideal, pos_j, sal), r[:, :, None])
    val = kernels.bargain_values(u_true, u_bi, u_bj, target, compiled)  # (b, a, 1 + m)

    logp = _pce_log(val, cap, vote, q, compiled)  # (b, 1+m, 1+m)
    member = np.zeros((b, n, n + 1), dtype=bool)
    member[:, :, 0] = True
    own = valid[:, :, None] & (ar[None, :, None] == ar[None, None, :])  # k initiated m
    aimed = valid[:, None, :] & (target[:, None, :] == ar[None, :, None])  # m targets k
    member[:, :, 1:] = own | aimed
    score = np.einsum("bkc,bmc->bkm", member.astype(float), logp)
    score = np.where(member, score, -np.inf)
    if rng is None:
        choice = np.argmax(score, axis=-1)
    else:
        prob = _normalise_log(score)
        u = rng.uniforms(n)[:, :, None]
        choice = np.minimum((np.cumsum(prob, axis=-1) < u).sum(-1), n)
        # Guard against rounding: never pick an option outside the queue.
        choice = np.where(np.take_along_axis(member, choice[..., None], -1)[..., 0], choice, 0)

    m = choice - 1  # initiator of the chosen bargain, -1 for SQ
    mc = np.maximum(m, 0)
    k_init = (m >= 0) & (mc == ar[None, :])
    k_recv = (m >= 0) & ~k_init
    new = x.copy()
    new = np.where(k_init[..., None], pos_i[bi, mc], new)
    new = np.where(k_recv[..., None], pos_j[bi, mc], new)
    return new
