"""Services the web workbench needs beyond the core api: thin adapters over analysis, war and
store, each returning plain JSON-able data.

The war model, the backtest and the ledger are being reworked; the web app reaches them only
through the functions here (``talks``, ``claims``, ``backtest``...), so re-pointing one means
editing one function. ``request_cost`` is the one place that estimates what a request costs
(re-point it at the CLI's estimate module when that lands).

Each long function takes ``progress(done, total)``: it is called between steps (one policy mix,
one model, one case), and may raise to cancel the work there.
"""

from __future__ import annotations

import copy
import math
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from detente.jsonable import to_jsonable
from detente.scenario import io as scenario_io
from detente.scenario.errors import DetenteError
from detente.scenario.schema import Scenario

Progress = Callable[[int, int], None] | None


class ProgressRunner:
    """A serial runner (detente.analysis.distributed's Runner protocol) that reports each
    finished task through ``progress(done, total)``: progress and a cancel point between the
    chunks of a Monte Carlo, a sweep or a sensitivity design. Same numbers as SerialRunner."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.done = 0
        self.total = 0

    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any], *, label: str = "") -> list:
        self.total += len(tasks)
        out = []
        for task in tasks:
            if self.progress:
                self.progress(self.done, max(self.total, 1))
            out.append(fn(task))
            self.done += 1
        if self.progress:
            self.progress(self.done, max(self.total, 1))
        return out


def _runner(progress: Progress) -> ProgressRunner | None:
    return ProgressRunner(progress) if progress else None


# -- cost: one estimate for every request ------------------------------------------------------

# Work units a web request may ask for: one unit ~ one actor-issue-round of one bargaining model
# for one draw, or one war path-month. 4e8 units is a few seconds on one core here.
MAX_REQUEST_COST = 4e8


class CostError(DetenteError):
    """A request whose estimated work is above the limit."""


def _model_eval(scenario: Scenario | None, models: Sequence[str] | None) -> float:
    """Work units of one evaluation of each of ``models`` (default: every model) on one draw."""
    from detente.bargaining.registry import get_model, list_models

    n = len(scenario.actors) if scenario is not None else 10
    k = len(scenario.issues) if scenario is not None else 3
    total = 0.0
    for name in models or [m.name for m in list_models()]:
        try:
            dynamic = bool(get_model(name).dynamic)
        except Exception:  # an unknown name fails later, with the model's own message
            dynamic = True
        # A dynamic model runs up to ~100 rounds of pairwise exchanges (n^2 a round and issue);
        # a one-shot model is a weighted average or a vote over the actors.
        total += (n * n * k * 100) if dynamic else (n * k * 10)
    return max(total, 1.0)


def request_cost(kind: str, scenario: Scenario | None = None, **opts: Any) -> float:
    """Estimated work units of one request of ``kind`` (forecast, talks, claims, sensitivity,
    whatif, sweep, lever, backtest); see :data:`MAX_REQUEST_COST`. Options: models, draws,
    paths, months, policies, points, n, cases."""
    n = len(scenario.actors) if scenario is not None else 10
    k = len(scenario.issues) if scenario is not None else 3
    one = _model_eval(scenario, opts.get("models"))
    draws = max(1, int(opts.get("draws") or 1))
    if kind == "forecast":
        return one * (1 + draws)
    if kind in ("talks", "war"):
        policies = max(1, int(opts.get("policies") or 6))
        return float(policies * int(opts.get("months", 36)) * int(opts.get("paths", 1)) * 40)
    if kind == "claims":
        return float(8 * 60 * (draws * int(opts.get("paths", 1)) + 4000) * 40)
    if kind == "sensitivity":
        return one * int(opts.get("n", 64)) * (n * (2 * k + 1) + 2)
    if kind in ("whatif", "sweep"):
        return one * draws * max(1, int(opts.get("points", 2)))
    if kind == "lever":
        # Every candidate shift (2 directions of n's positions, saliences, capability) on a grid
        # of 21 points, refined 3 times.
        return one * draws * (4 * k + 2) * 21 * 3
    if kind == "backtest":
        return one * int(opts.get("cases", 20)) * (1 + draws)
    return one


def check_cost(kind: str, scenario: Scenario | None = None, **opts: Any) -> float:
    """The request's cost, or a CostError naming the estimate, the limit and what to lower."""
    cost = request_cost(kind, scenario, **opts)
    if not math.isfinite(cost) or cost > MAX_REQUEST_COST:
        raise CostError(
            f"{kind}: about {cost:.2g} work units, over the web app's limit of "
            f"{MAX_REQUEST_COST:.2g}; use fewer draws, paths or points (or the command line)"
        )
    return cost


# -- the war model: is it there, talks curves, outcomes ----------------------------------------


def war_status(scenario: Scenario) -> tuple[bool, str]:
    """(True, "") when the scenario has a war model to show, else (False, why not)."""
    if getattr(scenario, "war", None) is None:
        return False, "this scenario has no war: section, so there is no war to simulate"
    return True, ""


def war_policies(scenario: Scenario) -> list[dict[str, str]]:
    """The scenario's policy mixes (its own and the built-in ones): name and description."""
    from detente.war import get_policy, policy_names

    return [
        {"name": p, "description": get_policy(scenario.war, p).description or ""}
        for p in policy_names(scenario.war)
    ]


def talks(
    scenario: Scenario,
    *,
    policies: Sequence[str] | None = None,
    levers: dict[str, float] | None = None,
    months: int = 36,
    draws: int = 100,
    paths_per_draw: int = 100,
    seed: int = 1,
    progress: Progress = None,
) -> dict[str, Any]:
    """P(a negotiated settlement by month) per policy mix, with a 90% Monte Carlo band, and each
    mix's endings (settlement, victory of either side, fading, still at war), terms and costs.

    One call of the war model (:func:`detente.war.run_war`): ``draws`` calibrated parameter
    draws, ``paths_per_draw`` paths each; every mix and every lever setting uses the same seed,
    so the same draws and random numbers (common random numbers): a change between two settings
    is the levers', not noise. ``levers`` scale every event of a kind. Months count from the
    forecast point.
    """
    import numpy as np

    from detente.api.constraints import check_war_request
    from detente.war import get_policy, policy_names, run_war

    ok, why = war_status(scenario)
    if not ok:
        raise DetenteError(why)
    spec = scenario.war
    names = list(policies or policy_names(spec))
    known = policy_names(spec)
    for name in names:
        if name not in known:
            raise DetenteError(f"unknown policy mix {name!r}; the mixes are: {', '.join(known)}")
    check_war_request(
        scenario,
        paths=paths_per_draw,
        draws=draws,
        months=months,
        seed=seed,
        levers=levers,
        mixes=len(names),
    )
    if progress:
        progress(0, 1)
    run = run_war(
        scenario,
        names,
        months=months,
        draws=draws,
        paths_per_draw=paths_per_draw,
        seed=seed,
        levers=dict(levers) if levers else None,
    )
    out = []
    for name in names:
        pp = run.policies[name]
        valid = pp.valid.reshape(draws, paths_per_draw)
        code = pp.code().reshape(draws, paths_per_draw)
        rel = pp.paths.end_month.reshape(draws, paths_per_draw) - pp.elapsed
        settled = valid & (code == 0)
        by = settled[:, :, None] & (rel[:, :, None] <= np.arange(1, months + 1))
        n_valid = np.maximum(valid.sum(axis=1), 1)[:, None]
        per_draw = by.sum(axis=1) / n_valid
        half = 1.645 * per_draw.std(axis=0, ddof=1) / np.sqrt(draws) if draws > 1 else 0.0
        mean = per_draw.mean(axis=0)
        summary = pp.summary()
        ends = summary["p_by_end"]
        terms = np.asarray(pp.paths.terms)[pp.valid & (pp.code() == 0)]
        out.append(
            {
                "name": name,
                "description": get_policy(spec, name).description or "",
                "p_talks": pp.p_end_by("settlement").tolist(),
                "low": np.clip(mean - half, 0.0, 1.0).tolist(),
                "high": np.clip(mean + half, 0.0, 1.0).tolist(),
                "shares": {
                    "settlement": ends["settlement"],
                    "attacker won": ends["victory_attacker"],
                    "defender won": ends["victory_defender"],
                    "faded": ends["fading"],
                    "still at war": ends["ongoing"],
                },
                "summary": to_jsonable(
                    {**summary, "median_talks_month": summary["duration_months"]["p50"]}
                ),
                "terms": [float(x) for x in terms[np.isfinite(terms)][:4000]],
            }
        )
    if progress:
        progress(1, 1)
    return {
        "months": list(range(1, months + 1)),
        "draws": draws,
        "paths_per_draw": paths_per_draw,
        "seed": seed,
        "levers": dict(levers or {}),
        "uncertain_parameters": [run.parameters.get("structural", "")],
        "draws_accepted": 1.0,
        "band": "90% Monte Carlo band of the curve (1.645 standard errors across parameter draws)",
        "policies": out,
    }


# -- claims ------------------------------------------------------------------------------------


def claims(
    scenario: Scenario,
    *,
    draws: int = 100,
    paths: int = 150,
    seed: int = 0,
    progress: Progress = None,
) -> dict[str, Any]:
    """The scenario's claims, each checked under the default assumptions and in what share of
    ``draws`` draws from the war parameters' uncertainty it holds (detente.analysis.claims)."""
    from detente.analysis.claims import check_claims

    if not scenario.claims:
        raise DetenteError("this scenario states no claims: add a claims: section to check some")
    ok, why = war_status(scenario)
    if not ok:
        raise DetenteError(f"claims are about the war model, and {why}")
    if progress:
        progress(0, 1)
    results = check_claims(scenario, draws=draws, paths=paths, seed=seed)
    if progress:
        progress(1, 1)
    return {
        "draws": draws,
        "paths": paths,
        "seed": seed,
        "claims": [to_jsonable(r.to_dict()) for r in results],
    }


# -- uncertainty and sensitivity ---------------------------------------------------------------


def sensitivity(
    scenario: Scenario,
    *,
    model: str = "compromise",
    method: str = "sobol",
    n: int | None = None,
    seed: int = 0,
    by: str = "input",
    progress: Progress = None,
) -> dict[str, Any]:
    """Sobol' or Morris indices per output (detente.analysis.sensitivity), as JSON."""
    from detente.analysis.sensitivity import sensitivity as _sensitivity

    if model == "war":
        ok, why = war_status(scenario)
        if not ok:
            raise DetenteError(why)
    res = _sensitivity(
        scenario, model, method=method, n=n, seed=seed, by=by, runner=_runner(progress)
    )
    return to_jsonable(res.to_dict())


def uncertainties(scenario: Scenario) -> list[dict[str, Any]]:
    """Every uncertain input of the scenario: name, value, spread (sd or range), source."""
    rows: list[dict[str, Any]] = []

    def add(name: str, est: Any) -> None:
        if est is None or not hasattr(est, "value"):
            return
        rows.append(
            {
                "name": name,
                "value": est.value,
                "sd": getattr(est, "sd", None),
                "low": getattr(est, "low", None),
                "high": getattr(est, "high", None),
                "source": getattr(est, "source", None),
            }
        )

    for a in scenario.actors:
        add(f"{a.id}.capability", a.capability)
        for issue in scenario.issue_ids:
            add(f"{a.id}.position.{issue}", a.positions.get(issue))
            add(f"{a.id}.salience.{issue}", a.saliences.get(issue))
    return rows


# -- levers: what-if, sweep, smallest lever ----------------------------------------------------


def whatif(
    scenario: Scenario,
    interventions: Sequence[str],
    *,
    models: Sequence[str] = ("compromise",),
    draws: int = 1,
    seed: int = 0,
    thresholds: Sequence[str] = (),
    progress: Progress = None,
) -> dict[str, Any]:
    """Forecasts before and after the interventions (detente.analysis.levers.whatif)."""
    from detente.analysis.levers import whatif as _whatif

    res = _whatif(
        scenario,
        list(interventions),
        models=list(models),
        draws=draws,
        seed=seed,
        thresholds=list(thresholds),
        runner=_runner(progress),
    )
    return to_jsonable(res.to_dict())


def sweep(
    scenario: Scenario,
    levers: Sequence[str],
    *,
    model: str = "compromise",
    draws: int = 1,
    seed: int = 0,
    thresholds: Sequence[str] = (),
    progress: Progress = None,
) -> dict[str, Any]:
    """Forecasts over a grid of one or two levers (detente.analysis.levers.sweep): rows with
    each grid point's lever values, issue, median (and 90% interval with draws)."""
    from detente.analysis.levers import sweep as _sweep

    res = _sweep(
        scenario,
        list(levers),
        model=model,
        draws=draws,
        seed=seed,
        thresholds=list(thresholds),
        runner=_runner(progress),
    )
    return {
        "levers": [a.target for a in res.axes],
        "model": model,
        "draws": res.draws,
        "seed": res.seed,
        "rows": to_jsonable(res.to_frame().to_dict(orient="records")),
    }


def sweep_points(levers: Sequence[str]) -> int:
    """How many grid points a sweep of ``levers`` has (for the cost estimate)."""
    from detente.analysis.levers import parse_lever_axis

    points = 1
    for text in levers:
        points *= len(parse_lever_axis(text).values)
    return points


def smallest_lever(
    scenario: Scenario,
    actor: str,
    target: str,
    *,
    model: str = "compromise",
    probability: float = 0.5,
    draws: int = 200,
    seed: int = 0,
    progress: Progress = None,
) -> dict[str, Any]:
    """The smallest change ``actor`` can make to reach ``target`` with ``probability``."""
    from detente.analysis.levers import smallest_lever as _lever

    res = _lever(
        scenario,
        actor,
        target,
        model=model,
        probability=probability,
        draws=draws,
        seed=seed,
        runner=_runner(progress),
    )
    return to_jsonable(res.to_dict())


# -- backtest ----------------------------------------------------------------------------------


def backtest_cases() -> list[str]:
    """The embedded backtest cases' names."""
    from detente.analysis.backtest import case_names

    return list(case_names())


def backtest(
    cases: Sequence[str] | None = None,
    *,
    models: Sequence[str] | None = None,
    draws: int = 0,
    seed: int = 0,
    progress: Progress = None,
) -> dict[str, Any]:
    """Score models on the backtest cases (detente.analysis.backtest.run_backtest)."""
    from detente.analysis.backtest import load_cases, run_backtest

    loaded = load_cases(list(cases) if cases else None)
    res = run_backtest(
        loaded,
        list(models) if models else None,
        draws=draws,
        seed=seed,
        runner=_runner(progress) if draws else None,
    )
    return to_jsonable(res.to_dict())


# -- forecasts ---------------------------------------------------------------------------------


def parse_params(lines: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``["eum.q=0.5", "smp.min_turns=3"]`` -> ``{"eum": {"q": 0.5}, "smp": {"min_turns": 3}}``.

    Values are plain numbers (ASCII digits, finite), true/false, or a choice's name; each model
    checks its own parameter names, ranges and choices when it runs."""
    import re

    out: dict[str, dict[str, Any]] = {}
    for line in lines:
        key, sep, raw = line.partition("=")
        model, dot, name = key.strip().partition(".")
        raw = raw.strip()
        if not sep or not dot or not model or not name:
            raise DetenteError(f"parameter {line[:60]!r}: write MODEL.NAME=VALUE, e.g. eum.q=0.5")
        value: Any
        if raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        elif re.fullmatch(r"[+-]?[0-9]+", raw) and len(raw) <= 12:
            value = int(raw)
        elif re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?", raw):
            value = float(raw)
            if not math.isfinite(value):
                raise DetenteError(f"parameter {key.strip()}: {raw[:30]!r} is not a finite number")
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,39}", raw):
            value = raw  # a choice, e.g. eum.offer_rule=closest (the model checks it)
        else:
            raise DetenteError(f"parameter {key.strip()}: {raw[:30]!r} is not a number")
        out.setdefault(model, {})[name] = value
    return out


def check_params(params: dict[str, dict[str, Any]]) -> None:
    """Each model's own check of its parameter names, ranges and choices (before any work)."""
    from detente.bargaining.registry import get_model

    for name, values in params.items():
        get_model(name).resolve(values)


def forecast(
    scenario: Scenario,
    *,
    models: Sequence[str] | None = None,
    draws: int = 0,
    seed: int = 0,
    thresholds: Sequence[str] = (),
    params: dict[str, dict[str, Any]] | None = None,
    terms: bool = False,
    progress: Progress = None,
) -> dict[str, Any]:
    """Each model's forecast (and Monte Carlo summaries with ``draws``), one model a step;
    a forecast that is not finite is an error naming the model and issue. With ``terms``: the
    war model's settlement terms beside them (:func:`war_terms`, ``result["war_terms"]``) and
    the voting rule's power indices (:func:`voting_power`, ``result["voting_power"]``)."""
    from detente.api import forecast as _forecast

    names = list(models) if models else None
    fc = _forecast(scenario, model=names, params=params)
    names = list(fc.results)
    result = fc.to_dict()
    for row in result["forecasts"]:
        if row["forecast"] is None or not math.isfinite(float(row["forecast"])):
            raise DetenteError(
                f"{row['model']} gives a non-finite forecast on {row['issue']}: check the "
                "capabilities and scales (values near the float limit overflow)"
            )
    if draws:
        # As detente.api.forecast(draws=..., seed=...) runs it (one seed for every model), with
        # a runner that reports each chunk of draws: the same numbers, with progress and cancel.
        from detente.analysis.montecarlo import monte_carlo, parse_threshold
        from detente.analysis.uncertainty import resolve_seed

        ths: list[Any] = [parse_threshold(t, scenario.issue_ids) for t in thresholds]
        entropy = resolve_seed(seed)
        runner = _runner(progress)
        result["uncertainty"] = {
            name: monte_carlo(
                scenario,
                name,
                draws,
                seed=entropy,
                params=(params or {}).get(name),
                thresholds=ths,
                runner=runner,
            ).to_dict()
            for name in names
        }
    if terms:
        result["war_terms"] = war_terms(scenario, result["forecasts"], seed=seed)
    if scenario.voting is not None:
        result["voting_power"] = voting_power(scenario)
    return to_jsonable(result)


# -- scenario editing --------------------------------------------------------------------------


def scenario_yaml(scenario: Scenario) -> str:
    """The scenario as YAML a user can save and load again (``detente validate`` reads it)."""
    from detente.scenario.io import to_yaml

    return to_yaml(scenario)


def edit_scenario(data: dict[str, Any], op: str, **args: Any) -> Scenario:
    """Apply one structural edit to a scenario's data and validate the result.

    ``op``: add_actor (id, name), remove_actor (id), add_issue (id, name, low, high),
    remove_issue (id), add_source (title, note), remove_source (index), set_uncertainty
    (target "ACTOR.capability" / "ACTOR.position.ISSUE" / "ACTOR.salience.ISSUE", sd, low,
    high, source).
    """
    d = copy.deepcopy(data)
    actors = d.setdefault("actors", [])
    issues = d.setdefault("issues", [])
    if op == "add_actor":
        aid = str(args.get("id") or "").strip()
        if not aid:
            raise DetenteError("add actor: give the new actor an id")
        if any(a.get("id") == aid for a in actors):
            raise DetenteError(f"add actor: there is already an actor {aid!r}")
        mids = {}
        for issue in issues:
            scale = issue.get("scale", {})
            lo, hi = float(scale.get("low", 0)), float(scale.get("high", 100))
            mids[issue["id"]] = {"value": (lo + hi) / 2}
        actors.append(
            {
                "id": aid,
                "name": str(args.get("name") or aid),
                "capability": {"value": 1.0},
                "positions": mids,
                "saliences": {i["id"]: {"value": 0.5} for i in issues},
            }
        )
    elif op == "remove_actor":
        aid = str(args.get("id"))
        if len(actors) <= 2:
            raise DetenteError("remove actor: a scenario needs at least two actors")
        d["actors"] = [a for a in actors if a.get("id") != aid]
        if len(d["actors"]) == len(actors):
            raise DetenteError(f"remove actor: no actor {aid!r}")
    elif op == "add_issue":
        iid = str(args.get("id") or "").strip()
        if not iid:
            raise DetenteError("add issue: give the new issue an id")
        if any(i.get("id") == iid for i in issues):
            raise DetenteError(f"add issue: there is already an issue {iid!r}")
        lo, hi = float(args.get("low", 0) or 0), float(args.get("high", 100) or 100)
        issues.append(
            {
                "id": iid,
                "name": str(args.get("name") or iid),
                "scale": {"low": lo, "high": hi, "low_label": "low", "high_label": "high"},
            }
        )
        for a in actors:
            a.setdefault("positions", {})[iid] = {"value": (lo + hi) / 2}
            a.setdefault("saliences", {})[iid] = {"value": 0.5}
    elif op == "remove_issue":
        iid = str(args.get("id"))
        if len(issues) <= 1:
            raise DetenteError("remove issue: a scenario needs at least one issue")
        d["issues"] = [i for i in issues if i.get("id") != iid]
        if len(d["issues"]) == len(issues):
            raise DetenteError(f"remove issue: no issue {iid!r}")
        for a in actors:
            for key in ("positions", "saliences"):
                if isinstance(a.get(key), dict):
                    a[key].pop(iid, None)
    elif op == "add_source":
        title = str(args.get("title") or "").strip()
        if not title:
            raise DetenteError("add source: give the source a title")
        meta = d.setdefault("meta", {})
        src = {"title": title}
        if args.get("note"):
            src["note"] = str(args["note"])
        meta.setdefault("sources", []).append(src)
    elif op == "remove_source":
        meta = d.setdefault("meta", {})
        sources = meta.get("sources") or []
        try:
            sources.pop(int(args.get("index", -1)))
        except (ValueError, IndexError):
            raise DetenteError("remove source: no such source") from None
    elif op == "set_uncertainty":
        _set_uncertainty(d, str(args.get("target") or ""), args)
    else:
        raise DetenteError(f"unknown edit {op!r}")
    return scenario_io.from_data(d, name="edited scenario")


def _set_uncertainty(d: dict[str, Any], target: str, args: dict[str, Any]) -> None:
    parts = target.split(".")
    actor = next((a for a in d.get("actors", []) if a.get("id") == parts[0]), None)
    if actor is None or len(parts) not in (2, 3):
        raise DetenteError(f"uncertainty: {target[:60]!r} names no actor's input")
    if parts[1] == "capability" and len(parts) == 2:
        holder, key = actor, "capability"
    elif parts[1] in ("position", "salience") and len(parts) == 3:
        holder, key = actor.setdefault(parts[1] + "s", {}), parts[2]
        if key not in holder:
            raise DetenteError(f"uncertainty: {target[:60]!r}: no such issue")
    else:
        raise DetenteError(f"uncertainty: {target[:60]!r} names no actor's input")
    est = holder.get(key)
    est = dict(est) if isinstance(est, dict) else {"value": est}
    for fld in ("sd", "low", "high"):
        raw = args.get(fld)
        if raw in (None, ""):
            est.pop(fld, None)
            continue
        try:
            v = float(str(raw))
        except ValueError:
            raise DetenteError(
                f"uncertainty {target}: {fld} {str(raw)[:20]!r} is not a number"
            ) from None
        if not math.isfinite(v):
            raise DetenteError(f"uncertainty {target}: {fld} must be a finite number")
        est[fld] = v
    if args.get("source"):
        est["source"] = str(args["source"])[:500]
    holder[key] = est


# -- runs: pages, search, names, delete, compare -----------------------------------------------


def _names_conn(store: Any) -> sqlite3.Connection:
    conn = sqlite3.connect(store.path, timeout=5)
    conn.execute("CREATE TABLE IF NOT EXISTS run_names(run_id INTEGER PRIMARY KEY, name TEXT)")
    return conn


def run_names(store: Any) -> dict[int, str]:
    """{run id: name} of the runs that were given a name. A read: the file is opened read-only
    (every page shows the runs; a write here made page loads wait on, or fail with, the lock
    a run being stored holds), and a store with no names yet has none."""
    if store is None or not store.path.exists():
        return {}
    from detente.store.runs import StoreError

    uri = store.path.resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=5)
        try:
            has = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'run_names'"
            ).fetchone()
            if not has:
                return {}
            return {int(r): str(n) for r, n in conn.execute("SELECT run_id, name FROM run_names")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreError(f"run store {store.path}: run names unreadable ({exc})") from None


def name_run(store: Any, run_id: int, name: str) -> None:
    """Give a run a name (an empty name removes it)."""
    store.get(run_id)  # a clear error for a run that is not there
    name = " ".join(str(name).split())[:120]
    conn = _names_conn(store)
    try:
        with conn:
            if name:
                conn.execute("INSERT OR REPLACE INTO run_names VALUES (?, ?)", (run_id, name))
            else:
                conn.execute("DELETE FROM run_names WHERE run_id = ?", (run_id,))
    finally:
        conn.close()


def delete_run(store: Any, run_id: int) -> None:
    """Delete a run (and its name)."""
    store.get(run_id)
    store.delete(run_id)
    conn = _names_conn(store)
    try:
        with conn:
            conn.execute("DELETE FROM run_names WHERE run_id = ?", (run_id,))
    finally:
        conn.close()


def runs_page(store: Any, *, query: str = "", page: int = 1, per_page: int = 20) -> dict[str, Any]:
    """One page of runs (newest first) matching ``query`` (in id, name, command, scenario or
    models), with the page count."""
    if store is None:
        return {"runs": [], "total": 0, "page": 1, "pages": 1, "query": query}
    names = run_names(store)
    q = query.strip().lower()
    if not q:  # the common page load: only this page's runs are read
        total = store.count()
        pages = max(1, math.ceil(total / per_page))
        page = min(max(1, page), pages)
        runs = store.list_runs(limit=per_page, offset=(page - 1) * per_page)
        return {
            "runs": [{"run": r, "name": names.get(r.id, "")} for r in runs],
            "total": total,
            "page": page,
            "pages": pages,
            "query": query,
        }
    runs = store.list_runs(limit=None)
    rows = []
    for r in runs:
        name = names.get(r.id, "")
        hay = " ".join(
            [
                str(r.id),
                name,
                r.command,
                r.scenario_id or "",
                r.scenario_title or "",
                " ".join(r.models),
            ]
        ).lower()
        if not q or q in hay:
            rows.append({"run": r, "name": name})
    pages = max(1, math.ceil(len(rows) / per_page))
    page = min(max(1, page), pages)
    return {
        "runs": rows[(page - 1) * per_page : page * per_page],
        "total": len(rows),
        "page": page,
        "pages": pages,
        "query": query,
    }


def compare_runs(store: Any, a: int | str, b: int | str) -> dict[str, Any]:
    """A readable diff of two runs: settings, scenario inputs, and every result value."""
    from detente.store.views import compare_runs as _compare

    diff = _compare(store.get(a), store.get(b), limit=300)
    rows = []
    for d in diff["differences"]:
        va, vb = d["a"], d["b"]
        change = None
        if isinstance(va, int | float) and isinstance(vb, int | float):
            change = float(vb) - float(va)
        rows.append({"path": d["path"], "a": _short(va), "b": _short(vb), "change": change})
    diff["results"] = rows
    for key, item in diff["settings"].items():
        item["a_text"], item["b_text"] = _short(item["a"]), _short(item["b"])
        if key.endswith("sha256"):
            item["a_text"], item["b_text"] = item["a_text"][:12], item["b_text"][:12]
    for ch in diff.get("scenario_changes") or []:
        ch["a_text"], ch["b_text"] = _short(ch.get("a")), _short(ch.get("b"))
    return diff


def _short(v: Any) -> str:
    """A value as a person reads it: numbers to 4 significant digits, dicts as ``k = v``."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict):
        text = "; ".join(f"{k} = {_short(x)}" for k, x in v.items()) or "(none)"
    elif isinstance(v, list | tuple):
        text = ", ".join(_short(x) for x in v) or "(none)"
    else:
        text = str(v)
    return text if len(text) <= 80 else text[:77] + "..."


def export_run(store: Any, run_id: int | str, fmt: str) -> bytes:
    """A run exported as csv, json or parquet (detente.store.views.export_run)."""
    from detente.store.views import export_run as _export

    return _export(store.get(run_id), fmt)


# -- catalog, scenarios and the store, as the web app reaches them -------------------------------


def models() -> list[dict[str, Any]]:
    """Every registered bargaining model: name, title, citation, whether dynamic/multi-issue."""
    from detente.bargaining.registry import list_models

    return [
        {
            "name": m.name,
            "title": m.title,
            "citation": m.citation,
            "dynamic": bool(m.dynamic),
            "multi_issue": bool(m.multi_issue),
        }
        for m in list_models()
    ]


def embedded_scenarios() -> list[str]:
    """The names of the scenarios shipped with detente."""
    return list(scenario_io.embedded_names())


DEFAULT_SCENARIO = scenario_io.DEFAULT_SCENARIO


def scenario_from_data(data: dict[str, Any], name: str = "edited scenario") -> Scenario:
    """A validated Scenario from its plain data (as the editor holds it)."""
    return scenario_io.from_data(data, name=name)


def load_upload(name: str, data: bytes) -> Scenario:
    """A scenario from an uploaded file's bytes (YAML, CSV, KTAB CSV/XML by ``name``'s suffix);
    errors name the upload, never a temporary path."""
    import tempfile
    from pathlib import Path

    suffix = Path(name).suffix.lower()
    if suffix == ".xml":
        # The KTAB XML reader reads files: parse a private copy, and name the upload in errors.
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_bytes(data)
            try:
                return scenario_io.load(path)
            except DetenteError as exc:
                raise DetenteError(str(exc).replace(str(path), name)) from None
    text = scenario_io.decode(data, name)
    if suffix == ".csv":
        return scenario_io.loads_csv(text, name=name)
    return scenario_io.loads(text, name=name)


def open_store(store: Any = None) -> Any:
    """The run store at ``store`` (default: $DETENTE_STORE or the user's data dir), or None
    when storing is off."""
    from detente.store.runs import RunStore, resolve_path

    path = resolve_path(store)
    return None if path is None else RunStore(path)


def parameter_error() -> type[Exception]:
    """The exception a model raises for a bad parameter (shown as one line)."""
    from detente.bargaining.registry import ParameterError

    return ParameterError


# -- war terms, voting power, discovery, the DEU benchmark, the ledger -------------------------

WAR_TERMS_DRAWS = 40  # draws x paths of the war model behind the Terms tab's settlement terms
WAR_TERMS_PATHS = 20


def war_terms(
    scenario: Scenario,
    forecasts: Sequence[dict[str, Any]],
    *,
    seed: int = 0,
    draws: int = WAR_TERMS_DRAWS,
    paths_per_draw: int = WAR_TERMS_PATHS,
) -> dict[str, Any]:
    """The war model's settlement terms on the territory issue (:func:`detente.api.war_terms`)
    and, per bargaining forecast of that issue, whether it lies outside what both belligerents
    would accept (:func:`detente.api.outside_terms`). Without a war section or a ``territory``
    issue: ``{"available": False, "why": ...}``."""
    from detente.api import outside_terms
    from detente.api import war_terms as _war_terms

    if scenario.war is None:
        return {"available": False, "why": "the scenario has no war section, so no war terms"}
    if not any(i.id == "territory" for i in scenario.issues):
        return {"available": False, "why": "the scenario has no issue with id 'territory'"}
    terms = _war_terms(scenario, draws=draws, paths_per_draw=paths_per_draw, seed=seed)
    if terms is None:  # pragma: no cover - the two checks above are war_terms' own
        return {"available": False, "why": "the war model gives no terms for this scenario"}
    flags = {
        r["model"]: outside_terms(float(r["forecast"]), terms)
        for r in forecasts
        if r["issue"] == "territory"
    }
    return to_jsonable(
        {
            "available": True,
            **terms,
            "draws": draws,
            "paths_per_draw": paths_per_draw,
            "seed": seed,
            "outside": flags,
        }
    )


def voting_power(scenario: Scenario) -> dict[str, Any] | None:
    """Shapley-Shubik and Banzhaf indices of the scenario's ``voting:`` rule beside each voter's
    capability (:mod:`detente.api.power`); None when the scenario states no voting rule."""
    if scenario.voting is None:
        return None
    from detente.api import power

    res = power.voting_power(scenario)
    return to_jsonable({"name": scenario.voting.name, "table": power.power_table(scenario, res)})


def discover(
    scenario: Scenario,
    target: str,
    *,
    draws: int = 200,
    seed: int = 0,
    paths: int = 16,
    progress: Progress = None,
) -> dict[str, Any]:
    """Scenario discovery (:func:`detente.api.discover.discover`): PRIM and CART boxes of the
    stated uncertainties where ``target`` holds, and PRIM's peeling trajectory."""
    from detente.api import discover as disc

    if progress:
        progress(0, 1)
    res = disc.discover(scenario, target, draws=draws, seed=seed, paths=paths)
    if progress:
        progress(1, 1)
    return to_jsonable(res.to_dict())


def deu_benchmark(
    deu: str,
    train: str | None = None,
    *,
    seed: int = 0,
    folds: int = 10,
    reps: int = 500,
    progress: Progress = None,
) -> dict[str, Any]:
    """The DEU benchmark (:func:`detente.api.backtest` with ``deu=``): every model and baseline
    on every scoreable DEU issue, fitted on ``train`` (else cross-validated by proposal)."""
    from detente.api import backtest as _backtest

    if progress:
        progress(0, 1)
    res = _backtest(deu=deu, train=train, seed=seed, folds=folds, reps=reps)
    if progress:
        progress(1, 1)
    return to_jsonable(res.to_dict())


def save_upload(data: bytes, name: str, folder: str) -> str:
    """Write an uploaded data file under ``folder`` with a safe name; its path."""
    import re
    from pathlib import Path

    safe = re.sub(r"[^A-Za-z0-9._-]", "_", Path(name).name)[:80] or "upload.csv"
    path = Path(folder) / safe
    path.write_bytes(data)
    return str(path)


def ledger(path: str | None = None) -> dict[str, Any]:
    """A ledger file's entries (each forecast with its outcome, when resolved), its hash-chain
    check and, when the chain holds, its score with the reliability table
    (:mod:`detente.api.ledger`); ``path`` None: the default ledger ($DETENTE_LEDGER)."""
    from detente.api import ledger as led

    report = led.verify(path)
    entries = led.entries(path) if report.ok else []
    outcomes = {e["forecast"]: e for e in entries if e.get("kind") == "resolution"}
    forecasts = []
    for e in entries:
        if e.get("kind") != "forecast":
            continue
        f = e.get("forecast") or {}
        res = outcomes.get(e.get("seq"))
        forecasts.append(
            {
                "id": e.get("seq"),
                "time": e.get("time"),
                "question": e.get("question"),
                "resolves_by": e.get("resolves_by"),
                "model": e.get("model"),
                "type": f.get("type"),
                "p": f.get("p"),
                "outcome": None if res is None else res.get("outcome"),
            }
        )
    score = led.score(path) if report.ok and outcomes else None
    return to_jsonable(
        {
            "verify": report.to_dict(),
            "forecasts": forecasts,
            "score": None if score is None else score.to_dict(),
        }
    )


def deu_default() -> str:
    """The DEU III file found beside the checkout (``../shared/data/bargaining/deu``), as the
    DEU benchmark's default path; empty when absent."""
    from pathlib import Path

    for base in (Path.cwd(), Path(__file__).resolve().parents[3]):
        cand = base.parent / "shared" / "data" / "bargaining" / "deu" / "deu3-train.csv"
        if cand.is_file():
            return str(cand.resolve())
    return ""
