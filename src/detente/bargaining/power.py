"""Voting power in weighted voting bodies: the Shapley-Shubik and Banzhaf indices, exactly.

A game (:class:`~detente.scenario.voting_schema.VotingRule`) lists voters, one or more weighted
criteria each with a quota, and optionally a blocking-minority clause: a coalition wins when it
reaches every quota, or when fewer than ``blocking_minority`` voters are outside it.

* Shapley-Shubik (Shapley & Shubik 1954, APSR 48:787-792): voter i's share of the n! orders in
  which it is pivotal, ``sum over losing S not containing i with S + i winning of
  |S|! (n - |S| - 1)! / n!``.
* Banzhaf (Banzhaf 1965, Rutgers Law Review 19:317-343; Penrose 1946): the raw index is the share
  of the 2^(n-1) coalitions of the others in which i is a swing; the normalised index divides by
  the sum over voters.

Both are computed exactly. Weights are turned into integers first (each weight's decimal
expansion as written, so 83.4 counts as 834 tenths) and a quota ``share`` becomes the smallest
integer at or above ``share x total`` (exact, by fractions). Up to :data:`ENUMERATE_MAX` voters
every coalition is enumerated (2^n bitmasks, vectorised). Beyond, a generating function counts
coalitions by (size, weight) for a rule with at most one criterion of unequal weights (e.g. the
EU Council's double majority: members and population), and each voter is divided out of it
(Brams & Affuso 1976; Bilbao, Fernandez, Jimenez Losada & Lopez 2000, *Annals of OR* 109:179-
205, for generating functions of power indices).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.results import Result
from detente.scenario.errors import DetenteError
from detente.scenario.voting_schema import VotingRule

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

ENUMERATE_MAX = 20
MAX_DP_CELLS = 60_000_000


@dataclass
class PowerResult(Result):
    """Shapley-Shubik and Banzhaf (raw and normalised) indices, one per voter."""

    rule: str
    voters: tuple[str, ...]
    shapley: np.ndarray
    banzhaf: np.ndarray
    banzhaf_raw: np.ndarray
    method: str

    def index(self, voter: str) -> dict[str, float]:
        i = self.voters.index(voter)
        return {
            "shapley_shubik": float(self.shapley[i]),
            "banzhaf": float(self.banzhaf[i]),
            "banzhaf_raw": float(self.banzhaf_raw[i]),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "method": self.method,
            "voters": {v: self.index(v) for v in self.voters},
        }

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            {
                "voter": list(self.voters),
                "shapley_shubik": self.shapley,
                "banzhaf": self.banzhaf,
                "banzhaf_raw": self.banzhaf_raw,
            }
        )

    def plot(self, ax: Any = None) -> Figure:
        """Bars of both indices per voter, largest first."""
        if ax is None:
            import matplotlib

            matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(max(5, 0.35 * len(self.voters) + 2), 4))
        else:
            fig = ax.figure
        order = np.argsort(-self.shapley, kind="stable")
        x = np.arange(len(order))
        ax.bar(x - 0.2, self.shapley[order], 0.4, label="Shapley-Shubik")
        ax.bar(x + 0.2, self.banzhaf[order], 0.4, label="Banzhaf (normalised)")
        ax.set_xticks(x, [self.voters[i] for i in order], rotation=90)
        ax.set_ylabel("voting power")
        ax.set_title(self.rule)
        ax.legend()
        return fig


def _integer_weights(weights: list[list[float]]) -> tuple[list[np.ndarray], list[int]]:
    """Each criterion's weights as integers (common decimal scale per criterion)."""
    out, scales = [], []
    for ws in weights:
        fr = [Fraction(repr(float(w))) for w in ws]
        scale = math.lcm(*(f.denominator for f in fr)) if fr else 1
        if scale > 10**9:
            raise DetenteError("voting weights: give at most 9 decimal places")
        out.append(np.array([int(f * scale) for f in fr], dtype=np.int64))
        scales.append(scale)
    return out, scales


def _quotas(rule: VotingRule, ints: list[np.ndarray], scales: list[int]) -> list[int]:
    qs = []
    for crit, w, scale in zip(rule.criteria, ints, scales, strict=True):
        if crit.share is not None:
            q = Fraction(repr(float(crit.share))) * int(w.sum())
        else:
            assert crit.quota is not None  # the schema asks for a quota or a share
            q = Fraction(repr(float(crit.quota))) * scale
        qs.append(math.ceil(q))
    return qs


def power_indices(rule: VotingRule, *, method: str = "auto") -> PowerResult:
    """Exact Shapley-Shubik and Banzhaf indices of every voter of ``rule``.

    ``method``: ``"enumerate"`` (every coalition, n <= 25), ``"dp"`` (generating function),
    or ``"auto"`` (enumerate up to 20 voters).
    """
    n = len(rule.voters)
    ints, scales = _integer_weights([rule.weights(c) for c in range(len(rule.criteria))])
    quotas = _quotas(rule, ints, scales)
    bm = rule.blocking_minority
    if method == "auto":
        method = "enumerate" if n <= ENUMERATE_MAX else "dp"
    if method == "enumerate":
        if n > 25:
            raise DetenteError(f"voting rule: {n} voters are too many to enumerate (at most 25)")
        ss, bz = _enumerate(n, ints, quotas, bm)
    elif method == "dp":
        ss, bz = _generating(n, ints, quotas, bm)
    else:
        raise DetenteError(f"power method {method!r}: use auto, enumerate or dp")
    total = bz.sum()
    return PowerResult(
        rule.name,
        tuple(rule.voters),
        ss,
        bz / total if total > 0 else bz,
        bz,
        method,
    )


def _factorial_weights(n: int) -> np.ndarray:
    # s! (n - s - 1)! / n! for s = 0..n-1, as floats (exact ratios of integers, rounded once).
    return np.array(
        [math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)]
    )


def _enumerate(
    n: int, ints: list[np.ndarray], quotas: list[int], bm: int | None
) -> tuple[np.ndarray, np.ndarray]:
    masks = np.arange(1 << n, dtype=np.int64)
    bits = ((masks[:, None] >> np.arange(n)) & 1).astype(np.int64)  # (2^n, n)
    size = bits.sum(axis=1)
    win = np.ones(1 << n, dtype=bool)
    for w, q in zip(ints, quotas, strict=True):
        win &= bits @ w >= q
    if bm is not None:
        win |= (n - size) < bm
    fw = _factorial_weights(n)
    ss = np.empty(n)
    bz = np.empty(n)
    for i in range(n):
        s = masks[bits[:, i] == 0]
        swing = win[s | (1 << i)] & ~win[s]
        ss[i] = fw[size[s[swing]]].sum()
        bz[i] = swing.sum() / float(1 << (n - 1))
    return ss, bz


def _generating(
    n: int, ints: list[np.ndarray], quotas: list[int], bm: int | None
) -> tuple[np.ndarray, np.ndarray]:
    # Criteria with equal weights depend on the coalition's size alone; at most one may not.
    size_quota = 0
    weighted: list[tuple[np.ndarray, int]] = []
    for w, q in zip(ints, quotas, strict=True):
        if np.all(w == w[0]):
            size_quota = max(
                size_quota, math.ceil(q / w[0]) if w[0] > 0 else (0 if q <= 0 else n + 1)
            )
        else:
            weighted.append((w, q))
    if len(weighted) > 1:
        raise DetenteError(
            "voting rule: exact power for more than 20 voters handles at most one criterion of "
            "unequal weights"
        )
    w, q = weighted[0] if weighted else (np.zeros(n, dtype=np.int64), 0)
    g_gcd = math.gcd(*(int(x) for x in w)) if np.any(w) else 1
    if g_gcd > 1:  # a common factor changes no comparison
        w, q = w // g_gcd, math.ceil(q / g_gcd)
    total = int(w.sum())
    if (n + 1) * (total + 1) > MAX_DP_CELLS:
        raise DetenteError(
            f"voting rule: weights too fine for an exact count ({total:,} weight units); round them"
        )
    # g[s, v]: number of coalitions of size s and weight v (counts < 2^n: exact in int64).
    g = np.zeros((n + 1, total + 1), dtype=np.int64)
    g[0, 0] = 1
    for wi in w:
        wi = int(wi)
        g[1:, wi:] += g[:-1, : total + 1 - wi].copy()
    sizes = np.arange(n + 1)[:, None]
    weights = np.arange(total + 1)[None, :]

    def wins(s: np.ndarray, v: np.ndarray) -> np.ndarray:
        out = (s >= size_quota) & (v >= q)
        if bm is not None:
            out |= (n - s) < bm
        return out

    fw = _factorial_weights(n)
    ss = np.empty(n)
    bz = np.empty(n)
    for i, wi in enumerate(w):
        wi = int(wi)
        # Divide voter i out: h[s] = g[s] - h[s-1] shifted by w_i.
        h = np.zeros_like(g)
        h[0] = g[0]
        for s in range(1, n + 1):
            h[s] = g[s]
            h[s, wi:] -= h[s - 1, : total + 1 - wi]
        s_grid = sizes[:n]
        v_grid = weights[:, : total + 1 - wi]
        swing = wins(s_grid + 1, v_grid + wi) & ~wins(s_grid, v_grid)
        counts = np.where(swing, h[:n, : total + 1 - wi], 0)
        per_size = counts.sum(axis=1).astype(float)
        ss[i] = float((per_size * fw).sum())
        bz[i] = float(counts.sum()) / float(1 << (n - 1))
    return ss, bz


def voting_power(scenario: Any) -> PowerResult | None:
    """The power indices of a scenario's ``voting:`` rule, or None when it states none."""
    rule = getattr(scenario, "voting", None)
    return None if rule is None else power_indices(rule)
