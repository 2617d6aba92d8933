"""detente.war: the war-termination model, calibrated on the COW wars and scored out of sample.

One function runs the war: :func:`run_war` owns the parameter draws (the calibrated structural
draws as the prior, the scenario's own uncertain inputs), the simulation of every policy mix on
the same random numbers, and the summaries::

    from detente.war import run_war
    run = run_war(scenario, ["status-quo", "appeasement"], months=60, draws=200, paths_per_draw=50)
    run.policies["status-quo"].summary()["outcomes"]   # settlement / victory / fading shares

Seed rule: ``SeedSequence(seed)`` is the root; parameter draw d comes from streams spawned by key
(1, ...) and the paths from blocks spawned by key (0, block, purpose) (see
:mod:`detente.war.engine`), so results never depend on chunking and policy mixes share their
random numbers. The model: :mod:`detente.war.kernel`; the calibration:
:mod:`detente.war.calibration`; the backtest: :mod:`detente.war.backtest`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from detente.results import Result
from detente.scenario.errors import DetenteError
from detente.scenario.war_schema import STRUCTURAL, WarSpec
from detente.war.policies import get_policy, policy_names

__all__ = ["run_war", "WarRun", "PolicyPaths", "war_spec", "policy_names", "get_policy"]

OUTCOME_NAMES = ("settlement", "victory_attacker", "victory_defender", "fading")
QUANTILES = (10, 25, 50, 75, 90)


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


@dataclass
class PolicyPaths(Result):
    """Per-path outcomes of one policy mix (see :class:`detente.war.engine.Paths`), with the
    draw each path belongs to (path i: draw i // paths_per_draw)."""

    policy: str
    paths: Any  # engine.Paths
    draws: int
    paths_per_draw: int
    elapsed: int
    description: str | None = None

    @property
    def valid(self) -> np.ndarray:
        """Paths that are wars going on at the forecast point (after ``elapsed`` months)."""
        from detente.war.kernel import NO_WAR

        p = self.paths
        return (p.outcome != NO_WAR) & ((p.end_month == 0) | (p.end_month > self.elapsed))

    def code(self) -> np.ndarray:
        """Per path: 0 settlement, 1 attacker won, 2 defender won, 3 faded, -1 still at war."""
        from detente.war.kernel import A_WINS, D_WINS, FADED, SETTLED

        out = np.full(self.paths.outcome.shape, -1)
        for c, o in enumerate((SETTLED, A_WINS, D_WINS, FADED)):
            out[self.paths.outcome == o] = c
        return out

    def durations(self) -> np.ndarray:
        """Months from the start of the war to its end (inf: still at war at the horizon)."""
        e = self.paths.end_month.astype(float)
        return np.where(e > 0, e, np.inf)

    def p_end_by(self, kind: str | None = None) -> np.ndarray:
        """P(the war ended -- by ``kind`` if given -- by month t) for t = elapsed+1..end, among
        the valid paths."""
        v = self.valid
        code = self.code()[v]
        end = self.paths.end_month[v]
        mask = code >= 0 if kind is None else code == OUTCOME_NAMES.index(kind)
        T = self.paths.months
        counts = np.bincount(end[mask], minlength=T + 1)[self.elapsed + 1 : T + 1]
        return np.cumsum(counts) / max(int(v.sum()), 1)

    def summary(self) -> dict[str, Any]:
        """Shares of each ending, the duration distribution, terms and costs."""
        v = self.valid
        n = int(v.sum())
        code = self.code()[v]
        ended = code >= 0
        ne = max(int(ended.sum()), 1)
        dur = np.sort(self.durations()[v])
        q = {}
        for p in QUANTILES:
            value = float(np.percentile(dur, p, method="inverted_cdf")) if n else float("nan")
            q[f"p{p}"] = value if np.isfinite(value) else None
        terms = self.paths.terms[v & (self.code() == 0)]
        by_end = {k: float(np.mean(code == c)) if n else 0.0 for c, k in enumerate(OUTCOME_NAMES)}
        by_end["ongoing"] = float(np.mean(code < 0)) if n else 0.0

        def stats(a: np.ndarray) -> dict[str, float | None]:
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
            "paths": n,
            "paths_simulated": int(v.size),
            "outcomes": {k: float(np.sum(code == c) / ne) for c, k in enumerate(OUTCOME_NAMES)},
            "p_by_end": by_end,
            "duration_months": q,
            "terms": stats(terms),
            "cost_A": stats(self.paths.cost_A[v]),
            "cost_D": stats(self.paths.cost_D[v]),
        }

    def per_draw(self, metric: str) -> np.ndarray:
        """A metric per parameter draw (means over the draw's valid paths; NaN without any):
        p_settle_12 (P(settlement within 12 months of the forecast point)), p_end_12, p_end_60,
        mean_end (mean months to the end, censored at the horizon + 1), p_settlement,
        gap_start, gap_end, cost_A, cost_D."""
        D, P = self.draws, self.paths_per_draw
        v = self.valid.reshape(D, P)
        code = self.code().reshape(D, P)
        end = self.paths.end_month.reshape(D, P).astype(float)
        T = self.paths.months
        rel = np.where(end > 0, end - self.elapsed, T - self.elapsed + 1)
        if metric == "p_settle_12":
            x = ((code == 0) & (rel <= 12)).astype(float)
        elif metric == "p_end_12":
            x = ((code >= 0) & (rel <= 12)).astype(float)
        elif metric == "p_end_60":
            x = ((code >= 0) & (rel <= 60)).astype(float)
        elif metric == "mean_end":
            x = rel
        elif metric == "mean_settle":
            x = np.where(code == 0, rel, T - self.elapsed + 1)
        elif metric == "p_settlement":
            x = (code == 0).astype(float)
        elif metric in ("gap_start", "gap_end", "cost_A", "cost_D"):
            x = getattr(self.paths, metric).reshape(D, P)
            if metric.startswith("gap"):
                x = np.abs(x)
        else:
            raise DetenteError(f"unknown per-draw metric {metric!r}")
        with np.errstate(invalid="ignore"):
            s = np.where(v, x, 0.0).sum(axis=1)
            return np.where(v.sum(axis=1) > 0, s / np.maximum(v.sum(axis=1), 1), np.nan)

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary(), "p_end_by_month": self.p_end_by().tolist()}

    def to_frame(self) -> Any:
        import pandas as pd

        p = self.paths
        return pd.DataFrame(
            {
                "draw": np.arange(p.outcome.size) // self.paths_per_draw,
                "end_month": p.end_month,
                "outcome": self.code(),
                "terms": p.terms,
                "cost_A": p.cost_A,
                "cost_D": p.cost_D,
                "valid": self.valid,
            }
        )


@dataclass
class WarRun(Result):
    """Every policy mix of one war run, on the same parameter draws and random numbers."""

    scenario: str
    months: int
    draws: int
    paths_per_draw: int
    seed: int | None
    fixed: bool
    elapsed: int
    policies: dict[str, PolicyPaths]
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "months": self.months,
            "elapsed": self.elapsed,
            "draws": self.draws,
            "paths_per_draw": self.paths_per_draw,
            "seed": self.seed,
            "fixed": self.fixed,
            "parameters": self.parameters,
            "policies": {
                name: {
                    "description": pp.description,
                    **pp.summary(),
                    "p_end_by_month": pp.p_end_by().tolist(),
                    "p_settlement_by_month": pp.p_end_by("settlement").tolist(),
                    # the name the report's plots read: talks = the settlement that ends the war
                    "p_talks_by_month": pp.p_end_by("settlement").tolist(),
                }
                for name, pp in self.policies.items()
            },
        }

    def to_frame(self) -> Any:
        import pandas as pd

        rows = []
        for name, pp in self.policies.items():
            s = pp.summary()
            rows.append({"policy": name, **s["outcomes"], **s["duration_months"]})
        return pd.DataFrame(rows).set_index("policy")

    def plot(self, ax: Any = None) -> Any:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100) if ax is None else (ax.figure, ax)
        for name, pp in self.policies.items():
            p = pp.p_end_by()
            ax.plot(np.arange(self.elapsed + 1, self.elapsed + 1 + len(p)), p, label=name)
        ax.set_xlabel("month of the war")
        ax.set_ylabel("P(war ended by month)")
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        return fig


def draw_parameters(
    spec: WarSpec | None, draws: int, root: np.random.SeedSequence, fixed: bool
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Per-draw parameters: structural ones from the calibrated draws (the prior) unless the
    scenario sets them; the scenario's uncertain Estimates drawn from their uncertainty. Arrays
    (draws,). Returns (parameters, provenance)."""
    from detente.war.calibration import calibrated_draws, calibrated_medians
    from detente.war.engine import child
    from detente.war.params import draw_params

    given = set(spec.parameters) if spec is not None else set()
    out: dict[str, np.ndarray] = {}
    free = [k for k in STRUCTURAL if k not in given]
    if fixed:
        med = calibrated_medians()
        out.update({k: np.full(draws, med[k]) for k in free})
        prov = "structural parameters at the medians of the calibrated draws"
    else:
        cal = calibrated_draws()
        n_cal = len(next(iter(cal.values())))
        pick = np.random.default_rng(child(root, 1, 0)).integers(n_cal, size=draws)
        out.update({k: cal[k][pick] for k in free})
        prov = f"structural parameters drawn from the {n_cal} calibrated draws (COW wars < 1946)"
        out.update(draw_params(spec, draws, child(root, 1, 1)))
    return out, {
        "structural": prov,
        "structural_from_scenario": sorted(given & set(STRUCTURAL)),
    }


def run_war(
    scenario: Any,
    policies: list[str] | None = None,
    months: int = 60,
    draws: int = 200,
    paths_per_draw: int = 50,
    seed: int | np.random.SeedSequence | None = 0,
    fixed: bool = False,
    params: Mapping[str, float | np.ndarray] | None = None,
    levers: dict[str, float] | None = None,
    python: bool = False,
) -> WarRun:
    """Run the war model: draws, simulation of every policy mix (common random numbers), summary.

    ``params``: overrides, floats for every path or arrays of shape (draws,) (one value per
    draw). ``months`` counts from the forecast point (the scenario's ``elapsed`` months of war
    are simulated first and paths that ended before are left out). ``fixed``: the assumed values
    (structural parameters at the calibrated medians) for every draw.
    """
    from detente.war.engine import _root, child, defaults_used, simulate_paths

    spec = war_spec(scenario)
    names = policies or policy_names(spec)
    for name in names:
        get_policy(spec, name)
    if draws < 1 or paths_per_draw < 1:
        raise DetenteError("--draws and --paths must be at least 1")
    root = _root(seed)
    per_draw, prov = draw_parameters(spec, draws, root, fixed)
    for k, v in (params or {}).items():
        arr = np.asarray(v, dtype=float)
        if arr.ndim == 1 and arr.shape != (draws,):
            raise DetenteError(
                f"war parameter {k!r}: one value per draw ({draws}), not {arr.shape}"
            )
        per_draw[k] = np.broadcast_to(arr, (draws,)).copy() if arr.ndim <= 1 else arr
    n = draws * paths_per_draw
    per_path: dict[str, float | np.ndarray] = {
        k: np.repeat(v, paths_per_draw) for k, v in per_draw.items()
    }
    from detente.war.params import merge_params

    elapsed = int(round(float(np.max(merge_params(spec, per_path)["elapsed"]))))
    results = {}
    for name in names:
        p = simulate_paths(spec, name, months, n, child(root, 0), per_path, levers, python=python)
        results[name] = PolicyPaths(
            name, p, draws, paths_per_draw, elapsed, get_policy(spec, name).description
        )
    sc_name = getattr(getattr(scenario, "meta", None), "id", None) or "war"
    prov["defaults_used"] = defaults_used(spec)
    return WarRun(
        scenario=str(sc_name),
        months=months,
        draws=draws,
        paths_per_draw=paths_per_draw,
        seed=seed if isinstance(seed, int) else None,
        fixed=fixed,
        elapsed=elapsed,
        policies=results,
        parameters=prov,
    )
