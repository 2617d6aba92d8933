"""The report's sections that come from other layers, each as plain JSON data.

Each function returns ``{"available": bool, "reason": str, ...}``: when its layer (the Monte Carlo
engine, the war model, the claims check, the base rates) is absent from this build, the section
says so and carries no made-up content.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
from typing import Any

from detente.scenario.schema import Scenario


def _module(name: str) -> Any | None:
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def _absent(what: str) -> dict[str, Any]:
    return {"available": False, "reason": f"{what} is not part of this build"}


def _accepted(fn: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments ``fn`` takes (the layers' signatures are still settling)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return kwargs
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in params}


def _json(obj: Any) -> Any:
    if callable(getattr(obj, "to_dict", None)):
        return obj.to_dict()
    if callable(getattr(obj, "to_json", None)):
        return obj.to_json()
    return obj


def montecarlo_section(sc: Scenario, models: list[str], draws: int, seed: int) -> dict[str, Any]:
    """Each model's forecast distribution over the scenario's stated uncertainty."""
    mod = _module("detente.analysis.montecarlo")
    if mod is None:
        return _absent("the Monte Carlo engine (detente.analysis.montecarlo)")
    if draws <= 0:
        return {"available": False, "reason": "no Monte Carlo draws were asked for (--draws 0)"}
    return {
        "available": True,
        "draws": draws,
        "seed": seed,
        "models": {m: _json(mod.monte_carlo(sc, m, draws, seed=seed)) for m in models},
    }


def talks_comparison(
    sc: Scenario,
    *,
    policies: list[str] | None = None,
    months: int = 48,
    draws: int = 100,
    paths_per_draw: int = 50,
    seed: int = 1,
    levers: dict[str, float] | None = None,
) -> dict[str, Any]:
    """P(talks by month) per policy mix, with a band from the war parameters' uncertainty.

    ``draws`` parameter sets are drawn from the scenario's war parameters (their Estimates), each
    simulated on ``paths_per_draw`` paths, all in one call per policy (per-path parameter arrays)
    and with the same seed for every policy (common random numbers). The curve is P over all
    paths; the band is its 90% Monte Carlo confidence band (mean of the per-draw curves +- 1.645
    standard errors across draws): where two policies' bands do not overlap, their difference is
    not simulation noise. (A band of the per-draw curves themselves, the parameters' spread, covers
    nearly the whole chart for ukraine-2025 and hides every comparison.)
    """
    import numpy as np

    from detente.war import params as war_params
    from detente.war import simulate
    from detente.war.policies import get_policy, policy_names

    spec = sc.war
    names = policies or policy_names(spec)
    n = draws * paths_per_draw
    accepted = 1.0
    if not war_params.uncertain_names(spec):
        drawn: dict[str, Any] = {}
    elif hasattr(war_params, "draw_at_war"):
        # As `detente war` does: only draws under which the war is still going on at the start.
        drawn, accepted = war_params.draw_at_war(spec, draws, seed)
    else:
        drawn = war_params.draw_params(spec, draws, seed)
    params: dict[str, Any] = {k: np.repeat(v, paths_per_draw) for k, v in drawn.items()}
    out = []
    for name in names:
        res = simulate(
            sc, name, months=months, paths=n, seed=seed, params=params or None, levers=levers
        )
        tm = res.talks_month.reshape(draws, paths_per_draw)
        # per draw: share of its paths with talks started by month t
        by = (tm[:, :, None] > 0) & (tm[:, :, None] <= np.arange(1, months + 1))
        per_draw = by.mean(axis=1)
        half = 1.645 * per_draw.std(axis=0, ddof=1) / np.sqrt(draws) if draws > 1 else 0.0
        mean = per_draw.mean(axis=0)
        lo, hi = np.clip(mean - half, 0.0, 1.0), np.clip(mean + half, 0.0, 1.0)
        summary = res.summary()
        out.append(
            {
                "name": name,
                "label": name,
                "description": get_policy(spec, name).description,
                "p_talks": res.p_talks_by().tolist(),
                "low": lo.tolist(),
                "high": hi.tolist(),
                "summary": {k: v for k, v in summary.items() if not isinstance(v, dict)},
                "terms": summary.get("terms"),
            }
        )
    return {
        "months": list(range(1, months + 1)),
        "draws": draws,
        "paths_per_draw": paths_per_draw,
        "seed": seed,
        "levers": dict(levers or {}),
        "uncertain_parameters": sorted(drawn),
        "draws_accepted": accepted,
        "band": "90% Monte Carlo confidence band of the curve (1.645 standard errors across "
        "parameter draws)",
        "policies": out,
    }


def war_section(
    sc: Scenario,
    seed: int,
    levers: dict[str, float] | None = None,
    policies: list[str] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """The war model's policy comparison: P(talks by month) per policy, with bands."""
    if sc.war is None:
        return {"available": False, "reason": "the scenario has no `war:` section"}
    war = _module("detente.war")
    if war is None or not callable(getattr(war, "simulate", None)):
        return _absent("the war-termination model (detente.war.simulate)")
    result = talks_comparison(sc, seed=seed, levers=levers, policies=policies, **kwargs)
    return {"available": True, "result": result}


def claims_section(sc: Scenario, seed: int, draws: int = 200, paths: int = 200) -> dict[str, Any]:
    """The scenario's claims, checked: under the default assumptions, and in what share of draws
    from the war parameters' uncertainty each holds."""
    mod = _module("detente.analysis.claims")
    fn = None if mod is None else getattr(mod, "check_claims", None)
    if fn is None or not callable(fn):
        return _absent("the claims check (detente.analysis.claims)")
    if not sc.claims:
        return {"available": False, "reason": "the scenario states no claims"}
    kwargs = _accepted(fn, {"seed": seed, "draws": draws, "paths": paths})
    results = fn(sc, **kwargs)
    return {
        "available": True,
        "draws": draws,
        "paths": paths,
        "seed": seed,
        "result": [_json(r) for r in results],
    }


def baserates_section(sc: Scenario | None, data_dir: str | None = None) -> dict[str, Any]:
    """Base rates of war duration, termination and sanctions success, re-derived from the public
    data sets (COW, UCDP, GSDB) in ``data_dir``, ``$DETENTE_DATA`` or ``../shared/data/war``."""
    mod = _module("detente.war.baserates")
    if mod is None or not callable(getattr(mod, "base_rates", None)):
        return _absent("the base rates (detente.war.baserates)")
    import os

    # --data DIR, else $DETENTE_DATA (a user's clone has no ../shared), else ../shared/data/war.
    path = mod.find_data_dir(data_dir or os.environ.get("DETENTE_DATA") or None)
    if path is None:
        return {
            "available": False,
            "reason": "the base-rate data (COW, UCDP, GSDB CSV files) were not found; "
            "they live in ../shared/data/war beside a checkout; pass --data DIR or set "
            "DETENTE_DATA",
        }
    return {"available": True, "result": _json(mod.base_rates(path))}
