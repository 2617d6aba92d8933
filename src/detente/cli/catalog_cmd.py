"""``detente models``, ``detente scenarios`` and ``detente validate``."""

from __future__ import annotations

import typer
from rich.table import Table

from detente import api
from detente.cli.common import JsonOpt, console, print_json
from detente.cli.text import styled


def models(as_json: bool = JsonOpt) -> None:
    """List the bargaining models: name, citation, parameters."""
    specs = api.models()
    if as_json:
        print_json(
            [
                {
                    "name": m.name,
                    "title": m.title,
                    "citation": m.citation,
                    "dynamic": m.dynamic,
                    "params": [
                        {"name": p.name, "default": p.default, "rule": p.rule(), "doc": p.doc}
                        for p in m.params
                    ],
                }
                for m in specs
            ]
        )
        return
    table = Table(title="Bargaining models")
    table.add_column("name", style="bold")
    table.add_column("model")
    table.add_column("citation")
    table.add_column("parameters (default)")
    for m in specs:
        params = "\n".join(f"{p.name}={p.default!r}: {p.rule()}" for p in m.params)
        table.add_row(m.name, m.title, m.citation, params)
    console.print(table)


def scenarios(as_json: bool = JsonOpt) -> None:
    """List the scenarios shipped with detente."""
    rows = []
    for name in api.scenarios():
        sc = api.load(name)
        rows.append(
            {
                "name": name,
                "title": sc.meta.title,
                "date": sc.meta.date,
                "actors": len(sc.actors),
                "issues": len(sc.issues),
            }
        )
    if as_json:
        print_json(rows)
        return
    table = Table(title="Embedded scenarios")
    for col in ("name", "title", "date", "actors", "issues"):
        table.add_column(col)
    for r in rows:
        table.add_row(*(str(r[c]) for c in ("name", "title", "date", "actors", "issues")))
    console.print(table)


def validate(
    file: str = typer.Argument(..., help="Scenario file to check."),
    as_json: bool = JsonOpt,
) -> None:
    """Check a scenario file; print what it holds, or one line naming what is wrong (exit 2)."""
    sc = api.load(file)
    info = {
        "file": file,
        "valid": True,
        "title": sc.meta.title,
        "actors": len(sc.actors),
        "issues": len(sc.issues),
    }
    if file.lower().endswith(".csv") and sc.meta.description:
        info["note"] = sc.meta.description  # the salience scale the CSV was read on
    if as_json:
        print_json(info)
    else:
        console.print(
            styled(
                "[green]ok[/green] {}: {} ({} actors, {} issues)",
                file,
                sc.meta.title,
                len(sc.actors),
                len(sc.issues),
            )
        )
        if "note" in info:
            console.print(f"  {info['note']}")


def register(app: typer.Typer) -> None:
    app.command("models")(models)
    app.command("scenarios")(scenarios)
    app.command("validate")(validate)
