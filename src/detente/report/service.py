"""The report service: what ``detente report`` and the web app call.

Layering: ``report`` sits above ``api`` (scenario < bargaining < war < analysis < store < api <
report < cli | web), so the report service lives here, in :mod:`detente.report`, not in
:mod:`detente.api` (which must not import this layer); the CLI and the web app import it from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from detente.scenario.errors import DetenteError


@dataclass
class Report:
    """A computed report: its JSON data (what the run store keeps), its HTML, and the scenario
    it is about (None for a run without one, e.g. a backtest)."""

    data: dict[str, Any]
    html: str
    scenario: Any

    @property
    def models(self) -> list[str]:
        return list((self.data.get("forecast") or {}).get("models", {}))


def is_run_id(text: str | None) -> bool:
    """Whether ``text`` names a stored run (a number, 'last' or 'latest') rather than a file."""
    return (
        text is not None
        and (text.isdigit() or text.lower() in ("last", "latest"))
        and not Path(text).exists()
    )


def make_report(
    target: str | None,
    *,
    store_path: str | Path | None = None,
    models: list[str] | None = None,
    params: dict[str, dict[str, Any]] | None = None,
    draws: int = 1000,
    seed: int | None = 1,
    claims_draws: int = 100,
    claims_paths: int = 1000,
    data_dir: str | None = None,
    ledger: str | Path | None = None,
) -> Report:
    """The report of ``target``: a stored run (its id or 'last', read from ``store_path``) of any
    kind, or a scenario file / embedded name (default ukraine-2025). ``ledger``: a forecast
    ledger whose scores and reliability diagram get their own section ("default": the ledger
    ``detente ledger`` uses, $DETENTE_LEDGER else ./forecasts.ledger.jsonl). Checks the options
    first (a bad one is a DetenteError: one line)."""
    from detente.report.html import render_report, report_data, run_report_data
    from detente.scenario import io as scenario_io

    for flag, value, low in (
        ("--draws", draws, 0),
        ("--seed", 0 if seed is None else seed, 0),
        ("--claims-draws", claims_draws, 1),
        ("--claims-paths", claims_paths, 1),
    ):
        if value < low:
            raise DetenteError(f"{flag} {value}: must be at least {low}")
    ledger_sec = None
    if ledger is not None:
        from detente.report.html import ledger_section

        ledger_sec = ledger_section(None if str(ledger) in ("default", "-") else ledger)
    if is_run_id(target):
        from detente.store.runs import RunStore

        if store_path is None:
            raise DetenteError("the run store is off: pass --store PATH to report a run")
        run = RunStore(store_path).get(str(target))
        data = run_report_data(
            run,
            draws=draws,
            seed=seed,
            claims_draws=claims_draws,
            claims_paths=claims_paths,
            data_dir=data_dir,
            ledger=ledger_sec,
        )
        sc = run.scenario()
    else:
        sc = scenario_io.load(target)
        data = report_data(
            sc,
            models=models or None,
            params=params,
            draws=draws,
            seed=1 if seed is None else seed,
            source=target or scenario_io.DEFAULT_SCENARIO,
            claims_draws=claims_draws,
            claims_paths=claims_paths,
            data_dir=data_dir,
            ledger=ledger_sec,
        )
    return Report(data=data, html=render_report(data), scenario=sc)


# The name under which detente.api re-exports the report service.
report = make_report
