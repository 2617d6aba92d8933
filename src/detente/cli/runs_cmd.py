"""``detente runs list|show|compare|export``: the runs every command stored."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.table import Table

from detente import api
from detente.cli.common import JsonOpt, console, print_json
from detente.cli.text import styled

ENV_VAR = "DETENTE_STORE"  # detente.api.ENV_VAR, written out so that --help imports nothing more
EXPORT_FORMATS = ("csv", "json", "parquet")  # as detente.api.EXPORT_FORMATS

StoreOpt = typer.Option(
    None,
    "--store",
    metavar="PATH",
    help=f"Run store (SQLite file); default ${ENV_VAR} or the user data dir.",
)
RunArg = typer.Argument(..., help="Run id (see `detente runs list`), or 'last'.")


def _store(path: str | None) -> api.RunStore:
    return api.run_store(path)


def _fmt_time(iso: str) -> str:
    return iso.replace("T", " ")[:19]


def list_runs(
    store: str | None = StoreOpt,
    limit: int = typer.Option(30, "--limit", "-n", min=1, help="How many (newest first)."),
    command: str | None = typer.Option(None, "--command", "-c", help="Only this command's runs."),
    as_json: bool = JsonOpt,
) -> None:
    """List stored runs, newest first."""
    from detente.api.constraints import check_options

    check_options("runs list", limit=limit)
    rs = _store(store)
    runs = rs.list_runs(limit=limit, command=command)
    if as_json:
        print_json([r.summary() for r in runs])
        return
    if not runs:
        console.print(f"no runs stored in {rs.path}")
        return
    table = Table(title=f"Runs in {rs.path}", title_justify="left")
    for col in ("id", "when (UTC)", "command", "scenario", "models", "seed", "version", "time"):
        table.add_column(col, justify="right" if col in ("id", "seed", "time") else "left")
    for r in runs:
        total = r.timings.get("total_s")
        table.add_row(
            str(r.id),
            _fmt_time(r.created_at),
            r.command,
            r.scenario_id or r.scenario_title or "",
            ", ".join(r.models),
            "" if r.seed is None else str(r.seed),
            r.version,
            "" if total is None else f"{total:.2f}s",
        )
    console.print(table)


def show(run_id: str = RunArg, store: str | None = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Show a run: what ran, on which scenario, with which settings, and its results."""
    run = _store(store).get(run_id)
    if as_json:
        print_json(run.to_dict())
        return
    console.print(
        styled(
            "[bold]run {}[/bold]  {} UTC  detente {}",
            run.id,
            _fmt_time(run.created_at),
            run.version,
        )
    )
    console.print(f"command:  {' '.join(run.argv) or run.command}")
    console.print(
        f"scenario: {run.scenario_title or ''} ({run.scenario_id or '-'}) "
        f"sha256 {(run.scenario_sha256 or '')[:16]}"
    )
    console.print(f"models:   {', '.join(run.models) or '-'}")
    console.print(f"params:   {json.dumps(run.params) if run.params else '-'}")
    console.print(f"seed:     {'-' if run.seed is None else run.seed}")
    console.print("timings:  " + (", ".join(f"{k} {v:.3f}" for k, v in run.timings.items()) or "-"))
    if api.forecast_table(run) is not None:
        _print_forecasts(api.forecast_frame(run.result))
        rest = {k: v for k, v in run.result.items() if k in ("uncertainty",)}
        for name, entry in (rest.get("uncertainty") or {}).items():
            ths = entry.get("thresholds") or []
            if ths:
                tt = Table(title=f"{name}: P(threshold), {entry.get('draws')} draws")
                tt.add_column("threshold")
                tt.add_column("probability", justify="right")
                for t in ths:
                    tt.add_row(str(t["threshold"]), _num(t.get("probability"), digits=3))
                console.print(tt)
    else:
        tables = api.result_tables(run.result, max_rows=MAX_ROWS)
        for t in tables[:MAX_TABLES]:
            _print_table(t)
        if len(tables) > MAX_TABLES:
            console.print(f"... and {len(tables) - MAX_TABLES} more tables")
    console.print(styled("[dim]the whole result: detente runs show {} --json[/dim]", run.id))


MAX_ROWS = 40  # rows shown per table by `runs show` (the --json output has them all)
MAX_TABLES = 12


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _print_table(t: dict) -> None:
    if len(t["columns"]) > 8 and 1 < len(t["rows"]) <= 10:
        # Wide and short (e.g. policy -> 30 summary values): one column per row instead.
        cols, rows = t["columns"], t["rows"]
        t = {
            **t,
            "columns": ["", *(str(r[0]) for r in rows)],
            "rows": [[c, *(r[i] for r in rows)] for i, c in enumerate(cols) if i > 0],
        }
    table = Table(title=t["title"] or None, title_justify="left")
    for n, col in enumerate(t["columns"]):
        table.add_column(str(col) if col else "", justify="left" if n == 0 else "right")
    for row in t["rows"]:
        table.add_row(*(_cell(v) for v in row))
    console.print(table)
    if t["truncated"]:
        console.print(styled("[dim]... and {} more rows[/dim]", t["truncated"]))


def _print_forecasts(frame: object) -> None:
    """Forecast per model x issue; with Monte Carlo: median and 90% interval beside it."""
    import math

    table = Table(title="forecasts", title_justify="left")
    has_mc = "median" in frame.columns  # type: ignore[attr-defined]
    for col in ("model", "issue", "forecast", "nearer to"):
        table.add_column(col, justify="right" if col == "forecast" else "left")
    if has_mc:
        for col in ("median", "50% interval", "90% interval", "draws"):
            table.add_column(col, justify="right")

    def f(v: object, d: int = 2) -> str:
        return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{d}f}"

    for r in frame.to_dict(orient="records"):  # type: ignore[attr-defined]
        cells = [str(r["model"]), str(r["issue"]), f(r["forecast"]), str(r.get("nearest_label"))]
        if has_mc:
            cells += [
                f(r.get("median")),
                f"{f(r.get('p25'), 1)} - {f(r.get('p75'), 1)}",
                f"{f(r.get('p05'), 1)} - {f(r.get('p95'), 1)}",
                "-"
                if r.get("draws") is None or r.get("draws") != r.get("draws")
                else str(r["draws"]),
            ]
        table.add_row(*cells)
    console.print(table)


def compare(
    run_a: str = typer.Argument(..., help="First run id."),
    run_b: str = typer.Argument(..., help="Second run id."),
    store: str | None = StoreOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Compare two runs: settings, scenario changes, and how the results differ."""
    rs = _store(store)
    diff = api.compare_runs(rs.get(run_a), rs.get(run_b))
    if as_json:
        print_json(diff)
        return
    table = Table(title=f"run {diff['a']} vs run {diff['b']}", title_justify="left")
    for col in ("setting", f"run {diff['a']}", f"run {diff['b']}"):
        table.add_column(col)
    for key, item in diff["settings"].items():
        style = "" if item["same"] else "bold yellow"
        a, b = (_short(item["a"]), _short(item["b"]))
        table.add_row(key, a, b, style=style)
    console.print(table)
    if diff["scenario_changes"]:
        sc = Table(title="scenario changes", title_justify="left")
        for col in ("field", "a", "b"):
            sc.add_column(col)
        for ch in diff["scenario_changes"][:40]:
            sc.add_row(ch["path"], _short(ch["a"]), _short(ch["b"]))
        console.print(sc)
    if diff["forecasts"]:
        ft = Table(title="forecasts", title_justify="left")
        for col in ("model", "issue", "a", "b", "b - a"):
            ft.add_column(col, justify="left" if col in ("model", "issue") else "right")
        for row in diff["forecasts"]:
            ft.add_row(
                row["model"],
                row["issue"],
                _num(row["a"]),
                _num(row["b"]),
                _num(row["diff"], signed=True),
            )
        console.print(ft)
    console.print(
        f"{diff['n_differences']} other result value(s) differ"
        + ("" if not diff["n_differences"] else " (see --json)")
    )


def export(
    run_id: str = RunArg,
    fmt: str = typer.Option("csv", "--format", "-f", help="csv, json or parquet."),
    output: str | None = typer.Option(
        None, "--output", "-o", help="File to write (default run-ID.FORMAT; '-' = stdout)."
    ),
    flat: bool = typer.Option(
        False, "--flat", help="csv/parquet: every value of the result by its path (any run)."
    ),
    store: str | None = StoreOpt,
) -> None:
    """Export a run: json (everything), or csv / parquet: a forecast run's forecasts per model
    and issue with its Monte Carlo summaries (median, p25/p75, p05/p95, mean, sd, P(threshold)),
    any other run's every value by its path, with its type (ints stay ints)."""
    if fmt.lower() not in EXPORT_FORMATS:
        raise api.DetenteError(f"--format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
    run = _store(store).get(run_id)
    data = api.export_run(run, fmt, flat=flat)
    if output == "-":
        if fmt.lower() == "parquet":
            raise api.DetenteError("parquet is binary: write it to a file with -o PATH")
        sys.stdout.write(data.decode("utf-8"))
        return
    path = Path(output or f"run-{run.id}.{fmt.lower()}")
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise api.DetenteError(f"cannot write {path}: {exc.strerror or exc}") from None
    console.print(f"wrote {path} ({len(data)} bytes)")


def verify(store: str | None = StoreOpt, as_json: bool = JsonOpt) -> None:
    """Check the store without writing to it: SQLite's integrity check, each run's result hash
    and JSON fields, each scenario's hash. Exit 1 and one line per problem when any is found."""
    rs = _store(store)
    problems = rs.verify()
    n = rs.count() if not problems else None
    if as_json:
        print_json({"store": str(rs.path), "ok": not problems, "problems": problems})
    elif problems:
        for line in problems:
            console.print(f"{rs.path}: {line}", soft_wrap=True)
    else:
        console.print(f"{rs.path}: ok ({n} runs, every hash matches)", soft_wrap=True)
    if problems:
        raise typer.Exit(1)


def _short(value: object, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _num(value: float | None, signed: bool = False, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def register(app: typer.Typer) -> None:
    runs_app = typer.Typer(
        help="Stored runs: list, show, compare two, export, verify.",
        no_args_is_help=True,
    )
    runs_app.command("list")(list_runs)
    runs_app.command("show")(show)
    runs_app.command("compare")(compare)
    runs_app.command("export")(export)
    runs_app.command("verify")(verify)
    app.add_typer(runs_app, name="runs")
