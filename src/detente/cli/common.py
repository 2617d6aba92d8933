"""Helpers shared by the command modules: JSON output, consoles, scenario arguments."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from detente.cli.text import SafeConsole
from detente.jsonable import to_jsonable

# Every string is printed as plain text: no markup, emoji or control characters (cli/text.py).
console = SafeConsole()
err_console = SafeConsole(stderr=True)

SCENARIO_HELP = "Scenario file (YAML, CSV, KTAB CSV/XML) or embedded name; default ukraine-2025."
ScenarioArg = typer.Argument(None, help=SCENARIO_HELP, show_default=False)
JsonOpt = typer.Option(False, "--json", help="Print machine-readable JSON (stable keys).")


def print_json(data: Any) -> None:
    """JSON on stdout, NaN/inf as null."""
    sys.stdout.write(json.dumps(to_jsonable(data), indent=2, allow_nan=False) + "\n")


def parse_params(items: list[str] | None) -> dict[str, dict[str, Any]]:
    """``--param eum.q=0.5`` -> {"eum": {"q": 0.5}}, read strictly and checked against the model
    registry (see :func:`detente.api.constraints.parse_params`)."""
    from detente.api.constraints import parse_params as _parse

    return _parse(items)
