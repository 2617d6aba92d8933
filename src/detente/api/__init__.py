"""The service layer: plain functions over a Scenario.

They serve the CLI, the Python API and the web app alike.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from detente.bargaining.inputs import BargainingInput, ModelResult
from detente.bargaining.registry import ModelSpec, get_model, list_models
from detente.jsonable import to_jsonable
from detente.scenario import io as scenario_io
from detente.scenario.arrays import to_arrays
from detente.scenario.errors import DetenteError
from detente.scenario.schema import Scenario


def load(path_or_name: str | None = None) -> Scenario:
    """Load a scenario file (YAML, CSV, KTAB CSV/XML) or an embedded scenario by name."""
    return scenario_io.load(path_or_name)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario's canonical JSON: the same content gives the same hash."""
    text = json.dumps(scenario.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_models(scenario: Scenario) -> list[str]:
    """Every registered model that applies to the scenario."""
    k = len(scenario.issues)
    return [m.name for m in list_models() if m.multi_issue or k >= 2]


@dataclass
class Forecast:
    """Each model's forecast for a scenario."""

    scenario: Scenario
    results: dict[str, ModelResult]
    specs: dict[str, ModelSpec] = field(default_factory=dict)
    # Monte Carlo over input uncertainty per model (detente.analysis.montecarlo), when asked for.
    uncertainty: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Tidy view: one row per model and issue (batch element 0 = the central values)."""
        rows = []
        for name, res in self.results.items():
            for k, issue in enumerate(self.scenario.issues):
                value = float(res.forecast[0, k])
                rows.append(
                    {
                        "model": name,
                        "issue": issue.id,
                        "forecast": value,
                        "nearest_label": issue.scale.nearest_label(value),
                        "rounds": None if res.rounds is None else int(res.rounds[0]),
                    }
                )
        return pd.DataFrame(rows)

    def trajectory_frame(self, model: str) -> pd.DataFrame:
        """Tidy trajectory of a dynamic model: round, actor, issue, position."""
        res = self.results[model]
        if res.trajectory is None:
            raise DetenteError(f"model {model!r} has no trajectory (it is one-shot)")
        traj = res.trajectory[0]
        last = traj.shape[0] if res.rounds is None else int(res.rounds[0]) + 1
        rounds, actors, issues = np.meshgrid(
            np.arange(last), np.arange(traj.shape[1]), np.arange(traj.shape[2]), indexing="ij"
        )
        return pd.DataFrame(
            {
                "round": rounds.ravel(),
                "actor": np.array(self.scenario.actor_ids)[actors.ravel()],
                "issue": np.array(self.scenario.issue_ids)[issues.ravel()],
                "position": traj[:last].ravel(),
            }
        )

    def to_json(self) -> dict[str, Any]:
        """Machine-readable result with stable keys (documented in the README)."""
        sc = self.scenario
        out: dict[str, Any] = {
            "scenario": {"id": sc.meta.id, "title": sc.meta.title, "sha256": scenario_hash(sc)},
            "issues": [
                {
                    "id": i.id,
                    "name": i.name,
                    "low": i.scale.low,
                    "high": i.scale.high,
                    "low_label": i.scale.low_label,
                    "high_label": i.scale.high_label,
                    "reference": None if i.reference is None else i.reference.value,
                }
                for i in sc.issues
            ],
            "forecasts": self.to_frame().drop(columns=["rounds"]).to_dict(orient="records"),
            "models": {},
        }
        for name, res in self.results.items():
            spec = self.specs.get(name) or get_model(name)
            entry: dict[str, Any] = {
                "title": spec.title,
                "citation": spec.citation,
                "params": to_jsonable(res.params),
                "rounds": None if res.rounds is None else int(res.rounds[0]),
                "final_positions": None,
                "trajectory": None,
                "extras": to_jsonable(_first(res.extras)),
            }
            if res.final_positions is not None:
                entry["final_positions"] = {
                    issue: {
                        a: float(res.final_positions[0, n, k]) for n, a in enumerate(sc.actor_ids)
                    }
                    for k, issue in enumerate(sc.issue_ids)
                }
            if res.trajectory is not None:
                last = res.trajectory.shape[1] if res.rounds is None else int(res.rounds[0]) + 1
                entry["trajectory"] = {
                    issue: {
                        a: [float(v) for v in res.trajectory[0, :last, n, k]]
                        for n, a in enumerate(sc.actor_ids)
                    }
                    for k, issue in enumerate(sc.issue_ids)
                }
            out["models"][name] = entry
        if self.uncertainty:
            # New key only with Monte Carlo: {model: {draws, seed, issues{id: {median,
            # interval_50, interval_90, mean, sd}}, thresholds[...]}}.
            out["uncertainty"] = {name: mc.to_json() for name, mc in self.uncertainty.items()}
        return out


def _first(extras: dict[str, Any]) -> dict[str, Any]:
    # Extras hold batch arrays; the JSON view reports batch element 0 (the central values).
    out: dict[str, Any] = {}
    for key, value in extras.items():
        if isinstance(value, np.ndarray) and value.ndim >= 1:
            out[key] = value[0]
        elif (
            isinstance(value, Sequence)  # a list per batch element, or a lazy one (ExchangeLog)
            and not isinstance(value, str | bytes)
            and len(value)
            and isinstance(value[0], list)
        ):
            out[key] = list(value[0])
        else:
            out[key] = value
    return out


def run_models(
    inp: BargainingInput,
    models: Sequence[str],
    params: dict[str, dict[str, Any]] | None = None,
    progress: bool = False,
) -> dict[str, ModelResult]:
    """Run each named model on a batch of inputs (``progress``: a bar on stderr)."""
    from detente.progress import progress_bar

    params = params or {}
    out = {}
    with progress_bar(progress, "models", len(models)) as advance:
        for name in models:
            out[name] = get_model(name)(inp, **params.get(name, {}))
            advance()
    return out


def forecast(
    scenario: Scenario | str | None = None,
    model: str | Sequence[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    *,
    draws: int | None = None,
    seed: int | None = None,
    thresholds: Sequence[str] = (),
    cluster: str | None = None,
    progress: bool = False,
    interventions: Sequence[Any] | None = None,
) -> Forecast:
    """Forecast each issue of ``scenario`` with one or more models (default: every model).

    ``params`` maps a model's name to its parameter overrides, e.g. ``{"eum": {"q": 0.5}}``.
    With ``draws``, each model also runs a seeded Monte Carlo over the scenario's stated
    uncertainties (``Forecast.uncertainty[model]``, a MonteCarloResult: median, 50%/90% intervals,
    P(``thresholds``), e.g. ``"territory<=40"``); ``cluster`` ("local" or a Dask scheduler
    address) runs its chunks there, with the same numbers as in one process.
    ``interventions`` (lines of the intervention language, e.g. ``"remove IND"``, or specs) are
    applied first (see :mod:`detente.analysis.levers`).
    """
    from detente.api.constraints import (
        check_cluster,
        check_finite,
        check_inputs,
        check_options,
    )

    check_options("forecast", draws=draws, seed=seed)
    check_cluster(cluster)
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    if interventions:
        from detente.analysis.levers import apply_interventions

        scenario = apply_interventions(scenario, interventions).scenario
    names = (
        default_models(scenario)
        if model is None
        else ([model] if isinstance(model, str) else list(model))
    )
    check_inputs(scenario)
    specs = {n: get_model(n) for n in names}
    for name, values in (params or {}).items():
        get_model(name).resolve(values)  # an unknown model or parameter fails before any work
    from detente.analysis.budget import check_forecast

    check_forecast(scenario, names, params, draws)
    results = run_models(to_arrays(scenario), names, params, progress=progress)
    check_finite(scenario, results)
    out = Forecast(scenario=scenario, results=results, specs=specs)
    if draws is not None:
        from detente.analysis.distributed import runner
        from detente.analysis.montecarlo import monte_carlo, parse_threshold
        from detente.analysis.uncertainty import resolve_seed

        ths = [parse_threshold(t, scenario.issue_ids) for t in thresholds]
        entropy = resolve_seed(seed)  # one seed for every model, recorded in each result
        with runner(cluster, progress=progress) as run:
            for name in names:
                out.uncertainty[name] = monte_carlo(
                    scenario,
                    name,
                    draws,
                    seed=entropy,
                    params=(params or {}).get(name),
                    thresholds=ths,
                    runner=run,
                )
    return out


# ---- analysis: what-ifs, levers, sweeps, sensitivity (detente.analysis) ------------------------


def whatif(
    scenario: Scenario | str | None, interventions: Sequence[Any] | None = None, **options: Any
) -> Any:
    """Forecasts before and after ``interventions`` side by side (a WhatIf); options as
    :func:`detente.analysis.levers.whatif` (models, draws, seed, params, thresholds, runner)."""
    from detente.analysis.levers import whatif as _whatif
    from detente.api.constraints import check_options

    check_options("whatif", draws=options.get("draws"), seed=options.get("seed"))
    sc = scenario if isinstance(scenario, Scenario) else load(scenario)
    return _whatif(sc, interventions, **options)


def smallest_lever(scenario: Scenario | str | None, actor: str, target: str, **options: Any) -> Any:
    """The smallest change ``actor`` can make to its own inputs to reach ``target`` (e.g.
    ``"territory<=40"``) with a probability; see :func:`detente.analysis.levers.smallest_lever`."""
    from detente.analysis.levers import smallest_lever as _lever
    from detente.api.constraints import check_options

    check_options("lever", draws=options.get("draws"), seed=options.get("seed"))

    sc = scenario if isinstance(scenario, Scenario) else load(scenario)
    return _lever(sc, actor, target, **options)


def sweep(scenario: Scenario | str | None, levers: Sequence[str], **options: Any) -> Any:
    """Forecasts over a grid of one or two levers (e.g. ``"USA.position.sanctions=0:100:11"``);
    see :func:`detente.analysis.levers.sweep`."""
    from detente.analysis.levers import sweep as _sweep
    from detente.api.constraints import check_options

    check_options("sweep", draws=options.get("draws"), seed=options.get("seed"))

    sc = scenario if isinstance(scenario, Scenario) else load(scenario)
    return _sweep(sc, levers, **options)


def sensitivity(scenario: Scenario | str | None, model: str = "compromise", **options: Any) -> Any:
    """Sobol' or Morris indices of each issue's forecast (or of P(talks) for ``model="war"``);
    see :func:`detente.analysis.sensitivity.sensitivity`."""
    from detente.analysis.sensitivity import sensitivity as _sensitivity
    from detente.api.constraints import check_options

    check_options(
        "sensitivity",
        **{k: options.get(k) for k in ("n", "seed", "paths", "months")},
    )

    sc = scenario if isinstance(scenario, Scenario) else load(scenario)
    return _sensitivity(sc, model, **options)
