"""``detente schema``, ``detente show NAME`` and ``detente init``: the scenario format, printed."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from detente.api import DetenteError


def _write(text: str, output: str | None, force: bool = True) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    path = Path(output)
    if path.exists() and not force:
        raise DetenteError(f"{path} exists: pass --force to overwrite it")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise DetenteError(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"wrote {path}", file=sys.stderr)


def schema(
    output: str | None = typer.Option(
        None, "--output", "-o", help="File to write (default: standard output)."
    ),
) -> None:
    """Print the JSON Schema of a scenario file (for editors and check-jsonschema): every
    field with its default and allowed range, the war parameters with their units."""
    from detente.api.docs import scenario_schema_text

    _write(scenario_schema_text(), output)


def show(
    name: str = typer.Argument(
        ..., help="An embedded scenario (see `detente scenarios`) or backtest case."
    ),
    output: str | None = typer.Option(
        None, "--output", "-o", help="File to write (default: standard output)."
    ),
) -> None:
    """Print an embedded scenario's YAML (copy it to start your own)."""
    from detente.api.docs import embedded_scenario_text

    _write(embedded_scenario_text(name), output)


def init(
    path: str = typer.Argument("scenario.yaml", help="File to write; '-' = standard output."),
    force: bool = typer.Option(False, "--force", help="Overwrite the file if it exists."),
) -> None:
    """Write a commented scenario template to start from (it validates as it stands)."""
    from detente.api.docs import scenario_template

    _write(scenario_template(), path, force=force)


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)
    app.command("show")(show)
    app.command("init")(init)
