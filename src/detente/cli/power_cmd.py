"""``detente power``: Shapley-Shubik and Banzhaf indices of a scenario's voting rule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from detente.api import DetenteError
from detente.cli.common import JsonOpt, ScenarioArg, console, print_json


def print_power(scenario: Any) -> None:
    """The voting rule's power indices beside each voter's capability (when it states one)."""
    if getattr(scenario, "voting", None) is None:
        return
    from detente.api import power

    res = power.voting_power(scenario)
    table = Table(title=f"Voting power: {res.rule}", title_justify="left")
    for col in ("voter", "capability", "Shapley-Shubik", "Banzhaf", "Banzhaf (raw)"):
        table.add_column(col, justify="left" if col == "voter" else "right")
    for row in power.power_table(scenario, res):
        cap = "" if row["capability"] is None else f"{row['capability']:.3g}"
        table.add_row(
            row["voter"],
            cap,
            f"{row['shapley_shubik']:.4f}",
            f"{row['banzhaf']:.4f}",
            f"{row['banzhaf_raw']:.4f}",
        )
    console.print(table)


def power_cmd(
    scenario: str | None = ScenarioArg,
    plot: Path | None = typer.Option(None, "--plot", help="Write a bar chart (.png or .svg)."),
    as_json: bool = JsonOpt,
) -> None:
    """Shapley-Shubik and Banzhaf power of the voters of the scenario's voting rule (exact)."""
    from detente import api
    from detente.api import power

    sc = api.load(scenario)
    res = power.voting_power(sc)
    if plot is not None:
        if plot.suffix.lower() not in (".png", ".svg"):
            raise DetenteError(f"--plot {plot}: write a .png or .svg file")
        res.plot().savefig(plot, bbox_inches="tight")
    if as_json:
        print_json({**res.to_dict(), "table": power.power_table(sc, res)})
        return
    print_power(sc)


def register(app: typer.Typer) -> None:
    app.command("power")(power_cmd)
