"""Services over uncertainty and levers: Monte Carlo, what-if, sweep, smallest lever, sensitivity.

Each takes a scenario (a Scenario, a file or an embedded name) and explicit keywords, runs on
this process or a Dask cluster (``cluster``) with the same numbers, and returns a
:class:`detente.results.Result`. They need the ``analysis`` extra (scipy for the input
distributions; SALib for sensitivity); ``cluster`` needs the ``cluster`` extra.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from detente.api.forecasting import as_scenario, default_models
from detente.extras import require

if TYPE_CHECKING:
    from detente.analysis.distributed import Runner
    from detente.analysis.levers import LeverResult, Sweep, WhatIf
    from detente.analysis.montecarlo import MonteCarloResult
    from detente.analysis.sensitivity import SensitivityResult
    from detente.scenario.schema import Scenario


@contextlib.contextmanager
def _runner(cluster: str | None, progress: bool) -> Iterator[Runner]:
    from detente.analysis.distributed import runner

    if cluster:
        require("distributed", "--cluster (Dask)")
    with runner(cluster, progress=progress) as run:
        yield run


def _need_scipy(what: str) -> None:
    require("scipy", what)


def monte_carlo(
    scenario: Scenario | str | None = None,
    *,
    model: str | Sequence[str] | None = None,
    draws: int = 1000,
    seed: int | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    thresholds: Sequence[str] = (),
    chunk: int | None = None,
    cluster: str | None = None,
    progress: bool = False,
) -> dict[str, MonteCarloResult]:
    """Each model's forecast distribution over the scenario's stated input uncertainty.

    One seed for every model (``None``: fresh entropy, recorded in each result). Draw ``i`` is
    the same whatever ``chunk`` or ``cluster``. Returns {model: MonteCarloResult}.
    """
    _need_scipy("Monte Carlo over uncertainty")
    from detente.analysis.montecarlo import monte_carlo as _mc
    from detente.analysis.montecarlo import parse_threshold
    from detente.analysis.uncertainty import resolve_seed
    from detente.api.constraints import check_cluster, check_options

    check_options("forecast", draws=draws, seed=seed)
    check_cluster(cluster)
    sc = as_scenario(scenario)
    names = (
        default_models(sc)
        if model is None
        else ([model] if isinstance(model, str) else list(model))
    )
    ths = tuple(parse_threshold(t, sc.issue_ids) for t in thresholds)
    entropy = resolve_seed(seed)
    out = {}
    with _runner(cluster, progress) as run:
        for name in names:
            out[name] = _mc(
                sc,
                name,
                draws,
                seed=entropy,
                params=(params or {}).get(name),
                thresholds=ths,
                chunk=chunk,
                runner=run,
            )
    return out


def whatif(
    scenario: Scenario | str | None = None,
    *,
    interventions: Sequence[Any] | None = None,
    model: str | Sequence[str] | None = None,
    draws: int = 1,
    seed: int | None = 0,
    params: dict[str, dict[str, Any]] | None = None,
    thresholds: Sequence[str] = (),
    cluster: str | None = None,
    progress: bool = False,
) -> WhatIf:
    """Forecasts before and after ``interventions`` (default: the scenario's ``interventions:``),
    side by side; with ``draws > 1`` both sides use the same seeded draws. ``model`` defaults to
    every model, plus the war model when an intervention is a war policy and the scenario has one.
    """
    _need_scipy("what-if")
    from detente.analysis.levers import whatif as _whatif
    from detente.api.constraints import check_options

    check_options("whatif", draws=draws, seed=seed)

    sc = as_scenario(scenario)
    items = list(interventions) if interventions else [i.describe() for i in sc.interventions]
    if model is None:
        names = default_models(sc)
        if sc.war is not None and any(
            isinstance(i, str) and i.strip().startswith("policy") for i in items
        ):
            names = [*names, "war"]  # a policy intervention is for the war model
    else:
        names = [model] if isinstance(model, str) else list(model)
    with _runner(cluster, progress) as run:
        return _whatif(
            sc,
            items,
            models=names,
            draws=draws,
            seed=seed,
            params=params,
            thresholds=thresholds,
            runner=run,
        )


def sweep(
    scenario: Scenario | str | None = None,
    *,
    levers: Sequence[str],
    model: str = "compromise",
    draws: int = 1,
    seed: int | None = 0,
    params: dict[str, Any] | None = None,
    thresholds: Sequence[str] = (),
    cluster: str | None = None,
    progress: bool = False,
) -> Sweep:
    """Forecasts over a grid of one or two levers (e.g. ``"USA.position.sanctions=0:100:11"``),
    the same draws at every grid point."""
    _need_scipy("sweep")
    from detente.analysis.levers import sweep as _sweep
    from detente.api.constraints import check_options

    check_options("sweep", draws=draws, seed=seed)

    sc = as_scenario(scenario)
    with _runner(cluster, progress) as run:
        return _sweep(
            sc,
            levers,
            model=model,
            draws=draws,
            seed=seed,
            params=params,
            thresholds=thresholds,
            runner=run,
        )


def lever(
    scenario: Scenario | str | None = None,
    *,
    actor: str,
    target: str,
    model: str = "compromise",
    probability: float = 0.5,
    draws: int = 1000,
    seed: int | None = 0,
    params: dict[str, Any] | None = None,
    grid: int = 21,
    cluster: str | None = None,
    progress: bool = False,
) -> LeverResult:
    """The smallest change ``actor`` can make to its own position, salience or capability so
    that P(``model``'s forecast meets ``target``, e.g. ``"territory<=40"``) >= ``probability``."""
    _need_scipy("lever")
    from detente.analysis.levers import smallest_lever
    from detente.api.constraints import check_options

    check_options("lever", draws=draws, seed=seed)

    sc = as_scenario(scenario)
    with _runner(cluster, progress) as run:
        return smallest_lever(
            sc,
            actor,
            target,
            model=model,
            probability=probability,
            draws=draws,
            seed=seed,
            params=params,
            grid=grid,
            runner=run,
        )


def sensitivity(
    scenario: Scenario | str | None = None,
    *,
    model: str = "compromise",
    method: str = "sobol",
    issue: str | None = None,
    by: str = "input",
    n: int | None = None,
    seed: int | None = 0,
    params: dict[str, Any] | None = None,
    months: int = 12,
    paths: int = 256,
    policy: str | None = None,
    cluster: str | None = None,
    progress: bool = False,
) -> SensitivityResult:
    """Sobol' or Morris indices of each issue's forecast with respect to every uncertain input
    (``by="actor"`` or ``"kind"``: grouped), or of P(talks within ``months``) for
    ``model="war"``."""
    require("SALib", "sensitivity analysis")
    _need_scipy("sensitivity analysis")
    from detente.analysis.sensitivity import sensitivity as _sensitivity
    from detente.api.constraints import check_options

    check_options("sensitivity", n=n, seed=seed, paths=paths, months=months)

    sc = as_scenario(scenario)
    with _runner(cluster, progress) as run:
        return _sensitivity(
            sc,
            model,
            method=method,
            issue=issue,
            n=n,
            seed=seed,
            params=params,
            runner=run,
            months=months,
            paths=paths,
            policy=policy,
            by=by,
        )
