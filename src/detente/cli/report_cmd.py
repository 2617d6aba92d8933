"""``detente report [RUN or SCENARIO] -o report.html``: one self-contained HTML report."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from detente.cli.common import console, parse_params
from detente.cli.store import record_cli_run, stored
from detente.progress import spinner
from detente.scenario import io as scenario_io
from detente.scenario.errors import DetenteError


def _is_run_id(text: str | None) -> bool:
    return text is not None and (text.isdigit() or text.lower() in ("last", "latest"))


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
        1000, "--draws", "-n", min=0, help="Monte Carlo draws for the intervals (0: none)."
    ),
    seed: int = typer.Option(1, "--seed", min=0, help="Seed of every random draw."),
    claims_draws: int = typer.Option(
        200, "--claims-draws", min=1, help="Claims check: draws from the war parameters."
    ),
    claims_paths: int = typer.Option(
        200, "--claims-paths", min=1, help="Claims check: simulated paths per draw."
    ),
) -> None:
    """Write one self-contained HTML report (it opens offline): the scenario and its sources,
    each model's forecast with Monte Carlo intervals, the plots, the war model's policy
    comparison, the claims and the base rates. A RUN reuses that run's stored results."""
    from detente.cli.store import current_store_path
    from detente.report.html import render_report, report_data, run_report_data
    from detente.store.runs import RunStore

    t0 = time.perf_counter()
    with spinner(True, "computing the report: forecasts, Monte Carlo, war model, claims"):
        if _is_run_id(target) and not Path(str(target)).exists():
            path = current_store_path()
            if path is None:
                raise DetenteError("the run store is off: pass --store PATH to report a run")
            run = RunStore(path).get(str(target))
            data = run_report_data(
                run, draws=draws, seed=seed, claims_draws=claims_draws, claims_paths=claims_paths
            )
            sc = run.scenario()
        else:
            sc = scenario_io.load(target)
            data = report_data(
                sc,
                models=model or None,
                params=parse_params(param),
                draws=draws,
                seed=seed,
                source=target or scenario_io.DEFAULT_SCENARIO,
                claims_draws=claims_draws,
                claims_paths=claims_paths,
            )
    t1 = time.perf_counter()
    html = render_report(data)
    out = Path(output)
    try:
        scenario_io.atomic_write_text(out, html)
    except OSError as exc:
        raise DetenteError(f"cannot write {out}: {exc.strerror or exc}") from None
    t2 = time.perf_counter()
    stored_data = {k: v for k, v in data.items() if k != "scenario"}
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
        seed=seed,
        models=list(data["forecast"].get("models", {})),
        timings={"compute_s": t1 - t0, "render_s": t2 - t1},
        announce=True,
    )
    console.print(f"wrote {out} ({len(html.encode('utf-8')):,} bytes)")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
