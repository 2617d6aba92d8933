"""``detente ledger``: a sealed forecast record (add, list, verify, resolve, score).

    detente ledger add "Talks by 2026-06-30?" --p 0.2 --by 2026-06-30
    detente ledger add "Russia's share of the claimed area, end 2026" --quantile 0.1=82 \
        --quantile 0.5=86 --quantile 0.9=90 --by 2026-12-31
    detente ledger verify            exit 1 and the first broken entry when the chain is broken
    detente ledger resolve 1 no
    detente ledger score --plot reliability.png [--baseline 0.5]

The file: ``--ledger-file PATH``, else ``$DETENTE_LEDGER``, else ``forecasts.ledger.jsonl`` here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from detente.api import DetenteError
from detente.cli.common import JsonOpt, console, print_json
from detente.cli.text import styled

LedgerOpt = typer.Option(
    None,
    "--ledger-file",
    envvar="DETENTE_LEDGER",
    help="The ledger (JSON Lines); default $DETENTE_LEDGER, else ./forecasts.ledger.jsonl.",
    show_default=False,
)


def _quantiles(items: list[str]) -> tuple[list[float], list[float]]:
    levels, values = [], []
    for item in items:
        a, sep, b = item.partition("=")
        try:
            if not sep:
                raise ValueError
            levels.append(float(a))
            values.append(float(b))
        except ValueError:
            raise DetenteError(f"--quantile {item!r}: write LEVEL=VALUE, e.g. 0.5=86") from None
    return levels, values


def add(
    question: str = typer.Argument(..., help="The question, e.g. 'Talks by 2026-06-30?'."),
    by: str = typer.Option(..., "--by", help="Resolution date, YYYY-MM-DD."),
    p: float | None = typer.Option(None, "--p", help="P(yes) for a yes/no question."),
    quantile: list[str] | None = typer.Option(
        None, "--quantile", "-q", help="LEVEL=VALUE of a quantity's forecast (repeatable)."
    ),
    draws_file: Path | None = typer.Option(
        None, "--draws-file", help="A text file of draws of a quantity (one number a line)."
    ),
    criterion: str | None = typer.Option(None, "--criterion", help="How it resolves."),
    model: str | None = typer.Option(None, "--model", "-m", help="The model that made it."),
    scenario: str | None = typer.Option(
        None, "--scenario", help="Scenario the forecast came from (its SHA-256 is recorded)."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the run that made it."),
    ledger_file: Path | None = LedgerOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record a forecast (a probability, quantiles or draws) in the sealed ledger."""
    from detente import api
    from detente.api import ledger as L

    given = sum(x is not None and x != [] for x in (p, quantile, draws_file))
    if given != 1:
        raise DetenteError("ledger add: give exactly one of --p, --quantile or --draws-file")
    if p is not None:
        fc = L.probability_forecast(p)
    elif quantile:
        fc = L.quantile_forecast(*_quantiles(quantile))
    else:
        assert draws_file is not None
        try:
            text = draws_file.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DetenteError(f"--draws-file {draws_file}: cannot read it ({exc})") from None
        try:
            values = [float(x) for x in text.split()]
        except ValueError:
            raise DetenteError(f"--draws-file {draws_file}: every line must be a number") from None
        fc = L.draws_forecast(values)
    sc = api.load(scenario) if scenario else None
    entry = L.add(
        question,
        fc,
        resolves_by=by,
        criterion=criterion,
        model=model,
        scenario=sc,
        seed=seed,
        ledger_file=ledger_file,
    )
    if as_json:
        print_json(entry)
        return
    console.print(
        styled("forecast [bold]{}[/] sealed at {}: {}", entry["seq"], entry["time"], entry["hash"])
    )


def list_entries(ledger_file: Path | None = LedgerOpt, as_json: bool = JsonOpt) -> None:
    """Every forecast and its outcome, if resolved."""
    from detente.api import ledger as L

    entries = L.entries(ledger_file)
    outcomes = {e["forecast"]: e["outcome"] for e in entries if e["kind"] == "resolution"}
    if as_json:
        print_json(entries)
        return
    table = Table(title="Forecast ledger")
    for col in ("id", "time (UTC)", "question", "forecast", "resolves by", "outcome"):
        table.add_column(col)
    for e in entries:
        if e["kind"] != "forecast":
            continue
        table.add_row(
            str(e["seq"]),
            e["time"],
            e["question"],
            _show(e["forecast"]),
            e["resolves_by"],
            "" if e["seq"] not in outcomes else f"{outcomes[e['seq']]:g}",
        )
    console.print(table)


def _show(fc: dict[str, Any]) -> str:
    if fc["type"] == "probability":
        return f"p = {fc['p']:.3g}"
    if fc["type"] == "quantiles":
        return ", ".join(f"q{lv:g}={v:g}" for lv, v in zip(fc["levels"], fc["values"], strict=True))
    return f"{len(fc['values'])} draws"


def verify(ledger_file: Path | None = LedgerOpt, as_json: bool = JsonOpt) -> None:
    """Check the hash chain; exit 1 naming the first broken entry if it is broken."""
    from detente.api import ledger as L

    rep = L.verify(ledger_file)
    if as_json:
        print_json(rep.to_dict())
    elif rep.ok:
        console.print(f"{rep.path}: OK, {rep.entries} entries, last hash {rep.last_hash}")
    else:
        console.print(
            f"{rep.path}: BROKEN at line {rep.broken_line}"
            + ("" if rep.broken_id is None else f" (entry {rep.broken_id})")
            + f": {rep.reason}; the {rep.entries} entries before it are intact"
        )
    if not rep.ok:
        raise typer.Exit(1)


def resolve(
    forecast_id: int = typer.Argument(..., help="The forecast's id (see `detente ledger list`)."),
    value: str = typer.Argument(..., help="yes/no (1/0) for a probability, a number otherwise."),
    note: str | None = typer.Option(None, "--note", help="Where the outcome comes from."),
    ledger_file: Path | None = LedgerOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Record a forecast's outcome (a new sealed entry; nothing is edited)."""
    from detente.api import ledger as L

    entry = L.resolve(forecast_id, value, note=note, ledger_file=ledger_file)
    if as_json:
        print_json(entry)
        return
    console.print(f"forecast {forecast_id} resolved as {entry['outcome']:g} (entry {entry['seq']})")


def score(
    baseline: str = typer.Option(
        "base-rate", "--baseline", help="base-rate, or a constant probability such as 0.5."
    ),
    plot: Path | None = typer.Option(
        None, "--plot", help="Write the reliability diagram (.png or .svg)."
    ),
    ledger_file: Path | None = LedgerOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Brier and log scores (probabilities), CRPS (quantities), against a baseline."""
    from detente.api import ledger as L

    res = L.score(ledger_file, baseline=baseline)
    if plot is not None:
        if plot.suffix.lower() not in (".png", ".svg"):
            raise DetenteError(f"--plot {plot}: write a .png or .svg file")
        fig = res.plot()
        try:
            fig.savefig(plot, bbox_inches="tight")
        except OSError as exc:
            raise DetenteError(f"--plot {plot}: cannot write it ({exc.strerror})") from None
    if as_json:
        out = res.to_dict()
        out["plot"] = None if plot is None else str(plot)
        print_json(out)
        return
    s = res.summary()
    console.print(f"{res.ledger}: {len(res.rows)} resolved, {res.unresolved} open")
    if s["probability"]:
        ps = s["probability"]
        table = Table(title=f"Probabilities ({ps['n']} resolved)")
        for col in ("score", "forecasts", ps["baseline"] + f" ({ps['baseline_p']:.3f})"):
            table.add_column(col, justify="right")
        table.add_row(
            "Brier (lower is better)", f"{ps['brier']:.4f}", f"{ps['baseline_brier']:.4f}"
        )
        table.add_row("log (lower is better)", f"{ps['log']:.4f}", f"{ps['baseline_log']:.4f}")
        skill = ps["brier_skill"]
        table.add_row("Brier skill", "-" if skill is None else f"{skill:.3f}", "0")
        console.print(table)
    if s["quantity"]:
        qs = s["quantity"]
        console.print(
            f"Quantities ({qs['n']} resolved): CRPS {qs['crps']:.4g}, MAE of the median "
            f"{qs['mae']:.4g}"
        )
    if plot is not None:
        console.print(f"reliability diagram: {plot}")


def register(app: typer.Typer) -> None:
    ledger_app = typer.Typer(
        help="A sealed forecast ledger: add, list, verify, resolve, score.",
        no_args_is_help=True,
    )
    ledger_app.command("add")(add)
    ledger_app.command("list")(list_entries)
    ledger_app.command("verify")(verify)
    ledger_app.command("resolve")(resolve)
    ledger_app.command("score")(score)
    app.add_typer(ledger_app, name="ledger")
