"""The war model's engine: per-path parameters, schedules and random numbers into the kernel.

Seed rule (the one rule of every war run): paths are numbered 0..n-1 and grouped in fixed blocks
of :data:`STREAM` paths; block b draws its random numbers from
``SeedSequence(root.entropy, spawn_key=root.spawn_key + (b, purpose))``, so path i's numbers
depend only on (seed, i, months) and never on how many paths are simulated or how the blocks are
grouped in memory; two policy mixes run with the same seed share their random numbers (common
random numbers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detente.scenario.errors import DetenteError
from detente.scenario.war_schema import PARAMETERS, WarSpec
from detente.war.params import merge_params
from detente.war.policies import Event, resolve_events

STREAM = 4096  # paths per random-number block (fixed: results never depend on chunking)
GROUP = 16  # blocks per kernel call (any value gives the same numbers)
MAX_PATHS = 10_000_000
MAX_MONTHS = 1_200


@dataclass
class Paths:
    """Per-path outcomes of one policy mix (arrays of shape (paths,)).

    end_month: month the war ended (0 if still going at the horizon, or no war).
    outcome: kernel.ONGOING, SETTLED, A_WINS, D_WINS, FADED or NO_WAR (no type draw of the
    candidates gives a war going on at the start: these paths are left out of every share).
    terms: the attacker's share of the contested territory at settlement (the line when the war
    faded; NaN otherwise). cost_A, cost_D: costs until the end (prize units). control: the line at
    the end. gap_start, gap_end: the sides' disagreement (A's minus D's believed P(attacker
    wins)) in month 1 and in the last month. range_lo, range_hi: the bargaining range at
    settlement (the least the attacker and the most the defender would accept), as terms.
    accept_A, accept_D: the same at the forecast point (month elapsed + 1), whether or not a
    range exists then (accept_A > accept_D: no terms both would accept).
    """

    end_month: np.ndarray
    outcome: np.ndarray
    terms: np.ndarray
    cost_A: np.ndarray
    cost_D: np.ndarray
    control: np.ndarray
    gap_start: np.ndarray
    gap_end: np.ndarray
    range_lo: np.ndarray
    range_hi: np.ndarray
    accept_A: np.ndarray
    accept_D: np.ndarray
    months: int
    extra: dict[str, Any] = field(default_factory=dict)


def _schedule(events: list[Event], months: int, P: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    from detente.war.kernel import NSCH, SCOLS

    sched = np.zeros((months + 1, NSCH))
    col = {name: k for k, name in enumerate(SCOLS)}
    threats: list[tuple[float, float, float]] = []
    support = float(np.mean(P["support_A"]))
    for ev in events:
        for name in ("intensity", "enforce"):
            if isinstance(getattr(ev, name), np.ndarray):
                raise DetenteError(
                    f"a {ev.kind} event's {name} refers to a parameter drawn per path; lever "
                    "sizes must be the same on every path of a run (give them a fixed value)"
                )
        z = float(ev.intensity)
        if ev.month > months:
            continue
        if ev.kind == "threat":
            sched[ev.month, col["threat_pending"]] += z
            if ev.month + ev.deadline <= months:
                threats.append((float(ev.month + ev.deadline), z, float(ev.enforce)))
        elif ev.kind == "sanction":
            sched[ev.month, col["sanction_add"]] += z
        elif ev.kind == "secondary":
            sched[ev.month, col["secondary_add"]] += z
        elif ev.kind == "aid":
            sched[ev.month, col["aid_add"]] += z
        elif ev.kind == "summit":
            sched[ev.month, col["summit"]] += max(z, 0.0)
        elif ev.kind == "concession":
            sched[ev.month, col["concession"]] += max(z, 0.0)
        elif ev.kind == "purchases":
            sched[ev.month, col["support_add"]] += z * support
        elif ev.kind == "dual_use":
            sched[ev.month, col["support_add"]] += z
    th = np.array(sorted(threats), dtype=np.float64).reshape(-1, 3)
    return sched, th


def _root(seed: int | np.random.SeedSequence | None) -> np.random.SeedSequence:
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if seed is not None and (not isinstance(seed, int | np.integer) or seed < 0):
        raise DetenteError(f"--seed must be a non-negative integer, not {seed!r}")
    return np.random.SeedSequence(seed)


def child(root: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """The SeedSequence of ``key`` under ``root`` (spawned by key, not by call order)."""
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, *key))


def block_numbers(
    root: np.random.SeedSequence, b: int, n: int, months: int, n_threats: int
) -> tuple[np.ndarray, ...]:
    """Block b's random numbers for its first n paths: types, u_stop, u_threat, keys. Each array
    is drawn row by row from its own stream, so the first n rows are the same whether n or all
    STREAM rows are drawn (a short last block gets a prefix)."""
    from detente.war.kernel import CANDIDATES

    def rng(purpose: int) -> np.random.Generator:
        return np.random.default_rng(child(root, b, purpose))

    types = rng(0).standard_normal((n, 2 * CANDIDATES + 2))
    u_stop = rng(1).random(n)
    u_threat = rng(2).random((n, max(n_threats, 1)))
    keys = rng(3).integers(0, 2**64 - 1, size=n, dtype=np.uint64, endpoint=True)
    return types, u_stop, u_threat, keys


def simulate_paths(
    spec: WarSpec | None,
    policy: str,
    months: int,
    paths: int,
    seed: int | np.random.SeedSequence | None,
    params: Mapping[str, float | np.ndarray] | None = None,
    levers: dict[str, float] | None = None,
    python: bool = False,
) -> Paths:
    """Simulate ``paths`` paths for ``months`` months under a policy mix (the engine of
    :func:`detente.war.run_war`; ``params``: overrides, floats or per-path arrays (paths,))."""
    from detente.war.kernel import NOUT, PCOLS, run_paths

    if not 1 <= months <= MAX_MONTHS:
        raise DetenteError(f"--months must be between 1 and {MAX_MONTHS}, not {months}")
    if not 1 <= paths <= MAX_PATHS:
        raise DetenteError(f"--paths must be between 1 and {MAX_PATHS}, not {paths}")
    P = merge_params(spec, params)
    for name, value in P.items():
        if isinstance(value, np.ndarray) and value.shape != (paths,):
            raise DetenteError(
                f"war parameter {name!r}: a per-path array must have shape ({paths},), "
                f"not {value.shape}"
            )
    root = _root(seed)
    elapsed = int(round(float(np.max(P["elapsed"]))))
    total = months + elapsed
    events = resolve_events(spec, policy, total, P, levers)
    # events are scheduled from the forecast point on (after ``elapsed`` months of war)
    events = [
        Event(e.kind, e.month + elapsed, e.intensity, e.deadline, e.enforce, e.index)
        for e in events
        if e.month + elapsed <= total
    ]
    sched, threats = _schedule(events, total, P)
    par = np.empty((paths, len(PCOLS)))
    for k, name in enumerate(PCOLS):
        par[:, k] = P[name]
    out = np.empty((paths, NOUT))
    nthreat = threats.shape[0]
    # the kernel runs GROUP blocks per call (one parallel region over more paths balances the
    # cores better); each block's numbers are still drawn from its own streams
    for g0 in range(0, paths, STREAM * GROUP):
        g1 = min(g0 + STREAM * GROUP, paths)
        parts = [
            block_numbers(root, b, min(start + STREAM, paths) - start, total, nthreat)
            for b, start in ((s // STREAM, s) for s in range(g0, g1, STREAM))
        ]
        types, u_stop, u_threat, keys = (np.concatenate(a) for a in zip(*parts, strict=True))
        run_paths(
            np.ascontiguousarray(par[g0:g1]),
            sched,
            threats,
            total,
            types,
            u_stop,
            u_threat,
            keys,
            out[g0:g1],
            python=python,
        )
    return Paths(
        end_month=out[:, 0].astype(np.int32),
        outcome=out[:, 1].astype(np.int8),
        terms=out[:, 2],
        cost_A=out[:, 3],
        cost_D=out[:, 4],
        control=out[:, 5],
        gap_start=out[:, 6],
        gap_end=out[:, 7],
        range_lo=out[:, 8],
        range_hi=out[:, 9],
        accept_A=out[:, 10],
        accept_D=out[:, 11],
        months=total,
        extra={"elapsed": elapsed},
    )


def defaults_used(spec: WarSpec | None) -> list[str]:
    """The war-specific parameters the scenario leaves to detente's defaults (the structural ones
    come from the calibration unless set)."""
    from detente.scenario.war_schema import STRUCTURAL

    given = set(spec.parameters) if spec is not None else set()
    return [n for n in PARAMETERS if n not in given and n not in STRUCTURAL]
