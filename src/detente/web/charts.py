"""Interactive charts: Plotly figure specs (plain dicts) built from api results, drawn in the
browser by the plotly.js the app serves itself (hover values, zoom, PNG/SVG/CSV download).

Each function returns ``{"data": [...], "layout": {...}, "name": file name}``; nothing here
computes a model, it only lays out numbers the api returned.
"""

from __future__ import annotations

from typing import Any

PALETTE = [
    "#1f5fbf",
    "#d1495b",
    "#2e933c",
    "#edae49",
    "#7a4eab",
    "#00798c",
    "#8d6a9f",
    "#6b6b6b",
]


def _layout(title: str, xtitle: str = "", ytitle: str = "", **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 14}},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 80},
        "xaxis": {"title": {"text": xtitle}, "zeroline": False, "automargin": True},
        "yaxis": {"title": {"text": ytitle}, "zeroline": False, "automargin": True},
        # The legend sits at the figure's bottom edge, below the x axis title, never on it.
        "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0},
        "hovermode": "closest",
        "autosize": True,
        "height": 360,
    }
    layout.update(extra)
    return layout


def issue_forecasts(result: dict[str, Any], issue: dict[str, Any]) -> dict[str, Any]:
    """One issue: each model's forecast (and Monte Carlo median with 50%/90% intervals), and the
    actors' stated positions, on the issue's scale."""
    mc = result.get("uncertainty") or {}
    rows = [r for r in result["forecasts"] if r["issue"] == issue["id"]]
    models = [r["model"] for r in rows]
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "forecast",
            "x": [r["forecast"] for r in rows],
            "y": models,
            "marker": {"size": 11, "color": PALETTE[0], "symbol": "diamond"},
            "hovertemplate": "%{y}: %{x:.2f}<extra>forecast</extra>",
        }
    ]
    if mc:
        med, lo90, hi90, lo50, hi50, ys = [], [], [], [], [], []
        for m in models:
            s = (mc.get(m) or {}).get("issues", {}).get(issue["id"])
            if not s:
                continue
            ys.append(m)
            med.append(s["median"])
            lo90.append(s["median"] - s["interval_90"][0])
            hi90.append(s["interval_90"][1] - s["median"])
            lo50.append(s["median"] - s["interval_50"][0])
            hi50.append(s["interval_50"][1] - s["median"])
        if ys:
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": "MC median, 90% interval",
                    "x": med,
                    "y": ys,
                    "marker": {"size": 8, "color": PALETTE[1]},
                    "error_x": {
                        "type": "data",
                        "symmetric": False,
                        "array": hi90,
                        "arrayminus": lo90,
                        "thickness": 1.5,
                        "width": 6,
                    },
                    "hovertemplate": "%{y}: median %{x:.2f}<extra>Monte Carlo</extra>",
                }
            )
    lo, hi = issue.get("low", 0), issue.get("high", 100)
    layout = _layout(
        issue.get("name") or issue["id"],
        f"{lo:g} = {issue.get('low_label') or ''}  …  {hi:g} = {issue.get('high_label') or ''}",
        height=max(250, 120 + 34 * len(models)),
    )
    layout["xaxis"]["range"] = [lo - 0.03 * (hi - lo), hi + 0.03 * (hi - lo)]
    if issue.get("reference") is not None:
        layout["shapes"] = [
            {
                "type": "line",
                "x0": issue["reference"],
                "x1": issue["reference"],
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"dash": "dot", "color": "#888"},
            }
        ]
    return {"data": data, "layout": layout, "name": f"forecast-{issue['id']}"}


def trajectory(result: dict[str, Any], model: str, issue: str) -> dict[str, Any]:
    """A dynamic model's positions per actor over rounds, on one issue."""
    traj = (result["models"][model].get("trajectory") or {}).get(issue) or {}
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": actor,
            "x": list(range(len(values))),
            "y": values,
            "line": {"color": PALETTE[i % len(PALETTE)]},
            "hovertemplate": f"{actor}: %{{y:.2f}} (round %{{x}})<extra></extra>",
        }
        for i, (actor, values) in enumerate(traj.items())
    ]
    layout = _layout(f"{model}: positions on {issue} over rounds", "round", "position")
    layout["xaxis"]["dtick"] = max(1, len(next(iter(traj.values()), [])) // 10)
    return {"data": data, "layout": layout, "name": f"trajectory-{model}-{issue}"}


def talks_curves(talks: dict[str, Any]) -> dict[str, Any]:
    """P(talks by month) per policy mix, each with its 90% Monte Carlo band."""
    months = talks["months"]
    data: list[dict[str, Any]] = []
    for i, pol in enumerate(talks["policies"]):
        color = PALETTE[i % len(PALETTE)]
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": months + months[::-1],
                "y": pol["high"] + pol["low"][::-1],
                "fill": "toself",
                "fillcolor": color,
                "opacity": 0.15,
                "line": {"width": 0},
                "hoverinfo": "skip",
                "showlegend": False,
                "name": f"{pol['name']} band",
                "legendgroup": pol["name"],
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": pol["name"],
                "x": months,
                "y": pol["p_talks"],
                "line": {"color": color, "width": 2},
                "legendgroup": pol["name"],
                "hovertemplate": f"{pol['name']}: %{{y:.3f}} by month %{{x}}<extra></extra>",
            }
        )
    layout = _layout("P(talks by month) per policy mix", "month", "P(talks started)")
    layout["yaxis"]["range"] = [0, 1.02]
    layout["height"] = 400
    return {"data": data, "layout": layout, "name": "talks-by-month"}


def outcome_shares(talks: dict[str, Any]) -> dict[str, Any]:
    """How the paths end by the horizon, per policy mix (stacked shares)."""
    names = [p["name"] for p in talks["policies"]]
    kinds = ["settlement", "attacker won", "defender won", "faded", "still at war"]
    colors = [PALETTE[2], PALETTE[1], PALETTE[0], PALETTE[3], "#b9bec7"]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": k,
            "y": names,
            "x": [p["shares"][k] for p in talks["policies"]],
            "marker": {"color": c},
            "hovertemplate": f"%{{y}}: {k} %{{x:.1%}}<extra></extra>",
        }
        for k, c in zip(kinds, colors, strict=True)
    ]
    layout = _layout(
        f"How the war ends within {len(talks['months'])} months",
        "share of paths",
        "",
        barmode="stack",
    )
    layout["xaxis"]["tickformat"] = ".0%"
    layout["height"] = max(260, 130 + 36 * len(names))
    return {"data": data, "layout": layout, "name": "outcome-shares"}


def terms(talks: dict[str, Any]) -> dict[str, Any]:
    """The attacker's share of the contested territory in the terms, per policy mix."""
    data = [
        {
            "type": "box",
            "name": p["name"],
            "x": p["terms"],
            "orientation": "h",
            "boxpoints": False,
            "marker": {"color": PALETTE[i % len(PALETTE)]},
        }
        for i, p in enumerate(talks["policies"])
        if p["terms"]
    ]
    layout = _layout("Terms at settlement: the attacker's share", "attacker's share", "")
    layout["showlegend"] = False
    layout["height"] = max(240, 80 + 36 * len(data))
    return {"data": data, "layout": layout, "name": "terms"}


def claims(result: dict[str, Any]) -> dict[str, Any]:
    """Share of parameter draws in which each claim holds."""
    rows = result["claims"]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "y": [r["id"] for r in rows],
            "x": [r["share"] for r in rows],
            "name": "share of draws",
            "marker": {"color": [PALETTE[2] if r["share"] >= 0.5 else PALETTE[1] for r in rows]},
            "hovertemplate": "%{y}: holds in %{x:.1%} of draws<extra></extra>",
        }
    ]
    layout = _layout("Claims: share of draws in which each holds", "share of draws", "")
    layout["xaxis"]["range"] = [0, 1]
    layout["xaxis"]["tickformat"] = ".0%"
    layout["height"] = max(240, 80 + 32 * len(rows))
    return {"data": data, "layout": layout, "name": "claims"}


def sensitivity(result: dict[str, Any], output: str, top: int = 15) -> dict[str, Any]:
    """Sobol' S1/ST (or Morris mu*/sigma) of the inputs that matter most for one output."""
    rows = (result["outputs"][output]["indices"] or [])[:top][::-1]
    names = [r["name"] for r in rows]
    if result["method"] == "sobol":
        keys: list[tuple[str, str | None, str]] = [
            ("ST", "ST_conf", "total (ST)"),
            ("S1", "S1_conf", "first order (S1)"),
        ]
    else:
        keys = [("mu_star", "mu_star_conf", "mu*"), ("sigma", None, "sigma")]
    data = []
    for i, (k, conf, label) in enumerate(keys):
        trace: dict[str, Any] = {
            "type": "bar",
            "orientation": "h",
            "name": label,
            "y": names,
            "x": [r.get(k) for r in rows],
            "marker": {"color": PALETTE[i]},
            "hovertemplate": f"%{{y}}: {label} %{{x:.3f}}<extra></extra>",
        }
        if conf:
            trace["error_x"] = {"type": "data", "array": [r.get(conf) or 0 for r in rows]}
        data.append(trace)
    layout = _layout(f"Sensitivity of {output}", "index", "", barmode="group")
    layout["height"] = max(260, 80 + 30 * len(rows))
    return {"data": data, "layout": layout, "name": f"sensitivity-{output}"}


def whatif(result: dict[str, Any]) -> dict[str, Any]:
    """Base vs what-if forecast per model and issue."""
    rows = [r for r in result["rows"] if "base" in r and "issue" in r]
    labels = [f"{r['model']} · {r['issue']}" for r in rows]
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "base",
            "y": labels,
            "x": [r["base"] for r in rows],
            "marker": {"size": 10, "color": PALETTE[7]},
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "what-if",
            "y": labels,
            "x": [r["whatif"] for r in rows],
            "marker": {"size": 10, "color": PALETTE[1], "symbol": "diamond"},
        },
    ]
    layout = _layout("What if: base vs intervened forecast", "forecast", "")
    layout["height"] = max(260, 130 + 30 * len(rows))
    return {"data": data, "layout": layout, "name": "whatif"}


def sweep(result: dict[str, Any]) -> dict[str, Any]:
    """Median forecast along a one-lever sweep (with its 90% band), or a heat map for two."""
    levers = result["levers"]
    rows = result["rows"]
    issues = list(dict.fromkeys(r["issue"] for r in rows))
    data: list[dict[str, Any]] = []
    if len(levers) == 1:
        x_key = levers[0]
        for i, issue in enumerate(issues):
            sub = [r for r in rows if r["issue"] == issue]
            xs = [r[x_key] for r in sub]
            color = PALETTE[i % len(PALETTE)]
            if sub and "p05" in sub[0]:
                data.append(
                    {
                        "type": "scatter",
                        "mode": "lines",
                        "x": xs + xs[::-1],
                        "y": [r["p95"] for r in sub] + [r["p05"] for r in sub][::-1],
                        "fill": "toself",
                        "fillcolor": color,
                        "opacity": 0.15,
                        "line": {"width": 0},
                        "hoverinfo": "skip",
                        "showlegend": False,
                        "name": f"{issue} 90%",
                    }
                )
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": issue,
                    "x": xs,
                    "y": [r["median"] for r in sub],
                    "line": {"color": color},
                }
            )
        layout = _layout(f"Sweep of {x_key} ({result['model']})", x_key, "median forecast")
    else:
        xk, yk = levers
        issue = issues[0]
        sub = [r for r in rows if r["issue"] == issue]
        xs = sorted({r[xk] for r in sub})
        ys = sorted({r[yk] for r in sub})
        z = [
            [next((r["median"] for r in sub if r[xk] == x and r[yk] == y), None) for x in xs]
            for y in ys
        ]
        data.append(
            {"type": "heatmap", "x": xs, "y": ys, "z": z, "colorscale": "Viridis", "name": issue}
        )
        layout = _layout(f"Sweep: median forecast on {issue}", xk, yk)
    return {"data": data, "layout": layout, "name": "sweep"}


def backtest(result: dict[str, Any]) -> dict[str, Any]:
    """Mean absolute error per model (share of the scale) on the backtest cases."""
    board = result.get("leaderboard") or []
    data = [
        {
            "type": "bar",
            "x": [r["model"] for r in board],
            "y": [r.get("mae") for r in board],
            "name": "MAE",
            "marker": {"color": PALETTE[0]},
            "hovertemplate": "%{x}: MAE %{y:.3f}<extra></extra>",
        }
    ]
    layout = _layout("Backtest: mean absolute error per model", "model", "MAE")
    return {"data": data, "layout": layout, "name": "backtest-mae"}


def run_chart(result: Any) -> dict[str, Any] | None:
    """The chart that best shows a stored run's result, when one does."""
    if not isinstance(result, dict):
        return None
    if isinstance(result.get("forecasts"), list) and result.get("issues"):
        return issue_forecasts(result, result["issues"][0])
    if isinstance(result.get("policies"), list) and result.get("months"):
        return talks_curves(result)
    if isinstance(result.get("claims"), list):
        return claims(result)
    if isinstance(result.get("outputs"), dict) and result.get("method"):
        return sensitivity(result, next(iter(result["outputs"])))
    if isinstance(result.get("leaderboard"), list):
        return backtest(result)
    if isinstance(result.get("rows"), list) and result.get("levers"):
        return sweep(result)
    if isinstance(result.get("rows"), list):
        return whatif(result)
    return None


def add_war_terms(fig: dict[str, Any], terms: dict[str, Any]) -> dict[str, Any]:
    """The war model's terms drawn onto an issue's forecast chart: where talks settle (median,
    10-90%) and the range both belligerents would accept now (shaded; red when none exists)."""
    fig = {**fig, "data": list(fig["data"]), "layout": dict(fig["layout"])}
    shapes = list(fig["layout"].get("shapes") or [])
    acc = terms.get("acceptable")
    if acc:
        lo, hi = sorted((acc["low"], acc["high"]))
        ok = acc["range_exists"]
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": lo,
                "x1": hi,
                "y0": 0,
                "y1": 1,
                "fillcolor": "#2e933c" if ok else "#d1495b",
                "opacity": 0.15,
                "line": {"width": 0},
            }
        )
    fig["layout"]["shapes"] = shapes
    t = terms.get("terms")
    if t:
        fig["data"].append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "war model: settlement terms",
                "x": [t["median"]],
                "y": ["war terms"],
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [t["p90"] - t["median"]],
                    "arrayminus": [t["median"] - t["p10"]],
                },
                "marker": {"size": 11, "color": PALETTE[1], "symbol": "star"},
                "hovertemplate": "war terms: %{x:.1f}<extra></extra>",
            }
        )
    return fig


def power(vp: dict[str, Any]) -> dict[str, Any]:
    """Shapley-Shubik and Banzhaf indices per voter, beside capability as a share of the voters'
    total capability."""
    rows = vp["table"]
    voters = [r["voter"] for r in rows]
    caps = [r["capability"] for r in rows]
    total = sum(c for c in caps if c) or 1.0
    data = [
        {
            "type": "bar",
            "name": "Shapley-Shubik",
            "x": voters,
            "y": [r["shapley_shubik"] for r in rows],
            "marker": {"color": PALETTE[0]},
        },
        {
            "type": "bar",
            "name": "Banzhaf",
            "x": voters,
            "y": [r["banzhaf"] for r in rows],
            "marker": {"color": PALETTE[2]},
        },
        {
            "type": "bar",
            "name": "capability share",
            "x": voters,
            "y": [None if c is None else c / total for c in caps],
            "marker": {"color": PALETTE[7]},
        },
    ]
    layout = _layout(f"Voting power: {vp['name']}", "voter", "share", barmode="group")
    return {"data": data, "layout": layout, "name": "voting-power"}


def deu_benchmark(result: dict[str, Any]) -> dict[str, Any]:
    """Each model's mean absolute error minus the compromise model's on the DEU issues, with its
    proposal-clustered bootstrap interval (below zero: better than compromise)."""
    rows = [
        (name, m["diff_vs_compromise"])
        for name, m in result["models"].items()
        if m.get("diff_vs_compromise")
        and None
        not in (
            m["diff_vs_compromise"].get("mae"),
            m["diff_vs_compromise"].get("low"),
            m["diff_vs_compromise"].get("high"),
        )
    ]
    data = [
        {
            "type": "scatter",
            "mode": "markers",
            "name": "MAE difference vs compromise",
            "x": [d["mae"] for _, d in rows],
            "y": [n for n, _ in rows],
            "error_x": {
                "type": "data",
                "symmetric": False,
                "array": [d["high"] - d["mae"] for _, d in rows],
                "arrayminus": [d["mae"] - d["low"] for _, d in rows],
            },
            "marker": {"size": 10, "color": PALETTE[0]},
            "hovertemplate": "%{y}: %{x:.2f}<extra></extra>",
        }
    ]
    layout = _layout(
        "DEU benchmark: MAE difference from the compromise model (95% interval)",
        f"difference in MAE ({result.get('units', 'points')})",
        "",
        shapes=[
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": 0,
                "x1": 0,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#6b6b6b", "dash": "dot"},
            }
        ],
        height=max(300, 28 * len(rows) + 120),
    )
    return {"data": data, "layout": layout, "name": "deu-benchmark"}


def peeling(result: dict[str, Any]) -> dict[str, Any]:
    """PRIM's peeling trajectory: coverage against density of each box it passed through."""
    traj = result.get("trajectory") or []
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "peeling trajectory",
            "x": [s["coverage"] for s in traj],
            "y": [s["density"] for s in traj],
            "text": [f"{s['restricted']} inputs restricted, mass {s['mass']:.2f}" for s in traj],
            "marker": {"color": [s["restricted"] for s in traj], "colorscale": "Viridis"},
            "hovertemplate": "coverage %{x:.2f}, density %{y:.2f}<br>%{text}<extra></extra>",
        }
    ]
    layout = _layout(f"PRIM peeling: {result['target']}", "coverage", "density")
    return {"data": data, "layout": layout, "name": "discovery-peeling"}


def reliability(score: dict[str, Any]) -> dict[str, Any]:
    """The ledger's reliability diagram: observed frequency against mean forecast probability
    per tenth (marker size: number of forecasts), and the diagonal of perfect calibration."""
    bins = [b for b in score.get("reliability") or [] if b["n"]]
    data = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "perfect calibration",
            "x": [0, 1],
            "y": [0, 1],
            "line": {"color": "#6b6b6b", "dash": "dot"},
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "ledger forecasts",
            "x": [b["mean_forecast"] for b in bins],
            "y": [b["observed"] for b in bins],
            "text": [f"n = {b['n']}" for b in bins],
            "marker": {"size": [8 + 2 * min(b["n"], 10) for b in bins], "color": PALETTE[0]},
            "hovertemplate": "forecast %{x:.2f}, observed %{y:.2f} (%{text})<extra></extra>",
        },
    ]
    layout = _layout(
        "Reliability of the ledger's probability forecasts",
        "mean forecast probability",
        "observed frequency",
    )
    layout["xaxis"]["range"] = [0, 1]
    layout["yaxis"]["range"] = [-0.02, 1.02]
    return {"data": data, "layout": layout, "name": "ledger-reliability"}
