"""The array contract every bargaining model works on.

A model is a pure function ``model(inp: BargainingInput, **params) -> ModelResult``. Arrays carry a
leading batch axis (draws), so a Monte Carlo run or a sweep is one larger batch, not a loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class BargainingInput:
    """Positions, saliences and capabilities of N actors on K issues, for B draws.

    positions    (B, N, K) float64, on each issue's own scale
    saliences    (B, N, K) float64 in [0, 1]
    capabilities (B, N)    float64 >= 0
    scale_low, scale_high (K,) the ends of each issue's scale
    reference    (K,) the status quo / reference point of each issue, NaN where none is given;
                 or (B, K) when it varies by draw (Monte Carlo over an uncertain status quo)
    draw_ids     (B,) int, each element's index in its whole run (a Monte Carlo chunk of draws
                 a:b holds a..b-1); None means 0..B-1. A model's random draws for element e come
                 from a stream seeded by (seed, draw_ids[e]), so chunking never changes them.
    """

    positions: np.ndarray
    saliences: np.ndarray
    capabilities: np.ndarray
    scale_low: np.ndarray
    scale_high: np.ndarray
    reference: np.ndarray
    actor_ids: tuple[str, ...] = ()
    issue_ids: tuple[str, ...] = ()
    draw_ids: np.ndarray | None = None

    @property
    def batch(self) -> int:
        return int(self.positions.shape[0])

    @property
    def n_actors(self) -> int:
        return int(self.positions.shape[1])

    @property
    def n_issues(self) -> int:
        return int(self.positions.shape[2])

    def reference_batch(self) -> np.ndarray:
        """The reference point as (B, K), whether it is stored per draw or once for all."""
        ref = np.asarray(self.reference, dtype=float)
        return ref if ref.ndim == 2 else np.broadcast_to(ref, (self.batch, ref.shape[-1]))

    def draw_index(self) -> np.ndarray:
        """Each batch element's index in its whole run (``draw_ids``, default 0..B-1)."""
        if self.draw_ids is None:
            return np.arange(self.batch, dtype=np.int64)
        return np.asarray(self.draw_ids, dtype=np.int64)

    def normalised_positions(self) -> np.ndarray:
        """Positions mapped to [0, 1] per issue (scale_low -> 0, scale_high -> 1)."""
        width = np.where(self.scale_high > self.scale_low, self.scale_high - self.scale_low, 1.0)
        return (self.positions - self.scale_low) / width

    def from_unit(self, values: np.ndarray) -> np.ndarray:
        """Map values on [0, 1] (last axis = issues) back to each issue's scale."""
        return self.scale_low + values * (self.scale_high - self.scale_low)

    def take(self, index: np.ndarray | slice) -> BargainingInput:
        """A sub-batch (e.g. one chunk of a Monte Carlo run)."""
        return BargainingInput(
            positions=self.positions[index],
            saliences=self.saliences[index],
            capabilities=self.capabilities[index],
            scale_low=self.scale_low,
            scale_high=self.scale_high,
            reference=self.reference[index] if self.reference.ndim == 2 else self.reference,
            actor_ids=self.actor_ids,
            issue_ids=self.issue_ids,
            draw_ids=self.draw_index()[index],
        )


def make_input(
    positions: Any,
    saliences: Any,
    capabilities: Any,
    scale_low: Any = 0.0,
    scale_high: Any = 100.0,
    reference: Any = None,
    actor_ids: tuple[str, ...] = (),
    issue_ids: tuple[str, ...] = (),
) -> BargainingInput:
    """Build a BargainingInput from plain lists or arrays, adding batch/issue axes as needed.

    positions may be (N,), (N, K) or (B, N, K); saliences likewise (a scalar broadcasts);
    capabilities (N,) or (B, N).
    """
    pos = np.asarray(positions, dtype=float)
    if pos.ndim == 1:
        pos = pos[:, None]
    if pos.ndim == 2:
        pos = pos[None]
    b, n, k = pos.shape
    sal = np.broadcast_to(_lift(np.asarray(saliences, dtype=float), 3), (b, n, k)).copy()
    cap = np.asarray(capabilities, dtype=float)
    cap = np.broadcast_to(cap if cap.ndim == 2 else cap[None], (b, n)).copy()
    lo = np.broadcast_to(np.asarray(scale_low, dtype=float), (k,)).copy()
    hi = np.broadcast_to(np.asarray(scale_high, dtype=float), (k,)).copy()
    ref = (
        np.full(k, np.nan)
        if reference is None
        else np.broadcast_to(np.asarray(reference, dtype=float), (k,)).copy()
    )
    return BargainingInput(pos, sal, cap, lo, hi, ref, tuple(actor_ids), tuple(issue_ids))


def _lift(a: np.ndarray, ndim: int) -> np.ndarray:
    # (N,) -> (1, N, 1); (N, K) -> (1, N, K); scalars broadcast as they are.
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return a[None, :, None]
    if a.ndim == 2:
        return a[None]
    return a


@dataclass
class ModelResult:
    """What a bargaining model returns.

    forecast         (B, K) the predicted outcome of each issue, on the issue's scale
    final_positions  (B, N, K) actors' positions at the end (None for one-shot models)
    trajectory       (B, T+1, N, K) positions per round, round 0 = input (None for one-shot
                     models); batch elements that stop early repeat their last state
    rounds           (B,) rounds/turns actually run (None for one-shot models)
    extras           model-specific outputs (e.g. the exchanges made, per-round summaries)
    """

    model: str
    forecast: np.ndarray
    final_positions: np.ndarray | None = None
    trajectory: np.ndarray | None = None
    rounds: np.ndarray | None = None
    params: dict[str, Any] = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
