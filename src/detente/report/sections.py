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

    from detente.war import run_war
    from detente.war.policies import get_policy, policy_names

    spec = sc.war
    names = policies or policy_names(spec)
    # One call: calibrated draws, every mix on the same draws and random numbers, summaries.
    run = run_war(
        sc,
        names,
        months=months,
        draws=draws,
        paths_per_draw=paths_per_draw,
        seed=seed,
        levers=levers,
    )
    accepted = 1.0
    from detente.war.params import uncertain_names

    drawn = ["structural parameters (calibrated draws)", *uncertain_names(spec)]
    out = []
    for name in names:
        pp = run.policies[name]
        # per draw: share of its valid paths settled by month t (after the forecast point)
        v = pp.valid.reshape(draws, paths_per_draw)
        end = pp.paths.end_month.reshape(draws, paths_per_draw) - pp.elapsed
        settled = (pp.code() == 0).reshape(draws, paths_per_draw) & v
        by = settled[:, :, None] & (end[:, :, None] <= np.arange(1, months + 1))
        per_draw = by.sum(axis=1) / np.maximum(v.sum(axis=1), 1)[:, None]
        half = 1.645 * per_draw.std(axis=0, ddof=1) / np.sqrt(draws) if draws > 1 else 0.0
        mean = per_draw.mean(axis=0)
        lo, hi = np.clip(mean - half, 0.0, 1.0), np.clip(mean + half, 0.0, 1.0)
        summary = pp.summary()
        settled_at = (pp.paths.end_month - pp.elapsed)[pp.valid & (pp.code() == 0)]
        # the keys the report's policy table reads (settlement = the talks that end the war)
        summary["median_talks_month"] = float(np.median(settled_at)) if settled_at.size else None
        summary["p_attacker_wins"] = summary["p_by_end"]["victory_attacker"]
        summary["p_defender_wins"] = summary["p_by_end"]["victory_defender"]
        summary["p_fading"] = summary["p_by_end"]["fading"]
        summary["cost_A_mean"] = summary["cost_A"]["mean"]
        summary["cost_D_mean"] = summary["cost_D"]["mean"]
        out.append(
            {
                "name": name,
                "label": name,
                "description": get_policy(spec, name).description,
                "p_talks": pp.p_end_by("settlement").tolist(),
                "low": lo.tolist(),
                "high": hi.tolist(),
                "summary": {k: v for k, v in summary.items() if not isinstance(v, dict)},
                "outcomes": summary["outcomes"],
                # shares of all paths at war at the forecast point, "ongoing" = still at war
                "p_by_end": summary["p_by_end"],
                "duration_months": summary["duration_months"],
                "terms": summary.get("terms"),
            }
        )
    return {
        "months": list(range(1, months + 1)),
        "elapsed": run.elapsed,
        "draws": draws,
        "paths_per_draw": paths_per_draw,
        "seed": seed,
        "levers": dict(levers or {}),
        "uncertain_parameters": drawn,
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
    if war is None or not callable(getattr(war, "run_war", None)):
        return _absent("the war-termination model (detente.war.run_war)")
    result = talks_comparison(sc, seed=seed, levers=levers, policies=policies, **kwargs)
    return {"available": True, "result": result}


def terms_section(
    sc: Scenario, seed: int, draws: int = 100, paths_per_draw: int = 40
) -> dict[str, Any]:
    """The war model's settlement terms on the scenario's territory issue (issue 11 item 6):
    :func:`detente.api.war_terms` (where talks settle; the least the attacker and the most the
    defender would accept at the forecast point), for the forecast tables to show beside the
    bargaining models' forecasts of that issue and to flag those outside the accepted range."""
    if sc.war is None:
        return {"available": False, "reason": "the scenario has no `war:` section"}
    if not any(i.id == "territory" for i in sc.issues):
        return {"available": False, "reason": "the scenario has no issue with id `territory`"}
    if _module("detente.war") is None:
        return _absent("the war-termination model (detente.war.run_war)")
    from detente import api

    terms = api.war_terms(sc, draws=draws, paths_per_draw=paths_per_draw, seed=seed)
    if terms is None:
        return {"available": False, "reason": "the war model gave no terms"}
    return {"available": True, "draws": draws, "paths_per_draw": paths_per_draw, **terms}


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
    import warnings

    with warnings.catch_warnings():
        # a draw with no path at war gives NaN means (few draws): the result says n, not stderr
        warnings.simplefilter("ignore", RuntimeWarning)
        results = [_json(r) for r in fn(sc, **kwargs)]
    sources = {c.id: c.source for c in sc.claims if c.source}
    for r in results:  # the scenario's source of each claim, shown beside it
        if isinstance(r, dict) and r.get("id") in sources:
            r.setdefault("source", sources[r["id"]])
    return {
        "available": True,
        "draws": draws,
        "paths": paths,
        "seed": seed,
        "result": results,
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
