"""``detente report [RUN or SCENARIO] -o report.html``: one self-contained HTML report."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from detente import api
from detente.api import DetenteError
from detente.cli.common import console, parse_params
from detente.cli.store import record_cli_run, stored
from detente.progress import spinner


@stored
def report(
    target: str | None = typer.Argument(
        None,
        show_default=False,
        help="A stored run's id (or 'last'), or a scenario file / embedded name; default "
        "ukraine-2025.",
    ),
    output: str = typer.Option("report.html", "--output", "-o", help="HTML file to write."),
    model: list[str] | None = typer.Option(
        None, "--model", "-m", help="Model (repeatable); default: every model."
    ),
    param: list[str] | None = typer.Option(
        None, "--param", "-p", help="Model parameter, MODEL.NAME=VALUE (repeatable)."
    ),
    draws: int = typer.Option(
        1000, "--draws", "-n", help="Monte Carlo draws for the intervals (0: none)."
    ),
    seed: int | None = typer.Option(
        None, "--seed", help="Seed of every random draw (default: a run's own seed, else 1)."
    ),
    claims_draws: int = typer.Option(
        100, "--claims-draws", help="Claims check: draws from the war parameters."
    ),
    claims_paths: int = typer.Option(
        1000, "--claims-paths", help="Claims check: simulated paths per draw."
    ),
    data: str | None = typer.Option(
        None,
        "--data",
        metavar="DIR",
        help="Folder of the COW/UCDP/GSDB files for the base rates (default: ../shared/data/war "
        "beside a checkout, when there).",
    ),
    ledger: str | None = typer.Option(
        None,
        "--ledger",
        metavar="FILE",
        help="Add the forecast ledger's scores and reliability diagram ('default': "
        "$DETENTE_LEDGER, else ./forecasts.ledger.jsonl).",
    ),
) -> None:
    """Write one self-contained HTML report (it opens offline) of a scenario or of a stored run of
    any kind: the scenario and its sources, forecasts with Monte Carlo intervals, plots, the war
    model's policy comparison, claims, base rates, voting power, the forecast ledger's scores
    (--ledger), the defaults used. A section without its
    inputs is left out, with one line saying why."""
    from detente.api import make_report
    from detente.cli.store import current_store_path

    t0 = time.perf_counter()
    with spinner(True, "computing the report"):
        rep = make_report(
            target,
            store_path=current_store_path(),
            models=model or None,
            params=parse_params(param),
            draws=draws,
            seed=seed,
            claims_draws=claims_draws,
            claims_paths=claims_paths,
            data_dir=data,
            ledger=ledger,
        )
    t1 = time.perf_counter()
    data_, html, sc = rep.data, rep.html, rep.scenario
    out = Path(output)
    try:
        api.atomic_write_text(out, html)
    except OSError as exc:
        raise DetenteError(f"cannot write {out}: {exc.strerror or exc}") from None
    t2 = time.perf_counter()
    stored_data = {k: v for k, v in data_.items() if k != "scenario"}
    stored_data["output"] = str(out)
    record_cli_run(
        "report",
        sc,
        stored_data,
        params={
            "draws": draws,
            "claims_draws": claims_draws,
            "claims_paths": claims_paths,
            **parse_params(param),
        },
        seed=data_.get("seed"),
        models=rep.models,
        timings={"compute_s": t1 - t0, "write_s": t2 - t1},
        announce=True,
    )
    console.print(f"wrote {out} ({len(html.encode('utf-8')):,} bytes)")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
