"""``detente forecast``: each model's forecast per issue, side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from detente import api
from detente.cli.common import JsonOpt, ScenarioArg, console, parse_params, print_json
from detente.cli.store import record_cli_run, stored
from detente.cli.text import styled

if TYPE_CHECKING:
    import numpy as np


@stored
def forecast(
    scenario: str | None = ScenarioArg,
    model: list[str] | None = typer.Option(
        None, "--model", "-m", help="Model name (repeat for several); default: every model."
    ),
    param: list[str] | None = typer.Option(
        None, "--param", "-p", help="Model parameter, MODEL.NAME=VALUE (repeatable)."
    ),
    draws: int | None = typer.Option(
        None,
        "--draws",
        "-n",
        min=1,
        help="Monte Carlo draws over the scenario's stated uncertainties (e.g. 10000).",
    ),
    seed: int | None = typer.Option(
        None, "--seed", min=0, help="Seed of the Monte Carlo draws (default: fresh, reported)."
    ),
    threshold: list[str] | None = typer.Option(
        None,
        "--threshold",
        "-t",
        help="With --draws: report P(outcome past it), ISSUE<=VALUE (or <, >=, >); repeatable.",
    ),
    cluster: str | None = typer.Option(
        None, "--cluster", help="Run Monte Carlo chunks on Dask: 'local' or a scheduler address."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Forecast the negotiated outcome of each issue with the field's bargaining models."""
    sc = api.load(scenario)
    params = parse_params(param)
    if draws is None and (threshold or cluster or seed is not None):
        raise api.DetenteError("--seed, --threshold and --cluster need --draws N (Monte Carlo)")
    result = api.forecast(
        sc,
        model=model or None,
        params=params,
        draws=draws,
        seed=seed,
        thresholds=threshold or (),
        cluster=cluster,
        progress=not as_json,
    )
    payload = result.to_dict()
    if as_json:
        if sc.voting is not None:  # power indices beside capability
            payload["voting_power"] = api.power.voting_power(sc).to_dict()
        print_json(payload)
    else:
        print_forecast(result)
        from detente.cli.power_cmd import print_power

        print_power(sc)
        if result.uncertainty:
            from detente.cli.analysis_cmd import print_uncertainty

            print_uncertainty(result)
    mc_seed = next(iter(result.uncertainty.values())).seed if result.uncertainty else None
    record_cli_run(
        "forecast",
        sc,
        payload,
        params=params,
        models=list(result.results),
        seed=mc_seed,
        announce=not as_json,
    )


def print_forecast(result: api.Forecast) -> None:
    """Rich tables: one per issue, a row per model; then dynamic models' trajectories."""
    sc = result.scenario
    console.print(
        styled(
            "[bold]{}[/bold]  ({} actors, {} issues)", sc.meta.title, len(sc.actors), len(sc.issues)
        )
    )
    # The war model's settlement terms on the territory issue (None without a war section)
    terms = None
    if sc.war is not None:
        try:
            terms = api.war_terms(sc, draws=40, paths_per_draw=25)
        except api.MissingExtra as exc:  # the lean core: forecasts without the war model
            console.print(f"(the war model's terms are left out: {exc})")
    for k, issue in enumerate(sc.issues):
        s = issue.scale
        table = Table(
            title=f"{issue.name}: {s.low:g} = {s.low_label} ... {s.high:g} = {s.high_label}",
            title_justify="left",
        )
        table.add_column("model")
        table.add_column("forecast", justify="right")
        table.add_column("nearer to")
        table.add_column("rounds", justify="right")
        for name, res in result.results.items():
            value = float(res.forecast[0, k])
            rounds = "" if res.rounds is None else str(int(res.rounds[0]))
            flag = (
                " (outside the war model's range)"
                if issue.id == "territory" and (api.outside_terms(value, terms))
                else ""
            )
            table.add_row(name, f"{value:.2f}", s.nearest_label(value) + flag, rounds)
        if issue.reference is not None:
            table.caption = f"reference point (status quo): {issue.reference.value:g}"
        if issue.id == "territory" and terms and terms["acceptable"]:
            acc = terms["acceptable"]
            table.caption = (table.caption or "") + (
                f"; war model: attacker accepts >= {acc['low']:.1f}, defender <= "
                f"{acc['high']:.1f}; P(settlement) {terms['p_settlement']:.0%}"
            )
        console.print(table)
    for name, res in result.results.items():
        if res.trajectory is None:
            continue
        print_trajectory(result, name)
        print_final_positions(result, name)
        if "exchanges" in res.extras:
            print_exchanges(result, name)


def print_trajectory(result: api.Forecast, name: str) -> None:
    """Per round, the model's own per-round summary series where it reports them (EUM: the
    median voter and mean positions of Scholz et al.'s Table 2), else the capability x salience
    weighted mean position; one column per issue and series."""
    import numpy as np

    res = result.results[name]
    sc = result.scenario
    assert res.trajectory is not None  # only dynamic models are printed here
    traj = res.trajectory[0]  # (T+1, N, K)
    last = traj.shape[0] if res.rounds is None else int(res.rounds[0]) + 1
    shown = list(range(last)) if last <= 12 else [*range(6), *range(last - 5, last)]
    series = round_series(res, traj.shape[0])
    if not series:
        w = sc_weights(result)
        safe = np.where(w.sum(axis=0) > 0, w, 1.0)
        series = {"weighted mean": (traj * safe).sum(axis=1) / safe.sum(axis=0)}
    table = Table(title=f"{name}: trajectory per round", title_justify="left")
    table.add_column("round", justify="right")
    for issue in sc.issues:
        for label in series:
            table.add_column(f"{issue.id}\n{label}", justify="right")
    for t in shown:
        row = [str(t)]
        for k in range(len(sc.issues)):
            row += [f"{values[t, k]:.2f}" for values in series.values()]
        table.add_row(*row)
    console.print(table)


def print_final_positions(result: api.Forecast, name: str) -> None:
    """Each actor's position at the start and at the end of a dynamic model's run."""
    res = result.results[name]
    if res.final_positions is None or res.trajectory is None:
        return
    sc = result.scenario
    start, end = res.trajectory[0, 0], res.final_positions[0]
    rounds = "" if res.rounds is None else f" after {int(res.rounds[0])} rounds"
    table = Table(title=f"{name}: final positions{rounds} (start -> end)", title_justify="left")
    table.add_column("actor")
    for issue in sc.issues:
        table.add_column(issue.id, justify="right")
    for n, actor in enumerate(sc.actors):
        table.add_row(
            actor.id, *[f"{start[n, k]:.2f} -> {end[n, k]:.2f}" for k in range(len(sc.issues))]
        )
    console.print(table)


def print_exchanges(result: api.Forecast, name: str, limit: int = 12) -> None:
    """The exchange model's trades: who gave ground on which issue for which, and the gain."""
    log = result.results[name].extras["exchanges"]
    trades = list(log[0]) if len(log) else []
    table = Table(
        title=f"{name}: {len(trades)} exchanges (i moves on its issue, j on the other)",
        title_justify="left",
    )
    for col in ("round", "i", "issue", "shift", "j", "issue ", "shift ", "gain each"):
        table.add_column(col, justify="right" if col.startswith(("shift", "gain")) else "left")
    for t in trades[:limit]:
        table.add_row(
            str(t["round"]),
            t["actor_i"],
            t["issue_i_id"],
            f"{t['shift_i']:+.2f}",
            t["actor_j"],
            t["issue_j_id"],
            f"{t['shift_j']:+.2f}",
            f"{t['gain']:.4f}",
        )
    if len(trades) > limit:
        table.caption = f"first {limit} of {len(trades)}; all in --json (extras.exchanges)"
    console.print(table)


def round_series(res: Any, n_rounds: int) -> dict[str, np.ndarray]:
    """Per-round (T+1, K) summary series a model (a ModelResult) reports in its extras (batch
    element 0)."""
    import numpy as np

    out = {}
    for key, value in res.extras.items():
        if isinstance(value, np.ndarray) and value.ndim == 3 and value.shape[1] == n_rounds:
            out[key.replace("_", " ")] = value[0]
    return out


def sc_weights(result: api.Forecast) -> np.ndarray:
    """(N, K) capability x salience of the scenario's central values."""
    inp = api.to_input(result.scenario)
    return inp.capabilities[0][:, None] * inp.saliences[0]


def register(app: typer.Typer) -> None:
    app.command("forecast")(forecast)
