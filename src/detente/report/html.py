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
from detente.scenario.schema import Scenario

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_DRAWS = 1000


def report_data(
    scenario: Scenario,
    *,
    models: list[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = 1,
    forecast_json: dict[str, Any] | None = None,
    montecarlo: dict[str, Any] | None = None,
    war: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    source: str | None = None,
    claims_draws: int = 200,
    claims_paths: int = 200,
) -> dict[str, Any]:
    """Everything the report shows, as JSON. Parts given (e.g. from a stored run) are used as
    they are; the rest is computed with ``seed``. ``claims_draws`` x ``claims_paths``: the
    claims check's effort (draws from the war parameters' uncertainty x paths per draw)."""
    notes: list[str] = []
    if montecarlo is None and draws > 0:
        from detente.analysis.budget import check_forecast

        names = models or api.default_models(scenario)
        check_forecast(scenario, names, params, draws, command="report")  # before any work
    if forecast_json is None:
        fc = api.forecast(scenario, model=models, params=params)
        forecast_json = fc.to_json()
    model_names = list(forecast_json.get("models", {}))
    if montecarlo is None:
        mc = sections.montecarlo_section(scenario, model_names, draws, seed)
    else:
        first = next(iter(montecarlo.values()), {})
        mc = {
            "available": True,
            "models": montecarlo,
            "stored": True,
            "draws": first.get("draws"),
            "seed": first.get("seed"),
        }
    if war is None:
        war = sections.war_section(scenario, seed)
    return {
        "generated_at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "version": __version__,
        "source": source,
        "scenario": scenario.model_dump(mode="json"),
        "scenario_sha256": api.scenario_hash(scenario),
        "seed": seed,
        "forecast": forecast_json,
        "montecarlo": mc,
        "war": war,
        "claims": sections.claims_section(scenario, seed, claims_draws, claims_paths),
        "baserates": sections.baserates_section(scenario),
        "extra": extra or {},
        "notes": notes,
    }


def render_report(data: dict[str, Any]) -> str:
    """The HTML of a report from :func:`report_data`'s JSON."""
    sc = data["scenario"]
    fc = data["forecast"]
    mc = data["montecarlo"]
    mc_models = mc.get("models", {}) if mc.get("available") else {}
    charts: list[dict[str, str]] = [
        {
            "id": "positions",
            "title": "Positions and forecasts per issue",
            "svg": plots.to_inline_svg(plots.positions_figure(fc, sc, montecarlo=mc_models)),
        }
    ]
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
        war_view = {
            "chart": plots.to_inline_svg(plots.talks_figure(result)) if curves else None,
            "rows": [
                {
                    "policy": c["label"] or c["policy"],
                    "by": {m: _at(c, m) for m in (6, 12, 24, 36)},
                    "summary": _policy_summary(result, c["policy"]),
                }
                for c in curves
            ],
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
        extra_views.append(view)
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
        claims=_section_view(data["claims"]),
        baserates=_section_view(data["baserates"]),
        extra=extra_views,
        sources=list(_estimate_sources(sc)),
    )


def build_report(scenario: Scenario, **kwargs: Any) -> str:
    """Compute and render a scenario's report (see :func:`report_data` for the options)."""
    return render_report(report_data(scenario, **kwargs))


def report_for_run(run: Any, draws: int = 0, seed: int | None = None, **kwargs: Any) -> str:
    """The report of a stored run: its stored results, plus the other sections computed now."""
    return render_report(run_report_data(run, draws=draws, seed=seed, **kwargs))


def run_report_data(
    run: Any, draws: int = 0, seed: int | None = None, **kwargs: Any
) -> dict[str, Any]:
    """:func:`report_data` for a stored run (its forecast, Monte Carlo and war results reused)."""
    from detente.scenario.errors import DetenteError

    sc = run.scenario()
    if sc is None:
        raise DetenteError(f"run {run.id} has no scenario to report on")
    result = run.result if isinstance(run.result, dict) else {}
    is_forecast = isinstance(result.get("forecasts"), list) and "models" in result
    war = None
    if plots.talks_curves(result):
        war = {"available": True, "result": result, "stored": True}
    extra = {}
    if run.command and run.command.split(":")[-1] in (
        "sensitivity",
        "whatif",
        "lever",
        "sweep",
        "claims",
        "backtest",
    ):
        extra[run.command.split(":")[-1]] = result
    # `detente forecast --draws N` stores its Monte Carlo under "uncertainty".
    mc = (result.get("uncertainty") or result.get("montecarlo")) if is_forecast else None
    data = report_data(
        sc,
        models=run.models or None,
        draws=draws,
        seed=run.seed if seed is None and run.seed is not None else (seed or 1),
        forecast_json=result if is_forecast else None,
        montecarlo=mc or None,
        war=war,
        extra=extra,
        source=f"run {run.id} ({run.command}, {run.created_at[:19].replace('T', ' ')} UTC)",
        **kwargs,
    )
    return data


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
    """A table cell: integers as integers, other numbers to 3 significant decimals."""
    if isinstance(value, bool) or value is None:
        return "-" if value is None else str(value).lower()
    if isinstance(value, int) or (
        isinstance(value, float) and value.is_integer() and abs(value) >= 1
    ):
        return str(int(value))
    if isinstance(value, float):
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


def _at(curve: dict[str, Any], month: float) -> float | None:
    for m, p in zip(curve["months"], curve["p"], strict=False):
        if m >= month:
            return p
    return None


def _policy_summary(result: dict[str, Any], name: str) -> dict[str, Any]:
    pols = result.get("policies")
    if isinstance(pols, dict):
        pols = [{"name": k, **v} for k, v in pols.items() if isinstance(v, dict)]
    if isinstance(pols, list):
        for pol in pols:
            if isinstance(pol, dict) and (pol.get("name") or pol.get("policy")) == name:
                summary = dict(pol.get("summary") or {})
                terms = pol.get("terms") or summary.get("terms")
                if isinstance(terms, dict):
                    summary["terms_median"] = terms.get("median")
                summary.setdefault("description", pol.get("description"))
                return summary
    return {}


def _section_view(section: dict[str, Any]) -> dict[str, Any]:
    if not section.get("available"):
        return section
    return {**section, "tables": tables_of(section.get("result"))}


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, str | int | float | bool)


def tables_of(
    obj: Any, title: str = "", skip: tuple[str, ...] = (), depth: int = 0
) -> list[dict[str, Any]]:
    """Tables for any JSON result: its scalars as one key/value table, each list of records as a
    table, each mapping of records as a table with the key as first column (two levels deep)."""
    out: list[dict[str, Any]] = []
    if isinstance(obj, list) and obj and all(isinstance(r, dict) for r in obj):
        cols: list[str] = []
        for r in obj:
            cols.extend(k for k, v in r.items() if k not in cols and _scalar(v))
        out.append(
            {
                "title": title,
                "columns": cols,
                "rows": [[r.get(c) for c in cols] for r in obj[:200]],
                "truncated": max(0, len(obj) - 200),
            }
        )
        return out
    if not isinstance(obj, dict):
        return out
    scalars = [(k, v) for k, v in obj.items() if _scalar(v) and k not in skip]
    if scalars:
        out.append(
            {
                "title": title,
                "columns": ["", "value"],
                "rows": [[k, v] for k, v in scalars],
                "truncated": 0,
            }
        )
    if depth >= 2:
        return out
    for key, value in obj.items():
        if key in skip or _scalar(value):
            continue
        sub = f"{title} \u203a {key}" if title else str(key)
        if (
            isinstance(value, dict)
            and value
            and all(isinstance(v, dict) for v in value.values())
            and all(all(_scalar(x) for x in v.values()) for v in value.values())
        ):
            cols: list[str] = []
            for v in value.values():
                cols.extend(k for k in v if k not in cols)
            out.append(
                {
                    "title": sub,
                    "columns": ["", *cols],
                    "rows": [[k, *(v.get(c) for c in cols)] for k, v in value.items()],
                    "truncated": 0,
                }
            )
        else:
            out.extend(tables_of(value, sub, depth=depth + 1))
    return out
