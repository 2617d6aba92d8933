"""The exchange model of voting positions (issue linkage, log-rolling).

Stokman & Van Oosten (1994), "The exchange of voting positions: an object-oriented model of policy
networks", ch. 5 in Bueno de Mesquita & Stokman (eds.), European Community Decision Making, Yale
UP, pp. 105-127; as applied by Stokman & Thomson (2004), "Winners and losers in the European
Union", European Union Politics 5(1): 5-23, and Arregui, Stokman & Thomson (2006), "Compromise,
exchange and challenge in the European Union", ch. 5 in Thomson, Stokman, Achen & Koenig (eds.),
The European Union Decides, CUP. The step rules below (equal gain exchange rate, bounds on the
shifts, highest gain first with recalculation, the between-round position rule) follow the
Decide program of Stokman's group (the equal gain / equal utility exchange model; Dijkstra, Van
Assen, Stokman & Draaijer 2018), written here from scratch over arrays. Keeping a vote's
direction fixed across rounds (step 5) is detente's choice; Decide keeps it within a round.

One round, on positions x mapped to [0, 1] per issue so that shifts on different issues are
commensurable:

1. The expected outcome of issue a is the capability x salience weighted mean of the actors'
   voting positions y (at the start of a round y = x):  O_a = sum_i c_i s_ia y_ia / W_a,
   W_a = sum_i c_i s_ia.  An actor's utility is  U_i = -sum_a s_ia |x_ia - O_a|.
2. Actors i and j can exchange on issues a and b when they lie on opposite sides of the expected
   outcome on both issues (so that each wants the outcome moved toward itself and away from the
   other). If s_ia / s_ib < s_ja / s_jb, i "supplies" on a (shifts its voting position on a toward
   x_ja, which moves O_a toward j) and j supplies on b; otherwise the roles are reversed; with
   equal ratios nobody gains and there is no exchange.
3. Exchange rate: both gain equally. With outcome shifts dO_a and dO_b the gains are
   G_i = s_ib dO_b - s_ia dO_a and G_j = s_ja dO_a - s_jb dO_b; G_i = G_j gives
   dO_a / dO_b = (s_ib + s_jb) / (s_ia + s_ja). Writing dO_a = t (s_ib + s_jb),
   dO_b = t (s_ia + s_ja), the common gain is  G = t (s_ja s_ib - s_ia s_jb) > 0.
4. Size: the largest t such that no supplier shifts beyond its partner's position and no outcome
   moves past the position of the actor who demanded the shift (so the linear gains above are
   exact). One of the four bounds binds, so the same exchange cannot be repeated at once.
   i's voting shift is dO_a W_a / (c_i s_ia), j's is dO_b W_b / (c_j s_jb).
5. Order: the exchange with the highest gain is executed first; all remaining exchanges are then
   recalculated from the new voting positions and outcomes, and again the best one is executed,
   until no exchange gains more than ``min_gain`` (or ``max_exchanges_per_round``). A vote, once
   shifted, only moves further the same way, in this round and later ones: nobody takes back a
   vote it traded. (This also makes every vote monotone and bounded, so the process converges.)
6. Between rounds actors take over their votes: x <- x + w (y - x), with
   w_ia = fixed_weight + salience_weight (1 - s_ia), and the next round's votes start at the new
   x. The default (1, 0) adopts them fully, the iterated exchange of voting positions; Decide's
   setting (0.1, 0.4) lets actors who care less about an issue move further. Rounds repeat until
   a round has no exchange, or ``max_iterations``.

The forecast is the weighted mean (step 1) of the final positions. With K == 1 (or N < 2) there is
nothing to trade and the forecast is the base model of Stokman & Van Oosten: the capability x
salience weighted mean of the initial positions (the compromise model). When nobody cares about an
issue (W_a == 0) the mean is unweighted, as in the compromise model.

Exact ties between gains are broken by array order (first actor, then issue pair); Decide breaks
them at random.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any, overload

import numpy as np

from detente.bargaining.engines import use_numba
from detente.bargaining.inputs import BargainingInput, ModelResult
from detente.bargaining.registry import Param, ParameterError, register_model

# Decide's between-round adoption x <- x + (0.1 + 0.4 (1 - s)) (y - x).
DECIDE_FIXED_WEIGHT = 0.1
DECIDE_SALIENCE_WEIGHT = 0.4

# Gains below this share of their own terms are rounding noise: with saliences equal in ratio
# s_ja s_ib - s_ia s_jb is zero in exact arithmetic but may come out as 1e-17.
_REL_TOL = 1e-12
# Cells (batch x actor pairs x issue pairs) held at once by the numpy kernel: a few MB per array.
_CHUNK_CELLS = 1 << 20
# "auto": the compiled search for the best exchange when numba is installed and the batch is
# large (see detente.bargaining.engines), else the numpy one; "numba" or "numpy" force one.
_KERNEL = "auto"
# Draws x actor pairs x issue pairs from which the compiled kernel pays for numba's import.
COMPILED_WORK = 200_000

_LOG_FIELDS = (
    "batch",
    "round",
    "i",
    "j",
    "issue_i",
    "issue_j",
    "shift_i",
    "shift_j",
    "gain",
    "outcome_i_before",
    "outcome_i_after",
    "outcome_j_before",
    "outcome_j_after",
)


class ExchangeLog(Sequence):
    """The exchanges made, per batch element: ``log[b]`` is a list of dicts in execution order.

    Built on demand from flat arrays (``log.arrays``), so a Monte Carlo batch of 10^5 draws costs
    no Python objects until someone looks. Each dict holds: ``round`` (1-based), ``i`` and ``j``
    (actor indices) with ``actor_i``/``actor_j`` (ids when given), ``issue_i`` (the issue i shifts
    on, its supply issue; also j's demand issue) and ``issue_j`` with their ids, ``shift_i`` and
    ``shift_j`` (signed shifts of the voting positions, on each issue's scale), ``gain`` (the equal
    utility gain of each party, in salience x share-of-scale units) and the expected outcomes of
    both issues before and after (``outcome_i_before`` ... on issue_i's scale).
    """

    def __init__(
        self,
        arrays: dict[str, np.ndarray],
        batch: int,
        actor_ids: tuple[str, ...] = (),
        issue_ids: tuple[str, ...] = (),
    ) -> None:
        order = np.argsort(arrays["batch"], kind="stable")  # keeps execution order per element
        self.arrays = {k: v[order] for k, v in arrays.items()}
        self._bounds = np.searchsorted(self.arrays["batch"], np.arange(batch + 1))
        self._batch = batch
        self._actor_ids = actor_ids
        self._issue_ids = issue_ids

    def __len__(self) -> int:
        return self._batch

    def counts(self) -> np.ndarray:
        """(B,) number of exchanges made in each batch element."""
        return np.diff(self._bounds)

    @overload
    def __getitem__(self, index: int) -> list[dict[str, Any]]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[dict[str, Any]]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[b] for b in range(*index.indices(self._batch))]
        b = int(index)
        if b < 0:
            b += self._batch
        if not 0 <= b < self._batch:
            raise IndexError(f"batch element {index} out of range for {self._batch}")
        lo, hi = self._bounds[b], self._bounds[b + 1]
        return [self._record(r) for r in range(lo, hi)]

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        for b in range(self._batch):
            yield self[b]

    def _record(self, r: int) -> dict[str, Any]:
        a = self.arrays
        i, j = int(a["i"][r]), int(a["j"][r])
        p, q = int(a["issue_i"][r]), int(a["issue_j"][r])
        rec: dict[str, Any] = {
            "round": int(a["round"][r]),
            "i": i,
            "j": j,
            "actor_i": self._actor_ids[i] if self._actor_ids else str(i),
            "actor_j": self._actor_ids[j] if self._actor_ids else str(j),
            "issue_i": p,
            "issue_j": q,
            "issue_i_id": self._issue_ids[p] if self._issue_ids else str(p),
            "issue_j_id": self._issue_ids[q] if self._issue_ids else str(q),
        }
        for key in _LOG_FIELDS[6:]:
            rec[key] = float(a[key][r])
        return rec


def _outcome(y: np.ndarray, cs: np.ndarray, total: np.ndarray) -> np.ndarray:
    """(B, K) weighted mean of (B, N, K) positions; unweighted where nobody cares (total == 0)."""
    w = np.where(total[:, None, :] > 0, cs, 1.0)
    return (w * y).sum(axis=1) / w.sum(axis=1)


def _best_numpy(
    act: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    s: np.ndarray,
    cs: np.ndarray,
    total: np.ndarray,
    pull: np.ndarray,
    moved: np.ndarray,
    ia: np.ndarray,
    ib: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Best exchange of each active row, over arrays (B, i, j, issue pair). Reference version.

    Returns the flat index (i, j, pair) of the best exchange, its gain and t (0 where none), and
    the expected outcomes (m, K) before it.
    """
    m, n = act.size, x.shape[1]
    xa_, xb_ = x[act][:, :, ia], x[act][:, :, ib]
    ya = y[act]
    sa, sb = s[act][:, :, ia], s[act][:, :, ib]
    out = _outcome(ya, cs[act], total[act])
    o_a, o_b = out[:, ia], out[:, ib]
    # Axes: row, i (supplier on a), j (supplier on b), issue pair (a, b).
    cross_j = sa[:, None, :, :] * sb[:, :, None, :]  # s_ja s_ib
    cross_i = sa[:, :, None, :] * sb[:, None, :, :]  # s_ia s_jb
    core = cross_j - cross_i
    ok = (core > _REL_TOL * (cross_j + cross_i)) & ~np.eye(n, dtype=bool)[None, :, :, None]
    side_a = np.sign(xa_ - o_a[:, None, :])
    side_b = np.sign(xb_ - o_b[:, None, :])
    ok &= side_a[:, :, None, :] * side_a[:, None, :, :] < 0
    ok &= side_b[:, :, None, :] * side_b[:, None, :, :] < 0
    di = np.sign(xa_[:, None, :, :] - xa_[:, :, None, :])  # i moves on a toward x_ja
    dj = np.sign(xb_[:, :, None, :] - xb_[:, None, :, :])  # j moves on b toward x_ib
    # A vote already shifted may move further the same way, never back.
    mv = moved[act]
    m_a, m_b = mv[:, :, ia][:, :, None, :], mv[:, :, ib][:, None, :, :]
    ok &= ((m_a == 0) | (m_a == di)) & ((m_b == 0) | (m_b == dj))
    # Room: how far each supplier's vote may still go before reaching its partner.
    room_i = np.clip((xa_[:, None, :, :] - ya[:, :, ia][:, :, None, :]) * di, 0.0, None)
    room_j = np.clip((xb_[:, :, None, :] - ya[:, :, ib][:, None, :, :]) * dj, 0.0, None)
    # The outcome may not pass the demander: |x_ja - O_a| and |x_ib - O_b|.
    pa = pull[act]
    cap_a = np.minimum(
        pa[:, :, ia][:, :, None, :] * room_i, np.abs(xa_ - o_a[:, None, :])[:, None, :, :]
    )
    cap_b = np.minimum(
        pa[:, :, ib][:, None, :, :] * room_j, np.abs(xb_ - o_b[:, None, :])[:, :, None, :]
    )
    rate_a = np.where(ok, sb[:, :, None, :] + sb[:, None, :, :], 1.0)  # dO_a per unit t
    rate_b = np.where(ok, sa[:, :, None, :] + sa[:, None, :, :], 1.0)  # dO_b per unit t
    t = np.minimum(cap_a / rate_a, cap_b / rate_b)
    gain = np.where(ok, t * core, 0.0).reshape(m, -1)
    best = gain.argmax(axis=1)
    rows = np.arange(m)
    return best, gain[rows, best], t.reshape(m, -1)[rows, best], out


def _best_loops(
    act: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    s: np.ndarray,
    cs: np.ndarray,
    total: np.ndarray,
    pull: np.ndarray,
    moved: np.ndarray,
    ia: np.ndarray,
    ib: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Same as :func:`_best_numpy`, as one compiled loop per row: no (i, j, pair) temporaries.

    Candidates are visited in the same (i, j, pair) order and only a strictly larger gain
    replaces the best, so ties go the same way as numpy's argmax.
    """
    m, n, k = act.size, x.shape[1], x.shape[2]
    npair = ia.size
    best = np.zeros(m, np.int64)
    gain = np.zeros(m)
    tbest = np.zeros(m)
    out = np.empty((m, k))
    side = np.empty((n, k), np.int64)
    for q in range(m):
        r = act[q]
        for z in range(k):
            num = 0.0
            den = 0.0
            for i in range(n):
                w = cs[r, i, z] if total[r, z] > 0 else 1.0
                num += w * y[r, i, z]
                den += w
            out[q, z] = num / den
            for i in range(n):
                e = x[r, i, z] - out[q, z]
                side[i, z] = 1 if e > 0 else (-1 if e < 0 else 0)
        bg = 0.0
        bidx = 0
        bt = 0.0
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                for p in range(npair):
                    a = ia[p]
                    b = ib[p]
                    # Opposite sides of both outcomes (checked first: it prunes most pairs).
                    if side[i, a] * side[j, a] >= 0 or side[i, b] * side[j, b] >= 0:
                        continue
                    cj = s[r, j, a] * s[r, i, b]
                    ci = s[r, i, a] * s[r, j, b]
                    core = cj - ci
                    if not core > _REL_TOL * (cj + ci):
                        continue
                    di = side[j, a]  # i moves on a toward x_ja, which lies on j's side
                    dj = side[i, b]
                    if moved[r, i, a] != 0 and moved[r, i, a] != di:
                        continue
                    if moved[r, j, b] != 0 and moved[r, j, b] != dj:
                        continue
                    room_i = max((x[r, j, a] - y[r, i, a]) * di, 0.0)
                    room_j = max((x[r, i, b] - y[r, j, b]) * dj, 0.0)
                    cap_a = min(pull[r, i, a] * room_i, abs(x[r, j, a] - out[q, a]))
                    cap_b = min(pull[r, j, b] * room_j, abs(x[r, i, b] - out[q, b]))
                    t = min(cap_a / (s[r, i, b] + s[r, j, b]), cap_b / (s[r, i, a] + s[r, j, a]))
                    g = t * core
                    if g > bg:
                        bg = g
                        bidx = (i * n + j) * npair + p
                        bt = t
        best[q] = bidx
        gain[q] = bg
        tbest[q] = bt
    return best, gain, tbest, out


@functools.cache
def _compiled() -> Any:
    # numba is imported and the kernel compiled (or loaded from numba's cache) on first use, so
    # that importing detente (the CLI, the registry) does not pay for it.
    import numba

    return numba.njit(cache=True)(_best_loops)


def _best_numba(*args: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_best_loops` compiled with numba."""
    return _compiled()(*args)


def _run_chunk(
    x: np.ndarray,
    s: np.ndarray,
    c: np.ndarray,
    *,
    max_iterations: int,
    max_exchanges_per_round: int,
    min_gain: float,
    fixed_weight: float,
    salience_weight: float,
    kernel: str = "numba",
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, dict[str, list[np.ndarray]]]:
    """Run the model on one chunk of normalised positions x (B, N, K)."""
    bsz, n, k = x.shape
    ia, ib = np.triu_indices(k, 1)  # issue pairs (a, b), a < b; i supplies a, j supplies b
    shape = (n, n, ia.size)
    s = np.ascontiguousarray(s, dtype=float)
    cs = c[:, :, None] * s
    total = cs.sum(axis=1)
    safe_total = np.where(total > 0, total, 1.0)
    # Largest outcome shift per unit of a supplier's vote shift: c_i s_ia / W_a.
    pull = cs / safe_total[:, None, :]
    adopt = fixed_weight + salience_weight * (1.0 - s)  # (B, N, K) share of the shift kept
    best_fn = _best_numba if kernel == "numba" else _best_numpy

    trajectory = [x.copy()]
    rounds = np.zeros(bsz, dtype=np.int64)
    converged = np.zeros(bsz, dtype=bool)
    # Direction in which each actor's vote on each issue has been shifted so far (0: not yet).
    # Votes only move one way, within and across rounds: nobody takes back a traded vote. This
    # also makes every vote monotone and bounded, so the process converges.
    moved = np.zeros((bsz, n, k), dtype=np.int8)
    log: dict[str, list[np.ndarray]] = {f: [] for f in _LOG_FIELDS}

    for rnd in range(1, max_iterations + 1):
        x = np.ascontiguousarray(x)
        y = x.copy()
        made = np.zeros(bsz, dtype=bool)
        act = np.flatnonzero(~converged)  # rows that may still trade this round

        for _ in range(max_exchanges_per_round):
            if act.size == 0:
                break
            best, g, tt, out = best_fn(act, x, y, s, cs, total, pull, moved, ia, ib)
            go = g > min_gain
            if not go.any():
                break
            # Rows without a worthwhile exchange are done for this round: their state is fixed.
            best, g, tt, out = best[go], g[go], tt[go], out[go]
            bb = act[go]
            bi, bj, bp = np.unravel_index(best, shape)
            a_, b_ = ia[bp], ib[bp]
            d_oa = tt * (s[bb, bi, b_] + s[bb, bj, b_])
            d_ob = tt * (s[bb, bi, a_] + s[bb, bj, a_])
            sgn_i = np.sign(x[bb, bj, a_] - x[bb, bi, a_])
            sgn_j = np.sign(x[bb, bi, b_] - x[bb, bj, b_])
            shift_i = sgn_i * d_oa / pull[bb, bi, a_]
            shift_j = sgn_j * d_ob / pull[bb, bj, b_]
            y[bb, bi, a_] += shift_i
            y[bb, bj, b_] += shift_j
            moved[bb, bi, a_] = sgn_i
            moved[bb, bj, b_] = sgn_j
            made[bb] = True
            rows = np.arange(bb.size)
            for key, val in (
                ("batch", bb),
                ("round", np.full(bb.size, rnd)),
                ("i", bi),
                ("j", bj),
                ("issue_i", a_),
                ("issue_j", b_),
                ("shift_i", shift_i),
                ("shift_j", shift_j),
                ("gain", g),
                ("outcome_i_before", out[rows, a_]),
                ("outcome_i_after", out[rows, a_] + sgn_i * d_oa),
                ("outcome_j_before", out[rows, b_]),
                ("outcome_j_after", out[rows, b_] + sgn_j * d_ob),
            ):
                log[key].append(np.asarray(val))
            act = bb

        converged |= ~made
        if not made.any():
            break
        x = np.where(made[:, None, None], x + adopt * (y - x), x)
        rounds += made
        trajectory.append(x.copy())
    return trajectory, rounds, converged, log


@register_model(
    "exchange",
    title="Exchange of voting positions (equal gain)",
    citation=(
        "Stokman & Van Oosten (1994) in Bueno de Mesquita & Stokman (eds.), European Community "
        "Decision Making; Stokman & Thomson (2004), European Union Politics 5(1)"
    ),
    params=[
        Param("max_iterations", 50, "most rounds of exchange", kind="int", low=1, high=10_000),
        Param(
            "max_exchanges_per_round",
            1000,
            "most exchanges executed within one round",
            kind="int",
            low=1,
            high=1_000_000,
        ),
        Param(
            "min_gain",
            1e-9,
            "smallest utility gain (salience x share of scale) worth trading",
            low=0.0,
        ),
        Param(
            "fixed_weight",
            1.0,
            "share of its traded vote an actor adopts as its position for the next round",
            low=0.01,
            high=1.0,
        ),
        Param(
            "salience_weight",
            0.0,
            "extra share adopted per unit of (1 - salience); Decide uses 0.1 and 0.4",
            low=0.0,
            high=1.0,
        ),
        Param(
            "variant",
            "full",
            "'full': actors adopt their traded votes by fixed_weight + salience_weight (1 - s) "
            "(default 1 + 0: fully); 'decide': Decide's partial adoption, fixed_weight 0.1 and "
            "salience_weight 0.4 (these then replace the two parameters)",
            kind="choice",
            choices=("full", "decide"),
        ),
    ],
    dynamic=True,
    multi_issue=False,
    tags=("exchange", "cooperative", "issue-linkage"),
)
def exchange(
    inp: BargainingInput,
    *,
    max_iterations: int = 50,
    max_exchanges_per_round: int = 1000,
    min_gain: float = 1e-9,
    fixed_weight: float = 1.0,
    salience_weight: float = 0.0,
    variant: str = "full",
) -> ModelResult:
    """Forecast by pairwise exchanges of voting positions across issues (Stokman & Van Oosten).

    See the module docstring for the rules. Returns the forecast (B, K), final positions
    (B, N, K), the trajectory per round (B, T+1, N, K), rounds with at least one exchange (B,),
    and extras: ``exchanges`` (an :class:`ExchangeLog`, ``extras["exchanges"][b]`` is the list of
    dicts for batch element b), ``baseline`` (B, K) the no-exchange outcome, ``round_outcomes``
    (B, T+1, K) and ``converged`` (B,) whether the last round run found no exchange.
    """
    if variant == "decide":  # Decide's between-round adoption (Dijkstra et al. 2018)
        fixed_weight, salience_weight = DECIDE_FIXED_WEIGHT, DECIDE_SALIENCE_WEIGHT
    if fixed_weight + salience_weight > 1.0 + 1e-12:
        raise ParameterError(
            "The 'fixed_weight' and 'salience_weight' parameters of exchange must sum to at most "
            f"1. Got {fixed_weight!r} + {salience_weight!r} instead."
        )
    pos = np.asarray(inp.positions, dtype=float)
    bsz, n, k = pos.shape
    width = np.where(inp.scale_high > inp.scale_low, inp.scale_high - inp.scale_low, 1.0)
    x0 = (pos - inp.scale_low) / width
    s = np.asarray(inp.saliences, dtype=float)
    c = np.asarray(inp.capabilities, dtype=float)
    cs = c[:, :, None] * s
    total = cs.sum(axis=1)

    if k < 2 or n < 2:
        trajectories = [x0]
        rounds = np.zeros(bsz, dtype=np.int64)
        converged = np.ones(bsz, dtype=bool)
        logs: dict[str, list[np.ndarray]] = {f: [] for f in _LOG_FIELDS}
    else:
        # The compiled kernel holds no (i, j, pair) arrays; the numpy one is run in chunks.
        cells = n * n * (k * (k - 1) // 2)
        kernel = "numba" if use_numba(_KERNEL, bsz * cells, COMPILED_WORK, "exchange") else "numpy"
        step = bsz if kernel == "numba" else max(1, _CHUNK_CELLS // cells)
        parts = []
        for lo in range(0, bsz, step):  # chunks of draws, each one vectorised
            sl = slice(lo, min(bsz, lo + step))
            traj, rnd, conv, lg = _run_chunk(
                x0[sl],
                s[sl],
                c[sl],
                max_iterations=max_iterations,
                max_exchanges_per_round=max_exchanges_per_round,
                min_gain=min_gain,
                fixed_weight=fixed_weight,
                salience_weight=salience_weight,
                kernel=kernel,
            )
            lg["batch"] = [b + lo for b in lg["batch"]]
            parts.append((traj, rnd, conv, lg))
        t_max = max(len(p[0]) for p in parts)
        # Batch elements that stop early repeat their last state.
        trajectories = [
            np.concatenate([p[0][min(t, len(p[0]) - 1)] for p in parts]) for t in range(t_max)
        ]
        rounds = np.concatenate([p[1] for p in parts])
        converged = np.concatenate([p[2] for p in parts])
        logs = {f: [a for p in parts for a in p[3][f]] for f in _LOG_FIELDS}

    traj_unit = np.stack(trajectories, axis=1)  # (B, T+1, N, K) on [0, 1]
    final_unit = traj_unit[:, -1]
    lo_, wd = inp.scale_low, width
    round_out = np.stack(
        [_outcome(traj_unit[:, t], cs, total) for t in range(traj_unit.shape[1])], axis=1
    )
    arrays = _log_arrays(logs, lo_, wd)
    return ModelResult(
        "exchange",
        forecast=lo_ + round_out[:, -1] * wd,
        final_positions=lo_ + final_unit * wd,
        trajectory=lo_ + traj_unit * wd,
        rounds=rounds,
        extras={
            "exchanges": ExchangeLog(arrays, bsz, inp.actor_ids, inp.issue_ids),
            "baseline": lo_ + round_out[:, 0] * wd,
            "round_outcomes": lo_ + round_out * wd,
            "converged": converged,
        },
    )


def _log_arrays(
    logs: dict[str, list[np.ndarray]], lo: np.ndarray, width: np.ndarray
) -> dict[str, np.ndarray]:
    # Flat arrays of every exchange; shifts and outcomes back on each issue's own scale.
    ints = ("batch", "round", "i", "j", "issue_i", "issue_j")
    out = {
        f: (np.concatenate(logs[f]) if logs[f] else np.zeros(0)).astype(
            np.int64 if f in ints else float
        )
        for f in _LOG_FIELDS
    }
    p, q = out["issue_i"], out["issue_j"]
    out["shift_i"] = out["shift_i"] * width[p]
    out["shift_j"] = out["shift_j"] * width[q]
    for f in ("outcome_i_before", "outcome_i_after"):
        out[f] = lo[p] + out[f] * width[p]
    for f in ("outcome_j_before", "outcome_j_after"):
        out[f] = lo[q] + out[f] * width[q]
    return out
