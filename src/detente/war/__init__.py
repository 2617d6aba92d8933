"""detente.war: the war-termination model, policy mixes, closed forms and base rates.

Public API::

    from detente.war import simulate
    res = simulate(scenario_or_spec, "credible-pressure", months=60, paths=10_000, seed=1)
    res.p_talks_by()        # P(talks started by month t), t = 1..months
    res.talks_month         # per path: the month talks start, or -1
    res.terms, res.cost_A   # per path: terms (attacker's share) at settlement, weighted costs

Overriding levers (e.g. from web sliders): ``simulate(..., params={"threat_size": 0.5})`` sets a
parameter the mixes refer to (floats, or arrays of shape (paths,) for per-path values as in a
Sobol design), and ``levers={"threat": 2.0, "summit": 0.0}`` multiplies the intensity of every
event of that kind in the mix (kinds: :data:`detente.scenario.war_schema.EVENT_KINDS`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from detente.scenario.errors import DetenteError
from detente.scenario.war_schema import WarSpec
from detente.war.model import A_WINS, BLOCK, D_WINS, BlockResult, simulate_block
from detente.war.params import merge_params
from detente.war.policies import policy_names, resolve_events

__all__ = ["WarResult", "simulate", "war_spec", "policy_names", "MAX_PATHS", "MAX_MONTHS"]

MAX_PATHS = 10_000_000
MAX_MONTHS = 1_200


@dataclass(kw_only=True)
class WarResult(BlockResult):
    """Per-path outcomes of one policy mix (arrays of shape (paths,)).

    talks_month: month talks start (1..months), -1 if not within the horizon (or a side won).
    end_month: month the war ended by talks or by a side's collapse, -1 if still going.
    outcome: 0 still at war, 1 talks, 2 attacker won, 3 defender won.
    terms: the attacker's share of the contested territory in the Nash terms (NaN without talks).
    cost_A, cost_D: weighted cumulative costs (prize units); casualties_* (thousands), money_*
    (bn USD): raw costs until the war ended or the horizon. revenue_A: mean monthly oil revenue.
    gap_start, gap_at_talks: the gap between the sides' expected control at the horizon at month
    1 and when talks started (the mutual optimism that talks need to dissolve).
    traces (when asked): float32 arrays (month, path) of control, gap, credibility, resolve,
    capacity_A, capacity_D, revenue_A at the months ``trace_months`` (all months when None); read
    one with :meth:`trace`.
    """

    # The per-path arrays and traces are BlockResult's fields; a whole run adds these.
    policy: str
    months: int
    paths: int
    seed: int | None
    trace_months: tuple[int, ...] | None = None

    def trace(self, key: str, month: int) -> np.ndarray:
        """A traced quantity at the end of ``month`` (1-based), one value per path."""
        if key not in self.traces:
            raise DetenteError(f"{key!r} was not traced; pass trace=True or trace=({key!r},)")
        months = self.trace_months or tuple(range(1, self.months + 1))
        if month not in months:
            raise DetenteError(f"month {month} was not traced (traced: {list(months)[:12]})")
        return self.traces[key][months.index(month)]

    def p_talks_by(self) -> np.ndarray:
        """P(talks started by month t) for t = 1..months (cumulative share of paths)."""
        counts = np.bincount(self.talks_month[self.talks_month > 0], minlength=self.months + 1)
        return np.cumsum(counts[1:]) / self.paths

    def summary(self) -> dict[str, Any]:
        """Headline figures: P(talks) at 12/24/months, median talks month, terms and costs."""
        p = self.p_talks_by()
        talks = self.talks_month[self.talks_month > 0]
        terms = self.terms[np.isfinite(self.terms)]

        def q(a: np.ndarray) -> dict[str, float | None]:
            a = a[np.isfinite(a)]
            if a.size == 0:
                return {"mean": None, "p10": None, "median": None, "p90": None}
            lo, med, hi = np.percentile(a, [10, 50, 90])
            return {
                "mean": float(a.mean()),
                "p10": float(lo),
                "median": float(med),
                "p90": float(hi),
            }

        return {
            "policy": self.policy,
            "paths": self.paths,
            "months": self.months,
            "p_talks_12": float(p[min(12, self.months) - 1]),
            "p_talks_24": float(p[min(24, self.months) - 1]),
            "p_talks_end": float(p[-1]),
            "median_talks_month": float(np.median(talks)) if talks.size else None,
            "p_attacker_wins": float(np.mean(self.outcome == A_WINS)),
            "p_defender_wins": float(np.mean(self.outcome == D_WINS)),
            "terms": q(terms),
            "cost_A": q(self.cost_A),
            "cost_D": q(self.cost_D),
            "casualties_A": q(self.casualties_A),
            "casualties_D": q(self.casualties_D),
            "money_A": q(self.money_A),
            "money_D": q(self.money_D),
            "revenue_A": q(self.revenue_A),
        }


def war_spec(source: Any) -> WarSpec | None:
    """A WarSpec from a Scenario (its ``war`` section), a WarSpec, or None (defaults)."""
    if source is None or isinstance(source, WarSpec):
        return source
    spec = getattr(source, "war", None)
    if spec is None and hasattr(source, "meta"):
        return None
    if spec is None:
        raise DetenteError(f"not a scenario or war spec: {type(source).__name__}")
    return spec


def simulate(
    spec: Any,
    policy: str = "status-quo",
    months: int = 60,
    paths: int = 10_000,
    seed: int | np.random.SeedSequence | None = 0,
    params: dict[str, float | np.ndarray] | None = None,
    levers: dict[str, float] | None = None,
    trace: bool | tuple[str, ...] = False,
    trace_months: tuple[int, ...] | None = None,
) -> WarResult:
    """Simulate ``paths`` paths of the war for ``months`` months under a policy mix.

    ``spec``: a Scenario (with a ``war:`` section), a WarSpec, or None for the defaults.
    Paths are simulated in memory chunks of :data:`detente.war.model.BLOCK`; their random numbers
    come from streams spawned from one SeedSequence per block of STREAM paths and purpose, so path
    i's numbers depend only on (seed, i, month): results do not depend on chunking or on the
    number of paths, and two mixes with the same seed share their random numbers (common random
    numbers). Per-path parameter arrays in ``params`` must have shape (paths,). ``levers``
    multiplies the intensity of every event of a kind (e.g. {"threat": 2.0}). ``trace``: True
    records every quantity of :data:`detente.war.model.TRACES` each month; a tuple of names
    records only those, and ``trace_months`` only those months (4 bytes x paths per name and
    month).
    """
    if not 1 <= months <= MAX_MONTHS:
        raise DetenteError(f"--months must be between 1 and {MAX_MONTHS}, not {months}")
    if not 1 <= paths <= MAX_PATHS:
        raise DetenteError(f"--paths must be between 1 and {MAX_PATHS}, not {paths}")
    ws = war_spec(spec)
    P = merge_params(ws, params)
    for name, value in P.items():
        if isinstance(value, np.ndarray) and value.shape != (paths,):
            raise DetenteError(
                f"war parameter {name!r}: a per-path array must have shape ({paths},), "
                f"not {value.shape}"
            )
    if isinstance(seed, np.random.SeedSequence):
        root = seed
    else:
        if seed is not None and (not isinstance(seed, int | np.integer) or seed < 0):
            raise DetenteError(f"--seed must be a non-negative integer, not {seed!r}")
        root = np.random.SeedSequence(seed)
    if trace and not isinstance(trace, bool):
        from detente.war.model import TRACES

        unknown = [k for k in trace if k not in TRACES]
        if unknown:
            raise DetenteError(f"cannot trace {unknown}; the traces are: {', '.join(TRACES)}")
    if trace_months is not None and any(not 1 <= t <= months for t in trace_months):
        raise DetenteError(f"trace_months must lie within 1..{months}")
    events = resolve_events(ws, policy, months, P, levers)
    blocks: list[BlockResult] = []
    for start in range(0, paths, BLOCK):
        sl = slice(start, min(start + BLOCK, paths))
        n = sl.stop - sl.start
        Pb = {k: (v[sl] if isinstance(v, np.ndarray) else v) for k, v in P.items()}
        evb = [
            type(ev)(
                ev.kind,
                ev.month,
                ev.intensity[sl] if isinstance(ev.intensity, np.ndarray) else ev.intensity,
                ev.deadline,
                ev.enforce[sl] if isinstance(ev.enforce, np.ndarray) else ev.enforce,
                ev.index,
            )
            for ev in events
        ]
        blocks.append(
            simulate_block(
                Pb, evb, months, n, root, trace=trace, start=sl.start, trace_months=trace_months
            )
        )

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(blk, name) for blk in blocks])

    traces = (
        {k: np.concatenate([blk.traces[k] for blk in blocks], axis=1) for k in blocks[0].traces}
        if blocks[0].traces
        else {}
    )
    return WarResult(
        policy=policy,
        months=months,
        paths=paths,
        seed=seed if isinstance(seed, int) else None,
        **{f.name: cat(f.name) for f in fields(BlockResult) if f.name != "traces"},
        traces=traces,
        trace_months=tuple(trace_months) if trace_months is not None else None,
    )
