"""Services: load a scenario, list the models and scenarios, forecast (optionally with Monte Carlo).

The point forecast path imports only numpy, pydantic and the model modules (no pandas, scipy or
numba), so ``detente forecast`` starts fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from detente.results import Result

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr
    from matplotlib.figure import Figure

    from detente.analysis.montecarlo import MonteCarloResult
    from detente.bargaining.inputs import BargainingInput, ModelResult
    from detente.bargaining.registry import ModelSpec
    from detente.scenario.schema import Scenario


def load(path_or_name: str | None = None) -> Scenario:
    """Load a scenario file (YAML, CSV, KTAB CSV/XML) or an embedded scenario by name
    (default: ``ukraine-2025``)."""
    from detente.scenario import io as scenario_io

    return scenario_io.load(path_or_name)


def as_scenario(scenario: Scenario | str | None) -> Scenario:
    """``scenario`` itself, or the scenario a file name or an embedded name loads."""
    from detente.scenario.schema import Scenario

    return scenario if isinstance(scenario, Scenario) else load(scenario)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario's canonical JSON: the same content gives the same hash."""
    from detente.scenario.canonical import scenario_hash as _hash

    return _hash(scenario)


def models() -> list[ModelSpec]:
    """Every registered bargaining model (name, title, citation, parameters)."""
    from detente.bargaining.registry import list_models

    return list_models()


def model_spec(name: str) -> ModelSpec:
    """One model's spec by name (a DetenteError naming the models when unknown)."""
    from detente.bargaining.registry import get_model

    return get_model(name)


def model_defaults(name: str) -> dict[str, Any]:
    """A model's parameters and their defaults."""
    return {p.name: p.default for p in model_spec(name).params}


def scenarios() -> list[str]:
    """The names of the scenarios shipped with detente."""
    from detente.scenario.io import embedded_names

    return list(embedded_names())


def save(scenario: Scenario, path: str) -> None:
    """Write a scenario as YAML."""
    from detente.scenario.io import save as _save

    _save(scenario, path)


def to_yaml(scenario: Scenario) -> str:
    """A scenario as YAML text."""
    from detente.scenario.io import to_yaml as _to_yaml

    return _to_yaml(scenario)


def import_ktab(path: str) -> tuple[Scenario, dict[str, Any], list[str]]:
    """A KTAB SMP input file (CSV or XML) as a scenario, with the SMP options an XML file asks
    for and the KTAB options detente does not implement."""
    from pathlib import Path

    from detente.scenario import ktab
    from detente.scenario.errors import NO_VALUE, ScenarioError

    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".xml"):
        raise ScenarioError(path, "", NO_VALUE, "must be a KTAB .csv or .xml file")
    if suffix == ".xml":
        params, unsupported = ktab.ktab_xml_params(path)
        return ktab.load_ktab_xml(path), params, unsupported
    return ktab.load_ktab_csv(path), {}, []


def import_decide(path: str) -> Scenario:
    """A Decide exchange-model input file (#A/#P/#M/#D rows) as a scenario."""
    from detente.scenario.decide import load_decide

    return load_decide(path)


def to_input(scenario: Scenario) -> BargainingInput:
    """The scenario's central values as model input arrays (a batch of one)."""
    from detente.bargaining.arrays import to_arrays

    return to_arrays(scenario)


def default_models(scenario: Scenario) -> list[str]:
    """Every registered model that applies to the scenario."""
    k = len(scenario.issues)
    return [m.name for m in models() if m.multi_issue or k >= 2]


@dataclass
class Forecast(Result):
    """Each model's forecast for a scenario (batch element 0 = the central values).

    ``uncertainty[model]``: the Monte Carlo over the scenario's stated uncertainties, when asked.
    """

    scenario: Scenario
    results: dict[str, ModelResult]
    specs: dict[str, ModelSpec] = field(default_factory=dict)
    uncertainty: dict[str, MonteCarloResult] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per model and issue: model, issue, forecast, nearest_label, rounds."""
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
        return rows

    def to_frame(self) -> pd.DataFrame:
        """Tidy view: one row per model and issue."""
        import pandas as pd

        return pd.DataFrame(self.rows())

    def trajectory_frame(self, model: str) -> pd.DataFrame:
        """Tidy trajectory of a dynamic model: round, actor, issue, position."""
        import numpy as np
        import pandas as pd

        from detente.scenario.errors import DetenteError

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

    def to_xarray(self) -> xr.Dataset:
        """forecast (model, issue); each dynamic model's trajectory (round, actor, issue)."""
        import numpy as np
        import xarray as xr

        sc = self.scenario
        names = list(self.results)
        data: dict[str, Any] = {
            "forecast": (
                ("model", "issue"),
                np.array([self.results[m].forecast[0] for m in names]),
            )
        }
        for m in names:
            res = self.results[m]
            if res.trajectory is not None:
                data[f"trajectory_{m}"] = ((f"round_{m}", "actor", "issue"), res.trajectory[0])
        return xr.Dataset(
            data,
            coords={"model": names, "issue": list(sc.issue_ids), "actor": list(sc.actor_ids)},
            attrs={"scenario": sc.meta.id or "", "title": sc.meta.title},
        )

    def plot(self, ax: Any = None) -> Figure:
        """Each model's forecast per issue (one panel per issue)."""
        from matplotlib.figure import Figure

        sc = self.scenario
        fig = Figure(figsize=(6, 1.2 + 0.9 * len(sc.issues)))
        axes = fig.subplots(len(sc.issues), 1, squeeze=False)[:, 0]
        names = list(self.results)
        for k, (axk, issue) in enumerate(zip(axes, sc.issues, strict=True)):
            values = [float(self.results[m].forecast[0, k]) for m in names]
            axk.barh(names, values)
            axk.set_xlim(issue.scale.low, issue.scale.high)
            axk.set_title(issue.name, fontsize=9, loc="left")
        fig.tight_layout()
        return fig

    def to_dict(self) -> dict[str, Any]:
        """Machine-readable result with stable keys (documented in the README)."""
        from detente.jsonable import to_jsonable

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
            "forecasts": [{k: v for k, v in r.items() if k != "rounds"} for r in self.rows()],
            "models": {},
        }
        for name, res in self.results.items():
            spec = self.specs.get(name) or model_spec(name)
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
            out["uncertainty"] = {name: mc.to_dict() for name, mc in self.uncertainty.items()}
        return out


def _first(extras: dict[str, Any]) -> dict[str, Any]:
    # Extras hold batch arrays; the JSON view reports batch element 0 (the central values).
    import numpy as np

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
    from detente.bargaining.registry import get_model
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
    *,
    model: str | Sequence[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
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
    from detente.analysis.budget import check_forecast
    from detente.api.constraints import check_cluster, check_finite, check_inputs, check_options
    from detente.scenario.errors import DetenteError

    check_options("forecast", draws=draws, seed=seed)  # every option checked in one place
    check_cluster(cluster)
    sc = as_scenario(scenario)
    if draws is None and (thresholds or cluster or seed is not None):
        raise DetenteError("seed, thresholds and cluster need draws (a Monte Carlo)")
    if interventions:
        from detente.analysis.levers import apply_interventions

        sc = apply_interventions(sc, interventions).scenario
    names = (
        default_models(sc)
        if model is None
        else ([model] if isinstance(model, str) else list(model))
    )
    check_inputs(sc)
    specs = {n: model_spec(n) for n in names}
    for name, values in (params or {}).items():
        model_spec(name).resolve(values)  # an unknown model or parameter fails before any work
    check_forecast(sc, names, params, draws)  # refuse what would not fit, before any work
    results = run_models(to_input(sc), names, params, progress=progress)
    check_finite(sc, results)
    out = Forecast(scenario=sc, results=results, specs=specs)
    if draws is not None:
        from detente.api.analysis import monte_carlo

        mcs = monte_carlo(
            sc,
            model=names,
            draws=draws,
            seed=seed,
            params=params,
            thresholds=thresholds,
            cluster=cluster,
            progress=progress,
        )
        out.uncertainty.update(mcs)
    return out
