"""``detente serve``: the local web app (FastAPI + htmx), on 127.0.0.1 by default."""

from __future__ import annotations

import typer

from detente import api
from detente.cli.common import console
from detente.cli.text import styled

ENV_VAR = "DETENTE_STORE"  # detente.api.ENV_VAR, written out so that --help imports nothing more


def serve(
    host: str = typer.Option(
        "127.0.0.1",
        "--host",
        help="Address to bind. The default serves this machine only; 0.0.0.0 exposes the app "
        "(and every scenario you open) to your network.",
    ),
    port: int = typer.Option(8000, "--port", "-p", min=0, max=65535, help="TCP port (0: any)."),
    store: str | None = typer.Option(
        None,
        "--store",
        metavar="PATH",
        help=f"Run store for the app's runs; default ${ENV_VAR} or the user data dir; 'off'.",
    ),
    log_level: str = typer.Option("warning", "--log-level", help="uvicorn's log level."),
) -> None:
    """Serve the local web app: choose or upload a scenario, edit it, run the models, move the
    policy levers, open and compare past runs, download reports."""
    import importlib

    for module in ("fastapi", "uvicorn", "jinja2"):
        api.require_extra(module, "detente serve", "web")
    import uvicorn

    # The web app is the CLI's sibling (neither imports the other's modules): loaded by name.
    web = importlib.import_module("detente.web.app")
    LOOPBACK_HOSTS, create_app, server_options = (
        web.LOOPBACK_HOSTS,
        web.create_app,
        web.server_options,
    )

    loopback = host in ("127.0.0.1", "localhost", "::1")
    # Bound to loopback: answer only to loopback names (no DNS rebinding); else to any name.
    app = create_app(store, allowed_hosts=LOOPBACK_HOSTS if loopback else ["*"])
    where = app.state.store.path if app.state.store is not None else "(storing is off)"
    if not loopback:
        console.print(
            styled(
                "[yellow]warning:[/yellow] serving on {}: other machines can reach "
                "this app; it has no login",
                host,
            )
        )
    console.print(f"detente web app on http://{host}:{port}/  (runs: {where}; Ctrl-C stops)")
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level, **server_options())
    except OSError as exc:
        raise api.DetenteError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
