"""``detente discover``: the boxes of input space where a target outcome happens (PRIM, CART).

detente discover ukraine-2025 --target "p_talks_12>=0.5"
detente discover --target "forecast.compromise.territory<=40" --draws 5000 --plot prim.png
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from detente.api import DetenteError
from detente.cli.common import JsonOpt, ScenarioArg, console, print_json
from detente.cli.store import record_cli_run, stored
from detente.cli.text import styled


@stored
def discover(
    scenario: str | None = ScenarioArg,
    target: str = typer.Option(
        ...,
        "--target",
        "-t",
        help="p_talks_T>=P (the war model: P(talks within T months)), or "
        "forecast.MODEL.ISSUE<=V (a bargaining model's forecast), or ISSUE<=V with --model.",
    ),
    draws: int = typer.Option(1000, "--draws", help="Monte Carlo draws of the inputs."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same output)."),
    model: str | None = typer.Option(
        None, "--model", "-m", help="Bargaining model for ISSUE<=V targets (default compromise)."
    ),
    paths: int = typer.Option(64, "--paths", help="War paths per draw for p_talks targets."),
    policy: str | None = typer.Option(None, "--policy", help="War policy mix (status-quo)."),
    alpha: float = typer.Option(0.05, "--alpha", help="PRIM's peeling share per step."),
    mass_min: float = typer.Option(0.05, "--mass-min", help="Smallest box, share of draws."),
    density: float | None = typer.Option(
        None, "--density", help="Density a chosen box must reach (default 0.8, or higher)."
    ),
    boxes: int = typer.Option(3, "--boxes", help="At most this many PRIM boxes (covering)."),
    plot: Path | None = typer.Option(
        None, "--plot", help="Write the peeling trajectory (.png or .svg)."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Scenario discovery: under which assumptions does the target hold? (PRIM and CART)"""
    from detente import api
    from detente.api import discover as api_discover
    from detente.progress import spinner

    if plot is not None and plot.suffix.lower() not in (".png", ".svg"):
        raise DetenteError(f"--plot {plot}: write a .png or .svg file")
    if seed < 0:
        raise DetenteError(f"--seed must be a non-negative integer, not {seed}")
    sc = api.load(scenario)
    with spinner(not as_json, f"discover: {draws:,} draws"):
        res = api_discover.discover(
            sc,
            target,
            draws=draws,
            seed=seed,
            model=model,
            paths=paths,
            policy=policy,
            alpha=alpha,
            mass_min=mass_min,
            density=density,
            boxes=boxes,
        )
    if plot is not None:
        try:
            res.plot().savefig(plot, bbox_inches="tight")
        except OSError as exc:
            raise DetenteError(f"--plot {plot}: cannot write it ({exc.strerror})") from None
    out = res.to_dict()
    out["plot"] = None if plot is None else str(plot)
    record_cli_run(
        "discover",
        sc,
        out,
        params={"target": target, **res.settings},
        seed=res.seed,
        models=[str(res.settings.get("model"))],
        announce=not as_json,
    )
    if as_json:
        print_json(out)
        return
    console.print(
        styled(
            "[bold]{}[/]: holds in {} of {} draws over {} uncertain inputs (seed {})",
            res.target,
            f"{res.base_rate:.1%}",
            f"{res.draws:,}",
            len(res.inputs),
            res.seed,
        )
    )
    for method, found in (("PRIM", res.boxes), ("CART", res.cart_boxes)):
        table = Table(title=f"{method} boxes", title_justify="left")
        for col in ("box", "coverage", "density", "mass", "where"):
            table.add_column(col, justify="left" if col == "where" else "right")
        for i, b in enumerate(found, start=1):
            table.add_row(
                str(i), f"{b.coverage:.2f}", f"{b.density:.2f}", f"{b.mass:.2f}", b.describe()
            )
        if not found:
            table.caption = "no box denser than the whole sample"
        console.print(table)
    if plot is not None:
        console.print(f"peeling trajectory: {plot}")


def register(app: typer.Typer) -> None:
    app.command("discover")(discover)
