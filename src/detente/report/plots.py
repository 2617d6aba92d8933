"""Plots of detente's results, from result objects or their JSON (so they work from stored runs).

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot (no global state,
safe in the web server's threads); :func:`to_svg`, :func:`to_png` and :func:`save` render it.

- :func:`positions_figure`: actors' positions and each model's forecast per issue, on the issue's
  labelled scale (with Monte Carlo intervals when given).
- :func:`trajectory_figure`: a dynamic model's (EUM, SMP) positions per actor over rounds.
- :func:`talks_figure`: P(talks by month) per policy, with bands.
- :func:`sensitivity_figure`: sensitivity indices as bars.
- :func:`whatif_figure`: what-if comparisons (baseline vs variant per outcome).
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: the CLI, the web server and CI have no display

from matplotlib import rc_context  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from detente.scenario.errors import DetenteError  # noqa: E402

PALETTE = [
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
]
_SVG_RC = {"svg.fonttype": "none", "svg.hashsalt": "detente"}  # text stays text; stable ids


# -- rendering ------------------------------------------------------------------------------


def to_svg(fig: Figure) -> str:
    """The figure as an SVG document (text kept as <text>, no date: same figure, same bytes)."""
    buf = io.StringIO()
    with rc_context(_SVG_RC):  # type: ignore[arg-type]
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buf.getvalue()


def to_inline_svg(fig: Figure) -> str:
    """The <svg> element alone, for embedding in an HTML page."""
    text = to_svg(fig)
    return text[text.index("<svg") :]


def to_png(fig: Figure, dpi: int = 110) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def save(fig: Figure, path: str | Path) -> Path:
    """Write the figure as PNG or SVG, by the file's extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        path.write_text(to_svg(fig), encoding="utf-8")
    elif suffix == ".png":
        path.write_bytes(to_png(fig))
    else:
        raise DetenteError(f"{path}: write .png or .svg")
    return path


# -- helpers --------------------------------------------------------------------------------


def _as_dict(obj: Any) -> dict[str, Any]:
    """A result object's JSON view (``to_dict()``, or ``to_json()`` as a dict or as text), or
    the dict itself."""
    if isinstance(obj, Mapping):
        return dict(obj)
    if callable(getattr(obj, "to_dict", None)):
        try:
            out = obj.to_dict()
        except NotImplementedError:
            out = None
        if isinstance(out, Mapping):
            return dict(out)
    if callable(getattr(obj, "to_json", None)):
        out = obj.to_json()
        if isinstance(out, str):
            import json

            out = json.loads(out)
        if isinstance(out, Mapping):
            return dict(out)
    raise DetenteError(f"cannot plot a {type(obj).__name__}: give a result or its JSON dict")


def _scenario_dict(scenario: Any) -> dict[str, Any]:
    if scenario is None:
        return {}
    if isinstance(scenario, Mapping):
        return dict(scenario)
    return scenario.model_dump(mode="json")


def _value(est: Any) -> float | None:
    if est is None:
        return None
    if isinstance(est, Mapping):
        est = est.get("value")
    try:
        return float(est)
    except (TypeError, ValueError):
        return None


def _t(text: object) -> str:
    """User text (names, labels) as matplotlib shows it literally: '$' would start mathtext."""
    return str(text).replace("$", r"\$")


def _short_label(text: str, limit: int = 28) -> str:
    text = text if len(text) <= limit else text[: limit - 1] + "\u2026"
    return _t(text)


def _empty(message: str) -> Figure:
    fig = Figure(figsize=(6, 1.2))
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=10, color="#555")
    return fig


# -- positions and forecasts ----------------------------------------------------------------


def positions_figure(
    forecast: Any,
    scenario: Any = None,
    montecarlo: Mapping[str, Any] | None = None,
    issues: Sequence[str] | None = None,
) -> Figure:
    """Per issue: each actor's position (dot area ~ capability x salience) and each model's
    forecast (diamond, with the Monte Carlo 50% and 90% intervals when ``montecarlo`` maps a
    model's name to its Monte Carlo JSON), on the issue's scale with its end labels."""
    fc = _as_dict(forecast)
    sc = _scenario_dict(scenario if scenario is not None else getattr(forecast, "scenario", None))
    issue_rows = [i for i in fc.get("issues", []) if issues is None or i["id"] in issues]
    if not issue_rows:
        return _empty("no issues to plot")
    actors = sc.get("actors", [])
    models = list(fc.get("models", {}))
    forecasts = {(r["model"], r["issue"]): r["forecast"] for r in fc.get("forecasts", [])}
    mc = {name: _as_dict(v) for name, v in (montecarlo or {}).items()}
    rows = len(actors) + len(models)
    fig = Figure(figsize=(8.5, max(2.2, 0.28 * rows + 1.3) * len(issue_rows)))
    axes = fig.subplots(len(issue_rows), 1, squeeze=False)[:, 0]
    for ax, issue in zip(axes, issue_rows, strict=True):
        lo, hi = float(issue["low"]), float(issue["high"])
        labels: list[str] = []
        y = 0
        weights = []
        for actor in actors:
            cap = _value(actor.get("capability")) or 0.0
            sal = _value(actor.get("saliences", {}).get(issue["id"])) or 0.0
            weights.append(cap * sal)
        wmax = max(weights) if weights and max(weights) > 0 else 1.0
        for n, actor in enumerate(actors):
            pos = _value(actor.get("positions", {}).get(issue["id"]))
            if pos is not None:
                ax.scatter(
                    [pos], [y], s=30 + 220 * weights[n] / wmax, color="#555", alpha=0.75, zorder=3
                )
            labels.append(_short_label(actor.get("name") or actor.get("id", "?")))
            y += 1
        for m, name in enumerate(models):
            color = PALETTE[m % len(PALETTE)]
            value = forecasts.get((name, issue["id"]))
            summary = mc.get(name, {}).get("issues", {}).get(issue["id"])
            label_x = value
            if summary:
                for key, width in (("interval_90", 1.5), ("interval_50", 5)):
                    a, b = summary[key]
                    ax.plot(
                        [a, b],
                        [y, y],
                        color=color,
                        lw=width,
                        alpha=0.6,
                        solid_capstyle="butt",
                        zorder=2,
                    )
                # The value label goes past the widest interval's right end, never over a bar.
                if value is not None:
                    label_x = label_position(float(value), summary, lo, hi)
            if value is not None:
                ax.scatter(
                    [value],
                    [y],
                    marker="D",
                    s=55,
                    color=color,
                    zorder=4,
                    edgecolor="white",
                    linewidth=0.8,
                )
                left = label_x is not None and label_x < value
                ax.annotate(
                    f"{value:.1f}",
                    (label_x if label_x is not None else value, y),
                    xytext=(-6 if left else 6, 0),
                    textcoords="offset points",
                    va="center",
                    ha="right" if left else "left",
                    fontsize=7,
                    color=color,
                )
            labels.append(_t(f"{name} (forecast)"))
            y += 1
        ref = issue.get("reference")
        if ref is not None:
            ax.axvline(float(ref), color="#999", ls="--", lw=1, zorder=1)
            ax.annotate(
                "status quo", (float(ref), -0.6), fontsize=7, color="#777", ha="center", va="bottom"
            )
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_ylim(len(labels) - 0.4, -1.0)
        if actors and models:
            ax.axhline(len(actors) - 0.5, color="#ddd", lw=0.8)
        pad = 0.04 * (hi - lo)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_xticks(
            [lo, (lo + hi) / 2, hi],
            [
                f"{lo:g}\n{_short_label(issue.get('low_label') or '', 36)}",
                f"{(lo + hi) / 2:g}",
                f"{hi:g}\n{_short_label(issue.get('high_label') or '', 36)}",
            ],
            fontsize=8,
        )
        ax.grid(axis="x", color="#eee")
        ax.set_title(
            _t(issue.get("name") or issue["id"]), loc="left", fontsize=10, fontweight="bold"
        )
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def label_position(
    value: float, summary: Mapping[str, Any] | None, lo: float, hi: float
) -> float | None:
    """Where a forecast's value label is anchored: at the right end of its widest Monte Carlo
    interval (the label is drawn to the right of it), or at the left end (drawn to the left)
    when the right end is within 12% of the scale's top. None: at the value itself."""
    if not summary:
        return None
    ends = [e for key in ("interval_90", "interval_50") for e in (summary.get(key) or [])]
    ends = [float(e) for e in ends if e is not None]
    if not ends:
        return None
    right, left = max(max(ends), value), min(min(ends), value)
    if right > hi - 0.12 * (hi - lo):
        return left
    return right


def trajectory_figure(forecast: Any, model: str, scenario: Any = None) -> Figure:
    """A dynamic model's positions per actor over rounds, one panel per issue."""
    fc = _as_dict(forecast)
    entry = fc.get("models", {}).get(model)
    if entry is None:
        raise DetenteError(
            f"the result has no model {model!r} (it has: "
            f"{', '.join(fc.get('models', {})) or 'none'})"
        )
    traj = entry.get("trajectory")
    if not traj:
        return _empty(f"{model} is one-shot: no trajectory")
    sc = _scenario_dict(scenario if scenario is not None else getattr(forecast, "scenario", None))
    names = {a["id"]: a.get("name", a["id"]) for a in sc.get("actors", [])}
    issues = {i["id"]: i for i in fc.get("issues", [])}
    fig = Figure(figsize=(8.5, 2.6 * len(traj)))
    axes = fig.subplots(len(traj), 1, squeeze=False)[:, 0]
    for ax, (issue_id, per_actor) in zip(axes, traj.items(), strict=True):
        for n, (actor, series) in enumerate(per_actor.items()):
            ax.plot(
                range(len(series)),
                series,
                color=PALETTE[n % len(PALETTE)],
                lw=1.6,
                marker="o" if len(series) <= 15 else None,
                ms=3,
                label=_short_label(names.get(actor, actor), 20),
            )
        issue = issues.get(issue_id, {})
        if issue:
            lo, hi = float(issue["low"]), float(issue["high"])
            ax.set_ylim(lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo))  # ends stay visible
            ax.set_ylabel(_t(f"{issue['high_label'][:18]} \u2191"), fontsize=7)
        ax.set_title(
            _t(f"{model}: {issue.get('name', issue_id)}"),
            loc="left",
            fontsize=10,
            fontweight="bold",
        )
        ax.set_xlabel("round", fontsize=8)
        # Rounds are whole numbers: integer ticks only (never 0.25, 0.5, ...).
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(color="#eee")
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def _talks_top(curves: list[dict[str, Any]]) -> float:
    values = [
        v
        for c in curves
        for key in ("p", "high")
        for v in (c.get(key) or [])
        if v is not None and math.isfinite(v)
    ]
    peak = max(values, default=1.0)
    if peak > 0.25:
        return 1.0
    return next(top for top in (0.02, 0.05, 0.1, 0.25) if top >= 1.2 * peak)


ENDINGS = (
    ("settlement", "settlement", "#2e7d32"),
    ("victory_attacker", "attacker wins", "#c62828"),
    ("victory_defender", "defender wins", "#1565c0"),
    ("fading", "fades out", "#9e9d24"),
    ("ongoing", "still at war", "#b0b7c3"),
)


def endings_figure(rows: Sequence[Mapping[str, Any]], horizon: int | None = None) -> Figure:
    """How the war ends per policy: one horizontal bar per policy, split into the shares of
    settlement, attacker's and defender's victory, fading and still at war at the horizon (rows:
    :func:`detente.report.html.war_policy_rows`)."""
    rows = [r for r in rows if any(v is not None for v in (r.get("shares") or {}).values())]
    if not rows:
        return _empty("no outcome shares in this result")
    fig = Figure(figsize=(8.5, 0.45 * len(rows) + 1.3))
    ax = fig.add_subplot()
    names = [_short_label(str(r["policy"]), 28) for r in rows]
    y = list(range(len(rows)))[::-1]
    left = [0.0] * len(rows)
    for key, label, color in ENDINGS:
        widths = [float((r["shares"] or {}).get(key) or 0.0) for r in rows]
        ax.barh(y, widths, left=left, color=color, height=0.62, label=label)
        for i, (w, x0) in enumerate(zip(widths, left, strict=True)):
            if w >= 0.06:
                ax.text(
                    x0 + w / 2,
                    y[i],
                    f"{100 * w:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white" if key != "ongoing" else "#1d2330",
                )
        left = [a + b for a, b in zip(left, widths, strict=True)]
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel(
        "share of the paths at war at the forecast point"
        + (f" (still at war: after {horizon} months)" if horizon else ""),
        fontsize=9,
    )
    ax.set_title(_t("How the war ends, per policy"), loc="left", fontsize=10, fontweight="bold")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


# -- war: P(talks by month) -----------------------------------------------------------------


def talks_curves(war: Any) -> list[dict[str, Any]]:
    """Normalise a war result's talks curves to [{policy, months, p, low, high}].

    Accepts ``{"policies": [{"name"|"policy", "months", "p_talks"|"p", "low"/"high" or
    "band": [[lo, hi], ...]}]}`` or ``{"policies": {name: {...}}}`` or ``{"curves": ...}``.
    """
    data = _as_dict(war)
    pols = data.get("policies", data.get("curves"))
    if pols is None and ("months" in data or "p_talks" in data):
        pols = [data]
    if isinstance(pols, Mapping):
        pols = [
            {"name": k, **(v if isinstance(v, Mapping) else {"p_talks": v})}
            for k, v in pols.items()
        ]
    out = []
    for i, pol in enumerate(pols or []):
        p = _first_key(pol, ("p_talks_by_month", "p_talks", "p", "probability", "cdf"))
        if isinstance(p, Mapping):  # {"median": [...], "low": [...], "high": [...]}
            low = _first_key(p, ("low", "p05", "lower"))
            high = _first_key(p, ("high", "p95", "upper"))
            p = _first_key(p, ("mean", "median", "value", "p"))
        else:
            low = _first_key(pol, ("low", "p_low", "lower", "p05"))
            high = _first_key(pol, ("high", "p_high", "upper", "p95"))
            band = pol.get("band")
            if band and low is None:
                low, high = [b[0] for b in band], [b[1] for b in band]
        if p is None:
            continue
        months = pol.get("months") or data.get("months") or len(p)
        if isinstance(months, int | float):  # a horizon: months 1..T
            months = list(range(1, len(p) + 1))
        out.append(
            {
                "policy": str(
                    pol.get("name") or pol.get("policy") or pol.get("id") or f"policy {i}"
                ),
                "label": pol.get("label") or pol.get("title"),
                "months": [float(m) for m in months],
                "p": [float("nan") if v is None else float(v) for v in p],
                "low": None if low is None else [float(v) for v in low],
                "high": None if high is None else [float(v) for v in high],
            }
        )
    return out


def _first_key(d: Mapping[str, Any], keys: Sequence[str]) -> Any:
    for key in keys:
        if key in d and d[key] is not None:
            return d[key]
    return None


def talks_figure(war: Any, title: str = "P(settlement by month) per policy") -> Figure:
    """P(talks by month) per policy (talks: the negotiations that end the war in a settlement):
    a line each, with its band (uncertainty) shaded. The y axis runs to 1, or, when every curve
    stays below 0.25, to the smallest of 0.02, 0.05, 0.1, 0.25 above 1.2 x the curves' highest
    point (so that a rare settlement is still visible)."""
    curves = talks_curves(war)
    if not curves:
        return _empty("no talks curves in this result")
    fig = Figure(figsize=(8.5, 3.6))
    ax = fig.add_subplot()
    for n, c in enumerate(curves):
        color = PALETTE[n % len(PALETTE)]
        if c["low"] is not None and c["high"] is not None:
            # Bands overlap across policies: keep them faint, with their edges drawn thin.
            ax.fill_between(c["months"], c["low"], c["high"], color=color, alpha=0.07, lw=0)
            for edge in (c["low"], c["high"]):
                ax.plot(c["months"], edge, color=color, lw=0.6, alpha=0.45, ls=":")
        ax.plot(
            c["months"],
            c["p"],
            color=color,
            lw=2,
            label=_short_label(c["label"] or c["policy"], 40),
        )
    ax.set_ylim(0, _talks_top(curves))
    ax.set_xlim(min(min(c["months"]) for c in curves), max(max(c["months"]) for c in curves))
    ax.set_xlabel("months from now", fontsize=9)
    ax.set_ylabel("P(settlement by month)", fontsize=9)
    ax.set_title(_t(title), loc="left", fontsize=10, fontweight="bold")
    ax.grid(color="#eee")
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


# -- sensitivity and what-if ----------------------------------------------------------------


def sensitivity_bars(sens: Any) -> list[dict[str, Any]]:
    """Normalise a sensitivity result to [{output, names, values, errors, index}].

    Accepts ``{"outputs": {name: {"S1": {param: v}, "ST": {...}, "S1_conf": {...}}}}``, or
    ``{"indices": [{"name"/"param", "S1", "ST", ...}]}`` (optionally per ``output``), or a flat
    ``{"S1": {...}, "ST": {...}}``.
    """
    data = _as_dict(sens)
    outputs = data.get("outputs") or data.get("results")
    groups: list[tuple[str, Any]] = []
    if isinstance(outputs, Mapping):
        groups = list(outputs.items())
    elif isinstance(outputs, list):
        groups = [(str(o.get("output") or o.get("name") or i), o) for i, o in enumerate(outputs)]
    else:
        groups = [(str(data.get("output") or "outcome"), data)]
    out = []
    for name, g in groups:
        out.extend(_bars_of(name, g))
    return out


def _bars_of(output: str, g: Any) -> list[dict[str, Any]]:
    bars = []
    if isinstance(g, Mapping) and isinstance(g.get("indices"), list):
        rows = g["indices"]
        keys = [k for k in ("ST", "S1", "mu_star", "delta", "swing", "effect") if k in rows[0]]
        label = next((k for k in ("name", "param", "parameter", "input") if k in rows[0]), None)
        for key in keys[:2]:
            bars.append(
                {
                    "output": output,
                    "index": key,
                    "names": [str(r.get(label, i)) for i, r in enumerate(rows)],
                    "values": [_num(r.get(key)) for r in rows],
                    "errors": [_num(r.get(f"{key}_conf")) for r in rows]
                    if f"{key}_conf" in rows[0]
                    else None,
                }
            )
        return bars
    if isinstance(g, Mapping):
        for key in ("ST", "S1", "mu_star", "swing", "effect"):
            val = g.get(key)
            if isinstance(val, Mapping):
                conf = g.get(f"{key}_conf")
                bars.append(
                    {
                        "output": output,
                        "index": key,
                        "names": [str(k) for k in val],
                        "values": [_num(v) for v in val.values()],
                        "errors": [_num(conf.get(k)) for k in val]
                        if isinstance(conf, Mapping)
                        else None,
                    }
                )
    return bars


def _num(v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return float("nan")
    return f


def sensitivity_figure(sens: Any, top: int = 12) -> Figure:
    """Horizontal bars of each output's sensitivity indices (largest first, top ``top``)."""
    groups = sensitivity_bars(sens)
    if not groups:
        return _empty("no sensitivity indices in this result")
    fig = Figure(figsize=(8.5, sum(0.9 + 0.26 * min(top, len(g["names"])) for g in groups)))
    axes = fig.subplots(len(groups), 1, squeeze=False)[:, 0]
    for ax, g in zip(axes, groups, strict=True):
        order = sorted(
            range(len(g["values"])),
            key=lambda i: -(g["values"][i] if math.isfinite(g["values"][i]) else -1),
        )
        order = order[:top][::-1]
        vals = [g["values"][i] for i in order]
        errs = None if g["errors"] is None else [g["errors"][i] for i in order]
        ax.barh(
            range(len(order)),
            vals,
            xerr=errs,
            color=PALETTE[0],
            alpha=0.8,
            error_kw={"lw": 0.8, "ecolor": "#444"},
        )
        ax.set_yticks(
            range(len(order)), [_short_label(g["names"][i], 34) for i in order], fontsize=8
        )
        ax.set_title(_t(f"{g['output']}: {g['index']}"), loc="left", fontsize=10, fontweight="bold")
        ax.grid(axis="x", color="#eee")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def whatif_rows(whatif: Any) -> list[dict[str, Any]]:
    """Normalise a what-if result to [{label, baseline, variant}] (one row per outcome)."""
    data = _as_dict(whatif)
    rows = data.get("comparison") or data.get("changes") or data.get("rows") or []
    if isinstance(rows, Mapping):
        rows = [{"label": k, **v} for k, v in rows.items() if isinstance(v, Mapping)]
    out = []
    for r in rows:
        base = _first_key(r, ("baseline", "base", "before", "a"))
        var = _first_key(r, ("variant", "whatif", "after", "b", "scenario"))
        if base is None or var is None:
            continue
        label = r.get("label") or " / ".join(
            str(r[k]) for k in ("model", "issue", "outcome", "metric") if r.get(k) is not None
        )
        out.append({"label": str(label), "baseline": _num(base), "variant": _num(var)})
    return out


def whatif_figure(whatif: Any, title: str = "What if: baseline vs variant") -> Figure:
    """Paired bars: each outcome under the baseline and under the what-if variant."""
    rows = whatif_rows(whatif)
    if not rows:
        return _empty("no comparisons in this result")
    fig = Figure(figsize=(8.5, 0.9 + 0.42 * len(rows)))
    ax = fig.add_subplot()
    ys = range(len(rows))
    ax.barh(
        [y + 0.2 for y in ys],
        [r["baseline"] for r in rows],
        height=0.38,
        color="#9aa",
        label="baseline",
    )
    ax.barh(
        [y - 0.2 for y in ys],
        [r["variant"] for r in rows],
        height=0.38,
        color=PALETTE[0],
        label="what if",
    )
    ax.set_yticks(list(ys), [_short_label(r["label"], 36) for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_title(_t(title), loc="left", fontsize=10, fontweight="bold")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.grid(axis="x", color="#eee")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def sweep_rows(sweep: Any) -> list[dict[str, Any]]:
    """A one-lever sweep's rows as [{x, issue, y}] (the lever's value, the issue, the median);
    empty for a two-lever sweep or a result without rows."""
    data = _as_dict(sweep)
    levers = data.get("levers") or []
    rows = data.get("rows") or []
    if len(levers) != 1 or not rows:
        return []
    key = levers[0].get("target") if isinstance(levers[0], Mapping) else None
    out = []
    for r in rows:
        xk = key if key in r else next((k for k in r if k not in ("issue", "median")), None)
        if xk is None or r.get("median") is None:
            continue
        out.append({"x": _num(r[xk]), "issue": str(r.get("issue", "")), "y": _num(r["median"])})
    return out


def sweep_figure(sweep: Any) -> Figure:
    """A one-lever sweep: each issue's forecast (median over draws) against the lever."""
    rows = sweep_rows(sweep)
    if not rows:
        return _empty("no one-lever sweep in this result")
    data = _as_dict(sweep)
    lever = data["levers"][0]
    fig = Figure(figsize=(8.5, 3.2))
    ax = fig.add_subplot()
    issues = list(dict.fromkeys(r["issue"] for r in rows))
    for n, issue in enumerate(issues):
        pts = sorted((r["x"], r["y"]) for r in rows if r["issue"] == issue)
        ax.plot(
            [p[0] for p in pts],
            [p[1] for p in pts],
            marker="o",
            ms=3,
            color=PALETTE[n % len(PALETTE)],
            label=_short_label(issue, 20),
        )
    ax.set_xlabel(_t(str(lever.get("target", "lever"))), fontsize=8)
    ax.set_ylabel("forecast (median)", fontsize=8)
    ax.set_title("Sweep: the forecast against the lever", loc="left", fontsize=10)
    ax.grid(color="#eee")
    ax.legend(fontsize=7, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def benchmark_rows(result: Any) -> list[dict[str, Any]]:
    """A DEU benchmark's leaderboard (``BenchmarkResult.to_dict()`` or a stored ``backtest deu``
    run) as [{model, n, mae, rmse, crps, coverage_50, coverage_90, diff, low, high}], best MAE
    first; empty for a result without per-model differences from compromise."""
    data = _as_dict(result)
    models = data.get("models")
    if not isinstance(models, Mapping):
        return []
    rows = []
    for name, e in models.items():
        if not isinstance(e, Mapping) or not isinstance(e.get("diff_vs_compromise"), Mapping):
            continue
        d = e["diff_vs_compromise"]
        rows.append(
            {
                "model": str(name),
                **{k: e.get(k) for k in ("n", "mae", "rmse", "crps", "coverage_50", "coverage_90")},
                "diff": d.get("mae"),
                "low": d.get("low"),
                "high": d.get("high"),
            }
        )
    rows.sort(key=lambda r: math.inf if r["mae"] is None else float(r["mae"]))
    return rows


def benchmark_figure(result: Any) -> Figure:
    """The DEU benchmark: each model's errors (MAE and RMSE, points of the 0-100 scale) and its
    MAE difference from the compromise model with the 95% bootstrap interval clustered by
    proposal (green: the interval lies below zero, red: above, grey: it straddles zero)."""
    rows = [r for r in benchmark_rows(result) if r["mae"] is not None]
    if not rows:
        return _empty("no leaderboard in this result")
    data = _as_dict(result)
    rows = rows[::-1]  # best at the top
    fig = Figure(figsize=(9.5, 0.9 + 0.36 * len(rows)))
    ax_err, ax_diff = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [1, 1.3]})
    ys = list(range(len(rows)))
    ax_err.scatter([r["mae"] for r in rows], ys, color=PALETTE[0], label="MAE", zorder=3)
    rmse = [(y, r["rmse"]) for y, r in zip(ys, rows, strict=True) if r["rmse"] is not None]
    ax_err.scatter(
        [v for _, v in rmse], [y for y, _ in rmse], color=PALETTE[4], marker="s", s=18, label="RMSE"
    )
    ax_err.set_yticks(ys, [_short_label(r["model"], 24) for r in rows], fontsize=8)
    ax_err.set_xlabel("error (points of the 0-100 scale)", fontsize=8)
    ax_err.set_title("Errors per model", loc="left", fontsize=10, fontweight="bold")
    ax_err.legend(fontsize=7, frameon=True, loc="best")
    for y, r in zip(ys, rows, strict=True):
        d = r["diff"]
        if d is None:
            continue
        lo = d if r["low"] is None else r["low"]
        hi = d if r["high"] is None else r["high"]
        colour = "#2ca02c" if hi < 0 else ("#d62728" if lo > 0 else "#7f7f7f")
        ax_diff.errorbar(
            d, y, xerr=[[d - lo], [hi - d]], fmt="o", ms=4, color=colour, capsize=3, lw=1.2
        )
    ax_diff.axvline(0.0, color="black", lw=0.8)
    ax_diff.set_xlabel(
        "MAE minus compromise's MAE, 95% interval (clustered by proposal)", fontsize=8
    )
    ax_diff.set_title("Difference from compromise", loc="left", fontsize=10, fontweight="bold")
    for ax in (ax_err, ax_diff):
        ax.grid(axis="x", color="#eee")
        ax.tick_params(labelsize=8)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    n = data.get("n_issues")
    if n:
        fig.suptitle(
            _t(
                f"DEU benchmark: {n} issues, {data.get('n_proposals')} proposals, "
                f"{data.get('mode')}"
            ),
            fontsize=9,
            x=0.01,
            ha="left",
        )
    fig.tight_layout()
    return fig


def discovery_figure(result: Any) -> Figure:
    """A scenario-discovery result (``DiscoveryResult.to_dict()``): the PRIM peeling trajectory
    (density against coverage, coloured by the number of inputs bounding the box), the first
    box circled, the base rate dashed (Bryant & Lempert 2010)."""
    data = _as_dict(result)
    traj = [s for s in data.get("trajectory") or [] if isinstance(s, Mapping)]
    if not traj:
        return _empty("no peeling trajectory in this result")
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.add_subplot()
    cov = [_num(s.get("coverage")) for s in traj]
    den = [_num(s.get("density")) for s in traj]
    res = [_num(s.get("restricted")) for s in traj]
    ax.plot(cov, den, color="grey", lw=0.8)
    pts = ax.scatter(cov, den, c=res, cmap="viridis", s=18, zorder=3)
    fig.colorbar(pts, ax=ax, label="inputs bounding the box")
    boxes = [b for b in data.get("prim") or [] if isinstance(b, Mapping)]
    if boxes:
        ax.scatter(
            [_num(boxes[0].get("coverage"))],
            [_num(boxes[0].get("density"))],
            s=120,
            facecolors="none",
            edgecolors="red",
            zorder=4,
            label="box 1",
        )
    if data.get("base_rate") is not None:
        ax.axhline(_num(data["base_rate"]), color=PALETTE[4], lw=0.8, ls="--", label="base rate")
    ax.set_xlabel("coverage", fontsize=8)
    ax.set_ylabel("density", fontsize=8)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7, frameon=False, loc="lower left")
    ax.set_title(_t(f"PRIM peeling trajectory: {data.get('target', '')}"), loc="left", fontsize=10)
    fig.tight_layout()
    return fig


def power_figure(power: Any, capability: Mapping[str, float] | None = None) -> Figure:
    """Voting power (``PowerResult.to_dict()``): Shapley-Shubik and normalised Banzhaf index per
    voter, largest first, beside each voter's share of capability when it is a scenario actor."""
    data = _as_dict(power)
    voters = data.get("voters") or {}
    if not isinstance(voters, Mapping) or not voters:
        return _empty("no voters in this result")
    names = sorted(voters, key=lambda v: -_num(voters[v].get("shapley_shubik")))
    cap = dict(capability or {})
    total = sum(v for v in cap.values() if v is not None) or 1.0
    fig = Figure(figsize=(max(6.0, 0.4 * len(names) + 2.5), 3.6))
    ax = fig.add_subplot()
    x = list(range(len(names)))
    w = 0.27 if cap else 0.4
    ax.bar(
        [i - w for i in x] if cap else [i - w / 2 for i in x],
        [_num(voters[v].get("shapley_shubik")) for v in names],
        w,
        color=PALETTE[0],
        label="Shapley-Shubik",
    )
    ax.bar(
        x if cap else [i + w / 2 for i in x],
        [_num(voters[v].get("banzhaf")) for v in names],
        w,
        color=PALETTE[4],
        label="Banzhaf (normalised)",
    )
    if cap:
        ax.bar(
            [i + w for i in x],
            [cap[v] / total if cap.get(v) is not None else 0.0 for v in names],
            w,
            color="#9aa",
            label="share of capability",
        )
    ax.set_xticks(x, [_short_label(str(v), 12) for v in names], rotation=60, fontsize=8)
    ax.set_ylabel("share", fontsize=8)
    ax.set_title(_t(str(data.get("rule") or "voting power")), loc="left", fontsize=10)
    ax.legend(fontsize=7, frameon=False)
    ax.grid(axis="y", color="#eee")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def reliability_figure(score: Any) -> Figure:
    """A forecast ledger's reliability diagram (``LedgerScore.to_dict()``): observed frequency
    against mean forecast probability per tenth (labels: forecasts in the bin), the diagonal of
    perfect calibration and the base rate."""
    data = _as_dict(score)
    rel = [r for r in data.get("reliability") or [] if isinstance(r, Mapping) and r.get("n")]
    if not rel:
        return _empty("no resolved probability forecasts in this ledger")
    fig = Figure(figsize=(5.0, 4.6))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="perfect calibration")
    xs = [_num(r["mean_forecast"]) for r in rel]
    ys = [_num(r["observed"]) for r in rel]
    ax.plot(xs, ys, color=PALETTE[0], marker="o", label="forecasts")
    for r, x, y in zip(rel, xs, ys, strict=True):
        ax.annotate(str(r["n"]), (x, y), xytext=(4, 2), textcoords="offset points", fontsize=7)
    prob = (data.get("summary") or {}).get("probability") or {}
    if prob.get("base_rate") is not None:
        ax.axhline(
            _num(prob["base_rate"]),
            color=PALETTE[4],
            lw=1,
            label=f"base rate {_num(prob['base_rate']):.2f}",
        )
        ax.set_title(
            f"Reliability: Brier {_num(prob.get('brier')):.3f} "
            f"(baseline {_num(prob.get('baseline_brier')):.3f})",
            loc="left",
            fontsize=10,
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("forecast probability", fontsize=8)
    ax.set_ylabel("observed frequency", fontsize=8)
    ax.legend(fontsize=7, frameon=False, loc="upper left")
    fig.tight_layout()
    return fig
