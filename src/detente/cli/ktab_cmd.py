"""``detente import ktab FILE -o scenario.yaml``: a KTAB SMP input file (CSV or XML) as YAML."""

from __future__ import annotations

from pathlib import Path

import typer

from detente.cli.common import JsonOpt, console, err_console, print_json
from detente.cli.text import styled

import_app = typer.Typer(
    name="import",
    help="Convert other tools' scenario files into detente YAML.",
    no_args_is_help=True,
)


@import_app.command("ktab")
def import_ktab(
    file: str = typer.Argument(..., help="KTAB SMP input file: CSV or XML (smpSchema.xsd)."),
    output: str | None = typer.Option(
        None, "--output", "-o", help="Write the scenario YAML here (default: print it)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Read a KTAB SMP scenario (CSV or XML) and write it as a detente scenario (YAML)."""
    from detente.scenario import ktab
    from detente.scenario.errors import NO_VALUE, ScenarioError
    from detente.scenario.io import save, to_yaml

    suffix = Path(file).suffix.lower()
    if suffix not in (".csv", ".xml"):
        raise ScenarioError(file, "", NO_VALUE, "must be a KTAB .csv or .xml file")
    xml = suffix == ".xml"
    sc = ktab.load_ktab_xml(file) if xml else ktab.load_ktab_csv(file)
    params, unsupported = ktab.ktab_xml_params(file) if xml else ({}, [])
    if output:
        save(sc, output)
    info = {
        "file": file,
        "output": output,
        "title": sc.meta.title,
        "actors": len(sc.actors),
        "issues": len(sc.issues),
        "smp_params": params,
        "unsupported_ktab_params": unsupported,
    }
    if as_json:
        print_json(info)
        return
    if not output:
        typer.echo(to_yaml(sc), nl=False)
        out = err_console
    else:
        out = console
    out.print(
        styled(
            "[green]imported[/green] {}: {} ({} actors, {} issues){}",
            file,
            sc.meta.title,
            len(sc.actors),
            len(sc.issues),
            f" -> {output}" if output else "",
        )
    )
    non_default = {k: v for k, v in params.items() if _is_non_default(k, v)}
    if non_default:
        flags = " ".join(f"--param smp.{k}={v}" for k, v in non_default.items())
        out.print(f"the file asks for non-default SMP options: {flags}")
    if unsupported:
        out.print(
            styled(
                "[yellow]not implemented in detente's smp (defaults used):[/yellow] {}",
                ", ".join(unsupported),
            )
        )


def _is_non_default(name: str, value: object) -> bool:
    from detente.bargaining.smp import PARAMS

    return any(p.name == name and p.default != value for p in PARAMS)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
