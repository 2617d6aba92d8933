"""``detente backtest``: score every model on past negotiations with known outcomes.

    detente backtest                      the shipped case library
    detente backtest CASE_OR_FILE ...     named cases, or your own scenario files with outcomes
    detente backtest deu PATH             the DEU benchmark on a DEU III data file
    detente backtest deu TEST --train TRAIN   fitted on TRAIN only, scored on TEST
    detente backtest --list               the shipped cases

Options: ``--model/-m`` (repeat; default every model), ``--param/-p MODEL.NAME=VALUE``,
``--draws N --seed S`` (Monte Carlo: coverage of the 50% and 90% intervals),
``--position-sd X`` (with --draws: a normal error of X x the scale's width on every position
stated without one), ``--weights council|equal`` (DEU only), ``--json``, ``--no-store``.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

import pandas as pd
import typer
from rich.table import Table

from detente import api
from detente.api import DetenteError
from detente.cli.common import JsonOpt, console, err_console, parse_params, print_json
from detente.cli.text import styled
from detente.progress import spinner

PER_CASE_LIMIT = 10  # more cases than this: the per-case table only with --per-case


def backtest(
    cases: list[str] | None = typer.Argument(
        None,
        help="Shipped case names or scenario files with outcomes (default: the whole case "
        "library); or the word 'deu' followed by the path of the DEU III data file.",
        show_default=False,
    ),
    model: list[str] | None = typer.Option(
        None, "--model", "-m", help="Model name (repeat for several); default: every model."
    ),
    param: list[str] | None = typer.Option(
        None, "--param", "-p", help="Model parameter, MODEL.NAME=VALUE (repeatable)."
    ),
    draws: int = typer.Option(
        0, "--draws", min=0, help="Monte Carlo draws per case and model (0: point forecasts)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the Monte Carlo draws."),
    position_sd: float = typer.Option(
        0.0,
        "--position-sd",
        min=0.0,
        max=1.0,
        help="With --draws: normal error, as a share of the scale's width, on every position "
        "stated without uncertainty (e.g. 0.05).",
    ),
    weights: str | None = typer.Option(
        None,
        "--weights",
        help="DEU only: capabilities from Council voting weights ('council', default), 'equal', "
        "or 'file' (the per-actor row of the redistributed layout).",
    ),
    train: str | None = typer.Option(
        None,
        "--train",
        help="DEU only: fit everything (the tuned models' parameters, the stacks, the "
        "ensemble, the error models) on this DEU file only (default: nested cross-validation "
        "of the scored file by proposal).",
    ),
    shipped: bool = typer.Option(
        False,
        "--shipped",
        help="DEU only: use the fit shipped with detente (tuned parameters, stacks, ensemble, "
        "error models; fitted on the DEU III training file) instead of fitting.",
    ),
    error_model: str = typer.Option(
        "scaled",
        "--error-model",
        help="DEU only: each row's predictive distribution: 'scaled' (training errors scaled "
        "by the issue's spread of positions and reference distance) or 'empirical' (training "
        "errors as they are).",
    ),
    plot: str | None = typer.Option(
        None,
        "--plot",
        help="DEU only: write each model's MAE difference from compromise with its 95% "
        "interval to this image (PNG or SVG).",
    ),
    folds: int = typer.Option(
        10, "--folds", min=2, help="DEU only, without --train: cross-validation folds."
    ),
    reps: int = typer.Option(
        2000, "--reps", min=100, help="DEU only: bootstrap resamples of the intervals."
    ),
    per_case: bool | None = typer.Option(
        None,
        "--per-case/--no-per-case",
        help=f"Show each case's forecasts and errors (default: when at most {PER_CASE_LIMIT} "
        "cases).",
    ),
    ensemble: bool = typer.Option(
        True,
        "--ensemble/--no-ensemble",
        help="Score a leave-one-out ensemble of the models (needs at least 3 cases).",
    ),
    list_cases: bool = typer.Option(False, "--list", help="List the shipped cases and stop."),
    store: str | None = typer.Option(
        None, "--store", help="Run store file (default: $DETENTE_STORE or the user data dir)."
    ),
    no_store: bool = typer.Option(False, "--no-store", help="Do not store this run."),
    as_json: bool = JsonOpt,
) -> None:
    """Score every bargaining model on past negotiations with known outcomes: absolute error per
    case, MAE, median error, share of cases beating the compromise model, interval coverage.

    Forms: `detente backtest` (the shipped case library), `detente backtest CASE_OR_FILE ...`,
    `detente backtest deu PATH` (the DEU III data file, e.g. with --weights equal),
    `detente backtest --list`.
    """
    if list_cases:
        _print_library(as_json)
        return
    started = time.perf_counter()
    args = list(cases or [])
    deu_info: dict[str, Any] | None = None
    if args and args[0] == "deu":
        if len(args) != 2:
            raise DetenteError("write: detente backtest deu PATH (one DEU III data file)")
        _deu_run(
            args[1],
            train,
            shipped,
            plot,
            weights,
            model,
            param,
            folds,
            reps,
            seed,
            draws,
            position_sd,
            as_json,
            no_store,
            store,
            started,
            error_model,
        )
        return
    else:
        if error_model != "scaled":
            raise DetenteError(
                "--error-model applies to DEU data only: detente backtest deu PATH "
                "--error-model empirical"
            )
        if train is not None:
            raise DetenteError(
                "--train applies to DEU data only: detente backtest deu TEST --train TRAIN"
            )
        if weights is not None:
            raise DetenteError(
                "--weights applies to DEU data only: detente backtest deu PATH "
                "--weights council|equal"
            )
        selected = api.load_cases(args or None)
    loaded = time.perf_counter()
    with spinner(not as_json, f"scoring the models on {len(selected)} case(s)"):
        result = api.run_backtest(
            selected,
            model or None,
            parse_params(param),
            draws=draws,
            seed=seed,
            position_sd=position_sd,
            ensemble=ensemble,
        )
    done = time.perf_counter()
    timings = {"load_s": loaded - started, "score_s": done - loaded, "total_s": done - started}
    payload = result.to_json_dict()
    if deu_info is not None:
        payload["deu"] = deu_info
    run_id = None if no_store else _store(payload, result, timings, store)
    if as_json:
        payload["run_id"] = run_id
        print_json(payload)
        return
    show_cases = per_case if per_case is not None else len(selected) <= PER_CASE_LIMIT
    print_backtest(result, deu_info, show_cases)
    if run_id is not None:
        console.print(f"stored as run {run_id}")


def _store(
    payload: dict[str, Any],
    result: api.BacktestResult,
    timings: dict[str, float],
    store: str | None,
) -> int | None:
    try:
        return api.record_run(
            "backtest",
            None,
            payload,
            params=result.params,
            seed=result.seed,
            models=result.models,
            timings=timings,
            argv=sys.argv[1:],
            store=store,
        )
    except DetenteError as exc:
        # The leaderboard is still worth printing when the store cannot be written.
        err_console.print(f"detente: warning: run not stored: {exc}")
        return None


def _print_library(as_json: bool) -> None:
    cases = api.load_cases()
    if as_json:
        print_json(
            [
                {
                    "name": c.id,
                    "title": c.title,
                    "issues": list(c.issues),
                    "outcomes": {i: c.outcome(i) for i in c.issues},
                    "sources": [s.title for s in c.scenario.meta.sources],
                }
                for c in cases
            ]
        )
        return
    table = Table(title="Backtest case library", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("case")
    table.add_column("actors", justify="right")
    table.add_column("known outcome")
    for c in cases:
        outcomes = ", ".join(f"{i} = {c.outcome(i):g}" for i in c.issues)
        table.add_row(c.id, c.title, str(len(c.scenario.actors)), outcomes)
    console.print(table)


def _fmt(x: Any, pct: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{100 * x:.0f}%" if pct else f"{x:.2f}"


def print_backtest(result: api.BacktestResult, deu: dict[str, Any] | None, per_case: bool) -> None:
    """The leaderboard, then (optionally) each case's forecasts and errors, then notes."""
    n_cases = len(result.cases)
    n_items = len(result.rows.drop_duplicates(["case", "issue"]))
    source = f"DEU III file {deu['path']}" if deu else "case library"
    console.print(
        styled(
            "[bold]Backtest[/bold] on {} case(s), {} scored issue(s) ({})", n_cases, n_items, source
        )
    )
    if deu:
        rules = ", ".join(f"{k} {v}" for k, v in sorted(deu["rules"].items()))
        console.print(
            f"capabilities: {deu['weights']} ({rules}); skipped rows: {len(deu['skipped'])}"
        )
    table = Table(title="Leaderboard (errors in points of a 0-100 scale)", title_justify="left")
    for name, justify in (
        ("model", "left"),
        ("n", "right"),
        ("MAE", "right"),
        ("median err", "right"),
        ("beats compromise", "right"),
    ):
        table.add_column(name, justify="left" if justify == "left" else "right")
    if result.draws:
        table.add_column("50% cover", justify="right")
        table.add_column("90% cover", justify="right")
    for row in result.leaderboard.itertuples():
        cells = [
            str(row.model),
            str(row.n),
            _fmt(row.mae),
            _fmt(row.median_error),
            _fmt(row.beats_compromise, pct=True),
        ]
        if result.draws:
            cells += [_fmt(row.cover50, pct=True), _fmt(row.cover90, pct=True)]
        table.add_row(*cells)
    if result.draws:
        table.caption = (
            f"Monte Carlo: {result.draws} draws per case and model, seed "
            f"{result.seed}, position sd {result.position_sd:g} x scale width"
        )
    console.print(table)
    if per_case:
        _print_cases(result)
    if result.ensemble is not None:
        w = ", ".join(f"{m} {v:.2f}" for m, v in result.ensemble.mean_weights.items())
        console.print(f"ensemble weights (mean over leave-one-out folds): {w}")
    for note in result.notes:
        console.print(f"note: {note}", style="dim")


def _print_cases(result: api.BacktestResult) -> None:
    table = Table(title="Per case: forecasts and absolute errors", title_justify="left")
    for name, justify in (
        ("case", "left"),
        ("issue", "left"),
        ("outcome", "right"),
        ("model", "left"),
        ("forecast", "right"),
        ("error", "right"),
        ("error (0-100)", "right"),
    ):
        table.add_column(name, justify="left" if justify == "left" else "right", overflow="fold")
    rows = result.rows
    if result.ensemble is not None:
        rows = pd.concat([rows, result.ensemble.rows], ignore_index=True)
    rows = rows[rows.forecast.notna()]
    for (case, issue), sub in rows.groupby(["case", "issue"], sort=False):
        for n, r in enumerate(sub.sort_values("scaled_error", kind="stable").itertuples()):
            first = n == 0
            table.add_row(
                str(case) if first else "",
                str(issue) if first else "",
                f"{r.outcome:g}" if first else "",
                str(r.model),
                f"{r.forecast:.2f}",
                f"{r.error:.2f}",
                f"{r.scaled_error:.2f}",
                end_section=n == len(sub) - 1,
            )
    console.print(table)


def _deu_run(
    path: str,
    train: str | None,
    shipped: bool,
    plot: str | None,
    weights: str | None,
    model: list[str] | None,
    param: list[str] | None,
    folds: int,
    reps: int,
    seed: int | None,
    draws: int,
    position_sd: float,
    as_json: bool,
    no_store: bool,
    store: str | None,
    started: float,
    error_model: str = "scaled",
) -> None:
    """The DEU benchmark: score, print or emit JSON, store."""

    with spinner(not as_json, "scoring every model on the DEU file"):
        result = api.backtest(
            deu=path,
            train=train,
            weights=weights or "council",
            models=model or None,
            params=parse_params(param),
            draws=draws,
            seed=seed,
            position_sd=position_sd,
            folds=folds,
            reps=reps,
            shipped=shipped,
            error_model=error_model,
        )
    done = time.perf_counter()
    payload = result.to_dict()
    timings = {"total_s": done - started}
    if plot:
        from pathlib import Path

        if Path(plot).suffix.lower() not in (".png", ".svg", ".pdf"):
            raise DetenteError(f"--plot {plot}: the image must be a .png, .svg or .pdf file")
        result.plot().savefig(plot, dpi=120)
    run_id = None
    if not no_store:
        try:
            run_id = api.record_run(
                "backtest",
                None,
                payload,
                params={},
                seed=seed,
                models=list(payload["models"]),
                timings=timings,
                argv=sys.argv[1:],
                store=store,
            )
        except DetenteError as exc:
            err_console.print(f"detente: warning: run not stored: {exc}")
    if as_json:
        payload["run_id"] = run_id
        print_json(payload)
        return
    print_benchmark(payload)
    if run_id is not None:
        console.print(f"stored as run {run_id}")


def print_benchmark(payload: dict[str, Any]) -> None:
    """The DEU leaderboard: scores and each model's difference from compromise with its 95%
    proposal-clustered bootstrap interval."""
    console.print(
        styled(
            "[bold]DEU benchmark[/bold] {}: {} issues in {} proposals; {}",
            payload["path"],
            payload["n_issues"],
            payload["n_proposals"],
            payload["mode"],
        )
    )
    rules = ", ".join(f"{k} {v}" for k, v in sorted(payload["capabilities"].items()))
    console.print(f"capabilities: {rules}; skipped rows: {len(payload['skipped'])}")
    from rich import box

    # fits 80 columns: light borders, and the n column only where models scored different counts
    ns = {e["n"] for e in payload["models"].values()}
    table = Table(
        title="Leaderboard (points of a 0-100 scale; intervals: 95%, bootstrap by proposal)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    cols = ("model", "n", "MAE", "RMSE", "CRPS", "cov 50/90", "dMAE", "95% interval")
    for name in cols:
        if name == "n" and len(ns) == 1:
            continue
        if name == "model":  # the names give way before the numbers do
            table.add_column(name, justify="left", no_wrap=True, overflow="ellipsis", max_width=15)
        else:
            table.add_column(name, justify="right", no_wrap=True)
    for name, e in payload["models"].items():
        d = e["diff_vs_compromise"]
        diff = "-" if d["mae"] is None or name == "compromise" else f"{d['mae']:+.2f}"
        interval = "-"
        if d["low"] is not None:
            mark = "*" if d["high"] < 0 else " "
            interval = f"[{d['low']:+.2f},{d['high']:+.2f}]{mark}"
        table.add_row(
            name,
            *([str(e["n"])] if len(ns) > 1 else []),
            _fmt(e["mae"]),
            _fmt(e["rmse"]),
            _fmt(e["crps"]),
            f"{_fmt(e['coverage_50'], pct=True).rstrip('%')}/{_fmt(e['coverage_90'], pct=True)}",
            diff,
            interval,
        )
    table.caption = (
        "dMAE: MAE minus compromise's; * beats compromise with confidence (interval below 0). "
        "cov 50/90: coverage of the central 50%/90% intervals of each model's predictive "
        "distribution (its training errors, scaled by issue unless --error-model empirical). "
        "baseline_reference only where the file has one."
        + (f" Every row scores {next(iter(ns))} issues." if len(ns) == 1 else "")
    )
    console.print(table)
    fits = payload["fit"]
    if len(fits) == 1:
        f = fits[0]
        tuned = ", ".join(f"{m} {k}" for m, k in f.get("choices", {}).items())
        console.print(f"tuned on the training file: {tuned or 'nothing'}")
        stack = ", ".join(f"{m} {v:.2f}" for m, v in f.get("stack", {}).items() if v > 0.005)
        console.print(
            f"ensemble = {f.get('ensemble_choice')} (lowest inner cross-validated MAE); "
            f"stack weights: {stack or '-'}; compromise_ends threshold: "
            f"{f.get('compromise_ends', {}).get('threshold')}"
        )
    elif fits:
        picks: dict[str, int] = {}
        for f in fits:
            picks[f.get("ensemble_choice", "?")] = picks.get(f.get("ensemble_choice", "?"), 0) + 1
        chosen = ", ".join(f"{m} in {n}" for m, n in picks.items())
        console.print(
            f"nested: every choice made inside each of {len(fits)} folds; the ensemble chose "
            f"{chosen} (by an inner cross-validation within the fold)"
        )


def register(app: typer.Typer) -> None:
    app.command("backtest")(backtest)
