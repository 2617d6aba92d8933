"""Services of the war model: ``war`` (policy mixes), ``claims``, ``war_backtest``, ``war_terms``.

The CLI and the web app call these; every draw, seed and summary lives in :mod:`detente.war`.
"""

from __future__ import annotations

from typing import Any

from detente.extras import require
from detente.scenario.errors import DetenteError
from detente.scenario.schema import Scenario


def _scenario(scenario: Scenario | str | None) -> Scenario:
    from detente.api import load

    sc = scenario if isinstance(scenario, Scenario) else load(scenario)
    if sc.war is None:
        from detente.scenario.errors import NO_VALUE, ScenarioError

        # a file (or embedded name) is named as the loaders name it; an object by its meta
        name = (
            scenario if isinstance(scenario, str) else f"scenario {sc.meta.id or sc.meta.title!r}"
        )
        raise ScenarioError(
            name,
            "war",
            NO_VALUE,
            "is missing: the war model needs a 'war:' section (attacker, defender, parameters; "
            "see ukraine-2025)",
        )
    if isinstance(scenario, Scenario):  # built in code, not loaded: the loader's war rules
        from detente.scenario.war_schema import check_war

        check_war(sc.war, sc.actor_ids, f"scenario {sc.meta.id or sc.meta.title!r}")
    return sc


def _scenario_any(scenario: Scenario | str | None) -> Scenario:
    from detente.api import load

    return scenario if isinstance(scenario, Scenario) else load(scenario)


def _pairs(items: list[str] | None, option: str, form: str) -> dict[str, float]:
    import math

    out: dict[str, float] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        try:  # strict: ASCII digits only (no fullwidth digits, no "1_0", no "inf")
            value = float(raw) if raw.strip().isascii() and "_" not in raw else math.nan
        except ValueError:
            value = math.nan
        if not sep or not key.strip() or not math.isfinite(value):
            raise DetenteError(f"{option} {item!r}: write {form} with a number")
        out[key.strip()] = value
    return out


def war(
    scenario: Scenario | str | None = None,
    *,
    policies: list[str] | None = None,
    months: int = 60,
    draws: int = 200,
    paths_per_draw: int = 50,
    seed: int = 0,
    fixed: bool = False,
    set_: list[str] | None = None,
    lever: list[str] | None = None,
) -> Any:
    """The war under each policy mix (a :class:`detente.war.WarRun`). ``set_``: NAME=VALUE
    overrides of war parameters; ``lever``: KIND=FACTOR scalings of every event of a kind."""
    require("scipy", "the war model")  # its parameter draws (truncated normals)
    from detente.api.constraints import check_war_request
    from detente.war import run_war

    sc = _scenario(scenario)
    levers = _pairs(lever, "--lever", "KIND=FACTOR")
    # options, sides, lever factors and the work's memory/time budget: checked before any work
    check_war_request(
        sc,
        paths=paths_per_draw,
        draws=draws,
        months=months,
        seed=seed,
        levers=levers,
        mixes=len(policies) if policies else 6,
    )
    if not 1 <= draws * paths_per_draw <= 2_000_000:
        raise DetenteError(
            f"--draws x --paths must be between 1 and 2000000, not {draws * paths_per_draw}"
        )
    return run_war(
        sc,
        policies,
        months=months,
        draws=draws,
        paths_per_draw=paths_per_draw,
        seed=seed,
        fixed=fixed,
        params=_pairs(set_, "--set", "NAME=VALUE") or None,
        levers=levers or None,
    )


def claims(
    scenario: Scenario | str | None = None,
    *,
    draws: int = 100,
    paths_per_draw: int = 1000,
    seed: int = 0,
    months: int | None = None,
) -> list[Any]:
    """The scenario's claims, each tested against its one-change counterfactual over the
    calibrated draws (see :mod:`detente.analysis.claims`)."""
    require("scipy", "the war model")  # its parameter draws (truncated normals)
    from detente.analysis.claims import check_claims
    from detente.api.constraints import check_war_request

    sc = _scenario(scenario)
    check_war_request(
        sc,
        command="claims",
        draws=draws,
        paths=paths_per_draw,
        months=60 if months is None else months,
        seed=seed,
    )
    if draws < 2 or paths_per_draw < 1:
        raise DetenteError("--draws must be at least 2 and --paths at least 1")
    return check_claims(sc, draws=draws, paths=paths_per_draw, seed=seed, months=months)


def war_backtest(data: str | None = None, boot: int = 2000, seed: int = 0) -> Any:
    """Score the calibrated model and two baselines on the COW wars from 1946 on."""
    from detente.war.backtest import backtest
    from detente.war.baserates import find_data_dir

    path = find_data_dir(data) if data is not None else _cow_dir()
    if path is None:
        raise DetenteError(
            "the COW data were not found: pass --data FOLDER (with Inter-StateWarData_v4.0.csv "
            "and cow_nmc.csv), or run beside ../shared/data/war"
        )
    return backtest(path, boot=boot, seed=seed)


def _cow_dir() -> Any:
    from pathlib import Path

    from detente.war.calibration import COW_FILE, NMC_FILE

    repo = Path(__file__).resolve().parents[3]
    for base in (Path.cwd(), repo):
        for rel in ("../shared/data/war", "shared/data/war"):
            cand = (base / rel).resolve()
            if (cand / COW_FILE).is_file() and (cand / NMC_FILE).is_file():
                return cand
    return None


def war_terms(
    scenario: Scenario | str | None = None,
    draws: int = 100,
    paths_per_draw: int = 40,
    seed: int = 0,
    months: int = 60,
) -> dict[str, Any] | None:
    """The war model's settlement terms on the scenario's territory issue: where talks settle
    (Nash terms, paths that settle) and, at the forecast point, the least the attacker and the
    most the defender would accept (medians over paths; low > high: no terms both accept), in
    the issue's units. None without a war section or an issue with id ``territory``."""
    require("scipy", "the war model")  # its parameter draws (truncated normals)
    import numpy as np

    sc = _scenario_any(scenario)
    issue = next((i for i in sc.issues if i.id == "territory"), None)
    if sc.war is None or issue is None:
        return None
    from detente.war import run_war

    # A small run: the kernel as plain Python (the same numbers as the compiled one) costs less
    # than compiling it in a fresh process.
    small = draws * paths_per_draw * months <= 200_000
    run = run_war(
        sc,
        ["status-quo"],
        months=months,
        draws=draws,
        paths_per_draw=paths_per_draw,
        seed=seed,
        python=small,
    )
    pp = run.policies["status-quo"]
    settled = pp.valid & (pp.code() == 0)
    lo_s, hi_s = float(issue.scale.low), float(issue.scale.high)

    def scale(a: np.ndarray) -> np.ndarray:
        return lo_s + (hi_s - lo_s) * a

    out: dict[str, Any] = {
        "issue": issue.id,
        "scale": [lo_s, hi_s],
        "p_settlement": float(settled.sum() / max(int(pp.valid.sum()), 1)),
        "months": months,
        "terms": None,
        "acceptable": None,
    }
    if settled.any():
        t = scale(pp.paths.terms[settled])
        out["terms"] = {
            "p10": float(np.percentile(t, 10)),
            "median": float(np.median(t)),
            "p90": float(np.percentile(t, 90)),
        }
    now = pp.valid & np.isfinite(pp.paths.accept_A)
    if now.any():
        # at the forecast point: the least the attacker and the most the defender would accept
        lo = float(np.median(scale(pp.paths.accept_A[now])))
        hi = float(np.median(scale(pp.paths.accept_D[now])))
        out["acceptable"] = {"low": lo, "high": hi, "range_exists": lo <= hi}
    return out


def outside_terms(value: float, terms: dict[str, Any] | None) -> bool:
    """Whether a bargaining forecast on the territory issue lies outside what both belligerents
    would accept at the forecast point (the median range; when no range exists, every value is
    outside what one of them accepts)."""
    if not terms or not terms.get("acceptable"):
        return False
    acc = terms["acceptable"]
    return bool(value < acc["low"] - 1e-9 or value > acc["high"] + 1e-9)


def war_base_rates(data: str | None = None) -> dict[str, Any] | None:
    """Base rates of war duration and termination (COW, UCDP, GSDB) from ``data`` or
    ../shared/data/war; None when the files are absent."""
    from detente.war.baserates import base_rates, find_data_dir

    path = find_data_dir(data)
    return None if path is None else base_rates(path)
