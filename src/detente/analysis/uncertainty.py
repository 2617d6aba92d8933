"""The uncertain inputs of a scenario as one table, and draws from them.

Every uncertain number of a scenario (an :class:`~detente.scenario.schema.Estimate` with an ``sd``
or a ``low``/``high`` range) becomes one column of a parameter table. A draw is a row of values in
(0, 1) pushed through each column's inverse CDF, so Monte Carlo (uniform draws), Sobol and Morris
designs (SALib's unit-hypercube samples) all share one transform:

* ``sd`` (``dist: normal`` or no ``dist``): a normal around ``value`` truncated to the allowed
  range: the issue's scale for a position, [0, 1] for a salience, [0, inf) for a capability,
  and within ``low``/``high`` too when they are given. Inverse-CDF sampling of the truncated normal.
* ``low``/``high`` without ``sd`` (or ``dist: uniform``): uniform on [low, high] (clipped to the
  allowed range).
* ``dist: triangular``: triangular on [low, high] with its mode at ``value``.

Each uncertain input has its own random stream, keyed by its name (e.g. ``USA.position.sanctions``),
and a stream comes in fixed blocks of :data:`BLOCK` rows: block ``b`` of input ``name`` is drawn
from the generator seeded by ``SeedSequence(entropy, spawn_key=(b, key(name)))``. So draw ``i`` of
an input is the same number whatever way a run is cut into chunks, on one process or on a
cluster, and whatever other inputs the scenario has: a what-if that removes, adds or merges actors
keeps every shared input's draws (common random numbers), and a new input (a coalition's) gets a
stream of its own.

An issue's uncertain reference point (status quo) is an input too, named
``status-quo.reference.ISSUE``, drawn within the issue's scale; the batch then carries one
reference point per draw (``BargainingInput.reference`` of shape (B, K)).

Correlated inputs (a scenario's ``correlations:`` blocks, rank correlations) are drawn with a
Gaussian copula (e.g. Nelsen 2006, *An Introduction to Copulas*, ch. 5): within a block, each
input's uniform is mapped to a standard normal ``z = Phi^-1(u)``, the block's normals are mixed by
a factor ``A`` of the copula's correlation matrix (``A A' = R``), and ``Phi`` maps them back to
uniforms, which each input's inverse CDF then turns into values: every marginal stays as stated,
and the ranks correlate as stated (:mod:`detente.scenario.correlations_schema`). Draw ``i`` of a
block depends only on draw ``i`` of its inputs' streams, so chunking still never changes a number;
a block whose correlations are all zero is skipped, so its draws equal the independent ones
exactly. Sensitivity designs (Sobol', Morris) stay independent: their indices assume it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from detente.bargaining.arrays import to_arrays
from detente.bargaining.inputs import BargainingInput
from detente.scenario.schema import Estimate, Scenario

# Rows per seeded block. Fixed, so results do not depend on the chunk size.
BLOCK = 1024

_NORMAL, _UNIFORM, _TRIANGULAR = 0, 1, 2
_KIND_CODES = {"position": 0, "salience": 1, "capability": 2, "reference": 3}
# The name under which an issue's reference point appears among the inputs: it groups as one
# "actor" (the status quo) of kind "reference" in sensitivity analysis.
REFERENCE_OWNER = "status-quo"


@dataclass(frozen=True)
class ParamTable:
    """The uncertain inputs of a scenario, one entry per uncertain number.

    names      "ACTOR.position.ISSUE", "ACTOR.salience.ISSUE", "ACTOR.capability"
    kind       0 position, 1 salience, 2 capability, 3 an issue's reference point
    actor      actor index (-1 for a reference point);  issue: issue index (-1 for a capability)
    dist       0 truncated normal, 1 uniform, 2 triangular
    mu, sd     normal's centre and spread; mode of the triangular
    lo, hi     support after truncation (finite, except a capability's upper end)
    """

    names: tuple[str, ...]
    kind: np.ndarray
    actor: np.ndarray
    issue: np.ndarray
    dist: np.ndarray
    mu: np.ndarray
    sd: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    # Correlated blocks: (input names, the copula's correlation matrix R) each.
    blocks: tuple[tuple[tuple[str, ...], np.ndarray], ...] = ()

    @property
    def size(self) -> int:
        return len(self.names)

    def select(self, names: list[str] | tuple[str, ...]) -> ParamTable:
        """The sub-table of the given names, in that order (correlations kept among them)."""
        index = {n: j for j, n in enumerate(self.names)}
        idx = np.array([index[n] for n in names], dtype=int)
        return ParamTable(
            tuple(names),
            self.kind[idx],
            self.actor[idx],
            self.issue[idx],
            self.dist[idx],
            self.mu[idx],
            self.sd[idx],
            self.lo[idx],
            self.hi[idx],
            _restrict_blocks(self.blocks, set(names)),
        )

    def correlate(self, u: np.ndarray) -> np.ndarray:
        """Independent uniforms ``u`` (B, P) -> uniforms with the blocks' rank correlations
        (Gaussian copula); columns outside a block, and blocks of zero correlation, unchanged."""
        if not self.blocks:
            return u
        out = np.array(u, dtype=float, copy=True)
        index = {n: j for j, n in enumerate(self.names)}
        for names, r in self.blocks:
            if not np.any(r - np.eye(len(names))):
                continue
            cols = np.array([index[n] for n in names], dtype=int)
            z = ndtri(np.clip(out[:, cols], 1e-16, 1.0 - 1e-16))
            out[:, cols] = ndtr(z @ _factor(r).T)
        return out

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map draws ``u`` in (0, 1), shape (B, P), to values through each inverse CDF."""
        u = np.asarray(u, dtype=float)
        mu, sd, lo, hi = self.mu, self.sd, self.lo, self.hi
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # Truncated normal: u spread over [Phi(a), Phi(b)] then back through Phi^-1.
            safe_sd = np.where(sd > 0, sd, 1.0)
            pa = ndtr((lo - mu) / safe_sd)
            pb = ndtr((hi - mu) / safe_sd)
            p = np.clip(pa + u * (pb - pa), 1e-300, 1 - 1e-16)
            normal = mu + safe_sd * ndtri(p)
            uniform = lo + u * (hi - lo)
            width = hi - lo
            fc = np.where(width > 0, (mu - lo) / np.where(width > 0, width, 1.0), 0.5)
            tri = np.where(
                u < fc,
                lo + np.sqrt(u * width * (mu - lo)),
                hi - np.sqrt((1.0 - u) * width * (hi - mu)),
            )
        out = np.where(self.dist == _NORMAL, normal, np.where(self.dist == _UNIFORM, uniform, tri))
        # Round-off at the ends must not leave the support (a salience of 1 + 1e-16, say).
        return np.clip(out, lo, hi)


def _factor(r: np.ndarray) -> np.ndarray:
    """``A`` with ``A A' = r`` for a positive semi-definite ``r`` (Cholesky when definite, else
    from the eigen-decomposition, so perfect correlations work too)."""
    try:
        return np.linalg.cholesky(r)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(r)
        return v * np.sqrt(np.clip(w, 0.0, None))


def _restrict_blocks(
    blocks: tuple[tuple[tuple[str, ...], np.ndarray], ...], keep: set[str]
) -> tuple[tuple[tuple[str, ...], np.ndarray], ...]:
    # A block limited to the inputs present (a sub-matrix of a PSD matrix is PSD); blocks left
    # with fewer than two inputs vanish.
    out = []
    for names, r in blocks:
        idx = [j for j, n in enumerate(names) if n in keep]
        if len(idx) >= 2:
            out.append((tuple(names[j] for j in idx), r[np.ix_(idx, idx)]))
    return tuple(out)


def draw_values(table: ParamTable, entropy: int, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of the Monte Carlo draws of ``table``'s inputs (values, not uniforms),
    with the scenario's correlations: what :func:`detente.analysis.montecarlo.monte_carlo` runs."""
    return table.from_unit(table.correlate(unit_draws(entropy, table.names, start, stop)))


def param_table(scenario: Scenario) -> ParamTable:
    """Every uncertain position, salience and capability of ``scenario``, and every uncertain
    reference point of its issues, with the scenario's correlation blocks among them."""
    rows: list[tuple[str, int, int, int, int, float, float, float, float]] = []
    for n, actor in enumerate(scenario.actors):
        for k, issue in enumerate(scenario.issues):
            pos = actor.positions[issue.id]
            if pos.uncertain:
                rows.append(
                    (
                        f"{actor.id}.position.{issue.id}",
                        0,
                        n,
                        k,
                        *_spec(pos, issue.scale.low, issue.scale.high),
                    )
                )
        for k, issue in enumerate(scenario.issues):
            sal = actor.saliences[issue.id]
            if sal.uncertain:
                rows.append((f"{actor.id}.salience.{issue.id}", 1, n, k, *_spec(sal, 0.0, 1.0)))
        if actor.capability.uncertain:
            rows.append((f"{actor.id}.capability", 2, n, -1, *_spec(actor.capability, 0.0, np.inf)))
    for k, issue in enumerate(scenario.issues):
        ref = issue.reference
        if ref is not None and ref.uncertain:
            rows.append(
                (
                    f"{REFERENCE_OWNER}.reference.{issue.id}",
                    3,
                    -1,
                    k,
                    *_spec(ref, issue.scale.low, issue.scale.high),
                )
            )
    cols = list(zip(*rows, strict=True)) if rows else [()] * 9
    blocks = tuple((tuple(c.inputs), c.gaussian()) for c in scenario.correlations)
    return ParamTable(
        names=tuple(cols[0]),
        kind=np.array(cols[1], dtype=int),
        actor=np.array(cols[2], dtype=int),
        issue=np.array(cols[3], dtype=int),
        dist=np.array(cols[4], dtype=int),
        mu=np.array(cols[5], dtype=float),
        sd=np.array(cols[6], dtype=float),
        lo=np.array(cols[7], dtype=float),
        hi=np.array(cols[8], dtype=float),
        # Inputs a what-if made certain (or removed) drop out of their blocks.
        blocks=_restrict_blocks(blocks, set(cols[0])),
    )


def _spec(est: Estimate, lo: float, hi: float) -> tuple[int, float, float, float, float]:
    dist = est.distribution
    low = lo if est.low is None else max(lo, est.low)
    high = hi if est.high is None else min(hi, est.high)
    if dist == "normal" and est.sd:
        return _NORMAL, est.value, float(est.sd), low, high
    if dist == "triangular":
        return _TRIANGULAR, est.value, 0.0, low, high
    # Uniform, or a normal with sd 0 but a range: the range is all there is to draw from.
    return _UNIFORM, est.value, 0.0, low, high


def stream_key(name: str) -> int:
    """A stable 63-bit key of an input's name (the same in every process and Python version)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big") >> 1


def unit_draws(
    entropy: int, names: tuple[str, ...] | list[str], start: int, stop: int
) -> np.ndarray:
    """Rows ``start:stop`` of the seeded (draws x inputs) matrix of U(0, 1) numbers, one column
    per input name.

    Entry (i, j) depends only on ``entropy``, ``i`` and ``names[j]``: never on how the rows are
    split between calls nor on the other columns.
    """
    n = len(names)
    if stop <= start or n == 0:
        return np.empty((max(stop - start, 0), n))
    first, last = start // BLOCK, (stop - 1) // BLOCK
    keys = [stream_key(name) for name in names]
    out = np.empty(((last - first + 1) * BLOCK, n))
    # One generator per (block of BLOCK draws, input): a loop over blocks and inputs, each
    # drawing a whole block at once, never over draws.
    for b in range(first, last + 1):
        rows = slice((b - first) * BLOCK, (b - first + 1) * BLOCK)
        for j, key in enumerate(keys):
            rng = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(b, key)))
            out[rows, j] = rng.random(BLOCK)
    offset = start - first * BLOCK
    return out[offset : offset + (stop - start)]


SEED_MAX = 2**63 - 1  # seeds are stored in SQLite's INTEGER (signed 64-bit)


def resolve_seed(seed: int | None) -> int:
    """The entropy a run uses: ``seed`` itself, or fresh entropy (recorded so it can be rerun).

    Fresh entropy is reduced to 0 ... 2^63 - 1 so that every run can be stored and rerun."""
    if seed is None:
        return int(np.random.SeedSequence().entropy) % (SEED_MAX + 1)  # type: ignore[arg-type]
    if (
        isinstance(seed, bool)
        or not isinstance(seed, int | np.integer)
        or not 0 <= seed <= SEED_MAX
    ):
        from detente.scenario.errors import DetenteError

        raise DetenteError(
            f"The 'seed' parameter must be an integer in [0, {SEED_MAX}]. Got {str(seed)[:40]} "
            "instead."
        )
    return int(seed)


def base_input(scenario: Scenario) -> BargainingInput:
    """The central values as a batch of one."""
    return to_arrays(scenario)


def inputs_from_values(
    base: BargainingInput, table: ParamTable, values: np.ndarray
) -> BargainingInput:
    """A batch of inputs: the central values of ``base`` with the table's columns set to ``values``.

    ``values`` is (B, P); the result has batch B.
    """
    b = values.shape[0]
    pos = np.repeat(base.positions[:1], b, axis=0)
    sal = np.repeat(base.saliences[:1], b, axis=0)
    cap = np.repeat(base.capabilities[:1], b, axis=0)
    for code, target in ((0, pos), (1, sal)):
        cols = np.flatnonzero(table.kind == code)
        if cols.size:
            target[:, table.actor[cols], table.issue[cols]] = values[:, cols]
    cols = np.flatnonzero(table.kind == 2)
    if cols.size:
        cap[:, table.actor[cols]] = values[:, cols]
    ref = base.reference
    cols = np.flatnonzero(table.kind == 3)
    if cols.size:
        ref = np.repeat(base.reference_batch()[:1], b, axis=0)
        ref[:, table.issue[cols]] = values[:, cols]
    return BargainingInput(
        pos,
        sal,
        cap,
        base.scale_low,
        base.scale_high,
        ref,
        base.actor_ids,
        base.issue_ids,
    )
