"""``detente sensitivity``, ``whatif``, ``lever`` and ``sweep``; the Monte Carlo table of
``detente forecast --draws``."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from detente import api
from detente.cli.common import JsonOpt, ScenarioArg, console, parse_params, print_json
from detente.cli.store import record_cli_run, stored
from detente.cli.text import styled

ClusterOpt = typer.Option(
    None,
    "--cluster",
    help="Run chunks on Dask: 'local' (a cluster started here) or a scheduler "
    "address such as tcp://host:8786. Same seed, same numbers as in one process.",
)
ParamOpt = typer.Option(None, "--param", "-p", help="Model parameter, MODEL.NAME=VALUE.")
SeedOpt = typer.Option(0, "--seed", min=0, help="Seed of the random draws.")
ThresholdOpt = typer.Option(
    None, "--threshold", "-t", help="Report P(outcome past it): ISSUE<=VALUE (or <, >=, >)."
)


def print_uncertainty(result: api.Forecast) -> None:
    """One table: per model and issue, the Monte Carlo median and 50% / 90% intervals, and
    P(threshold) for each threshold given."""
    sc = result.scenario
    first = next(iter(result.uncertainty.values()))
    table = Table(
        title=f"Monte Carlo: {first.draws:,} draws over {len(first.uncertain)} uncertain inputs "
        f"(seed {first.seed})",
        title_justify="left",
    )
    for col in ("model", "issue", "median", "50% interval", "90% interval"):
        table.add_column(col, justify="left" if col in ("model", "issue") else "right")
    ths = list(first.thresholds)
    for t in ths:
        table.add_column(f"P({t})", justify="right")
    for name, mc in result.uncertainty.items():
        s = mc.summary()
        for row in s.itertuples():
            cells = [
                name,
                row.issue,
                f"{row.median:.1f}",
                f"{row.p25:.1f} - {row.p75:.1f}",
                f"{row.p05:.1f} - {row.p95:.1f}",
            ]
            for t in ths:
                cells.append(f"{mc.probability(t):.3f}" if t.issue == row.issue else "")
            table.add_row(*(str(c) for c in cells))
    table.caption = (
        f"{sc.meta.title}: inputs drawn from their stated sd (truncated normal) or low/high "
        "(uniform/triangular)"
    )
    console.print(table)


@stored
def sensitivity(
    scenario: str | None = ScenarioArg,
    model: str = typer.Option("compromise", "--model", "-m", help="Model, or 'war'."),
    method: str = typer.Option("sobol", "--method", help="sobol (S1, ST) or morris (mu*)."),
    issue: str | None = typer.Option(None, "--issue", help="Only this issue's forecast."),
    by: str = typer.Option(
        "input",
        "--by",
        help="One index per input, per actor (its inputs together) or per kind "
        "(position, salience, capability).",
    ),
    n: int | None = typer.Option(
        None, "--n", help="Base sample size (Sobol' N, Morris trajectories); default by model."
    ),
    seed: int = SeedOpt,
    top: int = typer.Option(12, "--top", min=1, help="Rows shown per output."),
    months: int = typer.Option(
        12, "--months", min=1, help="War: P(talks within this many months)."
    ),
    paths: int = typer.Option(256, "--paths", min=1, help="War: paths per parameter setting."),
    policy: str | None = typer.Option(
        None, "--policy", help="War: the policy mix (default status-quo)."
    ),
    param: list[str] | None = ParamOpt,
    cluster: str | None = ClusterOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Which actor's position, salience or capability drives each issue's forecast (Sobol' or
    Morris, with SALib), or which war parameters drive P(talks within T months)."""
    sc = api.load(scenario)
    params = parse_params(param).get(model, {})
    res = api.sensitivity(
        sc,
        model=model,
        method=method,
        issue=issue,
        by=by,
        n=n,
        seed=seed,
        params=params,
        months=months,
        paths=paths,
        policy=policy,
        cluster=cluster,
        progress=not as_json,
    )
    record_cli_run(
        "sensitivity",
        sc,
        res,
        seed=seed,
        models=[model],
        params={
            "method": method,
            "issue": issue,
            "by": by,
            "n": n,
            "months": months,
            "paths": paths,
            "policy": policy,
            "model_params": params,
        },
        announce=not as_json,
    )
    if as_json:
        print_json(res.to_dict())
        return
    for name, frame in res.outputs.items():
        table = Table(
            title=f"{name}: {res.method} indices ({res.model}, N={res.n}, "
            f"{res.evaluations:,} evaluations, seed {res.seed})",
            title_justify="left",
        )
        cols = (
            ["S1", "S1_conf", "ST", "ST_conf"]
            if res.method == "sobol"
            else ["mu_star", "mu_star_conf", "mu", "sigma"]
        )
        # Morris by group: mu and sigma are not defined (a group's inputs move in different
        # directions; Campolongo, Cariboni & Saltelli 2007), so SALib gives NaN: leave them out.
        undefined = [c for c in cols if c in frame and frame[c].isna().all()]
        cols = [c for c in cols if c not in undefined]
        table.add_column("input" if by == "input" or res.model == "war" else by)
        for c in cols:
            table.add_column(c.replace("_conf", " +-"), justify="right")
        for row in frame.head(top).itertuples():
            table.add_row(str(row.name), *[f"{getattr(row, c):.3f}" for c in cols])
        var = res.variance.get(name)
        what = "input" if by == "input" or res.model == "war" else f"{by}'s inputs together"
        if res.method == "sobol":
            table.caption = (
                f"S1: share of the variance ({var:.3g}) due to the {what} alone; ST: with all "
                "its interactions; +-: 95% bootstrap half-width"
            )
        else:
            table.caption = "mu*: mean |elementary effect| on the input's quantile scale"
            if undefined:
                table.caption += (
                    f"; {' and '.join(undefined)}: not defined when a group's inputs move "
                    "together (Campolongo et al. 2007), so not shown"
                )
        console.print(table)


@stored
def whatif(
    scenario: str | None = ScenarioArg,
    do: list[str] | None = typer.Option(
        None,
        "--do",
        help='An intervention, e.g. "shift USA.position.sanctions -20", '
        '"set CHN.salience.sanctions 0.2", "remove IND", "merge USA,EU as WEST"; repeatable. '
        "Default: the scenario's interventions: list.",
    ),
    model: list[str] | None = typer.Option(
        None, "--model", "-m", help="Model (repeatable); default: every model."
    ),
    draws: int = typer.Option(1, "--draws", "-n", min=1, help="Monte Carlo draws (1: central)."),
    seed: int = SeedOpt,
    threshold: list[str] | None = ThresholdOpt,
    param: list[str] | None = ParamOpt,
    cluster: str | None = ClusterOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Compare the forecasts before and after interventions, side by side."""
    sc = api.load(scenario)
    items = do or [i.describe() for i in sc.interventions]
    res = api.whatif(
        sc,
        interventions=items,
        model=model or None,
        draws=draws,
        seed=seed,
        params=parse_params(param),
        thresholds=threshold or (),
        cluster=cluster,
        progress=not as_json,
    )
    record_cli_run(
        "whatif",
        sc,
        res,
        seed=seed,
        models=list(res.models),
        params={
            "do": items,
            "draws": draws,
            "thresholds": threshold or [],
            "model_params": parse_params(param),
        },
        announce=not as_json,
    )
    if as_json:
        print_json(res.to_dict())
        return
    frame = res.to_frame()
    what = "median of " + f"{draws:,} draws" if draws > 1 else "central values"
    table = Table(
        title=f"What if: {'; '.join(i.describe() for i in res.applied.interventions)}",
        title_justify="left",
    )
    table.add_column("issue")
    table.add_column("model")
    table.add_column("base", justify="right")
    table.add_column("what-if", justify="right")
    table.add_column("change", justify="right")
    extra = [c for c in frame.columns if c.startswith("P(")]
    if draws > 1:
        table.add_column("base 90%", justify="right")
        table.add_column("what-if 90%", justify="right")
    for c in extra:
        table.add_column(c, justify="right")
    for row in frame.sort_values(["issue", "model"], kind="stable").to_dict(orient="records"):
        digits = 3 if row["model"] == "war" else 2  # war rows are probabilities and shares
        cells = [
            row["issue"],
            row["model"],
            f"{row['base']:.{digits}f}",
            f"{row['whatif']:.{digits}f}",
            _signed(row["change"], digits),
        ]
        if draws > 1:
            cells += [
                f"{row['base_p05']:.1f} - {row['base_p95']:.1f}",
                f"{row['whatif_p05']:.1f} - {row['whatif_p95']:.1f}",
            ]
        cells += ["" if _nan(row.get(c)) else f"{row[c]:.3f}" for c in extra]
        table.add_row(*cells)
    table.caption = f"forecasts: {what}" + (f", seed {res.seed}" if res.seed is not None else "")
    if res.applied.policies:
        table.caption += "; war policies (for the war model): " + ", ".join(
            p.describe() for p in res.applied.policies
        )
    console.print(table)


@stored
def lever(
    scenario: str | None = ScenarioArg,
    actor: str = typer.Option(..., "--actor", "-a", help="The actor who pulls the lever."),
    target: str = typer.Option(..., "--target", help="The goal, ISSUE<=VALUE (or <, >=, >)."),
    model: str = typer.Option("compromise", "--model", "-m", help="Model."),
    prob: float = typer.Option(0.5, "--prob", help="Probability the goal must reach."),
    draws: int = typer.Option(1000, "--draws", "-n", min=1, help="Monte Carlo draws."),
    seed: int = SeedOpt,
    grid: int = typer.Option(21, "--grid", min=3, help="Grid points per search stage."),
    param: list[str] | None = ParamOpt,
    cluster: str | None = ClusterOpt,
    as_json: bool = JsonOpt,
) -> None:
    """The smallest change an actor can make to its own position, salience or capability that
    reaches a target outcome with a stated probability."""
    sc = api.load(scenario)
    res = api.lever(
        sc,
        actor=actor,
        target=target,
        model=model,
        probability=prob,
        draws=draws,
        seed=seed,
        params=parse_params(param).get(model, {}),
        grid=grid,
        cluster=cluster,
        progress=not as_json,
    )
    record_cli_run(
        "lever",
        sc,
        res,
        seed=seed,
        models=[model],
        params={
            "actor": actor,
            "target": target,
            "probability": prob,
            "draws": draws,
            "grid": grid,
        },
        announce=not as_json,
    )
    if as_json:
        print_json(res.to_dict())
        return
    head = (
        f"{actor}: smallest lever for P({res.target}) >= {prob:g} under {model} "
        f"({res.draws:,} draws; now P = {res.base_probability:.3f})"
    )
    if res.best is None:
        console.print(
            styled(
                "[bold]{}[/bold]\nNo single change of {}'s own position, salience "
                "or capability reaches the target.",
                head,
                actor,
            )
        )
        return
    table = Table(title=head, title_justify="left")
    for col in ("lever", "change", "cost", "P reached"):
        table.add_column(col, justify="left" if col == "lever" else "right")
    for i, row in enumerate(res.candidates):
        style = "bold" if i == 0 else None
        change = "" if row["target"] is None else f"{_signed(row['change'])} {_unit(row['kind'])}"
        table.add_row(
            row["intervention"],
            change,
            f"{row['cost']:.3f}",
            f"{row['probability']:.3f}",
            style=style,
        )
    table.caption = (
        "cost: a position's change as a share of its scale, a salience's in salience "
        "units, a capability's as a share of all actors' capability"
    )
    console.print(table)


@stored
def sweep(
    scenario: str | None = ScenarioArg,
    lever_: list[str] = typer.Option(
        ...,
        "--lever",
        "-l",
        help="[set|shift|scale] TARGET=START:STOP:NUM or TARGET=V1,V2,... (one or two).",
    ),
    model: str = typer.Option("compromise", "--model", "-m", help="Model."),
    issue: str | None = typer.Option(None, "--issue", help="Issue shown (default: the first)."),
    draws: int = typer.Option(1, "--draws", "-n", min=1, help="Monte Carlo draws per point."),
    seed: int = SeedOpt,
    threshold: list[str] | None = ThresholdOpt,
    param: list[str] | None = ParamOpt,
    cluster: str | None = ClusterOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Forecast over a grid of one or two levers."""
    import numpy as np

    sc = api.load(scenario)
    res = api.sweep(
        sc,
        levers=lever_,
        model=model,
        draws=draws,
        seed=seed,
        params=parse_params(param).get(model, {}),
        thresholds=threshold or (),
        cluster=cluster,
        progress=not as_json,
    )
    out = res.to_dict()
    record_cli_run(
        "sweep",
        sc,
        out,
        seed=seed,
        models=[model],
        params={"levers": lever_, "draws": draws, "thresholds": list(threshold or [])},
        announce=not as_json,
    )
    if as_json:
        print_json(out)
        return
    iid = issue or sc.issue_ids[0]
    if iid not in sc.issue_ids:
        raise api.DetenteError(f"no issue {iid!r}; the issues are: {', '.join(sc.issue_ids)}")
    k = sc.issue_ids.index(iid)
    stat = "median forecast" if res.draws > 1 else "forecast"
    a1 = res.axes[0]
    if len(res.axes) == 1:
        table = Table(
            title=f"{iid}: {stat} ({model}) as {a1.op} {a1.target} varies", title_justify="left"
        )
        table.add_column(a1.target, justify="right")
        for other in sc.issue_ids:
            table.add_column(other + (" *" if other == iid else ""), justify="right")
        ths = [t for t in res.thresholds]
        for t in ths:
            table.add_column(f"P({t})", justify="right")
        for i, v in enumerate(a1.values):
            f = res.forecasts[i]
            cells = [f"{v:g}", *[f"{np.median(f[:, j]):.2f}" for j in range(f.shape[1])]]
            for t in ths:
                cells.append(f"{np.mean(t.test(f[:, sc.issue_ids.index(t.issue)])):.3f}")
            table.add_row(*cells)
    else:
        a2 = res.axes[1]
        table = Table(
            title=f"{iid}: {stat} ({model}); rows {a1.op} {a1.target}, columns {a2.op} {a2.target}",
            title_justify="left",
        )
        table.add_column(f"{a1.target} \\ {a2.target}", justify="right")
        for v2 in a2.values:
            table.add_column(f"{v2:g}", justify="right")
        for i, v1 in enumerate(a1.values):
            table.add_row(
                f"{v1:g}",
                *[f"{np.median(res.forecasts[i, j, :, k]):.2f}" for j in range(len(a2.values))],
            )
    if res.seed is not None:
        table.caption = f"{res.draws:,} draws per point, the same at every point (seed {res.seed})"
    console.print(table)
    if len(res.axes) == 2:
        # Two levers: one grid of P(threshold) per threshold (a one-lever table has columns).
        a2 = res.axes[1]
        for t in res.thresholds:
            j = sc.issue_ids.index(t.issue)
            grid = Table(
                title=f"P({t}) ({model}); rows {a1.op} {a1.target}, columns {a2.op} {a2.target}",
                title_justify="left",
            )
            grid.add_column(f"{a1.target} \\ {a2.target}", justify="right")
            for v2 in a2.values:
                grid.add_column(f"{v2:g}", justify="right")
            for i, v1 in enumerate(a1.values):
                grid.add_row(
                    f"{v1:g}",
                    *[
                        f"{np.mean(t.test(res.forecasts[i, m, :, j])):.3f}"
                        for m in range(len(a2.values))
                    ],
                )
            console.print(grid)


def _signed(x: float, digits: int = 2) -> str:
    if x != x:
        return ""
    return f"{x:+.{digits}f}" if abs(x) >= 0.5 * 10**-digits else f"{0:.{digits}f}"


def _nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and x != x)


def _unit(kind: str | None) -> str:
    return {
        "position": "(scale units)",
        "salience": "(salience)",
        "capability": "(capability)",
    }.get(kind or "", "")


def register(app: typer.Typer) -> None:
    app.command("sensitivity")(sensitivity)
    app.command("whatif")(whatif)
    app.command("lever")(lever)
    app.command("sweep")(sweep)
