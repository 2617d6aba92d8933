"""``detente report``: one self-contained HTML file (inline CSS, inline SVG charts; it opens
offline) with the scenario and its sources, each model's forecast with Monte Carlo intervals, the
plots, the war model's policy comparison, the claims table and the base rates.

:func:`report_data` gathers everything as JSON (what the run store keeps); :func:`render_report`
turns that into HTML; :func:`build_report` does both; :func:`report_for_run` reports a stored run,
using its stored results and computing only the sections the run lacks (and saying so).
"""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from detente import __version__, api
from detente.report import plots, sections
from detente.scenario.errors import DetenteError
from detente.scenario.schema import Scenario

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_DRAWS = 1000


# The kinds of stored run the report knows, and what each one's result is.
RUN_KINDS = (
    "forecast",
    "war",
    "claims",
    "sensitivity",
    "whatif",
    "sweep",
    "lever",
    "backtest",
    "report",
)
# Sections a report can have, in order, with the title used in the "left out" lines.
SECTION_TITLES = {
    "scenario": "Scenario",
    "sources": "Sources",
    "forecasts": "Forecasts",
    "plots": "Plots",
    "war": "War model: policy comparison",
    "claims": "Claims",
    "baserates": "Base rates",
    "power": "Voting power",
    "ledger": "Forecast ledger",
    "extra": "The run's result",
    "defaults": "Defaults used",
}


def _left(reason: str) -> dict[str, Any]:
    return {"available": False, "reason": reason}


def defaults_used(scenario: Scenario | None, forecast_json: dict[str, Any] | None) -> list[dict]:
    """The defaults that stood in for parameters the user did not give: each bargaining model's
    parameters left at their registry default, and (for a scenario with ``war:``) the war model's
    parameters the scenario does not set. Rows: what, name, value, unit, meaning."""
    rows: list[dict[str, Any]] = []
    from detente.bargaining.registry import get_model

    for name, entry in ((forecast_json or {}).get("models") or {}).items():
        try:
            spec = get_model(name)
        except Exception:  # a model this build no longer has: nothing to compare with
            continue
        used = entry.get("params") or {}
        for p in spec.params:
            if used.get(p.name, p.default) == p.default:
                rows.append(
                    {
                        "what": f"model {name}",
                        "name": p.name,
                        "value": p.default,
                        "unit": "",
                        "meaning": p.doc,
                    }
                )
    if scenario is not None and scenario.war is not None:
        from detente.scenario.war_schema import PARAMETERS, STRUCTURAL

        medians: dict[str, float] = {}
        try:
            from detente.war.calibration import calibrated_draws, calibrated_medians

            medians = calibrated_medians()
            n_cal = len(next(iter(calibrated_draws().values()), []))
        except Exception:  # no shipped calibration in this build: the defaults stand
            n_cal = 0
        for pname, info in PARAMETERS.items():
            if pname not in scenario.war.parameters:
                calibrated = pname in STRUCTURAL and pname in medians
                rows.append(
                    {
                        "what": "war parameter",
                        "name": pname,
                        # a structural parameter left unset is not fixed at a default: every
                        # run draws it from the calibration; the row shows the draws' median
                        "value": medians[pname] if calibrated else info.default,
                        "unit": info.unit,
                        "meaning": (
                            f"calibrated: drawn from the {n_cal} accepted draws (COW wars "
                            f"before 1946); shown: their median. {info.doc}"
                        )
                        if calibrated
                        else info.doc,
                        "calibrated": calibrated,
                    }
                )
    return rows


def report_data(
    scenario: Scenario | None,
    *,
    models: list[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = 1,
    forecast_json: dict[str, Any] | None = None,
    montecarlo: dict[str, Any] | None = None,
    war: dict[str, Any] | None = None,
    claims: dict[str, Any] | None = None,
    baserates: dict[str, Any] | None = None,
    terms: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    power: dict[str, Any] | None = None,
    ledger: dict[str, Any] | None = None,
    source: str | None = None,
    claims_draws: int = 200,
    claims_paths: int = 200,
    data_dir: str | None = None,
    compute: bool = True,
    not_computed: str = "",
) -> dict[str, Any]:
    """Everything the report shows, as JSON. Parts given (e.g. from a stored run) are used as
    they are; with ``compute`` the rest is computed with ``seed`` (else each is left out with
    ``not_computed`` as the reason). ``claims_draws`` x ``claims_paths``: the claims check's
    effort (draws from the war parameters' uncertainty x paths per draw). ``data_dir``: the
    folder of the COW/UCDP/GSDB files for the base rates. ``terms``: the war model's
    settlement terms on the territory issue (:func:`detente.api.war_terms`), shown beside the
    bargaining forecasts of that issue. ``power``: the voting power section (computed from the
    scenario's ``voting:`` rule when absent). ``ledger``: the forecast ledger's scores
    (:func:`ledger_section`), left out when None.

    A section whose inputs are absent is not computed: it is ``{"available": False, "reason"}``
    (a scenario without ``war:`` has no war section; a run without a scenario has no forecast).
    """
    no_sc = "the run has no scenario"
    if montecarlo is None and draws > 0 and scenario is not None and compute:
        from detente.analysis.budget import check_forecast

        names = models or api.default_models(scenario)
        check_forecast(scenario, names, params, draws, command="report")  # before any work
    if forecast_json is None and scenario is not None and compute:
        fc = api.forecast(scenario, model=models, params=params)
        forecast_json = fc.to_dict()
    model_names = list((forecast_json or {}).get("models", {}))
    if montecarlo is not None:
        first: dict[str, Any] = next(iter(montecarlo.values()), {})
        mc = {
            "available": True,
            "models": montecarlo,
            "stored": True,
            "draws": first.get("draws"),
            "seed": first.get("seed"),
        }
    elif forecast_json is None:
        mc = _left(no_sc if scenario is None else not_computed)
    elif not compute:
        mc = _left(not_computed or "the run has no Monte Carlo draws")
    else:
        mc = sections.montecarlo_section(scenario, model_names, draws, seed)  # type: ignore[arg-type]
    if war is None:
        if scenario is None:
            war = _left(no_sc)
        elif scenario.war is None:
            war = _left("the scenario has no `war:` section")
        elif not compute:
            war = _left(not_computed)
        else:
            war = sections.war_section(scenario, seed)
    if claims is None:
        if scenario is None:
            claims = _left(no_sc)
        elif not scenario.claims:
            claims = _left("the scenario states no claims")
        elif not compute:
            claims = _left(not_computed)
        else:
            claims = sections.claims_section(scenario, seed, claims_draws, claims_paths)
    if terms is None:
        if scenario is None or scenario.war is None:
            terms = _left("the scenario has no `war:` section")
        elif not compute:
            terms = _left(not_computed)
        else:
            terms = sections.terms_section(scenario, seed)
    if baserates is None:
        if data_dir is None and (scenario is None or scenario.war is None):
            baserates = _left(
                "base rates of war are shown for a scenario with a `war:` section "
                "(or with --data DIR)"
            )
        else:
            baserates = sections.baserates_section(scenario, data_dir)
    if power is None:
        if scenario is None:
            power = _left(no_sc)
        elif scenario.voting is None:
            power = _left("the scenario has no `voting:` section")
        else:
            try:
                power = power_section(scenario)
            except DetenteError as exc:  # e.g. a rule too large to compute exactly
                power = _left(f"the voting power cannot be computed: {exc}")
    if ledger is None:
        ledger = _left("no forecast ledger given (`detente report --ledger FILE`)")
    fc_section = (
        {"available": True}
        if forecast_json is not None
        else _left(no_sc if scenario is None else not_computed)
    )
    return {
        "generated_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "version": __version__,
        "source": source,
        "scenario": None if scenario is None else scenario.model_dump(mode="json"),
        "scenario_sha256": None if scenario is None else api.scenario_hash(scenario),
        "seed": seed,
        "forecast": forecast_json or {},
        "forecast_section": fc_section,
        "montecarlo": mc,
        "war": war,
        "claims": claims,
        "baserates": baserates,
        "terms": terms,
        "power": power,
        "ledger": ledger,
        "extra": extra or {},
        "defaults": defaults_used(scenario, forecast_json),
        "notes": [],
    }


def power_section(scenario: Scenario) -> dict[str, Any]:
    """The scenario's ``voting:`` rule's exact power indices (Shapley & Shubik 1954; Banzhaf
    1965) with each voter's capability when the voter is one of the scenario's actors."""
    from detente.api import power as power_api

    result = power_api.voting_power(scenario).to_dict()
    caps: dict[str, float | None] = {}
    for actor in scenario.actors:
        caps[actor.id] = float(actor.capability.value)
    return {
        "available": True,
        "result": result,
        "capability": {v: caps.get(v) for v in result["voters"]},
    }


def ledger_section(ledger_file: str | Path | None) -> dict[str, Any]:
    """The forecast ledger's scores (:func:`detente.api.ledger.score`): Brier and log scores
    against the baseline, CRPS of quantity forecasts, the reliability diagram's bins. A missing
    or broken ledger is the ledger's own one-line error."""
    from detente.api import ledger as ledger_api

    path = ledger_api.store.ledger_path(ledger_file)
    score = ledger_api.score(path)
    return {"available": True, "file": str(path), "result": score.to_dict()}


def left_out(data: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per reason sections were left out of the report: [{reason, sections: [{id,
    title}]}], in the report's order."""
    lines: dict[str, list[dict[str, str]]] = {}
    for item in _left_out_sections(data):
        lines.setdefault(item["reason"], []).append({"id": item["id"], "title": item["title"]})
    return [{"reason": r, "sections": secs} for r, secs in lines.items()]


def _left_out_sections(data: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    if data.get("scenario") is None:
        for key in ("scenario", "sources"):
            out.append(
                {"id": key, "title": SECTION_TITLES[key], "reason": "the run has no scenario"}
            )
    fs = data.get("forecast_section") or {"available": bool(data.get("forecast"))}
    if not fs.get("available"):
        for key in ("forecasts", "plots"):
            out.append({"id": key, "title": SECTION_TITLES[key], "reason": fs.get("reason", "")})
    for key in ("war", "claims", "baserates", "power", "ledger"):
        if key not in data:  # a report stored before the section existed
            continue
        sec = data.get(key) or {}
        if not sec.get("available"):
            out.append({"id": key, "title": SECTION_TITLES[key], "reason": sec.get("reason", "")})
    return out


def render_report(data: dict[str, Any]) -> str:
    """The HTML of a report from :func:`report_data`'s JSON."""
    sc = data["scenario"]
    fc = data["forecast"] or {}
    mc = data["montecarlo"]
    mc_models = mc.get("models", {}) if mc.get("available") else {}
    charts: list[dict[str, str]] = []
    if fc.get("forecasts") and sc is not None:
        charts.append(
            {
                "id": "positions",
                "title": "Positions and forecasts per issue",
                "svg": plots.to_inline_svg(plots.positions_figure(fc, sc, montecarlo=mc_models)),
            }
        )
    for name, entry in fc.get("models", {}).items():
        if entry.get("trajectory"):
            charts.append(
                {
                    "id": f"trajectory-{name}",
                    "title": f"{name}: positions over rounds",
                    "svg": plots.to_inline_svg(plots.trajectory_figure(fc, name, sc)),
                }
            )
    war = data["war"]
    war_view = None
    if war.get("available"):
        result = war.get("result") or {}
        curves = plots.talks_curves(result)
        horizon = result.get("months")
        horizon = len(horizon) if isinstance(horizon, list) else horizon
        rows = war_policy_rows(result)
        war_view = {
            "chart": plots.to_inline_svg(plots.talks_figure(result)) if curves else None,
            "endings_chart": plots.to_inline_svg(plots.endings_figure(rows, horizon))
            if rows
            else None,
            "rows": rows,
            "horizon": horizon,
            "elapsed": result.get("elapsed"),
            "tables": tables_of(
                result,
                skip=(
                    "policies",
                    "curves",
                    "months",
                    "band",
                    "draws",
                    "paths_per_draw",
                    "seed",
                    "uncertain_parameters",
                    "elapsed",
                    "parameters",
                    "scenario",
                    "fixed",
                    "levers",
                    "draws_accepted",
                    "plot",
                    "base_rates",  # shown in its own section
                ),
            ),
        }
    extra_views = []
    for kind, result in (data.get("extra") or {}).items():
        view: dict[str, Any] = {"kind": kind, "tables": tables_of(result)}
        if kind == "sensitivity" and plots.sensitivity_bars(result):
            view["chart"] = plots.to_inline_svg(plots.sensitivity_figure(result))
        elif kind == "whatif" and plots.whatif_rows(result):
            view["chart"] = plots.to_inline_svg(plots.whatif_figure(result))
        elif plots.talks_curves(result):
            view["chart"] = plots.to_inline_svg(plots.talks_figure(result))
        if kind == "sweep" and plots.sweep_rows(result):
            view["chart"] = plots.to_inline_svg(plots.sweep_figure(result))
        if plots.benchmark_rows(result):
            # the DEU benchmark: the leaderboard with intervals and the errors plot
            view["leaderboard"] = plots.benchmark_rows(result)
            view["chart"] = plots.to_inline_svg(plots.benchmark_figure(result))
            view["chart_id"] = "chart-benchmark"
            view["caption"] = (
                "Each model's errors (left) and its MAE minus the compromise model's, with the "
                "95% bootstrap interval clustered by proposal (right; green: below zero, red: "
                "above, grey: straddles zero)"
            )
            view["tables"] = tables_of(result, skip=("models",))
        elif isinstance(result, dict) and isinstance(result.get("trajectory"), list):
            # scenario discovery: the boxes and the peeling trajectory
            view["boxes"] = discovery_boxes(result)
            view["chart"] = plots.to_inline_svg(plots.discovery_figure(result))
            view["chart_id"] = "chart-peeling"
            view["caption"] = (
                "PRIM peeling trajectory: density against coverage (Bryant & Lempert 2010); "
                "red circle: box 1; dashed: the base rate"
            )
            view["tables"] = tables_of(result, skip=("prim", "cart", "trajectory"))
        extra_views.append(view)
    power = data.get("power") or _left("")
    power_view = None
    if power.get("available"):
        caps = power.get("capability") or {}
        power_view = {
            "chart": plots.to_inline_svg(plots.power_figure(power["result"], caps)),
            "rows": power_rows(power),
        }
    ledger = data.get("ledger") or _left("")
    ledger_view = None
    if ledger.get("available"):
        res = ledger["result"]
        ledger_view = {
            "chart": plots.to_inline_svg(plots.reliability_figure(res))
            if any(r.get("n") for r in res.get("reliability") or [])
            else None,
            "summary": res.get("summary") or {},
            "tables": tables_of(res.get("forecasts") or [], "Resolved forecasts"),
        }
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["cell"] = _cell
    env.filters["est"] = _estimate_text
    return env.get_template("report.html").render(
        d=data,
        sc=sc,
        fc=fc,
        mc=mc,
        mc_models=mc_models,
        charts=charts,
        war=war,
        war_view=war_view,
        left_out=left_out(data),
        defaults=data.get("defaults") or [],
        forecast_available=bool(fc.get("forecasts")),
        claims=claims_view(data["claims"]),
        terms=terms_view(data.get("terms") or {}, fc),
        baserates=_section_view(data["baserates"]),
        extra=extra_views,
        power=power,
        power_view=power_view,
        ledger=ledger,
        ledger_view=ledger_view,
        sources=list(_estimate_sources(sc)) if sc is not None else [],
    )


def power_rows(power: dict[str, Any]) -> list[dict[str, Any]]:
    """Per voter (largest Shapley-Shubik index first): both indices and the voter's capability
    and share of the voters' capability (None when the voter is not a scenario actor)."""
    voters = (power.get("result") or {}).get("voters") or {}
    caps = power.get("capability") or {}
    total = sum(v for v in caps.values() if v is not None)
    rows = [
        {
            "voter": v,
            "shapley_shubik": idx.get("shapley_shubik"),
            "banzhaf": idx.get("banzhaf"),
            "banzhaf_raw": idx.get("banzhaf_raw"),
            "capability": caps.get(v),
            "capability_share": caps[v] / total if caps.get(v) is not None and total else None,
        }
        for v, idx in voters.items()
    ]
    rows.sort(key=lambda r: -(r["shapley_shubik"] or 0.0))
    return rows


def discovery_boxes(result: dict[str, Any]) -> list[dict[str, Any]]:
    """A discovery result's boxes (PRIM first, then CART): method, number, coverage, density,
    mass, draws and the box as text (e.g. ``0.2 <= x <= 0.6 and y >= 3``)."""
    rows = []
    for method in ("prim", "cart"):
        for i, b in enumerate(result.get(method) or [], start=1):
            parts = []
            for name, lim in (b.get("bounds") or {}).items():
                lo, hi = lim.get("low"), lim.get("high")
                if lo is not None and hi is not None:
                    parts.append(f"{lo:.4g} <= {name} <= {hi:.4g}")
                elif lo is not None:
                    parts.append(f"{name} >= {lo:.4g}")
                elif hi is not None:
                    parts.append(f"{name} <= {hi:.4g}")
            rows.append(
                {
                    "method": method.upper(),
                    "box": i,
                    "coverage": b.get("coverage"),
                    "density": b.get("density"),
                    "mass": b.get("mass"),
                    "draws": b.get("draws"),
                    "limits": " and ".join(parts) or "(everywhere)",
                }
            )
    return rows


def build_report(scenario: Scenario, **kwargs: Any) -> str:
    """Compute and render a scenario's report (see :func:`report_data` for the options)."""
    return render_report(report_data(scenario, **kwargs))


def report_for_run(run: Any, draws: int = 0, seed: int | None = None, **kwargs: Any) -> str:
    """The report of a stored run: its stored results, plus the other sections computed now."""
    return render_report(run_report_data(run, draws=draws, seed=seed, **kwargs))


def run_kind(run: Any) -> str:
    """The kind of a stored run: its command's last word (``forecast``, ``war``, ...)."""
    return str(run.command or "").split(":")[-1].split()[0] if run.command else ""


def run_report_data(
    run: Any, draws: int = 0, seed: int | None = None, **kwargs: Any
) -> dict[str, Any]:
    """:func:`report_data` for a stored run of any kind (see :data:`RUN_KINDS`).

    The run's own result is the report's content: a forecast run's forecasts and Monte Carlo, a
    war run's policy comparison, a claims run's claims, any other run's result as tables and a
    chart. The scenario (when the run has one) is shown beside it. Sections the run did not
    compute are left out, each with one line saying so, except for a forecast or report run,
    whose missing sections are computed now (with ``draws`` and ``seed``).
    """
    from detente.bargaining.registry import list_models

    sc = run.scenario()
    result = run.result if isinstance(run.result, dict) else {"result": run.result}
    kind = run_kind(run)
    is_forecast = isinstance(result.get("forecasts"), list) and "models" in result
    known = {m.name for m in list_models()}
    models = [m for m in (run.models or []) if m in known] or None
    given_ledger = kwargs.pop("ledger", None)  # a ledger named now replaces a stored one
    war = claims = baserates = terms = power = ledger = None
    extra: dict[str, Any] = {}
    forecast_json = None
    mc = None
    if kind == "report":
        # A stored report keeps everything it showed (but its scenario, stored with the run).
        forecast_json = result.get("forecast") or None
        mc_sec = result.get("montecarlo") or {}
        mc = mc_sec.get("models") if mc_sec.get("available") else None
        war = result.get("war")
        claims = result.get("claims")
        baserates = result.get("baserates")
        terms = result.get("terms")
        power = result.get("power")
        ledger = result.get("ledger")
        extra = dict(result.get("extra") or {})
    elif is_forecast:
        forecast_json = result
        # `detente forecast --draws N` stores its Monte Carlo under "uncertainty".
        mc = result.get("uncertainty") or result.get("montecarlo") or None
    elif kind == "war" or plots.talks_curves(result):
        war = {"available": True, "result": result, "stored": True}
        if isinstance(result.get("base_rates"), dict):
            baserates = {"available": True, "result": result["base_rates"], "stored": True}
    elif kind == "claims" and isinstance(result.get("claims"), list):
        claims = {
            "available": True,
            "draws": result.get("draws"),
            "paths": result.get("paths"),
            "seed": result.get("seed"),
            "result": result["claims"],
            "stored": True,
        }
    else:
        extra[kind or "result"] = result
    compute = kind in ("forecast", "report", "") and sc is not None
    when = (run.created_at or "")[:19].replace("T", " ")
    return report_data(
        sc,
        models=models,
        draws=draws,
        seed=run.seed if seed is None and run.seed is not None else (seed or 1),
        forecast_json=forecast_json,
        montecarlo=mc,
        war=war,
        claims=claims,
        baserates=baserates,
        terms=terms,
        power=power,
        ledger=given_ledger or ledger,
        extra=extra,
        source=f"run {run.id} ({run.command}, {when} UTC)",
        compute=compute,
        not_computed=f"not part of run {run.id} (a {kind} run); "
        "`detente report SCENARIO` computes it",
        **kwargs,
    )


# -- helpers for the template -----------------------------------------------------------------


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    try:
        f = float(value)
    except (TypeError, ValueError):
        return str(value)
    if math.isnan(f):
        return "-"
    return f"{f:.{digits}f}"


def _cell(value: Any) -> str:
    """A table cell: integers as integers, other numbers to 3 decimals (3 significant digits
    below 0.01)."""
    if isinstance(value, bool) or value is None:
        return "-" if value is None else str(value).lower()
    if isinstance(value, int) or (
        isinstance(value, float) and value.is_integer() and abs(value) >= 1
    ):
        return str(int(value))
    if isinstance(value, float):
        if 0 < abs(value) < 0.01:  # e.g. a cost of 1.4e-4 per month: not "0.000"
            return f"{value:.3g}"
        return _num(value, 3)
    return str(value)


def _estimate_text(est: Any) -> str:
    """'85 (sd 10)' / '85 [82, 88]' / '85'."""
    if not isinstance(est, dict):
        return _num(est, 3).rstrip("0").rstrip(".") if est is not None else "-"
    text = f"{est['value']:g}"
    if est.get("sd"):
        text += f" \u00b1{est['sd']:g}"
    if est.get("low") is not None and est.get("high") is not None:
        text += f" [{est['low']:g}, {est['high']:g}]"
    return text


def _estimate_sources(sc: dict[str, Any]) -> Any:
    """(what, value, source) for every number in the scenario that names its source."""
    for issue in sc.get("issues", []):
        ref = issue.get("reference")
        if isinstance(ref, dict) and ref.get("source"):
            yield (f"{issue['name']}: status quo", _estimate_text(ref), ref["source"])
    for actor in sc.get("actors", []):
        cap = actor.get("capability")
        if isinstance(cap, dict) and cap.get("source"):
            yield (f"{actor['name']}: capability", _estimate_text(cap), cap["source"])
        for key in ("positions", "saliences"):
            for issue, est in (actor.get(key) or {}).items():
                if isinstance(est, dict) and est.get("source"):
                    yield (
                        f"{actor['name']}: {key[:-1]} on {issue}",
                        _estimate_text(est),
                        est["source"],
                    )


OUTCOME_COLUMNS = (
    ("settlement", "settlement"),
    ("victory_attacker", "attacker wins"),
    ("victory_defender", "defender wins"),
    ("fading", "fades out"),
    ("ongoing", "still at war"),
)
OUTCOME_COLUMNS_KEYS = tuple(k for k, _ in OUTCOME_COLUMNS)


def war_policy_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per policy mix of a war result (the report's comparison or a stored ``detente war`` run):
    name, description, the shares of each ending among the paths at war at the forecast point
    (settlement, attacker wins, defender wins, fades out, still at war at the horizon; they sum
    to 1), the duration quantiles (months from the war's start; None: beyond the horizon), the
    terms of the settlements (attacker's share of the prize: p10, median, p90) and P(settlement
    within 12 and 24 months of the forecast point)."""
    pols = result.get("policies")
    if isinstance(pols, dict):
        pols = [{"name": k, **v} for k, v in pols.items() if isinstance(v, dict)]
    curves = {c["policy"]: c for c in plots.talks_curves(result)}
    rows = []
    for pol in pols or []:
        if not isinstance(pol, dict):
            continue
        name = str(pol.get("name") or pol.get("policy") or "")
        by_end = pol.get("p_by_end") or (pol.get("summary") or {}).get("p_by_end")
        if not isinstance(by_end, dict):  # only shares among the ended paths are known
            by_end = {**(pol.get("outcomes") or {}), "ongoing": None}
        shares = {k: by_end.get(k) for k, _ in OUTCOME_COLUMNS}
        dur = pol.get("duration_months") or {}
        raw_terms = pol.get("terms")
        terms: dict[str, Any] = raw_terms if isinstance(raw_terms, dict) else {}
        curve = curves.get(name)
        rows.append(
            {
                "policy": pol.get("label") or name,
                "description": pol.get("description"),
                "shares": shares,
                "duration": {q: dur.get(q) for q in ("p10", "p25", "p50", "p75", "p90")},
                "terms": {k: terms.get(k) for k in ("p10", "median", "p90")},
                "settled_by": {m: _at(curve, m) if curve else None for m in (12, 24)},
            }
        )
    return rows


def _at(curve: dict[str, Any], month: float) -> float | None:
    """The curve's value at ``month`` months after the forecast point (None past its end)."""
    for m, p in zip(curve["months"], curve["p"], strict=False):
        if m >= month:
            return p
    return None


def claims_view(section: dict[str, Any]) -> dict[str, Any]:
    """The claims section's rows: each claim's share of draws in which it holds with its 95%
    Wilson interval, what the two mixes compare and the one thing they differ in, its values and
    its note (e.g. why a claim holds in every draw). Reads :class:`ClaimResult.to_dict` and the
    older ``to_json`` keys (``share_draws``, ``statement``)."""
    if not section.get("available"):
        return section
    rows = []
    for c in section.get("result") or []:
        if not isinstance(c, dict):
            continue
        share = c.get("share", c.get("share_draws"))
        figures = c.get("values") or c.get("values_default") or {}
        tied = figures.get("share_of_draws_tied")
        note = c.get("note")
        tie_note = None
        if (
            isinstance(tied, int | float)
            and tied > 0.5
            and "makes no difference" not in (note or "")
        ):
            # the check's note for a claim that holds in every draw replaces its note on ties;
            # a reader needs both (a claim can hold everywhere because the change never acts)
            tie_note = (
                f"in {100 * tied:.0f}% of draws the change makes no difference (e.g. no path "
                "settles under either mix); the share counts ties as "
                + ("holding" if _relation(c.get("id")) == "a>=b" else "failing")
            )
        rows.append(
            {
                "id": c.get("id"),
                "text": c.get("text"),
                "source": c.get("source"),
                "test": c.get("test") or c.get("statement"),
                "compared": list(c.get("compared") or []),
                "difference": list(c.get("difference") or []),
                "draws": c.get("draws"),
                "holds": c.get("holds"),
                "share": share,
                "low": c.get("low"),
                "high": c.get("high"),
                "figures": figures,
                "note": note,
                "tie_note": tie_note,
                "every_draw": share == 1.0,
                # the note without a leading "holds in every draw" (the row's label says it)
                "why": _strip_prefix(c.get("note"), "holds in every draw"),
            }
        )
    return {**section, "rows": rows}


def _relation(claim_id: Any) -> str | None:
    """The relation a claim's test checks (``a>=b``, ``a<b``, ...), from the claims check."""
    try:
        from detente.analysis.claims import TESTS
    except ImportError:  # the claims check is absent from this build
        return None
    t = TESTS.get(str(claim_id))
    return None if t is None else t.relation


def _strip_prefix(text: str | None, prefix: str) -> str | None:
    if not text or not text.lower().startswith(prefix):
        return text
    rest = text[len(prefix) :].lstrip(" :,;-")
    return rest[:1].upper() + rest[1:] if rest else text


def terms_view(terms: dict[str, Any], fc: dict[str, Any]) -> dict[str, Any]:
    """The war model's terms beside the territory forecasts: each bargaining model's forecast of
    the territory issue flagged when it lies outside what both belligerents would accept at the
    forecast point (:func:`detente.api.outside_terms`)."""
    if not terms.get("available"):
        return terms
    flags = {
        row["model"]: api.outside_terms(float(row["forecast"]), terms)
        for row in fc.get("forecasts") or []
        if row.get("issue") == terms.get("issue") and row.get("forecast") is not None
    }
    return {**terms, "outside": flags}


def _section_view(section: dict[str, Any]) -> dict[str, Any]:
    if not section.get("available"):
        return section
    return {**section, "tables": tables_of(section.get("result"))}


def tables_of(
    obj: Any, title: str = "", skip: tuple[str, ...] = (), depth: int = 0
) -> list[dict[str, Any]]:
    """Tables for any JSON result (see :func:`detente.store.views.result_tables`)."""
    from detente.store.views import result_tables

    return result_tables(obj, title, skip, depth)
